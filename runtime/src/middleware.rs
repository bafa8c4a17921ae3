//! Middleware every service shares: a tracing span per request with metrics and the server
//! span, and admission control for endpoints that must shed load.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};
use once_pki::PeerIdentity;
use tracing::Instrument;

use crate::metrics::HttpMetrics;
use crate::telemetry::{ServerSpan, Span, SpanKind, TRACEPARENT, TraceContext};

/// The response header that carries the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Opens the request's root span (request id, trace id, peer member id, method, path), logs the
/// outcome once, counts it in the metrics, exports its server span if telemetry is configured,
/// and returns the request id in `x-request-id`. The trace continues the caller's
/// `traceparent` if it sent a valid one.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = uuid::Uuid::now_v7().to_string();
    let peer = req
        .conn_data::<PeerIdentity>()
        .map(|p| p.member_id.to_string())
        .unwrap_or_default();
    let parent = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(TraceContext::parse);
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let tracer = metrics.as_ref().and_then(|m| m.tracer.as_deref());
    // Named once the route is known.
    let mut server_span = Span::start(tracer, SpanKind::Server, "request", parent);
    let trace = server_span.context();
    req.extensions_mut().insert(ServerSpan(trace));
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request.id = %request_id,
        trace.id = %trace.trace_id_hex(),
        peer.member_id = %peer,
        http.method = %req.method(),
        http.path = %req.path(),
    );
    async move {
        let started = Instant::now();
        let result = next.call(req).await;
        let elapsed = started.elapsed();
        let elapsed_us = elapsed.as_micros() as u64;
        let status = match &result {
            Ok(response) => response.status().as_u16(),
            Err(error) => error.as_response_error().status_code().as_u16(),
        };
        if let Some(metrics) = &metrics {
            // The route pattern, not the path: `/preview/{id}` is one series, not one per id.
            let route = match &result {
                Ok(response) => response.request().match_pattern(),
                Err(_) => None,
            };
            let route = route.unwrap_or_else(|| "unmatched".to_owned());
            if server_span.is_recorded() {
                server_span.rename(format!("{method} {route}"));
                server_span.set_attribute("http.request.method", method.to_string());
                server_span.set_attribute("http.route", route.clone());
                server_span.set_attribute("http.response.status_code", status.to_string());
                server_span.set_attribute("once.endpoint", metrics.endpoint);
                if !peer.is_empty() {
                    server_span.set_attribute("once.peer.member_id", peer.clone());
                }
            }
            metrics.record(route, status, elapsed);
        }
        server_span.end(status >= 500);
        let shed = matches!(&result, Ok(r) if r.response().extensions().get::<Shed>().is_some());
        if shed {
            tracing::debug!(http.status = status, "request shed: too many in progress");
        } else if status >= 500 {
            tracing::error!(
                http.status = status,
                duration_us = elapsed_us,
                "request failed"
            );
        } else {
            tracing::info!(http.status = status, duration_us = elapsed_us, "request");
        }
        let mut response = result?;
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(REQUEST_ID_HEADER, value);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// Marks a response refused by [`admit`].
#[derive(Debug, Clone, Copy)]
struct Shed;

/// How many exchanges may be in progress at once on one endpoint.
#[derive(Debug, Clone)]
pub struct Admission {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    limit: usize,
}

impl Admission {
    /// A limit of `limit` requests in progress.
    pub fn new(limit: usize) -> web::Data<Admission> {
        web::Data::new(Admission {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(limit)),
            limit,
        })
    }
}

/// Admits a request if fewer than `server.max_in_flight` are in progress on its endpoint;
/// otherwise answers 503 with `Retry-After: 1` at once, so that overload gives fast refusals
/// and bounded queues, not growing latency for everyone.
pub async fn admit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(admission) = req.app_data::<web::Data<Admission>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let Ok(_permit) = admission.permits.clone().try_acquire_owned() else {
        if let Some(metrics) = req.app_data::<web::Data<HttpMetrics>>() {
            metrics.shed();
        }
        let mut response = crate::error::json(
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!(
                "the server is at its limit of {} exchanges in progress; try again shortly",
                admission.limit
            ),
        );
        // Shed requests are counted, not logged one by one: under overload a line per refusal
        // would cost what the refusal saves.
        response.extensions_mut().insert(Shed);
        if let Ok(value) = HeaderValue::from_str("1") {
            response
                .headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, value);
        }
        return Ok(req.into_response(response).map_into_right_body());
    };
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
