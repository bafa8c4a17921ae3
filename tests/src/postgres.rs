//! A fresh PostgreSQL database per test, dropped afterwards: the one the services' own tests use
//! (`once_store::testing`). The server is `ONCE_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`, the local server with trust authentication).

pub use once_store::testing::{TestDatabase, TestDatabaseError, admin_url};
