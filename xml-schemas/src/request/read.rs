//! Reading a `query:QueryRequest`.

use super::EvidenceRequest;
use crate::EdmError;
use crate::ids;
use crate::ns::{QUERY, SDG};
use crate::sdg::{
    AgentClassification, EvidenceType, LocalizedText, Procedure, ProcedureCode, Requirement,
    Subject,
};
use crate::slots::sdg_read::{
    distribution, legal_person, localized_all, localized_some, natural_person, principal, sdg_text,
    single_agent, sr_text,
};
use crate::slots::{
    Slots, any_values, bool_value, date_time_value, localized_values, single_child, single_sdg,
    string_value, value_type,
};
use crate::tree::Element;
use crate::version::EdmVersion;

/// The slots of a request without which it is refused. `Procedure` and `Requirements` are only
/// recommended (R-EDM-REQ-S007, S011).
const MANDATORY_SLOTS: [&str; 6] = [
    "SpecificationIdentifier",
    "IssueDateTime",
    "PossibilityForPreview",
    "ExplicitRequestGiven",
    "EvidenceRequester",
    "EvidenceProvider",
];

pub(super) fn request(root: &Element) -> Result<EvidenceRequest, EdmError> {
    if !root.is(QUERY, "QueryRequest") {
        return Err(EdmError::invalid(format!(
            "the root element must be QueryRequest in namespace {QUERY}, not {} in {}",
            root.local,
            root.ns.as_deref().unwrap_or("no namespace")
        )));
    }
    let id = root
        .attribute(None, "id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| EdmError::invalid("QueryRequest lacks its id attribute"))?;
    let slots = Slots::of(root)?;
    for name in MANDATORY_SLOTS {
        slots.require(name)?;
    }
    let version: EdmVersion = string_value(slots.require("SpecificationIdentifier")?)?.parse()?;
    let query = single_child(root, QUERY, "Query", "QueryRequest")?;
    let query_slots = Slots::of(query)?;
    Ok(EvidenceRequest {
        id: ids::urn_uuid(id).into_owned(),
        version,
        issue_date_time: date_time_value(slots.require("IssueDateTime")?)?,
        procedure: slots.get("Procedure").map(procedure).transpose()?,
        possibility_for_preview: bool_value(slots.require("PossibilityForPreview")?)?,
        explicit_request_given: bool_value(slots.require("ExplicitRequestGiven")?)?,
        preview_location: slots.get("PreviewLocation").map(string_value).transpose()?,
        legal_basis: slots.get("LegalBasis").map(string_value).transpose()?,
        requirements: match slots.get("Requirements") {
            Some(slot) => any_values(slot)
                .into_iter()
                .map(requirement)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        },
        requester: principal(
            slots.require("EvidenceRequester")?,
            AgentClassification::EvidenceRequester,
        )?,
        provider: single_agent(slots.require("EvidenceProvider")?)?,
        subject: subject(&query_slots)?,
        representative: query_slots
            .get("AuthorizedRepresentative")
            .map(natural_person)
            .transpose()?,
        evidence_type: evidence_type(query_slots.require("EvidenceRequest")?)?,
    })
}

fn subject(query_slots: &Slots<'_>) -> Result<Subject, EdmError> {
    match (
        query_slots.get("NaturalPerson"),
        query_slots.get("LegalPerson"),
    ) {
        (Some(person), None) => Ok(Subject::NaturalPerson(natural_person(person)?)),
        (None, Some(org)) => Ok(Subject::LegalPerson(legal_person(org)?)),
        (Some(_), Some(_)) => Err(EdmError::invalid(
            "the query names both a NaturalPerson and a LegalPerson; name one subject",
        )),
        (None, None) => Err(EdmError::invalid(
            "the query lacks the subject: a NaturalPerson or LegalPerson slot",
        )),
    }
}

/// The procedure: a `StringValueType` (2.0) or `InternationalStringValueType` (1.x) whose value
/// is a code of the Procedures list, else free text (of several localized strings, the first
/// code or else the first text).
fn procedure(slot: &Element) -> Result<Procedure, EdmError> {
    let texts = if value_type(slot)? == "StringValueType" {
        vec![LocalizedText {
            lang: None,
            value: string_value(slot)?,
        }]
    } else {
        localized_values(slot)?
    };
    if let Some(code) = texts.iter().find_map(|t| ProcedureCode::new(&t.value)) {
        return Ok(Procedure::Code(code));
    }
    let mut texts = texts;
    Ok(Procedure::Text(texts.swap_remove(0)))
}

fn requirement(element: &Element) -> Result<Requirement, EdmError> {
    if !element.is(SDG, "Requirement") {
        return Err(EdmError::invalid(format!(
            "Requirements must carry sdg:Requirement elements, not {}",
            element.local
        )));
    }
    Ok(Requirement {
        identifier: sr_text(element, "Identifier", "Requirement")?,
        names: localized_some(element, "Name", "Requirement")?,
    })
}

fn evidence_type(slot: &Element) -> Result<EvidenceType, EdmError> {
    let context = "EvidenceRequest";
    let evidence = single_sdg(slot, "DataServiceEvidenceType")?;
    let distributed_as = evidence
        .child(SDG, "DistributedAs")
        .ok_or_else(|| EdmError::invalid("EvidenceRequest: DistributedAs is missing"))?;
    Ok(EvidenceType {
        identifier: ids::bare_uuid(&sdg_text(evidence, "Identifier", context)?).to_owned(),
        classification: sr_text(evidence, "EvidenceTypeClassification", context)?,
        titles: localized_some(evidence, "Title", context)?,
        descriptions: localized_all(evidence, "Description"),
        distribution: distribution(distributed_as, "EvidenceRequest: DistributedAs")?,
    })
}
