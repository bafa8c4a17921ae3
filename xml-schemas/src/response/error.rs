//! The error side of a response: one `rs:Exception` with its EDM code, severity, reason and,
//! for the OOTS preview, where the user previews the evidence.

use time::OffsetDateTime;

use super::STATUS_FAILURE;
use super::read::{request_id, response_id, status, version};
use super::write::{head, root_start};
use crate::ns::{RIM, RS, XSI};
use crate::profile::{Profile, Target};
use crate::sdg::{Agent, AgentClassification, LocalizedText};
use crate::slots::sdg_read::single_agent;
use crate::slots::write::{
    agent_element, slot_any, slot_date_time, slot_localized_all, slot_string,
};
use crate::slots::{Slots, date_time_value, localized_values, single_child, string_value};
use crate::text::InvalidText;
use crate::tree::{self, Element, Limits};
use crate::version::EdmVersion;
use crate::write::Writer;
use crate::{EdmCode, EdmError};

/// Severity of an ordinary error (ebRS; also the schema's default).
pub const SEVERITY_ERROR: &str = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error";
/// Severity of the exception that asks the user to preview the evidence first, as the EDM 1.0
/// ErrorSeverity code list writes it (R-EDM-ERR-C014).
pub const SEVERITY_PREVIEW_REQUIRED: &str =
    "urn:sr.oots.tech.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired";
/// The same severity as the later versions write it (the Semantic Repository's new host).
pub const SEVERITY_PREVIEW_REQUIRED_EC: &str =
    "urn:sr.oots.tech.ec.europa.eu:codes:ErrorSeverity:EDMErrorResponse:PreviewRequired";
/// The severity of pre-final OOTS samples (`oots_exception_preview.xml`); read, never written.
const SEVERITY_DRAFT_FAILURE: &str = "FAILURE";

/// Machine-readable reasons for the `Reason` slot of an exception, where one EDM code covers
/// several causes. A provider may send any other reason. The slot is an extension of the German
/// profile, written in [`Profile::De`] only.
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
    /// The id of the request answered (`@requestId`), kept and written as `urn:uuid:<UUID>`.
    pub request_id: String,
    /// `EvidenceResponseIdentifier`, a UUID kept and written bare.
    pub response_id: String,
    /// The EDM version (`SpecificationIdentifier`): the request's.
    pub version: EdmVersion,
    /// `ErrorProvider`: who answers with the error (`ERRP`).
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
    /// The URN written in `@severity` in `version`.
    pub fn urn(self, version: EdmVersion) -> &'static str {
        match (self, version) {
            (Severity::Error, _) => SEVERITY_ERROR,
            (Severity::PreviewRequired, EdmVersion::V1_0) => SEVERITY_PREVIEW_REQUIRED,
            (Severity::PreviewRequired, _) => SEVERITY_PREVIEW_REQUIRED_EC,
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
    /// `@severity`. [`Severity::PreviewRequired`] is written only with EDM:ERR:0002 and a
    /// `preview_location`, as the EDM allows it; otherwise [`Severity::Error`] is.
    pub severity: Severity,
    /// `Timestamp`.
    pub timestamp: OffsetDateTime,
    /// `Reason`: a machine-readable cause where the code covers several (see [`reason`]);
    /// written in [`Profile::De`] only.
    pub reason: Option<String>,
    /// `PreviewLocation`: where the user previews the evidence (required with
    /// [`Severity::PreviewRequired`], written only with it).
    pub preview_location: Option<String>,
    /// `PreviewDescription`, in languages (empty: none; written only with a preview).
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

    /// The preview location, if this exception asks for a preview as the EDM allows: severity
    /// PreviewRequired, code EDM:ERR:0002 and a location.
    fn preview(&self) -> Option<&str> {
        (self.severity == Severity::PreviewRequired && self.code == EdmCode::Authorization)
            .then_some(self.preview_location.as_deref())
            .flatten()
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
        let slots = Slots::of(root)?;
        Ok(ErrorResponse {
            request_id: request_id(root)?,
            response_id: response_id(&slots)?,
            version: version(&slots)?,
            provider: single_agent(slots.require("ErrorProvider")?)?,
            requester: single_agent(slots.require("EvidenceRequester")?)?,
            exception: exception(single_child(root, RS, "Exception", "QueryResponse")?)?,
        })
    }

    /// Writes the response as XML in `profile`; a character XML 1.0 does not allow is refused
    /// with the field it is in (see
    /// [`EvidenceRequest::try_to_xml_as`](crate::request::EvidenceRequest::try_to_xml_as)).
    pub fn try_to_xml_as(&self, profile: Profile) -> Result<String, InvalidText> {
        self.write(profile).finish()
    }

    /// Writes the response as XML in `profile`; a character XML 1.0 does not allow is written
    /// as U+FFFD. Prefer [`ErrorResponse::try_to_xml_as`].
    pub fn to_xml_as(&self, profile: Profile) -> String {
        self.write(profile).into_lossy()
    }

    fn write(&self, profile: Profile) -> Writer {
        let t = Target {
            profile,
            version: self.version,
        };
        let mut out = Writer::with_capacity(2048);
        root_start(&mut out, STATUS_FAILURE, &self.request_id);
        head(&mut out, t, &self.response_id);
        slot_any(&mut out, "ErrorProvider", |out| {
            agent_element(
                out,
                "sdg:Agent",
                &self.provider,
                Some(AgentClassification::ErrorProvider),
            );
        });
        slot_any(&mut out, "EvidenceRequester", |out| {
            agent_element(out, "sdg:Agent", &self.requester, None);
        });
        exception_write(&mut out, &self.exception, t);
        out.push_str("</query:QueryResponse>\n");
        out
    }
}

