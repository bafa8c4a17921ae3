//! One streaming pass over a document that finds, by byte offset, where a signature goes and
//! every `ds:Signature` there is.

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{PrefixDeclaration, ResolveResult};

use super::{DSIG_NS, DsigError, Placement};
use crate::c14n::C14nError;
use crate::ns::{RIM, XSI};

/// Where things are in a document, by byte offset: one streaming pass.
#[derive(Debug, Default)]
pub(super) struct Layout {
    /// The qualified name of the document element.
    pub(super) root_qname: String,
    /// Just after the document element's start tag.
    pub(super) root_open_end: usize,
    /// The start of the document element's end tag; `None` for an empty-element tag.
    pub(super) root_close_start: Option<usize>,
    /// Just after the last of the leading `rim:Slot` children of the document element.
    pub(super) leading_slots_end: Option<usize>,
    /// A prefix the document element binds to the rim namespace (`rim` preferred).
    pub(super) rim_prefix: Option<String>,
    /// A prefix the document element binds to the xsi namespace (`xsi` preferred).
    pub(super) xsi_prefix: Option<String>,
    /// Every `ds:Signature` element, in document order.
    pub(super) signatures: Vec<FoundSignature>,
}

/// A `ds:Signature` element the scan found.
#[derive(Debug)]
pub(super) struct FoundSignature {
    /// The start of its start tag.
    pub(super) start: usize,
    /// The placement it is at, if any.
    pub(super) placement: Option<Placement>,
    /// The start of its first `ds:SignedInfo` child.
    pub(super) signed_info: Option<usize>,
}

/// What an open element is, as far as placement goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    /// A `rim:Slot` child of the root; `signature`: named "Signature".
    RootSlot {
        signature: bool,
    },
    SignatureSlotValue,
    Signature,
    Other,
}

/// Finds, in one streaming pass, where a signature goes in `xml` and every `ds:Signature` it
/// holds already. The reader checks end names and comments and refuses a DOCTYPE, a second
/// document element or a document that ends inside an element, as canonicalisation would.
pub(super) fn scan(xml: &str) -> Result<Layout, DsigError> {
    let mut reader = NsReader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut scanner = Scanner::new();
    loop {
        let position = offset(reader.buffer_position());
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| C14nError::Syntax {
                position,
                detail: e.to_string(),
            })?;
        // Only these two namespaces matter for placement.
        let namespace = match resolved {
            ResolveResult::Bound(ns) => [RIM, DSIG_NS].into_iter().find(|k| *k == ns.0),
            _ => None,
        };
        let (tag, empty) = match event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::End(_) => {
                scanner.end(position, offset(reader.buffer_position()));
                continue;
            }
            Event::DocType(_) => return Err(C14nError::Doctype.into()),
            Event::Eof => break,
            _ => continue,
        };
        let opened = Opened {
            tag: &tag,
            namespace,
            start: position,
            end: offset(reader.buffer_position()),
        };
        scanner.start(&opened, empty)?;
    }
    scanner.finish(xml.len())
}

/// A start tag as placement sees it.
struct Opened<'t, 'x> {
    tag: &'t BytesStart<'x>,
    /// Its namespace if it is the rim or the ds namespace; no other matters for placement.
    namespace: Option<&'static str>,
    /// The start of the tag.
    start: usize,
    /// Just after the tag.
    end: usize,
}

impl Opened<'_, '_> {
    /// Whether the element is `local` in the namespace `ns` (rim or ds).
    fn is(&self, ns: &str, local: &str) -> bool {
        self.namespace == Some(ns) && self.tag.local_name().into_inner() == local
    }
}

/// The state of the pass: the layout found so far and what each open element is.
struct Scanner {
    layout: Layout,
    /// What each open element is, the document element first.
    stack: Vec<Kind>,
    /// Every child of the document element so far has been a `rim:Slot`.
    leading_slots: bool,
}

impl Scanner {
    fn new() -> Scanner {
        Scanner {
            layout: Layout::default(),
            stack: Vec::new(),
            leading_slots: true,
        }
    }

    /// Handles a start tag; `empty` for an empty-element tag, which is its own end.
    fn start(&mut self, opened: &Opened<'_, '_>, empty: bool) -> Result<(), DsigError> {
        let parent = self.stack.last().copied();
        let kind = self.kind(parent, opened)?;
        let kind = if opened.is(DSIG_NS, "Signature") {
            self.layout.signatures.push(FoundSignature {
                start: opened.start,
                placement: match parent {
                    Some(Kind::Root) => Some(Placement::LastChild),
                    Some(Kind::SignatureSlotValue) => Some(Placement::Slot),
                    _ => None,
                },
                signed_info: None,
            });
            Kind::Signature
        } else {
            kind
        };
        if empty {
            if parent == Some(Kind::Root)
                && self.leading_slots
                && matches!(kind, Kind::RootSlot { .. })
            {
                self.layout.leading_slots_end = Some(opened.end);
            }
        } else {
            self.stack.push(kind);
        }
        Ok(())
    }

