//! What every request handler of a node can reach.

use std::sync::Arc;

use arc_swap::ArcSwap;
use once_pki::tls::PeerVerifier;

use crate::config::Config;
use crate::db::DbPool;
use crate::material::{LoadedCrl, NodeMaterial};
use crate::service::exchange::Exchange;

/// Shared state of one running node.
#[derive(Debug)]
pub struct NodeState {
    /// The configuration it was started with.
    pub config: Config,
    /// Certificates and keys.
    pub material: NodeMaterial,
    /// The database pool.
    pub pool: DbPool,
    /// The CRL in force.
    pub crl: ArcSwap<LoadedCrl>,
    /// The verifiers that check client certificates against the federation CRL.
    pub crl_verifiers: Vec<Arc<PeerVerifier>>,
    /// The evidence exchange (both sides).
    pub exchange: Exchange,
}
