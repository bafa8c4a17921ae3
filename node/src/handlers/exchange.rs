//! Handlers of the evidence exchange: the peer endpoint's `POST /v1/exchange`, and the
//! application endpoint's evidence requests, transfer record and simulated mailbox.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use once_runtime::body::{BodyError, read_payload_within};
use once_xml::taxid::TaxId;
use serde::Deserialize;
use serde_json::json;

use super::extract::{Caller, Peer};
use crate::error::ApiError;
use crate::service::provider;
use crate::service::requester::{self, EvidenceQuery, RequestOutcome};
use crate::state::NodeState;
use once_runtime::telemetry::ServerSpan;

/// `POST /v1/exchange`: a signed evidence request from a federation peer. The answer is a signed
/// ebRS message (evidence or exception); plain-text errors only when the exchange could not be
/// logged (503), the body could not be read (400) or did not arrive within
/// `exchange.body_timeout_ms` (408).
pub async fn exchange(
    peer: Peer,
    state: web::Data<NodeState>,
    request: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let ex = &state.exchange;
    let limit = ex.config.max_message_bytes;
    let declared = request
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return closing(provider::too_large(ex, &peer.0.member_id, limit).await);
    }
    let body = match read_payload_within(&mut payload, limit, ex.config.body_timeout_ms).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { .. }) => {
            return closing(provider::too_large(ex, &peer.0.member_id, limit).await);
        }
        Err(BodyError::Timeout { timeout_ms }) => {
            tracing::warn!(
                timeout_ms,
                "peer did not send its request body in time; connection dropped"
            );
            return HttpResponse::RequestTimeout()
                .force_close()
                .body("the request body did not arrive in time");
        }
        Err(_) => {
            return HttpResponse::BadRequest()
                .force_close()
                .body("the request body could not be read");
        }
    };
    let content_type = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    respond(provider::answer(ex, &peer.0.member_id, content_type, &body).await)
}

/// An answer after which the connection is closed (the rest of the body is not read).
fn closing(answer: provider::PeerAnswer) -> HttpResponse {
    let mut response = respond(answer);
    response
        .head_mut()
        .set_connection_type(actix_web::http::ConnectionType::Close);
    response
}

fn respond(answer: provider::PeerAnswer) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK))
        .content_type(answer.content_type)
        .body(answer.body)
}

/// `POST /v1/evidence-requests`: ask a provider for evidence (JSON in, JSON out).
pub async fn evidence_request(
    _caller: Caller,
    state: web::Data<NodeState>,
    request: HttpRequest,
    query: web::Json<EvidenceQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut query = query.into_inner();
    query.trace = request.extensions().get::<ServerSpan>().map(|span| span.0);
    let outcome = requester::request(&state.exchange, query).await?;
    Ok(match &outcome {
        RequestOutcome::Evidence { .. } => HttpResponse::Ok().json(outcome),
        RequestOutcome::PreviewRequired { .. } => HttpResponse::Accepted().json(outcome),
        RequestOutcome::Refused {
            request_id,
            provider,
            code,
            reason,
            message,
        } => HttpResponse::build(refusal_status(code, reason.as_deref())).json(json!({
            "status": "refused",
            "request_id": request_id,
            "provider": provider,
            "error": { "code": code, "reason": reason, "message": message },
        })),
    })
}

/// The HTTP status of a provider's refusal, by EDM code.
fn refusal_status(code: &str, reason: Option<&str>) -> StatusCode {
    match (code, reason) {
        (_, Some("AmbiguousSubject")) => StatusCode::CONFLICT,
        ("EDM:ERR:0001", _) => StatusCode::BAD_GATEWAY,
        ("EDM:ERR:0002", _) => StatusCode::FORBIDDEN,
        ("EDM:ERR:0004", _) => StatusCode::NOT_FOUND,
        ("EDM:ERR:0005", _) => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
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
    let transfers = state.exchange.logbook.transfers(&id.to_string()).await?;
    Ok(HttpResponse::Ok().json(json!({ "transfers": transfers })))
}

/// `GET /v1/preview-mailbox?subject=<identification number>`: the one-time codes "sent" to the
/// person (only with `preview.simulated_mailbox`; demo and tests).
pub async fn preview_mailbox(
    _caller: Caller,
    state: web::Data<NodeState>,
    query: web::Query<SubjectQuery>,
) -> Result<HttpResponse, ApiError> {
    if !state
        .exchange
        .preview
        .as_ref()
        .is_some_and(|p| p.simulated_mailbox)
    {
        return Err(ApiError::NotFound(
            "the simulated mailbox is off (preview.simulated_mailbox)",
        ));
    }
    let id = tax_id(&query)?;
    let digest = state.exchange.logbook.subject_digest(&id.to_string());
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
