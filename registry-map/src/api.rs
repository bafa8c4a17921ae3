//! The map's API for nodes (mutual TLS): publish a descriptor, discover providers, report
//! exchange counts. The caller is the member of its TLS client certificate, read when the
//! connection was established (a `PeerIdentity` in the connection data). Every refusal is a
//! [`MapError`], answered in the JSON error envelope.

use actix_web::{HttpRequest, HttpResponse, web};
use once_pki::PeerIdentity;
use serde::Deserialize;
use serde_json::json;

use crate::error::{self, MapError};
use crate::service::{self, FlowReport};
use crate::state::MapState;

/// Largest descriptor accepted, in bytes.
pub const MAX_DESCRIPTOR_BYTES: usize = 16 * 1024 * 1024;

/// Largest flow report accepted, in bytes.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;

/// Registers the API routes, with actix's extractor errors answered in the envelope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_DESCRIPTOR_BYTES))
        .app_data(error::json_config(MAX_REPORT_BYTES))
        .app_data(error::query_config())
        .route("/v1/descriptors", web::post().to(publish))
        .route("/v1/providers", web::get().to(providers))
        .route("/v1/stats", web::post().to(stats))
        .default_service(web::to(not_found));
}

/// The calling member, or [`MapError::Unauthenticated`] on a connection without one.
fn peer(request: &HttpRequest) -> Result<PeerIdentity, MapError> {
    request
        .conn_data::<PeerIdentity>()
        .cloned()
        .ok_or(MapError::Unauthenticated)
}

/// `POST /v1/descriptors`: a signed register descriptor of the calling member.
pub async fn publish(
    state: web::Data<MapState>,
    request: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, MapError> {
    let peer = peer(&request)?;
    let body = body.map_err(|e| MapError::from_body(&e, MAX_DESCRIPTOR_BYTES))?;
    match service::publish(&state, &peer.member_id, &body).await {
        Ok(count) => Ok(HttpResponse::Ok().json(json!({ "accepted": true, "registers": count }))),
        Err(e) => {
            let e = MapError::from(e);
            if !e.status_and_code().0.is_server_error() {
                tracing::warn!(map.member = %peer.member_id, error = %e, "descriptor refused");
            }
            Err(e)
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
) -> Result<HttpResponse, MapError> {
    peer(&request)?;
    let evidence_type = query
        .evidence_type
        .as_deref()
        .filter(|e| !e.is_empty())
        .ok_or(MapError::MissingParameter("evidence_type"))?;
    let document = service::discover(&state, evidence_type, query.jurisdiction.as_deref())?;
    Ok(HttpResponse::Ok()
        .content_type("application/xml")
        .body(document))
}

/// `POST /v1/stats`: exchange counts of the calling (requester) member for a day.
pub async fn stats(
    state: web::Data<MapState>,
    request: HttpRequest,
    report: web::Json<FlowReport>,
) -> Result<HttpResponse, MapError> {
    let peer = peer(&request)?;
    service::record_flows(&state, &peer.member_id, report.into_inner()).await?;
    Ok(HttpResponse::Ok().json(json!({ "accepted": true })))
}

/// Any other path or method: 404 in the envelope.
async fn not_found() -> Result<HttpResponse, MapError> {
    Err(MapError::NotFound)
}
