//! Reading the `sdg:` elements the slots carry: agents, persons, requirements, distributions.
//! What the node does not use is read over, as [`crate::sdg`] says for each type.

use time::Date;

use super::{DATE, any_values, lang, single_child, single_sdg, slot_name};
use crate::EdmError;
use crate::ns::SDG;
use crate::sdg::{
    Address, Agent, AgentClassification, Distribution, EIDAS_SCHEME, Identifier, LegalPerson,
    LevelOfAssurance, LocalizedText, NaturalPerson, PersonIdentifier, TAX_ID_SCHEME,
};
use crate::sr;
use crate::taxid::TaxId;
use crate::tree::Element;

/// The trimmed text of the one child `sdg:{local}`, which must not be empty.
pub(crate) fn sdg_text(parent: &Element, local: &str, context: &str) -> Result<String, EdmError> {
    let element = single_child(parent, SDG, local, context)?;
    let text = element.trimmed_text();
    if text.is_empty() {
        return Err(EdmError::invalid(format!("{context}: {local} is empty")));
    }
    Ok(text.to_owned())
}

/// The trimmed text of the first child `sdg:{local}`, if there is one and it is not empty.
pub(crate) fn optional_text(parent: &Element, local: &str) -> Option<String> {
    parent
        .child(SDG, local)
        .map(|e| e.trimmed_text())
        .filter(|t| !t.is_empty())
        .map(ToOwned::to_owned)
}

/// An SR URI child, in the [`sr::canonical`] form.
pub(crate) fn sr_text(parent: &Element, local: &str, context: &str) -> Result<String, EdmError> {
    sdg_text(parent, local, context).map(|t| sr::canonical(&t).into_owned())
}

pub(crate) fn identifier(parent: &Element, context: &str) -> Result<Identifier, EdmError> {
    identifier_of(single_child(parent, SDG, "Identifier", context)?, context)
}

fn identifier_of(element: &Element, context: &str) -> Result<Identifier, EdmError> {
    let value = element.trimmed_text();
    if value.is_empty() {
        return Err(EdmError::invalid(format!(
            "{context}: {} is empty",
            element.local
        )));
    }
    Ok(Identifier {
        scheme: element
            .attribute(None, "schemeID")
            .map(str::trim)
            .map(ToOwned::to_owned),
        value: value.to_owned(),
    })
}

/// An element of `sdg:MultilingualStringType`.
fn localized(element: &Element) -> LocalizedText {
    LocalizedText {
        lang: lang(element.attribute(None, "lang")),
        value: element.trimmed_text().to_owned(),
    }
}

pub(crate) fn localized_child(
    parent: &Element,
    local: &str,
    context: &str,
) -> Result<LocalizedText, EdmError> {
    single_child(parent, SDG, local, context).map(localized)
}

/// Every child `sdg:{local}` of `sdg:MultilingualStringType`.
pub(crate) fn localized_all(parent: &Element, local: &str) -> Vec<LocalizedText> {
    parent.children_named(SDG, local).map(localized).collect()
}

/// Every child `sdg:{local}`, at least one.
pub(crate) fn localized_some(
    parent: &Element,
    local: &str,
    context: &str,
) -> Result<Vec<LocalizedText>, EdmError> {
    let texts = localized_all(parent, local);
    if texts.is_empty() {
        return Err(EdmError::invalid(format!("{context}: {local} is missing")));
    }
    Ok(texts)
}

/// The agents a slot carries, as one `AnyValueType` or a `CollectionValueType` (at least one).
pub(crate) fn agents(slot: &Element) -> Result<Vec<Agent>, EdmError> {
    let name = slot_name(slot);
    let values = any_values(slot);
    if values.is_empty() {
        return Err(EdmError::invalid(format!(
            "the slot {name} carries no sdg:Agent"
        )));
    }
    values
        .into_iter()
        .map(|value| {
            if value.is(SDG, "Agent") {
                agent(value, name)
            } else {
                Err(EdmError::invalid(format!(
                    "the slot {name} must carry an sdg:Agent, not {} in {}",
                    value.local,
                    value.ns.as_deref().unwrap_or("no namespace")
                )))
            }
        })
        .collect()
}

/// The one agent of a slot, given as one value or a collection of one.
pub(crate) fn single_agent(slot: &Element) -> Result<Agent, EdmError> {
    let mut agents = agents(slot)?;
    match agents.len() {
        1 => Ok(agents.remove(0)),
        _ => Err(EdmError::invalid(format!(
            "the slot {} carries more than one sdg:Agent",
            slot_name(slot)
        ))),
    }
}

/// The agent in `role` among those of a slot that may name an intermediary platform beside it
/// (a request's `EvidenceRequester`, a response's `EvidenceProvider`): the one classified in
/// `role`, else the first not classified `IP`, else the first. The others are read over.
pub(crate) fn principal(slot: &Element, role: AgentClassification) -> Result<Agent, EdmError> {
    let mut agents = agents(slot)?;
    let at = agents
        .iter()
        .position(|a| a.classification == Some(role))
        .or_else(|| {
            agents
                .iter()
                .position(|a| a.classification != Some(AgentClassification::IntermediaryPlatform))
        })
        .unwrap_or(0);
    Ok(agents.swap_remove(at))
}

