//! What can be wrong with a multipart body.

use crate::EdmError;

/// Why a multipart body was refused, or could not be built. Parts are counted from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultipartError {
    /// The `Content-Type` is another media type.
    #[error("the Content-Type is {found:?}, not multipart/related")]
    NotMultipartRelated {
        /// The media type given.
        found: String,
    },
    /// The `Content-Type` header cannot be read.
    #[error("the Content-Type header is malformed: {reason}")]
    MalformedContentType {
        /// What is wrong.
        reason: String,
    },
    /// The `Content-Type` has no `boundary`.
    #[error("the Content-Type has no boundary parameter")]
    MissingBoundary,
    /// The boundary breaks RFC 2046.
    #[error("the boundary {boundary:?} is invalid: {reason}")]
    InvalidBoundary {
        /// The boundary given.
        boundary: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The body is over its limit.
    #[error("the body has {size} bytes, more than the limit of {limit}")]
    BodyTooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// No line starts with the boundary delimiter.
    #[error("the body has no opening boundary delimiter")]
    NoOpeningDelimiter,
    /// The body ends before the closing delimiter (`--boundary--`).
    #[error("the body ends without the closing boundary delimiter")]
    NoClosingDelimiter,
    /// A delimiter line has something after the boundary.
    #[error("the boundary delimiter line before part {part} is malformed")]
    MalformedDelimiter {
        /// The part that follows it.
        part: usize,
    },
    /// The boundary occurs inside a part, not at the start of a line.
    #[error("part {part} contains the boundary")]
    BoundaryInPart {
        /// The part.
        part: usize,
    },
    /// The closing delimiter comes first.
    #[error("the body has no parts")]
    NoParts,
    /// More parts than the limit.
    #[error("the body has more than {limit} parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// A part's content is over its limit.
    #[error("part {part} has {size} bytes, more than the limit of {limit}")]
    PartTooLarge {
        /// The part.
        part: usize,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A part has more header lines than the limit.
    #[error("part {part} has more than {limit} header lines")]
    TooManyHeaders {
        /// The part.
        part: usize,
        /// The limit.
        limit: usize,
    },
    /// A part's header section is over its limit.
    #[error("the headers of part {part} are longer than {limit} bytes")]
    HeadersTooLarge {
        /// The part.
        part: usize,
        /// The limit.
        limit: usize,
    },
    /// A header line cannot be read.
    #[error("part {part}: {reason}")]
    MalformedHeader {
        /// The part.
        part: usize,
        /// What is wrong.
        reason: String,
    },
    /// A header that may occur once occurs twice.
    #[error("part {part} has its {name} header twice")]
    DuplicateHeader {
        /// The part.
        part: usize,
        /// The header.
        name: &'static str,
    },
    /// A part has no `Content-Type`.
    #[error("part {part} lacks its Content-Type header")]
    MissingContentType {
        /// The part.
        part: usize,
    },
    /// A part has no `Content-ID`.
    #[error("part {part} lacks its Content-ID header")]
    MissingContentId {
        /// The part.
        part: usize,
    },
    /// A `Content-ID` is not `<id>`.
    #[error("part {part}: the Content-ID {value:?} is not of the form <id>")]
    InvalidContentId {
        /// The part.
        part: usize,
        /// The value given.
        value: String,
    },
    /// A transfer encoding other than the identity ones.
    #[error(
        "part {part}: the Content-Transfer-Encoding {encoding:?} is not supported (binary, 8bit, 7bit)"
    )]
    UnsupportedTransferEncoding {
        /// The part.
        part: usize,
        /// The encoding given.
        encoding: String,
    },
    /// Two parts have the same `Content-ID`.
    #[error("the Content-ID <{content_id}> is given to more than one part")]
    DuplicateContentId {
        /// The content id.
        content_id: String,
    },
    /// No part has the content id `start` names.
    #[error("no part has the start Content-ID {start:?}")]
    UnknownStart {
        /// The `start` parameter.
        start: String,
    },
    /// The root part's media type is not the one the `type` parameter names.
    #[error("the root part is {found:?}, but the type parameter says {expected:?}")]
    RootTypeMismatch {
        /// The `type` parameter.
        expected: String,
        /// The root part's `Content-Type`.
        found: String,
    },
    /// [`build`] needs at least 16 bytes of randomness for the boundary.
    #[error("the boundary seed has {len} bytes; at least 16 random bytes are needed")]
    BoundarySeedTooShort {
        /// The seed's length.
        len: usize,
    },
    /// A content id or media type that cannot be written in a header.
    #[error("the {what} {value:?} cannot be written in a part header")]
    InvalidHeaderValue {
        /// `Content-ID` or `Content-Type`.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// Every boundary tried occurs in a part.
    #[error("no boundary could be found that no part contains")]
    BoundaryCollision,
}

impl From<MultipartError> for EdmError {
    fn from(error: MultipartError) -> EdmError {
        EdmError::invalid(format!("multipart/related: {error}"))
    }
}
