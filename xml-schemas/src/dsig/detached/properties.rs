//! The message properties a detached signature binds: who sends to whom, when, which message,
//! in reply to which request.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::dsig::DsigError;
use crate::text;
use crate::tree::Element;
use crate::write::Writer;

/// The namespace of `mp:MessageProperties`.
pub const PROPERTIES_NS: &str = "urn:once:message-properties:1";

/// What the transport binds to a message besides its parts, signed in the `ds:Object` of the
/// detached signature as
///
/// ```xml
/// <mp:MessageProperties xmlns:mp="urn:once:message-properties:1">
///   <mp:MessageId>…</mp:MessageId><mp:Sender>…</mp:Sender><mp:Receiver>…</mp:Receiver>
///   <mp:Created>2025-01-31T12:00:00Z</mp:Created><mp:InReplyTo>base64</mp:InReplyTo>
/// </mp:MessageProperties>
/// ```
///
/// (`mp:InReplyTo` only in an answer). The string fields are single-line, non-empty text; what
/// they must be (a member id, a fresh id) is the transport's to check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageProperties {
    /// The message's id, chosen by the sender; unique, so that a replay can be recognised.
    pub message_id: String,
    /// The member id of the sending node.
    pub sender: String,
    /// The member id of the node the message is for.
    pub receiver: String,
    /// When the message was signed; written in UTC (RFC 3339).
    pub created: OffsetDateTime,
    /// In an answer: the SHA-256 of the request it replies to.
    pub in_reply_to: Option<[u8; 32]>,
}

impl MessageProperties {
    /// Properties of a message that replies to nothing (a request).
    pub fn new(
        message_id: impl Into<String>,
        sender: impl Into<String>,
        receiver: impl Into<String>,
        created: OffsetDateTime,
    ) -> MessageProperties {
        MessageProperties {
            message_id: message_id.into(),
            sender: sender.into(),
            receiver: receiver.into(),
            created,
            in_reply_to: None,
        }
    }

    /// The same properties for an answer to the request whose SHA-256 is `request_digest`.
    pub fn in_reply_to(mut self, request_digest: [u8; 32]) -> MessageProperties {
        self.in_reply_to = Some(request_digest);
        self
    }

    /// The string fields with their element names.
    fn texts(&self) -> [(&'static str, &str); 3] {
        [
            ("MessageId", &self.message_id),
            ("Sender", &self.sender),
            ("Receiver", &self.receiver),
        ]
    }

    /// Writes `mp:MessageProperties`, refused if a field is empty or not single-line text.
    pub(super) fn write(&self, out: &mut Writer) -> Result<(), DsigError> {
        out.push_str(&format!(
            r#"<mp:MessageProperties xmlns:mp="{PROPERTIES_NS}">"#
        ));
        for (name, value) in self.texts() {
            single_line(name, value)?;
            out.push_str(&format!("<mp:{name}>"));
            out.text(name, value);
            out.push_str(&format!("</mp:{name}>"));
        }
        let created = self
            .created
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|e| DsigError::Properties(format!("Created: {e}")))?;
        out.push_str(&format!("<mp:Created>{created}</mp:Created>"));
        if let Some(digest) = self.in_reply_to {
            out.push_str(&format!(
                "<mp:InReplyTo>{}</mp:InReplyTo>",
                BASE64.encode(digest)
            ));
        }
        out.push_str("</mp:MessageProperties>");
        Ok(())
    }

    /// Reads `mp:MessageProperties`: exactly the elements above in this order, without attributes
    /// or other content.
    pub(super) fn read(element: &Element) -> Result<MessageProperties, DsigError> {
        if !element.is(PROPERTIES_NS, "MessageProperties") {
            return Err(DsigError::Properties(format!(
                "the ds:Object must hold one mp:MessageProperties ({PROPERTIES_NS}), not {}",
                element.local
            )));
        }
        no_attributes(element)?;
        if !element.text.trim().is_empty() {
            return Err(DsigError::Properties(
                "mp:MessageProperties holds text; only its elements are allowed".into(),
            ));
        }
        let names = ["MessageId", "Sender", "Receiver", "Created", "InReplyTo"];
        let found: Vec<&str> = element.children.iter().map(|c| c.local.as_str()).collect();
        let in_order = (4..=5).contains(&found.len())
            && element
                .children
                .iter()
                .zip(names)
                .all(|(child, name)| child.is(PROPERTIES_NS, name));
        if !in_order {
            return Err(DsigError::Properties(format!(
                "mp:MessageProperties must hold exactly mp:{} (the last only in an answer), not [{}]",
                names.join(", mp:"),
                found.join(", ")
            )));
        }
        let text = |i: usize| leaf(&element.children[i], names[i]);
        let created = OffsetDateTime::parse(text(3)?, &Rfc3339).map_err(|e| {
            DsigError::Properties(format!("Created is not an RFC 3339 date-time ({e})"))
        })?;
        let in_reply_to = match element.children.get(4) {
            Some(child) => Some(sha256_digest(leaf(child, names[4])?)?),
            None => None,
        };
        Ok(MessageProperties {
            message_id: text(0)?.to_owned(),
            sender: text(1)?.to_owned(),
            receiver: text(2)?.to_owned(),
            created,
            in_reply_to,
        })
    }
}

/// The text of a property element: no attributes, no children, non-empty single-line text.
fn leaf<'e>(element: &'e Element, name: &str) -> Result<&'e str, DsigError> {
    no_attributes(element)?;
    if let Some(child) = element.children.first() {
        return Err(DsigError::Properties(format!(
            "{name} holds the element {}; only text is allowed",
            child.local
        )));
    }
    single_line(name, &element.text)?;
    Ok(&element.text)
}

fn no_attributes(element: &Element) -> Result<(), DsigError> {
    match element.attributes.first() {
        None => Ok(()),
        Some(attribute) => Err(DsigError::Properties(format!(
            "{} has the attribute {}; none is allowed",
            element.local, attribute.local
        ))),
    }
}

fn single_line(name: &str, value: &str) -> Result<(), DsigError> {
    if value.is_empty() {
        return Err(DsigError::Properties(format!("{name} is empty")));
    }
    text::check_line(name, value).map_err(|e| DsigError::Properties(e.to_string()))
}

/// A base64 SHA-256 digest.
fn sha256_digest(value: &str) -> Result<[u8; 32], DsigError> {
    let bytes = BASE64
        .decode(value)
        .map_err(|_| DsigError::Properties("InReplyTo is not valid base64".into()))?;
    <[u8; 32]>::try_from(bytes).map_err(|bytes| {
        DsigError::Properties(format!(
            "InReplyTo has {} bytes; a SHA-256 digest has 32",
            bytes.len()
        ))
    })
}
