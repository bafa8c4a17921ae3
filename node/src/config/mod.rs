//! The node's configuration: `node.toml`, with `ONCE_…` environment overrides
//! (`ONCE_PEER__LISTEN=0.0.0.0:9443` sets `peer.listen`).
//!
//! Relative paths are resolved against the directory of the configuration file. The
//! configuration is read and checked once, at start-up, and then passed around; there is no
//! global.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use once_pki::MemberId;
pub use once_runtime::config::{
    ConfigError, CrlExpiredPolicy, ListenConfig, ServerConfig, SigningConfig, TlsConfig, read_toml,
};
use once_runtime::credentials::Credentials;
use once_runtime::material::{LoadedCrl, Material};
use serde::{Deserialize, Serialize};
pub use template::render_node_toml;

mod as4;
mod oots;
mod template;

pub use as4::As4Config;
pub use oots::{OotsConfig, OotsEvidenceType, OotsMember, Profile, is_sr};

/// The top-level fields; environment variables naming anything else are not configuration.
const TOP_LEVEL_FIELDS: &[&str] = &[
    "member_id",
    "database_url",
    "peer",
    "application",
    "tls",
    "signing",
    "health",
    "server",
    "name",
    "exchange",
    "preview",
    "providers",
    "map",
    "contact",
    "telemetry",
    "oots",
    "as4",
];

/// The node's configuration.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// This node's member id, e.g. `DE-HB:KOMMUNE:04011000`. Must equal the member id in the
    /// TLS and signing certificates.
    pub member_id: MemberId,
    /// Where the node keeps its data: a SQLite file (`node.db`, `sqlite://node.db`) or a
    /// PostgreSQL URL (`postgres://user:password@host/db`).
    pub database_url: String,
    /// The peer endpoint, where other nodes connect with mutual TLS.
    pub peer: ListenConfig,
    /// The application endpoint, for the authority's own application services.
    #[serde(default)]
    pub application: ApplicationConfig,
    /// The node's TLS identity and the federation trust anchors.
    pub tls: TlsConfig,
    /// The node's message-signing identity.
    pub signing: SigningConfig,
    /// Readiness thresholds.
    #[serde(default)]
    pub health: HealthConfig,
    /// Server tuning.
    #[serde(default)]
    pub server: ServerConfig,
    /// The authority's name, as it appears in messages (defaults to the member id).
    #[serde(default)]
    pub name: Option<String>,
    /// Evidence exchange limits and timeouts.
    #[serde(default)]
    pub exchange: ExchangeConfig,
    /// The preview page where people see their evidence before it is sent (provider side).
    /// Without it, requests asking for a preview are refused with EDM:ERR:0007.
    #[serde(default)]
    pub preview: Option<PreviewConfig>,
    /// Where to send evidence requests (requester side) when the register map does not answer
    /// or is not configured: the providers of each evidence type.
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// The register map: where this node publishes its registers and discovers providers.
    #[serde(default)]
    pub map: Option<MapClientConfig>,
    /// How to reach the authority (e-mail or URL), published with its registers.
    #[serde(default)]
    pub contact: Option<String>,
    /// OpenTelemetry export of the request spans (optional).
    #[serde(default)]
    pub telemetry: Option<once_runtime::telemetry::TelemetryConfig>,
    /// This node as a participant of the EU Once-Only Technical System (needed for exchanges in
    /// the `oots` profile).
    #[serde(default)]
    pub oots: Option<OotsConfig>,
    /// This node as an eDelivery AS4 access point of the EU OOTS (optional; partners are kept
    /// with `once as4 partner …`).
    #[serde(default)]
    pub as4: Option<As4Config>,
}

/// The register map, as a node uses it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapClientConfig {
    /// The map's API, e.g. `https://map.example:9443` (mutual TLS).
    pub url: String,
    /// The map's member id: discovery answers must be signed by it.
    pub member: MemberId,
    /// This node's peer endpoint as other nodes reach it, published in its descriptor, e.g.
    /// `https://melde.bremen.example:8443`.
    pub peer_url: String,
    /// Publish the registers at start-up and after every change.
    #[serde(default = "default_true")]
    pub publish: bool,
    /// How long a discovery answer is used before it is asked again, in seconds; while the map
    /// is unreachable, older answers are used.
    #[serde(default = "default_discovery_cache_seconds")]
    pub cache_seconds: u64,
    /// How often the exchange counts are reported to the map, in seconds (0: never).
    #[serde(default = "default_report_seconds")]
    pub report_seconds: u64,
    /// How often the registers are published again, in seconds, so the map does not show the
    /// node as stale (keep it well below the map's `stale_after_seconds`).
    #[serde(default = "default_report_seconds")]
    pub republish_seconds: u64,
}

