//! Loading a new CRL without a restart: on SIGHUP, and when the file changes. One [`CrlState`]
//! per server (node or map) holds the CRL in force and everything that checks against it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use once_pki::signing::SignerVerifier;
use once_pki::tls::PeerVerifier;
use time::OffsetDateTime;

use crate::config::CrlExpiredPolicy;
use crate::material::LoadedCrl;

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

/// Something else to refresh when a new CRL is in force (e.g. the node's peer client).
pub type OnReload = Box<dyn Fn(&LoadedCrl) + Send + Sync>;

/// The CRL in force and what checks against it.
pub struct CrlState {
    /// The CRL file.
    pub path: PathBuf,
    /// What to do when it is past its nextUpdate.
    pub policy: CrlExpiredPolicy,
    /// How often to look at the file.
    pub interval: Duration,
    /// The CRL in force.
    pub current: ArcSwap<LoadedCrl>,
    /// TLS client-certificate verifiers, named by the endpoint they guard.
    pub tls_verifiers: Vec<(&'static str, Arc<PeerVerifier>)>,
    /// Message-signer verifiers.
    pub signer_verifiers: Vec<Arc<SignerVerifier>>,
    /// Called after a new CRL is in force.
    pub on_reload: Option<OnReload>,
}

impl std::fmt::Debug for CrlState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrlState")
            .field("path", &self.path)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl CrlState {
    /// The CRL in force.
    pub fn load(&self) -> Arc<LoadedCrl> {
        self.current.load_full()
    }

    /// Reads the CRL file and puts it in force for every handshake and signature check from now
    /// on.
    pub fn reload(&self) -> Result<Arc<LoadedCrl>, CrlReloadError> {
        let crl = LoadedCrl::read(&self.path)?;
        let current = self.current.load();
        if let (Some(new), Some(current)) = (&crl.info.number, &current.info.number)
            && new < current
        {
            return Err(CrlReloadError::Older {
                new: new.to_string(),
                current: current.to_string(),
            });
        }
        for (_, verifier) in &self.tls_verifiers {
            verifier.reload_crls(vec![crl.der.clone()])?;
        }
        for verifier in &self.signer_verifiers {
            verifier.reload_crls(std::slice::from_ref(&crl.der))?;
        }
        let crl = Arc::new(crl);
        self.current.store(crl.clone());
        if let Some(refresh) = &self.on_reload {
            refresh(&crl);
        }
        warn_if_expired(&crl, self.policy);
        tracing::info!(
            crl.revoked_count = crl.info.revoked_serials.len(),
            crl.next_update = ?crl.info.next_update,
            "CRL loaded"
        );
        Ok(crl)
    }

    /// Reloads on the blocking pool (what SIGHUP does).
    pub async fn reload_now(self: &Arc<Self>) -> Result<(), CrlReloadError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.reload().map(|_| ()))
            .await
            .unwrap_or_else(|e| {
                Err(CrlReloadError::Read(once_pki::PkiError::Tls(format!(
                    "reload task failed: {e}"
                ))))
            })
    }

    /// Watches the CRL file and reloads it when its modification time changes. Runs until the
    /// task is aborted.
    pub async fn watch(self: Arc<Self>) {
        loop {
            tokio::time::sleep(self.interval).await;
            let modified = std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .ok();
            if modified.is_some() && modified != self.current.load().modified {
                let state = self.clone();
                let result = tokio::task::spawn_blocking(move || state.reload()).await;
                match result {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "CRL file changed"),
                    Err(e) => tracing::error!(error = %e, "CRL reload task failed"),
                }
            }
        }
    }
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
