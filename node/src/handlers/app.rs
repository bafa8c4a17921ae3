//! Handlers of the application endpoint.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::extract::Caller;
use crate::operations::auth::AppCaller;
use crate::operations::health;
use crate::state::NodeState;

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "alive" }))
}

/// `GET /readyz`: 200 when the node can serve, 503 with the failing checks otherwise.
pub async fn readyz(state: web::Data<NodeState>) -> HttpResponse {
    let readiness = health::readiness(
        &state.pool,
        &state.credentials.load(),
        &state.crl.load(),
        state.config.health.min_certificate_days,
    )
    .await;
    if readiness.is_ready() {
        HttpResponse::Ok().json(readiness)
    } else {
        HttpResponse::ServiceUnavailable().json(readiness)
    }
}

/// `GET /metrics`: Prometheus metrics (same authentication as `/v1`).
pub async fn metrics(state: web::Data<NodeState>) -> HttpResponse {
    let text = crate::operations::metrics::render(&state).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}

/// `GET /v1/node`: who this node is, and who is asking.
pub async fn node_info(caller: Caller, state: web::Data<NodeState>) -> HttpResponse {
    let caller = match caller.0 {
        AppCaller::ApiKey { name } => json!({ "api_key": name }),
        AppCaller::Certificate {
            subject,
            fingerprint,
        } => {
            json!({ "certificate": { "subject": subject, "sha256": fingerprint } })
        }
    };
    let material = state.credentials.load();
    HttpResponse::Ok().json(json!({
        "member_id": state.config.member_id,
        "tls_certificate": {
            "sha256": material.tls_info.fingerprint_sha256,
            "serial": material.tls_info.serial,
            "not_after": material.tls_info.not_after.unix_timestamp(),
        },
        "signing_certificate": {
            "sha256": material.signing_info.fingerprint_sha256,
            "serial": material.signing_info.serial,
            "not_after": material.signing_info.not_after.unix_timestamp(),
        },
        "caller": caller,
    }))
}
