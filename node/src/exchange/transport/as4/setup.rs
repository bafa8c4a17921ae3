//! The AS4 transport from `[as4]`: its keys and certificates (one per suite), the partner table, the HTTPS client
//! for partners' endpoints, and the TLS configuration of the AS4 endpoint.

use std::sync::Arc;
use std::time::Duration;

use once_as4::{Credentials, Keyring, Suite};
use once_runtime::config::ConfigError;
use once_runtime::listen::StartError;
use once_xml::multipart::MultipartLimits;
use rustls_pki_types::CertificateDer;

use super::{As4Parts, As4Transport, Partners};
use crate::config::{As4Config, Config};
use crate::db::DbPool;
use crate::exchange::logbook::Logbook;

impl As4Transport {
    /// The transport of a node whose configuration has `[as4]` (and `[oots]`); `None` without.
    pub async fn configured(
        config: &Config,
        federation_roots: &[CertificateDer<'static>],
        pool: &DbPool,
        logbook: Arc<Logbook>,
    ) -> Result<Option<As4Transport>, StartError> {
        let (Some(as4), Some(oots)) = (&config.as4, &config.oots) else {
            return Ok(None);
        };
        let credentials = credentials(as4)?;
        let timeout = Duration::from_millis(config.exchange.request_timeout_ms);
        let max = config.exchange.max_message_bytes;
        Ok(Some(As4Transport::new(As4Parts {
            member: config.member_id.clone(),
            config: as4.clone(),
            oots: oots.clone(),
            credentials,
            partners: Arc::new(Partners::load(pool.clone()).await?),
            logbook,
            pool: pool.clone(),
            client: client(as4, federation_roots, timeout)?,
            limits: once_as4::Limits {
                multipart: MultipartLimits {
                    max_body_bytes: max,
                    max_part_bytes: max,
                    ..MultipartLimits::default()
                },
                max_decompressed_bytes: max,
                ..once_as4::Limits::default()
            },
            timeout_ms: config.exchange.request_timeout_ms,
        })))
    }
}

/// The AS4 keys and certificates of `[as4]`: `key` and, if given, `ec_key` (of the other suite).
pub fn credentials(as4: &As4Config) -> Result<Keyring, ConfigError> {
    let read = |field: &str, path: &std::path::Path| {
        std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(field, format!("{}: {e}", path.display())))
    };
    let pair = |key_field: &str, key: &std::path::Path, cert_field: &str, cert| {
        Credentials::from_pem(&read(key_field, key)?, &read(cert_field, cert)?)
            .map_err(|e| ConfigError::new(key_field, e.to_string()))
    };
    let mut keys = vec![pair(
        "as4.key",
        &as4.key,
        "as4.certificate",
        &as4.certificate,
    )?];
    if let (Some(key), Some(cert)) = (&as4.ec_key, &as4.ec_certificate) {
        let second = pair("as4.ec_key", key, "as4.ec_certificate", cert)?;
        if second.suite() == keys[0].suite() {
            return Err(ConfigError::new(
                "as4.ec_key",
                format!(
                    "is for the suite {} like as4.key; it must be of the other suite ({})",
                    second.suite(),
                    if second.suite() == Suite::Edelivery115 {
                        Suite::Edelivery20Ec.key_kind()
                    } else {
                        Suite::Edelivery115.key_kind()
                    }
                ),
            ));
        }
        keys.push(second);
    }
    Keyring::new(keys).ok_or_else(|| ConfigError::new("as4.key", "no usable key"))
}

/// The HTTPS client for partners' endpoints: the federation's roots and `as4.tls_roots`, no
/// client certificate (the messages are signed).
fn client(
    as4: &As4Config,
    federation_roots: &[CertificateDer<'static>],
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    let mut extra = Vec::new();
    if let Some(path) = &as4.tls_roots {
        extra = once_pki::files::read_certs(path)
            .map_err(|e| ConfigError::new("as4.tls_roots", e.to_string()))?;
    }
    for cert in federation_roots.iter().chain(&extra) {
        roots
            .add(cert.clone())
            .map_err(|e| ConfigError::new("as4.tls_roots", e.to_string()))?;
    }
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .https_only(true)
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| ConfigError::new("as4", format!("cannot build the AS4 client: {e}")))
}

/// The TLS configuration of the AS4 endpoint: `as4.tls_certificate`/`tls_key` if given, else
/// the node's own server certificate (`fallback`); no client certificate is asked for.
pub fn server_tls(
    as4: &As4Config,
    fallback: impl FnOnce() -> Result<rustls::ServerConfig, ConfigError>,
) -> Result<rustls::ServerConfig, ConfigError> {
    let (Some(cert), Some(key)) = (&as4.tls_certificate, &as4.tls_key) else {
        return fallback();
    };
    let chain = once_pki::files::read_certs(cert)
        .map_err(|e| ConfigError::new("as4.tls_certificate", e.to_string()))?;
    let key = once_pki::files::read_key(key)
        .map_err(|e| ConfigError::new("as4.tls_key", e.to_string()))?;
    let mut tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| ConfigError::new("as4.tls_key", e.to_string()))?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}
