//! The message log: every message sent or received, append-only and hash-chained. Each entry's
//! hash covers its fields, the SHA-256 of the message bytes and the previous entry's hash, so a
//! changed, deleted or reordered entry breaks the chain; the chain head is signed now and then
//! (checkpoints), so a truncated or rewritten tail is found too.

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::schema::{log_checkpoints, log_lock, message_log};
use super::{AnyConnection, DbError};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How many entries verification reads at a time.
const VERIFY_PAGE: i64 = 1000;

/// Whether the node sent or received the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Received from a peer.
    In,
    /// Sent to a peer.
    Out,
}

impl Direction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
        }
    }
}

/// What the message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An evidence request.
    Request,
    /// An evidence response or error response.
    Response,
    /// An AS4 receipt (signed, non-repudiation of receipt).
    Receipt,
    /// An AS4 error signal, or the note that a message could not be delivered.
    Signal,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Request => "request",
            Kind::Response => "response",
            Kind::Receipt => "receipt",
            Kind::Signal => "signal",
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// Sent or received.
    pub direction: Direction,
    /// Request or response.
    pub kind: Kind,
    /// The request id the message belongs to.
    pub exchange_id: &'a str,
    /// The other party's member id (or what it claimed, for refused messages).
    pub peer: &'a str,
    /// The evidence type classification ("" when unknown).
    pub evidence_type: &'a str,
    /// Keyed digest of the subject's identification number ("" when unknown).
    pub subject_digest: &'a str,
    /// The procedure ("" when unknown).
    pub procedure: &'a str,
    /// The legal basis ("" when unknown).
    pub legal_basis: &'a str,
    /// `sent`, `evidence`, an EDM code, or another short outcome.
    pub outcome: &'a str,
    /// The message bytes exactly as sent or received.
    pub message: &'a [u8],
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize)]
pub struct Entry {
    /// Position in the log, from 1.
    pub seq: i64,
    /// When it was appended (Unix microseconds).
    pub logged_at: i64,
    /// `in` or `out`.
    pub direction: String,
    /// `request` or `response`.
    pub kind: String,
    /// The request id.
    pub exchange_id: String,
    /// The other party.
    pub peer: String,
    /// Evidence type classification.
    pub evidence_type: String,
    /// Keyed digest of the subject identifier.
    pub subject_digest: String,
    /// Procedure.
    pub procedure: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Outcome.
    pub outcome: String,
    /// The message bytes.
    #[serde(skip)]
    pub message: Vec<u8>,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub entry_hash: String,
}

impl Entry {
    /// The hash this entry should have, computed from its content.
    pub fn computed_hash(&self) -> String {
        entry_hash(
            self.logged_at,
            [
                &self.direction,
                &self.kind,
                &self.exchange_id,
                &self.peer,
                &self.evidence_type,
                &self.subject_digest,
                &self.procedure,
                &self.legal_basis,
                &self.outcome,
            ],
            &self.message,
            &self.prev_hash,
        )
    }
}

fn entry_hash(logged_at: i64, fields: [&str; 9], message: &[u8], prev_hash: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"once-log-v1");
    let mut field = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    };
    field(logged_at.to_string().as_bytes());
    for f in fields {
        field(f.as_bytes());
    }
    field(hex::encode(Sha256::digest(message)).as_bytes());
    field(prev_hash.as_bytes());
    hex::encode(hash.finalize())
}

/// Appends an entry in its own transaction and returns its sequence number and hash. The
/// transaction first touches the single `log_lock` row, so appends from several threads,
/// processes or replicas are serialised and the chain never forks.
pub fn append(
    conn: &mut AnyConnection,
    entry: &NewEntry<'_>,
    logged_at: i64,
) -> Result<(i64, String), DbError> {
    conn.transaction(|conn| {
        let mut appended = append_within(conn, std::slice::from_ref(entry), logged_at)?;
        appended
            .pop()
            .ok_or_else(|| DbError::Corrupt("nothing appended".into()))
    })
}

