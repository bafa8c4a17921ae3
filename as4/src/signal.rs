//! Signal messages: the receiver's synchronous answer to a user message (a signed
//! non-repudiation receipt, or a signed error signal), and the sender's reading of it.
//!
//! A receipt repeats, as `ebbp:NonRepudiationInformation`, every `ds:Reference` the sender
//! signed: signed itself, it proves what was received. The sender checks it was signed by the
//! partner's certificate, over its `eb:Messaging` and Body, refers to the message sent, and
//! acknowledges exactly the references sent ([`SignalOutcome::check_receipt`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use once_xml::tree::{self, Element};
use time::OffsetDateTime;

use crate::error::{EbmsCode, EbmsError, header};
use crate::header::timestamp;
use crate::keys::{Certificate, Credentials, OwnKeys};
use crate::ns::{self, DS, EB, EBBP, S12};
use crate::receive::{self, Limits, Received, Signed};
use crate::scan;
use crate::send::{self, SendError, Sent, SignatureIds, SignedReference};
use crate::xml::{self, one, optional, random_id, required_text};

/// A signal ready for the wire (the HTTP response to a user message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signal {
    /// `application/soap+xml; charset=UTF-8`.
    pub content_type: String,
    /// The SOAP envelope.
    pub body: Vec<u8>,
    /// Its `eb:MessageId`.
    pub message_id: String,
}

impl std::fmt::Display for SignalError {
    /// The code and what the partner said of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let said = self
            .detail
            .as_deref()
            .or(self.short_description.as_deref())
            .unwrap_or_default();
        write!(f, "{} {said}", self.code)
    }
}

/// An error a signal reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalError {
    /// `@errorCode` (`EBMS:0101`), as sent.
    pub code: String,
    /// The code, if it is one of ebMS's.
    pub known: Option<EbmsCode>,
    /// `@shortDescription`.
    pub short_description: Option<String>,
    /// `eb:ErrorDetail` or `eb:Description`.
    pub detail: Option<String>,
    /// `@refToMessageInError`.
    pub ref_to_message_in_error: Option<String>,
}

/// What a signal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalOutcome {
    /// A receipt of `ref_to_message_id` acknowledging these references.
    Receipt {
        /// Its `eb:MessageId`.
        message_id: String,
        /// The message it acknowledges.
        ref_to_message_id: String,
        /// The references it repeats.
        acknowledged: Vec<SignedReference>,
    },
    /// Errors.
    Errors {
        /// Its `eb:MessageId`.
        message_id: String,
        /// The message in error, if named.
        ref_to_message_id: Option<String>,
        /// The errors.
        errors: Vec<SignalError>,
    },
}

