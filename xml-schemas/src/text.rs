//! What text may go into XML, checked where it enters the system.
//!
//! XML 1.0 allows only the characters of its `Char` production (section 2.2):
//! `#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`. Every other
//! character (the C0 controls but tab, line feed and carriage return, U+FFFE, U+FFFF; surrogates
//! cannot occur in a Rust string) makes a document that no conforming reader accepts, whether it
//! is written directly or as a character reference (`&#1;`). This crate's reader
//! ([`crate::tree`]) and canonicaliser ([`crate::c14n`]) refuse such documents, and its writers
//! never produce one (see the `try_to_xml` methods of the messages).
//!
//! The checks here are for the system's boundaries (the node's API, CLI, register import and
//! configuration; the map's descriptors), so that a person hears which field to correct before
//! anything is written:
//!
//! - [`check`]: the text may go into XML (the `Char` production). For multi-line free text
//!   where any character XML allows is fine.
//! - [`check_lines`]: multi-line text for people: tab, line feed and carriage return are the only
//!   control characters allowed (no DEL, no C1 controls U+0080–U+009F).
//! - [`check_line`]: a single-line field (a name, an identifier, a title): no control character
//!   at all (no tab, line feed or carriage return either) and no line or paragraph separator
//!   (U+2028, U+2029).
//!
//! Each refusal is an [`InvalidText`] naming the field, the character as `U+XXXX` and its
//! position (the first character is 1).

use std::fmt;

/// Why a text was refused: the field, the character and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {} at position {position} {}", Described(*.character), .reason.rule())]
#[non_exhaustive]
pub struct InvalidText {
    /// The field, as the caller named it (e.g. `family_name`, `NodeDescriptor: Name`).
    pub field: String,
    /// The offending character.
    pub character: char,
    /// Its position in the text, counted in characters from 1.
    pub position: usize,
    /// Which rule it breaks.
    pub reason: Reason,
}

/// The rule a character breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// Outside XML 1.0's `Char` production: not allowed in any XML document.
    NotXml,
    /// A control character (DEL, or a C1 control U+0080–U+009F) in text for people.
    Control,
    /// A tab, line break, other control character or line/paragraph separator in a single-line
    /// field.
    NotSingleLine,
}

impl Reason {
    fn rule(self) -> &'static str {
        match self {
            Reason::NotXml => {
                "is not allowed in XML (XML 1.0 allows no control characters but tab, line feed and carriage return, and neither U+FFFE nor U+FFFF); remove it"
            }
            Reason::Control => "is a control character and not allowed here; remove it",
            Reason::NotSingleLine => {
                "is not allowed in a single-line field; write the value on one line without tabs or control characters"
            }
        }
    }
}

impl InvalidText {
    /// The same refusal for a field named `prefix` + `separator` + this field (a path from the
    /// outside in, e.g. `Register[3]` + `: ` + `Name`).
    pub fn within(mut self, prefix: &str, separator: &str) -> InvalidText {
        self.field = format!("{prefix}{separator}{}", self.field);
        self
    }
}

/// The character as `U+XXXX`, with its name where a person would not recognise it otherwise.
struct Described(char);

impl fmt::Display for Described {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the character U+{:04X}", u32::from(self.0))?;
        let name = match self.0 {
            '\t' => "tab",
            '\n' => "line feed",
            '\r' => "carriage return",
            '\0' => "null",
            '\u{7F}' => "delete",
            '\u{2028}' => "line separator",
            '\u{2029}' => "paragraph separator",
            '\u{FFFE}' | '\u{FFFF}' => "not a character",
            c if c.is_control() => "a control character",
            _ => return Ok(()),
        };
        write!(f, " ({name})")
    }
}

/// Whether XML 1.0 allows `c` (the `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether XML 1.0 allows the character with this code point (for character references, which
/// may name surrogates or numbers past U+10FFFF).
pub fn is_xml_code_point(code: u32) -> bool {
    char::from_u32(code).is_some_and(is_xml_char)
}

/// Checks that `value` may go into XML: every character is one XML 1.0 allows.
pub fn check(field: &str, value: &str) -> Result<(), InvalidText> {
    match first_not_xml(value) {
        None => Ok(()),
        Some(at) => Err(refusal(field, value, at, Reason::NotXml)),
    }
}

/// Checks multi-line text for people: [`check`], and no control character but tab, line feed and
/// carriage return.
pub fn check_lines(field: &str, value: &str) -> Result<(), InvalidText> {
    check(field, value)?;
    match value.find(|c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        None => Ok(()),
        Some(at) => Err(refusal(field, value, at, Reason::Control)),
    }
}

/// Checks a single-line field: [`check`], and no control character at all (no tab, line feed or
/// carriage return either), no line or paragraph separator.
pub fn check_line(field: &str, value: &str) -> Result<(), InvalidText> {
    check(field, value)?;
    match value.find(|c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
        None => Ok(()),
        Some(at) => Err(refusal(field, value, at, Reason::NotSingleLine)),
    }
}

/// The byte offset of the first character of `text` that XML 1.0 does not allow.
///
/// One pass over the bytes: below U+0080 only the C0 controls but tab, line feed and carriage
/// return are refused; above, only U+FFFE and U+FFFF (`EF BF BE`, `EF BF BF` in UTF-8), since a
/// `str` holds no surrogates.
pub(crate) fn first_not_xml(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\t' | b'\n' | b'\r' => {}
            0..0x20 => return Some(i),
            0xEF if bytes.get(i + 1) == Some(&0xBF)
                && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
            {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// What a reader says about a character XML 1.0 does not allow at byte `at` of `document`:
/// the character, the byte, line and column (from 1).
pub(crate) fn not_xml_in_document(document: &str, at: usize) -> String {
    let before = &document[..at];
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |n| n + 1)..]
        .chars()
        .count()
        + 1;
    let character = document[at..].chars().next().unwrap_or('\u{FFFD}');
    format!(
        "{} at byte {at} (line {line}, column {column}) is not allowed in XML 1.0 (no control characters but tab, line feed and carriage return, neither U+FFFE nor U+FFFF)",
        Described(character)
    )
}

