//! The error side of a response: one `rs:Exception` with its EDM code, severity, reason and,
//! for the OOTS preview, where the user previews the evidence.

use time::OffsetDateTime;

use super::{IGNORED_SLOTS, STATUS_FAILURE, request_id, root_start, status};
use crate::ns::{RIM, RS, XSI};
use crate::request::{Agent, LocalizedText};
use crate::slots::{
    Slots, date_time_value, localized_values, single_agent, single_child, slot_agent,
    slot_date_time, slot_localized_all, slot_string, string_value,
};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
use crate::write::Writer;
use crate::{EdmCode, EdmError};

/// Severity of an ordinary error (ebRS; also the schema's default).
pub const SEVERITY_ERROR: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
/// Severity of the exception that asks the user to preview the evidence first (OOTS TDD, EDM
/// error response).
pub const SEVERITY_PREVIEW_REQUIRED: &str =
    "urn:sr.oots.tech.ec.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired";
/// The severity of pre-final OOTS samples (`oots_exception_preview.xml`); read, never written.
const SEVERITY_DRAFT_FAILURE: &str = "FAILURE";

/// Machine-readable reasons for the `Reason` slot of an exception, where one EDM code covers
/// several causes. A provider may send any other reason.
pub mod reason {
    /// More than one person in the register matches the subject.
    pub const AMBIGUOUS_SUBJECT: &str = "AmbiguousSubject";
    /// No person in the register matches the subject.
    pub const SUBJECT_NOT_FOUND: &str = "SubjectNotFound";
    /// No access rule lets this requester have this evidence.
    pub const NO_ACCESS_RULE: &str = "NoAccessRule";
    /// A request id that was already answered.
    pub const REPLAY: &str = "Replay";
    /// An `IssueDateTime` too far in the past or the future.
    pub const STALE_ISSUE_DATE_TIME: &str = "StaleIssueDateTime";
    /// The requester named in the message is not the peer that sent it.
    pub const REQUESTER_MISMATCH: &str = "RequesterMismatch";
    /// The provider named in the message is not this node.
    pub const PROVIDER_MISMATCH: &str = "ProviderMismatch";
    /// The user refused the evidence in the preview.
    pub const PREVIEW_REFUSED: &str = "PreviewRefused";
    /// The user has not finished the preview yet.
    pub const PREVIEW_PENDING: &str = "PreviewPending";
}

/// A failed answer: why there is no evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The id of the request answered (`@requestId`).
    pub request_id: String,
    /// `EvidenceResponseIdentifier`.
    pub response_id: String,
    /// `SpecificationIdentifier`.
    pub specification_identifier: String,
    /// `ErrorProvider`: who answers with the error.
    pub provider: Agent,
    /// `EvidenceRequester`.
    pub requester: Agent,
    /// The one `rs:Exception`.
    pub exception: Exception,
}

/// How grave an exception is (`rs:Exception/@severity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// [`SEVERITY_ERROR`]: no evidence.
    Error,
    /// [`SEVERITY_PREVIEW_REQUIRED`]: the user must preview the evidence at `PreviewLocation`
    /// and the request be sent again.
    PreviewRequired,
}

impl Severity {
    /// The URN written in `@severity`.
    pub fn urn(self) -> &'static str {
        match self {
            Severity::Error => SEVERITY_ERROR,
            Severity::PreviewRequired => SEVERITY_PREVIEW_REQUIRED,
        }
    }
}

/// The exception of an error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// The EDM code (`@code`; `@xsi:type` follows from it).
    pub code: EdmCode,
    /// `@message`: what went wrong, in short.
    pub message: String,
    /// `@detail`: what exactly, for the requester's operator (empty: none).
    pub detail: String,
    /// `@severity`.
    pub severity: Severity,
    /// `Timestamp`.
    pub timestamp: OffsetDateTime,
    /// `Reason`: a machine-readable cause where the code covers several (see [`reason`]).
    pub reason: Option<String>,
    /// `PreviewLocation`: where the user previews the evidence (required with
    /// [`Severity::PreviewRequired`]).
    pub preview_location: Option<String>,
    /// `PreviewDescription`, in languages (empty: none).
    pub preview_description: Vec<LocalizedText>,
}

