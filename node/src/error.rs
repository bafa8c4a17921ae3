//! The one error surface of the node's HTTP endpoints: every status is decided here, in
//! [`ApiError::status_code`], and every error is answered in the JSON envelope
//! `{"error":{"code","message",…}}` (see `once_runtime::error`). On the peer endpoint, errors
//! the provider can sign are EDM messages instead; only what cannot be signed or logged, and a
//! body that cannot be read, comes here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use once_xml::EdmCode;
use serde_json::json;

use crate::db::DbError;
use crate::exchange::outcome::Reason;
use crate::exchange::provider::ProviderFault;
use crate::exchange::requester::RequestError;
use crate::operations::auth::AuthError;

/// An error answered to a caller. The message is safe to show; causes of internal errors are
/// logged, never sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// No or an unknown credential.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The database cannot be reached or the pool is exhausted.
    #[error("the node's database is unavailable; try again shortly")]
    Unavailable(#[source] DbError),
    /// The request is malformed or incomplete.
    #[error("{0}")]
    BadRequest(String),
    /// The request body could not be read (the connection broke or the stream failed).
    #[error("the request body could not be read")]
    BodyUnreadable,
    /// The request body did not arrive within the time allowed.
    #[error("the request body did not arrive within {timeout_ms} ms")]
    BodyTimeout {
        /// The time allowed.
        timeout_ms: u64,
    },
    /// Nothing is here.
    #[error("{0}")]
    NotFound(&'static str),
    /// The evidence request could not be carried out, or the provider refused it.
    #[error(transparent)]
    Exchange(#[from] RequestError),
    /// As provider, this node could give no signed answer.
    #[error(transparent)]
    Provider(#[from] ProviderFault),
    /// Anything unexpected.
    #[error("internal error; the node's log has the details")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Unavailable(_) => "database_unavailable",
            ApiError::BadRequest(_) => "invalid_request",
            ApiError::BodyUnreadable => "body_unreadable",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::NotFound(_) => "not_found",
            ApiError::Exchange(e) => e.code(),
            ApiError::Provider(ProviderFault::Unlogged) => "log_unavailable",
            ApiError::Provider(ProviderFault::Unsigned) => "signing_failed",
            ApiError::Provider(_) => "internal_error",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// Whether the connection should be closed after the answer (the rest of the body is not
    /// read).
    fn closes(&self) -> bool {
        matches!(
            self,
            ApiError::BodyTimeout { .. } | ApiError::BodyUnreadable
        )
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) => ApiError::Unavailable(e),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Refused(message) => ApiError::Unauthorized(message),
            AuthError::Db(e) => e.into(),
        }
    }
}

/// The HTTP status of a provider's refusal: by reason where the code covers several causes,
/// else by EDM code.
fn refusal_status(code: EdmCode, reason: Option<&Reason>) -> StatusCode {
    match (code, reason) {
        (_, Some(Reason::AmbiguousSubject)) => StatusCode::CONFLICT,
        (EdmCode::Authentication, _) => StatusCode::BAD_GATEWAY,
        (EdmCode::Authorization, _) => StatusCode::FORBIDDEN,
        (EdmCode::ObjectNotFound, _) => StatusCode::NOT_FOUND,
        (EdmCode::Timeout, _) => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyUnreadable => StatusCode::BAD_REQUEST,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Exchange(e) => match e {
                RequestError::Invalid(_) => StatusCode::BAD_REQUEST,
                RequestError::NoProvider(_) => StatusCode::NOT_FOUND,
                RequestError::Refused(refusal) => {
                    refusal_status(refusal.code, refusal.reason.as_ref())
                }
                RequestError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                RequestError::LogUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                RequestError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                _ => StatusCode::BAD_GATEWAY,
            },
            ApiError::Provider(ProviderFault::Unlogged) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Provider(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            ApiError::Exchange(e) => tracing::warn!(error = %e, "evidence request failed"),
            _ => {}
        }
        let mut details = serde_json::Map::new();
        if let ApiError::Exchange(RequestError::Refused(refusal)) = self {
            details.insert("request_id".into(), json!(refusal.request_id));
            details.insert("provider".into(), json!(refusal.provider));
            details.insert("edm_code".into(), json!(refusal.code.code()));
            details.insert("reason".into(), json!(refusal.reason));
        }
        let mut response =
            once_runtime::error::json_with(self.status_code(), self.code(), self, details);
        if matches!(self, ApiError::Unauthorized(_)) {
            response.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"once\""),
            );
        }
        if self.closes() {
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
        }
        response
    }
}
