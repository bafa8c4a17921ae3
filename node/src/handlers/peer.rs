//! Handlers of the peer endpoint.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::extract::Peer;
use crate::state::NodeState;

/// `GET /v1/identity`: the peer's member id as this node sees it.
pub async fn identity(peer: Peer, state: web::Data<NodeState>) -> HttpResponse {
    let peer = peer.0;
    HttpResponse::Ok().json(json!({
        "peer": {
            "member_id": peer.member_id,
            "certificate_sha256": peer.cert_fingerprint,
            "serial": peer.serial,
        },
        "node": { "member_id": state.config.member_id },
    }))
}
