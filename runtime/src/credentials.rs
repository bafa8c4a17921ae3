//! The certificates and keys in use, replaceable while the server runs: the operator puts new
//! certificate and key files in place (or sends SIGHUP) and every new TLS handshake, signature
//! and checkpoint uses them, while connections already open finish on the old ones. A new set is
//! checked exactly as at start-up; one that fails the checks is refused and the old one stays.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use once_pki::MemberId;
use once_pki::tls::CertSlot;
use once_xml::dsig::Signer;

use crate::config::{ConfigError, SigningConfig, TlsConfig};
use crate::material::Material;

/// Called with the new material after a rotation (e.g. the log's checkpoint signer, publishing
/// the new TLS fingerprint to the register map).
pub type OnRotate = Box<dyn Fn(&Material) + Send + Sync>;

/// The credentials in force.
pub struct Credentials {
    member: MemberId,
    tls: TlsConfig,
    signing: SigningConfig,
    /// Everything loaded from the files, as checked.
    pub material: ArcSwap<Material>,
    /// The TLS certificate and key of the servers and the peer client.
    pub tls_slot: Arc<CertSlot>,
    /// The message and document signer.
    pub signer: Arc<ArcSwap<Signer>>,
    hooks: Mutex<Vec<OnRotate>>,
    seen: Mutex<Vec<Option<SystemTime>>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Credentials from material loaded at start-up.
    pub fn new(
        member: &MemberId,
        tls: &TlsConfig,
        signing: &SigningConfig,
        material: Material,
    ) -> Result<Arc<Credentials>, ConfigError> {
        let tls_slot = CertSlot::new(material.tls_chain.clone(), material.tls_key.clone_key())
            .map_err(|e| ConfigError::new("tls.cert", e))?;
        let signer = Arc::new(ArcSwap::from_pointee(material.message_signer()?));
        let credentials = Credentials {
            member: member.clone(),
            tls: tls.clone(),
            signing: signing.clone(),
            material: ArcSwap::from_pointee(material),
            tls_slot,
            signer,
            hooks: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
        };
        *lock(&credentials.seen) = credentials.modification_times();
        Ok(Arc::new(credentials))
    }

    /// Runs `hook` after every rotation.
    pub fn on_rotate(&self, hook: OnRotate) {
        lock(&self.hooks).push(hook);
    }

    /// The material in force.
    pub fn load(&self) -> Arc<Material> {
        self.material.load_full()
    }

    fn files(&self) -> [&PathBuf; 4] {
        [
            &self.tls.cert,
            &self.tls.key,
            &self.signing.cert,
            &self.signing.key,
        ]
    }

    fn modification_times(&self) -> Vec<Option<SystemTime>> {
        self.files()
            .iter()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect()
    }

    /// Reads the certificate and key files, checks them as at start-up and, if they pass and
    /// differ from the ones in force, puts them in force. Returns whether anything changed.
    pub fn reload(&self) -> Result<bool, ConfigError> {
        *lock(&self.seen) = self.modification_times();
        let (material, _crl) = Material::load(&self.member, &self.tls, &self.signing)?;
        let current = self.material.load();
        let unchanged = material.tls_chain == current.tls_chain
            && material.signing_chain == current.signing_chain;
        if unchanged {
            return Ok(false);
        }
        let signer = material.message_signer()?;
        let chain = material.tls_chain.clone();
        let key = material.tls_key.clone_key();
        // The material first, so whoever sees the new certificate in a handshake also finds it
        // here (health, metrics, /v1/node).
        let material = Arc::new(material);
        self.material.store(material.clone());
        self.signer.store(Arc::new(signer));
        self.tls_slot
            .replace(chain, key)
            .map_err(|e| ConfigError::new("tls.cert", e))?;
        tracing::info!(
            tls.serial = %material.tls_info.serial,
            tls.not_after = %material.tls_info.not_after,
            signing.serial = %material.signing_info.serial,
            signing.not_after = %material.signing_info.not_after,
            "new certificates in force"
        );
        for hook in lock(&self.hooks).iter() {
            hook(&material);
        }
        Ok(true)
    }

    /// [`Credentials::reload`] on the blocking pool (what SIGHUP does).
    pub async fn reload_now(self: &Arc<Self>) -> Result<bool, ConfigError> {
        let credentials = self.clone();
        tokio::task::spawn_blocking(move || credentials.reload())
            .await
            .unwrap_or_else(|e| Err(ConfigError::new("tls", format!("reload task failed: {e}"))))
    }

    /// Looks at the four files every `interval` and reloads when one of them changed. A set that
    /// fails the checks (say, the certificate written before its key) is logged and tried again
    /// when the files change next. Runs until the task is aborted.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        loop {
            tokio::time::sleep(interval).await;
            if self.modification_times() == *lock(&self.seen) {
                continue;
            }
            match self.reload_now().await {
                Ok(_) => {}
                Err(e) => tracing::error!(
                    error = %e,
                    "certificate files changed but cannot be used; the previous ones stay in force"
                ),
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