impl Exception {
    /// An error with this code, the code's standard message and this detail.
    pub fn new(code: EdmCode, detail: impl Into<String>, timestamp: OffsetDateTime) -> Exception {
        Exception {
            code,
            message: code.message().to_owned(),
            detail: detail.into(),
            severity: Severity::Error,
            timestamp,
            reason: None,
            preview_location: None,
            preview_description: Vec::new(),
        }
    }

    /// The exception that reports a refusal.
    pub fn from_error(error: &EdmError, timestamp: OffsetDateTime) -> Exception {
        Exception::new(error.code, error.detail.clone(), timestamp)
    }

    /// The exception that asks for a preview at `location` (EDM:ERR:0002, severity
    /// [`Severity::PreviewRequired`]).
    pub fn preview_required(location: impl Into<String>, timestamp: OffsetDateTime) -> Exception {
        Exception {
            severity: Severity::PreviewRequired,
            preview_location: Some(location.into()),
            ..Exception::new(
                EdmCode::Authorization,
                "the evidence must be previewed by the user before it is sent",
                timestamp,
            )
        }
    }

    /// The same exception with this reason.
    pub fn with_reason(self, reason: impl Into<String>) -> Exception {
        Exception {
            reason: Some(reason.into()),
            ..self
        }
    }
}

impl ErrorResponse {
    /// Reads an error response from its bytes within `limits`.
    pub fn from_xml(bytes: &[u8], limits: &Limits) -> Result<ErrorResponse, EdmError> {
        ErrorResponse::from_element(&tree::parse(bytes, limits)?)
    }

    /// Reads an error response from a parsed document.
    pub fn from_element(root: &Element) -> Result<ErrorResponse, EdmError> {
        let status = status(root)?;
        if status != STATUS_FAILURE {
            return Err(EdmError::invalid(format!(
                "an error response has status {STATUS_FAILURE}, not {status:?}"
            )));
        }
        if root.child(RIM, "RegistryObjectList").is_some() {
            return Err(EdmError::invalid(
                "a QueryResponse with status Failure carries no RegistryObjectList",
            ));
        }
        let slots = Slots::of_except(root, IGNORED_SLOTS)?;
        Ok(ErrorResponse {
            request_id: request_id(root)?,
            response_id: string_value(slots.require("EvidenceResponseIdentifier")?)?,
            specification_identifier: string_value(slots.require("SpecificationIdentifier")?)?,
            provider: single_agent(slots.require("ErrorProvider")?)?,
            requester: single_agent(slots.require("EvidenceRequester")?)?,
            exception: exception(single_child(root, RS, "Exception", "QueryResponse")?)?,
        })
    }

    /// Writes the response as XML; a character XML 1.0 does not allow is refused with the field
    /// it is in (see [`EvidenceRequest::try_to_xml`](crate::request::EvidenceRequest::try_to_xml)).
    pub fn try_to_xml(&self) -> Result<String, InvalidText> {
        self.write().finish()
    }

    /// Writes the response as XML; a character XML 1.0 does not allow is written as U+FFFD.
    /// Prefer [`ErrorResponse::try_to_xml`], or check every text with [`crate::text`] first.
    pub fn to_xml(&self) -> String {
        self.write().into_lossy()
    }

