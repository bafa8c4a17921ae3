//! What the map does for nodes, free of HTTP types: accept a signed descriptor, answer discovery
//! with a signed document, record exchange counts.

use once_pki::MemberId;
use once_xml::descriptor::NodeDescriptor;
use once_xml::discovery::{DiscoveredProvider, DiscoveryOutcome, DiscoveryResponse};
use once_xml::dsig::{self, Placement};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::catalogue::Discovery;
use crate::db::{self, AcceptError};
use crate::state::MapState;

/// Why a descriptor was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Not a valid descriptor.
    #[error("the descriptor is invalid: {0}")]
    Invalid(String),
    /// The signature is missing, broken, or its certificate is not acceptable.
    #[error("the descriptor's signature is not acceptable: {0}")]
    Signature(String),
    /// Signer, TLS peer and operating member are not the same member.
    #[error("{0}")]
    WrongMember(String),
    /// An older descriptor than the last accepted.
    #[error(transparent)]
    Stale(AcceptError),
    /// Storage failed.
    #[error("the map cannot store the descriptor right now: {0}")]
    Unavailable(once_store::DbError),
}

/// Checks and stores a descriptor sent by `peer`: signed by `peer`'s signing certificate, for
/// `peer` itself. Returns the number of registers it carries.
pub async fn publish(
    state: &MapState,
    peer: &MemberId,
    document: &[u8],
) -> Result<usize, PublishError> {
    let verified = dsig::verify(document, &state.limits, Placement::LastChild)
        .map_err(|e| PublishError::Signature(e.to_string()))?;
    let chain: Vec<CertificateDer<'_>> = verified
        .certificates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let signer = state
        .signer_verifier
        .verify(&chain, UnixTime::now())
        .map_err(|e| PublishError::Signature(e.to_string()))?;
    let descriptor = NodeDescriptor::from_xml(document, &state.limits)
        .map_err(|e| PublishError::Invalid(e.detail))?;
    if &signer != peer || descriptor.member != peer.as_str() {
        return Err(PublishError::WrongMember(format!(
            "signer ({signer}), TLS peer ({peer}) and operating member ({}) must be the same member",
            descriptor.member
        )));
    }
    let count = descriptor.registers.len();
    let bytes = document.to_vec();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    once_store::run(&state.pool, move |conn| {
        Ok(db::accept_descriptor(conn, &descriptor, &bytes, now))
    })
    .await
    .map_err(PublishError::Unavailable)?
    .map_err(|e| match e {
        AcceptError::Db(e) => PublishError::Unavailable(e),
        stale => PublishError::Stale(stale),
    })?;
    state.reload().await.map_err(PublishError::Unavailable)?;
    tracing::info!(map.member = %peer, map.registers = count, "descriptor accepted");
    Ok(count)
}

/// The signed discovery answer for an evidence type and place.
pub fn discover(
    state: &MapState,
    evidence_type: &str,
    jurisdiction: Option<&str>,
) -> Result<Vec<u8>, dsig::DsigError> {
    let catalogue = state.catalogue.load();
    let outcome = match catalogue.discover(evidence_type, jurisdiction) {
        Discovery::Providers(found) => DiscoveryOutcome::Providers(
            found
                .into_iter()
                .filter_map(|f| {
                    Some(DiscoveredProvider {
                        rank: f.rank,
                        match_level: f.match_level,
                        member: f.member.id.clone(),
                        name: f.member.name.clone(),
                        peer_endpoint: f.member.peer_url.clone()?,
                        tls_certificate_sha256: f.member.tls_fingerprint.clone()?,
                        register_id: f.register.local_id.clone(),
                        jurisdictions: f.register.jurisdictions.clone(),
                    })
                })
                .collect(),
        ),
        Discovery::MissingInput { parameter, message } => DiscoveryOutcome::MissingInput {
            parameter: parameter.to_owned(),
            message,
        },
    };
    let response = DiscoveryResponse {
        issue_date_time: OffsetDateTime::now_utc(),
        evidence_type: evidence_type.to_owned(),
        jurisdiction: jurisdiction.map(ToOwned::to_owned),
        outcome,
    };
    state
        .signer
        .sign(&response.to_xml(), Placement::LastChild)
        .map(String::into_bytes)
}

/// A requester's report of its exchanges on one day.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowReport {
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Counts per provider and evidence type.
    pub counts: Vec<FlowCount>,
}

/// One count of a [`FlowReport`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowCount {
    /// The provider's member id.
    pub provider: String,
    /// The evidence type.
    pub evidence_type: String,
    /// Exchanges that delivered evidence.
    pub count: u64,
}

/// Records a report from `requester`.
pub async fn record_flows(
    state: &MapState,
    requester: &MemberId,
    report: FlowReport,
) -> Result<(), PublishError> {
    let day_ok = time::Date::parse(
        &report.day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .is_ok();
    if !day_ok || report.counts.len() > 10_000 {
        return Err(PublishError::Invalid(
            "day must be YYYY-MM-DD and at most 10000 counts are accepted".into(),
        ));
    }
    for c in &report.counts {
        if c.provider.parse::<MemberId>().is_err() || c.evidence_type.is_empty() {
            return Err(PublishError::Invalid(format!(
                "provider {:?} is not a member id, or the evidence type is empty",
                c.provider
            )));
        }
    }
    let requester = requester.as_str().to_owned();
    let counts: Vec<(String, String, u64)> = report
        .counts
        .into_iter()
        .map(|c| (c.provider, c.evidence_type, c.count))
        .collect();
    once_store::run(&state.pool, move |conn| {
        db::record_flows(conn, &requester, &report.day, &counts)
    })
    .await
    .map_err(PublishError::Unavailable)?;
    state.reload().await.map_err(PublishError::Unavailable)
}