/// Appends `entries` in order, with one lock and one read of the chain head for all of them.
/// Must run inside a transaction the caller opened (so the entries commit together with
/// whatever else the caller writes); returns each entry's sequence number and hash.
pub fn append_within(
    conn: &mut AnyConnection,
    entries: &[NewEntry<'_>],
    logged_at: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    diesel::update(log_lock::table.find(1))
        .set(log_lock::touched_at.eq(logged_at))
        .execute(conn)?;
    let last: Option<(i64, String)> = message_log::table
        .select((message_log::seq, message_log::entry_hash))
        .order(message_log::seq.desc())
        .first(conn)
        .optional()?;
    let (mut seq, mut prev_hash) = match last {
        Some((seq, hash)) => (seq, hash),
        None => (0, GENESIS.to_owned()),
    };
    let mut appended = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let hash = entry_hash(
            logged_at,
            [
                entry.direction.as_str(),
                entry.kind.as_str(),
                entry.exchange_id,
                entry.peer,
                entry.evidence_type,
                entry.subject_digest,
                entry.procedure,
                entry.legal_basis,
                entry.outcome,
            ],
            entry.message,
            &prev_hash,
        );
        diesel::insert_into(message_log::table)
            .values((
                message_log::seq.eq(seq),
                message_log::logged_at.eq(logged_at),
                message_log::direction.eq(entry.direction.as_str()),
                message_log::kind.eq(entry.kind.as_str()),
                message_log::exchange_id.eq(entry.exchange_id),
                message_log::peer.eq(entry.peer),
                message_log::evidence_type.eq(entry.evidence_type),
                message_log::subject_digest.eq(entry.subject_digest),
                message_log::procedure.eq(entry.procedure),
                message_log::legal_basis.eq(entry.legal_basis),
                message_log::outcome.eq(entry.outcome),
                message_log::message.eq(entry.message),
                message_log::prev_hash.eq(&prev_hash),
                message_log::entry_hash.eq(&hash),
            ))
            .execute(conn)?;
        appended.push((seq, hash.clone()));
        prev_hash = hash;
    }
    Ok(appended)
}

/// The last entry's sequence number and hash.
pub fn head(conn: &mut AnyConnection) -> Result<Option<(i64, String)>, DbError> {
    Ok(message_log::table
        .select((message_log::seq, message_log::entry_hash))
        .order(message_log::seq.desc())
        .first(conn)
        .optional()?)
}

/// Entries with `seq > after`, in order, at most `limit`.
pub fn entries_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<Entry>, DbError> {
    Ok(message_log::table
        .filter(message_log::seq.gt(after))
        .order(message_log::seq)
        .limit(limit)
        .load(conn)?)
}

/// Outgoing responses that delivered evidence about a subject, newest first.
pub fn transfers(conn: &mut AnyConnection, subject_digest: &str) -> Result<Vec<Entry>, DbError> {
    Ok(message_log::table
        .filter(message_log::subject_digest.eq(subject_digest))
        .filter(message_log::direction.eq(Direction::Out.as_str()))
        .filter(message_log::kind.eq(Kind::Response.as_str()))
        .filter(message_log::outcome.eq(OUTCOME_EVIDENCE))
        .order(message_log::seq.desc())
        .load(conn)?)
}

/// Evidence received from each provider per evidence type between two times (Unix
/// microseconds): (provider, evidence type, count). Requester side; no personal data.
pub fn received_counts(
    conn: &mut AnyConnection,
    from: i64,
    until: i64,
) -> Result<Vec<(String, String, u64)>, DbError> {
    let rows: Vec<(String, String)> = message_log::table
        .filter(message_log::direction.eq(Direction::In.as_str()))
        .filter(message_log::kind.eq(Kind::Response.as_str()))
        .filter(message_log::outcome.eq(OUTCOME_EVIDENCE))
        .filter(message_log::logged_at.ge(from))
        .filter(message_log::logged_at.lt(until))
        .select((message_log::peer, message_log::evidence_type))
        .load(conn)?;
    let mut counts: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for key in rows {
        *counts.entry(key).or_default() += 1;
    }
    Ok(counts.into_iter().map(|((p, e), n)| (p, e, n)).collect())
}

/// The outcome of a response that carried evidence.
pub const OUTCOME_EVIDENCE: &str = "evidence";

/// A signed chain head.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, Serialize)]
#[diesel(table_name = log_checkpoints)]
pub struct Checkpoint {
    /// The entry signed.
    pub seq: i64,
    /// Its hash.
    pub entry_hash: String,
    /// When (Unix seconds).
    pub signed_at: i64,
    /// ECDSA P-256 SHA-256 signature (r||s, base64) of [`Checkpoint::statement`].
    pub signature: String,
    /// The signing certificate (PEM).
    pub certificate: String,
}

impl Checkpoint {
    /// The bytes that are signed.
    pub fn statement(member: &str, seq: i64, entry_hash: &str, signed_at: i64) -> String {
        format!("once-log-checkpoint-v1\n{member}\n{seq}\n{entry_hash}\n{signed_at}\n")
    }
}

