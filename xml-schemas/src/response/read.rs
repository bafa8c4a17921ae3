//! Reading a `query:QueryResponse` that carries evidence, and what error responses share.

use time::Date;

use super::{EvidenceItem, EvidenceResponse, STATUS_SUCCESS};
use crate::EdmError;
use crate::ids;
use crate::ns::{QUERY, RIM, RS, SDG, XSI};
use crate::sdg::{AgentClassification, Subject};
use crate::slots::sdg_read::{
    agent, distribution, legal_person_element, localized_all, localized_some,
    natural_person_element, principal, sdg_text, single_agent, sr_text,
};
use crate::slots::{DATE, Slots, date_time_value, single_child, single_sdg, string_value};
use crate::tree::Element;
use crate::version::EdmVersion;

/// XLink (`xlink:`), of `rim:RepositoryItemRef`'s attributes.
const XLINK: &str = "http://www.w3.org/1999/xlink";

/// The classification scheme of the objects in a 2.0 evidence package.
const EDM_CLASSIFICATION: &str = "urn:fdc:oots:classification:edm";

pub(super) fn evidence_response(root: &Element) -> Result<EvidenceResponse, EdmError> {
    let status = status(root)?;
    if status != STATUS_SUCCESS {
        return Err(EdmError::invalid(format!(
            "an evidence response has status {STATUS_SUCCESS}, not {status:?}"
        )));
    }
    if root.child(RS, "Exception").is_some() {
        return Err(EdmError::invalid(
            "a QueryResponse with status Success carries no Exception",
        ));
    }
    let slots = Slots::of(root)?;
    let list = single_child(root, RIM, "RegistryObjectList", "QueryResponse")?;
    let mut evidence = Vec::new();
    for object in evidence_objects(list)? {
        evidence.push(evidence_item(object)?);
    }
    if evidence.is_empty() {
        return Err(EdmError::invalid(
            "the RegistryObjectList of a successful response carries no RegistryObject",
        ));
    }
    Ok(EvidenceResponse {
        request_id: request_id(root)?,
        response_id: response_id(&slots)?,
        version: version(&slots)?,
        issue_date_time: date_time_value(slots.require("IssueDateTime")?)?,
        requester: single_agent(slots.require("EvidenceRequester")?)?,
        provider: principal(
            slots.require("EvidenceProvider")?,
            AgentClassification::EvidenceProvider,
        )?,
        evidence,
    })
}

/// The registry objects that carry evidence: those of the list, and those of a package in it
/// (2.0). Of a package, objects classified as other than the main evidence (translations,
/// annexes) are read over.
fn evidence_objects(list: &Element) -> Result<Vec<&Element>, EdmError> {
    let mut objects = Vec::new();
    for object in list.children_named(RIM, "RegistryObject") {
        if type_name(object) != "RegistryPackageType" {
            objects.push(object);
            continue;
        }
        let inner = single_child(object, RIM, "RegistryObjectList", "RegistryPackage")?;
        objects.extend(inner.children_named(RIM, "RegistryObject").filter(|o| {
            o.children_named(RIM, "Classification").all(|c| {
                c.attribute(None, "classificationScheme") != Some(EDM_CLASSIFICATION)
                    || c.attribute(None, "classificationNode") == Some("MainEvidence")
            })
        }));
    }
    Ok(objects)
}

/// The local name of an element's `xsi:type`, whatever its prefix.
fn type_name(element: &Element) -> &str {
    let declared = element.attribute(Some(XSI), "type").unwrap_or_default();
    declared.rsplit(':').next().unwrap_or(declared)
}

/// The `status` of a `query:QueryResponse` root.
pub(super) fn status(root: &Element) -> Result<&str, EdmError> {
    if !root.is(QUERY, "QueryResponse") {
        return Err(EdmError::invalid(format!(
            "the root element must be QueryResponse in namespace {QUERY}, not {} in {}",
            root.local,
            root.ns.as_deref().unwrap_or("no namespace")
        )));
    }
    root.attribute(None, "status")
        .map(str::trim)
        .ok_or_else(|| EdmError::invalid("QueryResponse lacks its status attribute"))
}

