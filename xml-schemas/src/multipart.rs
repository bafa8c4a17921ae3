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
    let root = Part {
        content_id: MESSAGE_CONTENT_ID,
        content_type: MESSAGE_CONTENT_TYPE,
        body: root,
    };
    build_with(boundary_seed, &root, MESSAGE_CONTENT_TYPE, attachments)
}

/// The `Content-ID` [`build_soap`] gives the SOAP envelope.
pub const SOAP_CONTENT_ID: &str = "soap-envelope@once";

/// The media type of a SOAP 1.2 envelope.
pub const SOAP_CONTENT_TYPE: &str = "application/soap+xml";

/// Builds a SOAP-with-attachments body (eDelivery AS4): the SOAP 1.2 `envelope` as the root part
/// (`application/soap+xml; charset=UTF-8`, content id [`SOAP_CONTENT_ID`]) and the `attachments`,
/// as [`build`] does otherwise.
pub fn build_soap(
    boundary_seed: &[u8],
    envelope: &[u8],
    attachments: &[Part<'_>],
) -> Result<(String, Vec<u8>), MultipartError> {
    let root = Part {
        content_id: SOAP_CONTENT_ID,
        content_type: "application/soap+xml; charset=UTF-8",
        body: envelope,
    };
    build_with(boundary_seed, &root, SOAP_CONTENT_TYPE, attachments)
}

fn build_with(
    boundary_seed: &[u8],
    root: &Part<'_>,
    root_type: &str,
    attachments: &[Part<'_>],
) -> Result<(String, Vec<u8>), MultipartError> {
    if boundary_seed.len() < 16 {
        return Err(MultipartError::BoundarySeedTooShort {
            len: boundary_seed.len(),
        });
    }
    let parts: Vec<&Part<'_>> = std::iter::once(root).chain(attachments).collect();
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
        "multipart/related; boundary=\"{boundary}\"; type=\"{root_type}\"; start=\"<{}>\"",
        root.content_id
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
    parse_with(content_type, body, limits, false)
}

/// Reads a SOAP-with-attachments body (eDelivery AS4) as [`parse`] does, except that the root
/// part, when the `start` parameter does not name it, may come without a `Content-ID`: nothing
/// refers to the SOAP envelope by `cid:`, and AS4 senders leave it out. Its content id is then
/// empty. Every other part still needs one.
pub fn parse_soap<'a>(
    content_type: &str,
    body: &'a [u8],
    limits: &MultipartLimits,
) -> Result<Multipart<'a>, MultipartError> {
    parse_with(content_type, body, limits, true)
}

fn parse_with<'a>(
    content_type: &str,
    body: &'a [u8],
    limits: &MultipartLimits,
    soap: bool,
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

    let anonymous_root = soap && header.start.is_none();
    let parts = split_parts(body, &dash_boundary, limits, anonymous_root)?;
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
    anonymous_root: bool,
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
        let anonymous = anonymous_root && number == 1;
        parts.push(part(&body[start..end], number, limits, anonymous)?);
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
mod tests;
