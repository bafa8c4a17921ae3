//! What the tests share: access points with fresh keys (once-as4's `testing` feature) and an
//! OOTS request header.

#![allow(dead_code)]

use once_as4::Sent;
use once_as4::header::UserMessage;
use once_as4::send::OutgoingPayload;

pub use once_as4::testing::TestAccessPoint as AccessPoint;

/// An OOTS request header from `from` to `to`.
pub fn request_header(from: &str, to: &str) -> UserMessage {
    once_as4::testing::sample_header(from, to).to_user_message(
        once_as4::send::message_id(&format!("{from}.test")),
        time::OffsetDateTime::now_utc(),
    )
}

/// The envelope part of a message and the rest, for editing the envelope.
pub fn edit_envelope(message: &Sent, edit: impl FnOnce(String) -> String) -> Vec<u8> {
    let body = &message.body;
    let start = find(body, b"<S12:Envelope").expect("envelope");
    let end = find(body, b"</S12:Envelope>").expect("envelope end") + "</S12:Envelope>".len();
    let envelope = String::from_utf8(body[start..end].to_vec()).expect("utf-8");
    let mut out = body[..start].to_vec();
    out.extend_from_slice(edit(envelope).as_bytes());
    out.extend_from_slice(&body[end..]);
    out
}

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The payloads of a request: an EDM document and a PDF `evidence`, both compressed.
pub fn payloads<'a>(edm: &'a [u8], evidence: &'a [u8]) -> Vec<OutgoingPayload<'a>> {
    vec![
        OutgoingPayload {
            content_id: "edm@once.test".to_owned(),
            mime_type: once_as4::oots::EBRS_MIME_TYPE.to_owned(),
            bytes: edm,
            compress: true,
        },
        OutgoingPayload {
            content_id: "evidence-1@once.test".to_owned(),
            mime_type: "application/pdf".to_owned(),
            bytes: evidence,
            compress: true,
        },
    ]
}
