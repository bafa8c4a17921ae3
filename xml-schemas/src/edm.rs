//! EDM error codes: what an evidence provider answers when it cannot give the evidence.

use std::fmt;

/// The EDM error codes used by this node, with the ebRS exception type each travels as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EdmCode {
    /// EDM:ERR:0001: the requester could not be authenticated.
    Authentication,
    /// EDM:ERR:0002: missing authorisation (no access rule), or a preview is required.
    Authorization,
    /// EDM:ERR:0003: a syntactically or semantically invalid request.
    InvalidRequest,
    /// EDM:ERR:0004: the subject or the evidence was not found.
    ObjectNotFound,
    /// EDM:ERR:0005: the provider did not answer within its timeout.
    Timeout,
    /// EDM:ERR:0007: an optional feature or capability is not supported.
    UnsupportedCapability,
}

impl EdmCode {
    /// The code, e.g. `EDM:ERR:0003`.
    pub fn code(self) -> &'static str {
        match self {
            EdmCode::Authentication => "EDM:ERR:0001",
            EdmCode::Authorization => "EDM:ERR:0002",
            EdmCode::InvalidRequest => "EDM:ERR:0003",
            EdmCode::ObjectNotFound => "EDM:ERR:0004",
            EdmCode::Timeout => "EDM:ERR:0005",
            EdmCode::UnsupportedCapability => "EDM:ERR:0007",
        }
    }

    /// The ebRS exception type (`xsi:type` of `rs:Exception`).
    pub fn exception_type(self) -> &'static str {
        match self {
            EdmCode::Authentication => "rs:AuthenticationExceptionType",
            EdmCode::Authorization => "rs:AuthorizationExceptionType",
            EdmCode::InvalidRequest => "rs:InvalidRequestExceptionType",
            EdmCode::ObjectNotFound => "rs:ObjectNotFoundExceptionType",
            EdmCode::Timeout => "rs:TimeoutExceptionType",
            EdmCode::UnsupportedCapability => "rs:UnsupportedCapabilityExceptionType",
        }
    }

    /// The standard message of the code.
    pub fn message(self) -> &'static str {
        match self {
            EdmCode::Authentication => "Failed to authenticate",
            EdmCode::Authorization => "Missing authorisation",
            EdmCode::InvalidRequest => "Syntactically or semantically invalid request",
            EdmCode::ObjectNotFound => "Object not found",
            EdmCode::Timeout => "Exceeding timeout period",
            EdmCode::UnsupportedCapability => "Optional feature or capability is not supported",
        }
    }
}

impl fmt::Display for EdmCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refusal: an EDM code and a detail naming the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct EdmError {
    /// The EDM code.
    pub code: EdmCode,
    /// What exactly is wrong, for the requester's operator.
    pub detail: String,
}

impl EdmError {
    /// An invalid request (EDM:ERR:0003) with this detail.
    pub fn invalid(detail: impl Into<String>) -> EdmError {
        EdmError {
            code: EdmCode::InvalidRequest,
            detail: detail.into(),
        }
    }
}
