//! The national transport's envelope: a `multipart/related` body whose root is the EDM document,
//! followed by the evidence parts and, last, a detached XML signature (`signature@once`) over
//! the root, every other part, and the message's properties (id, sender, receiver, time, and
//! for an answer the SHA-256 of the request document it answers). The EDM document itself stays
//! as the Commission's rules want it, with no signature slot; the signature can be checked by
//! `xmlsec1` from a logged message (see `once_xml::dsig::detached`).

use std::borrow::Cow;

use once_pki::MemberId;
use once_runtime::signed::{SignatureProblem, SignedMessages};
use once_xml::dsig::{MessageProperties, Signer, detached};
use once_xml::multipart::{self, MESSAGE_CONTENT_ID, MultipartLimits};
use time::OffsetDateTime;

use super::{Attachment, OpenError, Opened, Outgoing, Part, SealError, Sealed};

/// The content id of the signature part.
pub const SIGNATURE_CONTENT_ID: &str = "signature@once";

/// The media type of the signature part.
const SIGNATURE_CONTENT_TYPE: &str = "application/xml";

/// Seals `outgoing` with `signer`: the document, its attachments and the signature over them.
pub fn seal(signer: &Signer, outgoing: &Outgoing<'_>) -> Result<Sealed, SealError> {
    let mut properties = MessageProperties::new(
        uuid::Uuid::new_v4().to_string(),
        outgoing.sender.as_str().to_owned(),
        outgoing.receiver.as_str().to_owned(),
        OffsetDateTime::now_utc(),
    );
    if let Some(digest) = outgoing.in_reply_to {
        properties = properties.in_reply_to(digest);
    }
    let uris: Vec<String> = std::iter::once(MESSAGE_CONTENT_ID)
        .chain(outgoing.attachments.iter().map(|p| p.content_id))
        .map(multipart::cid_url)
        .collect();
    let bodies =
        std::iter::once(outgoing.document).chain(outgoing.attachments.iter().map(|p| p.body));
    let parts: Vec<detached::Part<'_>> = uris.iter().map(String::as_str).zip(bodies).collect();
    let signature = detached::sign(signer, &parts, Some(&properties))
        .map_err(|e| SealError::Sign(e.to_string()))?;
    let mut attachments: Vec<Part<'_>> = outgoing.attachments.to_vec();
    attachments.push(Part {
        content_id: SIGNATURE_CONTENT_ID,
        content_type: SIGNATURE_CONTENT_TYPE,
        body: signature.as_bytes(),
    });
    let (content_type, body) =
        multipart::build(&rand::random::<[u8; 24]>(), outgoing.document, &attachments)
            .map_err(|e| SealError::Pack(e.to_string()))?;
    Ok(Sealed { content_type, body })
}

