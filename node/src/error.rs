//! The JSON error every endpoint answers with, and the one place that decides status codes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;

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
    /// Nothing is here.
    #[error("{0}")]
    NotFound(&'static str),
    /// The evidence request could not be carried out.
    #[error(transparent)]
    Exchange(#[from] crate::service::requester::RequestError),
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
            ApiError::NotFound(_) => "not_found",
            ApiError::Exchange(e) => e.code(),
            ApiError::Internal(_) => "internal_error",
        }
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

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Exchange(e) => {
                use crate::service::requester::RequestError as R;
                match e {
                    R::Invalid(_) => StatusCode::BAD_REQUEST,
                    R::NoProvider(_) => StatusCode::NOT_FOUND,
                    R::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                    R::LogUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                    R::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::BAD_GATEWAY,
                }
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            ApiError::Exchange(e) => tracing::warn!(error = %e, "evidence request failed"),
            ApiError::Unauthorized(_) | ApiError::BadRequest(_) | ApiError::NotFound(_) => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer realm=\"once\""));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        })
    }
}
