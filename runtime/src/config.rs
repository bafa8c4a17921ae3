//! What every service's configuration shares: the error that names a field, the TOML reader with
//! environment overrides, the TLS and signing identity, listeners and server tuning.
//!
//! Each service (node, register map) has its own typed configuration built from these parts; it
//! is read and checked once at start-up and then passed around, never read from a global.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

/// A configuration problem: which field, and what is wrong with it. Start-up stops with this
/// one line and exit code 64.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration: {field}: {message}")]
pub struct ConfigError {
    /// The field, dotted (`tls.cert`), or the file when the file itself is the problem.
    pub field: String,
    /// What is wrong, in words an operator can act on.
    pub message: String,
}

impl ConfigError {
    /// A problem with one field.
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        ConfigError {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// An endpoint: where it listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenConfig {
    /// Address to listen on, e.g. `0.0.0.0:8443`.
    pub listen: SocketAddr,
}

/// What to do when the CRL is past its nextUpdate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CrlExpiredPolicy {
    /// Refuse every peer until a current CRL is loaded (safe default).
    #[default]
    Refuse,
    /// Keep using the old CRL, report not-ready and log a warning.
    Warn,
}

/// TLS identity and trust anchors.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The federation root certificate (PEM).
    pub ca: PathBuf,
    /// The federation CRL (PEM); reloaded when the file changes or on SIGHUP.
    pub crl: PathBuf,
    /// This node's TLS certificate (PEM), issued by the federation CA.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// How often to look for a changed CRL file, in seconds.
    #[serde(default = "default_crl_reload_seconds")]
    pub crl_reload_seconds: u64,
    /// What to do with a CRL past its nextUpdate.
    #[serde(default)]
    pub crl_expired: CrlExpiredPolicy,
}

fn default_crl_reload_seconds() -> u64 {
    10
}

/// Message-signing identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// This node's signing certificate (PEM), issued by the federation CA.
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
}

/// Server tuning.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Worker threads per endpoint; 0 means one per CPU core.
    #[serde(default)]
    pub workers: usize,
    /// On shutdown, how long in-flight requests may take to finish, in seconds.
    #[serde(default = "default_grace_seconds")]
    pub shutdown_grace_seconds: u64,
    /// Database connections in the pool.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// How long a request waits for a database connection before it gets a 503, in
    /// milliseconds.
    #[serde(default = "default_pool_timeout_ms")]
    pub pool_timeout_ms: u64,
    /// Evidence exchanges in progress at once (peer endpoint and evidence requests of the
    /// application endpoint, each); more are answered at once with 503 and `Retry-After`
    /// instead of queueing without bound. At least 1.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
}

fn default_max_in_flight() -> usize {
    256
}

impl ServerConfig {
    /// Opens the service's database pool of `pool_size` connections on the blocking pool and
    /// runs its pending `migrations`; an unreachable database fails here, at start-up.
    pub async fn open_pool(
        &self,
        url: &str,
        migrations: &'static once_store::Migrations,
    ) -> Result<once_store::DbPool, once_store::DbError> {
        let timeout = std::time::Duration::from_millis(self.pool_timeout_ms);
        let (url, size) = (url.to_owned(), self.pool_size);
        tokio::task::spawn_blocking(move || once_store::open(&url, size, timeout, migrations))
            .await
            .map_err(|e| once_store::DbError::Task(e.to_string()))?
    }

    /// Worker threads per endpoint: `workers`, or one per CPU core when it is 0.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            workers: 0,
            shutdown_grace_seconds: default_grace_seconds(),
            pool_size: default_pool_size(),
            max_in_flight: default_max_in_flight(),
            pool_timeout_ms: default_pool_timeout_ms(),
        }
    }
}

fn default_grace_seconds() -> u64 {
    30
}
fn default_pool_size() -> u32 {
    8
}
fn default_pool_timeout_ms() -> u64 {
    3000
}

/// Reads a TOML configuration file with environment overrides: variables starting with `prefix`,
/// `__` between levels, for the top-level `fields` only (compared case-insensitively).
pub fn read_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    prefix: &'static str,
    fields: &'static [&'static str],
) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(path.display().to_string(), format!("cannot read: {e}")))?;
    let env = Env::prefixed(prefix).split("__").filter(move |key| {
        let top = key.as_str().split('.').next().unwrap_or_default();
        fields.iter().any(|f| f.eq_ignore_ascii_case(top))
    });
    Figment::new()
        .merge(Toml::string(&text))
        .merge(env)
        .extract()
        .map_err(|e| figment_error(path, prefix, e))
}

fn figment_error(path: &Path, prefix: &str, error: figment::Error) -> ConfigError {
    let field = if error.path.is_empty() {
        path.display().to_string()
    } else {
        error.path.join(".")
    };
    let mut message = error.kind.to_string();
    // Say where the value came from: the file, or which environment variable.
    if let Some(metadata) = error.metadata.as_ref() {
        if metadata.name.contains("environment") {
            let variable = format!("{prefix}{}", error.path.join("__").to_uppercase());
            message.push_str(&format!(" (from the environment variable {variable})"));
        } else {
            message.push_str(&format!(" (in {})", path.display()));
        }
    }
    ConfigError::new(field, message)
}

/// Makes `path` absolute against `base` if it is relative.
pub fn resolve(base: &Path, path: &mut PathBuf) {
    if path.is_relative() {
        *path = base.join(&*path);
    }
}

impl TlsConfig {
    /// Makes every path absolute against `base` (the configuration file's directory).
    pub fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.ca, &mut self.crl, &mut self.cert, &mut self.key] {
            resolve(base, path);
        }
    }
}

impl SigningConfig {
    /// Makes every path absolute against `base` (the configuration file's directory).
    pub fn resolve_paths(&mut self, base: &Path) {
        resolve(base, &mut self.cert);
        resolve(base, &mut self.key);
    }
}

/// A SQLite file named relative to the configuration file, made absolute against `base`;
/// PostgreSQL URLs are left alone. An unreadable URL is an error naming `database_url`.
pub fn resolve_database_url(base: &Path, url: &mut String) -> Result<(), ConfigError> {
    match once_store::DatabaseUrl::parse(url).map_err(|e| ConfigError::new("database_url", e))? {
        once_store::DatabaseUrl::Sqlite(file) if file.is_relative() => {
            *url = base.join(file).display().to_string();
        }
        _ => {}
    }
    Ok(())
}
