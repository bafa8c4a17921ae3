//! The HTTP client for other members' endpoints (peer endpoints of nodes, the register map's
//! API): mutual TLS with this server's TLS certificate, the server verified against the
//! federation root and the CRL in force. Connections are kept alive and reused.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use once_pki::tls::{CertSlot, client_config_with};
use rustls_pki_types::CertificateDer;

use crate::config::ConfigError;
use crate::material::LoadedCrl;

/// The client, rebuilt when a new CRL is in force; clones share it.
#[derive(Clone)]
pub struct PeerClient {
    current: Arc<ArcSwap<reqwest::Client>>,
    roots: Vec<CertificateDer<'static>>,
    slot: Arc<CertSlot>,
    timeout: Duration,
}

impl std::fmt::Debug for PeerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl PeerClient {
    /// A client that authenticates with the certificate `slot` holds at each handshake (so a
    /// rotation needs no rebuild), trusts `roots` and checks servers against `crl`.
    pub fn new(
        roots: Vec<CertificateDer<'static>>,
        crl: &LoadedCrl,
        slot: Arc<CertSlot>,
        timeout: Duration,
    ) -> Result<PeerClient, ConfigError> {
        let client = build(roots.clone(), crl, slot.clone(), timeout)?;
        Ok(PeerClient {
            current: Arc::new(ArcSwap::from_pointee(client)),
            roots,
            slot,
            timeout,
        })
    }

    /// The client in force.
    pub fn current(&self) -> Arc<reqwest::Client> {
        self.current.load_full()
    }

    /// Checks servers against `crl` from now on (connections already open finish as they are).
    pub fn rebuild(&self, crl: &LoadedCrl) {
        match build(self.roots.clone(), crl, self.slot.clone(), self.timeout) {
            Ok(client) => self.current.store(Arc::new(client)),
            Err(e) => tracing::error!(error = %e, "peer client not rebuilt with the new CRL"),
        }
    }
}

/// Builds a client that authenticates with the certificate `slot` holds at each handshake and
/// trusts the federation roots and CRL.
fn build(
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

/// The message of an error answer: the JSON envelope's `error.message` when the body is one,
/// else the start of the body as text.
pub fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(ToOwned::to_owned))
        .unwrap_or_else(|| {
            String::from_utf8_lossy(&body[..body.len().min(200)])
                .trim()
                .to_owned()
        })
}
