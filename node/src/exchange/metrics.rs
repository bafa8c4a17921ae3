//! The exchange's metrics: exchanges by role, peer, evidence type and outcome, and their
//! latency. Labels never carry personal data, and an evidence type is a label only if this node
//! knows it, so that a peer cannot create series at will.

use std::time::Instant;

use once_runtime::metrics::{LatencyFamily, Metrics, latency_family};
use once_xml::evidence::EvidenceKind;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// Which side of the exchange this node was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It answered a peer's request.
    Provider,
    /// It asked a provider on behalf of an application service.
    Requester,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Provider => "provider",
            Role::Requester => "requester",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ExchangeLabels {
    role: &'static str,
    peer: String,
    evidence_type: &'static str,
    outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct DurationLabels {
    role: &'static str,
    evidence_type: &'static str,
}

/// Where the exchange metrics are counted (one per node; the provider and the requester share
/// it).
#[derive(Debug, Clone)]
pub struct ExchangeMetrics {
    exchanges: Family<ExchangeLabels, Counter>,
    duration: LatencyFamily<DurationLabels>,
}

impl ExchangeMetrics {
    /// Registers the exchange families in the node's `metrics`.
    pub fn new(metrics: impl AsRef<Metrics>) -> ExchangeMetrics {
        let exchange = ExchangeMetrics {
            exchanges: Family::default(),
            duration: latency_family(),
        };
        let metrics = metrics.as_ref();
        metrics.register(
            "once_exchanges",
            "Evidence exchanges by role (provider answered, requester asked), peer member, evidence type and outcome (evidence, an EDM error code, or the requester's error code)",
            exchange.exchanges.clone(),
        );
        metrics.register(
            "once_exchange_duration_seconds",
            "Time to complete an evidence exchange (provider: request read to answer logged; requester: query to checked answer)",
            exchange.duration.clone(),
        );
        exchange
    }

    /// Counts one exchange that started at `started`.
    pub fn record(
        &self,
        role: Role,
        peer: &str,
        evidence_type: &str,
        outcome: &str,
        started: Instant,
    ) {
        let role = role.as_str();
        let evidence_type = label_evidence_type(evidence_type);
        self.exchanges
            .get_or_create(&ExchangeLabels {
                role,
                peer: peer.to_owned(),
                evidence_type,
                outcome: outcome.to_owned(),
            })
            .inc();
        self.duration
            .get_or_create(&DurationLabels {
                role,
                evidence_type,
            })
            .observe(started.elapsed().as_secs_f64());
    }
}

/// A known evidence type's classification, `unknown` otherwise.
fn label_evidence_type(classification: &str) -> &'static str {
    EvidenceKind::from_classification(classification)
        .map_or("unknown", EvidenceKind::classification)
}
