//! What the request handlers of a node can reach: its parts, each built once at start-up.

use std::sync::Arc;

use once_runtime::client::PeerClient;
use once_runtime::credentials::Credentials;
use once_runtime::crl::CrlState;
use once_runtime::metrics::Metrics;
use once_runtime::signed::SignedMessages;
use once_runtime::telemetry::Tracer;

use crate::config::Config;
use crate::db::DbPool;
use crate::exchange::logbook::Logbook;
use crate::exchange::preview::PreviewPage;
use crate::exchange::provider::Provider;
use crate::exchange::requester::Requester;
use crate::exchange::transport::as4::As4Transport;
use crate::exchange::transport::mtls::MtlsTransport;

/// Shared state of one running node.
#[derive(Debug)]
pub struct NodeState {
    /// The configuration it was started with.
    pub config: Config,
    /// Certificates and keys in force (replaced on rotation).
    pub credentials: Arc<Credentials>,
    /// The database pool.
    pub pool: DbPool,
    /// The CRL in force and the verifiers that check against it.
    pub crl: Arc<CrlState>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// When the node started (Unix time).
    pub started: i64,
    /// Signs this node's messages and checks other members'.
    pub signed: SignedMessages,
    /// The message log.
    pub logbook: Arc<Logbook>,
    /// The mutual-TLS client for other members (providers, the register map).
    pub client: PeerClient,
    /// The national transport (the peer endpoint's `POST /v1/exchange`).
    pub transport: Arc<MtlsTransport>,
    /// eDelivery AS4 (the AS4 endpoint), if configured.
    pub as4: Option<Arc<As4Transport>>,
    /// Answers peers' requests.
    pub provider: Provider,
    /// Asks providers for the authority's own services.
    pub requester: Requester,
    /// The person's side of previews.
    pub preview: PreviewPage,
    /// Exports spans, if `[telemetry]` is configured.
    pub tracer: Option<Arc<Tracer>>,
}
