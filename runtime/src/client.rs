//! An HTTP client for the peer endpoints of other nodes: mutual TLS with this node's TLS
//! certificate, the server verified against the federation root and CRL. Connections are kept
//! alive and reused.

use std::time::Duration;

use std::sync::Arc;

use once_pki::tls::{CertSlot, client_config_with};
use rustls_pki_types::CertificateDer;

use crate::config::ConfigError;
use crate::material::LoadedCrl;

/// Builds a client that authenticates with the certificate `slot` holds at each handshake (so a
/// rotation needs no rebuild) and trusts the federation roots and CRL.
pub fn build(
    roots: Vec<CertificateDer<'static>>,
    crl: &LoadedCrl,
    slot: Arc<CertSlot>,
    timeout: Duration,
) -> Result<reqwest::Client, ConfigError> {
    let tls = client_config_with(roots, vec![crl.der.clone()], slot)
        .map_err(|e| ConfigError::new("tls.cert", e))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .https_only(true)
        .tls_info(true)
        .timeout(timeout)
        .connect_timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| ConfigError::new("tls", format!("cannot build the peer client: {e}")))
}

/// A transport error in words: the innermost cause (e.g. "Connection refused", a TLS alert).
pub fn describe(e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}
