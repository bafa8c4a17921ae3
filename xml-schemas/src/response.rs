//! The answer to an evidence request: `query:QueryResponse` of the OOTS Evidence Data Model, either
//! a success carrying evidence or a failure carrying one `rs:Exception`.
//!
//! Reading dispatches on `status`, finds slots by name (unknown slots and any slot named
//! `Signature` are ignored), takes every [`EdmVersion`] (2.0's package of evidence too) and
//! refuses a missing or invalid part with EDM:ERR:0003 and a detail naming the rule. Writing
//! writes the response's version in the profile the caller picks ([`Profile`]); the XML
//! validates against `schemas/once-exchange.xsd`, and in [`Profile::Oots`] passes the EDM 1.0
//! business rules.
//!
//! The binding of a response to the request it answers and to its evidence parts is the
//! transport's: the national envelope's detached signature names the request it answers and
//! covers every part (see `once_xml::dsig::detached`), as AS4 does on the EU network. Old
//! messages that still carry this node's former `RequestDigest` and `EvidenceDigest` slots are
//! read, the slots ignored like any unknown slot.

use time::{Date, OffsetDateTime};

use crate::EdmError;
use crate::profile::{Profile, Target};
use crate::sdg::{Agent, Distribution, LocalizedText, Subject};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
pub use crate::version::EdmVersion;
use crate::write::Writer;

mod error;
mod read;
mod write;

pub use error::{
    ErrorResponse, Exception, SEVERITY_ERROR, SEVERITY_PREVIEW_REQUIRED,
    SEVERITY_PREVIEW_REQUIRED_EC, Severity, reason,
};

/// `status` of a response that carries evidence.
pub const STATUS_SUCCESS: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success";
/// `status` of a response that carries an exception.
pub const STATUS_FAILURE: &str = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure";

/// A successful answer: the evidence, with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceResponse {
    /// The id of the request answered (`@requestId`), kept and written as `urn:uuid:<UUID>`.
    pub request_id: String,
    /// `EvidenceResponseIdentifier`, a UUID kept and written bare.
    pub response_id: String,
    /// The EDM version (`SpecificationIdentifier`): the request's.
    pub version: EdmVersion,
    /// `IssueDateTime`.
    pub issue_date_time: OffsetDateTime,
    /// `EvidenceRequester`.
    pub requester: Agent,
    /// `EvidenceProvider` (`EP`).
    pub provider: Agent,
    /// The evidence (`rim:RegistryObjectList`), at least one.
    pub evidence: Vec<EvidenceItem>,
}

/// One piece of evidence: a `rim:RegistryObject` with its metadata and a reference to the part
/// of the multipart message that carries it. A validity period is read over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    /// The registry object's `@id`, a UUID kept and written as `urn:uuid:<UUID>`.
    pub id: String,
    /// `sdg:Evidence/sdg:Identifier`, a UUID kept and written bare.
    pub evidence_id: String,
    /// `sdg:IsAbout`: whom the evidence is about, as in the request.
    pub subject: Subject,
    /// `sdg:IssuingAuthority`.
    pub issuing_authority: Agent,
    /// `sdg:IsConformantTo/sdg:EvidenceTypeClassification`, a Semantic Repository URI.
    pub classification: String,
    /// `sdg:IsConformantTo/sdg:Title`, at least one.
    pub titles: Vec<LocalizedText>,
    /// `sdg:IsConformantTo/sdg:Description`.
    pub descriptions: Vec<LocalizedText>,
    /// `sdg:IssuingDate`.
    pub issuing_date: Date,
    /// `sdg:Distribution`: the media type of the evidence and what it conforms to (a
    /// transformation is not written here).
    pub distribution: Distribution,
    /// `rim:RepositoryItemRef/@xlink:href`: `cid:` and the content id of the evidence part. The
    /// EDM 1.0 rules admit only lower-case letters and digits between `cid:` and the `@`
    /// (R-EDM-RESP-C042: `^cid:[a-z0-9]*@[a-z0-9]*`), so no hyphenated UUID.
    pub repository_item_ref: String,
    /// `rim:RepositoryItemRef/@xlink:title`, if given.
    pub repository_item_title: Option<String>,
}

/// A response: evidence or an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `status` Success.
    Evidence(EvidenceResponse),
    /// `status` Failure.
    Error(ErrorResponse),
}

impl Response {
    /// Reads a response from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<Response, EdmError> {
        Response::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a response from a parsed document, by its `status`.
    pub fn from_element(root: &Element) -> Result<Response, EdmError> {
        match read::status(root)? {
            STATUS_SUCCESS => EvidenceResponse::from_element(root).map(Response::Evidence),
            STATUS_FAILURE => ErrorResponse::from_element(root).map(Response::Error),
            other => Err(EdmError::invalid(format!(
                "QueryResponse status must be {STATUS_SUCCESS} or {STATUS_FAILURE}, not {other:?}"
            ))),
        }
    }

    /// Writes the response as XML in `profile`; a character XML 1.0 does not allow is refused
    /// with the field it is in (see
    /// [`EvidenceRequest::try_to_xml_as`](crate::request::EvidenceRequest::try_to_xml_as)).
    pub fn try_to_xml_as(&self, profile: Profile) -> Result<String, InvalidText> {
        match self {
            Response::Evidence(response) => response.try_to_xml_as(profile),
            Response::Error(response) => response.try_to_xml_as(profile),
        }
    }

    /// Writes the response as XML in `profile`; a character XML 1.0 does not allow is written
    /// as U+FFFD. Prefer [`Response::try_to_xml_as`], or check every text with [`crate::text`]
    /// first.
    pub fn to_xml_as(&self, profile: Profile) -> String {
        match self {
            Response::Evidence(response) => response.to_xml_as(profile),
            Response::Error(response) => response.to_xml_as(profile),
        }
    }

    /// The id of the request answered.
    pub fn request_id(&self) -> &str {
        match self {
            Response::Evidence(response) => &response.request_id,
            Response::Error(response) => &response.request_id,
        }
    }
}

impl EvidenceResponse {
    /// Reads a successful response from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<EvidenceResponse, EdmError> {
        EvidenceResponse::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a successful response from a parsed document.
    pub fn from_element(root: &Element) -> Result<EvidenceResponse, EdmError> {
        read::evidence_response(root)
    }

    /// Writes the response as XML in `profile`; a character XML 1.0 does not allow is refused
    /// with the field it is in (see
    /// [`EvidenceRequest::try_to_xml_as`](crate::request::EvidenceRequest::try_to_xml_as)).
    pub fn try_to_xml_as(&self, profile: Profile) -> Result<String, InvalidText> {
        self.write(profile).finish()
    }

    /// Writes the response as XML in `profile`; a character XML 1.0 does not allow is written
    /// as U+FFFD. Prefer [`EvidenceResponse::try_to_xml_as`].
    pub fn to_xml_as(&self, profile: Profile) -> String {
        self.write(profile).into_lossy()
    }

    fn write(&self, profile: Profile) -> Writer {
        write::evidence_response(
            self,
            Target {
                profile,
                version: self.version,
            },
        )
    }
}

#[cfg(test)]
mod tests;
