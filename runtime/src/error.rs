//! The one JSON error envelope of every JSON endpoint of every service:
//! `{"error":{"code":"<snake_case>","message":"<what a person can act on>"}}`.
//!
//! Each service has one error type whose `ResponseError` implementation decides every status in
//! one `match` and answers through [`json`]; causes of internal errors are logged there, never
//! sent.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

/// The envelope.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    /// The error.
    pub error: ErrorDetail<'a>,
}

/// The error in the envelope.
#[derive(Debug, Serialize)]
pub struct ErrorDetail<'a> {
    /// A stable snake_case code.
    pub code: &'a str,
    /// A message a person can act on.
    pub message: String,
    /// Further fields of this kind of error (e.g. the request id and the provider's EDM code
    /// of a refused evidence request).
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// An error answer in the envelope.
pub fn json(status: StatusCode, code: &str, message: impl std::fmt::Display) -> HttpResponse {
    json_with(status, code, message, serde_json::Map::new())
}

/// An error answer in the envelope with further fields.
pub fn json_with(
    status: StatusCode,
    code: &str,
    message: impl std::fmt::Display,
    details: serde_json::Map<String, serde_json::Value>,
) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        error: ErrorDetail {
            code,
            message: message.to_string(),
            details,
        },
    })
}
