//! Registers and their records: what this node can give evidence from, and about whom.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::{register_records, registers};
use super::{AnyConnection, DbError, now_unix};

/// How many rows one INSERT carries during an import.
const IMPORT_BATCH: usize = 500;

pub use once_xml::level::Level;

/// A register id: 1 to 64 characters of a-z 0-9 . _ -, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RegisterId(String);

impl RegisterId {
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for RegisterId {
    type Err = String;

    fn from_str(s: &str) -> Result<RegisterId, String> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(RegisterId(s.to_owned()))
        } else {
            Err(format!(
                "register id {s:?} must be 1 to 64 characters of a-z 0-9 . _ - starting with a letter or digit"
            ))
        }
    }
}

impl std::fmt::Display for RegisterId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks an official area key: a state (2 digits), government district (3), district (5),
/// municipal association (9), municipality AGS (8) or regional key ARS (12).
pub fn check_jurisdiction(key: &str) -> Result<(), String> {
    if matches!(key.len(), 2 | 3 | 5 | 8 | 9 | 12) && key.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "jurisdiction {key:?} is not an official key (2, 3, 5, 8, 9 or 12 digits: state, government district, district, AGS, municipal association, ARS)"
        ))
    }
}

/// A register this node serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Register {
    /// Its id.
    pub id: RegisterId,
    /// Its name, e.g. "Melderegister Bremen".
    pub name: String,
    /// The evidence type classifications it can produce.
    pub evidence_types: Vec<String>,
    /// The level it serves.
    pub level: Level,
    /// The official keys (AGS/ARS, state, district) of the areas it covers.
    pub jurisdictions: Vec<String>,
    /// The legal basis on which it gives evidence.
    pub legal_basis: String,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Last changed (Unix seconds).
    pub updated_at: i64,
    /// Its type in the register map's catalogue (e.g. `melderegister`), if known.
    pub register_type: Option<String>,
    /// Standards it conforms to (e.g. XÖV standard names such as XMeld).
    pub standards: Vec<String>,
}

#[derive(Queryable)]
struct RegisterRow {
    id: String,
    name: String,
    evidence_types: String,
    level: String,
    jurisdictions: String,
    legal_basis: String,
    created_at: i64,
    updated_at: i64,
    register_type: Option<String>,
    standards: String,
}

impl RegisterRow {
    fn into_register(self) -> Result<Register, DbError> {
        let corrupt = |what: String| DbError::Corrupt(format!("register {}: {what}", self.id));
        Ok(Register {
            id: self.id.parse().map_err(corrupt)?,
            level: self.level.parse().map_err(corrupt)?,
            name: self.name,
            evidence_types: split_words(&self.evidence_types),
            jurisdictions: split_words(&self.jurisdictions),
            legal_basis: self.legal_basis,
            created_at: self.created_at,
            updated_at: self.updated_at,
            register_type: self.register_type,
            standards: split_words(&self.standards),
        })
    }
}

fn split_words(s: &str) -> Vec<String> {
    s.split_whitespace().map(ToOwned::to_owned).collect()
}

/// Why a register could not be changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// A register with this id exists already.
    #[error("a register with id {0} exists already")]
    Exists(RegisterId),
    /// No register has this id.
    #[error("no register has id {0}; `once register list` shows the registers")]
    Unknown(RegisterId),
    /// A text of the register holds a character XML does not allow (it is published in the
    /// register map's descriptor).
    #[error(transparent)]
    Text(#[from] once_xml::text::InvalidText),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RegisterError {
    fn from(e: diesel::result::Error) -> Self {
        RegisterError::Db(e.into())
    }
}

/// Adds a register. Its texts go into the signed descriptor the node publishes: the name, type
/// and standards must be single lines of XML characters, the legal basis may run over lines.
pub fn add(conn: &mut AnyConnection, register: &Register) -> Result<(), RegisterError> {
    use once_xml::text::{check_line, check_lines};
    check_line("name", &register.name)?;
    check_lines("legal_basis", &register.legal_basis)?;
    if let Some(register_type) = &register.register_type {
        check_line("register_type", register_type)?;
    }
    for standard in &register.standards {
        check_line("standards", standard)?;
    }
    let inserted = diesel::insert_into(registers::table)
        .values((
            registers::id.eq(register.id.as_str()),
            registers::name.eq(&register.name),
            registers::evidence_types.eq(register.evidence_types.join(" ")),
            registers::level.eq(register.level.as_str()),
            registers::jurisdictions.eq(register.jurisdictions.join(" ")),
            registers::legal_basis.eq(&register.legal_basis),
            registers::created_at.eq(register.created_at),
            registers::updated_at.eq(register.updated_at),
            registers::register_type.eq(&register.register_type),
            registers::standards.eq(register.standards.join(" ")),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(RegisterError::Exists(register.id.clone())),
        Err(e) => Err(DbError::from(e).into()),
    }
}

/// All registers, by id.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<Register>, DbError> {
    registers::table
        .order(registers::id)
        .load::<RegisterRow>(conn)?
        .into_iter()
        .map(RegisterRow::into_register)
        .collect()
}

