//! Writing the markup of this crate's envelopes, and reading their elements strictly.

use once_xml::tree::Element;

use crate::error::{EbmsError, header};

/// Appends `value` as element text, escaped.
pub(crate) fn text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Appends `value` as an attribute value (in double quotes), escaped.
pub(crate) fn attr(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// `<name attrs>text</name>`, the text escaped.
pub(crate) fn leaf(out: &mut String, name: &str, attributes: &[(&str, &str)], value: &str) {
    out.push('<');
    out.push_str(name);
    for (key, value) in attributes {
        out.push(' ');
        out.push_str(key);
        out.push_str("=\"");
        attr(out, value);
        out.push('"');
    }
    out.push('>');
    text(out, value);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The one child `ns:local` of `parent`; none or several is an invalid header.
pub(crate) fn one<'e>(
    parent: &'e Element,
    ns: &str,
    local: &str,
) -> Result<&'e Element, EbmsError> {
    let mut found = parent.children_named(ns, local);
    match (found.next(), found.next()) {
        (Some(e), None) => Ok(e),
        (None, _) => Err(header(format!("{} has no {local}", parent.local))),
        (Some(_), Some(_)) => Err(header(format!(
            "{} has more than one {local}",
            parent.local
        ))),
    }
}

/// The child `ns:local` of `parent` if there is one; several is an invalid header.
pub(crate) fn optional<'e>(
    parent: &'e Element,
    ns: &str,
    local: &str,
) -> Result<Option<&'e Element>, EbmsError> {
    let mut found = parent.children_named(ns, local);
    let first = found.next();
    if found.next().is_some() {
        return Err(header(format!(
            "{} has more than one {local}",
            parent.local
        )));
    }
    Ok(first)
}

/// The non-empty trimmed text of `element`.
pub(crate) fn required_text(element: &Element) -> Result<String, EbmsError> {
    let value = element.trimmed_text();
    if value.is_empty() {
        return Err(header(format!("{} is empty", element.local)));
    }
    Ok(value.to_owned())
}

/// The value of the attribute (`ns` `None`: unqualified).
pub(crate) fn attribute(element: &Element, ns: Option<&str>, local: &str) -> Option<String> {
    element.attribute(ns, local).map(str::to_owned)
}

/// A fresh random identifier: 32 hex digits (128 bits from the thread's CSPRNG, seeded by the
/// operating system).
pub(crate) fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
