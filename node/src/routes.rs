//! Every route of the node, in one place.

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::handlers::{app, peer};
use crate::middleware::require_app_auth;

/// The peer endpoint (mutual TLS, federation members).
pub fn peer(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/identity", web::get().to(peer::identity));
}

/// The application endpoint (the authority's own services). Health checks are open to the
/// local load balancer; everything under `/v1` needs an API key or a client certificate.
pub fn application(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(app::healthz))
        .route("/readyz", web::get().to(app::readyz))
        .service(
            web::scope("/v1")
                .wrap(from_fn(require_app_auth))
                .route("/node", web::get().to(app::node_info)),
        );
}
