//! `src/schema.rs` declares exactly what the migrations create, on each backend: the same
//! tables, primary keys, columns, diesel SQL types and nullability. A column added to a
//! migration and not to `schema.rs` (or the other way round) fails here, naming it.

use once_store::testing::Backend;
use once_store::testing::schema::assert_migrations_match;

const SCHEMA_RS: &str = include_str!("../src/schema.rs");

#[test]
fn sqlite_migrations_match_schema_rs() {
    assert_migrations_match(
        &once_registry_map::db::MIGRATIONS,
        Backend::Sqlite,
        SCHEMA_RS,
    );
}

#[test]
fn postgres_migrations_match_schema_rs() {
    assert_migrations_match(
        &once_registry_map::db::MIGRATIONS,
        Backend::Postgres,
        SCHEMA_RS,
    );
}
