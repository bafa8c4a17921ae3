//! The AS4 endpoint's `POST /as4`: a user message from a partner access point. The answer is
//! always a signed ebMS signal (a receipt, or an error naming what is wrong), at once; a request
//! is then answered by the provider in the background and its answer pushed to the partner.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use once_as4::EbmsCode;
use once_runtime::body::{BodyError, read_payload_within};

use crate::exchange::provider::PeerAnswer;
use crate::exchange::transport::as4::{Inbound, InboundRequest, Reply};
use crate::state::NodeState;

/// `POST /as4`.
pub async fn receive(
    state: web::Data<NodeState>,
    request: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let Some(as4) = state.as4.clone() else {
        return HttpResponse::NotFound().finish();
    };
    let limit = state.config.exchange.max_message_bytes;
    let timeout_ms = state.config.exchange.body_timeout_ms;
    let body = match read_payload_within(&mut payload, limit, timeout_ms).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { .. }) => {
            let reply = as4
                .refuse_unread(
                    EbmsCode::InvalidHeader,
                    format!(
                        "the message is larger than {limit} bytes, the limit of this access point"
                    ),
                )
                .await;
            let mut response = signal(reply);
            response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close);
            return response;
        }
        Err(BodyError::Timeout { timeout_ms }) => {
            tracing::warn!(
                timeout_ms,
                "AS4 message body not sent in time; connection dropped"
            );
            return HttpResponse::RequestTimeout().finish();
        }
        Err(_) => return HttpResponse::BadRequest().finish(),
    };
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (reply, next) = as4.receive(content_type, &body).await;
    if let Inbound::Request(request) = next {
        let InboundRequest { opened, partner } = *request;
        let state = state.into_inner();
        actix_web::rt::spawn(async move {
            let answer = state
                .provider
                .answer_opened(as4.as_ref(), &partner.member, Ok(opened), &body)
                .await;
            match answer {
                PeerAnswer::Sealed { sealed, .. } => as4.deliver_answer(sealed).await,
                PeerAnswer::Fault(fault) => tracing::error!(
                    fault = fault.code(),
                    partner = %partner.party_id,
                    "the provider could give no signed answer to an AS4 request"
                ),
            }
        });
    }
    signal(reply)
}

fn signal(reply: Reply) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(reply.content_type)
        .body(reply.body)
}