/// Opens a sealed message within `limits` and authenticates it with `signed`: the signature
/// must cover the document and every other part, verify, come from a federation member's
/// signing certificate, and name that member as the sender.
pub fn open<'b>(
    signed: &SignedMessages,
    limits: &MultipartLimits,
    content_type: Option<&str>,
    body: &'b [u8],
) -> Result<Opened<'b>, OpenError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media != "multipart/related" {
        return Err(OpenError::Malformed(if media.is_empty() {
            "the message has no Content-Type; send multipart/related".to_owned()
        } else {
            format!("Content-Type {media} is not multipart/related")
        }));
    }
    let parsed = multipart::parse(content_type.unwrap_or_default(), body, limits)
        .map_err(|e| OpenError::Malformed(e.to_string()))?;
    let signature = parsed.get(SIGNATURE_CONTENT_ID).ok_or_else(|| {
        OpenError::Unauthenticated(format!(
            "the message carries no signature part ({SIGNATURE_CONTENT_ID})"
        ))
    })?;
    let parts: Vec<Part<'b>> = parsed
        .parts()
        .iter()
        .filter(|p| p.content_id != SIGNATURE_CONTENT_ID)
        .copied()
        .collect();
    let resolve = |uri: &str| {
        let id = multipart::content_id_of(uri)?;
        parts.iter().find(|p| p.content_id == id).map(|p| p.body)
    };
    let (signer, verified, properties) =
        signed
            .verify_detached(signature.body, resolve)
            .map_err(|e| match e {
                SignatureProblem::Document(e) => OpenError::Malformed(format!(
                    "the signature part is not a readable document: {}",
                    e.detail
                )),
                other => OpenError::Unauthenticated(other.to_string()),
            })?;
    let uris: Vec<String> = parts
        .iter()
        .map(|p| multipart::cid_url(p.content_id))
        .collect();
    verified
        .check_covers(uris.iter().map(String::as_str))
        .map_err(|e| OpenError::Unauthenticated(e.to_string()))?;
    let sender: Option<MemberId> = properties.sender.parse().ok();
    if sender.as_ref() != Some(&signer) {
        return Err(OpenError::Unauthenticated(format!(
            "the message is signed by {signer}, but names {:?} as its sender",
            properties.sender
        )));
    }
    let root = parsed.root();
    Ok(Opened {
        document: Cow::Borrowed(root.body),
        attachments: parts
            .into_iter()
            .filter(|p| p.content_id != root.content_id)
            .map(Attachment::from)
            .collect(),
        signer,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::testkit::Kit;

    const SENDER: &str = "DE-HB:KOMMUNE:04011001";
    const RECEIVER: &str = "DE-HB:KOMMUNE:04011000";

    fn sealed(signed: &SignedMessages, evidence: &[u8], in_reply_to: Option<[u8; 32]>) -> Sealed {
        let (sender, receiver): (MemberId, MemberId) = (
            SENDER.parse().expect("member"),
            RECEIVER.parse().expect("member"),
        );
        let attachments = [Part {
            content_id: "evidence-1@once",
            content_type: "application/xml",
            body: evidence,
        }];
        seal(
            &signed.signer(),
            &Outgoing {
                document: b"<doc/>",
                attachments: &attachments,
                sender: &sender,
                receiver: &receiver,
                in_reply_to,
            },
        )
        .expect("sealed")
    }

    fn opened(signed: &SignedMessages, sealed: &Sealed) -> Result<(), OpenError> {
        open(
            signed,
            &MultipartLimits::default(),
            Some(&sealed.content_type),
            &sealed.body,
        )
        .map(|_| ())
    }

    #[test]
    fn what_is_sealed_opens_signed_by_its_sender_with_its_properties() {
        let mut kit = Kit::new();
        let sender = kit.member(SENDER);
        let sealed = sealed(&sender.signed, b"<evidence/>", Some([7; 32]));
        let opened = open(
            &sender.signed,
            &MultipartLimits::default(),
            Some(&sealed.content_type),
            &sealed.body,
        )
        .expect("opened");
        assert_eq!(&*opened.document, b"<doc/>");
        assert_eq!(opened.signer.as_str(), SENDER);
        assert_eq!(opened.properties.receiver, RECEIVER);
        assert_eq!(opened.properties.in_reply_to, Some([7; 32]));
        assert_eq!(
            opened.attachment("cid:evidence-1@once").map(|p| &*p.body),
            Some(&b"<evidence/>"[..])
        );
        assert!(opened.attachment(SIGNATURE_CONTENT_ID).is_none());
    }

    #[test]
    fn a_changed_part_an_unsigned_or_a_foreign_message_is_not_authenticated() {
        let mut kit = Kit::new();
        let sender = kit.member(SENDER);
        let mut changed = sealed(&sender.signed, b"<evidence>1</evidence>", None);
        let at = changed
            .body
            .windows(3)
            .position(|w| w == b">1<")
            .expect("the evidence");
        changed.body[at + 1] = b'2';
        assert!(matches!(
            opened(&sender.signed, &changed),
            Err(OpenError::Unauthenticated(_))
        ));
        let (content_type, body) =
            multipart::build(&[1; 24], b"<doc/>", &[]).expect("an unsigned message");
        let unsigned = Sealed { content_type, body };
        match opened(&sender.signed, &unsigned) {
            Err(OpenError::Unauthenticated(detail)) => assert!(detail.contains("no signature")),
            other => panic!("{other:?}"),
        }
        let mut other_kit = Kit::new();
        let foreign = other_kit.member(SENDER);
        let from_elsewhere = sealed(&foreign.signed, b"<evidence/>", None);
        assert!(matches!(
            opened(&sender.signed, &from_elsewhere),
            Err(OpenError::Unauthenticated(_))
        ));
        let bare = Sealed {
            content_type: "application/xml".into(),
            body: b"<doc/>".to_vec(),
        };
        assert!(matches!(
            opened(&sender.signed, &bare),
            Err(OpenError::Malformed(_))
        ));
    }
}
