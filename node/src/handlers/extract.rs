//! Extractors for the identities established before a handler runs.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use once_pki::PeerIdentity;

use crate::error::ApiError;
use crate::operations::auth::AppCaller;

/// The authenticated federation peer of this connection (from its TLS client certificate).
#[derive(Debug, Clone)]
pub struct Peer(pub PeerIdentity);

impl FromRequest for Peer {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The peer endpoint only accepts connections whose certificate passed the verifier,
        // which requires a member id; a missing identity means a misconfigured server.
        ready(
            req.conn_data::<PeerIdentity>()
                .cloned()
                .map(Peer)
                .ok_or(ApiError::Unauthorized(
                    "no authenticated peer on this connection",
                )),
        )
    }
}

/// The authenticated application service (set by the application endpoint's middleware).
#[derive(Debug, Clone)]
pub struct Caller(pub AppCaller);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<AppCaller>()
                .cloned()
                .map(Caller)
                .ok_or(ApiError::Unauthorized("not authenticated")),
        )
    }
}
