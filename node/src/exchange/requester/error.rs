//! What a query comes to: evidence, a preview to ask the person for, or why not.

use once_xml::EdmCode;
use serde::Serialize;

use crate::exchange::outcome::Reason;
use crate::exchange::transport::SendError;

/// The answer for the application service.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RequestOutcome {
    /// The evidence, verified.
    Evidence {
        /// The request id.
        request_id: String,
        /// The provider's member id.
        provider: String,
        /// Evidence type classification.
        evidence_type: String,
        /// The evidence's fields (dotted names).
        evidence: serde_json::Map<String, serde_json::Value>,
        /// The signed evidence document as received.
        evidence_xml: String,
    },
    /// The person must preview the evidence first; send the request again with
    /// `preview_location` afterwards.
    PreviewRequired {
        /// The request id.
        request_id: String,
        /// The provider's member id.
        provider: String,
        /// Where the person previews the evidence.
        preview_location: String,
        /// The error code (EDM:ERR:0002).
        code: String,
        /// What to do.
        message: String,
    },
}

/// A provider's signed refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefusal {
    /// The request id.
    pub request_id: String,
    /// The provider's member id.
    pub provider: String,
    /// The EDM code.
    pub code: EdmCode,
    /// Why, where the code covers several causes.
    pub reason: Option<Reason>,
    /// The provider's explanation.
    pub message: String,
}

/// Why no evidence came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The query is incomplete or wrong.
    #[error("{0}")]
    Invalid(String),
    /// No provider is known for the evidence type and place.
    #[error("{0}")]
    NoProvider(String),
    /// The provider refused, in a signed answer.
    #[error("provider {} refused ({}): {}", .0.provider, .0.code.code(), .0.message)]
    Refused(Box<ProviderRefusal>),
    /// The provider could not be reached.
    #[error("provider {provider} at {url} is unreachable: {detail}")]
    Unreachable {
        /// Provider.
        provider: String,
        /// Its URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The connection broke while the answer was arriving.
    #[error("the connection to provider {provider} broke while its answer arrived: {detail}")]
    ConnectionLost {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// The TLS handshake with the provider failed.
    #[error("the TLS connection to provider {provider} was refused: {detail}")]
    TlsRefused {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// No answer within the timeout.
    #[error("provider {provider} did not answer within {timeout_ms} ms")]
    Timeout {
        /// Provider.
        provider: String,
        /// The timeout.
        timeout_ms: u64,
    },
    /// The answer's signature, signer or binding is wrong.
    #[error("the answer of provider {provider} cannot be trusted: {detail}")]
    BadSignature {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// The answer is not a valid message.
    #[error("the answer of provider {provider} is malformed: {detail}")]
    Malformed {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// This node failed (e.g. it could not sign); its log has the cause.
    #[error("the node could not prepare the request: {0}")]
    Internal(String),
    /// The exchange could not be logged; nothing was sent or nothing is returned.
    #[error(
        "the node cannot record the exchange right now (message log unavailable); try again later"
    )]
    LogUnavailable,
}

impl RequestError {
    /// A stable snake_case code for JSON answers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid(_) => "invalid_request",
            RequestError::NoProvider(_) => "no_provider",
            RequestError::Refused(_) => "provider_refused",
            RequestError::Unreachable { .. } => "provider_unreachable",
            RequestError::TlsRefused { .. } => "provider_tls_refused",
            RequestError::ConnectionLost { .. } => "provider_connection_lost",
            RequestError::Timeout { .. } => "provider_timeout",
            RequestError::BadSignature { .. } => "provider_bad_signature",
            RequestError::Malformed { .. } => "provider_malformed_answer",
            RequestError::LogUnavailable => "log_unavailable",
            RequestError::Internal(_) => "internal_error",
        }
    }

    /// The outcome recorded in the message log and the metrics: the EDM code of a refusal,
    /// else [`RequestError::code`].
    pub fn outcome(&self) -> &'static str {
        match self {
            RequestError::Refused(refusal) => refusal.code.code(),
            other => other.code(),
        }
    }

    /// The error of a transport failure talking to `provider`.
    pub fn from_send(provider: &str, e: SendError) -> RequestError {
        let provider = provider.to_owned();
        match e {
            SendError::Unreachable { url, detail } => RequestError::Unreachable {
                provider,
                url,
                detail,
            },
            SendError::Status {
                url,
                status,
                detail,
            } => RequestError::Unreachable {
                provider,
                url,
                detail: format!("HTTP {status}: {detail}"),
            },
            SendError::TlsRefused { detail } => RequestError::TlsRefused { provider, detail },
            SendError::ConnectionLost { detail } => {
                RequestError::ConnectionLost { provider, detail }
            }
            SendError::Timeout { timeout_ms } => RequestError::Timeout {
                provider,
                timeout_ms,
            },
            too_large @ SendError::TooLarge { .. } => RequestError::Malformed {
                provider,
                detail: too_large.to_string(),
            },
        }
    }
}
