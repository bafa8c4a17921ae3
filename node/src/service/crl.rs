//! Loading a new CRL without a restart: on SIGHUP, and when the file changes.

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::config::CrlExpiredPolicy;
use crate::material::LoadedCrl;
use crate::state::NodeState;

/// Why a CRL was not loaded. The CRL in force stays.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrlReloadError {
    /// The file could not be read or parsed.
    #[error("CRL not reloaded, the previous one stays in force: {0}")]
    Read(#[from] once_pki::PkiError),
    /// The new CRL has a lower CRL number than the one in force (a rollback would un-revoke
    /// certificates).
    #[error(
        "CRL not reloaded: its CRL number {new} is lower than that of the CRL in force ({current})"
    )]
    Older {
        /// CRL number of the file.
        new: String,
        /// CRL number of the CRL in force.
        current: String,
    },
}

/// Reads the CRL file and puts it in force for every handshake from now on.
pub fn reload(state: &NodeState) -> Result<Arc<LoadedCrl>, CrlReloadError> {
    let crl = LoadedCrl::read(&state.config.tls.crl)?;
    let current = state.crl.load();
    if let (Some(new), Some(current)) = (&crl.info.number, &current.info.number)
        && new < current
    {
        return Err(CrlReloadError::Older {
            new: new.to_string(),
            current: current.to_string(),
        });
    }
    for verifier in &state.crl_verifiers {
        verifier.reload_crls(vec![crl.der.clone()])?;
    }
    state
        .exchange
        .signer_verifier
        .reload_crls(std::slice::from_ref(&crl.der))?;
    match crate::peer::client::build(
        &state.material,
        &crl,
        Duration::from_millis(state.config.exchange.request_timeout_ms),
    ) {
        Ok(client) => state.exchange.client.store(Arc::new(client)),
        Err(e) => tracing::error!(error = %e, "peer client not rebuilt with the new CRL"),
    }
    let crl = Arc::new(crl);
    state.crl.store(crl.clone());
    warn_if_expired(&crl, state.config.tls.crl_expired);
    tracing::info!(
        crl.revoked_count = crl.info.revoked_serials.len(),
        crl.next_update = ?crl.info.next_update,
        "CRL loaded"
    );
    Ok(crl)
}

/// Logs a warning when the CRL in force is past its nextUpdate.
pub fn warn_if_expired(crl: &LoadedCrl, policy: CrlExpiredPolicy) {
    if crl.is_expired(OffsetDateTime::now_utc()) {
        match policy {
            CrlExpiredPolicy::Refuse => tracing::error!(
                crl.next_update = ?crl.info.next_update,
                "the CRL is past its nextUpdate: every peer is refused until a current CRL is loaded"
            ),
            CrlExpiredPolicy::Warn => tracing::warn!(
                crl.next_update = ?crl.info.next_update,
                "the CRL is past its nextUpdate; still using it (tls.crl_expired = \"warn\")"
            ),
        }
    }
}

/// Watches the CRL file and reloads it when its modification time changes. Runs until the task
/// is aborted.
pub async fn watch(state: Arc<NodeState>) {
    let interval = Duration::from_secs(state.config.tls.crl_reload_seconds);
    loop {
        tokio::time::sleep(interval).await;
        let modified = std::fs::metadata(&state.config.tls.crl)
            .and_then(|m| m.modified())
            .ok();
        if modified.is_some() && modified != state.crl.load().modified {
            let state = state.clone();
            let result = tokio::task::spawn_blocking(move || reload(&state)).await;
            match result {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "CRL file changed"),
                Err(e) => tracing::error!(error = %e, "CRL reload task failed"),
            }
        }
    }
}
