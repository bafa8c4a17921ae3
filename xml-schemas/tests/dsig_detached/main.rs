//! Detached XML signatures over the parts of a message (`once_xml::dsig::detached`), with
//! libxmlsec1 (`xmlsec1`) as the independent referee: it verifies our signatures, fails with us
//! on every tampered copy, and signs documents that are valid XML Signature but outside our
//! profile, which our verifier must refuse for the right reason.
//!
//! How xmlsec1 finds the parts: `--url-map:<url> <file>` maps the `cid:` URL of a
//! `ds:Reference` to the file holding that part's octets (xmlsec1 1.2.37 here; the URL is taken
//! as written in `URI`, everything after `--url-map:`). Without a mapping xmlsec1 cannot open a
//! `cid:` URL and fails; it finds no mapping for a URL with `%` escapes, so these tests use
//! content ids that need none, as the node does. Operators run the same command (see the
//! `detached` module):
//!
//! ```text
//! xmlsec1 --verify --trusted-pem <federation-ca.pem> \
//!     --url-map:cid:message@once <message-part-file> \
//!     --url-map:cid:evidence-1@once <evidence-1-part-file> <signature-part-file>
//! ```
//!
//! Here: the round trip and one-byte changes; `profile`: signatures outside the profile, wrapping
//! and limits; `fuzz`: truncations, reference orders and a one-bit-change sweep.

mod fuzz;
mod profile;
mod referee;

use once_xml::Limits;
use once_xml::dsig::DsigError;
use once_xml::dsig::detached::{self, MessageProperties, OBJECT_ID, VerifiedDetached};
use sha2::{Digest, Sha256};
use time::macros::datetime;

use referee::Referee;

const MESSAGE: &str = "cid:message@once";
const EVIDENCE_1: &str = "cid:evidence-1@once";
const EVIDENCE_2: &str = "cid:evidence-2@once";

