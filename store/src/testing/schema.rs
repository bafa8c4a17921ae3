//! The drift check: do the tables a service's migrations create match what its `schema.rs`
//! declares? Both sides are reduced to a [`Schema`] (tables, their primary keys, and each
//! column's diesel SQL type and nullability) and compared; [`assert_matches`] fails naming every
//! difference.
//!
//! The migrated side is read from the database itself (SQLite's `pragma_table_info`,
//! PostgreSQL's `information_schema`), with the types mapped to diesel's as `diesel
//! print-schema` maps them. The declared side is parsed from the text of `schema.rs` (as
//! `diesel print-schema` writes it: `diesel::table! { name (key, …) { column -> Type, … } }`).

use std::collections::BTreeMap;
use std::fmt;

use diesel::sql_types::{BigInt, Integer, Text};
use diesel::{PgConnection, QueryableByName, RunQueryDsl, SqliteConnection};

use super::{Backend, FreshDatabase};
use crate::{AnyConnection, DbError, Migrations};

/// Tables by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema(pub BTreeMap<String, Table>);

/// One table: its primary key columns (in key order) and its columns by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// The columns by name.
    pub columns: BTreeMap<String, Column>,
}

/// A column's diesel SQL type (the name shared by both backends: `Text`, `BigInt`, `Binary`…)
/// and whether it may be NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The diesel SQL type, without `Nullable`.
    pub sql_type: String,
    /// `Nullable<…>` in diesel, no `NOT NULL` in SQL.
    pub nullable: bool,
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nullable {
            write!(f, "Nullable<{}>", self.sql_type)
        } else {
            f.write_str(&self.sql_type)
        }
    }
}

/// Tables of diesel's own, not the service's.
const IGNORED_TABLES: [&str; 1] = ["__diesel_schema_migrations"];

/// Runs `migrations` on a fresh database of `backend` and fails, listing every difference,
/// unless it has exactly the tables and columns that `schema_rs` (the text of the service's
/// `schema.rs`) declares.
pub fn assert_migrations_match(migrations: &Migrations, backend: Backend, schema_rs: &str) {
    let database = FreshDatabase::create(backend, migrations);
    let mut conn = database.pool.get().expect("a connection");
    assert_matches(&mut conn, schema_rs);
}

/// Fails, listing every difference, unless the migrated database behind `conn` has exactly the
/// tables and columns that `schema_rs` (the text of a `schema.rs`) declares.
pub fn assert_matches(conn: &mut AnyConnection, schema_rs: &str) {
    let declared = declared(schema_rs).unwrap_or_else(|e| panic!("schema.rs: {e}"));
    let migrated = migrated(conn).expect("reading the migrated tables");
    assert!(
        !migrated.0.is_empty(),
        "the migrations created no table: is the connection the migrated database?"
    );
    let differences = differences(&migrated, &declared);
    assert!(
        differences.is_empty(),
        "schema.rs does not match the migrations ({conn:?}); run `diesel print-schema` and \
         compare:\n  {}",
        differences.join("\n  ")
    );
}

/// What the migrations made and `schema.rs` does not say, or says otherwise, one line each.
pub fn differences(migrated: &Schema, declared: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (name, table) in &migrated.0 {
        let Some(other) = declared.0.get(name) else {
            out.push(format!("table {name}: in the migrations, not in schema.rs"));
            continue;
        };
        if table.primary_key != other.primary_key {
            out.push(format!(
                "table {name}: primary key ({}) in the migrations, ({}) in schema.rs",
                table.primary_key.join(", "),
                other.primary_key.join(", ")
            ));
        }
        for (column, migrated) in &table.columns {
            match other.columns.get(column) {
                None => out.push(format!(
                    "{name}.{column}: in the migrations ({migrated}), not in schema.rs"
                )),
                Some(declared) if declared != migrated => out.push(format!(
                    "{name}.{column}: {migrated} in the migrations, {declared} in schema.rs"
                )),
                Some(_) => {}
            }
        }
        for column in other.columns.keys() {
            if !table.columns.contains_key(column) {
                out.push(format!(
                    "{name}.{column}: in schema.rs, not in the migrations"
                ));
            }
        }
    }
    for name in declared.0.keys() {
        if !migrated.0.contains_key(name) {
            out.push(format!("table {name}: in schema.rs, not in the migrations"));
        }
    }
    out
}

