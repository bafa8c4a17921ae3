//! Exclusive XML Canonicalization 1.0 without comments
//! (<http://www.w3.org/2001/10/xml-exc-c14n#>), as XML Signature uses it.
//!
//! One streaming pass over quick-xml events of the input text; no tree is built. The output is
//! what the W3C recommendation prescribes for the selected node set:
//!
//! - the XML declaration is dropped; a DOCTYPE and entities other than the five predefined ones
//!   are refused (no DTD is ever read); character and predefined entity references are expanded;
//! - line endings are normalised (`\r\n` and a lone `\r` become `\n`) as an XML parser does;
//! - empty elements become a start and an end tag; comments are removed; processing
//!   instructions are kept (outside the document element followed or preceded by `\n`, as the
//!   recommendation says); whitespace outside the document element is dropped;
//! - namespace declarations are rendered only where a prefix is visibly utilised (by the
//!   element's name or one of its attributes), at the outermost output element using it, and not
//!   again where an output ancestor already rendered the same binding; `xmlns=""` only when an
//!   output ancestor rendered a non-empty default namespace; they come first, sorted by prefix
//!   (the default namespace first);
//! - attributes are sorted by (namespace URI, local name), unqualified ones first; their values
//!   are normalised (a literal tab, newline or carriage return becomes a space) and escaped
//!   (`&amp;` `&lt;` `&quot;` `&#x9;` `&#xA;` `&#xD;`); text is escaped (`&amp;` `&lt;` `&gt;`
//!   `&#xD;`).
//!
//! Two selections are supported: a whole document less one element subtree (the
//! enveloped-signature transform followed by exclusive C14N), and one element subtree in the
//! namespace context of its ancestors (`ds:SignedInfo`). Exclusive C14N inherits no `xml:`
//! attributes from ancestors, so only namespace bindings are taken from outside the subtree. The
//! `InclusiveNamespaces PrefixList` parameter is not supported.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::PrefixDeclaration;

use crate::text;
use crate::tree;

mod escape;

use escape::{
    attribute_value, escape_attribute, escape_text, push_normalised_eol, resolve_reference,
};

/// The algorithm URI of exclusive XML canonicalization 1.0 without comments.
pub const ALGORITHM: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Why a document could not be canonicalised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum C14nError {
    /// The input is not well-formed XML.
    #[error("not well-formed XML at byte {position}: {detail}")]
    Syntax {
        /// Byte offset where the problem was found.
        position: usize,
        /// What is wrong.
        detail: String,
    },
    /// The input has a DOCTYPE; DTDs are never processed.
    #[error("a DOCTYPE is not allowed (no DTDs, no entity declarations)")]
    Doctype,
    /// A character XML 1.0 does not allow (outside its `Char` production), written directly or
    /// as a character reference.
    #[error("{detail}")]
    Character {
        /// Byte offset of the character, or of the markup holding the reference.
        position: usize,
        /// Which character, where, and why it is refused.
        detail: String,
    },
    /// A reference to an entity other than the five predefined ones, or a malformed character
    /// reference.
    #[error(
        "the reference &{0}; is not allowed (only &lt; &gt; &amp; &apos; &quot; and references to valid characters)"
    )]
    Reference(String),
    /// A name uses a namespace prefix that is not declared, or a declaration is invalid.
    #[error("namespace error at byte {position}: {detail}")]
    Namespace {
        /// Byte offset of the start tag.
        position: usize,
        /// What is wrong.
        detail: String,
    },
    /// No element starts at the byte offset given to select or leave out an element.
    #[error("no element starts at byte {0}")]
    NoElementAt(usize),
}

/// Canonicalises a whole document, leaving out the element whose start tag begins at byte
/// offset `exclude` (with its subtree), if given: the enveloped-signature transform followed by
/// exclusive C14N.
pub fn document(xml: &str, exclude: Option<usize>) -> Result<Vec<u8>, C14nError> {
    Canonicaliser::new(xml, Selection::Document { exclude }).run()
}

