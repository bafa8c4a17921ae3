//! Handlers of the evidence exchange: the peer endpoint's `POST /v1/exchange` (the national
//! transport), and the application endpoint's evidence requests, transfer record and simulated
//! mailbox.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use once_runtime::body::{BodyError, read_payload_within};
use once_runtime::telemetry::ServerSpan;
use once_xml::taxid::TaxId;
use serde::Deserialize;
use serde_json::json;

use super::extract::{Caller, Peer};
use crate::error::ApiError;
use crate::exchange::provider::PeerAnswer;
use crate::exchange::requester::{EvidenceQuery, RequestOutcome};
use crate::state::NodeState;

/// `POST /v1/exchange`: a sealed evidence request from a federation peer. The answer is a
/// signed ebRS message (evidence or exception); an error in the JSON envelope only when the
/// provider can give no signed answer (it could not sign or log: 500/503), or the body could
/// not be read (400) or did not arrive within `exchange.body_timeout_ms` (408).
pub async fn exchange(
    peer: Peer,
    state: web::Data<NodeState>,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let transport = state.transport.as_ref();
    let peer = &peer.0.member_id;
    let limit = state.config.exchange.max_message_bytes;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return closing(state.provider.too_large(transport, peer, limit).await);
    }
    let timeout_ms = state.config.exchange.body_timeout_ms;
    let body = match read_payload_within(&mut payload, limit, timeout_ms).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { .. }) => {
            return closing(state.provider.too_large(transport, peer, limit).await);
        }
        Err(BodyError::Timeout { timeout_ms }) => {
            tracing::warn!(
                timeout_ms,
                "peer did not send its request body in time; connection dropped"
            );
            return Err(ApiError::BodyTimeout { timeout_ms });
        }
        Err(_) => return Err(ApiError::BodyUnreadable),
    };
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    respond(
        state
            .provider
            .answer(transport, peer, content_type, &body)
            .await,
    )
}

/// An answer after which the connection is closed (the rest of the body is not read).
fn closing(answer: PeerAnswer) -> Result<HttpResponse, ApiError> {
    let mut response = respond(answer)?;
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    Ok(response)
}

fn respond(answer: PeerAnswer) -> Result<HttpResponse, ApiError> {
    match answer {
        PeerAnswer::Sealed { sealed, .. } => Ok(HttpResponse::Ok()
            .content_type(sealed.content_type)
            .body(sealed.body)),
        PeerAnswer::Fault(fault) => Err(fault.into()),
    }
}

/// `POST /v1/evidence-requests`: ask a provider for evidence (JSON in, JSON out). Evidence is
/// 200, a preview to ask the person for 202; a refusal or failure is an [`ApiError`].
pub async fn evidence_request(
    _caller: Caller,
    state: web::Data<NodeState>,
    request: HttpRequest,
    query: web::Json<EvidenceQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut query = query.into_inner();
    query.trace = request.extensions().get::<ServerSpan>().map(|span| span.0);
    let outcome = state.requester.request(query).await?;
    Ok(match &outcome {
        RequestOutcome::Evidence { .. } => HttpResponse::Ok().json(outcome),
        RequestOutcome::PreviewRequired { .. } => HttpResponse::Accepted().json(outcome),
    })
}

/// The query of the transfer record and the mailbox.
#[derive(Debug, Deserialize)]
pub struct SubjectQuery {
    /// The identification number (tax id) of the person.
    subject: String,
}

fn tax_id(query: &SubjectQuery) -> Result<TaxId, ApiError> {
    query
        .subject
        .trim()
        .parse()
        .map_err(|e| ApiError::BadRequest(format!("subject: {e}")))
}

/// `GET /v1/transfers?subject=<identification number>`: which member received which evidence
/// about the person, when, for which procedure and on which legal basis.
pub async fn transfers(
    _caller: Caller,
    state: web::Data<NodeState>,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = tax_id(&query)?;
    let transfers = state.logbook.transfers(&id.to_string()).await?;
    Ok(HttpResponse::Ok().json(json!({ "transfers": transfers })))
}

/// `GET /v1/preview-mailbox?subject=<identification number>`: the one-time codes "sent" to the
/// person (only with `preview.simulated_mailbox`; demo and tests).
pub async fn preview_mailbox(
    _caller: Caller,
    state: web::Data<NodeState>,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    if !state.provider.simulated_mailbox() {
        return Err(ApiError::NotFound(
            "the simulated mailbox is off (preview.simulated_mailbox)",
        ));
    }
    let id = tax_id(&query)?;
    let digest = state.logbook.subject_digest(&id.to_string());
    let messages = crate::db::run(&state.pool, move |conn| {
        crate::db::previews::mailbox(conn, &digest)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "messages": messages })))
}

/// Turns JSON body errors into the node's JSON error.
pub fn json_error(err: actix_web::error::JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("the JSON body is invalid: {err}")).into()
}
