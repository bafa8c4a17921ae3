//! The register descriptor: what a node publishes to the register map about itself and the
//! registers it serves, signed by the node with a `ds:Signature` as the last child
//! ([`crate::dsig::Placement::LastChild`]). XSD: `schemas/register-descriptor.xsd`.
//!
//! Read strictly, in the order of the XSD: every element in its place and namespace, every value
//! in its form (member id as once-pki parses it, official area keys, SHA-256 fingerprints,
//! levels), no register id twice. The reader helpers here are shared with [`crate::discovery`].

use std::collections::HashSet;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::EdmError;
use crate::level::Level;
use crate::slots::write::{date_time_text, simple_element};
use crate::text::{self, InvalidText};
use crate::tree::{self, Element, Limits};
use crate::write::Writer;

/// The namespace of register descriptors.
pub const NAMESPACE: &str = "urn:once:register-descriptor:1";

/// Most registers in one descriptor.
pub const MAX_REGISTERS: usize = 10_000;
/// Most jurisdictions of one register (a federal register can list states, a state register its
/// municipalities).
pub const MAX_JURISDICTIONS: usize = 20_000;
/// Most evidence types or standards of one register.
pub const MAX_LIST: usize = 1_000;
/// The longest text, in characters.
pub const MAX_CHARS: usize = 1024;

/// XML Signature (`ds:`), allowed as the last child of the root.
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// A node and the registers it serves, as it publishes them to the register map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeDescriptor {
    /// The node's member id (`instance:class:code`).
    pub member: String,
    /// The member's name.
    pub name: String,
    /// The node's peer endpoint, an https URL.
    pub peer_endpoint: String,
    /// SHA-256 of the node's TLS certificate (DER), 64 lowercase hex digits.
    pub tls_certificate_sha256: String,
    /// Contact (e-mail or URL), if given.
    pub contact: Option<String>,
    /// When the node issued this descriptor.
    pub issue_date_time: OffsetDateTime,
    /// Monotonic per node: the map keeps every version and refuses one not newer than the last.
    pub sequence: u64,
    /// The registers, at most [`MAX_REGISTERS`], no id twice.
    pub registers: Vec<RegisterDescriptor>,
}

/// One register a node serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterDescriptor {
    /// Its id at the node: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its type code on the map (lowercase words joined by hyphens, e.g. `melderegister`), if any.
    pub register_type: Option<String>,
    /// The level it serves.
    pub level: Level,
    /// The official keys of the areas it serves (2, 3, 5, 8, 9 or 12 digits); none: the whole
    /// country.
    pub jurisdictions: Vec<String>,
    /// The evidence type classifications it gives.
    pub evidence_types: Vec<String>,
    /// Its legal basis.
    pub legal_basis: String,
    /// Standards it conforms to (e.g. `XMeld`).
    pub standards: Vec<String>,
    /// Records in it, if stated.
    pub record_count: Option<u64>,
    /// Contact for this register, if it differs from the node's.
    pub contact: Option<String>,
}

