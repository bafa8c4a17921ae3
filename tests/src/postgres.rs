//! A fresh PostgreSQL database per test, dropped afterwards.
//!
//! The server is `ONCE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! the local server with trust authentication).

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The administrative connection URL.
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
    /// Creates `once_test_<random>`.
    pub fn create() -> anyhow::Result<TestDatabase> {
        let admin = admin_url();
        let mut conn = PgConnection::establish(&admin).map_err(|e| {
            anyhow::anyhow!(
                "PostgreSQL at {admin} is needed for this test ({e}); start it or set ONCE_TEST_POSTGRES"
            )
        })?;
        let name = format!("once_test_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn)?;
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
