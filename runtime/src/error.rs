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
}

/// An error answer in the envelope.
pub fn json(status: StatusCode, code: &str, message: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::build(status).json(ErrorBody {
        error: ErrorDetail {
            code,
            message: message.to_string(),
        },
    })
}
