//! Publishing this node's registers to the register map: a signed descriptor sent over mutual
//! TLS, at start-up and after every change of a register.

use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::dsig::Placement;
use std::time::Duration;

use time::OffsetDateTime;

use crate::config::{Config, MapClientConfig};
use crate::db::{self, DbPool, registers};
use once_runtime::client::{PeerClient, error_message};
use once_runtime::material::Material;
use once_runtime::signed::SignedMessages;

/// How long the register map may take to accept a descriptor or a report: it stores it and
/// rebuilds its catalogue (the whole landscape) before it answers. Longer than an exchange's
/// timeout, as nothing waits for it but a background task or an operator's command.
pub const MAP_UPDATE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why publishing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The node has no `[map]` section.
    #[error("no register map is configured ([map] in node.toml)")]
    NoMap,
    /// The registers could not be read.
    #[error("the registers could not be read: {0}")]
    Db(#[from] db::DbError),
    /// A register's text cannot be written into the descriptor (a character XML does not
    /// allow).
    #[error("the descriptor cannot be written: {0}")]
    Invalid(String),
    /// The descriptor could not be signed.
    #[error("the descriptor could not be signed: {0}")]
    Sign(String),
    /// The map could not be reached or refused the descriptor.
    #[error("the register map refused or could not be reached: {0}")]
    Map(String),
}

/// Builds this node's descriptor from its registers.
pub async fn descriptor(
    config: &Config,
    map: &MapClientConfig,
    material: &Material,
    pool: &DbPool,
) -> Result<NodeDescriptor, PublishError> {
    let registers = db::run(pool, |conn| {
        registers::list(conn)?
            .into_iter()
            .map(|r| {
                let count = registers::record_count(conn, &r.id)?;
                Ok((r, count))
            })
            .collect::<Result<Vec<_>, db::DbError>>()
    })
    .await?;
    let now = OffsetDateTime::now_utc();
    Ok(NodeDescriptor {
        member: config.member_id.as_str().to_owned(),
        name: config.display_name().to_owned(),
        peer_endpoint: map.peer_url.clone(),
        tls_certificate_sha256: material.tls_info.fingerprint_sha256.clone(),
        contact: config.contact.clone(),
        issue_date_time: now,
        // Microseconds since the epoch: later descriptors of this node always have a higher
        // sequence, whichever replica or command sends them.
        sequence: u64::try_from(now.unix_timestamp_nanos() / 1000).unwrap_or(u64::MAX),
        registers: registers
            .into_iter()
            .map(|(r, count)| RegisterDescriptor {
                id: r.id.as_str().to_owned(),
                name: r.name,
                register_type: r.register_type,
                level: r.level,
                jurisdictions: r.jurisdictions,
                evidence_types: r.evidence_types,
                legal_basis: r.legal_basis,
                standards: r.standards,
                record_count: u64::try_from(count).ok(),
                contact: None,
            })
            .collect(),
    })
}

/// Signs and sends this node's descriptor; returns the number of registers published.
pub async fn publish(
    config: &Config,
    material: &Material,
    pool: &DbPool,
    signed: &SignedMessages,
    client: &PeerClient,
) -> Result<usize, PublishError> {
    let map = config.map.as_ref().ok_or(PublishError::NoMap)?;
    let descriptor = descriptor(config, map, material, pool).await?;
    let count = descriptor.registers.len();
    let xml = descriptor
        .try_to_xml()
        .map_err(|e| PublishError::Invalid(e.to_string()))?;
    let signed = signed
        .sign(&xml, Placement::LastChild)
        .map_err(|e| PublishError::Sign(e.to_string()))?;
    let url = format!("{}/v1/descriptors", map.url.trim_end_matches('/'));
    let client = client.current();
    let response = client
        .post(&url)
        .timeout(MAP_UPDATE_TIMEOUT)
        .header(reqwest::header::CONTENT_TYPE, "application/xml")
        .body(signed)
        .send()
        .await
        .map_err(|e| PublishError::Map(format!("{url}: {}", once_runtime::client::describe(&e))))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.bytes().await.unwrap_or_default();
        return Err(PublishError::Map(format!(
            "HTTP {status}: {}",
            error_message(&body)
        )));
    }
    tracing::info!(map.url = %map.url, map.registers = count, "registers published to the register map");
    Ok(count)
}