/// The tables `schema_rs` declares.
pub fn declared(schema_rs: &str) -> Result<Schema, String> {
    let mut schema = Schema::default();
    let mut lines = schema_rs.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        if !matches!(line.trim(), "diesel::table! {" | "table! {") {
            continue;
        }
        let (at, head) = lines
            .by_ref()
            .find(|(_, l)| !l.trim().is_empty() && !l.trim().starts_with("#["))
            .ok_or("a table! without a table")?;
        let (name, primary_key) = table_head(head.trim())
            .ok_or_else(|| format!("line {}: expected `name (key, …) {{`", at + 1))?;
        let mut table = Table {
            primary_key,
            columns: BTreeMap::new(),
        };
        for (at, line) in lines.by_ref() {
            let line = line.trim();
            if line == "}" {
                break;
            }
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            if line.starts_with("#[") {
                return Err(format!(
                    "line {}: attributes ({line}) are not understood by this check",
                    at + 1
                ));
            }
            let (column, sql_type) = line
                .trim_end_matches(',')
                .split_once("->")
                .ok_or_else(|| format!("line {}: expected `column -> Type,`", at + 1))?;
            table
                .columns
                .insert(column.trim().to_owned(), declared_type(sql_type.trim()));
        }
        schema.0.insert(name, table);
    }
    Ok(schema)
}

/// `api_keys (id) {` → ("api_keys", ["id"]).
fn table_head(head: &str) -> Option<(String, Vec<String>)> {
    let head = head.strip_suffix('{')?.trim();
    let (name, key) = head.split_once('(')?;
    let key = key.trim().strip_suffix(')')?;
    let key = key.split(',').map(|c| c.trim().to_owned()).collect();
    Some((name.trim().to_owned(), key))
}

/// `Nullable<diesel::sql_types::BigInt>` → BigInt, nullable.
fn declared_type(text: &str) -> Column {
    let text = text
        .replace("diesel::sql_types::", "")
        .replace("sql_types::", "");
    let (inner, nullable) = match text
        .strip_prefix("Nullable<")
        .and_then(|t| t.strip_suffix('>'))
    {
        Some(inner) => (inner.trim().to_owned(), true),
        None => (text, false),
    };
    Column {
        sql_type: canonical(&inner).to_owned(),
        nullable,
    }
}

/// Diesel's aliases, by the name both backends share.
fn canonical(sql_type: &str) -> &str {
    match sql_type {
        "Int8" | "BigSerial" => "BigInt",
        "Int4" | "Serial" => "Integer",
        "Int2" | "SmallSerial" => "SmallInt",
        "Bytea" | "Blob" => "Binary",
        "VarChar" | "Varchar" => "Text",
        "Float8" => "Double",
        "Float4" => "Float",
        "Bool" | "Boolean" => "Bool",
        other => other,
    }
}

/// The tables the migrations created in the database behind `conn`.
pub fn migrated(conn: &mut AnyConnection) -> Result<Schema, DbError> {
    let rows = match conn {
        AnyConnection::Sqlite(conn) => sqlite_columns(conn)?,
        AnyConnection::Postgresql(conn) => postgres_columns(conn)?,
    };
    let mut schema = Schema::default();
    let mut keys: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for row in rows {
        if IGNORED_TABLES.contains(&row.table_name.as_str()) {
            continue;
        }
        if row.key_position > 0 {
            keys.entry(row.table_name.clone())
                .or_default()
                .push((row.key_position, row.column_name.clone()));
        }
        schema.0.entry(row.table_name).or_default().columns.insert(
            row.column_name,
            Column {
                sql_type: row.sql_type,
                nullable: row.nullable != 0,
            },
        );
    }
    for (name, mut key) in keys {
        key.sort();
        if let Some(table) = schema.0.get_mut(&name) {
            table.primary_key = key.into_iter().map(|(_, column)| column).collect();
        }
    }
    Ok(schema)
}

/// A column as the database describes it, its type already diesel's.
struct MigratedColumn {
    table_name: String,
    column_name: String,
    sql_type: String,
    nullable: i32,
    /// 1-based position in the primary key, 0 if not part of it.
    key_position: i32,
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    declared_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    key_position: i32,
}

fn sqlite_columns(conn: &mut SqliteConnection) -> Result<Vec<MigratedColumn>, DbError> {
    let rows: Vec<SqliteColumn> = diesel::sql_query(
        "SELECT m.name AS table_name, c.name AS column_name, c.type AS declared_type, \
                c.\"notnull\" AS not_null, c.pk AS key_position \
         FROM sqlite_master AS m, pragma_table_info(m.name) AS c \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
         ORDER BY m.name, c.cid",
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|c| MigratedColumn {
            sql_type: sqlite_type(&c.declared_type).to_owned(),
            // A primary key column is never NULL in diesel's eyes (INTEGER PRIMARY KEY is the
            // rowid).
            nullable: i32::from(c.not_null == 0 && c.key_position == 0),
            table_name: c.table_name,
            column_name: c.column_name,
            key_position: c.key_position,
        })
        .collect())
}

/// A SQLite column's declared type as diesel's (the rules of `diesel print-schema`, after
/// SQLite's type affinity).
fn sqlite_type(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("bool") {
        "Bool"
    } else if t.contains("smallint") || t.contains("int2") {
        "SmallInt"
    } else if t.contains("bigint") || t.contains("int8") {
        "BigInt"
    } else if t.contains("int") {
        "Integer"
    } else if t.contains("char") || t.contains("clob") || t.contains("text") {
        "Text"
    } else if t.contains("blob") || t.is_empty() {
        "Binary"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
        "Double"
    } else if t == "datetime" || t == "timestamp" {
        "Timestamp"
    } else if t == "date" {
        "Date"
    } else if t == "time" {
        "Time"
    } else {
        "Numeric"
    }
}