/// `@requestId`, as `urn:uuid:<UUID>` if it is a UUID.
pub(super) fn request_id(root: &Element) -> Result<String, EdmError> {
    root.attribute(None, "requestId")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| ids::urn_uuid(id).into_owned())
        .ok_or_else(|| EdmError::invalid("QueryResponse lacks its requestId attribute"))
}

/// `EvidenceResponseIdentifier`, the bare UUID if it is one.
pub(super) fn response_id(slots: &Slots<'_>) -> Result<String, EdmError> {
    let id = string_value(slots.require("EvidenceResponseIdentifier")?)?;
    Ok(ids::bare_uuid(&id).to_owned())
}

pub(super) fn version(slots: &Slots<'_>) -> Result<EdmVersion, EdmError> {
    string_value(slots.require("SpecificationIdentifier")?)?.parse()
}

fn evidence_item(object: &Element) -> Result<EvidenceItem, EdmError> {
    let id = object
        .attribute(None, "id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| EdmError::invalid("a RegistryObject of the response lacks its id"))?;
    let slots = Slots::of(object)?;
    let context = "EvidenceMetadata";
    let evidence = single_sdg(slots.require(context)?, "Evidence")?;
    let conformant = single_child(evidence, SDG, "IsConformantTo", context)?;
    let issued = sdg_text(evidence, "IssuingDate", context)?;
    let issuing_date = Date::parse(&issued, DATE).map_err(|_| {
        EdmError::invalid(format!(
            "EvidenceMetadata: IssuingDate must be a date like 2026-11-23, not {issued:?}"
        ))
    })?;
    let reference = single_child(object, RIM, "RepositoryItemRef", "RegistryObject")?;
    let href = reference
        .attribute(Some(XLINK), "href")
        .map(str::trim)
        .unwrap_or_default();
    if !href.starts_with("cid:") || href.len() == "cid:".len() {
        return Err(EdmError::invalid(format!(
            "RepositoryItemRef: xlink:href must be a cid: reference to a part of the message, not {href:?}"
        )));
    }
    Ok(EvidenceItem {
        id: ids::urn_uuid(id).into_owned(),
        evidence_id: ids::bare_uuid(&sdg_text(evidence, "Identifier", context)?).to_owned(),
        subject: is_about(single_child(evidence, SDG, "IsAbout", context)?)?,
        issuing_authority: agent(
            single_child(evidence, SDG, "IssuingAuthority", context)?,
            "EvidenceMetadata: IssuingAuthority",
        )?,
        classification: sr_text(
            conformant,
            "EvidenceTypeClassification",
            "EvidenceMetadata: IsConformantTo",
        )?,
        titles: localized_some(conformant, "Title", "EvidenceMetadata: IsConformantTo")?,
        descriptions: localized_all(conformant, "Description"),
        issuing_date,
        distribution: distribution(
            single_child(evidence, SDG, "Distribution", context)?,
            "EvidenceMetadata: Distribution",
        )?,
        repository_item_ref: href.to_owned(),
        repository_item_title: reference
            .attribute(Some(XLINK), "title")
            .map(ToOwned::to_owned),
    })
}

fn is_about(about: &Element) -> Result<Subject, EdmError> {
    match &about.children[..] {
        [person] if person.is(SDG, "NaturalPerson") => Ok(Subject::NaturalPerson(
            natural_person_element(person, "EvidenceMetadata: NaturalPerson")?,
        )),
        [org] if org.is(SDG, "LegalPerson") => Ok(Subject::LegalPerson(legal_person_element(
            org,
            "EvidenceMetadata: LegalPerson",
        )?)),
        _ => Err(EdmError::invalid(
            "EvidenceMetadata: IsAbout must carry one sdg:NaturalPerson or sdg:LegalPerson",
        )),
    }
}
