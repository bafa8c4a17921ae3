//! `[as4]`: this node as an eDelivery AS4 access point of the EU OOTS, beside the national
//! transport. Its AS4 identity (party id, key and certificate) and the trust store partners'
//! certificates must chain to belong to the eDelivery PKI, not to the federation's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[as4]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct As4Config {
    /// Address of the AS4 endpoint (HTTPS with the node's TLS certificate unless
    /// `tls_certificate` is given; no client certificate: the messages are signed).
    pub listen: SocketAddr,
    /// The URL partners send to, e.g. `https://as4.amt.example:8445/as4`.
    pub public_url: String,
    /// This access point's party id (`eb:PartyId`, type
    /// `urn:oasis:names:tc:ebcore:partyid-type:unregistered:oots`).
    pub party_id: String,
    /// The AS4 signing and decryption key (PKCS#8 PEM), issued in the eDelivery PKI: RSA for
    /// partners on eDelivery AS4 1.15 (what OOTS access points run today), or EC P-256 for the
    /// eDelivery AS4 2.0 EC profile.
    pub key: PathBuf,
    /// Its certificate (PEM).
    pub certificate: PathBuf,
    /// A second key (PKCS#8 PEM) of the other suite than `key`'s, so that partners of both
    /// suites can be served: typically EC P-256 for the eDelivery AS4 2.0 EC profile beside an
    /// RSA `key`.
    #[serde(default)]
    pub ec_key: Option<PathBuf>,
    /// Its certificate (PEM).
    #[serde(default)]
    pub ec_certificate: Option<PathBuf>,
    /// The certificates of the eDelivery PKI (PEM, one or more) a partner's certificate must
    /// chain to before `once as4 partner add` accepts it.
    pub trust_store: PathBuf,
    /// The TLS certificate chain of the AS4 endpoint (PEM), if not the node's own.
    #[serde(default)]
    pub tls_certificate: Option<PathBuf>,
    /// Its key (PEM).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// CA certificates (PEM) the node trusts for partners' HTTPS endpoints, besides the
    /// federation's.
    #[serde(default)]
    pub tls_roots: Option<PathBuf>,
    /// Attempts at delivering one message (reception awareness): a message without a valid
    /// receipt is sent again, with the same MessageId, up to this many times in all.
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    /// The wait before the first retry, in milliseconds; doubled before each further one.
    #[serde(default = "default_retry_ms")]
    pub retry_ms: u64,
    /// How long a received MessageId is remembered for duplicate elimination, in seconds.
    #[serde(default = "default_duplicate_window_seconds")]
    pub duplicate_window_seconds: i64,
}

fn default_attempts() -> u32 {
    3
}
fn default_retry_ms() -> u64 {
    500
}
fn default_duplicate_window_seconds() -> i64 {
    7 * 24 * 3600
}

impl As4Config {
    /// Makes every relative path absolute against `base`.
    pub fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.key, &mut self.certificate, &mut self.trust_store] {
            once_runtime::config::resolve(base, path);
        }
        for path in [
            &mut self.ec_key,
            &mut self.ec_certificate,
            &mut self.tls_certificate,
            &mut self.tls_key,
            &mut self.tls_roots,
        ]
        .into_iter()
        .flatten()
        {
            once_runtime::config::resolve(base, path);
        }
    }

    /// Checks what needs no I/O.
    pub fn check(&self) -> Result<(), ConfigError> {
        if !self.public_url.starts_with("https://") {
            return Err(ConfigError::new(
                "as4.public_url",
                "must be an https:// URL",
            ));
        }
        once_xml::text::check_line("as4.party_id", &self.party_id)
            .map_err(|e| ConfigError::new("as4.party_id", e.to_string()))?;
        if self.party_id.trim().is_empty() || self.party_id.trim() != self.party_id {
            return Err(ConfigError::new(
                "as4.party_id",
                "must be a non-empty identifier without surrounding spaces",
            ));
        }
        if self.ec_key.is_some() != self.ec_certificate.is_some() {
            return Err(ConfigError::new(
                "as4.ec_key",
                "ec_key and ec_certificate go together",
            ));
        }
        if self.tls_certificate.is_some() != self.tls_key.is_some() {
            return Err(ConfigError::new(
                "as4.tls_certificate",
                "tls_certificate and tls_key go together",
            ));
        }
        if self.attempts == 0 || self.attempts > 10 {
            return Err(ConfigError::new("as4.attempts", "must be between 1 and 10"));
        }
        if self.retry_ms == 0 || self.duplicate_window_seconds <= 0 {
            return Err(ConfigError::new(
                "as4",
                "retry_ms and duplicate_window_seconds must be at least 1",
            ));
        }
        Ok(())
    }

    /// The domain of the MessageIds this access point writes (`<random>@<domain>`): the host
    /// of its public URL.
    pub fn message_domain(&self) -> &str {
        let rest = self
            .public_url
            .strip_prefix("https://")
            .unwrap_or(&self.public_url);
        let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            "once.invalid"
        } else {
            host
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> As4Config {
        As4Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            public_url: url.into(),
            party_id: "de-once-ap".into(),
            key: "k".into(),
            certificate: "c".into(),
            ec_key: None,
            ec_certificate: None,
            trust_store: "t".into(),
            tls_certificate: None,
            tls_key: None,
            tls_roots: None,
            attempts: 3,
            retry_ms: 500,
            duplicate_window_seconds: 60,
        }
    }

    #[test]
    fn message_domain_is_the_host_of_the_public_url() {
        assert_eq!(
            config("https://as4.amt.example:8445/as4").message_domain(),
            "as4.amt.example"
        );
        assert_eq!(config("https://[::1]:8445/as4").message_domain(), "::1");
        assert_eq!(config("https://ap.example").message_domain(), "ap.example");
    }

    #[test]
    fn check_names_the_field() {
        let e = config("http://ap.example/as4")
            .check()
            .expect_err("refused");
        assert!(e.to_string().contains("as4.public_url"), "{e}");
        let mut c = config("https://ap.example/as4");
        c.party_id = " x".into();
        assert!(
            c.check()
                .expect_err("refused")
                .to_string()
                .contains("party_id")
        );
        let mut c = config("https://ap.example/as4");
        c.tls_key = Some("k.pem".into());
        assert!(
            c.check()
                .expect_err("refused")
                .to_string()
                .contains("tls_certificate")
        );
        let mut c = config("https://ap.example/as4");
        c.ec_key = Some("ec.pem".into());
        assert!(
            c.check()
                .expect_err("refused")
                .to_string()
                .contains("ec_certificate")
        );
        config("https://ap.example/as4").check().expect("sound");
    }
}
