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
    /// EDM:ERR:0006: a referenced object cannot be resolved.
    UnresolvedReference,
    /// EDM:ERR:0007: an optional feature or capability is not supported.
    UnsupportedCapability,
    /// EDM:ERR:0008: invalid query syntax or semantics that must be corrected.
    InvalidQuery,
}

impl EdmCode {
    /// Every code, in the order of their numbers.
    pub const ALL: [EdmCode; 8] = [
        EdmCode::Authentication,
        EdmCode::Authorization,
        EdmCode::InvalidRequest,
        EdmCode::ObjectNotFound,
        EdmCode::Timeout,
        EdmCode::UnresolvedReference,
        EdmCode::UnsupportedCapability,
        EdmCode::InvalidQuery,
    ];

    /// The code with this text (`EDM:ERR:0003`), if it is one of [`EdmCode::ALL`].
    pub fn from_code(code: &str) -> Option<EdmCode> {
        EdmCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The code that travels as this ebRS exception type, given by its local name
    /// (`AuthorizationExceptionType`) or as a prefixed name (`rs:AuthorizationExceptionType`).
    pub fn from_exception_type(exception_type: &str) -> Option<EdmCode> {
        let local = exception_type.rsplit(':').next().unwrap_or(exception_type);
        EdmCode::ALL
            .into_iter()
            .find(|c| c.exception_type().rsplit(':').next() == Some(local))
    }

    /// The code, e.g. `EDM:ERR:0003`.
    pub fn code(self) -> &'static str {
        match self {
            EdmCode::Authentication => "EDM:ERR:0001",
            EdmCode::Authorization => "EDM:ERR:0002",
            EdmCode::InvalidRequest => "EDM:ERR:0003",
            EdmCode::ObjectNotFound => "EDM:ERR:0004",
            EdmCode::Timeout => "EDM:ERR:0005",
            EdmCode::UnresolvedReference => "EDM:ERR:0006",
            EdmCode::UnsupportedCapability => "EDM:ERR:0007",
            EdmCode::InvalidQuery => "EDM:ERR:0008",
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
            EdmCode::UnresolvedReference => "rs:UnresolvedReferenceExceptionType",
            EdmCode::UnsupportedCapability => "rs:UnsupportedCapabilityExceptionType",
            EdmCode::InvalidQuery => "query:QueryExceptionType",
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
            EdmCode::UnresolvedReference => "Referenced object that cannot be resolved",
            EdmCode::UnsupportedCapability => "Optional feature or capability is not supported",
            EdmCode::InvalidQuery => "Invalid query syntax or semantics that must be corrected",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_read_back() {
        for (i, code) in EdmCode::ALL.into_iter().enumerate() {
            assert_eq!(EdmCode::from_code(code.code()), Some(code));
            assert_eq!(
                EdmCode::from_exception_type(code.exception_type()),
                Some(code)
            );
            assert!(
                EdmCode::ALL[i + 1..]
                    .iter()
                    .all(|other| other.code() != code.code()
                        && other.exception_type() != code.exception_type())
            );
        }
        assert_eq!(
            EdmCode::from_code("EDM:ERR:0006"),
            Some(EdmCode::UnresolvedReference)
        );
        assert_eq!(
            EdmCode::from_code("EDM:ERR:0008"),
            Some(EdmCode::InvalidQuery)
        );
        assert_eq!(
            EdmCode::InvalidQuery.exception_type(),
            "query:QueryExceptionType"
        );
        assert_eq!(EdmCode::from_code("EDM:ERR:0009"), None);
        assert_eq!(EdmCode::from_code("edm:err:0001"), None);
        assert_eq!(
            EdmCode::from_exception_type("x:AuthorizationExceptionType"),
            Some(EdmCode::Authorization)
        );
        assert_eq!(
            EdmCode::from_exception_type("rs:RegistryExceptionType"),
            None
        );
    }
}
