//! A namespace-aware reader of incoming messages into a small element tree.
//!
//! Names are resolved to (namespace URI, local name), so a document is understood whatever
//! prefixes it uses, and an element in the wrong namespace is not mistaken for the right one.
//! Hostile input is refused before it costs anything: a body over `max_bytes`, invalid UTF-8, any
//! DOCTYPE (so no entity is ever declared or expanded), references other than the five predefined
//! entities and character references, nesting deeper than `max_depth`, more than `max_elements`
//! elements, attribute values or texts over their limits.

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::EdmError;
use crate::text::{self, RefusedReference};

/// Limits on incoming documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of elements.
    pub max_depth: usize,
    /// Most elements in a document.
    pub max_elements: usize,
    /// Longest attribute value, in bytes.
    pub max_attribute_bytes: usize,
    /// Most attributes on one element (namespace declarations not counted; the reader allows at
    /// most 128 namespace bindings in scope).
    pub max_attributes: usize,
    /// Longest text of one element, in bytes.
    pub max_text_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 1024 * 1024,
            max_depth: 32,
            max_elements: 10_000,
            max_attribute_bytes: 4096,
            max_attributes: 32,
            max_text_bytes: 64 * 1024,
        }
    }
}

/// An attribute with its resolved namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI (`None` for unprefixed attributes).
    pub ns: Option<String>,
    /// Local name.
    pub local: String,
    /// Value, with references resolved and whitespace normalised as XML 1.0 says.
    pub value: String,
}

/// An element with its resolved namespace, attributes, child elements and text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI (`None` when unbound).
    pub ns: Option<String>,
    /// Local name.
    pub local: String,
    /// Attributes (namespace declarations excluded).
    pub attributes: Vec<Attribute>,
    /// Child elements, in order.
    pub children: Vec<Element>,
    /// The element's own text (concatenated; text between child elements included).
    pub text: String,
}

impl Element {
    /// Whether this element has this namespace and local name.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.local == local && self.ns.as_deref() == Some(ns)
    }

    /// The child elements with this namespace and local name.
    pub fn children_named<'a, 'n>(
        &'a self,
        ns: &'n str,
        local: &'n str,
    ) -> impl Iterator<Item = &'a Element> + use<'a, 'n> {
        self.children.iter().filter(move |c| c.is(ns, local))
    }

    /// The first child element with this namespace and local name.
    pub fn child(&self, ns: &str, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, local))
    }

    /// The value of the attribute with this namespace (`None`: unprefixed) and local name.
    pub fn attribute(&self, ns: Option<&str>, local: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.local == local && a.ns.as_deref() == ns)
            .map(|a| a.value.as_str())
    }

    /// The text with surrounding whitespace removed.
    pub fn trimmed_text(&self) -> &str {
        self.text.trim()
    }
}