/// Why a character reference was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefusedReference {
    /// Not `#` and decimal digits or `#x` and hex digits.
    Malformed,
    /// A number that is not a character XML 1.0 allows; the text says which, for a person.
    NotXml(String),
}

/// The character a character reference stands for, given the text between `&` and `;`
/// (`#65`, `#x41`), if it is one XML 1.0 allows.
pub(crate) fn char_reference(name: &str) -> Result<char, RefusedReference> {
    let code = if let Some(hex) = name.strip_prefix("#x") {
        (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(hex, 16).ok())
            .flatten()
    } else if let Some(decimal) = name.strip_prefix('#') {
        (!decimal.is_empty() && decimal.bytes().all(|b| b.is_ascii_digit()))
            .then(|| decimal.parse::<u32>().ok())
            .flatten()
    } else {
        None
    };
    let code = code.ok_or(RefusedReference::Malformed)?;
    match char::from_u32(code) {
        Some(c) if is_xml_char(c) => Ok(c),
        Some(c) => Err(RefusedReference::NotXml(format!(
            "the character reference &{name}; stands for {}, which XML 1.0 does not allow",
            Described(c)
        ))),
        None => Err(RefusedReference::NotXml(format!(
            "the character reference &{name}; stands for U+{code:04X}, which is not a character"
        ))),
    }
}

/// The refusal of the character at byte offset `at` of `value`.
pub(crate) fn refusal(field: &str, value: &str, at: usize, reason: Reason) -> InvalidText {
    InvalidText {
        field: field.to_owned(),
        character: value[at..].chars().next().unwrap_or('\u{FFFD}'),
        position: value[..at].chars().count() + 1,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_char_production() {
        for good in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
            '\u{85}',
            '\u{7F}',
        ] {
            assert!(is_xml_char(good), "{good:?}");
            assert!(check("f", &format!("a{good}b")).is_ok(), "{good:?}");
        }
        for bad in [
            '\0', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1F}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert!(!is_xml_char(bad), "{bad:?}");
            let error = check("f", &format!("ä{bad}b")).expect_err("refused");
            assert_eq!(
                (error.character, error.position, error.reason),
                (bad, 2, Reason::NotXml)
            );
        }
        assert!(!is_xml_code_point(0xD800));
        assert!(!is_xml_code_point(0x11_0000));
        assert!(is_xml_code_point(0x41));
    }

    #[test]
    fn the_scan_agrees_with_the_production_on_every_character() {
        for code in (0..0x3_0000).chain(0x10_FF00..=0x10_FFFF) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let text = format!("x{c}y");
            assert_eq!(
                first_not_xml(&text).is_none(),
                is_xml_char(c),
                "U+{code:04X}"
            );
        }
    }

    #[test]
    fn the_error_names_the_field_the_character_and_where() {
        let error = check("family_name", "Mül\u{1}ler").expect_err("refused");
        assert_eq!(
            error.to_string(),
            "family_name: the character U+0001 (a control character) at position 4 is not allowed in XML (XML 1.0 allows no control characters but tab, line feed and carriage return, and neither U+FFFE nor U+FFFF); remove it"
        );
        let error = check("title", "a\u{FFFE}").expect_err("refused");
        assert!(
            error
                .to_string()
                .starts_with("title: the character U+FFFE (not a character) at position 2"),
            "{error}"
        );
        let error = check_line("name", "Stadt\nBremen").expect_err("refused");
        assert_eq!(
            error.to_string(),
            "name: the character U+000A (line feed) at position 6 is not allowed in a single-line field; write the value on one line without tabs or control characters"
        );
        assert_eq!(error.within("Register[2]", ": ").field, "Register[2]: name");
    }

    #[test]
    fn single_and_multi_line_fields() {
        for ok in [
            "Stadt Bremen",
            "Müller-Lüdenscheidt",
            "§ 33 BMG",
            "名前",
            "😀",
        ] {
            assert!(check_line("f", ok).is_ok(), "{ok}");
            assert!(check_lines("f", ok).is_ok(), "{ok}");
        }
        for (bad, character) in [
            ("a\tb", '\t'),
            ("a\rb", '\r'),
            ("a\u{85}b", '\u{85}'),
            ("a\u{7F}", '\u{7F}'),
            ("a\u{2028}b", '\u{2028}'),
        ] {
            let error = check_line("f", bad).expect_err(bad);
            assert_eq!(
                (error.character, error.position, error.reason),
                (character, 2, Reason::NotSingleLine),
                "{bad:?}"
            );
        }
        assert!(check_lines("f", "BMG\r\n§ 33\tAbs. 1").is_ok());
        assert_eq!(
            check_lines("f", "a\u{9F}").map_err(|e| e.reason),
            Err(Reason::Control)
        );
        // The XML rule is checked first: a control XML refuses is named as such everywhere.
        assert_eq!(
            check_line("f", "a\u{1}").map_err(|e| e.reason),
            Err(Reason::NotXml)
        );
        assert_eq!(
            check_lines("f", "a\u{1}").map_err(|e| e.reason),
            Err(Reason::NotXml)
        );
    }
}
