//! The eDelivery AS4 2.0 EC profile: ECDSA-SHA256 signatures on P-256, the session key wrapped
//! (AES-128 key wrap) under a key agreed with ECDH-ES and derived with HKDF-SHA256. Messages
//! and receipts in both suites, an access point holding keys of both, every way an EC message
//! can be wrong refused with its ebMS code, and an independent implementation (Python's
//! `cryptography` and `lxml`, `tests/referee/ec_open.py`) opening what this crate sealed.

mod common;

use std::path::Path;
use std::process::Command;

use common::{AccessPoint, edit_envelope, request_header};
use once_as4::receive::{self, Limits, Pinned};
use once_as4::send::{self, OutgoingPayload, SendError};
use once_as4::signal::{self, SignalOutcome};
use once_as4::{Credentials, EbmsCode, KeyError, Keyring, OwnKeys, Sent, Suite};
use once_xml::multipart::{self, MultipartLimits};

const EDM: &[u8] = b"<query:QueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0\" id=\"urn:uuid:4e4a9a4e-0000-4000-8000-000000000003\"/>";
const EVIDENCE: &[u8] = b"%PDF-1.7 a birth certificate, compressed before it is signed";

fn payloads() -> Vec<OutgoingPayload<'static>> {
    common::payloads(EDM, EVIDENCE)
}

fn sent(from: &AccessPoint, to: &AccessPoint) -> Sent {
    send::user_message(
        &request_header(&from.party, &to.party),
        &payloads(),
        &from.credentials,
        &to.certificate(),
    )
    .expect("built")
}

fn open_with(
    message: &Sent,
    body: &[u8],
    from: &AccessPoint,
    me: &dyn OwnKeys,
) -> Result<receive::Received, once_as4::EbmsError> {
    receive::open(
        &message.content_type,
        body,
        me,
        &Pinned(from.certificate()),
        &Limits::default(),
    )
}

/// Two EC access points, made once for the tests of this file.
fn ec_keys() -> (&'static AccessPoint, &'static AccessPoint) {
    static KEYS: std::sync::OnceLock<(AccessPoint, AccessPoint)> = std::sync::OnceLock::new();
    let (fr, de) = KEYS.get_or_init(|| {
        (
            AccessPoint::new_ec("AP_FR_01"),
            AccessPoint::new_ec("AP_DE_02"),
        )
    });
    (fr, de)
}

/// The envelope (text) of a message.
fn envelope(message: &Sent) -> String {
    let mut text = None;
    edit_envelope(message, |e| {
        text = Some(e.clone());
        e
    });
    text.expect("an envelope")
}

#[test]
fn an_ec_message_is_opened_and_its_ecdsa_receipt_proves_what_was_signed() {
    let (fr, de) = ec_keys();
    assert_eq!(fr.credentials.suite(), Suite::Edelivery20Ec);
    let message = sent(fr, de);
    let soap = envelope(&message);
    for expected in [
        "xmldsig-more#ecdsa-sha256",
        "xmlenc11#ECDH-ES",
        "xmldsig-more#hkdf",
        "xmlenc#kw-aes128",
        "<dsig-more:KeyLength>16</dsig-more:KeyLength>",
        "xmlenc11#aes128-gcm",
    ] {
        assert!(soap.contains(expected), "{expected} in {soap}");
    }
    assert!(!soap.contains("rsa-oaep") && !soap.contains("rsa-sha256"));

    let received = open_with(&message, &message.body, fr, &de.credentials).expect("opened");
    assert_eq!(received.suite, Suite::Edelivery20Ec);
    assert_eq!(received.header, message.header);
    assert_eq!(received.payloads[0].bytes, EDM);
    assert_eq!(received.payloads[1].bytes, EVIDENCE);

    let receipt = signal::receipt(&received, &de.credentials, "de.test").expect("receipt");
    let text = String::from_utf8(receipt.body.clone()).expect("utf-8");
    assert!(text.contains("xmldsig-more#ecdsa-sha256"), "{text}");
    let outcome = signal::read(&receipt.body, &de.certificate(), &Limits::default()).expect("read");
    outcome
        .check_receipt(&message)
        .expect("the receipt proves it");
    // A receipt read as another partner's proves nothing.
    let error = signal::read(&receipt.body, &fr.certificate(), &Limits::default())
        .expect_err("not the partner's");
    assert_eq!(error.code, EbmsCode::FailedAuthentication);

    // An error signal is signed with the EC key too and read back.
    let refused = open_with(
        &message,
        &message.body,
        fr,
        &AccessPoint::new("AP_DE_RSA").credentials,
    )
    .expect_err("no EC key");
    let signal = signal::error(&refused, &de.credentials, "de.test").expect("signal");
    match signal::read(&signal.body, &de.certificate(), &Limits::default()).expect("read") {
        SignalOutcome::Errors { errors, .. } => {
            assert_eq!(errors[0].known, Some(EbmsCode::PolicyNoncompliance));
        }
        other => panic!("not an error signal: {other:?}"),
    }
}

