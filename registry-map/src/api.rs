//! The map's API for nodes (mutual TLS): publish a descriptor, discover providers, report
//! exchange counts. The caller is the member of its TLS client certificate, read when the
//! connection was established (a `PeerIdentity` in the connection data).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use once_pki::PeerIdentity;
use serde::Deserialize;
use serde_json::json;

use crate::service::{self, FlowReport, PublishError};
use crate::state::MapState;

/// Largest descriptor accepted, in bytes.
pub const MAX_DESCRIPTOR_BYTES: usize = 16 * 1024 * 1024;

/// Registers the API routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_DESCRIPTOR_BYTES))
        .app_data(web::JsonConfig::default().limit(1024 * 1024))
        .route("/v1/descriptors", web::post().to(publish))
        .route("/v1/providers", web::get().to(providers))
        .route("/v1/stats", web::post().to(stats));
}

fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> HttpResponse {
    HttpResponse::build(status)
        .json(json!({ "error": { "code": code, "message": message.to_string() } }))
}

/// The calling member; `None` (answer [`unauthenticated`]) on a connection without one.
fn peer(request: &HttpRequest) -> Option<PeerIdentity> {
    request.conn_data::<PeerIdentity>().cloned()
}

fn unauthenticated() -> HttpResponse {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "no authenticated member on this connection",
    )
}

fn publish_error(e: &PublishError) -> HttpResponse {
    let (status, code) = match e {
        PublishError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_descriptor"),
        PublishError::Signature(_) => (StatusCode::UNAUTHORIZED, "bad_signature"),
        PublishError::WrongMember(_) => (StatusCode::FORBIDDEN, "wrong_member"),
        PublishError::Stale(_) => (StatusCode::CONFLICT, "stale_descriptor"),
        PublishError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
    };
    if matches!(e, PublishError::Unavailable(_)) {
        tracing::warn!(error = %e, "map storage");
    }
    error(status, code, e)
}

/// `POST /v1/descriptors`: a signed register descriptor of the calling member.
pub async fn publish(
    state: web::Data<MapState>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(peer) = peer(&request) else {
        return unauthenticated();
    };
    match service::publish(&state, &peer.member_id, &body).await {
        Ok(count) => HttpResponse::Ok().json(json!({ "accepted": true, "registers": count })),
        Err(e) => {
            tracing::warn!(map.member = %peer.member_id, error = %e, "descriptor refused");
            publish_error(&e)
        }
    }
}

/// The discovery query.
#[derive(Debug, Deserialize)]
pub struct ProvidersQuery {
    evidence_type: Option<String>,
    jurisdiction: Option<String>,
}

/// `GET /v1/providers?evidence_type=…&jurisdiction=…`: the signed discovery answer.
pub async fn providers(
    state: web::Data<MapState>,
    request: HttpRequest,
    query: web::Query<ProvidersQuery>,
) -> HttpResponse {
    if peer(&request).is_none() {
        return unauthenticated();
    }
    let Some(evidence_type) = query.evidence_type.as_deref().filter(|e| !e.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "missing_parameter",
            "evidence_type is required",
        );
    };
    match service::discover(&state, evidence_type, query.jurisdiction.as_deref()) {
        Ok(document) => HttpResponse::Ok()
            .content_type("application/xml")
            .body(document),
        Err(e) => {
            tracing::error!(error = %e, "signing a discovery answer failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the answer could not be signed",
            )
        }
    }
}

/// `POST /v1/stats`: exchange counts of the calling (requester) member for a day.
pub async fn stats(
    state: web::Data<MapState>,
    request: HttpRequest,
    report: web::Json<FlowReport>,
) -> HttpResponse {
    let Some(peer) = peer(&request) else {
        return unauthenticated();
    };
    match service::record_flows(&state, &peer.member_id, report.into_inner()).await {
        Ok(()) => HttpResponse::Ok().json(json!({ "accepted": true })),
        Err(e) => publish_error(&e),
    }
}
