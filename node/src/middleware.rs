//! The application endpoint's authentication of callers.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use once_runtime::listen::ClientCertificateInfo;

use crate::error::ApiError;
use crate::operations::auth;
use crate::state::NodeState;

/// Authenticates the application caller and stores it in the request's extensions. A refusal
/// is answered here, so the request span still logs it and adds the request id.
pub async fn require_app_auth(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<NodeState>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "node state missing",
        ));
    };
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(ToOwned::to_owned);
    let certificate = req.conn_data::<ClientCertificateInfo>().cloned();
    match auth::authenticate(
        state.config.application.auth,
        &state.pool,
        bearer.as_deref(),
        certificate,
    )
    .await
    {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(refusal) => Ok(req
            .into_response(ApiError::from(refusal).error_response())
            .map_into_right_body()),
    }
}
