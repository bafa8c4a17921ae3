//! The evidence request: `query:QueryRequest` of the OOTS Evidence Data Model.
//!
//! Reading finds slots by name, never by position; a missing mandatory slot, a slot given twice,
//! a value of the wrong shape, an invalid tax identification number → EDM:ERR:0003 with a detail
//! that names the slot and the rule. Writing produces XML that validates against
//! `schemas/once-exchange.xsd`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::EdmError;
use crate::ns::{QUERY, SDG};
pub use crate::sdg::{
    Agent, Distribution, EvidenceType, Identifier, LegalPerson, LocalizedText, MEMBER_SCHEME,
    NaturalPerson, Requirement, Subject, TAX_ID_SCHEME,
};
use crate::slots::{
    Slots, any_values, date_time_value, distribution, distribution_write, element, legal_person,
    legal_person_write, localized_child, localized_element, localized_value, natural_person,
    natural_person_write, sdg_text, simple_element, single_agent, single_child, single_sdg,
    slot_agent, slot_localized, slot_name, slot_string, slot_typed, string_value, titles,
};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
use crate::write::Writer;

/// The specification identifier this node writes.
pub const SPECIFICATION_IDENTIFIER: &str = "oots-edm:v1.0";

/// An evidence request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRequest {
    /// The request id (`@id`).
    pub id: String,
    /// `SpecificationIdentifier`, e.g. `oots-edm:v1.0`.
    pub specification_identifier: String,
    /// `IssueDateTime`.
    pub issue_date_time: OffsetDateTime,
    /// `Procedure`: what the evidence is needed for.
    pub procedure: LocalizedText,
    /// `PossibilityForPreview`.
    pub possibility_for_preview: bool,
    /// `ExplicitRequestGiven`.
    pub explicit_request_given: bool,
    /// `PreviewLocation`, in a request sent again after a preview.
    pub preview_location: Option<String>,
    /// `LegalBasis` (an extension slot of this federation): the law the requester relies on;
    /// providers match it in their access rules.
    pub legal_basis: Option<String>,
    /// `Requirements`.
    pub requirements: Vec<Requirement>,
    /// `EvidenceRequester`.
    pub requester: Agent,
    /// `EvidenceProvider`.
    pub provider: Agent,
    /// `NaturalPerson` or `LegalPerson` in the query.
    pub subject: Subject,
    /// `EvidenceRequest` in the query.
    pub evidence_type: EvidenceType,
}

const MANDATORY_SLOTS: [&str; 8] = [
    "SpecificationIdentifier",
    "IssueDateTime",
    "Procedure",
    "PossibilityForPreview",
    "ExplicitRequestGiven",
    "Requirements",
    "EvidenceRequester",
    "EvidenceProvider",
];

