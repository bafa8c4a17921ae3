//! The node's message log as a service: appends with the time and a keyed subject digest,
//! periodic signed checkpoints, and the transfer record for citizens.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use ring::hmac;
use serde::Serialize;

use crate::db::log::{self, Checkpoint, Direction, Kind, NewEntry};
use crate::db::{self, AnyConnection, DbError, DbPool, secrets};
use crate::exchange::checkpoint::CheckpointSigner;

/// An entry to append, owned so it can move to the blocking pool.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// Sent or received.
    pub direction: Direction,
    /// Request or response.
    pub kind: Kind,
    /// The request id.
    pub exchange_id: String,
    /// The other party's member id.
    pub peer: String,
    /// Evidence type classification.
    pub evidence_type: String,
    /// Keyed digest of the subject identifier (see [`Logbook::subject_digest`]).
    pub subject_digest: String,
    /// Procedure.
    pub procedure: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Outcome.
    pub outcome: String,
    /// The message bytes.
    pub message: Vec<u8>,
}

/// The message log of a running node.
pub struct Logbook {
    pool: DbPool,
    subject_key: hmac::Key,
    signer: ArcSwap<CheckpointSigner>,
}

impl std::fmt::Debug for Logbook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logbook").finish_non_exhaustive()
    }
}

impl Logbook {
    /// Opens the log: reads (or creates) the subject digest key shared by the node's replicas.
    pub async fn open(pool: DbPool, signer: CheckpointSigner) -> Result<Logbook, DbError> {
        let key = db::run(&pool, |conn| {
            secrets::get_or_create(conn, secrets::SUBJECT_DIGEST_KEY)
        })
        .await?;
        let key = hex::decode(&key)
            .map_err(|_| DbError::Corrupt("the subject digest key is not hex".into()))?;
        Ok(Logbook {
            pool,
            subject_key: hmac::Key::new(hmac::HMAC_SHA256, &key),
            signer: ArcSwap::from_pointee(signer),
        })
    }

    /// The digest under which a subject identifier is logged: HMAC-SHA-256 with the node's key,
    /// so the log and the transfer record never hold the identifier itself and a digest cannot
    /// be reversed by trying all 10¹⁰ identification numbers without the key.
    pub fn subject_digest(&self, identifier: &str) -> String {
        hex::encode(hmac::sign(&self.subject_key, identifier.as_bytes()).as_ref())
    }

    /// Appends an entry; returns once it is committed.
    pub async fn append(&self, entry: LogEntry) -> Result<i64, DbError> {
        db::run(&self.pool, move |conn| {
            append_now(conn, &entry).map(|(seq, _)| seq)
        })
        .await
    }

    /// Signs checkpoints from now on with this signer (after a certificate rotation).
    pub fn set_signer(&self, signer: CheckpointSigner) {
        self.signer.store(Arc::new(signer));
    }

    /// Signs the chain head now, if it moved since the last checkpoint.
    pub async fn checkpoint(&self) -> Result<Option<Checkpoint>, DbError> {
        let signer = self.signer.load_full();
        db::run(&self.pool, move |conn| checkpoint_now(conn, &signer)).await
    }

    /// Signs the chain head every `period` until the task is dropped.
    pub fn spawn_checkpoints(self: &Arc<Self>, period: Duration) -> tokio::task::JoinHandle<()> {
        let log = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                match log.checkpoint().await {
                    Ok(Some(c)) => {
                        tracing::debug!(log.seq = c.seq, "message log checkpoint signed")
                    }
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "message log checkpoint failed"),
                }
            }
        })
    }

    /// The transfer record of a subject: which member received which evidence, when, for what.
    pub async fn transfers(&self, identifier: &str) -> Result<Vec<Transfer>, DbError> {
        let digest = self.subject_digest(identifier);
        let entries = db::run(&self.pool, move |conn| log::transfers(conn, &digest)).await?;
        Ok(entries
            .into_iter()
            .map(|e| Transfer {
                request_id: e.exchange_id,
                recipient: e.peer,
                evidence_type: e.evidence_type,
                procedure: e.procedure,
                legal_basis: e.legal_basis,
                at: time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(e.logged_at) * 1000)
                    .ok()
                    .and_then(|t| {
                        t.format(&time::format_description::well_known::Rfc3339)
                            .ok()
                    })
                    .unwrap_or_default(),
                log_seq: e.seq,
            })
            .collect())
    }
}

/// One delivery of evidence about a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// The request it answered.
    pub request_id: String,
    /// The member that received the evidence.
    pub recipient: String,
    /// Evidence type classification.
    pub evidence_type: String,
    /// The procedure it was for.
    pub procedure: String,
    /// The legal basis named.
    pub legal_basis: String,
    /// When (RFC 3339).
    pub at: String,
    /// The message-log entry that proves it.
    pub log_seq: i64,
}

/// The current time in microseconds, as entries are stamped.
fn now_micros() -> Result<i64, DbError> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000;
    i64::try_from(now).map_err(|_| DbError::Corrupt("clock out of range".into()))
}

fn new_entry(entry: &LogEntry) -> NewEntry<'_> {
    NewEntry {
        direction: entry.direction,
        kind: entry.kind,
        exchange_id: &entry.exchange_id,
        peer: &entry.peer,
        evidence_type: &entry.evidence_type,
        subject_digest: &entry.subject_digest,
        procedure: &entry.procedure,
        legal_basis: &entry.legal_basis,
        outcome: &entry.outcome,
        message: &entry.message,
    }
}

/// Appends with the current time in microseconds, in a transaction of its own.
pub fn append_now(conn: &mut AnyConnection, entry: &LogEntry) -> Result<(i64, String), DbError> {
    log::append(conn, &new_entry(entry), now_micros()?)
}

/// Appends several entries with the current time, inside the caller's transaction.
pub fn append_all_within(
    conn: &mut AnyConnection,
    entries: &[LogEntry],
) -> Result<Vec<(i64, String)>, DbError> {
    let entries: Vec<NewEntry<'_>> = entries.iter().map(new_entry).collect();
    log::append_within(conn, &entries, now_micros()?)
}

/// Signs the chain head if it moved since the last checkpoint; returns the new checkpoint.
pub fn checkpoint_now(
    conn: &mut AnyConnection,
    signer: &CheckpointSigner,
) -> Result<Option<Checkpoint>, DbError> {
    let Some((seq, hash)) = log::head(conn)? else {
        return Ok(None);
    };
    if log::last_checkpoint(conn)?.is_some_and(|c| c.seq >= seq) {
        return Ok(None);
    }
    let checkpoint = signer
        .sign(seq, &hash, db::now_unix())
        .map_err(DbError::Corrupt)?;
    log::add_checkpoint(conn, &checkpoint)?;
    Ok(Some(checkpoint))
}
