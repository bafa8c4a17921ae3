//! An HTTP client for the peer endpoints of other nodes: mutual TLS with this node's TLS
//! certificate, the server verified against the federation root and CRL.

use std::time::Duration;

use once_pki::tls::client_config;

use crate::config::ConfigError;
use crate::state::NodeState;

/// Builds a client that authenticates as this node.
pub fn build(state: &NodeState, timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    let crl = state.crl.load();
    let tls = client_config(
        state.material.ca_certs.clone(),
        vec![crl.der.clone()],
        state.material.tls_chain.clone(),
        state.material.tls_key.clone_key(),
    )
    .map_err(|e| ConfigError::new("tls.cert", e))?;
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .https_only(true)
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| ConfigError::new("tls", format!("cannot build the peer client: {e}")))
}