/// One register.
pub fn find(conn: &mut AnyConnection, id: &RegisterId) -> Result<Option<Register>, DbError> {
    registers::table
        .find(id.as_str())
        .first::<RegisterRow>(conn)
        .optional()?
        .map(RegisterRow::into_register)
        .transpose()
}

/// The registers that produce an evidence type.
pub fn for_evidence_type(
    conn: &mut AnyConnection,
    classification: &str,
) -> Result<Vec<Register>, DbError> {
    Ok(list(conn)?
        .into_iter()
        .filter(|r| r.evidence_types.iter().any(|t| t == classification))
        .collect())
}

/// Removes a register and all its records.
pub fn remove(conn: &mut AnyConnection, id: &RegisterId) -> Result<u64, RegisterError> {
    conn.transaction(|conn| {
        let records = diesel::delete(
            register_records::table.filter(register_records::register_id.eq(id.as_str())),
        )
        .execute(conn)?;
        let removed = diesel::delete(registers::table.find(id.as_str())).execute(conn)?;
        if removed == 0 {
            return Err(RegisterError::Unknown(id.clone()));
        }
        Ok(records as u64)
    })
}

/// The number of records in a register.
pub fn record_count(conn: &mut AnyConnection, id: &RegisterId) -> Result<i64, DbError> {
    Ok(register_records::table
        .filter(register_records::register_id.eq(id.as_str()))
        .count()
        .get_result(conn)?)
}

/// A person's record in a register.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = register_records)]
pub struct Record {
    /// The register.
    pub register_id: String,
    /// The record's key in the register (the identification number when there is one).
    pub record_key: String,
    /// The German tax identification number, 11 digits.
    pub tax_id: Option<String>,
    /// Family name as registered.
    pub family_name: String,
    /// Given name(s) as registered.
    pub given_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// `family|given|date` normalised, see [`crate::exchange::matching::match_key`].
    pub match_key: String,
    /// The other fields, a JSON object of strings.
    pub data: String,
}

impl Record {
    /// The other fields of the record.
    pub fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(&self.data) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// How an import treats the records already in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Add the records; a record key already present is an error and nothing is imported.
    Append,
    /// Replace all records of the register by the imported ones.
    Replace,
}

/// Writes records to a register in one transaction: all or nothing. A record key or
/// identification number already present is reported as [`DbError::Conflict`].
pub fn import(
    conn: &mut AnyConnection,
    id: &RegisterId,
    records: &[Record],
    mode: ImportMode,
) -> Result<(), RegisterError> {
    conn.transaction(|conn| {
        let exists = registers::table
            .find(id.as_str())
            .count()
            .get_result::<i64>(conn)?;
        if exists == 0 {
            return Err(RegisterError::Unknown(id.clone()));
        }
        if mode == ImportMode::Replace {
            diesel::delete(
                register_records::table.filter(register_records::register_id.eq(id.as_str())),
            )
            .execute(conn)?;
        }
        for batch in records.chunks(IMPORT_BATCH) {
            // Multi-row INSERTs are backend-specific in diesel, hence the match.
            let inserted = match conn {
                AnyConnection::Sqlite(c) => diesel::insert_into(register_records::table)
                    .values(batch)
                    .execute(c),
                AnyConnection::Postgresql(c) => diesel::insert_into(register_records::table)
                    .values(batch)
                    .execute(c),
            };
            match inserted {
                Ok(_) => {}
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    info,
                )) => {
                    return Err(RegisterError::Db(DbError::Conflict(format!(
                        "a record with the same key or identification number is already in register {id} ({}); import with --replace to replace the register's records",
                        info.message()
                    ))));
                }
                Err(e) => return Err(DbError::from(e).into()),
            }
        }
        diesel::update(registers::table.find(id.as_str()))
            .set(registers::updated_at.eq(now_unix()))
            .execute(conn)?;
        Ok(())
    })
}

/// The records of a register with this identification number (at most one).
pub fn by_tax_id(
    conn: &mut AnyConnection,
    register: &RegisterId,
    tax_id: &str,
) -> Result<Option<Record>, DbError> {
    Ok(register_records::table
        .filter(register_records::register_id.eq(register.as_str()))
        .filter(register_records::tax_id.eq(tax_id))
        .first::<Record>(conn)
        .optional()?)
}

/// Up to `limit` records of a register with this match key.
pub fn by_match_key(
    conn: &mut AnyConnection,
    register: &RegisterId,
    key: &str,
    limit: i64,
) -> Result<Vec<Record>, DbError> {
    Ok(register_records::table
        .filter(register_records::register_id.eq(register.as_str()))
        .filter(register_records::match_key.eq(key))
        .limit(limit)
        .load::<Record>(conn)?)
}