    /// What an element is under `parent`, recording what its place says about the layout.
    fn kind(&mut self, parent: Option<Kind>, opened: &Opened<'_, '_>) -> Result<Kind, DsigError> {
        Ok(match parent {
            None => {
                self.document_element(opened)?;
                Kind::Root
            }
            Some(Kind::Root) => self.root_child(opened),
            Some(Kind::RootSlot { signature: true }) if opened.is(RIM, "SlotValue") => {
                Kind::SignatureSlotValue
            }
            Some(Kind::Signature) if opened.is(DSIG_NS, "SignedInfo") => {
                if let Some(found) = self.layout.signatures.last_mut()
                    && found.signed_info.is_none()
                {
                    found.signed_info = Some(opened.start);
                }
                Kind::Other
            }
            _ => Kind::Other,
        })
    }

    /// Records the document element: its name, the end of its start tag and its prefixes.
    fn document_element(&mut self, opened: &Opened<'_, '_>) -> Result<(), DsigError> {
        if !self.layout.root_qname.is_empty() {
            return Err(C14nError::Syntax {
                position: opened.start,
                detail: "a second document element".into(),
            }
            .into());
        }
        self.layout.root_qname = opened.tag.name().0.to_owned();
        self.layout.root_open_end = opened.end;
        root_prefixes(opened.tag, &mut self.layout)
    }

    /// A child of the document element: a `rim:Slot` (leading or not) or anything else, which
    /// ends the leading slots.
    fn root_child(&mut self, opened: &Opened<'_, '_>) -> Kind {
        // A later sibling means a signature before it is not the last child.
        for found in &mut self.layout.signatures {
            if found.placement == Some(Placement::LastChild) {
                found.placement = None;
            }
        }
        if opened.is(RIM, "Slot") {
            let signature = opened
                .tag
                .try_get_attribute("name")
                .ok()
                .flatten()
                .is_some_and(|a| a.value == "Signature");
            Kind::RootSlot { signature }
        } else {
            self.leading_slots = false;
            Kind::Other
        }
    }

    /// Handles an end tag that starts at `position` and ends at `end`.
    fn end(&mut self, position: usize, end: usize) {
        let kind = self.stack.pop();
        if self.stack.len() == 1
            && self.leading_slots
            && matches!(kind, Some(Kind::RootSlot { .. }))
        {
            self.layout.leading_slots_end = Some(end);
        } else if self.stack.is_empty() {
            self.layout.root_close_start = Some(position);
        }
    }

    /// The layout, once the input of `len` bytes has ended: refused without a document element
    /// or inside an open one.
    fn finish(self, len: usize) -> Result<Layout, DsigError> {
        if self.layout.root_qname.is_empty() {
            return Err(C14nError::Syntax {
                position: 0,
                detail: "no document element".into(),
            }
            .into());
        }
        if !self.stack.is_empty() {
            return Err(C14nError::Syntax {
                position: len,
                detail: "the document ends inside an element".into(),
            }
            .into());
        }
        Ok(self.layout)
    }
}

/// Records the prefixes the document element binds to the rim and xsi namespaces.
fn root_prefixes(tag: &BytesStart<'_>, layout: &mut Layout) -> Result<(), DsigError> {
    for attribute in tag.attributes().with_checks(true) {
        let attribute = attribute.map_err(|e| C14nError::Syntax {
            position: 0,
            detail: e.to_string(),
        })?;
        let Some(PrefixDeclaration::Named(prefix)) = attribute.key.as_namespace_binding() else {
            continue;
        };
        let uri = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| C14nError::Syntax {
                position: 0,
                detail: e.to_string(),
            })?;
        for (ns, preferred, slot) in [
            (RIM, "rim", &mut layout.rim_prefix),
            (XSI, "xsi", &mut layout.xsi_prefix),
        ] {
            if uri == ns && (slot.is_none() || prefix == preferred) {
                *slot = Some(prefix.to_owned());
            }
        }
    }
    Ok(())
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_finds_the_insertion_points_and_every_signature() {
        let doc = concat!(
            r#"<q:R xmlns:q="urn:q" xmlns:r="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" "#,
            r#"xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">"#,
            r#"<rim:Slot name="A"/><r:Slot name="B"></r:Slot><q:Other/><rim:Slot name="late"/>"#,
            r#"<x><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature></x>"#,
            r#"</q:R>"#
        );
        let layout = scan(doc).expect("scan");
        assert_eq!(layout.root_qname, "q:R");
        assert_eq!(
            &doc[..layout.root_open_end],
            &doc[..doc.find("<rim:Slot").expect("slot")]
        );
        assert_eq!(layout.leading_slots_end, doc.find("<q:Other/>"));
        assert_eq!(layout.root_close_start, doc.find("</q:R>"));
        assert_eq!(layout.rim_prefix.as_deref(), Some("rim"));
        assert_eq!(layout.xsi_prefix.as_deref(), Some("i"));
        let [found] = layout.signatures.as_slice() else {
            panic!("one signature: {:?}", layout.signatures)
        };
        assert_eq!(Some(found.start), doc.find("<Signature"));
        assert_eq!(found.signed_info, doc.find("<SignedInfo"));
        assert_eq!(found.placement, None, "inside x: neither placement");
    }
}