/// The parts of a message: an EDM request, a binary evidence (not UTF-8, with NUL and CR LF) and
/// an XML evidence with CR LF line ends.
type Parts = Vec<(&'static str, Vec<u8>)>;

fn parts() -> Parts {
    let request =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples/birth_request.xml");
    vec![
        (MESSAGE, std::fs::read(request).expect("sample request")),
        (
            EVIDENCE_1,
            b"%PDF-1.7\r\n%\xe2\xe3\xcf\xd3\r\n1 0 obj\r\n<< >>\r\nendobj\r\n\x00\xff%%EOF\r\n".to_vec(),
        ),
        (
            EVIDENCE_2,
            "<?xml version=\"1.0\"?>\r\n<e:Evidence xmlns:e=\"urn:e\">\r\n  <e:Name>Müller</e:Name>\r\n</e:Evidence>\r\n"
                .as_bytes()
                .to_vec(),
        ),
    ]
}

fn refs<'a>(parts: &'a [(&'static str, Vec<u8>)]) -> Vec<(&'static str, &'a [u8])> {
    parts
        .iter()
        .map(|(uri, bytes)| (*uri, bytes.as_slice()))
        .collect()
}

fn properties() -> MessageProperties {
    MessageProperties::new(
        "msg-7f3c2a",
        "DE-HB:KOMMUNE:04011000",
        "DE-BE:STANDESAMT:11000000",
        datetime!(2025-03-14 09:26:53.589 UTC),
    )
    .in_reply_to(Sha256::digest(b"the request").into())
}

/// Our verifier, with the parts found by their exact URI.
fn ours(signature: &str, parts: &[(&'static str, Vec<u8>)]) -> Result<VerifiedDetached, DsigError> {
    detached::verify(signature.as_bytes(), &Limits::default(), |uri| {
        parts
            .iter()
            .find(|(u, _)| *u == uri)
            .map(|(_, bytes)| bytes.as_slice())
    })
}

/// Replaces exactly one occurrence of `from`.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} once in\n{text}");
    text.replacen(from, to, 1)
}

#[test]
fn a_detached_signature_verifies_with_xmlsec1_and_ours() {
    let referee = Referee::new();
    let parts = parts();
    let signature = referee.sign(&parts, Some(&properties()));
    assert!(signature.starts_with(
        r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>"#
    ));
    assert_eq!(signature.matches("<ds:Reference ").count(), 4);
    assert_eq!(
        signature.matches("<ds:Transforms>").count(),
        1,
        "only the object's"
    );
    assert!(signature.contains(&format!(
        r##"<ds:Reference URI="#{OBJECT_ID}"><ds:Transforms>"##
    )));
    assert!(signature.ends_with("</mp:MessageProperties></ds:Object></ds:Signature>"));

    let report = referee
        .xmlsec1_verify(&signature, &parts)
        .unwrap_or_else(|e| panic!("xmlsec1 refused our signature: {e}\n{signature}"));
    assert!(
        report.contains("SignedInfo References (ok/all): 4/4"),
        "{report}"
    );

    let verified = ours(&signature, &parts).expect("verify");
    assert_eq!(verified.certificates, vec![referee.cert_der()]);
    assert_eq!(verified.signer_certificate(), referee.cert_der());
    assert_eq!(verified.references, [MESSAGE, EVIDENCE_1, EVIDENCE_2]);
    assert_eq!(verified.properties, Some(properties()));
    // The caller's coverage check reads references as multipart does.
    verified
        .check_covers([MESSAGE, EVIDENCE_1, "evidence-2@once", "<message@once>"])
        .expect("every part covered");
    assert_eq!(
        verified.check_covers([MESSAGE, "cid:evidence-3@once"]),
        Err(DsigError::Uncovered("cid:evidence-3@once".into()))
    );

    // Without properties: no ds:Object, and only the parts given are covered.
    let bare = referee.sign(&parts[..1], None);
    assert!(!bare.contains("ds:Object"));
    let report = referee
        .xmlsec1_verify(&bare, &parts[..1])
        .unwrap_or_else(|e| panic!("xmlsec1 refused our signature: {e}\n{bare}"));
    assert!(
        report.contains("SignedInfo References (ok/all): 1/1"),
        "{report}"
    );
    let verified = ours(&bare, &parts).expect("verify");
    assert_eq!(verified.references, [MESSAGE]);
    assert_eq!(verified.properties, None);
    assert!(!verified.covers(EVIDENCE_1));
    assert_eq!(
        verified.check_covers([MESSAGE, EVIDENCE_1]),
        Err(DsigError::Uncovered(EVIDENCE_1.into()))
    );
}

/// `signature` with the base64 content of the first `element` after `after` decoded, one bit of
/// its eleventh byte changed, and encoded again.
fn flip_base64_after(signature: &str, after: &str, element: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    let from = signature.find(after).expect("anchor") + after.len();
    let open = format!("<{element}>");
    let start = from + signature[from..].find(&open).expect("element") + open.len();
    let end = start + signature[start..].find('<').expect("end tag");
    let mut bytes = STANDARD.decode(&signature[start..end]).expect("base64");
    bytes[10] ^= 0x01;
    format!(
        "{}{}{}",
        &signature[..start],
        STANDARD.encode(bytes),
        &signature[end..]
    )
}

#[test]
fn a_one_byte_change_in_a_part_the_object_or_the_signature_fails_both_verifiers() {
    let referee = Referee::new();
    let parts = parts();
    let signature = referee.sign(&parts, Some(&properties()));
    referee
        .xmlsec1_verify(&signature, &parts)
        .expect("the original verifies");
    ours(&signature, &parts).expect("the original verifies");

    // Any part: its first, middle and last octet; one octet more; one less.
    for (i, (uri, bytes)) in parts.iter().enumerate() {
        let mismatch = DsigError::ReferenceDigestMismatch { uri: (*uri).into() };
        for at in [0, bytes.len() / 2, bytes.len() - 1] {
            let mut tampered = parts.clone();
            tampered[i].1[at] ^= 0x01;
            let what = format!("{uri} with octet {at} changed");
            assert_eq!(referee.both_refuse(&signature, &tampered, &what), mismatch);
        }
        let mut longer = parts.clone();
        longer[i].1.push(b'\n');
        assert_eq!(
            referee.both_refuse(&signature, &longer, "a longer part"),
            mismatch
        );
        let mut shorter = parts.clone();
        shorter[i].1.pop();
        assert_eq!(
            referee.both_refuse(&signature, &shorter, "a shorter part"),
            mismatch
        );
    }
    // An XML-equivalent change (CR LF to LF) still changes the octets, which are what is signed.
    let mut normalised = parts.clone();
    normalised[2].1.retain(|b| *b != b'\r');
    assert_eq!(
        referee.both_refuse(
            &signature,
            &normalised,
            "the XML evidence with LF line ends"
        ),
        DsigError::ReferenceDigestMismatch {
            uri: EVIDENCE_2.into()
        }
    );

    // The object: one character of the message id, of the receiver.
    let object = DsigError::ReferenceDigestMismatch {
        uri: format!("#{OBJECT_ID}"),
    };
    for (from, to) in [
        ("<mp:MessageId>msg-7f3c2a<", "<mp:MessageId>msg-7f3c2b<"),
        ("<mp:Receiver>DE-BE:", "<mp:Receiver>DE-BB:"),
    ] {
        let tampered = replace_once(&signature, from, to);
        assert_eq!(referee.both_refuse(&tampered, &parts, to), object);
    }

    // The signature: a part's digest, the signature value, a part's name (with a part of that
    // name, holding the same octets, at hand for both verifiers).
    let tampered = flip_base64_after(
        &signature,
        &format!(r#"URI="{EVIDENCE_1}">"#),
        "ds:DigestValue",
    );
    assert_eq!(
        referee.both_refuse(&tampered, &parts, "a changed digest"),
        DsigError::ReferenceDigestMismatch {
            uri: EVIDENCE_1.into()
        }
    );
    let tampered = flip_base64_after(&signature, "</ds:SignedInfo>", "ds:SignatureValue");
    assert_eq!(
        referee.both_refuse(&tampered, &parts, "a changed signature value"),
        DsigError::BadSignature
    );
    let renamed = replace_once(&signature, "cid:evidence-1@", "cid:evidence-3@");
    let mut with_copy = parts.clone();
    with_copy.push(("cid:evidence-3@once", parts[1].1.clone()));
    assert_eq!(
        referee.both_refuse(&renamed, &with_copy, "a renamed reference"),
        DsigError::BadSignature
    );
}
