//! Storage of the node: the models with their queries, over the shared plumbing of
//! [`once_store`] (one connection type for SQLite and PostgreSQL, the pool, [`run`]).
//!
//! All SQL lives below this module.

pub mod api_keys;
pub mod as4;
pub mod log;
pub mod maintenance;
pub mod previews;
pub mod registers;
pub mod replay;
pub mod rules;
pub mod schema;
pub mod secrets;

use std::time::Duration;

use diesel_migrations::{EmbeddedMigrations, embed_migrations};
pub use once_store::{
    AnyConnection, ConnectionManager, DatabaseUrl, DbConn, DbError, DbPool, mask_password,
    now_unix, ping, run,
};

/// The node's migrations.
pub const MIGRATIONS: once_store::Migrations = once_store::Migrations {
    sqlite: || SQLITE,
    postgres: || POSTGRES,
    lock_key: 0x6f6e_6365_6d69_6772, // "oncemigr"
};
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Opens the node's pool and runs pending migrations. A database that cannot be reached fails
/// here, at start-up, with the reason.
pub fn open(url: &str, size: u32, timeout: Duration) -> Result<DbPool, DbError> {
    once_store::open(url, size, timeout, &MIGRATIONS)
}
