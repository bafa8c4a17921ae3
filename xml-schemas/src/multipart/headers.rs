//! The headers of a multipart body: the `Content-Type` parameters, the boundary, each part's
//! header section.

use super::{MultipartError, MultipartLimits, Part};

/// The longest boundary RFC 2046 allows.
const MAX_BOUNDARY_LEN: usize = 70;

/// The parameters of a `multipart/related` `Content-Type` that matter here.
pub(super) struct ContentType {
    pub(super) boundary: Option<String>,
    pub(super) root_type: Option<String>,
    pub(super) start: Option<String>,
}

impl ContentType {
    pub(super) fn parse(value: &str) -> Result<ContentType, MultipartError> {
        let malformed = |reason: &str| MultipartError::MalformedContentType {
            reason: reason.to_owned(),
        };
        let (media_type, mut rest) = value.split_once(';').unwrap_or((value, ""));
        let media_type = media_type.trim();
        if !media_type.eq_ignore_ascii_case("multipart/related") {
            return Err(MultipartError::NotMultipartRelated {
                found: media_type.to_owned(),
            });
        }
        let mut header = ContentType {
            boundary: None,
            root_type: None,
            start: None,
        };
        let mut seen: Vec<String> = Vec::new();
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            if rest.is_empty() {
                break;
            }
            let (name, after) = rest
                .split_once('=')
                .ok_or_else(|| malformed("a parameter without a value"))?;
            let name = name.trim().to_ascii_lowercase();
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(malformed("a parameter name that is not a token"));
            }
            let (value, after) = match after.strip_prefix('"') {
                Some(quoted) => {
                    let mut value = String::new();
                    let mut chars = quoted.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((i, '"')) => break i,
                            Some((_, '\\')) => match chars.next() {
                                Some((_, c)) => value.push(c),
                                None => return Err(malformed("an unterminated quoted string")),
                            },
                            Some((_, c)) => value.push(c),
                            None => return Err(malformed("an unterminated quoted string")),
                        }
                    };
                    (value, &quoted[end + 1..])
                }
                None => {
                    let end = after.find(';').unwrap_or(after.len());
                    let token = after[..end].trim_end_matches([' ', '\t']);
                    if token.is_empty() || !token.bytes().all(is_token) {
                        return Err(malformed(
                            "a parameter value that is neither token nor quoted",
                        ));
                    }
                    (token.to_owned(), &after[end..])
                }
            };
            let after = after.trim_start_matches([' ', '\t']);
            rest = match after.strip_prefix(';') {
                Some(next) => next,
                None if after.is_empty() => after,
                None => return Err(malformed("text after a parameter value")),
            };
            if seen.contains(&name) {
                return Err(malformed("a parameter given twice"));
            }
            match name.as_str() {
                "boundary" => header.boundary = Some(value),
                "type" => header.root_type = Some(value),
                "start" => header.start = Some(value),
                _ => {}
            }
            seen.push(name);
        }
        Ok(header)
    }
}

/// RFC 2046: 1 to 70 of `bchars`, not ending in a space.
pub(super) fn check_boundary(boundary: &str) -> Result<(), MultipartError> {
    let invalid = |reason| MultipartError::InvalidBoundary {
        boundary: boundary.to_owned(),
        reason,
    };
    if boundary.is_empty() {
        return Err(invalid("it is empty"));
    }
    if boundary.len() > MAX_BOUNDARY_LEN {
        return Err(invalid("it is longer than 70 characters"));
    }
    if boundary.ends_with(' ') {
        return Err(invalid("it ends with a space"));
    }
    if !boundary
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./:=? ".contains(&b))
    {
        return Err(invalid("it has a character RFC 2046 does not allow"));
    }
    Ok(())
}

/// Reads one part: its header section, the empty line, its content.
pub(super) fn part<'a>(
    raw: &'a [u8],
    number: usize,
    limits: &MultipartLimits,
    anonymous: bool,
) -> Result<Part<'a>, MultipartError> {
    let (headers, content) = header_section(raw, number, limits)?;
    if headers.len() > limits.max_header_bytes {
        return Err(MultipartError::HeadersTooLarge {
            part: number,
            limit: limits.max_header_bytes,
        });
    }
    if content.len() > limits.max_part_bytes {
        return Err(MultipartError::PartTooLarge {
            part: number,
            size: content.len(),
            limit: limits.max_part_bytes,
        });
    }
    let headers = PartHeaders::read(headers, number, limits)?;
    if let Some(encoding) = headers.encoding
        && !["binary", "8bit", "7bit"]
            .iter()
            .any(|e| encoding.eq_ignore_ascii_case(e))
    {
        return Err(MultipartError::UnsupportedTransferEncoding {
            part: number,
            encoding: encoding.to_owned(),
        });
    }
    let content_type = headers
        .content_type
        .filter(|t| !t.is_empty())
        .ok_or(MultipartError::MissingContentType { part: number })?;
    let content_id = match headers.content_id {
        Some(id) => id,
        None if anonymous => {
            return Ok(Part {
                content_id: "",
                content_type,
                body: content,
            });
        }
        None => return Err(MultipartError::MissingContentId { part: number }),
    };
    let id = content_id
        .strip_prefix('<')
        .and_then(|id| id.strip_suffix('>'))
        .and_then(content_id_inner)
        .ok_or_else(|| MultipartError::InvalidContentId {
            part: number,
            value: content_id.to_owned(),
        })?;
    Ok(Part {
        content_id: id,
        content_type,
        body: content,
    })
}

