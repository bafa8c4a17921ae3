//! The evidence request: `query:QueryRequest` of the OOTS Evidence Data Model.
//!
//! Reading finds slots by name, never by position; a missing mandatory slot, a slot given twice,
//! a value of the wrong shape, an invalid tax identification number → EDM:ERR:0003 with a detail
//! that names the slot and the rule. Writing produces XML that validates against
//! `schemas/once-exchange.xsd`.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::ns::{QUERY, RIM, SDG, XML};
use crate::taxid::TaxId;
use crate::tree::{self, Element, Limits};
use crate::{EdmError, write};

/// The specification identifier this node writes.
pub const SPECIFICATION_IDENTIFIER: &str = "oots-edm:v1.0";

/// The identifier scheme of federation members in `sdg:Agent/sdg:Identifier/@schemeID`.
pub const MEMBER_SCHEME: &str = "urn:once:member";

/// The identifier scheme of the German tax identification number in
/// `sdg:Person/sdg:Identifier/@schemeID`; identifiers of this scheme are checked (11 digits, check
/// digit).
pub const TAX_ID_SCHEME: &str = "urn:once:scheme:de:steuer-idnr";

/// A text in a language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalizedText {
    /// Language code (`en`, `de`), if given.
    pub lang: Option<String>,
    /// The text.
    pub value: String,
}

/// An identifier with its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    /// The scheme (`schemeID`), if given.
    pub scheme: Option<String>,
    /// The identifier.
    pub value: String,
}

/// A party of the exchange (`sdg:Agent`): requester or provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Its identifier; for federation members the member id with scheme [`MEMBER_SCHEME`].
    pub identifier: Identifier,
    /// Its name.
    pub name: LocalizedText,
}

/// A requirement the evidence satisfies (`sdg:Requirement`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Its identifier.
    pub identifier: String,
    /// Its name.
    pub name: LocalizedText,
}

/// A natural person the evidence is about (`sdg:Person`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaturalPerson {
    /// Level of assurance of the person's authentication, if given.
    pub level_of_assurance: Option<String>,
    /// Identifier; with scheme [`TAX_ID_SCHEME`] a valid German tax identification number.
    pub identifier: Option<Identifier>,
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
}

impl NaturalPerson {
    /// The German tax identification number, if the identifier is one.
    pub fn tax_id(&self) -> Option<TaxId> {
        let id = self.identifier.as_ref()?;
        (id.scheme.as_deref() == Some(TAX_ID_SCHEME))
            .then(|| id.value.parse().ok())
            .flatten()
    }
}

/// A legal person the evidence is about (`sdg:LegalPerson`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalPerson {
    /// Its identifier (e.g. a register number).
    pub identifier: Identifier,
    /// Its legal name.
    pub legal_name: String,
}

/// Whom the evidence is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A citizen.
    NaturalPerson(NaturalPerson),
    /// A company or other organisation.
    LegalPerson(LegalPerson),
}

/// The evidence asked for (`sdg:DataServiceEvidenceType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceType {
    /// Its identifier.
    pub identifier: String,
    /// Its classification, e.g. `CertificateOfBirth`; the provider matches it against its registers.
    pub classification: String,
    /// Its titles, in languages (at least one).
    pub titles: Vec<LocalizedText>,
    /// The forms the evidence is wanted in (at least one).
    pub distributions: Vec<Distribution>,
}