/// Stores a checkpoint (a second one for the same entry is ignored).
pub fn add_checkpoint(conn: &mut AnyConnection, checkpoint: &Checkpoint) -> Result<(), DbError> {
    match diesel::insert_into(log_checkpoints::table)
        .values(checkpoint)
        .execute(conn)
    {
        Ok(_)
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The newest checkpoint.
pub fn last_checkpoint(conn: &mut AnyConnection) -> Result<Option<Checkpoint>, DbError> {
    Ok(log_checkpoints::table
        .order(log_checkpoints::seq.desc())
        .first(conn)
        .optional()?)
}

/// All checkpoints, oldest first.
pub fn checkpoints(conn: &mut AnyConnection) -> Result<Vec<Checkpoint>, DbError> {
    Ok(log_checkpoints::table
        .order(log_checkpoints::seq)
        .load(conn)?)
}

/// The first problem found in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Break {
    /// The entry's content does not give its stored hash.
    #[error("entry {seq} was modified: its content does not match its hash")]
    Modified {
        /// The entry.
        seq: i64,
    },
    /// A sequence number is missing.
    #[error("entry {seq} is missing: the log jumps from {previous} to {found}")]
    Missing {
        /// The first missing sequence number.
        seq: i64,
        /// The entry before the gap.
        previous: i64,
        /// The entry after the gap.
        found: i64,
    },
    /// The entry does not follow its predecessor.
    #[error(
        "entry {seq} does not follow entry {previous}: its previous-hash differs (entries reordered, replaced or removed)"
    )]
    OutOfOrder {
        /// The entry.
        seq: i64,
        /// Its predecessor.
        previous: i64,
    },
    /// The entries are not in order: another entry stands where this one belongs (only an
    /// export file can hold entries out of order).
    #[error(
        "entry {seq} is out of order: entry {found} stands where it belongs (entries reordered)"
    )]
    Misplaced {
        /// The entry that is out of place.
        seq: i64,
        /// The entry found in its place.
        found: i64,
    },
    /// An entry appears a second time (only in an export file).
    #[error("entry {seq} appears again after entry {previous}")]
    Repeated {
        /// The repeated entry.
        seq: i64,
        /// The entry before the repetition.
        previous: i64,
    },
    /// A checkpoint names an entry whose hash differs.
    #[error(
        "checkpoint at entry {seq} signed a different chain head: the log was rewritten up to or at entry {seq}"
    )]
    CheckpointMismatch {
        /// The entry of the checkpoint.
        seq: i64,
    },
    /// A checkpoint names an entry the log does not have.
    #[error(
        "checkpoint at entry {seq} names an entry beyond the end of the log (last entry {last}): entries were removed from the end"
    )]
    Truncated {
        /// The entry of the checkpoint.
        seq: i64,
        /// The last entry present.
        last: i64,
    },
    /// A checkpoint's signature or certificate is not valid.
    #[error("checkpoint at entry {seq} has an invalid signature: {reason}")]
    BadCheckpoint {
        /// The entry of the checkpoint.
        seq: i64,
        /// Why.
        reason: String,
    },
    /// An export file holds another number of entries or checkpoints than its first line
    /// announces.
    #[error(
        "the export announces {announced} {what} but holds {found}: lines were added or removed"
    )]
    ExportCount {
        /// `entries` or `checkpoints`.
        what: String,
        /// The number in the export's first line.
        announced: i64,
        /// The number found.
        found: i64,
    },
}

/// What verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Entries checked.
    pub entries: i64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// The last entry's hash.
    pub head: Option<String>,
    /// The first problem, if any.
    pub broken: Option<Break>,
}

/// Re-checks the whole chain in the database and every checkpoint; `check_signature` verifies
/// one checkpoint's signature and certificate. Stops at the first problem.
pub fn verify(
    conn: &mut AnyConnection,
    check_signature: &dyn Fn(&Checkpoint) -> Result<(), String>,
) -> Result<Report, DbError> {
    let checkpoints = checkpoints(conn)?;
    verify_entries(all_entries(conn), &checkpoints, check_signature)
}