/// Reads a document into its root element, or refuses it with EDM:ERR:0003 and the rule it broke.
pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Element, EdmError> {
    if bytes.len() > limits.max_bytes {
        return Err(EdmError::invalid(format!(
            "the message has {} bytes, more than the limit of {}",
            bytes.len(),
            limits.max_bytes
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        EdmError::invalid(format!(
            "the message is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    // Every character of a document must be one XML 1.0 allows, in text, attribute values,
    // CDATA, comments, processing instructions and names alike: one scan finds those written
    // directly; those written as character references are checked where they are resolved.
    if let Some(at) = text::first_not_xml(text) {
        return Err(EdmError::invalid(text::not_xml_in_document(text, at)));
    }
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.expand_empty_elements = true;
    config.check_end_names = true;
    config.check_comments = true;

    let mut tree = Builder {
        limits,
        stack: Vec::new(),
        root: None,
        elements: 0,
    };
    loop {
        let position = reader.buffer_position();
        let (resolved, event) = reader.read_resolved_event().map_err(|e| match e {
            quick_xml::Error::Namespace(quick_xml::name::NamespaceError::TooManyBindings(
                limit,
            )) => EdmError::invalid(format!(
                "more than {limit} namespace declarations in scope at byte {position}"
            )),
            e => EdmError::invalid(format!("not well-formed XML at byte {position}: {e}")),
        })?;
        match event {
            Event::Start(start) => {
                tree.admit(&start, position)?;
                let local = start.local_name().as_ref().to_owned();
                let ns = namespace(resolved, &local)?;
                let attributes = attributes(&reader, &start, &local, limits, position)?;
                tree.stack.push(Element {
                    ns,
                    local,
                    attributes,
                    ..Element::default()
                });
            }
            Event::End(_) => tree.close()?,
            Event::Text(text) => tree.append_text(&text.xml10_content())?,
            Event::CData(data) => tree.append_text(&data)?,
            Event::GeneralRef(reference) => {
                let c = resolve_reference(&reference.xml10_content(), position)?;
                tree.append_text(c.encode_utf8(&mut [0; 4]))?;
            }
            Event::DocType(_) => {
                return Err(EdmError::invalid(
                    "a DOCTYPE is not allowed (no DTDs, no entity declarations)",
                ));
            }
            Event::Decl(decl) => {
                if let Some(Ok(encoding)) = decl.encoding()
                    && !encoding.eq_ignore_ascii_case("utf-8")
                {
                    return Err(EdmError::invalid(format!(
                        "the encoding {encoding:?} is not supported; send UTF-8"
                    )));
                }
            }
            Event::PI(pi) => {
                if !is_pi_target(pi.target()) {
                    return Err(EdmError::invalid(format!(
                        "{:?} at byte {position} is not a processing instruction target",
                        pi.target()
                    )));
                }
            }
            Event::Comment(_) => {}
            Event::Empty(_) => {
                // expand_empty_elements turns these into Start + End.
                return Err(EdmError::invalid("unexpected empty element event"));
            }
            Event::Eof => break,
        }
    }
    if !tree.stack.is_empty() {
        return Err(EdmError::invalid("the document ends inside an element"));
    }
    tree.root
        .ok_or_else(|| EdmError::invalid("the message has no root element"))
}

/// The character a reference (the text between `&` and `;`) stands for: a character XML 1.0
/// allows, or one of the five predefined entities.
fn resolve_reference(name: &str, position: u64) -> Result<char, EdmError> {
    if name.starts_with('#') {
        return text::char_reference(name).map_err(|refused| {
            EdmError::invalid(match refused {
                RefusedReference::Malformed => {
                    format!("&{name}; at byte {position} is not a character reference")
                }
                RefusedReference::NotXml(detail) => format!("{detail} (at byte {position})"),
            })
        });
    }
    predefined_entity(name).ok_or_else(|| {
        EdmError::invalid(format!(
            "the entity reference &{name}; is not allowed (only &lt; &gt; &amp; &apos; &quot;)"
        ))
    })
}

/// The tree being built: the open elements, innermost last, and the root once it is closed.
struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Element>,
    root: Option<Element>,
    elements: usize,
}

impl Builder<'_> {
    /// Checks that a start tag may open an element here: a name, within the limits.
    fn admit(&mut self, start: &BytesStart<'_>, position: u64) -> Result<(), EdmError> {
        let limits = self.limits;
        if self.root.is_some() {
            return Err(EdmError::invalid("content after the root element"));
        }
        let qname = start.name().0;
        if !is_qname(qname) {
            return Err(EdmError::invalid(format!(
                "{qname:?} at byte {position} is not an element name"
            )));
        }
        self.elements += 1;
        if self.elements > limits.max_elements {
            return Err(EdmError::invalid(format!(
                "more than {} elements",
                limits.max_elements
            )));
        }
        if self.stack.len() >= limits.max_depth {
            return Err(EdmError::invalid(format!(
                "elements nested deeper than {} levels",
                limits.max_depth
            )));
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), EdmError> {
        let Some(done) = self.stack.pop() else {
            return Err(EdmError::invalid("an end tag without a start tag"));
        };
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(done),
            None => self.root = Some(done),
        }
        Ok(())
    }

    fn append_text(&mut self, content: &str) -> Result<(), EdmError> {
        match self.stack.last_mut() {
            Some(element) => {
                if element.text.len() + content.len() > self.limits.max_text_bytes {
                    return Err(EdmError::invalid(format!(
                        "the text of element {} is longer than {} bytes",
                        element.local, self.limits.max_text_bytes
                    )));
                }
                element.text.push_str(content);
                Ok(())
            }
            // Whitespace around the root element is fine; anything else is not.
            None if content.trim().is_empty() => Ok(()),
            None if self.root.is_some() => Err(EdmError::invalid("text after the root element")),
            None => Err(EdmError::invalid("text before the root element")),
        }
    }
}

/// The attributes of a start tag (namespace declarations left out), resolved and normalised.
fn attributes(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    local: &str,
    limits: &Limits,
    position: u64,
) -> Result<Vec<Attribute>, EdmError> {
    let mut attributes = Vec::new();
    for attribute in start.attributes().with_checks(true) {
        let attribute = attribute
            .map_err(|e| EdmError::invalid(format!("bad attribute on element {local}: {e}")))?;
        let key = attribute.key;
        if !is_qname(key.0) {
            return Err(EdmError::invalid(format!(
                "{:?} on element {local} is not an attribute name",
                key.0
            )));
        }
        if key.as_namespace_binding().is_some() {
            continue;
        }
        if attributes.len() >= limits.max_attributes {
            return Err(EdmError::invalid(format!(
                "element {local} has more than {} attributes",
                limits.max_attributes
            )));
        }
        if attribute.value.len() > limits.max_attribute_bytes {
            return Err(EdmError::invalid(format!(
                "an attribute of element {local} is longer than {} bytes",
                limits.max_attribute_bytes
            )));
        }
        let (attr_ns, attr_local) = reader.resolver().resolve_attribute(key);
        let attr_local = attr_local.as_ref().to_owned();
        let attr_ns = match attr_ns {
            ResolveResult::Bound(ns) => Some(ns.as_ref().to_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => {
                return Err(EdmError::invalid(format!(
                    "attribute {attr_local} uses the undeclared namespace prefix {prefix:?}"
                )));
            }
        };
        let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|e| {
            EdmError::invalid(format!(
                "attribute {attr_local} of element {local}: {e} (only the predefined entities and character references are allowed)"
            ))
        })?;
        // The document holds no such character itself (see `parse`): it came from a reference.
        if let Some(c) = text::first_not_xml(&value).and_then(|at| value[at..].chars().next()) {
            return Err(EdmError::invalid(format!(
                "attribute {attr_local} of element {local} at byte {position}: a character reference stands for U+{:04X}, which XML 1.0 does not allow",
                u32::from(c)
            )));
        }
        attributes.push(Attribute {
            ns: attr_ns,
            local: attr_local,
            value: value.into_owned(),
        });
    }
    Ok(attributes)
}

/// Whether `name` is a qualified name (Namespaces in XML 1.0): an NCName, or two joined by one
/// colon. quick-xml takes any run of characters up to whitespace, `/` or `>` as a name and checks
/// none of them (`<e//>` is an empty element named `e/` to it), so the readers of this crate check
/// names themselves; otherwise a document that is not XML would be accepted, and written out again
/// by the canonicalisation as something else.
pub(crate) fn is_qname(name: &str) -> bool {
    match name.split_once(':') {
        Some((prefix, local)) => is_ncname(prefix) && is_ncname(local),
        None => is_ncname(name),
    }
}

/// Whether `target` may name a processing instruction: an NCName other than `xml` in any case.
pub(crate) fn is_pi_target(target: &str) -> bool {
    is_ncname(target) && !target.eq_ignore_ascii_case("xml")
}

/// Whether `name` is an NCName: an XML 1.0 Name without colons.
fn is_ncname(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// XML 1.0 (fifth edition) `NameStartChar`, less the colon.
fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 `NameChar`, less the colon.
fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c,
            '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn namespace(resolved: ResolveResult<'_>, local: &str) -> Result<Option<String>, EdmError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(Some(ns.as_ref().to_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(EdmError::invalid(format!(
            "element {local} uses the undeclared namespace prefix {prefix:?}"
        ))),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_namespaces_whatever_the_prefix() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
            <q:QueryRequest xmlns:q="urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0" id="x&amp;y">
              <r:Slot xmlns:r="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" name="A">a &lt; b &#x41;</r:Slot>
            </q:QueryRequest>"#;
        let root = parse(doc, &Limits::default()).expect("parse");
        assert!(root.is(crate::ns::QUERY, "QueryRequest"));
        assert_eq!(root.attribute(None, "id"), Some("x&y"));
        let slot = root.child(crate::ns::RIM, "Slot").expect("slot");
        assert_eq!(slot.trimmed_text(), "a < b A");
    }

    #[test]
    fn refuses_what_could_hurt() {
        let limits = Limits {
            max_depth: 4,
            max_elements: 50,
            ..Limits::default()
        };
        let cases: &[(&[u8], &str)] = &[
            (b"<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "DOCTYPE"),
            (b"<a>&x;</a>", "entity reference &x;"),
            (b"<a><b><c><d><e/></d></c></b></a>", "deeper than 4"),
            (b"<a>\xff</a>", "not valid UTF-8"),
            (b"<a><b></a>", "not well-formed"),
            (b"<p:a/>", "undeclared namespace prefix"),
            (b"<a x='1' x='2'/>", "bad attribute"),
            (b"<a/><b/>", "after the root"),
            (b"<a><e//></a>", "not an element name"),
            (b"<a><1b/></a>", "not an element name"),
            (b"<a:b:c xmlns:a='urn:a'/>", "not an element name"),
            (b"<a b/='1'/>", "not an attribute name"),
            (b"<a><?x/y z?></a>", "processing instruction target"),
            (b"<a><?XML z?></a>", "processing instruction target"),
            (b"", "no root element"),
            (
                b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>",
                "ISO-8859-1",
            ),
        ];
        for (doc, expected) in cases {
            let err = parse(doc, &limits).expect_err(expected);
            assert_eq!(err.code, crate::EdmCode::InvalidRequest);
            assert!(err.detail.contains(expected), "{expected}: {}", err.detail);
        }
        let many = format!("<a>{}</a>", "<b/>".repeat(60));
        assert!(parse(many.as_bytes(), &limits).is_err());
    }

    #[test]
    fn refuses_characters_xml_does_not_allow_wherever_and_however_written() {
        let cases: &[(&str, &str)] = &[
            (
                "<a>x\u{1}</a>",
                "U+0001 (a control character) at byte 4 (line 1, column 5)",
            ),
            (
                "<a>\n\u{0}</a>",
                "U+0000 (null) at byte 4 (line 2, column 1)",
            ),
            ("<a x='\u{B}'/>", "U+000B"),
            ("<a><![CDATA[\u{C}]]></a>", "U+000C"),
            ("<a><!--\u{1F}--></a>", "U+001F"),
            ("<a><?pi \u{1}?></a>", "U+0001"),
            ("<a\u{1}/>", "U+0001"),
            ("<?xml version='1.0\u{1}'?><a/>", "U+0001"),
            ("<a>\u{FFFE}</a>", "U+FFFE (not a character)"),
            (
                "<a>€\u{FFFF}</a>",
                "U+FFFF (not a character) at byte 6 (line 1, column 5)",
            ),
            ("<a>&#1;</a>", "&#1; stands for the character U+0001"),
            ("<a>&#x0B;</a>", "&#x0B; stands for the character U+000B"),
            ("<a>&#0;</a>", "&#0; stands for the character U+0000"),
            (
                "<a>&#xFFFE;</a>",
                "&#xFFFE; stands for the character U+FFFE",
            ),
            (
                "<a>&#65535;</a>",
                "&#65535; stands for the character U+FFFF",
            ),
            (
                "<a>&#xD800;</a>",
                "&#xD800; stands for U+D800, which is not a character",
            ),
            (
                "<a>&#x110000;</a>",
                "&#x110000; stands for U+110000, which is not a character",
            ),
            ("<a>&#x;</a>", "&#x; at byte 3 is not a character reference"),
            (
                "<a x='&#1;'/>",
                "attribute x of element a at byte 0: a character reference stands for U+0001",
            ),
            ("<a x='&#xFFFF;'/>", "U+FFFF"),
        ];
        for (doc, expected) in cases {
            let err = parse(doc.as_bytes(), &Limits::default()).expect_err(doc);
            assert_eq!(err.code, crate::EdmCode::InvalidRequest);
            assert!(err.detail.contains(expected), "{doc:?}: {}", err.detail);
            assert!(
                !err.detail.contains("not well-formed"),
                "{doc:?}: {}",
                err.detail
            );
        }
        // The edges of the Char production, and characters XML merely discourages, are read.
        let doc = "<a x='&#9;&#x10FFFF;'>&#9;&#10;&#13;&#x20;&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#x10FFFF;\u{7F}\u{85}\u{FFFD}</a>";
        let root = parse(doc.as_bytes(), &Limits::default()).expect("allowed characters");
        assert_eq!(
            root.text,
            "\t\n\r \u{D7FF}\u{E000}\u{FFFD}\u{10000}\u{10FFFF}\u{7F}\u{85}\u{FFFD}"
        );
        assert_eq!(root.attribute(None, "x"), Some("\t\u{10FFFF}"));
    }
}
