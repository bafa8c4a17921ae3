//! Every route of the node, in one place.

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::handlers::{app, as4, exchange, peer, preview};
use crate::middleware::require_app_auth;
use once_runtime::middleware::admit;

/// The peer endpoint (mutual TLS, federation members).
pub fn peer(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/identity", web::get().to(peer::identity))
        .service(
            web::resource("/v1/exchange")
                .wrap(from_fn(admit))
                .route(web::post().to(exchange::exchange)),
        );
}

/// The application endpoint (the authority's own services). Health checks are open to the
/// local load balancer; everything under `/v1` needs an API key or a client certificate.
pub fn application(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(64 * 1024)
            .error_handler(exchange::json_error),
    )
    .app_data(
        web::QueryConfig::default()
            .error_handler(|e, _| crate::error::ApiError::BadRequest(format!("query: {e}")).into()),
    )
    .route("/healthz", web::get().to(app::healthz))
    .route("/readyz", web::get().to(app::readyz))
    .service(
        web::resource("/metrics")
            .wrap(from_fn(require_app_auth))
            .route(web::get().to(app::metrics)),
    )
    .service(
        web::scope("/v1")
            .wrap(from_fn(require_app_auth))
            .route("/node", web::get().to(app::node_info))
            .service(
                web::resource("/evidence-requests")
                    .wrap(from_fn(admit))
                    .route(web::post().to(exchange::evidence_request)),
            )
            .route("/transfers", web::get().to(exchange::transfers))
            .route("/preview-mailbox", web::get().to(exchange::preview_mailbox)),
    );
}

/// The preview page (HTTPS without client certificates, for people's browsers).
pub fn preview(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(4096))
        .route("/preview/{id}", web::get().to(preview::page))
        .route("/preview/{id}/code", web::post().to(preview::code))
        .route("/preview/{id}/decision", web::post().to(preview::decision));
}

/// The AS4 endpoint (HTTPS without client certificates: the messages are signed).
pub fn as4(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/as4")
            .wrap(from_fn(admit))
            .route(web::post().to(as4::receive)),
    )
    .route("/healthz", web::get().to(app::healthz));
}
