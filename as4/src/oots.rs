//! The ebMS3 header of the OOTS exchange (OOTS TDD, "ebMS3 Message Header"): service
//! `QueryManager` of type `urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0`, the three actions,
//! the access points as parties in the eDelivery gateway role, and the message properties
//! `originalSender` (the requester, C1), `finalRecipient` (the provider, C4), `ExchangeId`
//! (one per request/answer round trip) and `SpecificationId` (the EDM version). The EDM
//! document is the first payload (`application/x-ebrs+xml`), evidence follows it.

use time::OffsetDateTime;

use crate::header::{Party, Property, UserMessage};

/// `eb:Service`.
pub const SERVICE: &str = "QueryManager";
/// `eb:Service/@type`.
pub const SERVICE_TYPE: &str = "urn:oasis:names:tc:ebcore:ebrs:ebms:binding:1.0";
/// `eb:Role` of both access points.
pub const GATEWAY_ROLE: &str = "http://sdg.europa.eu/edelivery/gateway";
/// `eb:PartyId/@type` of an OOTS access point.
pub const PARTY_ID_TYPE: &str = "urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots";
/// The media type of the EDM document part.
pub const EBRS_MIME_TYPE: &str = "application/x-ebrs+xml";

/// `eb:Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// An evidence request.
    ExecuteQueryRequest,
    /// An evidence response.
    ExecuteQueryResponse,
    /// An error response.
    ExceptionResponse,
}

impl Action {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::ExecuteQueryRequest => "ExecuteQueryRequest",
            Action::ExecuteQueryResponse => "ExecuteQueryResponse",
            Action::ExceptionResponse => "ExceptionResponse",
        }
    }

    /// Reads one.
    pub fn parse(action: &str) -> Option<Action> {
        [
            Action::ExecuteQueryRequest,
            Action::ExecuteQueryResponse,
            Action::ExceptionResponse,
        ]
        .into_iter()
        .find(|a| a.as_str() == action)
    }
}

/// An identifier with its scheme (`urn:cef.eu:names:identifier:EAS:<code>` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemedId {
    /// The scheme (the property's `type`).
    pub scheme: String,
    /// The identifier.
    pub id: String,
}

/// What the OOTS header of one message says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OotsHeader {
    /// The sending access point's party id.
    pub from_party: String,
    /// The receiving access point's party id.
    pub to_party: String,
    /// The action.
    pub action: Action,
    /// `eb:ConversationId`.
    pub conversation_id: String,
    /// `eb:RefToMessageId` (an answer names the request's message).
    pub ref_to_message_id: Option<String>,
    /// `originalSender`: the evidence requester for a request, the provider for an answer.
    pub original_sender: SchemedId,
    /// `finalRecipient`.
    pub final_recipient: SchemedId,
    /// `ExchangeId`.
    pub exchange_id: String,
    /// `SpecificationId` (`oots-edm:v1.0` …).
    pub specification_id: String,
}

impl OotsHeader {
    /// The user message header (its parts are filled in when the message is built).
    pub fn to_user_message(&self, message_id: String, timestamp: OffsetDateTime) -> UserMessage {
        let party = |id: &str| Party {
            id: id.to_owned(),
            id_type: Some(PARTY_ID_TYPE.to_owned()),
            role: GATEWAY_ROLE.to_owned(),
        };
        UserMessage {
            message_id,
            timestamp,
            ref_to_message_id: self.ref_to_message_id.clone(),
            from: party(&self.from_party),
            to: party(&self.to_party),
            agreement_ref: None,
            service: SERVICE.to_owned(),
            service_type: Some(SERVICE_TYPE.to_owned()),
            action: self.action.as_str().to_owned(),
            conversation_id: self.conversation_id.clone(),
            properties: vec![
                Property::typed(
                    "originalSender",
                    &self.original_sender.scheme,
                    &self.original_sender.id,
                ),
                Property::typed(
                    "finalRecipient",
                    &self.final_recipient.scheme,
                    &self.final_recipient.id,
                ),
                Property::new("ExchangeId", &self.exchange_id),
                Property::new("SpecificationId", &self.specification_id),
            ],
            parts: Vec::new(),
        }
    }

    /// Reads the OOTS header of a user message, or says which of the TDD's rules it breaks
    /// (the OOTS answers such a request with an EDM `InvalidRequestException` naming the rule).
    pub fn read(message: &UserMessage) -> Result<OotsHeader, String> {
        if message.service != SERVICE || message.service_type.as_deref() != Some(SERVICE_TYPE) {
            return Err(format!(
                "the service is {:?} of type {:?}, not {SERVICE} of type {SERVICE_TYPE}",
                message.service,
                message.service_type.as_deref().unwrap_or_default()
            ));
        }
        let action = Action::parse(&message.action)
            .ok_or_else(|| format!("the action {:?} is not an OOTS action", message.action))?;
        for party in [&message.from, &message.to] {
            if party.role != GATEWAY_ROLE {
                return Err(format!("the role {:?} is not {GATEWAY_ROLE}", party.role));
            }
        }
        let schemed = |name: &str| -> Result<SchemedId, String> {
            let property = message
                .property(name)
                .ok_or_else(|| format!("the message property {name} is missing"))?;
            let scheme = property.kind.clone().ok_or_else(|| {
                format!("the message property {name} has no type (identifier scheme)")
            })?;
            if property.value.is_empty() {
                return Err(format!("the message property {name} is empty"));
            }
            Ok(SchemedId {
                scheme,
                id: property.value.clone(),
            })
        };
        let plain = |name: &str| -> Result<String, String> {
            message
                .property(name)
                .map(|p| p.value.clone())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("the message property {name} is missing"))
        };
        Ok(OotsHeader {
            from_party: message.from.id.clone(),
            to_party: message.to.id.clone(),
            action,
            conversation_id: message.conversation_id.clone(),
            ref_to_message_id: message.ref_to_message_id.clone(),
            original_sender: schemed("originalSender")?,
            final_recipient: schemed("finalRecipient")?,
            exchange_id: plain("ExchangeId")?,
            specification_id: plain("SpecificationId")?,
        })
    }
}
