//! Storage plumbing shared by the node and the register map: diesel over SQLite (the embedded
//! default) or PostgreSQL (production), one connection pool, each service's migrations embedded
//! per backend and run at start-up.
//!
//! Every database call goes through [`run`], which moves a pooled connection onto tokio's
//! blocking pool, so diesel never runs on an actix worker thread.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

#[cfg(feature = "testing")]
pub mod testing;

/// A service's migrations, one set per backend, and the advisory-lock key under which they run
/// on PostgreSQL (so that replicas starting at once run them one at a time).
#[derive(Clone, Copy)]
pub struct Migrations {
    /// SQLite migrations (a function returning `embed_migrations!("migrations/sqlite")`).
    pub sqlite: fn() -> EmbeddedMigrations,
    /// PostgreSQL migrations (a function returning `embed_migrations!("migrations/postgres")`).
    pub postgres: fn() -> EmbeddedMigrations,
    /// The advisory-lock key; distinct per service.
    pub lock_key: i64,
}

impl std::fmt::Debug for Migrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrations")
            .field("lock_key", &self.lock_key)
            .finish_non_exhaustive()
    }
}

/// A connection to either backend.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL (production).
    Postgresql(PgConnection),
    /// SQLite (embedded default).
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for AnyConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnyConnection::Postgresql(_) => "AnyConnection::Postgresql",
            AnyConnection::Sqlite(_) => "AnyConnection::Sqlite",
        })
    }
}

/// The pool of database connections.
pub type DbPool = Pool<ConnectionManager>;

/// A connection taken from the pool.
pub type DbConn = PooledConnection<ConnectionManager>;

/// Storage errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// No connection could be had in time (pool exhausted or database down).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// Migrations failed.
    #[error("database migrations failed: {0}")]
    Migration(String),
    /// The blocking task failed (it panicked or was cancelled).
    #[error("database task failed: {0}")]
    Task(String),
    /// A stored value is not what this version of the node wrote.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// A write conflicts with data already stored.
    #[error("{0}")]
    Conflict(String),
}

/// Where the data is: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://FILE` or a plain path is
    /// SQLite.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("must name a SQLite file or a postgres:// URL".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        if let Some(file) = url.strip_prefix("sqlite://") {
            if file.is_empty() {
                return Err("sqlite:// needs a file name".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(file)));
        }
        if url.contains("://") {
            return Err(format!(
                "unsupported scheme in {:?}; use a SQLite file or a postgres:// URL",
                mask_password(url)
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(url)))
    }
}

/// Replaces the password in a URL by `***`, for logs and debug output.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Creates connections of the right backend for a [`DatabaseUrl`], and sets SQLite up for
/// concurrent use (WAL, busy timeout, foreign keys).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<AnyConnection, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                PgConnection::establish(url).map(AnyConnection::Postgresql)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.display().to_string())?;
                // WAL with synchronous NORMAL: a commit survives a crash of the process (what
                // the crash tests check); the WAL is checkpointed every 4000 pages (16 MiB)
                // rather than 1000, so pages written again and again (the log's lock row, index
                // pages) are copied once per checkpoint, not four times.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = 4000; PRAGMA cache_size = -16000;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), diesel::ConnectionError> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(|_| ())
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

/// Creates a new SQLite file readable by its owner only (it holds personal data and keys);
/// SQLite gives its journal files the same mode. An existing file is left as it is.
fn create_private(path: &std::path::Path) -> Result<(), DbError> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(DbError::Unavailable(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// Opens the pool and runs pending migrations. A database that cannot be reached fails here,
/// at start-up, with the reason.
pub fn open(
    url: &str,
    size: u32,
    timeout: Duration,
    migrations: &Migrations,
) -> Result<DbPool, DbError> {
    let url = DatabaseUrl::parse(url).map_err(DbError::Unavailable)?;
    if let DatabaseUrl::Sqlite(path) = &url
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.is_dir()
    {
        return Err(DbError::Unavailable(format!(
            "directory {} does not exist",
            parent.display()
        )));
    }
    if let DatabaseUrl::Sqlite(path) = &url {
        create_private(path)?;
    }
    // A PostgreSQL connection can break (server restart, network); a SQLite one cannot, so only
    // PostgreSQL connections are tested (`SELECT 1`) when taken from the pool.
    let remote = matches!(url, DatabaseUrl::Postgres(_));
    let pool = Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(remote)
        .error_handler(Box::new(r2d2::LoggingErrorHandler))
        .build_unchecked(ConnectionManager { url });
    let mut conn = pool
        .get()
        .map_err(|e| DbError::Unavailable(e.to_string()))?;
    migrate(&mut conn, migrations)?;
    Ok(pool)
}

fn migrate(conn: &mut AnyConnection, migrations: &Migrations) -> Result<(), DbError> {
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| DbError::Migration(e.to_string());
    match conn {
        AnyConnection::Sqlite(conn) => {
            conn.run_pending_migrations((migrations.sqlite)())
                .map_err(failed)?;
        }
        AnyConnection::Postgresql(conn) => {
            let key = migrations.lock_key;
            diesel::sql_query(format!("SELECT pg_advisory_lock({key})")).execute(conn)?;
            let result = conn
                .run_pending_migrations((migrations.postgres)())
                .map(|_| ());
            diesel::sql_query(format!("SELECT pg_advisory_unlock({key})")).execute(conn)?;
            result.map_err(failed)?;
        }
    }
    Ok(())
}

/// Runs `f` with a pooled connection on the blocking pool. Pool exhaustion or an unreachable
/// database is [`DbError::Unavailable`] after the pool's timeout, never a hang.
pub async fn run<T, F>(pool: &DbPool, f: F) -> Result<T, DbError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| DbError::Task(e.to_string()))?
}

/// Checks that the database answers.
pub fn ping(conn: &mut AnyConnection) -> Result<(), DbError> {
    diesel::sql_query("SELECT 1").execute(conn)?;
    Ok(())
}

/// The current time as Unix seconds, the way timestamps are stored.
pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_backends_apart() {
        assert_eq!(
            DatabaseUrl::parse("node.db"),
            Ok(DatabaseUrl::Sqlite("node.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/once/node.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/once/node.db".into()))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(DatabaseUrl::parse("mysql://u:p@h/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_password("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(mask_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(mask_password("node.db"), "node.db");
    }
}
