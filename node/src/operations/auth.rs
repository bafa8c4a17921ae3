//! Who is calling the application endpoint.

use crate::config::ApplicationAuth;
use crate::db::{self, DbError, DbPool, api_keys};
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

/// Why a caller is not let in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credential, or one that is not known.
    #[error("{0}")]
    Refused(&'static str),
    /// The API keys could not be read.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Authenticates a caller by the configured method `auth`: the `Authorization: Bearer` value
/// (an API key looked up in `pool`), or the client certificate of the connection.
pub async fn authenticate(
    auth: ApplicationAuth,
    pool: &DbPool,
    bearer: Option<&str>,
    certificate: Option<ClientCertificateInfo>,
) -> Result<AppCaller, AuthError> {
    match auth {
        ApplicationAuth::ApiKey => {
            let secret = bearer
                .ok_or(AuthError::Refused(
                    "send an API key as Authorization: Bearer <key> (create one with `once node api-key create`)",
                ))?
                .to_owned();
            let key = db::run(pool, move |conn| api_keys::authenticate(conn, &secret))
                .await?
                .ok_or(AuthError::Refused("unknown or revoked API key"))?;
            Ok(AppCaller::ApiKey { name: key.name })
        }
        ApplicationAuth::Mtls => {
            let cert = certificate.ok_or(AuthError::Refused(
                "a client certificate is required on this endpoint",
            ))?;
            Ok(AppCaller::Certificate {
                subject: cert.subject,
                fingerprint: cert.fingerprint,
            })
        }
    }
}