/// Canonicalises the element whose start tag begins at byte offset `start`, with its subtree, in
/// the namespace context of its ancestors (e.g. `ds:SignedInfo` before signing or verifying).
/// The document is read only up to the end of that element.
pub fn element(xml: &str, start: usize) -> Result<Vec<u8>, C14nError> {
    Canonicaliser::new(xml, Selection::Element { start }).run()
}

#[derive(Debug, Clone, Copy)]
enum Selection {
    Document { exclude: Option<usize> },
    Element { start: usize },
}

/// A namespace binding: prefix (`""` for the default namespace) and URI (`""`: undeclared).
#[derive(Debug)]
struct Binding {
    prefix: String,
    uri: String,
}

/// An open element.
#[derive(Debug)]
struct Frame {
    /// Length of `scope` before the element's declarations.
    scope_len: usize,
    /// Length of `rendered` before the element's rendered declarations.
    rendered_len: usize,
    /// Whether the element is in the output.
    output: bool,
    /// Whether this is the selected element of `Selection::Element`.
    apex: bool,
}

#[derive(Debug)]
struct Canonicaliser<'a> {
    input: &'a str,
    selection: Selection,
    out: Vec<u8>,
    /// Namespace bindings in scope, innermost last.
    scope: Vec<Binding>,
    /// Bindings rendered by the open output elements, innermost last.
    rendered: Vec<Binding>,
    frames: Vec<Frame>,
    /// Depth inside the left-out element (0: not inside).
    skipping: usize,
    /// Whether the element named by the selection was seen.
    found: bool,
    /// Whether the document element has ended.
    root_done: bool,
}

/// An attribute of the element being rendered.
#[derive(Debug)]
struct Attr<'t> {
    qname: &'t str,
    prefix: Option<&'t str>,
    local: &'t str,
    value: Cow<'t, str>,
}

impl<'a> Canonicaliser<'a> {
    fn new(input: &'a str, selection: Selection) -> Self {
        Canonicaliser {
            input,
            selection,
            out: Vec::with_capacity(input.len()),
            scope: Vec::new(),
            rendered: Vec::new(),
            frames: Vec::new(),
            skipping: 0,
            found: false,
            root_done: false,
        }
    }

