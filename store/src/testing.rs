//! Test support for the services' storage (feature `testing`, for dev-dependencies only): a
//! fresh PostgreSQL database per test, and the check that a service's `schema.rs` declares what
//! its migrations create.

pub mod schema;

use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::{DbPool, Migrations};

/// The storage backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh PostgreSQL database, dropped afterwards.
    Postgres,
}

impl Backend {
    /// Both backends, for tests that must pass on each.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// A fresh, migrated database of a service on `backend`; it is removed when this is dropped.
#[derive(Debug)]
pub struct FreshDatabase {
    /// The pool, with `migrations` run.
    pub pool: DbPool,
    _dir: Option<tempfile::TempDir>,
    _database: Option<TestDatabase>,
}

impl FreshDatabase {
    /// Creates the database and runs `migrations` the way the service does at start-up.
    pub fn create(backend: Backend, migrations: &Migrations) -> FreshDatabase {
        let (url, dir, database) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = dir.path().join("test.db").display().to_string();
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let database = TestDatabase::create().unwrap_or_else(|e| panic!("{e}"));
                (database.url().to_owned(), None, Some(database))
            }
        };
        let pool = crate::open(&url, 2, Duration::from_secs(10), migrations)
            .unwrap_or_else(|e| panic!("migrating a fresh {backend:?} database: {e}"));
        FreshDatabase {
            pool,
            _dir: dir,
            _database: database,
        }
    }
}

/// The administrative connection URL: `ONCE_TEST_POSTGRES`, by default the local server with
/// trust authentication (`postgres://postgres@127.0.0.1:5432/postgres`).
pub fn admin_url() -> String {
    std::env::var("ONCE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database created for one test; dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates `once_test_<random>` on the server at [`admin_url`].
    pub fn create() -> Result<TestDatabase, TestDatabaseError> {
        let admin = admin_url();
        let mut conn = PgConnection::establish(&admin).map_err(|e| {
            TestDatabaseError(format!(
                "PostgreSQL at {admin} is needed for this test ({e}); start it or set ONCE_TEST_POSTGRES"
            ))
        })?;
        let name = format!("once_test_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .map_err(|e| TestDatabaseError(format!("creating the test database {name}: {e}")))?;
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .unwrap_or(admin);
        Ok(TestDatabase {
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Why no test database could be created (the server is down, or refused).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TestDatabaseError(String);

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&admin_url()) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}
