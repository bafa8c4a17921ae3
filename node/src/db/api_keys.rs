//! API keys of the authority's application services. The secret is shown once, when the key is
//! created; only its SHA-256 digest is stored (the secret has 256 bits of entropy, so a slow
//! password hash would add nothing).

use base64::Engine;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::schema::api_keys;
use super::{AnyConnection, DbError, now_unix};

/// The text every key starts with, so that leaked keys are easy to find by scanners.
const KEY_PREFIX: &str = "once_";

/// How often `last_used_at` is written at most, in seconds.
const LAST_USED_RESOLUTION_SECONDS: i64 = 60;

/// A stored API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    /// Key id.
    pub id: String,
    /// The name given by the operator (e.g. the application service's name).
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    #[serde(skip)]
    secret_sha256: String,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Last used (Unix seconds, to the minute).
    pub last_used_at: Option<i64>,
    /// Revoked (Unix seconds).
    pub revoked_at: Option<i64>,
}

/// Why a key could not be created or revoked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The name is empty or too long.
    #[error("an API key name must be 1 to 64 characters of A-Z a-z 0-9 . _ -")]
    BadName,
    /// A key with this name exists already.
    #[error("an API key named {0:?} exists already")]
    NameTaken(String),
    /// No key has this name.
    #[error("no API key is named {0:?}")]
    UnknownName(String),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key; returns it and the secret, which is never stored and cannot be shown again.
pub fn create(conn: &mut AnyConnection, name: &str) -> Result<(ApiKey, String), ApiKeyError> {
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(ApiKeyError::BadName);
    }
    let random: [u8; 32] = rand::random();
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random);
    let secret = format!("{KEY_PREFIX}{body}");
    let key = ApiKey {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_owned(),
        prefix: secret[..KEY_PREFIX.len() + 6].to_owned(),
        secret_sha256: digest(&secret),
        created_at: now_unix(),
        last_used_at: None,
        revoked_at: None,
    };
    let inserted = diesel::insert_into(api_keys::table)
        .values((
            api_keys::id.eq(&key.id),
            api_keys::name.eq(&key.name),
            api_keys::prefix.eq(&key.prefix),
            api_keys::secret_sha256.eq(&key.secret_sha256),
            api_keys::created_at.eq(key.created_at),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok((key, secret)),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(ApiKeyError::NameTaken(name.to_owned())),
        Err(e) => Err(DbError::from(e).into()),
    }
}

/// The key a secret belongs to, if it exists and is not revoked. Records the use.
pub fn authenticate(conn: &mut AnyConnection, secret: &str) -> Result<Option<ApiKey>, DbError> {
    if !secret.starts_with(KEY_PREFIX) {
        return Ok(None);
    }
    let found = api_keys::table
        .filter(api_keys::secret_sha256.eq(digest(secret)))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?;
    if let Some(key) = &found {
        let now = now_unix();
        if key
            .last_used_at
            .is_none_or(|t| now - t >= LAST_USED_RESOLUTION_SECONDS)
        {
            diesel::update(api_keys::table.find(&key.id))
                .set(api_keys::last_used_at.eq(now))
                .execute(conn)?;
        }
    }
    Ok(found)
}

/// Every key, oldest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<ApiKey>, DbError> {
    Ok(api_keys::table
        .order(api_keys::created_at.asc())
        .select(ApiKey::as_select())
        .load(conn)?)
}

/// Revokes the key with this name; from then on it is refused.
pub fn revoke(conn: &mut AnyConnection, name: &str) -> Result<(), ApiKeyError> {
    let changed = diesel::update(
        api_keys::table
            .filter(api_keys::name.eq(name))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(now_unix()))
    .execute(conn)
    .map_err(DbError::from)?;
    if changed == 0 {
        return Err(ApiKeyError::UnknownName(name.to_owned()));
    }
    Ok(())
}
