//! The slot helpers shared by the message codecs: finding `rim:Slot`s by name and reading their
//! values, reading and writing the `sdg:` elements they carry. Every refusal is an EDM:ERR:0003
//! whose detail names the slot (or element) and the rule.

use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::EdmError;
use crate::ns::{RIM, SDG, XML};
use crate::sdg::{
    Agent, Distribution, Identifier, LegalPerson, LocalizedText, NaturalPerson, TAX_ID_SCHEME,
};
use crate::taxid::TaxId;
use crate::tree::Element;
use crate::write::Writer;

/// `xs:date` without offset, as this crate reads and writes dates.
pub(crate) const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// The `rim:Slot` children of an element, by name; a name given twice is refused.
pub(crate) struct Slots<'a> {
    slots: Vec<(&'a str, &'a Element)>,
}

impl<'a> Slots<'a> {
    pub(crate) fn of(parent: &'a Element) -> Result<Slots<'a>, EdmError> {
        Slots::of_except(parent, &[])
    }

    /// The slots but those named in `ignored`, which are left out whether given once or more.
    pub(crate) fn of_except(parent: &'a Element, ignored: &[&str]) -> Result<Slots<'a>, EdmError> {
        let mut slots: Vec<(&str, &Element)> = Vec::new();
        for slot in parent.children_named(RIM, "Slot") {
            let name = slot.attribute(None, "name").ok_or_else(|| {
                EdmError::invalid(format!("a Slot in {} has no name", parent.local))
            })?;
            if ignored.contains(&name) {
                continue;
            }
            if slots.iter().any(|(n, _)| *n == name) {
                return Err(EdmError::invalid(format!("the slot {name} is given twice")));
            }
            slots.push((name, slot));
        }
        Ok(Slots { slots })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'a Element> {
        self.slots.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    pub(crate) fn require(&self, name: &str) -> Result<&'a Element, EdmError> {
        self.get(name)
            .ok_or_else(|| EdmError::invalid(format!("the mandatory slot {name} is missing")))
    }
}

pub(crate) fn slot_name(slot: &Element) -> &str {
    slot.attribute(None, "name").unwrap_or("?")
}

pub(crate) fn slot_value(slot: &Element) -> Result<&Element, EdmError> {
    single_child(slot, RIM, "SlotValue", slot_name(slot))
}

pub(crate) fn single_child<'a>(
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
pub(crate) fn string_value(slot: &Element) -> Result<String, EdmError> {
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

pub(crate) fn date_time_value(slot: &Element) -> Result<OffsetDateTime, EdmError> {
    let text = string_value(slot)?;
    OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
        EdmError::invalid(format!(
            "the slot {} must be a date and time with offset (e.g. 2026-11-23T09:00:00Z), not {text:?}",
            slot_name(slot)
        ))
    })
}

/// `rim:SlotValue/rim:Value/rim:LocalizedString` (the first one).
pub(crate) fn localized_value(slot: &Element) -> Result<LocalizedText, EdmError> {
    let value = single_child(slot_value(slot)?, RIM, "Value", slot_name(slot))?;
    let string = value.child(RIM, "LocalizedString").ok_or_else(|| {
        EdmError::invalid(format!(
            "the slot {} lacks a LocalizedString",
            slot_name(slot)
        ))
    })?;
    localized_string(string, slot)
}

/// Every `rim:SlotValue/rim:Value/rim:LocalizedString` (at least one).
pub(crate) fn localized_values(slot: &Element) -> Result<Vec<LocalizedText>, EdmError> {
    let value = single_child(slot_value(slot)?, RIM, "Value", slot_name(slot))?;
    let texts = value
        .children_named(RIM, "LocalizedString")
        .map(|string| localized_string(string, slot))
        .collect::<Result<Vec<_>, _>>()?;
    if texts.is_empty() {
        return Err(EdmError::invalid(format!(
            "the slot {} lacks a LocalizedString",
            slot_name(slot)
        )));
    }
    Ok(texts)
}

fn localized_string(string: &Element, slot: &Element) -> Result<LocalizedText, EdmError> {
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
pub(crate) fn any_values(slot: &Element) -> Vec<&Element> {
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

pub(crate) fn single_sdg<'a>(slot: &'a Element, local: &str) -> Result<&'a Element, EdmError> {
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

pub(crate) fn sdg_text(parent: &Element, local: &str, context: &str) -> Result<String, EdmError> {
    let element = single_child(parent, SDG, local, context)?;
    let text = element.trimmed_text();
    if text.is_empty() {
        return Err(EdmError::invalid(format!("{context}: {local} is empty")));
    }
    Ok(text.to_owned())
}

pub(crate) fn identifier(parent: &Element, context: &str) -> Result<Identifier, EdmError> {
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

pub(crate) fn localized_child(
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

pub(crate) fn single_agent(slot: &Element) -> Result<Agent, EdmError> {
    agent(single_sdg(slot, "Agent")?, slot_name(slot))
}

/// An agent from an element of `sdg:AgentType` (`sdg:Agent`, `sdg:IssuingAuthority`).
pub(crate) fn agent(agent: &Element, context: &str) -> Result<Agent, EdmError> {
    Ok(Agent {
        identifier: identifier(agent, context)?,
        name: localized_child(agent, "Name", context)?,
    })
}

/// The `sdg:Title`s of an element (at least one).
pub(crate) fn titles(parent: &Element, context: &str) -> Result<Vec<LocalizedText>, EdmError> {
    let titles: Vec<LocalizedText> = parent
        .children_named(SDG, "Title")
        .map(|t| LocalizedText {
            lang: t.attribute(None, "lang").map(ToOwned::to_owned),
            value: t.trimmed_text().to_owned(),
        })
        .collect();
    if titles.is_empty() {
        return Err(EdmError::invalid(format!("{context}: Title is missing")));
    }
    Ok(titles)
}

/// A form of evidence from an element of `sdg:DistributionType`.
pub(crate) fn distribution(element: &Element, context: &str) -> Result<Distribution, EdmError> {
    Ok(Distribution {
        format: sdg_text(element, "Format", context)?,
        conforms_to: element
            .child(SDG, "ConformsTo")
            .map(|c| c.trimmed_text().to_owned()),
    })
}

/// The `sdg:Person` carried by a slot (the subject of a request).
pub(crate) fn natural_person(slot: &Element) -> Result<NaturalPerson, EdmError> {
    natural_person_element(single_sdg(slot, "Person")?, "NaturalPerson")
}

/// A natural person from an element of `sdg:PersonType` (`sdg:Person`, `sdg:NaturalPerson`).
pub(crate) fn natural_person_element(
    person: &Element,
    context: &str,
) -> Result<NaturalPerson, EdmError> {
    let identifier = match person.child(SDG, "Identifier") {
        Some(_) => Some(identifier(person, context)?),
        None => None,
    };
    if let Some(id) = &identifier
        && id.scheme.as_deref() == Some(TAX_ID_SCHEME)
    {
        id.value
            .parse::<TaxId>()
            .map_err(|e| EdmError::invalid(format!("{context}: Identifier: {e}")))?;
    }
    let born = sdg_text(person, "DateOfBirth", context)?;
    let date_of_birth = Date::parse(&born, DATE).map_err(|_| {
        EdmError::invalid(format!(
            "{context}: DateOfBirth must be a date like 1970-03-01, not {born:?}"
        ))
    })?;
    Ok(NaturalPerson {
        level_of_assurance: person
            .child(SDG, "LevelOfAssurance")
            .map(|e| e.trimmed_text().to_owned()),
        identifier,
        family_name: sdg_text(person, "FamilyName", context)?,
        given_name: sdg_text(person, "GivenName", context)?,
        date_of_birth,
    })
}

/// The `sdg:LegalPerson` carried by a slot (the subject of a request).
pub(crate) fn legal_person(slot: &Element) -> Result<LegalPerson, EdmError> {
    legal_person_element(single_sdg(slot, "LegalPerson")?, "LegalPerson")
}

/// A legal person from an element of `sdg:LegalPersonType`.
pub(crate) fn legal_person_element(org: &Element, context: &str) -> Result<LegalPerson, EdmError> {
    Ok(LegalPerson {
        identifier: identifier(org, context)?,
        legal_name: sdg_text(org, "LegalName", context)?,
    })
}
pub(crate) fn slot_typed(out: &mut Writer, name: &str, value_type: &str, value: &str) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type=""#);
    out.push_str(value_type);
    out.push_str(r#""><rim:Value>"#);
    out.text(name, value);
    out.push_str("</rim:Value></rim:SlotValue></rim:Slot>");
}

pub(crate) fn slot_string(out: &mut Writer, name: &str, value: &str) {
    slot_typed(out, name, "rim:StringValueType", value);
}

pub(crate) fn slot_localized(out: &mut Writer, name: &str, text: &LocalizedText) {
    slot_localized_all(out, name, std::slice::from_ref(text));
}

/// An `InternationalStringValueType` slot with one `rim:LocalizedString` per text.
pub(crate) fn slot_localized_all(out: &mut Writer, name: &str, texts: &[LocalizedText]) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type="rim:InternationalStringValueType"><rim:Value>"#);
    out.within(
        || name.to_owned(),
        |out| {
            for text in texts {
                out.push_str("<rim:LocalizedString");
                if let Some(lang) = &text.lang {
                    out.push_str(r#" xml:lang=""#);
                    out.attr("@xml:lang", lang);
                    out.push('"');
                }
                out.push_str(r#" value=""#);
                out.attr("@value", &text.value);
                out.push_str(r#""/>"#);
            }
        },
    );
    out.push_str("</rim:Value></rim:SlotValue></rim:Slot>");
}

/// A `DateTimeValueType` slot, written in RFC 3339.
pub(crate) fn slot_date_time(out: &mut Writer, name: &str, value: OffsetDateTime) {
    slot_typed(out, name, "rim:DateTimeValueType", &date_time_text(value));
}

/// A date and time in RFC 3339 (`xs:dateTime` with its offset).
pub(crate) fn date_time_text(value: OffsetDateTime) -> String {
    value.format(&Rfc3339).unwrap_or_else(|_| value.to_string())
}

/// A date as `xs:date` (`1970-03-01`).
pub(crate) fn date_text(value: Date) -> String {
    value.format(DATE).unwrap_or_default()
}

pub(crate) fn slot_agent(out: &mut Writer, name: &str, agent: &Agent) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type="rim:AnyValueType">"#);
    out.within(
        || name.to_owned(),
        |out| agent_element(out, "sdg:Agent", agent),
    );
    out.push_str("</rim:SlotValue></rim:Slot>");
}

/// An agent slot in the collection form of the response's `EvidenceProvider` (a `Set` of one).
pub(crate) fn slot_agent_set(out: &mut Writer, name: &str, agent: &Agent) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#""><rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set"><rim:Element xsi:type="rim:AnyValueType">"#);
    out.within(
        || name.to_owned(),
        |out| agent_element(out, "sdg:Agent", agent),
    );
    out.push_str("</rim:Element></rim:SlotValue></rim:Slot>");
}

/// An element of `sdg:AgentType` under this tag (`sdg:Agent`, `sdg:IssuingAuthority`).
pub(crate) fn agent_element(out: &mut Writer, tag: &str, agent: &Agent) {
    element(out, tag, |out| {
        identifier_element(out, &agent.identifier);
        localized_element(out, "sdg:Name", &agent.name);
    });
}

/// An element of `sdg:PersonType` under this tag (`sdg:Person`, `sdg:NaturalPerson`).
pub(crate) fn natural_person_write(out: &mut Writer, tag: &str, person: &NaturalPerson) {
    element(out, tag, |out| {
        if let Some(loa) = &person.level_of_assurance {
            simple_element(out, "sdg:LevelOfAssurance", loa);
        }
        if let Some(id) = &person.identifier {
            identifier_element(out, id);
        }
        simple_element(out, "sdg:FamilyName", &person.family_name);
        simple_element(out, "sdg:GivenName", &person.given_name);
        simple_element(out, "sdg:DateOfBirth", &date_text(person.date_of_birth));
    });
}

/// An element of `sdg:DistributionType` under this tag (`sdg:DistributedAs`, `sdg:Distribution`).
pub(crate) fn distribution_write(out: &mut Writer, tag: &str, distribution: &Distribution) {
    element(out, tag, |out| {
        simple_element(out, "sdg:Format", &distribution.format);
        if let Some(conforms_to) = &distribution.conforms_to {
            simple_element(out, "sdg:ConformsTo", conforms_to);
        }
    });
}

/// An `sdg:LegalPerson`.
pub(crate) fn legal_person_write(out: &mut Writer, org: &LegalPerson) {
    element(out, "sdg:LegalPerson", |out| {
        identifier_element(out, &org.identifier);
        simple_element(out, "sdg:LegalName", &org.legal_name);
    });
}

pub(crate) fn identifier_element(out: &mut Writer, id: &Identifier) {
    out.push_str("<sdg:Identifier");
    if let Some(scheme) = &id.scheme {
        out.push_str(r#" schemeID=""#);
        out.attr("sdg:Identifier/@schemeID", scheme);
        out.push('"');
    }
    out.push('>');
    out.text("sdg:Identifier", &id.value);
    out.push_str("</sdg:Identifier>");
}

pub(crate) fn localized_element(out: &mut Writer, tag: &str, text: &LocalizedText) {
    out.push('<');
    out.push_str(tag);
    if let Some(lang) = &text.lang {
        out.push_str(r#" lang=""#);
        out.within(|| tag.to_owned(), |out| out.attr("@lang", lang));
        out.push('"');
    }
    out.push('>');
    out.text(tag, &text.value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

pub(crate) fn simple_element(out: &mut Writer, tag: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.text(tag, value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// `<tag>`, what `content` writes, `</tag>`; a refusal inside is named under `tag`.
pub(crate) fn element(out: &mut Writer, tag: &str, content: impl FnOnce(&mut Writer)) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.within(|| tag.to_owned(), content);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}
