//! The exchange's metrics: exchanges by role, peer, evidence type and outcome, and their
//! latency. Labels never carry personal data, and an evidence type is a label only if this node
//! knows it, so that a peer cannot create series at will.

use std::sync::Arc;
use std::time::Instant;

use once_runtime::metrics::{EXCHANGE_SECONDS, EXCHANGES, Metrics};
use once_xml::evidence::EvidenceKind;

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

/// Where the exchange metrics are counted.
#[derive(Debug, Clone)]
pub struct ExchangeMetrics {
    metrics: Arc<Metrics>,
}

impl ExchangeMetrics {
    /// Counts into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> ExchangeMetrics {
        ExchangeMetrics { metrics }
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
        let evidence_type = label_evidence_type(evidence_type);
        self.metrics.inc(
            EXCHANGES,
            &[
                ("role", role.as_str()),
                ("peer", peer),
                ("evidence_type", evidence_type),
                ("outcome", outcome),
            ],
        );
        self.metrics.observe(
            EXCHANGE_SECONDS,
            &[("role", role.as_str()), ("evidence_type", evidence_type)],
            started.elapsed(),
        );
    }
}

/// A known evidence type's classification, `unknown` otherwise.
fn label_evidence_type(classification: &str) -> &'static str {
    EvidenceKind::from_classification(classification)
        .map_or("unknown", EvidenceKind::classification)
}