/// A form of the evidence (`sdg:DistributedAs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Media type, e.g. `application/xml`.
    pub format: String,
    /// The schema or specification the evidence conforms to, if given.
    pub conforms_to: Option<String>,
}

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

    /// Writes the request as XML.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str(concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<query:QueryRequest xmlns:query="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" "#,
            r#"xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" "#,
            r#"xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:4.0" "#,
            r#"xmlns:sdg="http://data.europa.eu/p4s" "#,
            r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id=""#
        ));
        write::attr(&mut out, &self.id);
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
        out.push_str(r#"<rim:Slot name="Requirements"><rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set">"#);
        for requirement in &self.requirements {
            out.push_str(
                r#"<rim:Element xsi:type="rim:AnyValueType"><sdg:Requirement><sdg:Identifier>"#,
            );
            write::text(&mut out, &requirement.identifier);
            out.push_str("</sdg:Identifier>");
            localized_element(&mut out, "sdg:Name", &requirement.name);
            out.push_str("</sdg:Requirement></rim:Element>");
        }
        out.push_str("</rim:SlotValue></rim:Slot>");
        slot_agent(&mut out, "EvidenceRequester", &self.requester);
        slot_agent(&mut out, "EvidenceProvider", &self.provider);
        out.push_str(r#"<query:ResponseOption returnType="LeafClassWithRepositoryItem"/><query:Query queryDefinition="DocumentQuery">"#);
        match &self.subject {
            Subject::NaturalPerson(person) => {
                out.push_str(r#"<rim:Slot name="NaturalPerson"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Person>"#);
                if let Some(loa) = &person.level_of_assurance {
                    simple_element(&mut out, "sdg:LevelOfAssurance", loa);
                }
                if let Some(id) = &person.identifier {
                    identifier_element(&mut out, id);
                }
                simple_element(&mut out, "sdg:FamilyName", &person.family_name);
                simple_element(&mut out, "sdg:GivenName", &person.given_name);
                let born = person
                    .date_of_birth
                    .format(format_description!("[year]-[month]-[day]"))
                    .unwrap_or_default();
                simple_element(&mut out, "sdg:DateOfBirth", &born);
                out.push_str("</sdg:Person></rim:SlotValue></rim:Slot>");
            }
            Subject::LegalPerson(org) => {
                out.push_str(r#"<rim:Slot name="LegalPerson"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:LegalPerson>"#);
                identifier_element(&mut out, &org.identifier);
                simple_element(&mut out, "sdg:LegalName", &org.legal_name);
                out.push_str("</sdg:LegalPerson></rim:SlotValue></rim:Slot>");
            }
        }
        out.push_str(r#"<rim:Slot name="EvidenceRequest"><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:DataServiceEvidenceType>"#);
        simple_element(&mut out, "sdg:Identifier", &self.evidence_type.identifier);
        simple_element(
            &mut out,
            "sdg:EvidenceTypeClassification",
            &self.evidence_type.classification,
        );
        for title in &self.evidence_type.titles {
            localized_element(&mut out, "sdg:Title", title);
        }
        for distribution in &self.evidence_type.distributions {
            out.push_str("<sdg:DistributedAs>");
            simple_element(&mut out, "sdg:Format", &distribution.format);
            if let Some(conforms_to) = &distribution.conforms_to {
                simple_element(&mut out, "sdg:ConformsTo", conforms_to);
            }
            out.push_str("</sdg:DistributedAs>");
        }
        out.push_str("</sdg:DataServiceEvidenceType></rim:SlotValue></rim:Slot></query:Query></query:QueryRequest>\n");
        out
    }
}

/// The `rim:Slot` children of an element, by name; a name given twice is refused.
struct Slots<'a> {
    slots: Vec<(&'a str, &'a Element)>,
}

impl<'a> Slots<'a> {
    fn of(parent: &'a Element) -> Result<Slots<'a>, EdmError> {
        let mut slots: Vec<(&str, &Element)> = Vec::new();
        for slot in parent.children_named(RIM, "Slot") {
            let name = slot.attribute(None, "name").ok_or_else(|| {
                EdmError::invalid(format!("a Slot in {} has no name", parent.local))
            })?;
            if slots.iter().any(|(n, _)| *n == name) {
                return Err(EdmError::invalid(format!("the slot {name} is given twice")));
            }
            slots.push((name, slot));
        }
        Ok(Slots { slots })
    }

    fn get(&self, name: &str) -> Option<&'a Element> {
        self.slots.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    fn require(&self, name: &str) -> Result<&'a Element, EdmError> {
        self.get(name)
            .ok_or_else(|| EdmError::invalid(format!("the mandatory slot {name} is missing")))
    }
}

fn slot_name(slot: &Element) -> &str {
    slot.attribute(None, "name").unwrap_or("?")
}

fn slot_value(slot: &Element) -> Result<&Element, EdmError> {
    single_child(slot, RIM, "SlotValue", slot_name(slot))
}

fn single_child<'a>(
    parent: &'a Element,
    ns: &str,
    local: &str,
    context: &str,
) -> Result<&'a Element, EdmError> {
    let mut found = parent.children_named(ns, local);
    match (found.next(), found.next()) {
        (Some(child), None) => Ok(child),
        (None, _) => Err(EdmError::invalid(format!(
            "{context} lacks its {local} element"
        ))),
        (Some(_), Some(_)) => Err(EdmError::invalid(format!(
            "{context} has more than one {local} element"
        ))),
    }
}

