//! The slot helpers shared by the message codecs: finding `rim:Slot`s by name and reading their
//! values ([`sdg_read`] reads the `sdg:` elements they carry, [`write`] writes both). Every
//! refusal is an EDM:ERR:0003 whose detail names the slot (or element) and the rule.
//!
//! Reading is liberal within the EDM: any namespace prefixes, slots in any order, white space
//! around values, a collection where one value is expected and the other way round. Writing is
//! strict: one form, the one the EDM rules ask for (see [`crate::profile`]).

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::EdmError;
use crate::ns::{RIM, SDG, XML, XSI};
use crate::sdg::LocalizedText;
use crate::tree::Element;

pub(crate) mod sdg_read;
pub(crate) mod write;

/// `xs:date` without offset, as this crate reads and writes dates.
pub(crate) const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Slots that are never looked up, and may occur more than once: a signature travelled this way.
pub(crate) const IGNORED_SLOTS: &[&str] = &["Signature"];

/// The `rim:Slot` children of an element, by name; a name given twice is refused.
pub(crate) struct Slots<'a> {
    slots: Vec<(&'a str, &'a Element)>,
}

impl<'a> Slots<'a> {
    /// The slots but [`IGNORED_SLOTS`], which are left out whether given once or more.
    pub(crate) fn of(parent: &'a Element) -> Result<Slots<'a>, EdmError> {
        let mut slots: Vec<(&str, &Element)> = Vec::new();
        for slot in parent.children_named(RIM, "Slot") {
            let name = slot.attribute(None, "name").ok_or_else(|| {
                EdmError::invalid(format!("a Slot in {} has no name", parent.local))
            })?;
            if IGNORED_SLOTS.contains(&name) {
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

/// The local name of the `xsi:type` of a slot's value (`StringValueType`), whatever its prefix.
pub(crate) fn value_type(slot: &Element) -> Result<&str, EdmError> {
    let declared = slot_value(slot)?
        .attribute(Some(XSI), "type")
        .unwrap_or_default();
    Ok(declared.rsplit(':').next().unwrap_or(declared))
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

/// The text of `rim:SlotValue/rim:Value`, white space around it removed.
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

pub(crate) fn bool_value(slot: &Element) -> Result<bool, EdmError> {
    match string_value(slot)?.as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(EdmError::invalid(format!(
            "the slot {} must be true or false, not {other:?}",
            slot_name(slot)
        ))),
    }
}

/// Every `rim:SlotValue/rim:Value/rim:LocalizedString` (at least one).
pub(crate) fn localized_values(slot: &Element) -> Result<Vec<LocalizedText>, EdmError> {
    let value = single_child(slot_value(slot)?, RIM, "Value", slot_name(slot))?;
    let mut texts = Vec::new();
    for string in value.children_named(RIM, "LocalizedString") {
        let text = string.attribute(None, "value").unwrap_or_default().trim();
        if text.is_empty() {
            return Err(EdmError::invalid(format!(
                "the slot {} is empty",
                slot_name(slot)
            )));
        }
        texts.push(LocalizedText {
            // Published samples write the language as xsi:lang, which no schema defines.
            lang: lang(
                string
                    .attribute(Some(XML), "lang")
                    .or_else(|| string.attribute(Some(XSI), "lang")),
            ),
            value: text.to_owned(),
        });
    }
    if texts.is_empty() {
        return Err(EdmError::invalid(format!(
            "the slot {} lacks a LocalizedString",
            slot_name(slot)
        )));
    }
    Ok(texts)
}

/// A language code as this crate keeps it: upper case, as the EDM's LanguageCode list writes it
/// (language codes are case-insensitive).
pub(crate) fn lang(code: Option<&str>) -> Option<String> {
    code.map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_uppercase)
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
