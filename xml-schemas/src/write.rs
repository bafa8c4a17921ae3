//! Writing the XML of this crate: markup as given, values escaped and checked in one pass.
//!
//! The contract: a [`Writer`] never emits a character this crate's reader refuses. Markup
//! ([`Writer::push_str`], [`Writer::push`]) comes from this crate's own constants and from values
//! of a closed form (dates, numbers, enumerations); values from outside go through
//! [`Writer::text`] and [`Writer::attr`], which escape them and, in the same pass, find any
//! character outside XML 1.0's `Char` production. Such a character is not written (U+FFFD takes
//! its place, so the document stays well-formed) and the first one is kept as an
//! [`InvalidText`] naming the field; [`Writer::finish`] returns it. The messages' `try_to_xml`
//! methods return that error; their `to_xml` methods return the document with the replacement
//! (callers validate at their boundary with [`crate::text`], so it does not happen).

use crate::text::{self, InvalidText, Reason};

/// What a refused character is written as.
const REPLACEMENT: &str = "\u{FFFD}";

/// An XML document being written.
#[derive(Debug)]
pub(crate) struct Writer {
    out: String,
    error: Option<InvalidText>,
}

impl Writer {
    pub(crate) fn with_capacity(capacity: usize) -> Writer {
        Writer {
            out: String::with_capacity(capacity),
            error: None,
        }
    }

    /// Appends markup, as is.
    pub(crate) fn push_str(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// Appends one character of markup.
    pub(crate) fn push(&mut self, markup: char) {
        self.out.push(markup);
    }

    /// Appends the value of `field` escaped for element content. A carriage return is written as
    /// a reference: a reader turns a literal one into a line feed (XML 1.0, 2.11), and the value
    /// would change.
    pub(crate) fn text(&mut self, field: &str, value: &str) {
        self.escape(field, value, false);
    }

    /// Appends the value of `field` escaped for a double-quoted attribute (tab, line feed and
    /// carriage return as references, which attribute-value normalisation keeps).
    pub(crate) fn attr(&mut self, field: &str, value: &str) {
        self.escape(field, value, true);
    }

    /// Runs `write`; a refusal during it gets `path` (computed only then) before its field name.
    pub(crate) fn within(&mut self, path: impl FnOnce() -> String, write: impl FnOnce(&mut Self)) {
        let clean = self.error.is_none();
        write(self);
        if clean && let Some(error) = self.error.take() {
            self.error = Some(error.within(&path(), "/"));
        }
    }

    /// The document, or the first character that could not be written.
    pub(crate) fn finish(self) -> Result<String, InvalidText> {
        match self.error {
            None => Ok(self.out),
            Some(error) => Err(error),
        }
    }

    /// The document, with U+FFFD for every character that could not be written.
    pub(crate) fn into_lossy(self) -> String {
        self.out
    }

    fn escape(&mut self, field: &str, value: &str, attribute: bool) {
        let bytes = value.as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            let (escaped, len) = match bytes[i] {
                b'<' => ("&lt;", 1),
                b'>' => ("&gt;", 1),
                b'&' => ("&amp;", 1),
                b'\r' => ("&#13;", 1),
                b'"' if attribute => ("&quot;", 1),
                b'\n' if attribute => ("&#10;", 1),
                b'\t' if attribute => ("&#9;", 1),
                b'\t' | b'\n' => {
                    i += 1;
                    continue;
                }
                0..0x20 => (self.refuse(field, value, i), 1),
                // U+FFFE and U+FFFF; no other character of three or more bytes is refused.
                0xEF if bytes.get(i + 1) == Some(&0xBF)
                    && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) =>
                {
                    (self.refuse(field, value, i), 3)
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            // `run` and `i` are at ASCII bytes or the lead byte of U+FFFE/U+FFFF: char
            // boundaries.
            self.out.push_str(&value[run..i]);
            self.out.push_str(escaped);
            i += len;
            run = i;
        }
        self.out.push_str(&value[run..]);
    }

    /// Records the refusal of the character at byte `at` (the first one only) and returns its
    /// replacement.
    fn refuse(&mut self, field: &str, value: &str, at: usize) -> &'static str {
        if self.error.is_none() {
            self.error = Some(text::refusal(field, value, at, Reason::NotXml));
        }
        REPLACEMENT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> Result<String, InvalidText> {
        let mut w = Writer::with_capacity(0);
        w.text("f", value);
        w.finish()
    }

    fn attr(value: &str) -> Result<String, InvalidText> {
        let mut w = Writer::with_capacity(0);
        w.attr("f", value);
        w.finish()
    }

    #[test]
    fn escapes_markup_and_line_ends() {
        assert_eq!(
            text("a<b>&c\r\n\td\"'").as_deref(),
            Ok("a&lt;b&gt;&amp;c&#13;\n\td\"'")
        );
        assert_eq!(
            attr("a<b>&c\r\n\td\"'").as_deref(),
            Ok("a&lt;b&gt;&amp;c&#13;&#10;&#9;d&quot;'")
        );
        assert_eq!(
            text("Müller 😀 \u{FFFD} \u{EFBF}").as_deref(),
            Ok("Müller 😀 \u{FFFD} \u{EFBF}")
        );
        assert_eq!(text("").as_deref(), Ok(""));
    }

    #[test]
    fn refuses_what_xml_forbids_and_never_writes_it() {
        for (value, character, position) in [
            ("a\u{1}b", '\u{1}', 2),
            ("\u{0}", '\u{0}', 1),
            ("äö\u{B}", '\u{B}', 3),
            ("x\u{FFFE}", '\u{FFFE}', 2),
            ("€\u{FFFF}<", '\u{FFFF}', 2),
        ] {
            for attribute in [false, true] {
                let mut w = Writer::with_capacity(0);
                w.within(|| "Outer".into(), |w| w.escape("Field", value, attribute));
                w.text("Later", "\u{2}");
                let error = w.finish().expect_err(value);
                assert_eq!(error.field, "Outer/Field");
                assert_eq!((error.character, error.position), (character, position));
            }
            let mut w = Writer::with_capacity(0);
            w.text("f", value);
            let lossy = w.into_lossy();
            assert!(text::first_not_xml(&lossy).is_none(), "{lossy:?}");
            assert!(lossy.contains('\u{FFFD}'), "{lossy:?}");
        }
    }

    #[test]
    fn a_path_is_added_once_and_only_to_a_refusal_inside() {
        let mut w = Writer::with_capacity(0);
        w.within(|| "A".into(), |w| w.text("ok", "fine"));
        w.within(
            || "B".into(),
            |w| w.within(|| "C".into(), |w| w.text("bad", "\u{1}")),
        );
        w.within(|| "D".into(), |w| w.text("worse", "\u{2}"));
        assert_eq!(w.finish().map_err(|e| e.field), Err("B/C/bad".into()));
    }
}