    fn run(mut self) -> Result<Vec<u8>, C14nError> {
        // As in `tree::parse`: characters written directly are found by one scan, those written
        // as references where they are resolved.
        if let Some(at) = text::first_not_xml(self.input) {
            return Err(C14nError::Character {
                position: at,
                detail: text::not_xml_in_document(self.input, at),
            });
        }
        let mut reader = Reader::from_str(self.input);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.check_comments = true;
        let mut root_seen = false;
        loop {
            let position = offset(reader.buffer_position());
            let event = reader.read_event().map_err(|e| C14nError::Syntax {
                position,
                detail: e.to_string(),
            })?;
            match event {
                Event::Start(tag) => {
                    root_seen = true;
                    self.start(&tag, position, false)?;
                }
                Event::Empty(tag) => {
                    root_seen = true;
                    if self.start(&tag, position, true)? {
                        return Ok(self.out);
                    }
                }
                Event::End(tag) => {
                    if self.end(tag.name().0)? {
                        return Ok(self.out);
                    }
                }
                Event::Text(text) => self.text(&text, position, true)?,
                Event::CData(data) => self.text(&data, position, true)?,
                Event::GeneralRef(reference) => {
                    let c = resolve_reference(&reference, position)?;
                    if self.frames.is_empty() {
                        return Err(syntax(position, "a reference outside the document element"));
                    }
                    if self.in_output() {
                        let mut buf = [0; 4];
                        self.text(c.encode_utf8(&mut buf), position, false)?;
                    }
                }
                Event::PI(pi) => {
                    if !tree::is_pi_target(pi.target()) {
                        return Err(syntax(
                            position,
                            format!("{:?} is not a processing instruction target", pi.target()),
                        ));
                    }
                    self.processing_instruction(pi.target(), pi.content());
                }
                Event::DocType(_) => return Err(C14nError::Doctype),
                Event::Decl(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if !self.frames.is_empty() {
            return Err(syntax(
                self.input.len(),
                "the document ends inside an element",
            ));
        }
        if !root_seen {
            return Err(syntax(0, "no document element"));
        }
        match self.selection {
            Selection::Document { exclude: Some(at) } | Selection::Element { start: at }
                if !self.found =>
            {
                Err(C14nError::NoElementAt(at))
            }
            _ => Ok(self.out),
        }
    }

    fn in_output(&self) -> bool {
        self.skipping == 0 && self.frames.last().is_some_and(|f| f.output)
    }

    /// Handles a start tag; returns true when the selected element of `Selection::Element` is
    /// complete (an empty element).
    fn start(
        &mut self,
        tag: &BytesStart<'_>,
        position: usize,
        empty: bool,
    ) -> Result<bool, C14nError> {
        let qname = tag.name().0;
        if !tree::is_qname(qname) {
            return Err(syntax(
                position,
                format!("{qname:?} is not an element name"),
            ));
        }
        if self.skipping > 0 {
            if !empty {
                self.skipping += 1;
            }
            return Ok(false);
        }
        if self.frames.is_empty() && self.root_done {
            return Err(syntax(position, "a second document element"));
        }
        let (output, apex) = match self.selection {
            Selection::Document { exclude } => {
                if exclude == Some(position) {
                    if self.frames.is_empty() {
                        return Err(syntax(position, "the document element cannot be left out"));
                    }
                    self.found = true;
                    if !empty {
                        self.skipping = 1;
                    }
                    return Ok(false);
                }
                (true, false)
            }
            Selection::Element { start } => {
                let apex = start == position;
                if apex {
                    self.found = true;
                }
                (apex || self.frames.last().is_some_and(|f| f.output), apex)
            }
        };

        let scope_len = self.scope.len();
        let rendered_len = self.rendered.len();
        let mut attrs: Vec<Attr<'_>> = Vec::new();
        for attribute in tag.attributes().with_checks(true) {
            let attribute = attribute.map_err(|e| syntax(position, e.to_string()))?;
            let qname = attribute.key.0;
            if !tree::is_qname(qname) {
                return Err(syntax(
                    position,
                    format!("{qname:?} is not an attribute name"),
                ));
            }
            let value = match attribute.value {
                Cow::Borrowed(raw) => attribute_value(raw, position)?,
                Cow::Owned(raw) => Cow::Owned(attribute_value(&raw, position)?.into_owned()),
            };
            match attribute.key.as_namespace_binding() {
                Some(declaration) => self.declare(declaration, value, position)?,
                None => {
                    let (local, prefix) = attribute.key.decompose();
                    attrs.push(Attr {
                        qname,
                        prefix: prefix.map(|p| p.into_inner()),
                        local: local.into_inner(),
                        value,
                    });
                }
            }
        }

        if output {
            self.render_start(tag.name().0, &attrs, position)?;
        }
        if empty {
            if output {
                self.render_end(tag.name().0);
            }
            self.scope.truncate(scope_len);
            self.rendered.truncate(rendered_len);
            if self.frames.is_empty() {
                self.root_done = true;
            }
            return Ok(apex);
        }
        self.frames.push(Frame {
            scope_len,
            rendered_len,
            output,
            apex,
        });
        Ok(false)
    }

    /// Records a namespace declaration of the element being read.
    fn declare(
        &mut self,
        declaration: PrefixDeclaration<'_>,
        uri: Cow<'_, str>,
        position: usize,
    ) -> Result<(), C14nError> {
        let prefix = match declaration {
            PrefixDeclaration::Default => "",
            PrefixDeclaration::Named(prefix) => prefix,
        };
        let refuse = |detail: String| Err(C14nError::Namespace { position, detail });
        match prefix {
            "xml" if uri == XML_NS => return Ok(()),
            "xml" | "xmlns" => return refuse(format!("the prefix {prefix} cannot be declared")),
            _ if uri == XML_NS || uri == XMLNS_NS => {
                return refuse(format!("the namespace {uri} cannot be bound to a prefix"));
            }
            "" if matches!(declaration, PrefixDeclaration::Named(_)) => {
                return refuse("an empty prefix in xmlns:".into());
            }
            "" => {}
            _ if uri.is_empty() => {
                return refuse(format!(
                    "the prefix {prefix} is bound to an empty namespace name"
                ));
            }
            _ => {}
        }
        self.scope.push(Binding {
            prefix: prefix.to_owned(),
            uri: uri.into_owned(),
        });
        Ok(())
    }

    /// Renders the start tag of an output element: the namespace declarations it needs, then its
    /// attributes, each in canonical order; what it declares counts as rendered from then on.
    fn render_start(
        &mut self,
        qname: &str,
        attrs: &[Attr<'_>],
        position: usize,
    ) -> Result<(), C14nError> {
        let declarations = declarations(&self.scope, &self.rendered, qname, attrs, position)?;
        let sorted = sorted_attributes(&self.scope, attrs, position)?;
        write_start_tag(&mut self.out, qname, &declarations, &sorted);
        let new: Vec<Binding> = declarations
            .iter()
            .map(|(prefix, uri)| Binding {
                prefix: (*prefix).to_owned(),
                uri: (*uri).to_owned(),
            })
            .collect();
        self.rendered.extend(new);
        Ok(())
    }

    fn render_end(&mut self, qname: &str) {
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(qname.as_bytes());
        self.out.push(b'>');
    }

    /// Handles an end tag; returns true when the selected element of `Selection::Element` ended.
    fn end(&mut self, qname: &str) -> Result<bool, C14nError> {
        if self.skipping > 0 {
            self.skipping -= 1;
            return Ok(false);
        }
        let frame = self
            .frames
            .pop()
            .ok_or_else(|| syntax(self.input.len(), "an end tag without a start tag"))?;
        if frame.output {
            self.render_end(qname);
        }
        self.scope.truncate(frame.scope_len);
        self.rendered.truncate(frame.rendered_len);
        if self.frames.is_empty() {
            self.root_done = true;
        }
        Ok(frame.apex)
    }

    /// Handles character data: raw text (`raw`: line endings still to normalise) or one
    /// character from a reference.
    fn text(&mut self, content: &str, position: usize, raw: bool) -> Result<(), C14nError> {
        if self.frames.is_empty() {
            return if content
                .bytes()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Ok(())
            } else {
                Err(syntax(position, "text outside the document element"))
            };
        }
        if self.in_output() {
            escape_text(&mut self.out, content, raw, position)?;
        }
        Ok(())
    }

    fn processing_instruction(&mut self, target: &str, content: &str) {
        let outside = self.frames.is_empty();
        // Outside the document element, only a whole document renders processing instructions.
        let rendered = if outside {
            matches!(self.selection, Selection::Document { .. })
        } else {
            self.in_output()
        };
        if !rendered {
            return;
        }
        let data = content.trim_start_matches([' ', '\t', '\n', '\r']);
        let out = &mut self.out;
        if outside && self.root_done {
            out.push(b'\n');
        }
        out.extend_from_slice(b"<?");
        out.extend_from_slice(target.as_bytes());
        if !data.is_empty() {
            out.push(b' ');
            push_normalised_eol(out, data);
        }
        out.extend_from_slice(b"?>");
        if outside && !self.root_done {
            out.push(b'\n');
        }
    }
}

/// Prefix equality with the empty (default-namespace) prefix compared by length first: comparing
/// two empty strings through `memcmp` with dangling pointers costs ~140 ns on some glibc/CPU
/// combinations (measured here), which dominated the canonicalisation of documents in a default
/// namespace.
fn same_prefix(a: &str, b: &str) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// The namespace URI bound to `prefix` (`""` for the default namespace) in `scope`; `""` when
/// the default namespace is undeclared, `None` for an undeclared prefix.
fn in_scope<'s>(scope: &'s [Binding], prefix: &str) -> Option<&'s str> {
    if prefix == "xml" {
        return Some(XML_NS);
    }
    match scope.iter().rev().find(|b| same_prefix(&b.prefix, prefix)) {
        Some(binding) => Some(&binding.uri),
        None if prefix.is_empty() => Some(""),
        None => None,
    }
}

/// The namespace declarations an element's start tag renders, sorted by prefix: the bindings of
/// its visibly utilised prefixes (its own, or the default namespace, and those of its qualified
/// attributes) that no output ancestor rendered already.
fn declarations<'s>(
    scope: &'s [Binding],
    rendered: &[Binding],
    qname: &'s str,
    attrs: &[Attr<'s>],
    position: usize,
) -> Result<Vec<(&'s str, &'s str)>, C14nError> {
    let element_prefix = qname.split_once(':').map_or("", |(p, _)| p);
    let mut utilised: Vec<&str> = Vec::with_capacity(1 + attrs.len());
    utilised.push(element_prefix);
    for attr in attrs {
        if let Some(prefix) = attr.prefix
            && !utilised.contains(&prefix)
        {
            utilised.push(prefix);
        }
    }
    let mut declarations: Vec<(&str, &str)> = Vec::new();
    for prefix in utilised {
        if prefix == "xml" {
            continue;
        }
        if prefix == "xmlns" {
            return Err(C14nError::Namespace {
                position,
                detail: "the prefix xmlns is reserved".into(),
            });
        }
        let uri = declared(scope, prefix, position)?;
        let rendered = rendered
            .iter()
            .rev()
            .find(|b| same_prefix(&b.prefix, prefix))
            .map(|b| b.uri.as_str());
        let already = match rendered {
            Some(rendered) => rendered == uri,
            // Nothing rendered: an undeclared default namespace needs no xmlns="".
            None => prefix.is_empty() && uri.is_empty(),
        };
        if !already {
            declarations.push((prefix, uri));
        }
    }
    declarations.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Ok(declarations)
}

/// The attributes with their namespace URIs, sorted by (namespace URI, local name); refused when
/// two of them have the same.
fn sorted_attributes<'s, 'a>(
    scope: &'s [Binding],
    attrs: &'a [Attr<'_>],
    position: usize,
) -> Result<Vec<(&'s str, &'a Attr<'a>)>, C14nError> {
    let mut sorted: Vec<(&str, &Attr<'_>)> = Vec::with_capacity(attrs.len());
    for attr in attrs {
        let ns = match attr.prefix {
            Some(prefix) => declared(scope, prefix, position)?,
            None => "",
        };
        sorted.push((ns, attr));
    }
    sorted.sort_unstable_by(|a, b| (a.0, a.1.local).cmp(&(b.0, b.1.local)));
    if let Some(pair) = sorted
        .windows(2)
        .find(|w| w[0].0 == w[1].0 && w[0].1.local == w[1].1.local)
    {
        return Err(C14nError::Namespace {
            position,
            detail: format!(
                "the attributes {} and {} have the same namespace and local name",
                pair[0].1.qname, pair[1].1.qname
            ),
        });
    }
    Ok(sorted)
}

/// Writes a start tag with its declarations and attributes, both in the order given.
fn write_start_tag(
    out: &mut Vec<u8>,
    qname: &str,
    declarations: &[(&str, &str)],
    attributes: &[(&str, &Attr<'_>)],
) {
    out.push(b'<');
    out.extend_from_slice(qname.as_bytes());
    for (prefix, uri) in declarations {
        out.extend_from_slice(b" xmlns");
        if !prefix.is_empty() {
            out.push(b':');
            out.extend_from_slice(prefix.as_bytes());
        }
        out.extend_from_slice(b"=\"");
        escape_attribute(out, uri);
        out.push(b'"');
    }
    for (_, attr) in attributes {
        out.push(b' ');
        out.extend_from_slice(attr.qname.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attribute(out, &attr.value);
        out.push(b'"');
    }
    out.push(b'>');
}

/// The namespace URI bound to `prefix` in `scope`, refused where the prefix is not declared.
fn declared<'s>(scope: &'s [Binding], prefix: &str, position: usize) -> Result<&'s str, C14nError> {
    in_scope(scope, prefix).ok_or_else(|| C14nError::Namespace {
        position,
        detail: format!("the prefix {prefix} is not declared"),
    })
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

fn syntax(position: usize, detail: impl Into<String>) -> C14nError {
    C14nError::Syntax {
        position,
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests;
