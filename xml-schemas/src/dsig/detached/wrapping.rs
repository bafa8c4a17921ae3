//! The document-wide rules of a detached signature that keep signature wrapping out: one
//! `ds:Signature` (the document element), at most one `ds:Object` (its child), and the only ID
//! attribute that object's `Id`, used once.

use std::collections::HashSet;

use crate::dsig::{DSIG_NS, DsigError};
use crate::ns::XML;
use crate::tree::Element;

/// An ID attribute of the document, and whether it sits on the signature's own `ds:Object`.
struct IdAttribute<'e> {
    element: &'e Element,
    attribute: String,
    value: &'e str,
    on_object: bool,
}

/// Checks the document-wide rules on the tree of the whole document; returns the `Id` of the
/// `ds:Object` if there is one.
pub(super) fn check(root: &Element) -> Result<Option<&str>, DsigError> {
    if !root.is(DSIG_NS, "Signature") {
        return Err(DsigError::Structure(format!(
            "the document element must be ds:Signature ({DSIG_NS}), not {} ({})",
            root.local,
            root.ns.as_deref().unwrap_or("no namespace")
        )));
    }
    let mut signatures = 0;
    let mut objects = 0;
    let mut ids = Vec::new();
    // (element, its parent, whether the parent is the document element); depth is bounded by
    // the reader's limits.
    let mut stack: Vec<(&Element, Option<&Element>)> = vec![(root, None)];
    while let Some((element, parent)) = stack.pop() {
        let root_child = parent.is_some_and(|p| std::ptr::eq(p, root));
        if element.is(DSIG_NS, "Signature") {
            signatures += 1;
        }
        let object = element.is(DSIG_NS, "Object");
        if object {
            objects += 1;
            if !root_child {
                let parent = parent.map_or_else(String::new, |p| format!("ds:{}", p.local));
                return Err(DsigError::MisplacedObject { parent });
            }
        }
        ids.extend(id_attributes(element, object));
        stack.extend(element.children.iter().rev().map(|c| (c, Some(element))));
    }
    if signatures > 1 {
        return Err(DsigError::Multiple(signatures));
    }
    if objects > 1 {
        return Err(DsigError::ObjectCount(objects));
    }
    let mut seen = HashSet::with_capacity(ids.len());
    if let Some(twice) = ids.iter().find(|id| !seen.insert(id.value)) {
        return Err(DsigError::DuplicateId(twice.value.to_owned()));
    }
    match ids.iter().find(|id| !id.on_object) {
        Some(stray) => Err(DsigError::StrayId {
            element: stray.element.local.clone(),
            attribute: stray.attribute.clone(),
            id: stray.value.to_owned(),
        }),
        None => Ok(ids.first().map(|id| id.value)),
    }
}

/// The attributes of `element` that a verifier may take as IDs: `Id`, `ID` and `id` without a
/// namespace (XML Signature, SAML, common practice) and `xml:id`. Only an `Id` on the
/// signature's `ds:Object` (`object`) is the profile's.
fn id_attributes(element: &Element, object: bool) -> impl Iterator<Item = IdAttribute<'_>> {
    element.attributes.iter().filter_map(move |a| {
        let attribute = match a.ns.as_deref() {
            None if matches!(a.local.as_str(), "Id" | "ID" | "id") => a.local.clone(),
            Some(XML) if a.local == "id" => "xml:id".to_owned(),
            _ => return None,
        };
        Some(IdAttribute {
            element,
            on_object: object && attribute == "Id",
            attribute,
            value: &a.value,
        })
    })
}
