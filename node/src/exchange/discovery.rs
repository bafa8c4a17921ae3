//! Discovery of providers through the register map, cached: answers are signed by the map and
//! checked, kept for `map.cache_seconds`, refreshed in the background when half that time has
//! passed, and used beyond it while the map cannot be reached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use once_pki::MemberId;
use once_xml::discovery::{DiscoveryOutcome, DiscoveryResponse};
use once_xml::dsig::Placement;

use once_runtime::client::{PeerClient, error_message};
use once_runtime::signed::SignedMessages;

use crate::config::MapClientConfig;

/// Why the map gave no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The map could not be reached (and nothing is cached).
    #[error("the register map at {url} cannot be reached: {detail}")]
    Unreachable {
        /// The map's URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The map's answer is not signed by the map, or malformed.
    #[error("the register map's answer cannot be trusted: {0}")]
    Untrusted(String),
}

#[derive(Debug, Clone)]
struct Cached {
    fetched: Instant,
    answer: Arc<DiscoveryResponse>,
}

/// At most this many answers are cached (places × evidence types asked for).
const MAX_CACHED: usize = 50_000;

/// Largest discovery answer read, in bytes.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// The discovery client of a node: it asks the map over its own mutual-TLS client and checks
/// the map's signature.
#[derive(Debug)]
pub struct Discovery {
    url: String,
    map: MemberId,
    ttl: Duration,
    client: PeerClient,
    signed: SignedMessages,
    timeout: Duration,
    cache: DashMap<(String, String), Cached>,
    /// Keys being refreshed in the background (one refresh per key at a time).
    refreshing: dashmap::DashSet<(String, String)>,
}

impl Discovery {
    /// A client for the configured map, asking over `client` and waiting `timeout` at most.
    pub fn new(
        config: &MapClientConfig,
        client: PeerClient,
        signed: SignedMessages,
        timeout: Duration,
    ) -> Discovery {
        Discovery {
            url: config.url.trim_end_matches('/').to_owned(),
            map: config.member.clone(),
            ttl: Duration::from_secs(config.cache_seconds),
            client,
            signed,
            timeout,
            cache: DashMap::new(),
            refreshing: dashmap::DashSet::new(),
        }
    }

    /// The providers of `evidence_type` for `jurisdiction`, from the cache or the map.
    pub async fn providers(
        self: &Arc<Self>,
        evidence_type: &str,
        jurisdiction: Option<&str>,
    ) -> Result<Arc<DiscoveryResponse>, DiscoveryError> {
        let place = jurisdiction.unwrap_or_default().trim();
        // Only official keys are asked (and cached); anything else would grow the cache.
        let official = matches!(place.len(), 2 | 3 | 5 | 8 | 9 | 12)
            && place.bytes().all(|b| b.is_ascii_digit());
        if !place.is_empty() && !official {
            return Err(DiscoveryError::Untrusted(format!(
                "{place:?} is not an official key (AGS, ARS, district or state key)"
            )));
        }
        let key = (evidence_type.to_owned(), place.to_owned());
        let cached = self.cache.get(&key).map(|c| c.clone());
        if let Some(cached) = &cached {
            let age = cached.fetched.elapsed();
            if age < self.ttl {
                if age > self.ttl / 2 && self.refreshing.insert(key.clone()) {
                    let (this, key) = (self.clone(), key.clone());
                    tokio::spawn(async move {
                        if let Err(e) = this.fetch(&key).await {
                            tracing::warn!(error = %e, "background discovery refresh failed");
                        }
                        this.refreshing.remove(&key);
                    });
                }
                return Ok(cached.answer.clone());
            }
        }
        match self.fetch(&key).await {
            Ok(answer) => Ok(answer),
            Err(e @ DiscoveryError::Unreachable { .. }) => match cached {
                Some(old) => {
                    tracing::warn!(error = %e, age_s = old.fetched.elapsed().as_secs(), "register map unreachable; using the cached answer");
                    Ok(old.answer)
                }
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Asks the map again now (the cache is updated) for the TLS certificate fingerprint that
    /// `member` published. A provider that rotated its certificate publishes the new
    /// fingerprint at once; a requester that sees a certificate other than the cached one asks
    /// here before it refuses the answer.
    pub async fn current_fingerprint(
        &self,
        evidence_type: &str,
        jurisdiction: Option<&str>,
        member: &MemberId,
    ) -> Option<String> {
        let key = (
            evidence_type.to_owned(),
            jurisdiction.unwrap_or_default().trim().to_owned(),
        );
        match self.fetch(&key).await {
            Ok(answer) => match &answer.outcome {
                DiscoveryOutcome::Providers(found) => found
                    .iter()
                    .find(|p| p.member == member.as_str())
                    .map(|p| p.tls_certificate_sha256.clone()),
                _ => None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "the provider's certificate could not be checked again with the register map");
                None
            }
        }
    }

    async fn fetch(
        &self,
        key: &(String, String),
    ) -> Result<Arc<DiscoveryResponse>, DiscoveryError> {
        let unreachable = |detail: String| DiscoveryError::Unreachable {
            url: self.url.clone(),
            detail,
        };
        let mut url = format!(
            "{}/v1/providers?evidence_type={}",
            self.url,
            query_encode(&key.0)
        );
        if !key.1.is_empty() {
            url.push_str(&format!("&jurisdiction={}", query_encode(&key.1)));
        }
        let response = self
            .client
            .current()
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| unreachable(once_runtime::client::describe(&e)))?;
        let status = response.status();
        let body = once_runtime::body::read_response(response, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        if !status.is_success() {
            return Err(unreachable(format!(
                "HTTP {status}: {}",
                error_message(&body)
            )));
        }
        let document = self
            .signed
            .verify(&body, Placement::LastChild, &self.map)
            .map_err(|e| DiscoveryError::Untrusted(e.to_string()))?;
        let answer = DiscoveryResponse::from_element(&document)
            .map_err(|e| DiscoveryError::Untrusted(e.detail))?;
        // Bound to the question and fresh: a signed answer for another place, or an old one
        // replayed, is not taken.
        if answer.evidence_type != key.0
            || answer.jurisdiction.as_deref().unwrap_or_default() != key.1
        {
            return Err(DiscoveryError::Untrusted(
                "the answer is for another evidence type or place".into(),
            ));
        }
        let age = (time::OffsetDateTime::now_utc() - answer.issue_date_time).abs();
        if age > time::Duration::minutes(5) {
            return Err(DiscoveryError::Untrusted(format!(
                "the answer was issued {} s from now; clocks differ or it is replayed",
                age.whole_seconds()
            )));
        }
        let answer = Arc::new(answer);
        if self.cache.len() >= MAX_CACHED {
            self.cache.clear();
        }
        self.cache.insert(
            key.clone(),
            Cached {
                fetched: Instant::now(),
                answer: answer.clone(),
            },
        );
        Ok(answer)
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn query_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
