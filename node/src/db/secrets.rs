//! Node-wide secrets kept in the database, so that replicas of a node share them.

use diesel::prelude::*;

use super::schema::node_secrets;
use super::{AnyConnection, DbError};

/// The key of the keyed digest of subject identifiers in the message log and transfer record.
pub const SUBJECT_DIGEST_KEY: &str = "subject_digest_key";

/// The secret named `name` (64 hex digits), created at random the first time it is asked for.
/// Replicas racing to create it agree on whichever was stored first.
pub fn get_or_create(conn: &mut AnyConnection, name: &str) -> Result<String, DbError> {
    if let Some(value) = read(conn, name)? {
        return Ok(value);
    }
    let fresh = hex::encode(rand::random::<[u8; 32]>());
    match diesel::insert_into(node_secrets::table)
        .values((node_secrets::name.eq(name), node_secrets::value.eq(&fresh)))
        .execute(conn)
    {
        Ok(_) => Ok(fresh),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => read(conn, name)?
            .ok_or_else(|| DbError::Corrupt(format!("secret {name} vanished after a conflict"))),
        Err(e) => Err(e.into()),
    }
}

fn read(conn: &mut AnyConnection, name: &str) -> Result<Option<String>, DbError> {
    Ok(node_secrets::table
        .find(name)
        .select(node_secrets::value)
        .first(conn)
        .optional()?)
}