impl NodeDescriptor {
    /// Reads a descriptor from its bytes within `limits` (a descriptor with thousands of
    /// registers needs more elements than [`Limits::default`] allows).
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<NodeDescriptor, EdmError> {
        NodeDescriptor::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads a descriptor from a parsed tree; a `ds:Signature` last child is left to
    /// [`crate::dsig::verify`].
    pub fn from_element(root: &Element) -> Result<NodeDescriptor, EdmError> {
        let mut doc = Children::root(root, NAMESPACE, "NodeDescriptor")?;
        let descriptor = NodeDescriptor {
            member: doc.value("Member", MEMBER_RULE, owned_if(member_id))?,
            name: doc.text("Name")?,
            peer_endpoint: doc.value("PeerEndpoint", URL_RULE, owned_if(https_url))?,
            tls_certificate_sha256: doc.value("TlsCertificateSha256", SHA256_RULE, sha256)?,
            contact: doc.optional_text("Contact")?,
            issue_date_time: doc.value("IssueDateTime", DATE_TIME_RULE, date_time)?,
            sequence: doc.value("Sequence", COUNT_RULE, count)?,
            registers: doc
                .repeated("Register", MAX_REGISTERS)?
                .into_iter()
                .enumerate()
                .map(|(i, r)| register(r, &format!("NodeDescriptor: Register[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        };
        doc.finish()?;
        let mut ids = HashSet::new();
        if let Some(twice) = descriptor.registers.iter().find(|r| !ids.insert(&r.id)) {
            return Err(EdmError::invalid(format!(
                "NodeDescriptor: the register id {:?} is given twice (register ids are unique per node)",
                twice.id
            )));
        }
        Ok(descriptor)
    }

    /// Writes the descriptor as XML that validates against `schemas/register-descriptor.xsd`
    /// (given values in their forms); a character XML 1.0 does not allow is refused with the
    /// field it is in (e.g. `Register[2]/Name`). A text the map refuses for other reasons (a
    /// line break in a name: see [`NodeDescriptor::from_element`]) is written: check the texts
    /// with [`crate::text`] where they come from.
    pub fn try_to_xml(&self) -> Result<String, InvalidText> {
        self.write().finish()
    }

    /// Writes the descriptor as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`NodeDescriptor::try_to_xml`], or check every text with [`crate::text`] first.
    pub fn to_xml(&self) -> String {
        self.write().into_lossy()
    }

    fn write(&self) -> Writer {
        let mut out = Writer::with_capacity(1024 + 512 * self.registers.len());
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<NodeDescriptor xmlns=\"");
        out.push_str(NAMESPACE);
        out.push_str("\">");
        simple_element(&mut out, "Member", &self.member);
        simple_element(&mut out, "Name", &self.name);
        simple_element(&mut out, "PeerEndpoint", &self.peer_endpoint);
        simple_element(
            &mut out,
            "TlsCertificateSha256",
            &self.tls_certificate_sha256,
        );
        optional_element(&mut out, "Contact", self.contact.as_deref());
        simple_element(
            &mut out,
            "IssueDateTime",
            &date_time_text(self.issue_date_time),
        );
        simple_element(&mut out, "Sequence", &self.sequence.to_string());
        for (i, r) in self.registers.iter().enumerate() {
            out.push_str("<Register>");
            out.within(|| format!("Register[{i}]"), |out| r.write(out));
            out.push_str("</Register>");
        }
        out.push_str("</NodeDescriptor>\n");
        out
    }
}

impl RegisterDescriptor {
    fn write(&self, out: &mut Writer) {
        simple_element(out, "Id", &self.id);
        simple_element(out, "Name", &self.name);
        optional_element(out, "RegisterType", self.register_type.as_deref());
        simple_element(out, "Level", self.level.as_str());
        elements(out, "Jurisdiction", &self.jurisdictions);
        elements(out, "EvidenceType", &self.evidence_types);
        simple_element(out, "LegalBasis", &self.legal_basis);
        elements(out, "Standard", &self.standards);
        let count = self.record_count.map(|c| c.to_string());
        optional_element(out, "RecordCount", count.as_deref());
        optional_element(out, "Contact", self.contact.as_deref());
    }
}

fn register(element: &Element, path: &str) -> Result<RegisterDescriptor, EdmError> {
    let mut r = Children::of(element, NAMESPACE, path.to_owned())?;
    let register = RegisterDescriptor {
        id: r.value("Id", REGISTER_ID_RULE, owned_if(register_id))?,
        name: r.text("Name")?,
        register_type: r.optional_value(
            "RegisterType",
            REGISTER_TYPE_RULE,
            owned_if(register_type),
        )?,
        level: r.value("Level", LEVEL_RULE, level)?,
        jurisdictions: r.values(
            "Jurisdiction",
            MAX_JURISDICTIONS,
            AREA_KEY_RULE,
            owned_if(area_key),
        )?,
        evidence_types: r.values("EvidenceType", MAX_LIST, TOKEN_RULE, owned_if(token))?,
        legal_basis: r.text_lines("LegalBasis")?,
        standards: r.values("Standard", MAX_LIST, "a text", |s| Some(s.to_owned()))?,
        record_count: r.optional_value("RecordCount", COUNT_RULE, count)?,
        contact: r.optional_text("Contact")?,
    };
    r.finish()?;
    Ok(register)
}

fn optional_element(out: &mut Writer, tag: &str, value: Option<&str>) {
    if let Some(value) = value {
        simple_element(out, tag, value);
    }
}

pub(crate) fn elements(out: &mut Writer, tag: &str, values: &[String]) {
    for value in values {
        simple_element(out, tag, value);
    }
}

/// The children of one element of our documents, read in the order of the XSD's sequence.
/// Every refusal names the element's path and the rule.
pub(crate) struct Children<'a> {
    ns: &'static str,
    path: String,
    rest: &'a [Element],
    /// Whether a `ds:Signature` may come last (the root).
    signable: bool,
}

impl<'a> Children<'a> {
    /// The root `local` in `ns`, whose last child may be a `ds:Signature`.
    pub(crate) fn root(
        root: &'a Element,
        ns: &'static str,
        local: &str,
    ) -> Result<Children<'a>, EdmError> {
        if !root.is(ns, local) {
            return Err(EdmError::invalid(format!(
                "{} in {} is not a {local} in {ns}",
                root.local,
                root.ns.as_deref().unwrap_or("no namespace")
            )));
        }
        let mut children = Children::of(root, ns, local.to_owned())?;
        children.signable = true;
        Ok(children)
    }

    /// The children of `element`, which may have neither text of its own nor attributes.
    pub(crate) fn of(
        element: &'a Element,
        ns: &'static str,
        path: String,
    ) -> Result<Children<'a>, EdmError> {
        if !element.trimmed_text().is_empty() {
            return Err(EdmError::invalid(format!(
                "{path} has text outside its child elements"
            )));
        }
        if let Some(attribute) = element.attributes.first() {
            return Err(EdmError::invalid(format!(
                "{path} has the attribute {}, but no attribute is allowed",
                attribute.local
            )));
        }
        Ok(Children {
            ns,
            path,
            rest: &element.children,
            signable: false,
        })
    }

    /// The next child if it is `local`.
    pub(crate) fn optional(&mut self, local: &str) -> Option<&'a Element> {
        match self.rest.split_first() {
            Some((first, rest)) if first.is(self.ns, local) => {
                self.rest = rest;
                Some(first)
            }
            _ => None,
        }
    }

