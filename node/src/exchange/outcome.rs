//! The typed outcome of a refused exchange: the EDM error code, a machine-readable reason where
//! one code covers several causes, and a detail a person can act on. The provider writes it into
//! the `rs:Exception` of its signed answer; the requester reads it back and the application
//! endpoint decides its HTTP status from it, in one place (`crate::error`).

use std::fmt;

use once_xml::EdmCode;
use once_xml::response::Exception;
use time::OffsetDateTime;

/// Why a request was refused, where the EDM code covers several causes (the `Reason` slot of
/// the exception). Other providers may send reasons of their own: [`Reason::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// More than one person matches (EDM:ERR:0004).
    AmbiguousSubject,
    /// No person matches (EDM:ERR:0004).
    SubjectNotFound,
    /// No access rule allows the request (EDM:ERR:0002).
    NoAccessRule,
    /// The request id was seen before (EDM:ERR:0003).
    Replay,
    /// IssueDateTime is outside the provider's window (EDM:ERR:0003).
    StaleIssueDateTime,
    /// EvidenceRequester is not the member that sent the request (EDM:ERR:0001).
    RequesterMismatch,
    /// EvidenceProvider is not the node asked (EDM:ERR:0003).
    ProviderMismatch,
    /// The person refused the evidence in the preview (EDM:ERR:0002).
    PreviewRefused,
    /// The person has not decided yet (EDM:ERR:0002, PreviewRequired).
    PreviewPending,
    /// A reason this node does not know, as the provider sent it.
    Other(String),
}

impl Reason {
    /// Every reason this node knows, for parsing.
    const KNOWN: [Reason; 9] = [
        Reason::AmbiguousSubject,
        Reason::SubjectNotFound,
        Reason::NoAccessRule,
        Reason::Replay,
        Reason::StaleIssueDateTime,
        Reason::RequesterMismatch,
        Reason::ProviderMismatch,
        Reason::PreviewRefused,
        Reason::PreviewPending,
    ];

    /// The text in the `Reason` slot.
    pub fn as_str(&self) -> &str {
        match self {
            Reason::AmbiguousSubject => "AmbiguousSubject",
            Reason::SubjectNotFound => "SubjectNotFound",
            Reason::NoAccessRule => "NoAccessRule",
            Reason::Replay => "Replay",
            Reason::StaleIssueDateTime => "StaleIssueDateTime",
            Reason::RequesterMismatch => "RequesterMismatch",
            Reason::ProviderMismatch => "ProviderMismatch",
            Reason::PreviewRefused => "PreviewRefused",
            Reason::PreviewPending => "PreviewPending",
            Reason::Other(text) => text,
        }
    }

    /// The reason a `Reason` slot names.
    pub fn parse(text: &str) -> Reason {
        Reason::KNOWN
            .into_iter()
            .find(|r| r.as_str() == text)
            .unwrap_or_else(|| Reason::Other(text.to_owned()))
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A refusal: the EDM code, the reason, and a detail a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The EDM error code.
    pub code: EdmCode,
    /// Why, where the code covers several causes.
    pub reason: Option<Reason>,
    /// What happened and what to do.
    pub detail: String,
    /// Where the person previews the evidence, when the refusal asks for a preview
    /// (EDM:ERR:0002 with the PreviewRequired severity).
    pub preview_location: Option<String>,
}

impl Refusal {
    /// A refusal with `code` and no reason.
    pub fn new(code: EdmCode, detail: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: None,
            detail: detail.into(),
            preview_location: None,
        }
    }

    /// A refusal with `code` because of `reason`.
    pub fn because(code: EdmCode, reason: Reason, detail: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: Some(reason),
            detail: detail.into(),
            preview_location: None,
        }
    }

    /// The person must preview the evidence at `location` first (EDM:ERR:0002 with the
    /// PreviewRequired severity); `reason` says why again, e.g. [`Reason::PreviewPending`].
    pub fn preview_required(location: impl Into<String>, reason: Option<Reason>) -> Refusal {
        Refusal {
            code: EdmCode::Authorization,
            reason,
            detail: String::new(),
            preview_location: Some(location.into()),
        }
    }

    /// The `rs:Exception` that carries it, issued `now`.
    pub fn exception(&self, now: OffsetDateTime) -> Exception {
        let exception = match &self.preview_location {
            Some(location) => Exception::preview_required(location, now),
            None => Exception::new(self.code, self.detail.clone(), now),
        };
        match &self.reason {
            Some(reason) => exception.with_reason(reason.as_str()),
            None => exception,
        }
    }
}

impl From<once_xml::EdmError> for Refusal {
    fn from(e: once_xml::EdmError) -> Refusal {
        Refusal::new(e.code, e.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip_and_unknown_ones_are_kept() {
        for reason in Reason::KNOWN {
            assert_eq!(Reason::parse(reason.as_str()), reason);
        }
        assert_eq!(
            Reason::parse("QuotaExceeded"),
            Reason::Other("QuotaExceeded".into())
        );
        assert_eq!(Reason::parse("QuotaExceeded").as_str(), "QuotaExceeded");
    }

    #[test]
    fn a_refusal_becomes_an_exception_with_its_reason() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let refusal = Refusal::because(EdmCode::Authorization, Reason::NoAccessRule, "no rule");
        let exception = refusal.exception(now);
        assert_eq!(exception.code, EdmCode::Authorization);
        assert_eq!(exception.reason.as_deref(), Some("NoAccessRule"));
        assert_eq!(
            Refusal::new(EdmCode::Timeout, "x").exception(now).reason,
            None
        );
        let pending = Refusal::preview_required("https://p/1", Some(Reason::PreviewPending));
        let exception = pending.exception(now);
        assert_eq!(exception.code, EdmCode::Authorization);
        assert_eq!(exception.preview_location.as_deref(), Some("https://p/1"));
        assert_eq!(exception.reason.as_deref(), Some("PreviewPending"));
    }
}
