//! The map's one error surface for HTTP answers that are not pages: the API for nodes
//! ([`crate::api`]), the pictures' data (`/api/graph`, `/api/map`) and the exports. Every status
//! code is decided in one `match` ([`MapError::status_and_code`]); the body is the envelope the
//! node answers with too:
//!
//! ```json
//! {"error": {"code": "<snake_case>", "message": "<text a person can act on>"}}
//! ```
//!
//! The cause of a 5xx answer is logged once, here, and never sent. actix's own extractor errors
//! (a query string or JSON body that cannot be read, a body over the limit) answer in the same
//! envelope: see [`query_config`], [`json_config`] and [`MapError::from_body`].

use std::error::Error as StdError;

use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use serde::Serialize;

use crate::db::AcceptError;
use crate::service::{DiscoverError, PublishError};

/// A cause that is logged, never sent.
pub type Cause = Box<dyn StdError + Send + Sync + 'static>;

/// An error the map answers with (see the module documentation).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// The connection has no authenticated member (no client certificate the map accepted):
    /// 401 `unauthorized`.
    #[error("no authenticated member on this connection")]
    Unauthenticated,
    /// A required query parameter is missing or empty: 400 `missing_parameter`.
    #[error("{0} is required")]
    MissingParameter(&'static str),
    /// The query string or the body cannot be read as the endpoint expects: 400
    /// `invalid_request`.
    #[error("{0}")]
    InvalidRequest(String),
    /// The body is larger than the endpoint accepts: 413 `payload_too_large`.
    #[error("the body is larger than {limit} bytes, the most this endpoint accepts")]
    PayloadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// No such endpoint: 404 `not_found`.
    #[error(
        "there is no such endpoint; the API has POST /v1/descriptors, GET /v1/providers and POST /v1/stats"
    )]
    NotFound,
    /// Not a valid descriptor (or flow report); the message names the field and the rule:
    /// 422 `invalid_descriptor`.
    #[error("the descriptor is invalid: {0}")]
    InvalidDescriptor(String),
    /// The descriptor's signature is missing, broken, or its certificate is not acceptable:
    /// 401 `bad_signature`.
    #[error("the descriptor's signature is not acceptable: {0}")]
    BadSignature(String),
    /// Signer, TLS peer and operating member are not the same member, or the member may not
    /// publish for an area: 403 `wrong_member`.
    #[error("{0}")]
    WrongMember(String),
    /// A descriptor not newer than the last accepted: 409 `stale_descriptor`.
    #[error("{0}")]
    Stale(String),
    /// Storage or the blocking pool cannot serve right now: 503 `unavailable`. The cause is
    /// logged with `context`.
    #[error("the map cannot answer right now; try again shortly")]
    Unavailable {
        /// What the map was doing, for the log.
        context: &'static str,
        /// Why it failed, for the log.
        #[source]
        cause: Cause,
    },
    /// Anything unexpected: 500 `internal_error`. The cause is logged with `context`.
    #[error("internal error; the map's log has the details")]
    Internal {
        /// What the map was doing, for the log.
        context: &'static str,
        /// Why it failed, for the log.
        #[source]
        cause: Cause,
    },
}

impl MapError {
    /// The status and the stable snake_case code of this error: the one place that decides them.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            MapError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthorized"),
            MapError::MissingParameter(_) => (StatusCode::BAD_REQUEST, "missing_parameter"),
            MapError::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            MapError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            MapError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            MapError::InvalidDescriptor(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_descriptor")
            }
            MapError::BadSignature(_) => (StatusCode::UNAUTHORIZED, "bad_signature"),
            MapError::WrongMember(_) => (StatusCode::FORBIDDEN, "wrong_member"),
            MapError::Stale(_) => (StatusCode::CONFLICT, "stale_descriptor"),
            MapError::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            MapError::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    /// The stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    /// An internal error while doing `context`.
    pub fn internal(context: &'static str, cause: impl Into<Cause>) -> MapError {
        MapError::Internal {
            context,
            cause: cause.into(),
        }
    }