fn default_true() -> bool {
    true
}
fn default_discovery_cache_seconds() -> u64 {
    300
}
fn default_report_seconds() -> u64 {
    3600
}

/// Evidence exchange limits and timeouts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeConfig {
    /// A request whose IssueDateTime is further than this from the provider's clock is refused
    /// (replay protection), in seconds.
    #[serde(default = "default_issue_window_seconds")]
    pub issue_window_seconds: i64,
    /// Largest accepted message body (request or response with its evidence), in bytes.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
    /// Deepest element nesting accepted in a message.
    #[serde(default = "default_max_depth")]
    pub max_depth: usize,
    /// How long the requester waits for a provider's answer (connect + TLS + answer), in
    /// milliseconds.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// How often the message-log chain head is signed, in seconds.
    #[serde(default = "default_checkpoint_seconds")]
    pub checkpoint_seconds: u64,
    /// How long a peer may take to send a request body, in milliseconds; a stalled upload is
    /// dropped after this.
    #[serde(default = "default_body_timeout_ms")]
    pub body_timeout_ms: u64,
    /// The profile of the messages this node sends when a provider's entry names none: `de`
    /// (national) or `oots` (the EU's rules; needs `[oots]`).
    #[serde(default)]
    pub profile: Profile,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        ExchangeConfig {
            issue_window_seconds: default_issue_window_seconds(),
            max_message_bytes: default_max_message_bytes(),
            max_depth: default_max_depth(),
            request_timeout_ms: default_request_timeout_ms(),
            checkpoint_seconds: default_checkpoint_seconds(),
            body_timeout_ms: default_body_timeout_ms(),
            profile: Profile::default(),
        }
    }
}

fn default_issue_window_seconds() -> i64 {
    300
}
fn default_max_message_bytes() -> usize {
    4 * 1024 * 1024
}
fn default_max_depth() -> usize {
    32
}
fn default_request_timeout_ms() -> u64 {
    10_000
}
fn default_checkpoint_seconds() -> u64 {
    60
}
fn default_body_timeout_ms() -> u64 {
    10_000
}

/// The preview page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewConfig {
    /// Address of the preview page (HTTPS with the node's TLS certificate, no client
    /// certificate).
    pub listen: SocketAddr,
    /// The URL people's browsers use to reach it, e.g. `https://preview.amt.example`; the
    /// PreviewLocation sent to requesters starts with it.
    pub public_url: String,
    /// How long a preview can be completed, in seconds.
    #[serde(default = "default_preview_ttl_seconds")]
    pub ttl_seconds: i64,
    /// Wrong one-time codes allowed before the preview is locked.
    #[serde(default = "default_preview_attempts")]
    pub max_attempts: i32,
    /// Keep one-time codes in a simulated mailbox readable at `GET /v1/preview-mailbox` on the
    /// application endpoint (demo and tests only: any application caller can read every code).
    /// The node has no gateway that sends codes to people yet (e-mail, letter, eID); without this
    /// setting a code is generated and stored hashed, but reaches nobody.
    #[serde(default)]
    pub simulated_mailbox: bool,
}

fn default_preview_ttl_seconds() -> i64 {
    900
}
fn default_preview_attempts() -> i32 {
    5
}