    /// The next child, which must be `local`.
    pub(crate) fn required(&mut self, local: &str) -> Result<&'a Element, EdmError> {
        if let Some(element) = self.optional(local) {
            return Ok(element);
        }
        Err(EdmError::invalid(match self.rest.first() {
            Some(found) => format!(
                "{}: expected {local}, found {} in {}",
                self.path,
                found.local,
                found.ns.as_deref().unwrap_or("no namespace")
            ),
            None => format!("{} lacks its {local} element", self.path),
        }))
    }

    /// The next children named `local`, at most `max`.
    pub(crate) fn repeated(
        &mut self,
        local: &str,
        max: usize,
    ) -> Result<Vec<&'a Element>, EdmError> {
        let mut found = Vec::new();
        while let Some(element) = self.optional(local) {
            if found.len() == max {
                return Err(EdmError::invalid(format!(
                    "{} has more than {max} {local} elements",
                    self.path
                )));
            }
            found.push(element);
        }
        Ok(found)
    }

    /// Refuses any child left, but a `ds:Signature` last in the root.
    pub(crate) fn finish(self) -> Result<(), EdmError> {
        match self.rest {
            [] => Ok(()),
            [last] if self.signable && last.is(DSIG, "Signature") => Ok(()),
            [unexpected, ..] => Err(EdmError::invalid(format!(
                "{}: the element {} in {} is not expected here{}",
                self.path,
                unexpected.local,
                unexpected.ns.as_deref().unwrap_or("no namespace"),
                if self.signable {
                    " (a ds:Signature may only come last)"
                } else {
                    ""
                }
            ))),
        }
    }

    /// The text of the next child, which must be `local`: one line (see [`leaf`]).
    pub(crate) fn text(&mut self, local: &str) -> Result<String, EdmError> {
        let element = self.required(local)?;
        leaf(element, &format!("{}: {local}", self.path), Lines::One)
    }

    /// The text of the next child, which must be `local`: one line or more (see [`leaf`]).
    pub(crate) fn text_lines(&mut self, local: &str) -> Result<String, EdmError> {
        let element = self.required(local)?;
        leaf(element, &format!("{}: {local}", self.path), Lines::Many)
    }

    pub(crate) fn optional_text(&mut self, local: &str) -> Result<Option<String>, EdmError> {
        self.optional_value(local, "a text", |s| Some(s.to_owned()))
    }

    /// The next child `local`, read by `parse`; `None` from it is refused as not `rule`.
    pub(crate) fn value<T>(
        &mut self,
        local: &str,
        rule: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, EdmError> {
        let element = self.required(local)?;
        self.parse(element, local, rule, &parse)
    }

    pub(crate) fn optional_value<T>(
        &mut self,
        local: &str,
        rule: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, EdmError> {
        match self.optional(local) {
            Some(element) => self.parse(element, local, rule, &parse).map(Some),
            None => Ok(None),
        }
    }

    /// The next children `local` (at most `max`), each read by `parse`.
    pub(crate) fn values<T>(
        &mut self,
        local: &str,
        max: usize,
        rule: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>, EdmError> {
        self.repeated(local, max)?
            .into_iter()
            .map(|element| self.parse(element, local, rule, &parse))
            .collect()
    }

    fn parse<T>(
        &self,
        element: &Element,
        local: &str,
        rule: &str,
        parse: &impl Fn(&str) -> Option<T>,
    ) -> Result<T, EdmError> {
        let path = format!("{}: {local}", self.path);
        let text = leaf(element, &path, Lines::One)?;
        parse(&text).ok_or_else(|| EdmError::invalid(format!("{path}: {text:?} is not {rule}")))
    }
}

/// Whether a text may have more than one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// A name, title, identifier, contact, URL: no control character at all (no tab or line
    /// break either; [`text::check_line`]).
    One,
    /// Free text a person writes in lines (a legal basis citing several norms): tab and line
    /// breaks are fine, no other control character ([`text::check_lines`]).
    Many,
}

/// The trimmed text of an element that has only text: not blank, at most [`MAX_CHARS`], without
/// control characters (`lines` says whether tab and line breaks are allowed). The map shows these
/// texts on its page and in its exports, and nodes show them to people: a control character in
/// them is never meant, and a line break in a name breaks every list it is shown in.
fn leaf(element: &Element, path: &str, lines: Lines) -> Result<String, EdmError> {
    if let Some(child) = element.children.first() {
        return Err(EdmError::invalid(format!(
            "{path} has the element {}, but only text is allowed",
            child.local
        )));
    }
    if let Some(attribute) = element.attributes.first() {
        return Err(EdmError::invalid(format!(
            "{path} has the attribute {}, but no attribute is allowed",
            attribute.local
        )));
    }
    let text = element.trimmed_text();
    if text.is_empty() {
        return Err(EdmError::invalid(format!("{path} is empty")));
    }
    match lines {
        Lines::One => text::check_line(path, text),
        Lines::Many => text::check_lines(path, text),
    }
    .map_err(|e| EdmError::invalid(e.to_string()))?;
    if text.chars().count() > MAX_CHARS {
        return Err(EdmError::invalid(format!(
            "{path} is longer than {MAX_CHARS} characters"
        )));
    }
    Ok(text.to_owned())
}

pub(crate) const MEMBER_RULE: &str =
    "a member id instance:class:code (e.g. DE-HB:KOMMUNE:04011000)";
pub(crate) const URL_RULE: &str = "an https URL";
pub(crate) const SHA256_RULE: &str = "a SHA-256 fingerprint of 64 lowercase hex digits";
pub(crate) const DATE_TIME_RULE: &str = "a date and time with offset (e.g. 2026-11-23T09:00:00Z)";
pub(crate) const COUNT_RULE: &str = "a number of digits only (0 to 18446744073709551615)";
pub(crate) const LEVEL_RULE: &str = "a level: federal, state, district or municipality";
pub(crate) const AREA_KEY_RULE: &str = "an official area key of 2, 3, 5, 8, 9 or 12 digits (state, government district, district, municipality, association, ARS)";
pub(crate) const REGISTER_ID_RULE: &str =
    "a register id of 1 to 64 of a-z 0-9 . _ - starting with a letter or digit";
const REGISTER_TYPE_RULE: &str =
    "a register type code: lowercase words joined by hyphens, at most 64 characters";
pub(crate) const TOKEN_RULE: &str = "an identifier without whitespace";

/// A parser that keeps `text` if `valid` says so.
pub(crate) fn owned_if(valid: fn(&str) -> bool) -> impl Fn(&str) -> Option<String> {
    move |s| valid(s).then(|| s.to_owned())
}

/// `instance:class:code` by once-pki's rules (`once_pki::MemberId`).
pub(crate) fn member_id(text: &str) -> bool {
    let mut parts = text.split(':');
    let (Some(instance), Some(class), Some(code), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (country, sub) = match instance.split_once('-') {
        Some((country, sub)) => (country, Some(sub)),
        None => (instance, None),
    };
    let upper = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase());
    country.len() == 2
        && upper(country)
        && sub.is_none_or(|sub| {
            (1..=3).contains(&sub.len())
                && sub
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
        && (2..=16).contains(&class.len())
        && upper(class)
        && code.len() <= 64
        && code.starts_with(|c: char| c.is_ascii_alphanumeric())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub(crate) fn https_url(text: &str) -> bool {
    text.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        && !text.contains(char::is_whitespace)
}

/// A SHA-256 digest as 64 lowercase hex digits; anything else is `None`.
pub(crate) fn sha256(text: &str) -> Option<String> {
    (text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| text.to_owned())
}

pub(crate) fn date_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Digits only (`u64::from_str` would take a leading `+`).
pub(crate) fn count(text: &str) -> Option<u64> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

pub(crate) fn level(text: &str) -> Option<Level> {
    text.parse().ok()
}

pub(crate) fn area_key(text: &str) -> bool {
    [2, 3, 5, 8, 9, 12].contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn register_id(text: &str) -> bool {
    text.len() <= 64
        && text.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn register_type(text: &str) -> bool {
    text.len() <= 64
        && text.split('-').all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub(crate) fn token(text: &str) -> bool {
    !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_their_forms() {
        for good in [
            "DE:BUND:bva",
            "DE-HB:KOMMUNE:04011000",
            "DE-123:GOV:a.b_c-d",
        ] {
            assert!(member_id(good), "{good}");
        }
        for bad in [
            "DE:BUND",
            "de:BUND:bva",
            "DE-:BUND:bva",
            "DE-ABCD:BUND:bva",
            "DE:B:bva",
            "DE:BUND:-bva",
            "DE:BUND:b va",
            "DE:BUND:bva:x",
        ] {
            assert!(!member_id(bad), "{bad}");
        }
        for good in [
            "04",
            "041",
            "04011",
            "04011000",
            "040110000",
            "040110000000",
        ] {
            assert!(area_key(good), "{good}");
        }
        for bad in ["0", "0401", "0401100000", "04a11000", ""] {
            assert!(!area_key(bad), "{bad}");
        }
        assert!(https_url("https://node.example:8443/v1/exchange"));
        for bad in [
            "http://node.example",
            "https://",
            "https:///x",
            "https://a b",
        ] {
            assert!(!https_url(bad), "{bad}");
        }
        assert_eq!(count("42"), Some(42));
        for bad in ["+1", "-1", "1e3", "18446744073709551616"] {
            assert_eq!(count(bad), None, "{bad}");
        }
        assert!(register_id("melderegister-bremen") && !register_id("Melderegister"));
        assert!(register_type("kfz-register") && !register_type("kfz--register"));
    }
}