/// Splits part `number` at the first empty line into its header section and its content. The
/// empty line must come within the header limit, so that a part without one is not searched to
/// its end.
fn header_section<'a>(
    raw: &'a [u8],
    number: usize,
    limits: &MultipartLimits,
) -> Result<(&'a [u8], &'a [u8]), MultipartError> {
    if let Some(rest) = raw.strip_prefix(b"\r\n") {
        return Ok((&raw[..0], rest));
    }
    if let Some(rest) = raw.strip_prefix(b"\n") {
        return Ok((&raw[..0], rest));
    }
    let window = &raw[..raw.len().min(limits.max_header_bytes + 4)];
    let blank = (0..window.len()).find_map(|i| match &window[i..] {
        [b'\n', b'\r', b'\n', ..] => Some((i + 1, i + 3)),
        [b'\n', b'\n', ..] => Some((i + 1, i + 2)),
        _ => None,
    });
    match blank {
        Some((headers_end, content_start)) => Ok((&raw[..headers_end], &raw[content_start..])),
        None if raw.len() > window.len() => Err(MultipartError::HeadersTooLarge {
            part: number,
            limit: limits.max_header_bytes,
        }),
        None => Err(MultipartError::MalformedHeader {
            part: number,
            reason: "no empty line ends the headers".to_owned(),
        }),
    }
}

/// The values of the headers of a part that matter here, each given at most once.
struct PartHeaders<'a> {
    content_type: Option<&'a str>,
    content_id: Option<&'a str>,
    encoding: Option<&'a str>,
}

impl<'a> PartHeaders<'a> {
    /// Reads the header section of part `number`: printable ASCII, at most `limits.max_headers`
    /// lines of `name: value`, no folding; other headers are ignored.
    fn read(
        headers: &'a [u8],
        number: usize,
        limits: &MultipartLimits,
    ) -> Result<PartHeaders<'a>, MultipartError> {
        let malformed = |reason: &str| MultipartError::MalformedHeader {
            part: number,
            reason: reason.to_owned(),
        };
        let text = std::str::from_utf8(headers)
            .ok()
            .filter(|t| {
                t.bytes()
                    .all(|b| b.is_ascii_graphic() || b" \t\r\n".contains(&b))
            })
            .ok_or_else(|| malformed("the headers are not printable ASCII"))?;
        let mut found = PartHeaders {
            content_type: None,
            content_id: None,
            encoding: None,
        };
        for (count, line) in text.lines().enumerate() {
            if count == limits.max_headers {
                return Err(MultipartError::TooManyHeaders {
                    part: number,
                    limit: limits.max_headers,
                });
            }
            if line.starts_with([' ', '\t']) {
                return Err(malformed("folded header lines are not accepted"));
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| malformed("a header line without a colon"))?;
            if name.is_empty() || !name.bytes().all(is_token) {
                return Err(malformed("a header name that is not a token"));
            }
            let value = value.trim_matches([' ', '\t']);
            let (slot, header) = if name.eq_ignore_ascii_case("Content-Type") {
                (&mut found.content_type, "Content-Type")
            } else if name.eq_ignore_ascii_case("Content-ID") {
                (&mut found.content_id, "Content-ID")
            } else if name.eq_ignore_ascii_case("Content-Transfer-Encoding") {
                (&mut found.encoding, "Content-Transfer-Encoding")
            } else {
                continue;
            };
            if slot.replace(value).is_some() {
                return Err(MultipartError::DuplicateHeader {
                    part: number,
                    name: header,
                });
            }
        }
        Ok(found)
    }
}

/// A content id without its brackets: printable ASCII, no `<`, `>` or whitespace, not empty.
pub(super) fn content_id_inner(id: &str) -> Option<&str> {
    (!id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>'))
    .then_some(id)
}

/// An RFC 7230 `tchar`.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
