//! What every request handler of a node can reach.

use std::sync::Arc;

use crate::config::Config;
use crate::db::DbPool;
use crate::service::exchange::Exchange;
use once_runtime::credentials::Credentials;
use once_runtime::crl::CrlState;
use once_runtime::metrics::Metrics;

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
    /// The evidence exchange (both sides).
    pub exchange: Arc<Exchange>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// When the node started (Unix time).
    pub started: i64,
}