/// A provider of evidence, for the requester side.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Its member id; the TLS and signing certificates of its answers must name it.
    pub member: MemberId,
    /// Its name, for people.
    #[serde(default)]
    pub name: Option<String>,
    /// Its peer endpoint, e.g. `https://melde.bremen.example:8443`.
    pub url: String,
    /// The evidence types it provides.
    pub evidence_types: Vec<String>,
    /// The areas it serves (official keys, AGS/ARS or prefixes such as a state's 2 digits);
    /// empty: everywhere.
    #[serde(default)]
    pub jurisdictions: Vec<String>,
    /// The SHA-256 fingerprint its TLS certificate must have (lowercase hex), if pinned;
    /// providers found through the register map are pinned to what they published.
    #[serde(default)]
    pub tls_fingerprint: Option<String>,
    /// The profile of the messages to this provider; `exchange.profile` when not given.
    #[serde(default)]
    pub profile: Option<Profile>,
}

/// How application services authenticate at the application endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationAuth {
    /// `Authorization: Bearer <key>`; keys are created with `once node api-key create` and
    /// stored hashed.
    #[default]
    ApiKey,
    /// A client certificate issued by `application.client_ca` (requires `application.tls`).
    Mtls,
}

/// The application endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationConfig {
    /// Address to listen on; loopback by default so only this host's services reach it.
    #[serde(default = "default_app_listen")]
    pub listen: SocketAddr,
    /// How callers authenticate.
    #[serde(default)]
    pub auth: ApplicationAuth,
    /// Serve the application endpoint over TLS with the node's TLS certificate.
    #[serde(default)]
    pub tls: bool,
    /// With `auth = "mtls"`: the CA whose certificates application clients present. Defaults to
    /// the federation root (`tls.ca`).
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

impl Default for ApplicationConfig {
    fn default() -> Self {
        ApplicationConfig {
            listen: default_app_listen(),
            auth: ApplicationAuth::default(),
            tls: false,
            client_ca: None,
        }
    }
}

fn default_app_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

/// Readiness thresholds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// `/readyz` fails when a certificate of this node expires within this many days.
    #[serde(default = "default_min_certificate_days")]
    pub min_certificate_days: i64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            min_certificate_days: default_min_certificate_days(),
        }
    }
}

fn default_min_certificate_days() -> i64 {
    14
}

