//! The characters of canonical XML: references resolved, attribute values normalised, text and
//! attribute values escaped as the recommendation says, line endings normalised.

use std::borrow::Cow;

use super::{C14nError, syntax};
use crate::text::{self, RefusedReference};

/// The character a reference (the text between `&` and `;`) stands for: a character reference
/// to a character XML 1.0 allows, or one of the five predefined entities.
pub(super) fn resolve_reference(name: &str, position: usize) -> Result<char, C14nError> {
    if name.starts_with('#') {
        return text::char_reference(name).map_err(|refused| match refused {
            RefusedReference::Malformed => C14nError::Reference(name.to_owned()),
            RefusedReference::NotXml(detail) => C14nError::Character {
                position,
                detail: format!("{detail} (at byte {position})"),
            },
        });
    }
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => Err(C14nError::Reference(name.to_owned())),
    }
}

/// The normalised value of an attribute from its raw text: references expanded, a literal
/// tab, newline, carriage return or CR LF pair replaced by one space (XML 1.0, 3.3.3, for CDATA
/// attributes: without a DTD every attribute is CDATA).
pub(super) fn attribute_value(raw: &str, position: usize) -> Result<Cow<'_, str>, C14nError> {
    if !raw
        .bytes()
        .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r' | b'<') || b < 0x20)
    {
        return Ok(Cow::Borrowed(raw));
    }
    let mut value = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '&' => {
                let (name, after) = rest
                    .split_once(';')
                    .ok_or_else(|| C14nError::Reference(rest.to_owned()))?;
                value.push(resolve_reference(name, position)?);
                rest = after;
            }
            '\r' => {
                rest = rest.strip_prefix('\n').unwrap_or(rest);
                value.push(' ');
            }
            '\t' | '\n' => value.push(' '),
            '<' => return Err(syntax(position, "a < in an attribute value")),
            c if !text::is_xml_char(c) => {
                return Err(syntax(
                    position,
                    format!("the character U+{:04X} is not allowed in XML", c as u32),
                ));
            }
            c => value.push(c),
        }
    }
    Ok(Cow::Owned(value))
}

/// Appends an attribute value escaped as C14N says: `&` `<` `"` tab, newline, carriage return.
pub(super) fn escape_attribute(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    let mut run = 0;
    for (i, b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'"' => b"&quot;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(escaped);
        run = i + 1;
    }
    out.extend_from_slice(&bytes[run..]);
}

/// Appends text escaped as C14N says: `&` `<` `>` and carriage return. With `raw`, the text
/// comes straight from the document and its line endings are normalised first (so a carriage
/// return only survives when it came from a character reference).
pub(super) fn escape_text(
    out: &mut Vec<u8>,
    text: &str,
    raw: bool,
    position: usize,
) -> Result<(), C14nError> {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escaped: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\r' if raw => b"\n",
            b'\r' => b"&#xD;",
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..0x20 => {
                return Err(syntax(
                    position,
                    format!("the character U+{b:04X} is not allowed in XML"),
                ));
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[run..i]);
        out.extend_from_slice(escaped);
        i += 1;
        if raw && b == b'\r' && bytes.get(i) == Some(&b'\n') {
            i += 1;
        }
        run = i;
    }
    out.extend_from_slice(&bytes[run..]);
    Ok(())
}

/// Appends `text` with `\r\n` and lone `\r` replaced by `\n`.
pub(super) fn push_normalised_eol(out: &mut Vec<u8>, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        out.push(b'\n');
        rest = &rest[i + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.extend_from_slice(rest.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::super::{C14nError, document};

    fn c14n(xml: &str) -> String {
        String::from_utf8(document(xml, None).expect("canonicalise")).expect("UTF-8")
    }

    #[test]
    fn normalises_line_endings_but_keeps_referenced_carriage_returns() {
        assert_eq!(
            c14n("<r>a\r\nb\rc\n&#13;&#xD;</r>"),
            "<r>a\nb\nc\n&#xD;&#xD;</r>"
        );
        assert_eq!(c14n("<r>\r<![CDATA[\r\n]]>\r</r>"), "<r>\n\n\n</r>");
    }

    #[test]
    fn normalises_and_escapes_attribute_values() {
        assert_eq!(
            c14n("<r a=\"x\ty\nz\r\nw\rv\" b=\"&#9;&#10;&#13;\" c='\"&lt;>&amp;'/>"),
            "<r a=\"x y z w v\" b=\"&#x9;&#xA;&#xD;\" c=\"&quot;&lt;>&amp;\"></r>"
        );
    }

    #[test]
    fn escapes_text() {
        assert_eq!(
            c14n("<r>&lt;&gt;&amp;&quot;&apos;\"'></r>"),
            "<r>&lt;&gt;&amp;\"'\"'&gt;</r>"
        );
    }

    #[test]
    fn refuses_characters_xml_does_not_allow_in_every_construct() {
        for doc in [
            "<r>\u{1}</r>",
            "<r a='\u{1}'/>",
            "<r><![CDATA[\u{1}]]></r>",
            "<r><!--\u{1}--></r>",
            "<r><?pi \u{1}?></r>",
            "<r>\u{FFFE}</r>",
            "<r a='\u{FFFF}'/>",
            "<r/><!--\u{FFFE}-->",
            "<r>&#1;</r>",
            "<r a='&#x1F;'/>",
            "<r>&#xFFFE;</r>",
            "<r a='&#65535;'/>",
        ] {
            let err = document(doc, None).expect_err(doc);
            assert!(
                matches!(err, C14nError::Character { .. }),
                "{doc:?}: {err:?}"
            );
            assert!(err.to_string().contains("XML 1.0"), "{doc:?}: {err}");
        }
        // Characters of the production pass, whether direct or referenced.
        assert_eq!(
            c14n("<r a='&#x10FFFF;'>\u{85}&#xFFFD;&#9;</r>"),
            "<r a=\"\u{10FFFF}\">\u{85}\u{FFFD}\t</r>"
        );
    }
}