    /// The refusal of a body the `web::Bytes` extractor could not read within `limit` bytes
    /// (actix's `PayloadConfig` has no error handler: handlers take the extractor's `Result`
    /// and answer this).
    pub fn from_body(error: &actix_web::Error, limit: usize) -> MapError {
        match error.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => MapError::PayloadTooLarge { limit },
            _ => MapError::InvalidRequest(format!("the body cannot be read: {error}")),
        }
    }
}

impl From<PublishError> for MapError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::Invalid(detail) => MapError::InvalidDescriptor(detail),
            PublishError::Signature(detail) => MapError::BadSignature(detail),
            PublishError::WrongMember(detail) => MapError::WrongMember(detail),
            PublishError::Stale(AcceptError::Db(cause)) | PublishError::Unavailable(cause) => {
                MapError::Unavailable {
                    context: "map storage",
                    cause: Box::new(cause),
                }
            }
            PublishError::Stale(stale) => MapError::Stale(stale.to_string()),
        }
    }
}

impl From<DiscoverError> for MapError {
    fn from(error: DiscoverError) -> Self {
        match error {
            DiscoverError::Query(invalid) => MapError::InvalidRequest(invalid.to_string()),
            other => MapError::internal("answering a discovery query", other),
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: String,
}

impl ResponseError for MapError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            MapError::Unavailable { context, cause } => {
                tracing::warn!(error = %cause, "{context}: unavailable");
            }
            MapError::Internal { context, cause } => {
                tracing::error!(error = %cause, "{context}: internal error");
            }
            _ => {}
        }
        let (status, code) = self.status_and_code();
        HttpResponse::build(status).json(Envelope {
            error: Body {
                code,
                message: self.to_string(),
            },
        })
    }
}

/// A `QueryConfig` whose refusals answer in the envelope (400 `invalid_request`).
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _| {
        MapError::InvalidRequest(format!("the query string cannot be read: {e}")).into()
    })
}

/// A `JsonConfig` of this `limit` whose refusals answer in the envelope (413
/// `payload_too_large` over the limit, else 400 `invalid_request`).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |e, _| {
            match e {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Payload(PayloadError::Overflow) => {
                    MapError::PayloadTooLarge { limit }
                }
                JsonPayloadError::ContentType => MapError::InvalidRequest(
                    "the body must be JSON (Content-Type: application/json)".into(),
                ),
                e => MapError::InvalidRequest(format!("the JSON body cannot be read: {e}")),
            }
            .into()
        })
}

#[cfg(test)]
mod tests {
    use actix_web::App;
    use actix_web::body::to_bytes;
    use actix_web::test as call;
    use serde_json::Value;

    use super::*;

    async fn envelope(response: HttpResponse) -> (u16, Value) {
        let status = response.status().as_u16();
        let body = to_bytes(response.into_body()).await.expect("body");
        (status, serde_json::from_slice(&body).expect("JSON"))
    }

    fn cause() -> Cause {
        "postgres://user:secret@db/map: connection refused".into()
    }

    #[actix_web::test]
    async fn every_error_answers_its_status_and_code_in_the_envelope() {
        let cases = [
            (MapError::Unauthenticated, 401, "unauthorized"),
            (
                MapError::MissingParameter("evidence_type"),
                400,
                "missing_parameter",
            ),
            (MapError::InvalidRequest("x".into()), 400, "invalid_request"),
            (
                MapError::PayloadTooLarge { limit: 10 },
                413,
                "payload_too_large",
            ),
            (MapError::NotFound, 404, "not_found"),
            (
                MapError::InvalidDescriptor("x".into()),
                422,
                "invalid_descriptor",
            ),
            (MapError::BadSignature("x".into()), 401, "bad_signature"),
            (MapError::WrongMember("x".into()), 403, "wrong_member"),
            (MapError::Stale("x".into()), 409, "stale_descriptor"),
            (
                MapError::Unavailable {
                    context: "c",
                    cause: cause(),
                },
                503,
                "unavailable",
            ),
            (MapError::internal("c", cause()), 500, "internal_error"),
        ];
        for (error, status, code) in cases {
            let message = error.to_string();
            let (answered, body) = envelope(error.error_response()).await;
            assert_eq!(
                (answered, body["error"]["code"].as_str()),
                (status, Some(code))
            );
            assert_eq!(body["error"]["message"], message.as_str());
            assert!(!message.is_empty());
            // The cause of a 5xx is logged, never sent.
            assert!(!body.to_string().contains("secret"), "{body}");
        }
        assert_eq!(
            MapError::MissingParameter("evidence_type").to_string(),
            "evidence_type is required"
        );
    }