#[test]
fn an_access_point_with_keys_of_both_suites_opens_each_partners_messages() {
    let (fr, de_ec) = ec_keys();
    let (at, de_rsa) = (AccessPoint::new("AP_AT_01"), AccessPoint::new("AP_DE_01"));
    let both = |ap: &AccessPoint| {
        Credentials::from_pem(&ap.key_pem, &ap.certificate_pem).expect("credentials")
    };
    let keyring = Keyring::new(vec![both(&de_rsa), both(de_ec)]).expect("one key per suite");
    assert_eq!(
        keyring.suites().collect::<Vec<_>>(),
        [Suite::Edelivery115, Suite::Edelivery20Ec]
    );
    assert!(Keyring::new(vec![both(&de_rsa), both(&at)]).is_none());
    assert!(Keyring::new(Vec::new()).is_none());

    for (from, to) in [(&at, &de_rsa), (fr, de_ec)] {
        let message = sent(from, to);
        let received = open_with(&message, &message.body, from, &keyring).expect("opened");
        assert_eq!(received.suite, from.credentials.suite());
        let receipt = signal::receipt(&received, &keyring, "de.test").expect("receipt");
        signal::read(&receipt.body, &to.certificate(), &Limits::default())
            .expect("signed with the key of the message's suite")
            .check_receipt(&message)
            .expect("acknowledged");
    }

    // A partner of one suite cannot be sent to with the key of the other.
    let mixed = send::user_message(
        &request_header(&at.party, &fr.party),
        &payloads(),
        &at.credentials,
        &fr.certificate(),
    )
    .expect_err("suites differ");
    assert!(
        matches!(
            mixed,
            SendError::Key(KeyError::SuiteMismatch {
                own: Suite::Edelivery115,
                partner: Suite::Edelivery20Ec
            })
        ),
        "{mixed:?}"
    );
}

fn refused_with(message: &Sent, body: &[u8], code: EbmsCode, words: &str) {
    let (fr, de) = ec_keys();
    let error = open_with(message, body, fr, &de.credentials).expect_err("refused");
    assert_eq!(error.code, code, "{error}");
    assert!(error.detail.contains(words), "{words:?} in {error}");
}

/// The text between `start` and `end` in an envelope, replaced.
fn replace_between(envelope: &str, start: &str, end: &str, with: &str) -> String {
    let from = envelope.find(start).expect("start") + start.len();
    let to = from + envelope[from..].find(end).expect("end");
    format!("{}{with}{}", &envelope[..from], &envelope[to..])
}

