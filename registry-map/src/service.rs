//! What the map does for nodes, free of HTTP types: accept a signed descriptor, answer discovery
//! with a signed document, record exchange counts.

use once_pki::MemberId;
use once_runtime::signed::SignatureProblem;
use once_xml::descriptor::NodeDescriptor;
use once_xml::discovery::{DiscoveredProvider, DiscoveryOutcome, DiscoveryResponse};
use once_xml::dsig::{self, Placement};
use once_xml::text::{self, InvalidText};
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

/// Why a discovery answer could not be given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoverError {
    /// A query parameter is not a single line of text (it is echoed in the answer).
    #[error("{0}")]
    Query(InvalidText),
    /// A text of the answer (a name from the catalogue) has a character XML does not allow.
    #[error("the answer cannot be written: {0}")]
    Write(InvalidText),
    /// Signing failed.
    #[error("the answer cannot be signed: {0}")]
    Sign(#[from] dsig::DsigError),
}

/// Checks and stores a descriptor sent by `peer`: signed by `peer`'s signing certificate, for
/// `peer` itself. Returns the number of registers it carries.
pub async fn publish(
    state: &MapState,
    peer: &MemberId,
    document: &[u8],
) -> Result<usize, PublishError> {
    let (signer, document_tree) = state
        .signed
        .verify_any(document, Placement::LastChild)
        .map_err(|e| match e {
            // The reader refused the document itself (not XML, a character XML does not allow,
            // over a limit): an invalid descriptor, whatever its signature.
            SignatureProblem::Document(refusal) => PublishError::Invalid(refusal.detail),
            e => PublishError::Signature(e.to_string()),
        })?;
    let descriptor = NodeDescriptor::from_element(&document_tree)
        .map_err(|e| PublishError::Invalid(e.detail))?;
    if &signer != peer || descriptor.member != peer.as_str() {
        // (Checked before the areas, so that this message names the member mix-up.)
        return Err(PublishError::WrongMember(format!(
            "signer ({signer}), TLS peer ({peer}) and operating member ({}) must be the same member",
            descriptor.member
        )));
    }
    for register in &descriptor.registers {
        if let Some(key) = register.jurisdictions.iter().find(|k| !may_serve(peer, k)) {
            return Err(PublishError::WrongMember(format!(
                "register {}: member {peer} may not publish a register for area {key} (a municipality publishes its own key, a district keys inside it, a state authority keys inside its state; only federal members publish anywhere)",
                register.id
            )));
        }
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

/// Whether `member` may publish a register for the official area `key`, judged from its member
/// id: `DE:…` (federal) anywhere; `DE-<ST>:KOMMUNE:<AGS>` that municipality (as AGS or ARS);
/// `DE-<ST>:KREIS:<district>` keys inside that district; any other `DE-<ST>:…` keys inside its
/// state. So a node cannot present itself as the provider for somebody else's area.
pub fn may_serve(member: &MemberId, key: &str) -> bool {
    if member.instance() == "DE" {
        return true;
    }
    let Some(state_code) = member.instance().strip_prefix("DE-") else {
        return false;
    };
    let Some(state_key) = (1..=16)
        .map(|n| format!("{n:02}"))
        .find(|k| crate::seed::state_code(k) == Some(state_code))
    else {
        return false;
    };
    // An ARS names the same municipality as the AGS made of its first five and last three digits.
    let ags = if key.len() == 12 {
        format!("{}{}", &key[..5], &key[9..])
    } else {
        key.to_owned()
    };
    match member.class() {
        "KOMMUNE" => ags == member.code(),
        "KREIS" => member.code().len() == 5 && ags.starts_with(member.code()),
        _ => key.starts_with(&state_key),
    }
}

/// The signed discovery answer for an evidence type and place. Both are echoed in the answer:
/// each must be one line of text ([`once_xml::text::check_line`]).
pub fn discover(
    state: &MapState,
    evidence_type: &str,
    jurisdiction: Option<&str>,
) -> Result<Vec<u8>, DiscoverError> {
    text::check_line("evidence_type", evidence_type).map_err(DiscoverError::Query)?;
    if let Some(jurisdiction) = jurisdiction {
        text::check_line("jurisdiction", jurisdiction).map_err(DiscoverError::Query)?;
    }
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
    Ok(state.signed.sign(
        &response.try_to_xml().map_err(DiscoverError::Write)?,
        Placement::LastChild,
    )?)
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

#[cfg(test)]
mod tests {
    use super::may_serve;

    #[test]
    fn members_publish_only_for_their_own_areas() {
        let m = |s: &str| s.parse().unwrap();
        let bremen = m("DE-HB:KOMMUNE:04011000");
        assert!(may_serve(&bremen, "04011000"));
        assert!(may_serve(&bremen, "040110000000"));
        assert!(!may_serve(&bremen, "04012000"));
        assert!(!may_serve(&bremen, "04"));
        let kreis = m("DE-NI:KREIS:03241");
        assert!(may_serve(&kreis, "03241"));
        assert!(may_serve(&kreis, "03241001"));
        assert!(!may_serve(&kreis, "03242001"));
        let land = m("DE-HB:LAND:finanzamt");
        assert!(may_serve(&land, "04"));
        assert!(may_serve(&land, "04012000"));
        assert!(!may_serve(&land, "09162000"));
        assert!(may_serve(&m("DE:BUND:kba"), "09162000"));
        assert!(!may_serve(&m("DE-BY:KOMMUNE:09162000"), "04011000"));
        assert!(!may_serve(&m("FR:MAIRIE:75056"), "04011000"));
    }
}