    fn write(&self) -> Writer {
        let mut out = Writer::with_capacity(2048);
        root_start(&mut out, STATUS_FAILURE, &self.request_id);
        slot_string(
            &mut out,
            "SpecificationIdentifier",
            &self.specification_identifier,
        );
        slot_string(&mut out, "EvidenceResponseIdentifier", &self.response_id);
        slot_agent(&mut out, "ErrorProvider", &self.provider);
        slot_agent(&mut out, "EvidenceRequester", &self.requester);
        let exception = &self.exception;
        out.push_str(r#"<rs:Exception xsi:type=""#);
        out.push_str(exception.code.exception_type());
        out.push_str(r#"" code=""#);
        out.push_str(exception.code.code());
        out.push_str(r#"" severity=""#);
        out.push_str(exception.severity.urn());
        out.push_str(r#"" message=""#);
        out.attr("rs:Exception/@message", &exception.message);
        out.push('"');
        if !exception.detail.is_empty() {
            out.push_str(r#" detail=""#);
            out.attr("rs:Exception/@detail", &exception.detail);
            out.push('"');
        }
        out.push('>');
        out.within(
            || "rs:Exception".into(),
            |out| {
                slot_date_time(out, "Timestamp", exception.timestamp);
                if let Some(reason) = &exception.reason {
                    slot_string(out, "Reason", reason);
                }
                if let Some(location) = &exception.preview_location {
                    slot_string(out, "PreviewLocation", location);
                }
                if !exception.preview_description.is_empty() {
                    slot_localized_all(out, "PreviewDescription", &exception.preview_description);
                }
            },
        );
        out.push_str("</rs:Exception></query:QueryResponse>\n");
        out
    }
}

pub(super) fn exception(element: &Element) -> Result<Exception, EdmError> {
    let declared = element
        .attribute(Some(XSI), "type")
        .ok_or_else(|| EdmError::invalid("the Exception lacks its xsi:type"))?;
    // The tree keeps no namespace declarations, so the prefix of this QName value cannot be
    // resolved: the exception type is known by its local name, which is unique among the types.
    let code = EdmCode::from_exception_type(declared).ok_or_else(|| {
        EdmError::invalid(format!(
            "the Exception type {declared:?} is not one of the EDM exception types"
        ))
    })?;
    if let Some(given) = element.attribute(None, "code") {
        let given_code = EdmCode::from_code(given.trim()).ok_or_else(|| {
            EdmError::invalid(format!("the Exception code {given:?} is not an EDM code"))
        })?;
        if given_code != code {
            return Err(EdmError::invalid(format!(
                "the Exception code {given_code} does not go with its type {declared} (which is {code})"
            )));
        }
    }
    let slots = Slots::of_except(element, IGNORED_SLOTS)?;
    let preview_location = slots.get("PreviewLocation").map(string_value).transpose()?;
    let severity = match element.attribute(None, "severity").map(str::trim) {
        None | Some(SEVERITY_ERROR) => Severity::Error,
        Some(SEVERITY_PREVIEW_REQUIRED) => Severity::PreviewRequired,
        // Pre-final samples mark the preview exception with this word instead of the URN.
        Some(SEVERITY_DRAFT_FAILURE) if preview_location.is_some() => Severity::PreviewRequired,
        Some(SEVERITY_DRAFT_FAILURE) => Severity::Error,
        Some(other) => {
            return Err(EdmError::invalid(format!(
                "the Exception severity must be {SEVERITY_ERROR} or {SEVERITY_PREVIEW_REQUIRED}, not {other:?}"
            )));
        }
    };
    if severity == Severity::PreviewRequired && preview_location.is_none() {
        return Err(EdmError::invalid(
            "an Exception of severity PreviewRequired carries the slot PreviewLocation",
        ));
    }
    let reason = slots.get("Reason").map(string_value).transpose()?;
    Ok(Exception {
        code,
        message: element
            .attribute(None, "message")
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .unwrap_or(code.message())
            .to_owned(),
        detail: element
            .attribute(None, "detail")
            .map(str::trim)
            .unwrap_or_default()
            .to_owned(),
        severity,
        timestamp: date_time_value(slots.require("Timestamp")?)?,
        reason,
        preview_location,
        preview_description: slots
            .get("PreviewDescription")
            .map(localized_values)
            .transpose()?
            .unwrap_or_default(),
    })
}
