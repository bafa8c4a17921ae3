//! Preview sessions: evidence held back until the person it is about has seen it and approved.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{preview_mailbox, previews};
use super::{AnyConnection, DbError};

/// Where a preview stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PreviewState {
    /// Waiting for the person to enter the one-time code.
    Pending,
    /// The code was right; the person sees the evidence and has not decided yet.
    Verified,
    /// The person approved: the evidence may be sent.
    Approved,
    /// The person refused: the evidence is not sent.
    Refused,
    /// Approved and sent; a preview is used once.
    Delivered,
}

impl PreviewState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PreviewState::Pending => "pending",
            PreviewState::Verified => "verified",
            PreviewState::Approved => "approved",
            PreviewState::Refused => "refused",
            PreviewState::Delivered => "delivered",
        }
    }

    fn parse(s: &str) -> Result<PreviewState, DbError> {
        match s {
            "pending" => Ok(PreviewState::Pending),
            "verified" => Ok(PreviewState::Verified),
            "approved" => Ok(PreviewState::Approved),
            "refused" => Ok(PreviewState::Refused),
            "delivered" => Ok(PreviewState::Delivered),
            other => Err(DbError::Corrupt(format!("unknown preview state {other:?}"))),
        }
    }
}

/// A preview session.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = previews)]
pub struct Preview {
    /// The session id (the last part of the PreviewLocation URL, 256 random bits).
    pub id: String,
    /// The request that asked for the preview.
    pub request_id: String,
    /// The requesting member.
    pub requester: String,
    /// The evidence type.
    pub evidence_type: String,
    /// Keyed digest of the subject's identification number.
    pub subject_digest: String,
    /// The signed evidence document the person sees and, if approved, the requester receives.
    pub evidence: Vec<u8>,
    /// SHA-256 of the one-time code.
    pub code_sha256: String,
    /// Wrong codes entered so far.
    pub attempts: i32,
    /// SHA-256 of the browser session secret issued after the right code.
    pub session_sha256: Option<String>,
    /// `pending`, `verified`, `approved`, `refused`.
    pub state: String,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Expires (Unix seconds).
    pub expires_at: i64,
    /// Approved or refused at (Unix seconds).
    pub decided_at: Option<i64>,
}

impl Preview {
    /// The state.
    pub fn state(&self) -> Result<PreviewState, DbError> {
        PreviewState::parse(&self.state)
    }
}

/// Stores a new preview, and the code in the simulated mailbox when `mailbox_code` is given.
pub fn create(
    conn: &mut AnyConnection,
    preview: &Preview,
    mailbox_code: Option<&str>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::insert_into(previews::table)
            .values(preview)
            .execute(conn)?;
        if let Some(code) = mailbox_code {
            diesel::insert_into(preview_mailbox::table)
                .values((
                    preview_mailbox::preview_id.eq(&preview.id),
                    preview_mailbox::subject_digest.eq(&preview.subject_digest),
                    preview_mailbox::code.eq(code),
                    preview_mailbox::created_at.eq(preview.created_at),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// One preview.
pub fn find(conn: &mut AnyConnection, id: &str) -> Result<Option<Preview>, DbError> {
    Ok(previews::table.find(id).first(conn).optional()?)
}

/// Takes one attempt at the code, before the code is compared: only a pending, unexpired preview
/// with attempts left gives one. Counting first, in one statement, means parallel guesses cannot
/// get past the limit. Returns whether an attempt was granted.
pub fn take_attempt(
    conn: &mut AnyConnection,
    id: &str,
    max_attempts: i32,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        previews::table
            .find(id)
            .filter(previews::state.eq(PreviewState::Pending.as_str()))
            .filter(previews::attempts.lt(max_attempts))
            .filter(previews::expires_at.gt(now)),
    )
    .set(previews::attempts.eq(previews::attempts + 1))
    .execute(conn)?
        == 1)
}

/// Marks the code as entered: the browser holding `session_sha256`'s secret may decide.
/// Only a pending preview moves on; returns whether it did.
pub fn verify_code(
    conn: &mut AnyConnection,
    id: &str,
    session_sha256: &str,
    now: i64,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        previews::table
            .find(id)
            .filter(previews::state.eq(PreviewState::Pending.as_str()))
            .filter(previews::expires_at.gt(now)),
    )
    .set((
        previews::state.eq(PreviewState::Verified.as_str()),
        previews::session_sha256.eq(session_sha256),
    ))
    .execute(conn)?
        == 1)
}

/// Records the person's decision; only a verified preview with this session can be decided, and
/// only once. Returns whether the decision was recorded.
pub fn decide(
    conn: &mut AnyConnection,
    id: &str,
    session_sha256: &str,
    approve: bool,
    now: i64,
) -> Result<bool, DbError> {
    let state = if approve {
        PreviewState::Approved
    } else {
        PreviewState::Refused
    };
    Ok(diesel::update(
        previews::table
            .find(id)
            .filter(previews::state.eq(PreviewState::Verified.as_str()))
            .filter(previews::session_sha256.eq(session_sha256))
            .filter(previews::expires_at.gt(now)),
    )
    .set((
        previews::state.eq(state.as_str()),
        previews::decided_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// Marks an approved preview as delivered; returns whether it was approved and unused (a
/// preview is delivered once).
pub fn consume(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, DbError> {
    Ok(diesel::update(
        previews::table
            .find(id)
            .filter(previews::state.eq(PreviewState::Approved.as_str()))
            .filter(previews::expires_at.gt(now)),
    )
    .set(previews::state.eq(PreviewState::Delivered.as_str()))
    .execute(conn)?
        == 1)
}

/// Deletes previews that expired before `before` (Unix seconds), with their codes: the evidence
/// they hold is personal data.
pub fn prune(conn: &mut AnyConnection, before: i64) -> Result<usize, DbError> {
    let old = previews::table
        .filter(previews::expires_at.lt(before))
        .select(previews::id);
    diesel::delete(preview_mailbox::table.filter(preview_mailbox::preview_id.eq_any(old)))
        .execute(conn)?;
    Ok(diesel::delete(previews::table.filter(previews::expires_at.lt(before))).execute(conn)?)
}

/// A message in the simulated mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize)]
pub struct MailboxMessage {
    /// The preview.
    pub preview_id: String,
    /// The one-time code.
    pub code: String,
    /// When it was "sent" (Unix seconds).
    pub created_at: i64,
}

/// The codes "sent" to a subject, newest first.
pub fn mailbox(
    conn: &mut AnyConnection,
    subject_digest: &str,
) -> Result<Vec<MailboxMessage>, DbError> {
    Ok(preview_mailbox::table
        .filter(preview_mailbox::subject_digest.eq(subject_digest))
        .select((
            preview_mailbox::preview_id,
            preview_mailbox::code,
            preview_mailbox::created_at,
        ))
        .order(preview_mailbox::created_at.desc())
        .load(conn)?)
}
