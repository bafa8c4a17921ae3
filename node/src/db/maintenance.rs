//! Statements about the database as a whole, not about one model: what backups and restores
//! need.

use diesel::result::Error as QueryError;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, QueryResult, QueryableByName, RunQueryDsl};

use super::AnyConnection;

/// Writes a consistent copy of a SQLite database to the new file `target` (`VACUUM INTO`),
/// while other connections keep writing (WAL). Fails if `target` exists, and on PostgreSQL
/// (whose copy `pg_dump` makes).
pub fn vacuum_into(conn: &mut AnyConnection, target: &str) -> QueryResult<()> {
    match conn {
        // The file name is a bound parameter: VACUUM INTO takes any expression.
        AnyConnection::Sqlite(conn) => diesel::sql_query("VACUUM INTO ?")
            .bind::<Text, _>(target)
            .execute(conn)
            .map(drop),
        AnyConnection::Postgresql(_) => Err(QueryError::QueryBuilderError(
            "VACUUM INTO copies SQLite databases only; PostgreSQL is copied with pg_dump".into(),
        )),
    }
}

/// How many tables the database holds outside PostgreSQL's own schemas: 0 for a new, empty
/// database (the only kind a restore writes into).
pub fn table_count(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .get_result(conn)?;
    Ok(count.n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{self, rules};
    use diesel::Connection;
    use once_store::testing::TestDatabase;
    use std::time::Duration;

    #[test]
    fn vacuum_into_copies_a_sqlite_database_and_refuses_an_existing_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let source = dir.path().join("node.db").display().to_string();
        let pool = db::open(&source, 1, Duration::from_secs(5)).expect("database");
        let mut conn = pool.get().expect("connection");
        rules::add(&mut conn, "DE:BUND:a", "urn:t", "P", "§ 1").expect("rule");
        let copy = dir.path().join("it's a copy.db");
        let copy = copy.to_str().expect("utf-8");
        vacuum_into(&mut conn, copy).expect("vacuum into");
        // A second copy to the same file is refused: nothing is overwritten.
        assert!(vacuum_into(&mut conn, copy).is_err());
        drop(conn);

        let pool = db::open(copy, 1, Duration::from_secs(5)).expect("the copy opens");
        let mut conn = pool.get().expect("connection");
        let copied = rules::list(&mut conn).expect("rules");
        assert_eq!(copied.len(), 1, "{copied:?}");
        assert_eq!(copied[0].requester, "DE:BUND:a");
    }

    #[test]
    fn counts_the_tables_of_a_postgresql_database() {
        let database = TestDatabase::create().expect("PostgreSQL");
        let mut conn = PgConnection::establish(database.url()).expect("connect");
        assert_eq!(table_count(&mut conn).expect("count"), 0);
        let pool = db::open(database.url(), 1, Duration::from_secs(5)).expect("migrated");
        let mut migrated = pool.get().expect("connection");
        // The node's tables and diesel's migration table.
        assert!(table_count(&mut conn).expect("count") >= 12);
        // VACUUM INTO is SQLite's: PostgreSQL is told so, not sent it.
        let refused = vacuum_into(&mut migrated, "/tmp/never.db").expect_err("refused");
        assert!(refused.to_string().contains("pg_dump"), "{refused}");
    }
}