#[test]
fn wrong_ec_messages_are_refused_with_their_ebms_codes() {
    let (fr, de) = ec_keys();
    let message = sent(fr, de);
    let other = sent(fr, de);
    let other_soap = envelope(&other);
    let between = |soap: &str, start: &str, end: &str| {
        let from = soap.find(start).expect("start") + start.len();
        soap[from..from + soap[from..].find(end).expect("end")].to_owned()
    };

    // The wrapped session key altered: it does not unwrap (RFC 3394's integrity check).
    let wrapped = between(
        &envelope(&message),
        "</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>",
        "<",
    );
    let body = edit_envelope(&message, |e| {
        let mut bytes = wrapped.clone().into_bytes();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        e.replace(&wrapped, std::str::from_utf8(&bytes).expect("ascii"))
    });
    refused_with(
        &message,
        &body,
        EbmsCode::FailedDecryption,
        "does not unwrap",
    );

    // Another message's ephemeral key or salt: the key agreed is another one.
    for (start, end) in [
        ("<dsig11:PublicKey>", "</dsig11:PublicKey>"),
        ("<dsig-more:Salt>", "</dsig-more:Salt>"),
    ] {
        let theirs = between(&other_soap, start, end);
        let body = edit_envelope(&message, |e| replace_between(&e, start, end, &theirs));
        refused_with(
            &message,
            &body,
            EbmsCode::FailedDecryption,
            "does not unwrap",
        );
    }

    // Not a point of the curve.
    let body = edit_envelope(&message, |e| {
        replace_between(&e, "<dsig11:PublicKey>", "</dsig11:PublicKey>", "BAAA")
    });
    refused_with(
        &message,
        &body,
        EbmsCode::FailedDecryption,
        "not a point of P-256",
    );

    // Parameters other than the profile's.
    let policy_edits: [(&str, &str, &str); 5] = [
        (
            "<dsig-more:KeyLength>16<",
            "<dsig-more:KeyLength>32<",
            "is not 16 bytes",
        ),
        (
            "xmldsig-more#hmac-sha256",
            "xmldsig#hmac-sha1",
            "is not HMAC-SHA256",
        ),
        ("xmlenc11#ECDH-ES", "xmldsig-more#x25519", "is not ECDH-ES"),
        (
            "urn:oid:1.2.840.10045.3.1.7",
            "urn:oid:1.3.132.0.34",
            "is not P-256",
        ),
        ("xmldsig-more#hkdf", "xmlenc11#ConcatKDF", "is not HKDF"),
    ];
    for (from, to, words) in policy_edits {
        let body = edit_envelope(&message, |e| e.replacen(from, to, 1));
        refused_with(&message, &body, EbmsCode::PolicyNoncompliance, words);
    }

    // Signed as one suite, the key encrypted as the other.
    let body = edit_envelope(&message, |e| {
        e.replacen(
            "http://www.w3.org/2001/04/xmlenc#kw-aes128",
            "http://www.w3.org/2009/xmlenc11#rsa-oaep",
            1,
        )
    });
    refused_with(
        &message,
        &body,
        EbmsCode::PolicyNoncompliance,
        "signed as edelivery-2.0-ec but its key is encrypted as edelivery-1.15",
    );

    // An RSA signature method named over an EC key.
    let body = edit_envelope(&message, |e| {
        e.replacen("xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa-sha256", 1)
    });
    refused_with(
        &message,
        &body,
        EbmsCode::PolicyNoncompliance,
        "does not fit the signer's EC P-256 key",
    );

    // The ECDSA signature value altered.
    let value = between(&envelope(&message), "<ds:SignatureValue>", "<");
    let body = edit_envelope(&message, |e| {
        let mut bytes = value.clone().into_bytes();
        bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
        e.replace(&value, std::str::from_utf8(&bytes).expect("ascii"))
    });
    refused_with(
        &message,
        &body,
        EbmsCode::FailedAuthentication,
        "does not verify",
    );

    // An access point without an EC key cannot take part in the EC profile.
    let rsa_only = AccessPoint::new("AP_DE_RSA");
    let error =
        open_with(&message, &message.body, fr, &rsa_only.credentials).expect_err("no EC key");
    assert_eq!(error.code, EbmsCode::PolicyNoncompliance);
    assert!(
        error
            .detail
            .contains("has no key for the suite edelivery-2.0-ec"),
        "{error}"
    );
}

/// Python's `cryptography` and `lxml` (installed with the referee package `as4`) open the
/// message on their own: the ECDSA signature over the exclusive-C14N `ds:SignedInfo`, the
/// digests of `eb:Messaging` and the Body, ECDH with the recipient's key, HKDF, the AES key
/// unwrap, AES-GCM and gzip, and every payload's digest.
#[test]
fn an_independent_implementation_opens_an_ec_message() {
    let (fr, de) = ec_keys();
    let message = sent(fr, de);
    let dir = tempfile::tempdir().expect("dir");
    let mime = multipart::parse_soap(
        &message.content_type,
        &message.body,
        &MultipartLimits::default(),
    )
    .expect("MIME");
    std::fs::write(dir.path().join("envelope.xml"), mime.root().body).expect("written");
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).expect("dir");
    for part in mime.attachments() {
        std::fs::write(parts.join(part.content_id), part.body).expect("written");
    }
    std::fs::write(dir.path().join("key.pem"), &de.key_pem).expect("written");
    std::fs::write(dir.path().join("sender.pem"), &fr.certificate_pem).expect("written");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/referee/ec_open.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the independent opening failed (it needs `python3 -m pip install as4==0.2.0`, which \
         brings cryptography and lxml):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["signature"], "valid", "{report}");
    assert_eq!(report["references_checked"], 4, "{report}");
    assert_eq!(
        report["payloads"]["edm@once.test"],
        String::from_utf8_lossy(EDM).as_ref()
    );
    assert_eq!(
        report["payloads"]["evidence-1@once.test"],
        String::from_utf8_lossy(EVIDENCE).as_ref()
    );
}