/// The text of `rim:SlotValue/rim:Value`.
fn string_value(slot: &Element) -> Result<String, EdmError> {
    let value = single_child(slot_value(slot)?, RIM, "Value", slot_name(slot))?;
    let text = value.trimmed_text();
    if text.is_empty() {
        return Err(EdmError::invalid(format!(
            "the slot {} is empty",
            slot_name(slot)
        )));
    }
    Ok(text.to_owned())
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

fn date_time_value(slot: &Element) -> Result<OffsetDateTime, EdmError> {
    let text = string_value(slot)?;
    OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
        EdmError::invalid(format!(
            "the slot {} must be a date and time with offset (e.g. 2026-11-23T09:00:00Z), not {text:?}",
            slot_name(slot)
        ))
    })
}

/// `rim:SlotValue/rim:Value/rim:LocalizedString` (the first one).
fn localized_value(slot: &Element) -> Result<LocalizedText, EdmError> {
    let value = single_child(slot_value(slot)?, RIM, "Value", slot_name(slot))?;
    let string = value.child(RIM, "LocalizedString").ok_or_else(|| {
        EdmError::invalid(format!(
            "the slot {} lacks a LocalizedString",
            slot_name(slot)
        ))
    })?;
    let text = string.attribute(None, "value").unwrap_or_default().trim();
    if text.is_empty() {
        return Err(EdmError::invalid(format!(
            "the slot {} is empty",
            slot_name(slot)
        )));
    }
    Ok(LocalizedText {
        lang: string.attribute(Some(XML), "lang").map(ToOwned::to_owned),
        value: text.to_owned(),
    })
}

/// The elements carried by an `AnyValueType` slot value, or by each `rim:Element` of a
/// `CollectionValueType` one.
fn any_values(slot: &Element) -> Vec<&Element> {
    let Ok(value) = slot_value(slot) else {
        return Vec::new();
    };
    let elements: Vec<&Element> = value.children_named(RIM, "Element").collect();
    if elements.is_empty() {
        value
            .children
            .iter()
            .filter(|c| !c.is(RIM, "Value"))
            .collect()
    } else {
        elements.iter().flat_map(|e| e.children.iter()).collect()
    }
}

fn single_sdg<'a>(slot: &'a Element, local: &str) -> Result<&'a Element, EdmError> {
    let values = any_values(slot);
    match values[..] {
        [one] if one.is(SDG, local) => Ok(one),
        [one] => Err(EdmError::invalid(format!(
            "the slot {} must carry an sdg:{local}, not {} in {}",
            slot_name(slot),
            one.local,
            one.ns.as_deref().unwrap_or("no namespace")
        ))),
        [] => Err(EdmError::invalid(format!(
            "the slot {} carries no sdg:{local}",
            slot_name(slot)
        ))),
        _ => Err(EdmError::invalid(format!(
            "the slot {} carries more than one value",
            slot_name(slot)
        ))),
    }
}

fn sdg_text(parent: &Element, local: &str, context: &str) -> Result<String, EdmError> {
    let element = single_child(parent, SDG, local, context)?;
    let text = element.trimmed_text();
    if text.is_empty() {
        return Err(EdmError::invalid(format!("{context}: {local} is empty")));
    }
    Ok(text.to_owned())
}

fn identifier(parent: &Element, context: &str) -> Result<Identifier, EdmError> {
    let element = single_child(parent, SDG, "Identifier", context)?;
    let value = element.trimmed_text();
    if value.is_empty() {
        return Err(EdmError::invalid(format!("{context}: Identifier is empty")));
    }
    Ok(Identifier {
        scheme: element.attribute(None, "schemeID").map(ToOwned::to_owned),
        value: value.to_owned(),
    })
}

fn localized_child(
    parent: &Element,
    local: &str,
    context: &str,
) -> Result<LocalizedText, EdmError> {
    let element = single_child(parent, SDG, local, context)?;
    Ok(LocalizedText {
        lang: element.attribute(None, "lang").map(ToOwned::to_owned),
        value: element.trimmed_text().to_owned(),
    })
}