impl EvidenceRequest {
    /// Reads a request from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<EvidenceRequest, EdmError> {
        EvidenceRequest::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a request from a parsed document.
    pub fn from_element(root: &Element) -> Result<EvidenceRequest, EdmError> {
        if !root.is(QUERY, "QueryRequest") {
            return Err(EdmError::invalid(format!(
                "the root element must be QueryRequest in namespace {QUERY}, not {} in {}",
                root.local,
                root.ns.as_deref().unwrap_or("no namespace")
            )));
        }
        let id = root
            .attribute(None, "id")
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| EdmError::invalid("QueryRequest lacks its id attribute"))?
            .to_owned();
        let slots = Slots::of(root)?;
        for name in MANDATORY_SLOTS {
            slots.require(name)?;
        }
        let query = single_child(root, QUERY, "Query", "QueryRequest")?;
        let query_slots = Slots::of(query)?;
        let subject = match (
            query_slots.get("NaturalPerson"),
            query_slots.get("LegalPerson"),
        ) {
            (Some(person), None) => Subject::NaturalPerson(natural_person(person)?),
            (None, Some(org)) => Subject::LegalPerson(legal_person(org)?),
            (Some(_), Some(_)) => {
                return Err(EdmError::invalid(
                    "the query names both a NaturalPerson and a LegalPerson; name one subject",
                ));
            }
            (None, None) => {
                return Err(EdmError::invalid(
                    "the query lacks the subject: a NaturalPerson or LegalPerson slot",
                ));
            }
        };
        let evidence_type = evidence_type(query_slots.require("EvidenceRequest")?)?;
        Ok(EvidenceRequest {
            id,
            specification_identifier: string_value(slots.require("SpecificationIdentifier")?)?,
            issue_date_time: date_time_value(slots.require("IssueDateTime")?)?,
            procedure: localized_value(slots.require("Procedure")?)?,
            possibility_for_preview: bool_value(slots.require("PossibilityForPreview")?)?,
            explicit_request_given: bool_value(slots.require("ExplicitRequestGiven")?)?,
            preview_location: slots.get("PreviewLocation").map(string_value).transpose()?,
            legal_basis: slots.get("LegalBasis").map(string_value).transpose()?,
            requirements: any_values(slots.require("Requirements")?)
                .into_iter()
                .map(requirement)
                .collect::<Result<_, _>>()?,
            requester: single_agent(slots.require("EvidenceRequester")?)?,
            provider: single_agent(slots.require("EvidenceProvider")?)?,
            subject,
            evidence_type,
        })
    }

    /// Writes the request as XML. A character XML 1.0 does not allow (see [`crate::text`]) is
    /// refused with the field it is in: callers check their input with [`crate::text`] at their
    /// boundary, so this is a last line of defence, not the place to tell a person.
    pub fn try_to_xml(&self) -> Result<String, InvalidText> {
        self.write().finish()
    }

    /// Writes the request as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`EvidenceRequest::try_to_xml`], or check every text with [`crate::text`] first.
    pub fn to_xml(&self) -> String {
        self.write().into_lossy()
    }

    fn write(&self) -> Writer {
        let mut out = Writer::with_capacity(4096);
        out.push_str(concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" "#,
            r#"xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" "#,
            r#"xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" "#,
            r#"xmlns:sdg="http://data.europa.eu/p4s" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id=""#
        ));
        out.attr("QueryRequest/@id", &self.id);
        out.push_str("\">");
        slot_string(
            &mut out,
            "SpecificationIdentifier",
            &self.specification_identifier,
        );
        let issued = self
            .issue_date_time
            .format(&Rfc3339)
            .unwrap_or_else(|_| self.issue_date_time.to_string());
        slot_typed(&mut out, "IssueDateTime", "rim:DateTimeValueType", &issued);
        slot_localized(&mut out, "Procedure", &self.procedure);
        slot_typed(
            &mut out,
            "PossibilityForPreview",
            "rim:BooleanValueType",
            bool_text(self.possibility_for_preview),
        );
        slot_typed(
            &mut out,
            "ExplicitRequestGiven",
            "rim:BooleanValueType",
            bool_text(self.explicit_request_given),
        );
        if let Some(location) = &self.preview_location {
            slot_string(&mut out, "PreviewLocation", location);
        }
        if let Some(basis) = &self.legal_basis {
            slot_string(&mut out, "LegalBasis", basis);
        }
        out.push_str(r#"<rim:Slot name="Requirements"><rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set">"#);
        for (i, requirement) in self.requirements.iter().enumerate() {
            out.push_str(r#"<rim:Element xsi:type="rim:AnyValueType">"#);
            out.within(
                || format!("Requirements[{i}]"),
                |out| {
                    element(out, "sdg:Requirement", |out| {
                        simple_element(out, "sdg:Identifier", &requirement.identifier);
                        localized_element(out, "sdg:Name", &requirement.name);
                    });
                },
            );
            out.push_str("</rim:Element>");
        }
        out.push_str("</rim:SlotValue></rim:Slot>");
        slot_agent(&mut out, "EvidenceRequester", &self.requester);
        slot_agent(&mut out, "EvidenceProvider", &self.provider);
        out.push_str(r#"<query:ResponseOption returnType="LeafClassWithRepositoryItem"/><query:Query queryDefinition="DocumentQuery">"#);
        match &self.subject {
            Subject::NaturalPerson(person) => {
                out.push_str(
                    r#"<rim:Slot name="NaturalPerson"><rim:SlotValue xsi:type="rim:AnyValueType">"#,
                );
                out.within(
                    || "NaturalPerson".into(),
                    |out| natural_person_write(out, "sdg:Person", person),
                );
                out.push_str("</rim:SlotValue></rim:Slot>");
            }
            Subject::LegalPerson(org) => {
                out.push_str(
                    r#"<rim:Slot name="LegalPerson"><rim:SlotValue xsi:type="rim:AnyValueType">"#,
                );
                out.within(|| "LegalPerson".into(), |out| legal_person_write(out, org));
                out.push_str("</rim:SlotValue></rim:Slot>");
            }
        }
        out.push_str(
            r#"<rim:Slot name="EvidenceRequest"><rim:SlotValue xsi:type="rim:AnyValueType">"#,
        );
        out.within(
            || "EvidenceRequest".into(),
            |out| {
                element(out, "sdg:DataServiceEvidenceType", |out| {
                    self.evidence_type.write(out)
                })
            },
        );
        out.push_str("</rim:SlotValue></rim:Slot></query:Query></query:QueryRequest>\n");
        out
    }
}

impl EvidenceType {
    fn write(&self, out: &mut Writer) {
        simple_element(out, "sdg:Identifier", &self.identifier);
        simple_element(out, "sdg:EvidenceTypeClassification", &self.classification);
        for title in &self.titles {
            localized_element(out, "sdg:Title", title);
        }
        for distribution in &self.distributions {
            distribution_write(out, "sdg:DistributedAs", distribution);
        }
    }
}

fn bool_value(slot: &Element) -> Result<bool, EdmError> {
    match string_value(slot)?.as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(EdmError::invalid(format!(
            "the slot {} must be true or false, not {other:?}",
            slot_name(slot)
        ))),
    }
}

fn requirement(element: &Element) -> Result<Requirement, EdmError> {
    if !element.is(SDG, "Requirement") {
        return Err(EdmError::invalid(format!(
            "Requirements must carry sdg:Requirement elements, not {}",
            element.local
        )));
    }
    Ok(Requirement {
        identifier: sdg_text(element, "Identifier", "Requirement")?,
        name: localized_child(element, "Name", "Requirement")?,
    })
}

fn evidence_type(slot: &Element) -> Result<EvidenceType, EdmError> {
    let evidence = single_sdg(slot, "DataServiceEvidenceType")?;
    let titles = titles(evidence, "EvidenceRequest")?;
    let distributions = evidence
        .children_named(SDG, "DistributedAs")
        .map(|d| distribution(d, "EvidenceRequest: DistributedAs"))
        .collect::<Result<Vec<_>, EdmError>>()?;
    if distributions.is_empty() {
        return Err(EdmError::invalid(
            "EvidenceRequest: DistributedAs is missing",
        ));
    }
    Ok(EvidenceType {
        identifier: sdg_text(evidence, "Identifier", "EvidenceRequest")?,
        classification: sdg_text(evidence, "EvidenceTypeClassification", "EvidenceRequest")?,
        titles,
        distributions,
    })
}

fn bool_text(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}