#[derive(QueryableByName)]
struct PostgresColumn {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
    #[diesel(sql_type = BigInt)]
    key_position: i64,
}

fn postgres_columns(conn: &mut PgConnection) -> Result<Vec<MigratedColumn>, DbError> {
    let rows: Vec<PostgresColumn> = diesel::sql_query(
        "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                c.udt_name::text AS udt_name, \
                CASE WHEN c.is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable, \
                COALESCE(( \
                  SELECT k.ordinal_position::bigint \
                  FROM information_schema.table_constraints AS t \
                  JOIN information_schema.key_column_usage AS k \
                    ON k.constraint_schema = t.constraint_schema \
                   AND k.constraint_name = t.constraint_name \
                  WHERE t.constraint_type = 'PRIMARY KEY' \
                    AND t.table_schema = c.table_schema AND t.table_name = c.table_name \
                    AND k.column_name = c.column_name), 0) AS key_position \
         FROM information_schema.columns AS c \
         WHERE c.table_schema = current_schema() \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|c| MigratedColumn {
            sql_type: postgres_type(&c.udt_name),
            table_name: c.table_name,
            column_name: c.column_name,
            nullable: c.nullable,
            key_position: i32::try_from(c.key_position).unwrap_or(i32::MAX),
        })
        .collect())
}

/// A PostgreSQL column's type (`udt_name`) as diesel's.
fn postgres_type(udt_name: &str) -> String {
    match udt_name {
        "int8" => "BigInt",
        "int4" => "Integer",
        "int2" => "SmallInt",
        "text" | "varchar" | "bpchar" | "name" => "Text",
        "bytea" => "Binary",
        "bool" => "Bool",
        "float8" => "Double",
        "float4" => "Float",
        "timestamp" => "Timestamp",
        "timestamptz" => "Timestamptz",
        "date" => "Date",
        "time" => "Time",
        "numeric" => "Numeric",
        "uuid" => "Uuid",
        "json" => "Json",
        "jsonb" => "Jsonb",
        other => return format!("unknown PostgreSQL type {other}"),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA_RS: &str = "// @generated automatically by Diesel CLI.

diesel::table! {
    things (owner, id) {
        owner -> Text,
        id -> diesel::sql_types::Int8,
        note -> Nullable<Text>,
        body -> Bytea,
    }
}
";

    fn column(sql_type: &str, nullable: bool) -> Column {
        Column {
            sql_type: sql_type.into(),
            nullable,
        }
    }

    #[test]
    fn reads_schema_rs_as_print_schema_writes_it() {
        let schema = declared(SCHEMA_RS).expect("parses");
        let things = &schema.0["things"];
        assert_eq!(things.primary_key, ["owner", "id"]);
        assert_eq!(things.columns["id"], column("BigInt", false));
        assert_eq!(things.columns["note"], column("Text", true));
        assert_eq!(things.columns["body"], column("Binary", false));
        assert!(declared("diesel::table! {\n t (id) {\n #[sql_name = \"x\"]\n").is_err());
    }

    #[test]
    fn names_every_difference() {
        let declared = declared(SCHEMA_RS).expect("parses");
        let mut migrated = declared.clone();
        let things = migrated.0.get_mut("things").expect("table");
        things
            .columns
            .insert("added".into(), column("BigInt", true));
        things.columns.insert("note".into(), column("Text", false));
        things.columns.remove("body");
        things.primary_key = vec!["id".into()];
        migrated.0.insert("extra".into(), Table::default());
        let found = differences(&migrated, &declared);
        assert_eq!(
            found,
            [
                "table extra: in the migrations, not in schema.rs",
                "table things: primary key (id) in the migrations, (owner, id) in schema.rs",
                "things.added: in the migrations (Nullable<BigInt>), not in schema.rs",
                "things.note: Text in the migrations, Nullable<Text> in schema.rs",
                "things.body: in schema.rs, not in the migrations",
            ]
        );
        assert!(differences(&declared, &declared).is_empty());
    }

    #[test]
    fn maps_sqlite_types_as_diesel_does() {
        assert_eq!(sqlite_type("BIGINT"), "BigInt");
        assert_eq!(sqlite_type("INTEGER"), "Integer");
        assert_eq!(sqlite_type("TEXT"), "Text");
        assert_eq!(sqlite_type("BLOB"), "Binary");
        assert_eq!(sqlite_type("BOOLEAN"), "Bool");
        assert_eq!(postgres_type("int8"), "BigInt");
        assert_eq!(postgres_type("bytea"), "Binary");
    }
}
