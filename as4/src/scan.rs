//! One streaming pass over a SOAP envelope that finds, by byte offset, every element an ID
//! attribute names, and refuses an envelope in which two elements share one: a reference must
//! name exactly one element, or a signature could be made to cover a copy (signature
//! wrapping).

use std::collections::HashMap;

use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::error::{EbmsError, authentication, header};

/// An element an ID names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    /// The start of its start tag.
    pub(crate) start: usize,
    /// Its namespace.
    pub(crate) ns: Option<String>,
    /// Its local name.
    pub(crate) local: String,
    /// Its depth: 0 for the document element.
    pub(crate) depth: usize,
}

/// Where things are in an envelope.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// The elements by ID (`wsu:Id`, `Id`, `ID`, `id`, in any namespace).
    pub(crate) ids: HashMap<String, Located>,
    /// The start of every `ds:SignedInfo`.
    pub(crate) signed_infos: Vec<usize>,
}

/// Finds the elements of a document by ID and every `ds:SignedInfo`.
pub(crate) fn scan(xml: &str) -> Result<Layout, EbmsError> {
    let mut reader = NsReader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut found: HashMap<String, Located> = HashMap::new();
    let mut signed_infos = Vec::new();
    let mut depth = 0usize;
    loop {
        let start = offset(reader.buffer_position());
        let (resolved, event) = reader.read_resolved_event().map_err(|e| {
            header(format!(
                "the SOAP envelope is not well-formed XML at byte {start}: {e}"
            ))
        })?;
        let (tag, empty) = match event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::DocType(_) => return Err(header("the SOAP envelope has a DOCTYPE")),
            Event::Eof => break,
            _ => continue,
        };
        let ns = match resolved {
            ResolveResult::Bound(ns) => Some(ns.0.to_owned()),
            _ => None,
        };
        if ns.as_deref() == Some(crate::ns::DS) && tag.local_name().as_ref() == "SignedInfo" {
            signed_infos.push(start);
        }
        for attribute in tag.attributes().with_checks(true) {
            let attribute = attribute
                .map_err(|e| header(format!("an attribute at byte {start} is malformed: {e}")))?;
            let local = attribute.key.local_name();
            if !matches!(local.as_ref(), "Id" | "ID" | "id") {
                continue;
            }
            let value = attribute
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| header(format!("an ID at byte {start} is malformed: {e}")))?
                .trim()
                .to_owned();
            let located = Located {
                start,
                ns: ns.clone(),
                local: tag.local_name().as_ref().to_owned(),
                depth,
            };
            if found.insert(value.clone(), located).is_some() {
                return Err(authentication(format!(
                    "two elements carry the ID {value:?}: a reference must name exactly one"
                )));
            }
        }
        if !empty {
            depth += 1;
        }
    }
    Ok(Layout {
        ids: found,
        signed_infos,
    })
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_with_their_offsets_and_depths() {
        let xml = r#"<a xmlns:u="urn:u"><b u:Id="x"/><c Id="y"><d id="z"></d></c></a>"#;
        let found = scan(xml).expect("scanned").ids;
        assert_eq!(found["x"].start, xml.find("<b").expect("b"));
        assert_eq!(found["x"].ns, None);
        assert_eq!(found["y"].depth, 1);
        assert_eq!(found["z"].depth, 2);
        assert_eq!(found["z"].local, "d");
    }

    #[test]
    fn a_duplicate_id_is_refused_as_wrapping() {
        let error = scan(r#"<a><b Id="x"/><c><b Id="x"/></c></a>"#).expect_err("refused");
        assert_eq!(error.code, crate::EbmsCode::FailedAuthentication);
        assert!(error.detail.contains("\"x\""), "{error}");
    }

    #[test]
    fn a_doctype_is_refused() {
        let error = scan("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>").expect_err("refused");
        assert_eq!(error.code, crate::EbmsCode::InvalidHeader);
    }
}
