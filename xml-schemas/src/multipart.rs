//! `multipart/related` (RFC 2387 on RFC 2046): how a message and the evidence it refers to travel
//! together, the message as the root part (`application/xml`) and each evidence document as a part
//! whose `Content-ID` the message names in `cid:` references (RFC 2392).
//!
//! Reading is strict and bounded: the boundary comes from the `Content-Type` header and must be
//! valid, lines end in CRLF (a bare LF is accepted), every part has `Content-Type` and
//! `Content-ID`, header count and size, part count and part size are limited, the delimiter
//! (`--boundary`) may not occur inside a part, not even in the middle of a line, and the `start`
//! parameter names the root (default: the first part).
//! Every malformed case is its own [`MultipartError`]. The parts are slices of the body: nothing
//! is copied.

use std::borrow::Cow;

use headers::{ContentType, check_boundary, content_id_inner, part};

mod error;
mod headers;

pub use error::MultipartError;

/// The `Content-ID` [`build`] gives the root part (the message).
pub const MESSAGE_CONTENT_ID: &str = "message@once";

/// The media type of the root part.
pub const MESSAGE_CONTENT_TYPE: &str = "application/xml";

/// Limits on incoming multipart bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultipartLimits {
    /// Largest body, in bytes.
    pub max_body_bytes: usize,
    /// Most parts, the root included.
    pub max_parts: usize,
    /// Largest part content, in bytes.
    pub max_part_bytes: usize,
    /// Most header lines of one part.
    pub max_headers: usize,
    /// Largest header section of one part, in bytes.
    pub max_header_bytes: usize,
}

impl Default for MultipartLimits {
    fn default() -> Self {
        MultipartLimits {
            max_body_bytes: 32 * 1024 * 1024,
            max_parts: 16,
            max_part_bytes: 16 * 1024 * 1024,
            max_headers: 16,
            max_header_bytes: 4096,
        }
    }
}

/// A part: its content id (without angle brackets), media type and content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    /// `Content-ID`, without `<` and `>`.
    pub content_id: &'a str,
    /// `Content-Type`, as given.
    pub content_type: &'a str,
    /// The content.
    pub body: &'a [u8],
}

/// A parsed `multipart/related` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart<'a> {
    parts: Vec<Part<'a>>,
    root: usize,
}

impl<'a> Multipart<'a> {
    /// The root part: the one `start` names, or the first.
    pub fn root(&self) -> &Part<'a> {
        // `parse` only builds a Multipart whose root index is one of its parts.
        &self.parts[self.root]
    }

    /// The parts other than the root, in order.
    pub fn attachments(&self) -> impl Iterator<Item = &Part<'a>> {
        self.parts
            .iter()
            .enumerate()
            .filter(move |(i, _)| *i != self.root)
            .map(|(_, part)| part)
    }

    /// Every part, in order.
    pub fn parts(&self) -> &[Part<'a>] {
        &self.parts
    }

    /// The part a reference names: a `cid:` URL (percent-encoded, RFC 2392) as in
    /// `rim:RepositoryItemRef/@xlink:href`, or the bare content id, with or without `<` `>`.
    pub fn get(&self, reference: &str) -> Option<&Part<'a>> {
        let id = content_id_of(reference)?;
        self.parts.iter().find(|p| p.content_id == id)
    }
}

/// The content id a reference names: a `cid:` URL (percent-encoded, RFC 2392) as in
/// `rim:RepositoryItemRef/@xlink:href`, or the bare content id, with or without `<` `>`. `None`
/// for a `cid:` URL whose percent-encoding is broken.
pub fn content_id_of(reference: &str) -> Option<Cow<'_, str>> {
    match reference.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("cid:") => percent_decode(&reference[4..]),
        _ => Some(Cow::Borrowed(
            reference
                .strip_prefix('<')
                .and_then(|r| r.strip_suffix('>'))
                .unwrap_or(reference),
        )),
    }
}

