//! One access point sends a user message to another; the receiver opens it and answers with a
//! receipt the sender checks. Then every way a message can be wrong, each refused with its
//! ebMS code.

mod common;

use common::{AccessPoint, edit_envelope, find, request_header};
use once_as4::receive::{self, Limits, Pinned};
use once_as4::send::{self, OutgoingPayload};
use once_as4::signal::{self, SignalOutcome};
use once_as4::{EbmsCode, Sent};
use once_xml::multipart::MultipartLimits;

const EDM: &[u8] = b"<query:QueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0\" id=\"urn:uuid:4e4a9a4e-0000-4000-8000-000000000001\"/>";

fn payloads(evidence: &[u8]) -> Vec<OutgoingPayload<'_>> {
    common::payloads(EDM, evidence)
}

fn sent(from: &AccessPoint, to: &AccessPoint) -> Sent {
    let evidence = vec![b'%'; 10_000];
    send::user_message(
        &request_header(&from.party, &to.party),
        &payloads(&evidence),
        &from.credentials,
        &to.certificate(),
    )
    .expect("built")
}

fn open(
    message: &Sent,
    body: &[u8],
    from: &AccessPoint,
    to: &AccessPoint,
) -> Result<receive::Received, once_as4::EbmsError> {
    receive::open(
        &message.content_type,
        body,
        &to.credentials,
        &Pinned(from.certificate()),
        &Limits::default(),
    )
}

#[test]
fn a_message_is_opened_and_its_receipt_proves_what_was_signed() {
    let (at, de) = (AccessPoint::new("AP_AT_01"), AccessPoint::new("AP_DE_01"));
    let message = sent(&at, &de);
    let received = open(&message, &message.body, &at, &de).expect("opened");
    assert_eq!(received.header, message.header);
    assert_eq!(received.payloads.len(), 2);
    assert_eq!(received.payloads[0].bytes, EDM);
    assert_eq!(
        received.payloads[0].mime_type.as_deref(),
        Some("application/x-ebrs+xml")
    );
    assert_eq!(received.payloads[1].bytes, vec![b'%'; 10_000]);
    assert_eq!(received.references, message.references);
    let header = once_as4::oots::OotsHeader::read(&received.header).expect("an OOTS header");
    assert_eq!(header.original_sender.id, "AT:BUND:familienbeihilfe");

    let receipt = signal::receipt(&received, &de.credentials, "de.test").expect("receipt");
    let outcome = signal::read(&receipt.body, &de.certificate(), &Limits::default()).expect("read");
    outcome
        .check_receipt(&message)
        .expect("the receipt proves the delivery");

    // A receipt by anyone else proves nothing.
    let error = signal::read(&receipt.body, &at.certificate(), &Limits::default())
        .expect_err("not the partner's");
    assert_eq!(error.code, EbmsCode::FailedAuthentication);
    // Nor does a receipt of another message.
    let other = sent(&at, &de);
    assert!(outcome.check_receipt(&other).is_err());
}

#[test]
fn an_error_signal_names_the_code_and_the_message_in_error() {
    let (at, de) = (AccessPoint::new("AP_AT_01"), AccessPoint::new("AP_DE_01"));
    let message = sent(&at, &de);
    let body = flip_in_last_part(&message.body);
    let refused = open(&message, &body, &at, &de).expect_err("refused");
    let signal = signal::error(&refused, &de.credentials, "de.test").expect("signal");
    match signal::read(&signal.body, &de.certificate(), &Limits::default()).expect("read") {
        SignalOutcome::Errors {
            errors,
            ref_to_message_id,
            ..
        } => {
            assert_eq!(
                ref_to_message_id.as_deref(),
                Some(message.header.message_id.as_str())
            );
            assert_eq!(errors[0].known, Some(refused.code));
            assert_eq!(errors[0].detail.as_deref(), Some(refused.detail.as_str()));
        }
        other => panic!("not an error signal: {other:?}"),
    }
}

/// The body with one byte of the last MIME part's content changed.
fn flip_in_last_part(body: &[u8]) -> Vec<u8> {
    let content = body
        .windows(4)
        .rposition(|w| w == b"\r\n\r\n")
        .expect("a part")
        + 4
        + 20;
    let mut body = body.to_vec();
    body[content] ^= 1;
    body
}

