//! The evidence request: `query:QueryRequest` of the OOTS Evidence Data Model.
//!
//! Reading ([`EvidenceRequest::from_xml`]) finds slots by name, never by position, and takes
//! what OOTS implementations write in any version of [`EdmVersion`] (see `slots.rs` for
//! how liberally); a missing mandatory slot, a slot given twice, a value of the wrong shape, an
//! invalid tax identification number → EDM:ERR:0003 with a detail that names the slot and the
//! rule. Writing ([`EvidenceRequest::try_to_xml_as`]) writes the request's version in the
//! profile the caller picks ([`Profile`]); the XML validates against
//! `schemas/once-exchange.xsd`, and in [`Profile::Oots`] passes the EDM 1.0 business rules.
//!
//! Read over (not kept): an intermediary platform beside the requester in `EvidenceRequester`,
//! the `EvidenceProviderClassification` slot (the user's answers to the Data Service Directory's
//! questions, which only chose this provider), `PreviewMethod`, and the `sdg:` elements
//! [`crate::sdg`] names for each type. A slot named `Signature` is never looked up.

use time::OffsetDateTime;

use crate::EdmError;
use crate::profile::{Profile, Target};
pub use crate::sdg::{
    Address, Agent, AgentClassification, Distribution, EIDAS_SCHEME, EvidenceType, Identifier,
    LegalPerson, LevelOfAssurance, LocalizedText, MEMBER_SCHEME, NaturalPerson, PersonIdentifier,
    Procedure, ProcedureCode, Requirement, Subject, TAX_ID_SCHEME,
};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
pub use crate::version::EdmVersion;

mod read;
mod write;

/// An evidence request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRequest {
    /// The request id (`@id`): a UUID, kept and written as `urn:uuid:<UUID>` (see
    /// [`crate::ids`]).
    pub id: String,
    /// The EDM version (`SpecificationIdentifier`) the request is written in; the response
    /// answers in the same.
    pub version: EdmVersion,
    /// `IssueDateTime`.
    pub issue_date_time: OffsetDateTime,
    /// `Procedure`: what the evidence is needed for. The EDM only recommends it
    /// (R-EDM-REQ-S007); [`Profile::Oots`] writes a [`Procedure::Code`] only.
    pub procedure: Option<Procedure>,
    /// `PossibilityForPreview`.
    pub possibility_for_preview: bool,
    /// `ExplicitRequestGiven`.
    pub explicit_request_given: bool,
    /// `PreviewLocation`, in a request sent again after a preview.
    pub preview_location: Option<String>,
    /// `LegalBasis`: the law the requester relies on, which providers match in their access
    /// rules. An extension of the German profile: written in [`Profile::De`] only.
    pub legal_basis: Option<String>,
    /// `Requirements` (recommended, R-EDM-REQ-S011; written if not empty).
    pub requirements: Vec<Requirement>,
    /// `EvidenceRequester`: the requester (`ER`); an intermediary platform beside it is read
    /// over.
    pub requester: Agent,
    /// `EvidenceProvider`.
    pub provider: Agent,
    /// `NaturalPerson` or `LegalPerson` in the query.
    pub subject: Subject,
    /// `AuthorizedRepresentative` in the query: a person acting for the subject, if any.
    pub representative: Option<NaturalPerson>,
    /// `EvidenceRequest` in the query.
    pub evidence_type: EvidenceType,
}

impl EvidenceRequest {
    /// Reads a request from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<EvidenceRequest, EdmError> {
        EvidenceRequest::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a request from a parsed document.
    pub fn from_element(root: &Element) -> Result<EvidenceRequest, EdmError> {
        read::request(root)
    }

    /// Writes the request as XML in `profile`. A character XML 1.0 does not allow (see
    /// [`crate::text`]) is refused with the field it is in: callers check their input with
    /// [`crate::text`] at their boundary, so this is a last line of defence, not the place to
    /// tell a person.
    pub fn try_to_xml_as(&self, profile: Profile) -> Result<String, InvalidText> {
        self.write(profile).finish()
    }

    /// Writes the request as XML in `profile`; a character XML 1.0 does not allow is written as
    /// U+FFFD. Prefer [`EvidenceRequest::try_to_xml_as`], or check every text with
    /// [`crate::text`] first.
    pub fn to_xml_as(&self, profile: Profile) -> String {
        self.write(profile).into_lossy()
    }

    fn write(&self, profile: Profile) -> crate::write::Writer {
        write::request(
            self,
            Target {
                profile,
                version: self.version,
            },
        )
    }
}
