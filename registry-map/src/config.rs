//! The register map's configuration: `map.toml`, with `ONCE_MAP_…` environment overrides.

use std::net::SocketAddr;
use std::path::Path;

use once_pki::MemberId;
use serde::{Deserialize, Serialize};

use once_runtime::config::{
    ConfigError, ListenConfig, ServerConfig, SigningConfig, TlsConfig, read_toml,
    resolve_database_url,
};

const TOP_LEVEL_FIELDS: &[&str] = &[
    "member_id",
    "database_url",
    "api",
    "web",
    "tls",
    "signing",
    "server",
    "stale_after_seconds",
    "telemetry",
];

/// The register map's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    /// The map's member id (it signs discovery answers with this member's signing certificate).
    pub member_id: MemberId,
    /// A SQLite file or a PostgreSQL URL.
    pub database_url: String,
    /// The API for nodes (mutual TLS): publish, discovery, statistics.
    pub api: ListenConfig,
    /// The web page for analysts.
    pub web: WebConfig,
    /// The map's TLS identity and the federation trust anchors.
    pub tls: TlsConfig,
    /// The map's signing identity.
    pub signing: SigningConfig,
    /// Server tuning.
    #[serde(default)]
    pub server: ServerConfig,
    /// A node that has not published for this long is shown as stale, in seconds.
    #[serde(default = "default_stale_after_seconds")]
    pub stale_after_seconds: i64,
    /// OpenTelemetry export of the request spans (optional).
    #[serde(default)]
    pub telemetry: Option<once_runtime::telemetry::TelemetryConfig>,
}

/// The web page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Serve HTTPS with the map's TLS certificate (no client certificate).
    #[serde(default)]
    pub tls: bool,
}

fn default_stale_after_seconds() -> i64 {
    2 * 24 * 3600
}

impl MapConfig {
    /// Reads `path` with `ONCE_MAP_…` overrides and resolves relative paths against its
    /// directory.
    pub fn load(path: &Path) -> Result<MapConfig, ConfigError> {
        let mut config: MapConfig = read_toml(path, "ONCE_MAP_", TOP_LEVEL_FIELDS)?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.tls.resolve_paths(base);
        config.signing.resolve_paths(base);
        resolve_database_url(base, &mut config.database_url)?;
        if config.stale_after_seconds <= 0 {
            return Err(ConfigError::new(
                "stale_after_seconds",
                "must be at least 1",
            ));
        }
        Ok(config)
    }
}

/// The commented `map.toml` that `once map init` writes.
pub fn render_map_toml(member_id: &MemberId, api: SocketAddr, web: SocketAddr) -> String {
    format!(
        r#"# Configuration of the once register map ({member_id}).
# Relative paths are relative to this file. Every field can be overridden by an environment
# variable: ONCE_MAP_<FIELD>, with __ between levels, e.g. ONCE_MAP_WEB__LISTEN=0.0.0.0:9080.

member_id = "{member_id}"
# A SQLite file or a PostgreSQL URL.
database_url = "map.db"
# Nodes that have not published for this long are shown as stale (seconds).
stale_after_seconds = 172800

[api]
# Where nodes publish descriptors and ask for providers, with mutual TLS.
listen = "{api}"

[web]
# The web page for analysts.
listen = "{web}"
tls = false

[tls]
ca = "ca.pem"
crl = "crl.pem"
cert = "tls.pem"
key = "tls.key"
crl_reload_seconds = 10
crl_expired = "refuse"

[signing]
# Discovery answers are signed with this certificate.
cert = "signing.pem"
key = "signing.key"

[server]
workers = 0
shutdown_grace_seconds = 30
pool_size = 8
pool_timeout_ms = 3000
"#
    )
}