fn refused_with(message: &Sent, body: &[u8], code: EbmsCode, words: &str) {
    let (at, de) = keys();
    let error = open(message, body, at, de).expect_err("refused");
    assert_eq!(error.code, code, "{error}");
    assert!(error.detail.contains(words), "{error}");
    if code != EbmsCode::InvalidHeader {
        assert!(
            error.ref_to_message_id.is_some(),
            "the error names the message: {error:?}"
        );
    }
}

fn keys() -> (&'static AccessPoint, &'static AccessPoint) {
    static KEYS: std::sync::OnceLock<(AccessPoint, AccessPoint)> = std::sync::OnceLock::new();
    let (at, de) =
        KEYS.get_or_init(|| (AccessPoint::new("AP_AT_01"), AccessPoint::new("AP_DE_01")));
    (at, de)
}

#[test]
fn hostile_and_broken_messages_are_refused_with_their_ebms_codes() {
    let (at, de) = keys();
    let message = sent(at, de);

    // A byte of an encrypted payload changed: it no longer decrypts.
    let body = flip_in_last_part(&message.body);
    refused_with(
        &message,
        &body,
        EbmsCode::FailedDecryption,
        "does not decrypt",
    );

    // The header changed after signing.
    let body = edit_envelope(&message, |e| {
        e.replace("ExecuteQueryRequest", "ExecuteQueryResponse")
    });
    refused_with(
        &message,
        &body,
        EbmsCode::FailedAuthentication,
        "was altered after signing",
    );

    // Signed by a key the partner table does not name.
    let stranger = AccessPoint::new("AP_XX_99");
    let forged = send::user_message(
        &message.header,
        &payloads(b"x"),
        &stranger.credentials,
        &de.certificate(),
    )
    .expect("built");
    refused_with(
        &forged,
        &forged.body,
        EbmsCode::FailedAuthentication,
        "is not the certificate configured for AP_AT_01",
    );

    // The payloads sent in the clear (the encryption header removed).
    let body = edit_envelope(&message, |e| {
        let start = e.find("<xenc:EncryptedKey").expect("key");
        let end = e.find("</xenc:EncryptedKey>").expect("key end") + "</xenc:EncryptedKey>".len();
        format!("{}{}", &e[..start], &e[end..])
    });
    refused_with(
        &message,
        &body,
        EbmsCode::PolicyNoncompliance,
        "not encrypted",
    );

    // Not signed at all.
    let body = edit_envelope(&message, |e| {
        let start = e.find("<ds:Signature ").expect("signature");
        let end = e.find("</ds:Signature>").expect("signature end") + "</ds:Signature>".len();
        format!("{}{}", &e[..start], &e[end..])
    });
    refused_with(&message, &body, EbmsCode::PolicyNoncompliance, "not signed");

    // A weaker signature algorithm named.
    let body = edit_envelope(&message, |e| {
        e.replace("xmldsig-more#rsa-sha256", "xmldsig#rsa-sha1")
    });
    refused_with(
        &message,
        &body,
        EbmsCode::PolicyNoncompliance,
        "neither RSA-SHA256",
    );

    // A weaker key transport named (RSA-OAEP with SHA-1 by default).
    let body = edit_envelope(&message, |e| {
        e.replacen(
            "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><xenc11:MGF",
            "<xenc11:MGF",
            1,
        )
    });
    refused_with(
        &message,
        &body,
        EbmsCode::PolicyNoncompliance,
        "SHA-1 by default",
    );

    // Signature wrapping: a copy of the signed eb:Messaging under the same id, the real one changed.
    let body = edit_envelope(&message, |e| {
        let start = e.find("<eb:Messaging").expect("messaging");
        let end = e.find("</eb:Messaging>").expect("messaging end") + "</eb:Messaging>".len();
        let original = e[start..end].to_owned();
        e.replace(
            &original,
            &original.replace("ExecuteQueryRequest", "ExceptionResponse"),
        )
        .replace("</wsse:Security>", &format!("{original}</wsse:Security>"))
    });
    refused_with(
        &message,
        &body,
        EbmsCode::FailedAuthentication,
        "two elements carry the ID",
    );

    // XXE: an entity declared in a DOCTYPE.
    let body = edit_envelope(&message, |e| {
        format!("<!DOCTYPE S12:Envelope [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>{e}")
    });
    refused_with(&message, &body, EbmsCode::InvalidHeader, "DOCTYPE");

    // A payload announced but its MIME part left out.
    let boundary = message
        .content_type
        .split("boundary=\"")
        .nth(1)
        .and_then(|b| b.split('"').next())
        .expect("boundary");
    let delimiter = format!("\r\n--{boundary}");
    let last = message
        .body
        .windows(delimiter.len())
        .filter(|w| *w == delimiter.as_bytes())
        .count();
    assert_eq!(last, 3, "envelope, two parts, the closing delimiter");
    let cut = message
        .body
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .nth(1)
        .expect("second")
        .0;
    let mut body = message.body[..cut].to_vec();
    body.extend_from_slice(format!("{delimiter}--\r\n").as_bytes());
    refused_with(
        &message,
        &body,
        EbmsCode::MimeInconsistency,
        "has no MIME part",
    );

    // The header's href pointed elsewhere after signing.
    let body = edit_envelope(&message, |e| {
        e.replacen(
            "href=\"cid:evidence-1@once.test\"",
            "href=\"cid:evidence-9@once.test\"",
            1,
        )
    });
    refused_with(
        &message,
        &body,
        EbmsCode::FailedAuthentication,
        "does not cover the payload",
    );
}

