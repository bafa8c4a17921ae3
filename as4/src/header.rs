//! The `eb:Messaging` header of a user message (ebMS Core §5.2.2), written and read.

use once_xml::tree::Element;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{EbmsCode, EbmsError, header};
use crate::ns::EB;
use crate::xml::{self, attribute, one, optional, required_text};

/// A party (an access point) and its role in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// `eb:PartyId`.
    pub id: String,
    /// `eb:PartyId/@type`: the party id's scheme (required when the id is not a URI).
    pub id_type: Option<String>,
    /// `eb:Role`.
    pub role: String,
}

/// A property (`eb:Property`) of the message or of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// `@name`.
    pub name: String,
    /// `@type` (the OOTS profile puts the identifier scheme of `originalSender` and
    /// `finalRecipient` here).
    pub kind: Option<String>,
    /// The value.
    pub value: String,
}

impl Property {
    /// A property without type.
    pub fn new(name: &str, value: &str) -> Property {
        Property {
            name: name.to_owned(),
            kind: None,
            value: value.to_owned(),
        }
    }

    /// A property with a type.
    pub fn typed(name: &str, kind: &str, value: &str) -> Property {
        Property {
            name: name.to_owned(),
            kind: Some(kind.to_owned()),
            value: value.to_owned(),
        }
    }
}

/// A payload part the header announces (`eb:PartInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartInfo {
    /// `@href`: `cid:` and the MIME part's content id.
    pub href: String,
    /// `eb:PartProperties` (`MimeType`, `CompressionType`, …).
    pub properties: Vec<Property>,
}

impl PartInfo {
    /// The content id the part's `href` names.
    pub fn content_id(&self) -> Option<&str> {
        self.href.strip_prefix("cid:")
    }

    /// A part property's value.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }
}

/// The header of a user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    /// `eb:MessageInfo/eb:MessageId`: globally unique (`local@domain`).
    pub message_id: String,
    /// `eb:MessageInfo/eb:Timestamp`.
    pub timestamp: OffsetDateTime,
    /// `eb:MessageInfo/eb:RefToMessageId`: the message this one relates to.
    pub ref_to_message_id: Option<String>,
    /// `eb:PartyInfo/eb:From`.
    pub from: Party,
    /// `eb:PartyInfo/eb:To`.
    pub to: Party,
    /// `eb:CollaborationInfo/eb:AgreementRef`.
    pub agreement_ref: Option<String>,
    /// `eb:CollaborationInfo/eb:Service`.
    pub service: String,
    /// `eb:CollaborationInfo/eb:Service/@type`.
    pub service_type: Option<String>,
    /// `eb:CollaborationInfo/eb:Action`.
    pub action: String,
    /// `eb:CollaborationInfo/eb:ConversationId`.
    pub conversation_id: String,
    /// `eb:MessageProperties`.
    pub properties: Vec<Property>,
    /// `eb:PayloadInfo`: one per payload, in order.
    pub parts: Vec<PartInfo>,
}

