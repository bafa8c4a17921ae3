//! eDelivery AS4: the partner table and the MessageIds received (duplicate elimination).

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{as4_partners, as4_received};
use super::{AnyConnection, DbError};

/// An access point of another member state.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = as4_partners)]
pub struct Partner {
    /// Its `eb:PartyId`.
    pub party_id: String,
    /// The member id this node knows its authority by.
    pub member: String,
    /// Its AS4 endpoint.
    pub url: String,
    /// Its certificate (PEM).
    pub certificate: String,
    /// The algorithm suite.
    pub suite: String,
    /// When it was added (Unix seconds).
    pub added_at: i64,
}

/// Adds a partner; `false` if its party id or member is taken.
pub fn add_partner(conn: &mut AnyConnection, partner: &Partner) -> Result<bool, DbError> {
    match diesel::insert_into(as4_partners::table)
        .values(partner)
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

/// Every partner, by party id.
pub fn partners(conn: &mut AnyConnection) -> Result<Vec<Partner>, DbError> {
    Ok(as4_partners::table
        .order(as4_partners::party_id.asc())
        .select(Partner::as_select())
        .load(conn)?)
}

/// Removes a partner by party id; `false` if there was none.
pub fn remove_partner(conn: &mut AnyConnection, party_id: &str) -> Result<bool, DbError> {
    Ok(
        diesel::delete(as4_partners::table.filter(as4_partners::party_id.eq(party_id)))
            .execute(conn)?
            > 0,
    )
}

/// What is known of a MessageId that arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// Never seen: recorded now.
    New,
    /// Seen with exactly this content (Unix seconds of its first arrival).
    Duplicate(i64),
    /// Seen with other content, or from another partner.
    Conflict,
}

/// A user message received.
#[derive(Debug, Clone)]
pub struct ReceivedMessage<'a> {
    /// Its MessageId.
    pub message_id: &'a str,
    /// The sending partner.
    pub party_id: &'a str,
    /// SHA-256 (hex) of the message as received.
    pub body_sha256: &'a str,
    /// When (Unix seconds).
    pub received_at: i64,
}

/// Records a received MessageId, unless it was seen before.
pub fn arrive(conn: &mut AnyConnection, message: &ReceivedMessage<'_>) -> Result<Arrival, DbError> {
    let inserted = diesel::insert_into(as4_received::table)
        .values((
            as4_received::message_id.eq(message.message_id),
            as4_received::party_id.eq(message.party_id),
            as4_received::body_sha256.eq(message.body_sha256),
            as4_received::received_at.eq(message.received_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(Arrival::New),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            let (party_id, digest, at): (String, String, i64) = as4_received::table
                .filter(as4_received::message_id.eq(message.message_id))
                .select((
                    as4_received::party_id,
                    as4_received::body_sha256,
                    as4_received::received_at,
                ))
                .first(conn)?;
            Ok(
                if party_id == message.party_id && digest == message.body_sha256 {
                    Arrival::Duplicate(at)
                } else {
                    Arrival::Conflict
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// Forgets MessageIds received before `before` (Unix seconds). Returns how many.
pub fn prune_received(conn: &mut AnyConnection, before: i64) -> Result<usize, DbError> {
    Ok(
        diesel::delete(as4_received::table.filter(as4_received::received_at.lt(before)))
            .execute(conn)?,
    )
}