    #[test]
    fn publish_errors_keep_their_codes() {
        let stale = AcceptError::Stale { given: 1, last: 2 };
        for (error, code) in [
            (PublishError::Invalid("x".into()), "invalid_descriptor"),
            (PublishError::Signature("x".into()), "bad_signature"),
            (PublishError::WrongMember("x".into()), "wrong_member"),
            (PublishError::Stale(stale), "stale_descriptor"),
            (
                PublishError::Unavailable(once_store::DbError::Task("gone".into())),
                "unavailable",
            ),
        ] {
            assert_eq!(MapError::from(error).code(), code);
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Query {
        #[allow(dead_code)]
        a: Option<String>,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Report {
        #[allow(dead_code)]
        n: u32,
    }

    #[actix_web::test]
    async fn extractor_errors_answer_in_the_envelope() {
        let app = call::init_service(
            App::new()
                .app_data(query_config())
                .app_data(json_config(32))
                .app_data(web::PayloadConfig::new(16))
                .route("/q", web::get().to(|_: web::Query<Query>| async { "ok" }))
                .route("/j", web::post().to(|_: web::Json<Report>| async { "ok" }))
                .route(
                    "/b",
                    web::post().to(|body: Result<web::Bytes, actix_web::Error>| async move {
                        body.map(|_| "ok").map_err(|e| MapError::from_body(&e, 16))
                    }),
                ),
        )
        .await;
        let json = |body: &str| {
            call::TestRequest::post()
                .uri("/j")
                .insert_header(("content-type", "application/json"))
                .set_payload(body.to_owned())
                .to_request()
        };
        let cases = [
            (
                call::TestRequest::get().uri("/q?a=1&a=2").to_request(),
                400,
                "invalid_request",
                "the query string cannot be read",
            ),
            (
                json("{\"n\": \"x\"}"),
                400,
                "invalid_request",
                "the JSON body cannot be read",
            ),
            (
                json(&format!("{{\"n\": 1{}}}", " ".repeat(40))),
                413,
                "payload_too_large",
                "32 bytes",
            ),
            (
                call::TestRequest::post()
                    .uri("/j")
                    .set_payload("{\"n\":1}")
                    .to_request(),
                400,
                "invalid_request",
                "application/json",
            ),
            (
                call::TestRequest::post()
                    .uri("/b")
                    .set_payload("x".repeat(17))
                    .to_request(),
                413,
                "payload_too_large",
                "16 bytes",
            ),
        ];
        for (request, status, code, message) in cases {
            let response = call::call_service(&app, request).await;
            assert_eq!(response.status().as_u16(), status);
            let body: Value = call::read_body_json(response).await;
            assert_eq!(body["error"]["code"], code, "{body}");
            assert!(
                body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(message)),
                "{body}"
            );
        }
        for request in [
            call::TestRequest::get().uri("/q?a=1").to_request(),
            json("{\"n\": 1}"),
            call::TestRequest::post()
                .uri("/b")
                .set_payload("x".repeat(16))
                .to_request(),
        ] {
            assert!(
                call::call_service(&app, request)
                    .await
                    .status()
                    .is_success()
            );
        }
    }
}
