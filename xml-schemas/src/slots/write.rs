//! Writing slots and the `sdg:` elements they carry, in the one form the EDM rules ask for.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::DATE;
use crate::profile::Profile;
use crate::sdg::{
    Address, Agent, AgentClassification, Distribution, EIDAS_SCHEME, Identifier, LegalPerson,
    LocalizedText, NaturalPerson, PersonIdentifier, TAX_ID_SCHEME,
};
use crate::sr;
use crate::version::EdmVersion;
use crate::write::Writer;

/// The language the EDM rules name as the default where one is required and none is known.
pub(crate) const DEFAULT_LANG: &str = "EN";

/// The start of a `CollectionValueType` slot value that is a set.
const SET: &str = r#"<rim:SlotValue xsi:type="rim:CollectionValueType" collectionType="urn:oasis:names:tc:ebxml-regrep:CollectionType:Set">"#;

pub(crate) fn slot_typed(out: &mut Writer, name: &str, value_type: &str, value: &str) {
    slot_start(out, name);
    out.push_str(r#"<rim:SlotValue xsi:type=""#);
    out.push_str(value_type);
    out.push_str(r#""><rim:Value>"#);
    out.text(name, value);
    out.push_str("</rim:Value></rim:SlotValue></rim:Slot>");
}

pub(crate) fn slot_string(out: &mut Writer, name: &str, value: &str) {
    slot_typed(out, name, "rim:StringValueType", value);
}

pub(crate) fn slot_bool(out: &mut Writer, name: &str, value: bool) {
    slot_typed(
        out,
        name,
        "rim:BooleanValueType",
        if value { "true" } else { "false" },
    );
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

/// An `InternationalStringValueType` slot with one `rim:LocalizedString` per text.
pub(crate) fn slot_localized_all(out: &mut Writer, name: &str, texts: &[LocalizedText]) {
    slot_localized_with(out, name, |out| {
        for text in texts {
            localized_string(out, text.lang.as_deref(), &text.value);
        }
    });
}

/// An `InternationalStringValueType` slot with one `rim:LocalizedString`.
pub(crate) fn slot_localized(out: &mut Writer, name: &str, lang: Option<&str>, value: &str) {
    slot_localized_with(out, name, |out| localized_string(out, lang, value));
}

fn slot_localized_with(out: &mut Writer, name: &str, strings: impl FnOnce(&mut Writer)) {
    slot_start(out, name);
    out.push_str(r#"<rim:SlotValue xsi:type="rim:InternationalStringValueType"><rim:Value>"#);
    out.within(|| name.to_owned(), strings);
    out.push_str("</rim:Value></rim:SlotValue></rim:Slot>");
}

fn localized_string(out: &mut Writer, lang: Option<&str>, value: &str) {
    out.push_str("<rim:LocalizedString");
    if let Some(lang) = lang {
        out.push_str(r#" xml:lang=""#);
        lang_value(out, "@xml:lang", lang);
        out.push('"');
    }
    out.push_str(r#" value=""#);
    out.attr("@value", value);
    out.push_str(r#""/>"#);
}

/// An `AnyValueType` slot whose value `content` writes.
pub(crate) fn slot_any(out: &mut Writer, name: &str, content: impl FnOnce(&mut Writer)) {
    slot_start(out, name);
    out.push_str(r#"<rim:SlotValue xsi:type="rim:AnyValueType">"#);
    out.within(|| name.to_owned(), content);
    out.push_str("</rim:SlotValue></rim:Slot>");
}

/// A `CollectionValueType` slot (a set) whose `rim:Element`s `elements` writes with
/// [`collection_element`].
pub(crate) fn slot_set(out: &mut Writer, name: &str, elements: impl FnOnce(&mut Writer)) {
    slot_start(out, name);
    out.push_str(SET);
    out.within(|| name.to_owned(), elements);
    out.push_str("</rim:SlotValue></rim:Slot>");
}

/// A `CollectionValueType` slot (a set) of `count` `rim:Element`s, the `i`-th written by
/// `each(out, i)`; a refusal inside is named `{name}[{i}]`.
pub(crate) fn slot_set_of(
    out: &mut Writer,
    name: &str,
    count: usize,
    mut each: impl FnMut(&mut Writer, usize),
) {
    slot_start(out, name);
    out.push_str(SET);
    for i in 0..count {
        collection_element(out, |out| {
            out.within(|| format!("{name}[{i}]"), |out| each(out, i));
        });
    }
    out.push_str("</rim:SlotValue></rim:Slot>");
}

/// One `rim:Element` of a collection, an `AnyValueType` whose value `content` writes.
pub(crate) fn collection_element(out: &mut Writer, content: impl FnOnce(&mut Writer)) {
    out.push_str(r#"<rim:Element xsi:type="rim:AnyValueType">"#);
    content(out);
    out.push_str("</rim:Element>");
}

fn slot_start(out: &mut Writer, name: &str) {
    out.push_str(r#"<rim:Slot name=""#);
    out.push_str(name);
    out.push_str(r#"">"#);
}

/// An element of `sdg:AgentType` under this tag (`sdg:Agent`, `sdg:IssuingAuthority`): its
/// identifier and name, and with a `role` its address and classification (the role, or `IP`
/// for an intermediary platform).
pub(crate) fn agent_element(
    out: &mut Writer,
    tag: &str,
    agent: &Agent,
    role: Option<AgentClassification>,
) {
    element(out, tag, |out| {
        identifier_element(out, "sdg:Identifier", &agent.identifier);
        localized_element(out, "sdg:Name", &agent.name, None);
        if let Some(role) = role {
            if let Some(address) = &agent.address {
                address_element(out, address);
            }
            let written = match agent.classification {
                Some(AgentClassification::IntermediaryPlatform) => {
                    AgentClassification::IntermediaryPlatform
                }
                _ => role,
            };
            simple_element(out, "sdg:Classification", written.code());
        }
    });
}

fn address_element(out: &mut Writer, address: &Address) {
    element(out, "sdg:Address", |out| {
        for (tag, value) in [
            ("sdg:FullAddress", &address.full_address),
            ("sdg:LocatorDesignator", &address.locator_designator),
            ("sdg:PostCode", &address.post_code),
            ("sdg:PostCityName", &address.post_city_name),
            ("sdg:Thoroughfare", &address.thoroughfare),
        ] {
            if let Some(value) = value {
                simple_element(out, tag, value);
            }
        }
        simple_element(out, "sdg:AdminUnitLevel1", &address.country);
        if let Some(nuts) = &address.nuts {
            simple_element(out, "sdg:AdminUnitLevel2", nuts);
        }
    });
}

/// An element of `sdg:PersonType` under this tag (`sdg:Person`, `sdg:NaturalPerson`); its
/// identifier only where the profile writes it.
pub(crate) fn natural_person_write(
    out: &mut Writer,
    tag: &str,
    person: &NaturalPerson,
    profile: Profile,
) {
    element(out, tag, |out| {
        if let Some(loa) = person.level_of_assurance {
            simple_element(out, "sdg:LevelOfAssurance", loa.code());
        }
        match &person.identifier {
            Some(id) if profile.writes_person_identifier(id) => person_identifier(out, id),
            _ => {}
        }
        simple_element(out, "sdg:FamilyName", &person.family_name);
        simple_element(out, "sdg:GivenName", &person.given_name);
        simple_element(out, "sdg:DateOfBirth", &date_text(person.date_of_birth));
    });
}

fn person_identifier(out: &mut Writer, id: &PersonIdentifier) {
    match id {
        PersonIdentifier::Eidas(value) => {
            scheme_element(out, "sdg:Identifier", EIDAS_SCHEME, value)
        }
        PersonIdentifier::TaxId(tax_id) => {
            scheme_element(out, "sdg:Identifier", TAX_ID_SCHEME, &tax_id.to_string());
        }
        PersonIdentifier::Other(other) => identifier_element(out, "sdg:Identifier", other),
    }
}

/// An `sdg:LegalPerson`; its `sdg:Identifier` only with a scheme.
pub(crate) fn legal_person_write(out: &mut Writer, org: &LegalPerson) {
    element(out, "sdg:LegalPerson", |out| {
        if let Some(loa) = org.level_of_assurance {
            simple_element(out, "sdg:LevelOfAssurance", loa.code());
        }
        if let Some(id) = org.identifier.as_ref().filter(|id| id.scheme.is_some()) {
            identifier_element(out, "sdg:Identifier", id);
        }
        if let Some(id) = &org.legal_person_identifier {
            scheme_element(out, "sdg:LegalPersonIdentifier", EIDAS_SCHEME, id);
        }
        simple_element(out, "sdg:LegalName", &org.legal_name);
    });
}

/// An element of `sdg:DistributionType` or `sdg:EvidenceTypeDistributionType` under this tag
/// (`sdg:DistributedAs`, `sdg:Distribution`), its URIs in the form of `version`. The
/// transformation only in a request (`sdg:DistributedAs`): the response's type has none.
pub(crate) fn distribution_write(
    out: &mut Writer,
    tag: &str,
    distribution: &Distribution,
    version: EdmVersion,
) {
    element(out, tag, |out| {
        simple_element(out, "sdg:Format", &distribution.format);
        if let Some(conforms_to) = &distribution.conforms_to {
            sr_element(out, "sdg:ConformsTo", conforms_to, version);
        }
        if tag == "sdg:DistributedAs"
            && let Some(transformation) = &distribution.transformation
        {
            sr_element(out, "sdg:Transformation", transformation, version);
        }
    });
}

pub(crate) fn identifier_element(out: &mut Writer, tag: &str, id: &Identifier) {
    match &id.scheme {
        Some(scheme) => scheme_element(out, tag, scheme, &id.value),
        None => simple_element(out, tag, &id.value),
    }
}

fn scheme_element(out: &mut Writer, tag: &str, scheme: &str, value: &str) {
    out.push('<');
    out.push_str(tag);
    out.push_str(r#" schemeID=""#);
    out.attr("@schemeID", scheme);
    out.push_str(r#"">"#);
    out.text(tag, value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// An element of `sdg:MultilingualStringType`: the language in upper case, or `default` if none
/// is given (where the EDM requires one).
pub(crate) fn localized_element(
    out: &mut Writer,
    tag: &str,
    text: &LocalizedText,
    default: Option<&str>,
) {
    out.push('<');
    out.push_str(tag);
    if let Some(lang) = text.lang.as_deref().or(default) {
        out.push_str(r#" lang=""#);
        out.within(|| tag.to_owned(), |out| lang_value(out, "@lang", lang));
        out.push('"');
    }
    out.push('>');
    out.text(tag, &text.value);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// A language code in upper case, as the EDM's LanguageCode list writes it.
fn lang_value(out: &mut Writer, field: &str, lang: &str) {
    if lang.bytes().any(|b| b.is_ascii_lowercase()) {
        out.attr(field, &lang.to_ascii_uppercase());
    } else {
        out.attr(field, lang);
    }
}

/// An element whose content is a Semantic Repository URI, in the form of `version`.
pub(crate) fn sr_element(out: &mut Writer, tag: &str, uri: &str, version: EdmVersion) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    sr::write(out, tag, uri, version);
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
