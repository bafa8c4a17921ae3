//! Who is calling the application endpoint.

use crate::config::ApplicationAuth;
use crate::db::{self, api_keys};
use crate::error::ApiError;
use crate::state::NodeState;
use once_runtime::listen::ClientCertificateInfo;

/// An authenticated application service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCaller {
    /// Authenticated by the API key with this name.
    ApiKey {
        /// The key's name.
        name: String,
    },
    /// Authenticated by a client certificate.
    Certificate {
        /// Its subject.
        subject: String,
        /// Its SHA-256 fingerprint.
        fingerprint: String,
    },
}

/// Authenticates a caller by the configured method: the `Authorization: Bearer` value, or the
/// client certificate of the connection.
pub async fn authenticate(
    state: &NodeState,
    bearer: Option<&str>,
    certificate: Option<ClientCertificateInfo>,
) -> Result<AppCaller, ApiError> {
    match state.config.application.auth {
        ApplicationAuth::ApiKey => {
            let secret = bearer
                .ok_or(ApiError::Unauthorized(
                    "send an API key as Authorization: Bearer <key> (create one with `once node api-key create`)",
                ))?
                .to_owned();
            let key = db::run(&state.pool, move |conn| {
                api_keys::authenticate(conn, &secret)
            })
            .await?
            .ok_or(ApiError::Unauthorized("unknown or revoked API key"))?;
            Ok(AppCaller::ApiKey { name: key.name })
        }
        ApplicationAuth::Mtls => {
            let cert = certificate.ok_or(ApiError::Unauthorized(
                "a client certificate is required on this endpoint",
            ))?;
            Ok(AppCaller::Certificate {
                subject: cert.subject,
                fingerprint: cert.fingerprint,
            })
        }
    }
}