/// Builds a `multipart/related` body of the message `root` (`application/xml`, content id
/// [`MESSAGE_CONTENT_ID`]) and the `attachments`; returns the `Content-Type` header value and the
/// body. The boundary is derived from `boundary_seed`, which must be at least 16 random bytes;
/// it is checked against every part and changed until no part contains it.
pub fn build(
    boundary_seed: &[u8],
    root: &[u8],
    attachments: &[Part<'_>],
) -> Result<(String, Vec<u8>), MultipartError> {
    if boundary_seed.len() < 16 {
        return Err(MultipartError::BoundarySeedTooShort {
            len: boundary_seed.len(),
        });
    }
    let root = Part {
        content_id: MESSAGE_CONTENT_ID,
        content_type: MESSAGE_CONTENT_TYPE,
        body: root,
    };
    let parts: Vec<&Part<'_>> = std::iter::once(&root).chain(attachments).collect();
    for (i, part) in parts.iter().enumerate() {
        if content_id_inner(part.content_id).is_none() {
            return Err(MultipartError::InvalidHeaderValue {
                what: "Content-ID",
                value: part.content_id.to_owned(),
            });
        }
        if !part.content_type.contains('/')
            || !part
                .content_type
                .bytes()
                .all(|b| b == b' ' || b.is_ascii_graphic())
        {
            return Err(MultipartError::InvalidHeaderValue {
                what: "Content-Type",
                value: part.content_type.to_owned(),
            });
        }
        if parts[..i].iter().any(|p| p.content_id == part.content_id) {
            return Err(MultipartError::DuplicateContentId {
                content_id: part.content_id.to_owned(),
            });
        }
    }
    let boundary = boundary_for(boundary_seed, &parts)?;
    let mut body = Vec::with_capacity(parts.iter().map(|p| p.body.len() + 160).sum());
    for part in &parts {
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"\r\nContent-Type: ");
        body.extend_from_slice(part.content_type.as_bytes());
        body.extend_from_slice(b"\r\nContent-ID: <");
        body.extend_from_slice(part.content_id.as_bytes());
        body.extend_from_slice(b">\r\nContent-Transfer-Encoding: binary\r\n\r\n");
        body.extend_from_slice(part.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");
    let content_type = format!(
        "multipart/related; boundary=\"{boundary}\"; type=\"{MESSAGE_CONTENT_TYPE}\"; start=\"<{MESSAGE_CONTENT_ID}>\""
    );
    Ok((content_type, body))
}

/// The `cid:` URL of a content id (RFC 2392), as `rim:RepositoryItemRef/@xlink:href` carries it:
/// characters a URL may not hold as they are, and `%`, are percent-encoded.
pub fn cid_url(content_id: &str) -> String {
    let mut url = String::with_capacity(content_id.len() + 4);
    url.push_str("cid:");
    for byte in content_id.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

/// `once-` and the hex of up to 28 seed bytes (37 to 61 characters), with a counter appended
/// while some part contains it.
fn boundary_for(seed: &[u8], parts: &[&Part<'_>]) -> Result<String, MultipartError> {
    let mut base = String::from("once-");
    for byte in &seed[..seed.len().min(28)] {
        base.push_str(&format!("{byte:02x}"));
    }
    let contained = |boundary: &str| {
        parts.iter().any(|p| {
            find(p.body, boundary.as_bytes()).is_some()
                || p.content_id.contains(boundary)
                || p.content_type.contains(boundary)
        })
    };
    if !contained(&base) {
        return Ok(base);
    }
    (1..1000)
        .map(|n| format!("{base}-{n}"))
        .find(|b| !contained(b))
        .ok_or(MultipartError::BoundaryCollision)
}

/// Reads a `multipart/related` body with its `Content-Type` header value within `limits`.
pub fn parse<'a>(
    content_type: &str,
    body: &'a [u8],
    limits: &MultipartLimits,
) -> Result<Multipart<'a>, MultipartError> {
    if body.len() > limits.max_body_bytes {
        return Err(MultipartError::BodyTooLarge {
            size: body.len(),
            limit: limits.max_body_bytes,
        });
    }
    let header = ContentType::parse(content_type)?;
    let boundary = header.boundary.ok_or(MultipartError::MissingBoundary)?;
    check_boundary(&boundary)?;
    let mut dash_boundary = b"--".to_vec();
    dash_boundary.extend_from_slice(boundary.as_bytes());

    let parts = split_parts(body, &dash_boundary, limits)?;
    for (i, part) in parts.iter().enumerate() {
        if parts[..i].iter().any(|p| p.content_id == part.content_id) {
            return Err(MultipartError::DuplicateContentId {
                content_id: part.content_id.to_owned(),
            });
        }
    }
    let root = match header.start {
        Some(start) => root_named(&parts, start)?,
        None => 0,
    };
    if let Some(expected) = header.root_type {
        check_root_type(&parts[root], expected)?;
    }
    Ok(Multipart { parts, root })
}

/// The parts of `body` between its delimiters (`dash_boundary` is `--` and the boundary), at
/// most `limits.max_parts`; the preamble before the first delimiter and the epilogue after the
/// closing one are ignored.
fn split_parts<'a>(
    body: &'a [u8],
    dash_boundary: &[u8],
    limits: &MultipartLimits,
) -> Result<Vec<Part<'a>>, MultipartError> {
    // The first delimiter starts the body or a line of it; anything before it is the preamble.
    let mut at = if body.starts_with(dash_boundary) {
        dash_boundary.len()
    } else {
        let mut line_start = b"\n".to_vec();
        line_start.extend_from_slice(dash_boundary);
        find(body, &line_start).ok_or(MultipartError::NoOpeningDelimiter)? + line_start.len()
    };
    let mut parts: Vec<Part<'a>> = Vec::new();
    loop {
        let number = parts.len() + 1;
        if body[at..].starts_with(b"--") {
            // The closing delimiter; what follows is the epilogue, which RFC 2046 says to ignore.
            if parts.is_empty() {
                return Err(MultipartError::NoParts);
            }
            return Ok(parts);
        }
        let start = at + delimiter_line_end(&body[at..], number)?;
        if parts.len() == limits.max_parts {
            return Err(MultipartError::TooManyParts {
                limit: limits.max_parts,
            });
        }
        // The next "--boundary" must be the next delimiter, at the start of a line.
        let next = start
            + find(&body[start..], dash_boundary).ok_or(MultipartError::NoClosingDelimiter)?;
        let end = content_end(body, start, next, number)?;
        parts.push(part(&body[start..end], number, limits)?);
        at = next + dash_boundary.len();
    }
}