impl Config {
    /// Reads `path`, applies `ONCE_…` environment overrides, resolves relative paths against the
    /// file's directory and checks the values that need no I/O.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let config: Config = read_toml(path, "ONCE_", TOP_LEVEL_FIELDS)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let config = config.resolve_paths(base);
        config.check()?;
        Ok(config)
    }

    /// Makes every relative path absolute against `base`.
    pub fn resolve_paths(mut self, base: &Path) -> Config {
        self.tls.resolve_paths(base);
        self.signing.resolve_paths(base);
        if let Some(ca) = self.application.client_ca.as_mut() {
            once_runtime::config::resolve(base, ca);
        }
        if let Some(as4) = self.as4.as_mut() {
            as4.resolve_paths(base);
        }
        // A wrong URL is reported by `check`.
        let _ = once_runtime::config::resolve_database_url(base, &mut self.database_url);
        self
    }

    /// Checks what can be checked without touching files or the network.
    pub fn check(&self) -> Result<(), ConfigError> {
        crate::db::DatabaseUrl::parse(&self.database_url)
            .map_err(|e| ConfigError::new("database_url", e))?;
        self.check_texts()?;
        self.check_oots()?;
        if let Some(as4) = &self.as4 {
            as4.check()?;
            if self.oots.is_none() {
                return Err(ConfigError::new(
                    "as4",
                    "an AS4 access point speaks OOTS: configure [oots] too",
                ));
            }
            let taken = [
                Some(self.peer.listen),
                Some(self.application.listen),
                self.preview.as_ref().map(|p| p.listen),
            ];
            if as4.listen.port() != 0 && taken.contains(&Some(as4.listen)) {
                return Err(ConfigError::new(
                    "as4.listen",
                    "must differ from the other endpoints",
                ));
            }
        }
        if self.application.auth == ApplicationAuth::Mtls && !self.application.tls {
            return Err(ConfigError::new(
                "application.auth",
                "\"mtls\" needs application.tls = true",
            ));
        }
        if self.peer.listen == self.application.listen && self.peer.listen.port() != 0 {
            return Err(ConfigError::new(
                "application.listen",
                "must differ from peer.listen",
            ));
        }
        if self.server.pool_size == 0 {
            return Err(ConfigError::new("server.pool_size", "must be at least 1"));
        }
        if self.server.max_in_flight == 0 {
            return Err(ConfigError::new(
                "server.max_in_flight",
                "must be at least 1",
            ));
        }
        if self.exchange.issue_window_seconds <= 0 {
            return Err(ConfigError::new(
                "exchange.issue_window_seconds",
                "must be at least 1",
            ));
        }
        if self.exchange.max_message_bytes < 4096 {
            return Err(ConfigError::new(
                "exchange.max_message_bytes",
                "must be at least 4096",
            ));
        }
        if self.exchange.request_timeout_ms == 0
            || self.exchange.checkpoint_seconds == 0
            || self.exchange.body_timeout_ms == 0
        {
            return Err(ConfigError::new(
                "exchange",
                "request_timeout_ms, checkpoint_seconds and body_timeout_ms must be at least 1",
            ));
        }
        if let Some(preview) = &self.preview {
            if !(preview.public_url.starts_with("https://")
                || preview.public_url.starts_with("http://"))
            {
                return Err(ConfigError::new(
                    "preview.public_url",
                    "must be an http(s):// URL",
                ));
            }
            if preview.ttl_seconds <= 0 || preview.max_attempts <= 0 {
                return Err(ConfigError::new(
                    "preview",
                    "ttl_seconds and max_attempts must be at least 1",
                ));
            }
        }
        if let Some(map) = &self.map {
            for (field, url) in [("map.url", &map.url), ("map.peer_url", &map.peer_url)] {
                if !url.starts_with("https://") {
                    return Err(ConfigError::new(field, "must be an https:// URL"));
                }
            }
            if map.cache_seconds == 0 || map.republish_seconds == 0 {
                return Err(ConfigError::new(
                    "map",
                    "cache_seconds and republish_seconds must be at least 1",
                ));
            }
        }
        for (i, provider) in self.providers.iter().enumerate() {
            if !provider.url.starts_with("https://") {
                return Err(ConfigError::new(
                    format!("providers[{i}].url"),
                    "must be an https:// URL (peers talk mutual TLS)",
                ));
            }
            if provider.evidence_types.is_empty() {
                return Err(ConfigError::new(
                    format!("providers[{i}].evidence_types"),
                    "must name at least one evidence type",
                ));
            }
        }
        if self.tls.crl_reload_seconds == 0 {
            return Err(ConfigError::new(
                "tls.crl_reload_seconds",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The texts that go into messages and descriptors (this authority's name and contact, the
    /// names of known providers) are single lines of XML characters.
    fn check_texts(&self) -> Result<(), ConfigError> {
        let text = |field: String, value: Option<&String>| match value {
            Some(value) => once_xml::text::check_line(&field, value)
                .map_err(|e| ConfigError::new(field.clone(), e.to_string())),
            None => Ok(()),
        };
        text("name".into(), self.name.as_ref())?;
        text("contact".into(), self.contact.as_ref())?;
        for (i, provider) in self.providers.iter().enumerate() {
            text(format!("providers[{i}].name"), provider.name.as_ref())?;
        }
        Ok(())
    }

    /// `[oots]` is sound, and present where an exchange is to speak the `oots` profile.
    fn check_oots(&self) -> Result<(), ConfigError> {
        if let Some(oots) = &self.oots {
            let known: Vec<&str> = once_xml::evidence::EvidenceKind::ALL
                .iter()
                .map(|k| k.classification())
                .collect();
            oots.check(&known)?;
            return Ok(());
        }
        let wants_oots = self.exchange.profile == Profile::Oots
            || self
                .providers
                .iter()
                .any(|p| p.profile == Some(Profile::Oots));
        if wants_oots {
            return Err(ConfigError::new(
                "oots",
                "the oots profile is configured (exchange.profile or a provider's profile) but there is no [oots] section naming this authority's OOTS agent",
            ));
        }
        Ok(())
    }

    /// The profile of requests to `provider`.
    pub fn profile_for(&self, provider: &ProviderConfig) -> Profile {
        provider.profile.unwrap_or(self.exchange.profile)
    }

    /// Loads and cross-checks the certificates, keys, CA and CRL this configuration names.
    pub fn load_material(&self) -> Result<(Material, LoadedCrl), ConfigError> {
        Material::load(&self.member_id, &self.tls, &self.signing)
    }

    /// [`Config::load_material`], held as the credentials in force.
    pub fn load_credentials(
        &self,
    ) -> Result<(std::sync::Arc<Credentials>, LoadedCrl), ConfigError> {
        let (material, crl) = self.load_material()?;
        let credentials = Credentials::new(&self.member_id, &self.tls, &self.signing, material)?;
        Ok((credentials, crl))
    }

    /// The name of this authority in messages.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(self.member_id.as_str())
    }

    /// The application client CA: `application.client_ca`, or the federation root.
    pub fn application_client_ca(&self) -> &Path {
        self.application
            .client_ca
            .as_deref()
            .unwrap_or(&self.tls.ca)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("member_id", &self.member_id)
            .field(
                "database_url",
                &crate::db::mask_password(&self.database_url),
            )
            .field("peer", &self.peer)
            .field("application", &self.application)
            .field("tls", &self.tls)
            .field("signing", &self.signing)
            .field("health", &self.health)
            .field("server", &self.server)
            .field("name", &self.name)
            .field("exchange", &self.exchange)
            .field("preview", &self.preview)
            .field("providers", &self.providers)
            .field("map", &self.map)
            .field("contact", &self.contact)
            .field("telemetry", &self.telemetry)
            .field("oots", &self.oots)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("node.toml");
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn the_rendered_file_loads_and_resolves_paths() {
        let dir = tempfile::tempdir().expect("dir");
        let member: MemberId = "DE:BUND:bva".parse().expect("id");
        let text = render_node_toml(
            &member,
            "127.0.0.1:0".parse().expect("addr"),
            "127.0.0.1:8080".parse().expect("addr"),
            "node.db",
        );
        let config = Config::load(&write(dir.path(), &text)).expect("load");
        assert_eq!(config.member_id, member);
        assert_eq!(config.tls.cert, dir.path().join("tls.pem"));
        assert_eq!(
            config.database_url,
            dir.path().join("node.db").display().to_string()
        );
        assert_eq!(config.application.auth, ApplicationAuth::ApiKey);
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let dir = tempfile::tempdir().expect("dir");
        let member: MemberId = "DE:BUND:bva".parse().expect("id");
        let good = render_node_toml(
            &member,
            "127.0.0.1:8443".parse().expect("addr"),
            "127.0.0.1:8080".parse().expect("addr"),
            "node.db",
        );
        let bad_member = good.replace("member_id = \"DE:BUND:bva\"", "member_id = \"DE:bund\"");
        let err = Config::load(&write(dir.path(), &bad_member)).unwrap_err();
        assert_eq!(err.field, "member_id");
        assert!(err.message.contains("three parts"), "{err}");

        let unknown = good.replace("[peer]", "[peer]\nlisten_twice = 1");
        let err = Config::load(&write(dir.path(), &unknown)).unwrap_err();
        assert!(err.message.contains("listen_twice"), "{err}");

        let bad_addr = good.replace("listen = \"127.0.0.1:8443\"", "listen = \"nowhere\"");
        let err = Config::load(&write(dir.path(), &bad_addr)).unwrap_err();
        assert_eq!(err.field, "peer.listen", "{err}");

        let mtls_without_tls = good.replace("auth = \"api_key\"", "auth = \"mtls\"");
        let err = Config::load(&write(dir.path(), &mtls_without_tls)).unwrap_err();
        assert_eq!(err.field, "application.auth");

        let err = Config::load(&dir.path().join("missing.toml")).unwrap_err();
        assert!(err.message.contains("cannot read"), "{err}");
    }

    #[test]
    fn debug_output_masks_the_database_password() {
        let dir = tempfile::tempdir().expect("dir");
        let member: MemberId = "DE:BUND:bva".parse().expect("id");
        let text = render_node_toml(
            &member,
            "127.0.0.1:8443".parse().expect("addr"),
            "127.0.0.1:8080".parse().expect("addr"),
            "postgres://once:s3cret@db.example/once",
        );
        let config = Config::load(&write(dir.path(), &text)).expect("load");
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(
            debug.contains("postgres://once:***@db.example/once"),
            "{debug}"
        );
    }
}