impl SignalOutcome {
    /// Checks that this is a receipt of `sent` acknowledging exactly what was signed.
    pub fn check_receipt(&self, sent: &Sent) -> Result<(), String> {
        match self {
            SignalOutcome::Receipt {
                ref_to_message_id,
                acknowledged,
                ..
            } => {
                if *ref_to_message_id != sent.header.message_id {
                    return Err(format!(
                        "the receipt refers to {ref_to_message_id}, not to {}",
                        sent.header.message_id
                    ));
                }
                if let Some(r) = acknowledged.iter().find(|r| !sent.references.contains(r)) {
                    return Err(format!(
                        "the receipt acknowledges {} that was not sent so",
                        r.uri
                    ));
                }
                if let Some(r) = sent.references.iter().find(|r| !acknowledged.contains(r)) {
                    return Err(format!("the receipt does not acknowledge {}", r.uri));
                }
                Ok(())
            }
            SignalOutcome::Errors { errors, .. } => Err(format!(
                "the partner refused the message: {}",
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
}

struct Ids {
    messaging: String,
    body: String,
    token: String,
    signature: String,
}

impl Ids {
    fn new() -> Ids {
        let id = random_id();
        Ids {
            messaging: format!("messaging-{id}"),
            body: format!("body-{id}"),
            token: format!("X509-signature-{id}"),
            signature: format!("SIG-{id}"),
        }
    }
}

impl SignatureIds for Ids {
    fn signature_ids(&self) -> (&str, &str) {
        (&self.signature, &self.token)
    }
}

/// The non-repudiation receipt of a message received, signed with the key of the suite the
/// message used.
pub fn receipt(
    received: &Received,
    me: &dyn OwnKeys,
    message_domain: &str,
) -> Result<Signal, SendError> {
    let me = me
        .for_suite(received.suite)
        .ok_or(SendError::Crypto("no key for the suite of the message"))?;
    let mut content = String::from("<eb:Receipt><ebbp:NonRepudiationInformation>");
    for reference in &received.references {
        content.push_str("<ebbp:MessagePartNRInformation>");
        reference.write(&mut content);
        content.push_str("</ebbp:MessagePartNRInformation>");
    }
    content.push_str("</ebbp:NonRepudiationInformation></eb:Receipt>");
    signal(
        Some(&received.header.message_id),
        &content,
        me,
        message_domain,
    )
}

/// The error signal for a refused message.
pub fn error(
    refused: &EbmsError,
    me: &Credentials,
    message_domain: &str,
) -> Result<Signal, SendError> {
    once_xml::text::check("ErrorDetail", &refused.detail)?;
    let mut content = String::from("<eb:Error");
    let mut attributes = vec![
        ("category", refused.code.category()),
        ("errorCode", refused.code.code()),
        ("origin", "ebMS"),
    ];
    if let Some(reference) = &refused.ref_to_message_id {
        attributes.push(("refToMessageInError", reference.as_str()));
    }
    attributes.push(("severity", refused.code.severity()));
    attributes.push(("shortDescription", refused.code.short_description()));
    for (name, value) in attributes {
        content.push(' ');
        content.push_str(name);
        content.push_str("=\"");
        xml::attr(&mut content, value);
        content.push('"');
    }
    content.push('>');
    xml::leaf(
        &mut content,
        "eb:Description",
        &[("xml:lang", "en")],
        refused.code.short_description(),
    );
    xml::leaf(&mut content, "eb:ErrorDetail", &[], &refused.detail);
    content.push_str("</eb:Error>");
    signal(
        refused.ref_to_message_id.as_deref(),
        &content,
        me,
        message_domain,
    )
}

fn signal(
    ref_to: Option<&str>,
    content: &str,
    me: &Credentials,
    message_domain: &str,
) -> Result<Signal, SendError> {
    if let Some(reference) = ref_to {
        once_xml::text::check("RefToMessageId", reference)?;
    }
    let ids = Ids::new();
    let message_id = format!("{}@{message_domain}", random_id());
    let mut messaging = format!(
        "<eb:Messaging S12:mustUnderstand=\"true\" wsu:Id=\"{}\"><eb:SignalMessage><eb:MessageInfo>",
        ids.messaging
    );
    xml::leaf(
        &mut messaging,
        "eb:Timestamp",
        &[],
        &timestamp(OffsetDateTime::now_utc()),
    );
    xml::leaf(&mut messaging, "eb:MessageId", &[], &message_id);
    if let Some(reference) = ref_to {
        xml::leaf(&mut messaging, "eb:RefToMessageId", &[], reference);
    }
    messaging.push_str("</eb:MessageInfo>");
    messaging.push_str(content);
    messaging.push_str("</eb:SignalMessage></eb:Messaging>");
    let body = format!("<S12:Body wsu:Id=\"{}\"></S12:Body>", ids.body);
    let references = [
        reference_to(&ids.messaging, &messaging)?,
        reference_to(&ids.body, &body)?,
    ];
    let signature = send::signature(&ids, &references, me)?;
    let mut envelope = String::with_capacity(4096 + messaging.len());
    envelope.push_str("<S12:Envelope");
    envelope.push_str(ns::DECLARATIONS);
    envelope.push_str("><S12:Header><wsse:Security S12:mustUnderstand=\"true\">");
    send::token(&mut envelope, &ids.token, me.certificate().der());
    envelope.push_str(&signature);
    envelope.push_str("</wsse:Security>");
    envelope.push_str(&messaging);
    envelope.push_str("</S12:Header>");
    envelope.push_str(&body);
    envelope.push_str("</S12:Envelope>");
    Ok(Signal {
        content_type: "application/soap+xml; charset=UTF-8".to_owned(),
        body: envelope.into_bytes(),
        message_id,
    })
}

fn reference_to(id: &str, markup: &str) -> Result<SignedReference, SendError> {
    use sha2::{Digest, Sha256};
    Ok(SignedReference {
        uri: format!("#{id}"),
        transforms: vec![ns::EXC_C14N.to_owned()],
        digest_method: ns::SHA256.to_owned(),
        digest_value: B64.encode(Sha256::digest(send::canonical_in_envelope(markup)?)),
    })
}

/// Reads a signal that came back from `partner`: its signature must be by exactly that
/// certificate and cover its `eb:Messaging` and Body.
pub fn read(
    body: &[u8],
    partner: &Certificate,
    limits: &Limits,
) -> Result<SignalOutcome, EbmsError> {
    let soap = std::str::from_utf8(body).map_err(|_| header("the signal is not UTF-8"))?;
    let envelope = tree::parse(body, &limits.envelope)
        .map_err(|e| header(format!("the signal cannot be read: {e}")))?;
    if !envelope.is(S12, "Envelope") {
        return Err(header("the signal is not a SOAP 1.2 Envelope"));
    }
    let layout = scan::scan(soap)?;
    let soap_header = one(&envelope, S12, "Header")?;
    let messaging = one(soap_header, EB, "Messaging")?;
    let signal = one(messaging, EB, "SignalMessage")?;
    let signed = Signed {
        soap,
        layout: &layout,
        security: receive::security(soap_header)?,
    };
    signed.verify(&[], |signer| {
        if signer.der() == partner.der() {
            Ok(())
        } else {
            Err(format!(
                "the signal is signed by {}, not by the partner {}",
                signer.subject(),
                partner.subject()
            ))
        }
    })?;
    let info = one(signal, EB, "MessageInfo")?;
    let message_id = required_text(one(info, EB, "MessageId")?)?;
    let ref_to = optional(info, EB, "RefToMessageId")?
        .map(required_text)
        .transpose()?;
    if let Some(receipt) = optional(signal, EB, "Receipt")? {
        let ref_to_message_id =
            ref_to.ok_or_else(|| header("the receipt names no RefToMessageId"))?;
        return Ok(SignalOutcome::Receipt {
            message_id,
            ref_to_message_id,
            acknowledged: acknowledged(receipt)?,
        });
    }
    let errors: Vec<SignalError> = signal.children_named(EB, "Error").map(read_error).collect();
    if errors.is_empty() {
        return Err(header("the signal is neither a receipt nor an error"));
    }
    Ok(SignalOutcome::Errors {
        message_id,
        ref_to_message_id: ref_to,
        errors,
    })
}

fn acknowledged(receipt: &Element) -> Result<Vec<SignedReference>, EbmsError> {
    let information = one(receipt, EBBP, "NonRepudiationInformation")?;
    let mut references = Vec::new();
    for part in information.children_named(EBBP, "MessagePartNRInformation") {
        for reference in part.children_named(DS, "Reference") {
            let transforms = optional(reference, DS, "Transforms")?
                .map(|t| {
                    t.children_named(DS, "Transform")
                        .map(|t| {
                            t.attribute(None, "Algorithm")
                                .unwrap_or_default()
                                .to_owned()
                        })
                        .collect()
                })
                .unwrap_or_default();
            references.push(SignedReference {
                uri: reference
                    .attribute(None, "URI")
                    .unwrap_or_default()
                    .to_owned(),
                transforms,
                digest_method: one(reference, DS, "DigestMethod")?
                    .attribute(None, "Algorithm")
                    .unwrap_or_default()
                    .to_owned(),
                digest_value: required_text(one(reference, DS, "DigestValue")?)?
                    .replace(char::is_whitespace, ""),
            });
        }
    }
    Ok(references)
}

fn read_error(error: &Element) -> SignalError {
    let code = error
        .attribute(None, "errorCode")
        .unwrap_or_default()
        .to_owned();
    let text = |local: &str| {
        error
            .child(EB, local)
            .map(|e| e.trimmed_text().to_owned())
            .filter(|t| !t.is_empty())
    };
    SignalError {
        known: EbmsCode::parse(&code),
        code,
        short_description: error.attribute(None, "shortDescription").map(str::to_owned),
        detail: text("ErrorDetail").or_else(|| text("Description")),
        ref_to_message_in_error: error
            .attribute(None, "refToMessageInError")
            .map(str::to_owned),
    }
}