fn exception_write(out: &mut Writer, exception: &Exception, t: Target) {
    let preview = exception.preview();
    let severity = match preview {
        Some(_) => Severity::PreviewRequired,
        None => Severity::Error,
    };
    out.push_str(r#"<rs:Exception xsi:type=""#);
    out.push_str(exception.code.exception_type());
    out.push_str(r#"" code=""#);
    out.push_str(exception.code.code());
    out.push_str(r#"" severity=""#);
    out.push_str(severity.urn(t.version));
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
            if let Some(reason) = exception
                .reason
                .as_ref()
                .filter(|_| t.profile.extension_slots())
            {
                slot_string(out, "Reason", reason);
            }
            if let Some(location) = preview {
                slot_string(out, "PreviewLocation", location);
                if !exception.preview_description.is_empty() {
                    slot_localized_all(out, "PreviewDescription", &exception.preview_description);
                }
            }
        },
    );
    out.push_str("</rs:Exception>");
}

fn exception(element: &Element) -> Result<Exception, EdmError> {
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
    let slots = Slots::of(element)?;
    let preview_location = slots.get("PreviewLocation").map(string_value).transpose()?;
    let severity = severity(element, preview_location.is_some())?;
    if severity == Severity::PreviewRequired && preview_location.is_none() {
        return Err(EdmError::invalid(
            "an Exception of severity PreviewRequired carries the slot PreviewLocation",
        ));
    }
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
        reason: slots.get("Reason").map(string_value).transpose()?,
        preview_location,
        preview_description: slots
            .get("PreviewDescription")
            .map(localized_values)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// The severity, as any version writes it.
fn severity(element: &Element, has_preview_location: bool) -> Result<Severity, EdmError> {
    match element.attribute(None, "severity").map(str::trim) {
        None | Some(SEVERITY_ERROR) => Ok(Severity::Error),
        Some(SEVERITY_PREVIEW_REQUIRED | SEVERITY_PREVIEW_REQUIRED_EC) => {
            Ok(Severity::PreviewRequired)
        }
        // Pre-final samples mark the preview exception with this word instead of the URN.
        Some(SEVERITY_DRAFT_FAILURE) if has_preview_location => Ok(Severity::PreviewRequired),
        Some(SEVERITY_DRAFT_FAILURE) => Ok(Severity::Error),
        Some(other) => Err(EdmError::invalid(format!(
            "the Exception severity must be {SEVERITY_ERROR} or {SEVERITY_PREVIEW_REQUIRED}, not {other:?}"
        ))),
    }
}