/// Re-checks a log given as entries in their stored order (from the database, or from an
/// export) and its checkpoints (oldest first). Stops at the first problem; an error of the
/// entries' source ends the check with that error.
pub fn verify_entries<E>(
    entries: impl IntoIterator<Item = Result<Entry, E>>,
    checkpoints: &[Checkpoint],
    check_signature: &dyn Fn(&Checkpoint) -> Result<(), String>,
) -> Result<Report, E> {
    let mut entries = entries.into_iter();
    let mut next_checkpoint = checkpoints.iter().peekable();
    let mut report = Report {
        entries: 0,
        checkpoints: checkpoints.len(),
        head: None,
        broken: None,
    };
    let mut previous: Option<(i64, String)> = None;
    'entries: while let Some(entry) = entries.next() {
        let entry = entry?;
        let broken = match check_entry(&entry, previous.as_ref()) {
            Some(Break::Missing {
                seq,
                previous,
                found,
            }) => Some(sequence_break(seq, previous, found, &mut entries)?),
            other => other,
        };
        if broken.is_some() {
            report.broken = broken;
            break;
        }
        while let Some(checkpoint) = next_checkpoint.next_if(|c| c.seq <= entry.seq) {
            if checkpoint.seq < entry.seq {
                // Its entry was skipped: the gap check above would have caught that, so
                // this can only be a checkpoint before the first entry.
                report.broken = Some(Break::CheckpointMismatch {
                    seq: checkpoint.seq,
                });
                break 'entries;
            }
            if checkpoint.entry_hash != entry.entry_hash {
                report.broken = Some(Break::CheckpointMismatch {
                    seq: checkpoint.seq,
                });
                break 'entries;
            }
            if let Err(reason) = check_signature(checkpoint) {
                report.broken = Some(Break::BadCheckpoint {
                    seq: checkpoint.seq,
                    reason,
                });
                break 'entries;
            }
        }
        report.entries += 1;
        previous = Some((entry.seq, entry.entry_hash));
    }
    if report.broken.is_none()
        && let Some(checkpoint) = next_checkpoint.next()
    {
        report.broken = Some(Break::Truncated {
            seq: checkpoint.seq,
            last: previous.as_ref().map_or(0, |(seq, _)| *seq),
        });
    }
    report.head = previous.map(|(_, hash)| hash);
    Ok(report)
}

/// Entry `expected` was due but `found` came: a gap, unless `expected` comes later (entries out
/// of order, which only a file can hold; the database returns them sorted), or `found` is an
/// entry seen before.
fn sequence_break<E>(
    expected: i64,
    previous: i64,
    found: i64,
    rest: impl Iterator<Item = Result<Entry, E>>,
) -> Result<Break, E> {
    for entry in rest {
        if entry?.seq == expected {
            return Ok(Break::Misplaced {
                seq: expected,
                found,
            });
        }
    }
    Ok(if found > expected {
        Break::Missing {
            seq: expected,
            previous,
            found,
        }
    } else {
        Break::Repeated {
            seq: found,
            previous,
        }
    })
}

/// Every entry of the log in order, read [`VERIFY_PAGE`] at a time with [`entries_after`], so
/// a large log never has to fit in memory.
pub fn all_entries(conn: &mut AnyConnection) -> Pages<'_> {
    pages(conn, VERIFY_PAGE)
}

fn pages(conn: &mut AnyConnection, size: i64) -> Pages<'_> {
    Pages {
        conn,
        size,
        after: 0,
        page: Vec::new().into_iter(),
        done: false,
    }
}

/// The entries of the log, a page at a time (see [`all_entries`]).
#[derive(Debug)]
pub struct Pages<'c> {
    conn: &'c mut AnyConnection,
    size: i64,
    after: i64,
    page: std::vec::IntoIter<Entry>,
    done: bool,
}

impl Iterator for Pages<'_> {
    type Item = Result<Entry, DbError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(entry) = self.page.next() {
            return Some(Ok(entry));
        }
        if self.done {
            return None;
        }
        match entries_after(self.conn, self.after, self.size) {
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
            Ok(page) => {
                self.done = (page.len() as i64) < self.size;
                self.after = page.last()?.seq;
                self.page = page.into_iter();
                self.page.next().map(Ok)
            }
        }
    }
}

/// The number of entries with `seq <= last`.
pub fn count_through(conn: &mut AnyConnection, last: i64) -> Result<i64, DbError> {
    Ok(message_log::table
        .filter(message_log::seq.le(last))
        .count()
        .get_result(conn)?)
}