/// After a delimiter other than the closing one (`rest`): how many bytes of transport padding
/// (spaces and tabs) and line break follow it before part `number` starts.
fn delimiter_line_end(rest: &[u8], number: usize) -> Result<usize, MultipartError> {
    let padding = rest
        .iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count();
    let line_break = match &rest[padding..] {
        [b'\r', b'\n', ..] => 2,
        [b'\n', ..] => 1,
        [] => return Err(MultipartError::NoClosingDelimiter),
        _ => return Err(MultipartError::MalformedDelimiter { part: number }),
    };
    Ok(padding + line_break)
}

/// Where part `number`, from `start`, ends given the next delimiter at `next`: the line break
/// before the delimiter belongs to it. A delimiter that does not start a line is refused.
fn content_end(
    body: &[u8],
    start: usize,
    next: usize,
    number: usize,
) -> Result<usize, MultipartError> {
    if next == start {
        Ok(start)
    } else if body[next - 1] == b'\n' {
        let end = next - 1;
        if end > start && body[end - 1] == b'\r' {
            Ok(end - 1)
        } else {
            Ok(end)
        }
    } else {
        Err(MultipartError::BoundaryInPart { part: number })
    }
}

/// The index of the part the `start` parameter names (its content id, in angle brackets or not).
fn root_named(parts: &[Part<'_>], start: String) -> Result<usize, MultipartError> {
    let id = start
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(&start);
    parts
        .iter()
        .position(|p| p.content_id == id)
        .ok_or(MultipartError::UnknownStart { start })
}

/// Refuses a root part whose media type is not the `type` parameter's.
fn check_root_type(root: &Part<'_>, expected: String) -> Result<(), MultipartError> {
    let found = root.content_type;
    let media_type = found.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case(expected.trim()) {
        return Err(MultipartError::RootTypeMismatch {
            expected,
            found: found.to_owned(),
        });
    }
    Ok(())
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut from = 0;
    while let Some(offset) = haystack[from..].iter().position(|b| *b == first) {
        let at = from + offset;
        if haystack[at + 1..].starts_with(rest) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// RFC 2392: a `cid:` URL is the content id with `%hh` escapes.
fn percent_decode(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains('%') {
        return Some(Cow::Borrowed(text));
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EdmError;

    const SEED: &[u8; 16] = b"0123456789abcdef";

    fn evidence() -> Vec<Part<'static>> {
        vec![
            Part {
                content_id: "evidence-1@once",
                content_type: "application/xml",
                body: b"<ResidenceCertificate/>",
            },
            Part {
                content_id: "evidence 2",
                content_type: "application/pdf",
                body: b"%PDF-1.7\r\n--not a boundary\r\n\x00\xff",
            },
        ]
    }

    #[test]
    fn round_trip() {
        let parts = [evidence()[0]];
        let (content_type, body) = build(SEED, b"<query:QueryResponse/>", &parts).expect("build");
        assert!(content_type.starts_with("multipart/related; boundary=\"once-3031"));
        assert!(content_type.ends_with("type=\"application/xml\"; start=\"<message@once>\""));
        let parsed = parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
        assert_eq!(parsed.root().body, b"<query:QueryResponse/>");
        assert_eq!(parsed.root().content_id, MESSAGE_CONTENT_ID);
        assert_eq!(parsed.attachments().copied().collect::<Vec<_>>(), parts);
        assert_eq!(parsed.get("cid:evidence-1@once"), Some(&parts[0]));
        assert_eq!(parsed.get("cid:evidence%2D1%40once"), Some(&parts[0]));
        assert_eq!(parsed.get("evidence-1@once"), Some(&parts[0]));
        assert_eq!(parsed.get("<evidence-1@once>"), Some(&parts[0]));
        assert_eq!(parsed.get("cid:other@once"), None);
        assert_eq!(parsed.get("cid:%zz"), None);
        assert_eq!(cid_url("evidence-1@once"), "cid:evidence-1@once");
        assert_eq!(cid_url("a b%c/ä"), "cid:a%20b%25c%2F%C3%A4");
        assert_eq!(parsed.get(&cid_url(parts[0].content_id)), Some(&parts[0]));
    }

    #[test]
    fn binary_parts_and_bare_lf_and_preamble_are_read() {
        let (content_type, body) = build(
            SEED,
            b"",
            &[Part {
                content_id: "bin@once",
                content_type: "application/pdf",
                body: b"%PDF\r\n\x00\xff\r\n",
            }],
        )
        .expect("build");
        let parsed = parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
        assert_eq!(parsed.root().body, b"");
        assert_eq!(
            parsed.get("cid:bin@once").map(|p| p.body),
            Some(&b"%PDF\r\n\x00\xff\r\n"[..])
        );

        let lf = b"preamble\n--b\nContent-Type: text/plain\nContent-ID: <a>\n\nA\n--b\ncontent-type: application/xml\ncontent-id: <z>\n\nZ\n--b--\nepilogue";
        let parsed = parse(
            "Multipart/Related; boundary=b; start=\"<z>\"",
            lf,
            &MultipartLimits::default(),
        )
        .expect("bare LF");
        assert_eq!(parsed.root().body, b"Z");
        assert_eq!(parsed.get("a").map(|p| p.body), Some(&b"A"[..]));
    }

    #[test]
    fn the_boundary_changes_when_a_part_contains_it() {
        let (content_type, _) = build(SEED, b"x", &[]).expect("build");
        let boundary = content_type
            .split('"')
            .nth(1)
            .expect("quoted boundary")
            .to_owned();
        assert!(boundary.len() >= 32 && boundary.len() <= 70, "{boundary}");
        let hostile = format!("--{boundary}\r\n");
        let (content_type, body) = build(SEED, hostile.as_bytes(), &[]).expect("build");
        assert!(!content_type.contains(&format!("\"{boundary}\"")));
        let parsed = parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
        assert_eq!(parsed.root().body, hostile.as_bytes());
    }

    #[test]
    fn building_refuses_what_cannot_be_written() {
        assert_eq!(
            build(b"short", b"", &[]),
            Err(MultipartError::BoundarySeedTooShort { len: 5 })
        );
        let bad_id = Part {
            content_id: "a\r\nX-Injected: 1",
            content_type: "text/plain",
            body: b"",
        };
        assert!(matches!(
            build(SEED, b"", &[bad_id]),
            Err(MultipartError::InvalidHeaderValue {
                what: "Content-ID",
                ..
            })
        ));
        let bad_type = Part {
            content_id: "a",
            content_type: "text/plain\r\nX: y",
            body: b"",
        };
        assert!(matches!(
            build(SEED, b"", &[bad_type]),
            Err(MultipartError::InvalidHeaderValue {
                what: "Content-Type",
                ..
            })
        ));
        let twice = [evidence()[0], evidence()[0]];
        assert!(matches!(
            build(SEED, b"", &twice),
            Err(MultipartError::DuplicateContentId { .. })
        ));
        let root_id = Part {
            content_id: MESSAGE_CONTENT_ID,
            ..evidence()[0]
        };
        assert!(matches!(
            build(SEED, b"", &[root_id]),
            Err(MultipartError::DuplicateContentId { .. })
        ));
    }

    fn body(parts: &[&str]) -> Vec<u8> {
        let mut body = String::new();
        for part in parts {
            body.push_str("--b\r\n");
            body.push_str(part);
            body.push_str("\r\n");
        }
        body.push_str("--b--\r\n");
        body.into_bytes()
    }

    const ROOT: &str = "Content-Type: application/xml\r\nContent-ID: <m>\r\n\r\n<x/>";
    const CT: &str = "multipart/related; boundary=\"b\"; type=\"application/xml\"";

    /// A malformed body: name, Content-Type, body, the error expected.
    type Case = (&'static str, String, Vec<u8>, fn(&MultipartError) -> bool);

    #[test]
    fn every_malformed_case_has_its_error() {
        use MultipartError as E;
        let limits = MultipartLimits {
            max_body_bytes: 4096,
            max_parts: 3,
            max_part_bytes: 64,
            max_headers: 4,
            max_header_bytes: 200,
        };
        let ok = body(&[ROOT]);
        let cases: Vec<Case> = vec![
            (
                "another media type",
                "multipart/mixed; boundary=b".into(),
                ok.clone(),
                |e| matches!(e, E::NotMultipartRelated { .. }),
            ),
            (
                "no boundary",
                "multipart/related; type=\"application/xml\"".into(),
                ok.clone(),
                |e| *e == E::MissingBoundary,
            ),
            (
                "unterminated quote",
                "multipart/related; boundary=\"b".into(),
                ok.clone(),
                |e| matches!(e, E::MalformedContentType { .. }),
            ),
            (
                "parameter twice",
                "multipart/related; boundary=b; boundary=c".into(),
                ok.clone(),
                |e| matches!(e, E::MalformedContentType { .. }),
            ),
            (
                "parameter without value",
                "multipart/related; boundary".into(),
                ok.clone(),
                |e| matches!(e, E::MalformedContentType { .. }),
            ),
            (
                "boundary too long",
                format!("multipart/related; boundary={}", "b".repeat(71)),
                ok.clone(),
                |e| matches!(e, E::InvalidBoundary { .. }),
            ),
            (
                "boundary with a bad character",
                "multipart/related; boundary=\"b\\\"c\"".into(),
                ok.clone(),
                |e| matches!(e, E::InvalidBoundary { .. }),
            ),
            (
                "empty boundary",
                "multipart/related; boundary=\"\"".into(),
                ok.clone(),
                |e| matches!(e, E::InvalidBoundary { .. }),
            ),
            ("body too large", CT.into(), vec![b'x'; 5000], |e| {
                matches!(e, E::BodyTooLarge { size: 5000, .. })
            }),
            ("no opening delimiter", CT.into(), b"hello".to_vec(), |e| {
                *e == E::NoOpeningDelimiter
            }),
            (
                "no closing delimiter",
                CT.into(),
                ok[..ok.len() - 9].to_vec(),
                |e| *e == E::NoClosingDelimiter,
            ),
            ("ends after a delimiter", CT.into(), b"--b".to_vec(), |e| {
                *e == E::NoClosingDelimiter
            }),
            ("no parts", CT.into(), b"--b--\r\n".to_vec(), |e| {
                *e == E::NoParts
            }),
            (
                "junk after a delimiter",
                CT.into(),
                b"--bc\r\nContent-Type: a/b\r\nContent-ID: <m>\r\n\r\nx\r\n--b--".to_vec(),
                |e| *e == E::MalformedDelimiter { part: 1 },
            ),
            (
                "boundary inside a part",
                CT.into(),
                body(&["Content-Type: application/xml\r\nContent-ID: <m>\r\n\r\n<x>--b</x>"]),
                |e| *e == E::BoundaryInPart { part: 1 },
            ),
            (
                "boundary inside a header",
                CT.into(),
                body(&["Content-Type: application/xml; x=--b\r\nContent-ID: <m>\r\n\r\n<x/>"]),
                |e| *e == E::BoundaryInPart { part: 1 },
            ),
            (
                "too many parts",
                CT.into(),
                body(&[
                    ROOT,
                    "Content-Type: a/b\r\nContent-ID: <2>\r\n\r\n",
                    "Content-Type: a/b\r\nContent-ID: <3>\r\n\r\n",
                    "Content-Type: a/b\r\nContent-ID: <4>\r\n\r\n",
                ]),
                |e| *e == E::TooManyParts { limit: 3 },
            ),
            (
                "part too large",
                CT.into(),
                body(&[&format!(
                    "Content-Type: a/b\r\nContent-ID: <m>\r\n\r\n{}",
                    "x".repeat(65)
                )]),
                |e| {
                    matches!(
                        e,
                        E::PartTooLarge {
                            part: 1,
                            size: 65,
                            limit: 64
                        }
                    )
                },
            ),
            (
                "too many headers",
                CT.into(),
                body(&[
                    "Content-Type: application/xml\r\nContent-ID: <m>\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
                ]),
                |e| *e == E::TooManyHeaders { part: 1, limit: 4 },
            ),
            (
                "headers too large",
                CT.into(),
                body(&[&format!(
                    "Content-Type: application/xml\r\nContent-ID: <m>\r\nX: {}\r\n\r\n",
                    "y".repeat(200)
                )]),
                |e| {
                    *e == E::HeadersTooLarge {
                        part: 1,
                        limit: 200,
                    }
                },
            ),
            (
                "no empty line after the headers",
                CT.into(),
                body(&["Content-Type: application/xml\r\nContent-ID: <m>"]),
                |e| matches!(e, E::MalformedHeader { part: 1, .. }),
            ),
            (
                "folded header",
                CT.into(),
                body(&[
                    "Content-Type: application/xml\r\n  ; charset=UTF-8\r\nContent-ID: <m>\r\n\r\n",
                ]),
                |e| matches!(e, E::MalformedHeader { part: 1, .. }),
            ),
            (
                "header without colon",
                CT.into(),
                body(&["Content-Type application/xml\r\nContent-ID: <m>\r\n\r\n"]),
                |e| matches!(e, E::MalformedHeader { part: 1, .. }),
            ),
            (
                "non-ASCII header",
                CT.into(),
                body(&["Content-Type: application/xml\r\nContent-ID: <m\u{e4}>\r\n\r\n"]),
                |e| matches!(e, E::MalformedHeader { part: 1, .. }),
            ),
            (
                "header twice",
                CT.into(),
                body(&[
                    "Content-Type: application/xml\r\nContent-ID: <m>\r\ncontent-id: <n>\r\n\r\n",
                ]),
                |e| {
                    *e == E::DuplicateHeader {
                        part: 1,
                        name: "Content-ID",
                    }
                },
            ),
            (
                "no content type",
                CT.into(),
                body(&["Content-ID: <m>\r\n\r\n<x/>"]),
                |e| *e == E::MissingContentType { part: 1 },
            ),
            (
                "no content id",
                CT.into(),
                body(&["Content-Type: application/xml\r\n\r\n<x/>"]),
                |e| *e == E::MissingContentId { part: 1 },
            ),
            ("no headers at all", CT.into(), body(&["\r\n<x/>"]), |e| {
                *e == E::MissingContentType { part: 1 }
            }),
            (
                "content id without brackets",
                CT.into(),
                body(&["Content-Type: application/xml\r\nContent-ID: m\r\n\r\n"]),
                |e| matches!(e, E::InvalidContentId { part: 1, .. }),
            ),
            (
                "empty content id",
                CT.into(),
                body(&["Content-Type: application/xml\r\nContent-ID: <>\r\n\r\n"]),
                |e| matches!(e, E::InvalidContentId { part: 1, .. }),
            ),
            (
                "base64",
                CT.into(),
                body(&[
                    "Content-Type: application/xml\r\nContent-ID: <m>\r\nContent-Transfer-Encoding: base64\r\n\r\nPHgvPg==",
                ]),
                |e| matches!(e, E::UnsupportedTransferEncoding { part: 1, .. }),
            ),
            (
                "duplicate content id",
                CT.into(),
                body(&[ROOT, "Content-Type: a/b\r\nContent-ID: <m>\r\n\r\n"]),
                |e| matches!(e, E::DuplicateContentId { .. }),
            ),
            (
                "unknown start",
                format!("{CT}; start=\"<nope>\""),
                ok.clone(),
                |e| matches!(e, E::UnknownStart { .. }),
            ),
            (
                "root of another type",
                CT.into(),
                body(&["Content-Type: text/plain\r\nContent-ID: <m>\r\n\r\nx"]),
                |e| matches!(e, E::RootTypeMismatch { .. }),
            ),
        ];
        for (name, content_type, input, expected) in cases {
            let error = parse(&content_type, &input, &limits).expect_err(name);
            assert!(expected(&error), "{name}: {error:?}");
            assert!(
                EdmError::from(error)
                    .detail
                    .starts_with("multipart/related: ")
            );
        }
        let fine = parse(CT, &ok, &limits).expect("the valid body still parses");
        assert_eq!(fine.root().body, b"<x/>");
        assert_eq!(fine.parts().len(), 1);
    }
}