/// An agent from an element of `sdg:AgentType` (`sdg:Agent`, `sdg:IssuingAuthority`). A
/// classification outside the code list is read as none; a jurisdiction is read over.
pub(crate) fn agent(agent: &Element, context: &str) -> Result<Agent, EdmError> {
    Ok(Agent {
        identifier: identifier(agent, context)?,
        name: localized_child(agent, "Name", context)?,
        address: agent.child(SDG, "Address").and_then(address),
        classification: agent
            .child(SDG, "Classification")
            .and_then(|c| AgentClassification::from_code(c.trimmed_text())),
    })
}

/// An address; one without a country (`AdminUnitLevel1`) is read over.
fn address(element: &Element) -> Option<Address> {
    Some(Address {
        full_address: optional_text(element, "FullAddress"),
        locator_designator: optional_text(element, "LocatorDesignator"),
        post_code: optional_text(element, "PostCode"),
        post_city_name: optional_text(element, "PostCityName"),
        thoroughfare: optional_text(element, "Thoroughfare"),
        country: optional_text(element, "AdminUnitLevel1")?,
        nuts: optional_text(element, "AdminUnitLevel2"),
    })
}

/// A form of evidence from an element of `sdg:DistributionType` or
/// `sdg:EvidenceTypeDistributionType`; a language (2.0) is read over.
pub(crate) fn distribution(element: &Element, context: &str) -> Result<Distribution, EdmError> {
    let uri = |local| optional_text(element, local).map(|t| sr::canonical(&t).into_owned());
    Ok(Distribution {
        format: sdg_text(element, "Format", context)?,
        conforms_to: uri("ConformsTo"),
        transformation: uri("Transformation"),
    })
}

/// The `sdg:Person` carried by a slot (the subject or representative of a request).
pub(crate) fn natural_person(slot: &Element) -> Result<NaturalPerson, EdmError> {
    natural_person_element(single_sdg(slot, "Person")?, slot_name(slot))
}

/// A natural person from an element of `sdg:PersonType` (`sdg:Person`, `sdg:NaturalPerson`).
pub(crate) fn natural_person_element(
    person: &Element,
    context: &str,
) -> Result<NaturalPerson, EdmError> {
    let identifier = match person.child(SDG, "Identifier") {
        Some(element) => Some(person_identifier(element, context)?),
        None => None,
    };
    let born = sdg_text(person, "DateOfBirth", context)?;
    let date_of_birth = Date::parse(&born, DATE).map_err(|_| {
        EdmError::invalid(format!(
            "{context}: DateOfBirth must be a date like 1970-03-01, not {born:?}"
        ))
    })?;
    Ok(NaturalPerson {
        level_of_assurance: level_of_assurance(person, context)?,
        identifier,
        family_name: sdg_text(person, "FamilyName", context)?,
        given_name: sdg_text(person, "GivenName", context)?,
        date_of_birth,
    })
}

fn person_identifier(element: &Element, context: &str) -> Result<PersonIdentifier, EdmError> {
    let id = identifier_of(element, context)?;
    Ok(match id.scheme.as_deref() {
        Some(scheme) if scheme.eq_ignore_ascii_case(EIDAS_SCHEME) => {
            PersonIdentifier::Eidas(id.value)
        }
        Some(TAX_ID_SCHEME) => PersonIdentifier::TaxId(
            id.value
                .parse::<TaxId>()
                .map_err(|e| EdmError::invalid(format!("{context}: Identifier: {e}")))?,
        ),
        _ => PersonIdentifier::Other(id),
    })
}

/// The level of assurance, if given; a value outside the code list is refused, for the
/// provider's decision may depend on it.
fn level_of_assurance(
    parent: &Element,
    context: &str,
) -> Result<Option<LevelOfAssurance>, EdmError> {
    let Some(text) = optional_text(parent, "LevelOfAssurance") else {
        return Ok(None);
    };
    LevelOfAssurance::from_code(&text).map(Some).ok_or_else(|| {
        EdmError::invalid(format!(
            "{context}: LevelOfAssurance must be Low, Substantial or High, not {text:?}"
        ))
    })
}

/// The `sdg:LegalPerson` carried by a slot (the subject of a request).
pub(crate) fn legal_person(slot: &Element) -> Result<LegalPerson, EdmError> {
    legal_person_element(single_sdg(slot, "LegalPerson")?, "LegalPerson")
}

/// A legal person from an element of `sdg:LegalPersonType`.
pub(crate) fn legal_person_element(org: &Element, context: &str) -> Result<LegalPerson, EdmError> {
    Ok(LegalPerson {
        level_of_assurance: level_of_assurance(org, context)?,
        legal_person_identifier: optional_text(org, "LegalPersonIdentifier"),
        identifier: org
            .child(SDG, "Identifier")
            .map(|e| identifier_of(e, context))
            .transpose()?,
        legal_name: sdg_text(org, "LegalName", context)?,
    })
}