impl UserMessage {
    /// A message property's value.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.name == name)
    }

    /// Every value a sender puts into the header, checked for characters XML 1.0 cannot carry.
    pub(crate) fn check_text(&self) -> Result<(), once_xml::text::InvalidText> {
        use once_xml::text::check;
        let parties = [&self.from, &self.to];
        for party in parties {
            check("PartyId", &party.id)?;
            check(
                "PartyId/@type",
                party.id_type.as_deref().unwrap_or_default(),
            )?;
            check("Role", &party.role)?;
        }
        for (field, value) in [
            ("MessageId", self.message_id.as_str()),
            (
                "RefToMessageId",
                self.ref_to_message_id.as_deref().unwrap_or_default(),
            ),
            (
                "AgreementRef",
                self.agreement_ref.as_deref().unwrap_or_default(),
            ),
            ("Service", &self.service),
            (
                "Service/@type",
                self.service_type.as_deref().unwrap_or_default(),
            ),
            ("Action", &self.action),
            ("ConversationId", &self.conversation_id),
        ] {
            check(field, value)?;
        }
        let properties = self
            .properties
            .iter()
            .chain(self.parts.iter().flat_map(|p| &p.properties));
        for property in properties {
            check("Property/@name", &property.name)?;
            check(
                "Property/@type",
                property.kind.as_deref().unwrap_or_default(),
            )?;
            check("Property", &property.value)?;
        }
        self.parts
            .iter()
            .try_for_each(|p| check("PartInfo/@href", &p.href))
    }

    /// Writes `eb:Messaging` (with `wsu:Id` = `messaging_id`, `S12:mustUnderstand="true"`)
    /// around this user message; the namespaces are declared on the envelope.
    pub(crate) fn write_messaging(&self, messaging_id: &str, out: &mut String) {
        out.push_str("<eb:Messaging S12:mustUnderstand=\"true\" wsu:Id=\"");
        xml::attr(out, messaging_id);
        out.push_str("\"><eb:UserMessage><eb:MessageInfo>");
        xml::leaf(out, "eb:Timestamp", &[], &timestamp(self.timestamp));
        xml::leaf(out, "eb:MessageId", &[], &self.message_id);
        if let Some(reference) = &self.ref_to_message_id {
            xml::leaf(out, "eb:RefToMessageId", &[], reference);
        }
        out.push_str("</eb:MessageInfo><eb:PartyInfo>");
        write_party(out, "eb:From", &self.from);
        write_party(out, "eb:To", &self.to);
        out.push_str("</eb:PartyInfo><eb:CollaborationInfo>");
        if let Some(agreement) = &self.agreement_ref {
            xml::leaf(out, "eb:AgreementRef", &[], agreement);
        }
        match &self.service_type {
            Some(kind) => xml::leaf(out, "eb:Service", &[("type", kind)], &self.service),
            None => xml::leaf(out, "eb:Service", &[], &self.service),
        }
        xml::leaf(out, "eb:Action", &[], &self.action);
        xml::leaf(out, "eb:ConversationId", &[], &self.conversation_id);
        out.push_str("</eb:CollaborationInfo>");
        if !self.properties.is_empty() {
            out.push_str("<eb:MessageProperties>");
            self.properties.iter().for_each(|p| write_property(out, p));
            out.push_str("</eb:MessageProperties>");
        }
        if !self.parts.is_empty() {
            out.push_str("<eb:PayloadInfo>");
            for part in &self.parts {
                out.push_str("<eb:PartInfo href=\"");
                xml::attr(out, &part.href);
                out.push_str("\"><eb:PartProperties>");
                part.properties.iter().for_each(|p| write_property(out, p));
                out.push_str("</eb:PartProperties></eb:PartInfo>");
            }
            out.push_str("</eb:PayloadInfo>");
        }
        out.push_str("</eb:UserMessage></eb:Messaging>");
    }

    /// Reads the one `eb:UserMessage` of `eb:Messaging`.
    pub(crate) fn read(messaging: &Element) -> Result<UserMessage, EbmsError> {
        if messaging.child(EB, "SignalMessage").is_some() {
            return Err(EbmsError::new(
                EbmsCode::FeatureNotSupported,
                "a user message bundled with a signal message is not supported",
            ));
        }
        let user = one(messaging, EB, "UserMessage")?;
        let info = one(user, EB, "MessageInfo")?;
        let message_id = required_text(one(info, EB, "MessageId")?)?;
        let read = |user: &Element| -> Result<UserMessage, EbmsError> {
            let stamp = required_text(one(info, EB, "Timestamp")?)?;
            let timestamp = OffsetDateTime::parse(&stamp, &Rfc3339).map_err(|_| {
                header(format!(
                    "Timestamp {stamp:?} is not an xsd:dateTime with zone"
                ))
            })?;
            let parties = one(user, EB, "PartyInfo")?;
            let collaboration = one(user, EB, "CollaborationInfo")?;
            let service = one(collaboration, EB, "Service")?;
            Ok(UserMessage {
                message_id: message_id.clone(),
                timestamp,
                ref_to_message_id: optional(info, EB, "RefToMessageId")?
                    .map(required_text)
                    .transpose()?,
                from: read_party(one(parties, EB, "From")?)?,
                to: read_party(one(parties, EB, "To")?)?,
                agreement_ref: optional(collaboration, EB, "AgreementRef")?
                    .map(required_text)
                    .transpose()?,
                service: required_text(service)?,
                service_type: attribute(service, None, "type"),
                action: required_text(one(collaboration, EB, "Action")?)?,
                conversation_id: required_text(one(collaboration, EB, "ConversationId")?)?,
                properties: optional(user, EB, "MessageProperties")?
                    .map(read_properties)
                    .transpose()?
                    .unwrap_or_default(),
                parts: optional(user, EB, "PayloadInfo")?
                    .map(read_parts)
                    .transpose()?
                    .unwrap_or_default(),
            })
        };
        read(user).map_err(|e| e.about(Some(&message_id)))
    }
}

/// An `xsd:dateTime` in UTC with milliseconds, as ebMS writes its timestamps.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

fn write_party(out: &mut String, name: &str, party: &Party) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match &party.id_type {
        Some(kind) => xml::leaf(out, "eb:PartyId", &[("type", kind)], &party.id),
        None => xml::leaf(out, "eb:PartyId", &[], &party.id),
    }
    xml::leaf(out, "eb:Role", &[], &party.role);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn write_property(out: &mut String, property: &Property) {
    match &property.kind {
        Some(kind) => xml::leaf(
            out,
            "eb:Property",
            &[("name", &property.name), ("type", kind)],
            &property.value,
        ),
        None => xml::leaf(
            out,
            "eb:Property",
            &[("name", &property.name)],
            &property.value,
        ),
    }
}

fn read_party(element: &Element) -> Result<Party, EbmsError> {
    let id = one(element, EB, "PartyId")?;
    Ok(Party {
        id: required_text(id)?,
        id_type: attribute(id, None, "type"),
        role: required_text(one(element, EB, "Role")?)?,
    })
}

fn read_properties(element: &Element) -> Result<Vec<Property>, EbmsError> {
    let properties: Vec<Property> = element
        .children_named(EB, "Property")
        .map(|p| {
            Ok(Property {
                name: attribute(p, None, "name").ok_or_else(|| header("a Property has no name"))?,
                kind: attribute(p, None, "type"),
                value: p.trimmed_text().to_owned(),
            })
        })
        .collect::<Result<_, EbmsError>>()?;
    if properties.is_empty() {
        return Err(header(format!("{} has no Property", element.local)));
    }
    Ok(properties)
}

fn read_parts(element: &Element) -> Result<Vec<PartInfo>, EbmsError> {
    element
        .children_named(EB, "PartInfo")
        .map(|part| {
            let href = attribute(part, None, "href").ok_or_else(|| {
                EbmsError::new(
                    EbmsCode::FeatureNotSupported,
                    "a PartInfo without href (a payload in the SOAP Body) is not supported: AS4 carries payloads as MIME parts",
                )
            })?;
            if !href.starts_with("cid:") {
                return Err(EbmsError::new(
                    EbmsCode::ValueNotRecognized,
                    format!("PartInfo href {href:?} is not a cid: reference to a MIME part"),
                ));
            }
            Ok(PartInfo {
                href,
                properties: optional(part, EB, "PartProperties")?
                    .map(read_properties)
                    .transpose()?
                    .unwrap_or_default(),
            })
        })
        .collect()
}
