//! Access rules, default deny: a requester member may receive an evidence type for a procedure on
//! a legal basis only if a rule says so.

use diesel::prelude::*;
use serde::Serialize;

use super::schema::access_rules;
use super::{AnyConnection, DbError, now_unix};

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable, Serialize)]
#[diesel(table_name = access_rules)]
pub struct AccessRule {
    /// Rule id.
    pub id: String,
    /// The requesting member id.
    pub requester: String,
    /// The evidence type classification.
    pub evidence_type: String,
    /// The procedure the evidence is for.
    pub procedure: String,
    /// The legal basis the requester names.
    pub legal_basis: String,
    /// Created (Unix seconds).
    pub created_at: i64,
}

/// Why a rule could not be changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A field is empty or too long.
    #[error("{0} must be 1 to 512 characters")]
    BadField(&'static str),
    /// The same rule exists already.
    #[error("the same rule exists already (id {0})")]
    Exists(String),
    /// No rule has this id.
    #[error("no rule has id {0}; `once rules list` shows the rules")]
    Unknown(String),
    /// A field holds a character XML does not allow, or more than one line (it must match the
    /// single-line text of requests).
    #[error(transparent)]
    Text(#[from] once_xml::text::InvalidText),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RuleError {
    fn from(e: diesel::result::Error) -> Self {
        RuleError::Db(e.into())
    }
}

/// Adds a rule and returns it.
pub fn add(
    conn: &mut AnyConnection,
    requester: &str,
    evidence_type: &str,
    procedure: &str,
    legal_basis: &str,
) -> Result<AccessRule, RuleError> {
    for (name, value) in [
        ("requester", requester),
        ("evidence type", evidence_type),
        ("procedure", procedure),
        ("legal basis", legal_basis),
    ] {
        if value.trim().is_empty() || value.len() > 512 {
            return Err(RuleError::BadField(name));
        }
        once_xml::text::check_line(name, value)?;
    }
    let rule = AccessRule {
        id: uuid::Uuid::now_v7().to_string(),
        requester: requester.to_owned(),
        evidence_type: evidence_type.to_owned(),
        procedure: procedure.trim().to_owned(),
        legal_basis: legal_basis.trim().to_owned(),
        created_at: now_unix(),
    };
    match diesel::insert_into(access_rules::table)
        .values(&rule)
        .execute(conn)
    {
        Ok(_) => Ok(rule),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {
            let existing = find(
                conn,
                requester,
                evidence_type,
                &rule.procedure,
                &rule.legal_basis,
            )?
            .map(|r| r.id)
            .unwrap_or_default();
            Err(RuleError::Exists(existing))
        }
        Err(e) => Err(e.into()),
    }
}

/// All rules, oldest first.
pub fn list(conn: &mut AnyConnection) -> Result<Vec<AccessRule>, DbError> {
    Ok(access_rules::table
        .order(access_rules::created_at)
        .then_order_by(access_rules::id)
        .load(conn)?)
}

/// Removes a rule.
pub fn remove(conn: &mut AnyConnection, id: &str) -> Result<(), RuleError> {
    let removed = diesel::delete(access_rules::table.find(id)).execute(conn)?;
    if removed == 0 {
        return Err(RuleError::Unknown(id.to_owned()));
    }
    Ok(())
}

/// The rule that allows this exchange, if there is one.
pub fn find(
    conn: &mut AnyConnection,
    requester: &str,
    evidence_type: &str,
    procedure: &str,
    legal_basis: &str,
) -> Result<Option<AccessRule>, DbError> {
    Ok(access_rules::table
        .filter(access_rules::requester.eq(requester))
        .filter(access_rules::evidence_type.eq(evidence_type))
        .filter(access_rules::procedure.eq(procedure.trim()))
        .filter(access_rules::legal_basis.eq(legal_basis.trim()))
        .first(conn)
        .optional()?)
}