fn single_agent(slot: &Element) -> Result<Agent, EdmError> {
    let context = slot_name(slot);
    let agent = single_sdg(slot, "Agent")?;
    Ok(Agent {
        identifier: identifier(agent, context)?,
        name: localized_child(agent, "Name", context)?,
    })
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

fn natural_person(slot: &Element) -> Result<NaturalPerson, EdmError> {
    let person = single_sdg(slot, "Person")?;
    let identifier = match person.child(SDG, "Identifier") {
        Some(_) => Some(identifier(person, "NaturalPerson")?),
        None => None,
    };
    if let Some(id) = &identifier
        && id.scheme.as_deref() == Some(TAX_ID_SCHEME)
    {
        id.value
            .parse::<TaxId>()
            .map_err(|e| EdmError::invalid(format!("NaturalPerson: Identifier: {e}")))?;
    }
    let born = sdg_text(person, "DateOfBirth", "NaturalPerson")?;
    let date_of_birth =
        Date::parse(&born, format_description!("[year]-[month]-[day]")).map_err(|_| {
            EdmError::invalid(format!(
                "NaturalPerson: DateOfBirth must be a date like 1970-03-01, not {born:?}"
            ))
        })?;
    Ok(NaturalPerson {
        level_of_assurance: person
            .child(SDG, "LevelOfAssurance")
            .map(|e| e.trimmed_text().to_owned()),
        identifier,
        family_name: sdg_text(person, "FamilyName", "NaturalPerson")?,
        given_name: sdg_text(person, "GivenName", "NaturalPerson")?,
        date_of_birth,
    })
}

fn legal_person(slot: &Element) -> Result<LegalPerson, EdmError> {
    let org = single_sdg(slot, "LegalPerson")?;
    Ok(LegalPerson {
        identifier: identifier(org, "LegalPerson")?,
        legal_name: sdg_text(org, "LegalName", "LegalPerson")?,
    })
}

fn evidence_type(slot: &Element) -> Result<EvidenceType, EdmError> {
    let evidence = single_sdg(slot, "DataServiceEvidenceType")?;
    let titles: Vec<LocalizedText> = evidence
        .children_named(SDG, "Title")
        .map(|t| LocalizedText {
            lang: t.attribute(None, "lang").map(ToOwned::to_owned),
            value: t.trimmed_text().to_owned(),
        })
        .collect();
    if titles.is_empty() {
        return Err(EdmError::invalid("EvidenceRequest: Title is missing"));
    }
    let distributions = evidence
        .children_named(SDG, "DistributedAs")
        .map(|d| {
            Ok(Distribution {
                format: sdg_text(d, "Format", "EvidenceRequest: DistributedAs")?,
                conforms_to: d
                    .child(SDG, "ConformsTo")
                    .map(|c| c.trimmed_text().to_owned()),
            })
        })
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

fn slot_typed(out: &mut String, name: &str, value_type: &str, value: &str) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type=""#);
    out.push_str(value_type);
    out.push_str(r#""><rim:Value>"#);
    write::text(out, value);
    out.push_str("</rim:Value></rim:SlotValue></rim:Slot>");
}

fn slot_string(out: &mut String, name: &str, value: &str) {
    slot_typed(out, name, "rim:StringValueType", value);
}

fn slot_localized(out: &mut String, name: &str, text: &LocalizedText) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type="rim:InternationalStringValueType"><rim:Value><rim:LocalizedString"#);
    if let Some(lang) = &text.lang {
        out.push_str(r#" xml:lang=""#);
        write::attr(out, lang);
        out.push('"');
    }
    out.push_str(r#" value=""#);
    write::attr(out, &text.value);
    out.push_str(r#""/></rim:Value></rim:SlotValue></rim:Slot>"#);
}

fn slot_agent(out: &mut String, name: &str, agent: &Agent) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type="rim:AnyValueType"><sdg:Agent>"#);
    identifier_element(out, &agent.identifier);
    localized_element(out, "sdg:Name", &agent.name);
    out.push_str("</sdg:Agent></rim:SlotValue></rim:Slot>");
}

fn identifier_element(out: &mut String, id: &Identifier) {
    out.push_str("<sdg:Identifier");
    if let Some(scheme) = &id.scheme {
        out.push_str(r#" schemeID=""#);
        write::attr(out, scheme);
        out.push('"');
    }
    out.push('>');
    write::text(out, &id.value);
    out.push_str("</sdg:Identifier>");
}

fn localized_element(out: &mut String, tag: &str, text: &LocalizedText) {
    out.push('<');
    out.push_str(tag);
    if let Some(lang) = &text.lang {
        out.push_str(r#" lang=""#);
        write::attr(out, lang);
        out.push('"');
    }
    out.push('>');
    write::text(out, &text.value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn simple_element(out: &mut String, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    write::text(out, value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}
