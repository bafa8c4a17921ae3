//! Replay protection: every request id is answered once.

use diesel::prelude::*;

use super::schema::seen_requests;
use super::{AnyConnection, DbError};

/// Records a request id; `false` if it was seen before.
pub fn first_seen(
    conn: &mut AnyConnection,
    request_id: &str,
    requester: &str,
    now: i64,
) -> Result<bool, DbError> {
    match diesel::insert_into(seen_requests::table)
        .values((
            seen_requests::request_id.eq(request_id),
            seen_requests::requester.eq(requester),
            seen_requests::seen_at.eq(now),
        ))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Whether a request id of this requester was recorded already.
pub fn seen(conn: &mut AnyConnection, request_id: &str, requester: &str) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        seen_requests::table
            .filter(seen_requests::request_id.eq(request_id))
            .filter(seen_requests::requester.eq(requester)),
    ))
    .get_result(conn)?)
}

/// Forgets request ids seen before `before` (Unix seconds): requests that old are refused by
/// their IssueDateTime anyway. Returns how many were removed.
pub fn prune(conn: &mut AnyConnection, before: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(seen_requests::table.filter(seen_requests::seen_at.lt(before)))
            .execute(conn)?,
    )
}