fn check_entry(entry: &Entry, previous: Option<&(i64, String)>) -> Option<Break> {
    let (expected_seq, expected_prev, previous_seq) = match previous {
        Some((seq, hash)) => (seq + 1, hash.as_str(), *seq),
        None => (1, GENESIS, 0),
    };
    if entry.seq != expected_seq {
        return Some(Break::Missing {
            seq: expected_seq,
            previous: previous_seq,
            found: entry.seq,
        });
    }
    if entry.computed_hash() != entry.entry_hash {
        return Some(Break::Modified { seq: entry.seq });
    }
    if entry.prev_hash != expected_prev {
        return Some(Break::OutOfOrder {
            seq: entry.seq,
            previous: previous_seq,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> (String, Vec<u8>) {
        (
            format!("req-{i}"),
            format!("<message n=\"{i}\"/>").into_bytes(),
        )
    }

    fn filled(n: usize) -> (tempfile::TempDir, crate::db::DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::db::open(
            &dir.path().join("log.db").display().to_string(),
            2,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let mut conn = pool.get().unwrap();
        for i in 0..n {
            let (id, message) = entry(i);
            let (seq, _) = append(
                &mut conn,
                &NewEntry {
                    direction: Direction::In,
                    kind: Kind::Request,
                    exchange_id: &id,
                    peer: "DE-HB:LAND:elterngeld",
                    evidence_type: "urn:x",
                    subject_digest: "abc",
                    procedure: "p",
                    legal_basis: "l",
                    outcome: "received",
                    message: &message,
                },
                1_700_000_000_000_000 + i as i64,
            )
            .unwrap();
            assert_eq!(seq, i as i64 + 1);
        }
        (dir, pool)
    }

    fn check(conn: &mut AnyConnection) -> Report {
        verify(conn, &|_| Ok(())).unwrap()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        let report = check(&mut conn);
        assert_eq!(report.entries, 5);
        assert_eq!(report.broken, None);
        assert_eq!(report.head, head(&mut conn).unwrap().map(|(_, h)| h));
    }

    #[test]
    fn a_modified_entry_is_named() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        diesel::update(message_log::table.find(3))
            .set(message_log::message.eq(b"<message n=\"x\"/>".to_vec()))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(check(&mut conn).broken, Some(Break::Modified { seq: 3 }));
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        diesel::delete(message_log::table.find(2))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(
            check(&mut conn).broken,
            Some(Break::Missing {
                seq: 2,
                previous: 1,
                found: 3
            })
        );
    }

    #[test]
    fn reordered_entries_are_named() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        for (from, to) in [(2, 100), (3, 2), (100, 3)] {
            diesel::update(message_log::table.find(from))
                .set(message_log::seq.eq(to))
                .execute(&mut conn)
                .unwrap();
        }
        assert_eq!(
            check(&mut conn).broken,
            Some(Break::OutOfOrder {
                seq: 2,
                previous: 1
            })
        );
    }

    #[test]
    fn a_removed_tail_shows_against_the_checkpoint() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        let (seq, hash) = head(&mut conn).unwrap().unwrap();
        add_checkpoint(
            &mut conn,
            &Checkpoint {
                seq,
                entry_hash: hash,
                signed_at: 0,
                signature: String::new(),
                certificate: String::new(),
            },
        )
        .unwrap();
        assert_eq!(check(&mut conn).broken, None);
        diesel::delete(message_log::table.filter(message_log::seq.gt(3)))
            .execute(&mut conn)
            .unwrap();
        assert_eq!(
            check(&mut conn).broken,
            Some(Break::Truncated { seq: 5, last: 3 })
        );
        let refused = verify(&mut conn, &|_| Err("bad".into())).unwrap();
        assert_eq!(refused.broken, Some(Break::Truncated { seq: 5, last: 3 }));
    }

    #[test]
    fn pages_read_every_entry_once_in_order() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        for size in [1, 2, 5, 6] {
            let seqs: Vec<i64> = pages(&mut conn, size).map(|e| e.unwrap().seq).collect();
            assert_eq!(seqs, [1, 2, 3, 4, 5], "page size {size}");
        }
        assert_eq!(count_through(&mut conn, 3).unwrap(), 3);
    }

    #[test]
    fn entries_out_of_order_or_repeated_are_named() {
        let (_dir, pool) = filled(5);
        let mut conn = pool.get().unwrap();
        let entries: Vec<Entry> = all_entries(&mut conn).map(|e| e.unwrap()).collect();
        let check = |v: Vec<Entry>| {
            verify_entries(v.into_iter().map(Ok::<_, ()>), &[], &|_| Ok(())).unwrap()
        };
        assert_eq!(check(entries.clone()).broken, None);
        let mut swapped = entries.clone();
        swapped.swap(2, 3);
        assert_eq!(
            check(swapped).broken,
            Some(Break::Misplaced { seq: 3, found: 4 })
        );
        let mut repeated = entries.clone();
        repeated.push(entries[4].clone());
        assert_eq!(
            check(repeated).broken,
            Some(Break::Repeated {
                seq: 5,
                previous: 5
            })
        );
        let mut gap = entries.clone();
        gap.remove(1);
        assert_eq!(
            check(gap).broken,
            Some(Break::Missing {
                seq: 2,
                previous: 1,
                found: 3
            })
        );
    }
}