#[test]
fn a_payload_that_decompresses_beyond_the_limit_is_refused() {
    let (at, de) = keys();
    let bomb = vec![0u8; 4 * 1024 * 1024];
    let message = send::user_message(
        &request_header(&at.party, &de.party),
        &[OutgoingPayload {
            content_id: "edm@once.test".to_owned(),
            mime_type: "application/x-ebrs+xml".to_owned(),
            bytes: &bomb,
            compress: true,
        }],
        &at.credentials,
        &de.certificate(),
    )
    .expect("built");
    assert!(
        message.body.len() < 64 * 1024,
        "4 MiB of zeros compress well"
    );
    let limits = Limits {
        max_decompressed_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let error = receive::open(
        &message.content_type,
        &message.body,
        &de.credentials,
        &Pinned(at.certificate()),
        &limits,
    )
    .expect_err("refused");
    assert_eq!(error.code, EbmsCode::DecompressionFailure, "{error}");
}

#[test]
fn the_header_written_is_valid_against_the_ebms3_header_schema() {
    let (at, de) = keys();
    let message = sent(at, de);
    let start = find(&message.body, b"<S12:Envelope").expect("envelope");
    let end = find(&message.body, b"</S12:Envelope>").expect("end") + "</S12:Envelope>".len();
    let text = String::from_utf8(message.body[start..end].to_vec()).expect("utf-8");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("envelope.xml");
    std::fs::write(&file, &text).expect("written");
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/envelope-check.xsd");
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema", schema])
        .arg(&file)
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn oversize_envelopes_bodies_and_part_counts_are_refused() {
    let (at, de) = keys();
    let message = sent(at, de);
    let refuse = |body: &[u8], limits: &Limits| {
        receive::open(
            &message.content_type,
            body,
            &de.credentials,
            &Pinned(at.certificate()),
            limits,
        )
        .expect_err("refused")
    };
    // An envelope beyond the envelope limit (256 KiB by default): a comment in the header.
    let padded = edit_envelope(&message, |envelope| {
        envelope.replacen(
            "<S12:Header>",
            &format!("<S12:Header><!--{}-->", "x".repeat(300 * 1024)),
            1,
        )
    });
    let error = refuse(&padded, &Limits::default());
    assert_eq!(error.code, EbmsCode::InvalidHeader, "{error}");
    assert!(error.detail.contains("cannot be read"), "{error}");

    // A body beyond the MIME limit, and more parts than allowed.
    let small = |multipart: MultipartLimits| Limits {
        multipart,
        ..Limits::default()
    };
    let error = refuse(
        &message.body,
        &small(MultipartLimits {
            max_body_bytes: message.body.len() - 1,
            ..MultipartLimits::default()
        }),
    );
    assert_eq!(error.code, EbmsCode::MimeInconsistency, "{error}");
    let error = refuse(
        &message.body,
        &small(MultipartLimits {
            max_parts: 2,
            ..MultipartLimits::default()
        }),
    );
    assert_eq!(error.code, EbmsCode::MimeInconsistency, "{error}");
}
