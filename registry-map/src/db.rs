//! Storage of the register map over [`once_store`]: the seed, accepted descriptors with their
//! version history, and exchange counts. The in-memory [`crate::catalogue::Catalogue`] is built
//! from [`load`].

use std::time::Duration;

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use once_store::{AnyConnection, DbError, DbPool};
use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::level::Level;

use crate::model::{
    AreaLevel, Flow, Instancing, Jurisdiction, Member, Register, RegisterType, Source,
};
use crate::schema::{descriptors, flows, jurisdictions, members, register_types, registers};

/// The map's migrations.
pub const MIGRATIONS: once_store::Migrations = once_store::Migrations {
    sqlite: || SQLITE,
    postgres: || POSTGRES,
    lock_key: 0x6f6e_6365_6d61_7070, // "oncemapp"
};
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Rows per INSERT in bulk writes.
const BATCH: usize = 1000;

/// Opens the map's pool and runs pending migrations.
pub fn open(url: &str, size: u32, timeout: Duration) -> Result<DbPool, DbError> {
    once_store::open(url, size, timeout, &MIGRATIONS)
}

/// Inserts rows in batches; multi-row INSERTs are backend-specific in diesel.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for batch in $rows.chunks(BATCH) {
            match $conn {
                AnyConnection::Sqlite(c) => {
                    diesel::insert_into($table).values(batch).execute(c)?;
                }
                AnyConnection::Postgresql(c) => {
                    diesel::insert_into($table).values(batch).execute(c)?;
                }
            }
        }
    }};
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = register_types)]
struct TypeRow {
    code: String,
    name_de: String,
    name_en: String,
    description: String,
    operator_kind: String,
    level: String,
    instancing: String,
    legal_basis: String,
    evidence_types: String,
    standards: String,
    category: String,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = jurisdictions)]
struct AreaRow {
    key: String,
    ars: Option<String>,
    level: String,
    name: String,
    state: String,
    district: Option<String>,
    population: Option<i64>,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = members)]
struct MemberRow {
    id: String,
    name: String,
    contact: Option<String>,
    peer_url: Option<String>,
    tls_fingerprint: Option<String>,
    published_at: Option<i64>,
    sequence: Option<i64>,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = registers)]
struct RegisterRow {
    id: String,
    member: String,
    local_id: String,
    register_type: Option<String>,
    name: String,
    level: String,
    jurisdictions: String,
    evidence_types: String,
    legal_basis: String,
    standards: String,
    record_count: Option<i64>,
    connected: bool,
    source: String,
}

#[derive(Queryable, Insertable)]
#[diesel(table_name = flows)]
struct FlowRow {
    requester: String,
    provider: String,
    evidence_type: String,
    day: String,
    count: i64,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(ToOwned::to_owned).collect()
}

fn level(s: &str) -> Result<Level, DbError> {
    s.parse().map_err(DbError::Corrupt)
}

fn instancing_name(i: Instancing) -> &'static str {
    match i {
        Instancing::Federal => "federal",
        Instancing::PerState => "per_state",
        Instancing::PerDistrict => "per_district",
        Instancing::PerMunicipality => "per_municipality",
    }
}

fn instancing(s: &str) -> Result<Instancing, DbError> {
    Ok(match s {
        "federal" => Instancing::Federal,
        "per_state" => Instancing::PerState,
        "per_district" => Instancing::PerDistrict,
        "per_municipality" => Instancing::PerMunicipality,
        other => return Err(DbError::Corrupt(format!("unknown instancing {other:?}"))),
    })
}

fn area_level_name(l: AreaLevel) -> &'static str {
    match l {
        AreaLevel::State => "state",
        AreaLevel::GovernmentDistrict => "government_district",
        AreaLevel::District => "district",
        AreaLevel::MunicipalAssociation => "municipal_association",
        AreaLevel::Municipality => "municipality",
    }
}

fn area_level(s: &str) -> Result<AreaLevel, DbError> {
    Ok(match s {
        "state" => AreaLevel::State,
        "government_district" => AreaLevel::GovernmentDistrict,
        "district" => AreaLevel::District,
        "municipal_association" => AreaLevel::MunicipalAssociation,
        "municipality" => AreaLevel::Municipality,
        other => return Err(DbError::Corrupt(format!("unknown area level {other:?}"))),
    })
}

fn source_name(s: Source) -> &'static str {
    match s {
        Source::Seed => "seed",
        Source::Published => "published",
    }
}

fn register_row(r: &Register) -> RegisterRow {
    RegisterRow {
        id: r.id.clone(),
        member: r.member.clone(),
        local_id: r.local_id.clone(),
        register_type: r.register_type.clone(),
        name: r.name.clone(),
        level: r.level.as_str().to_owned(),
        jurisdictions: r.jurisdictions.join(" "),
        evidence_types: r.evidence_types.join(" "),
        legal_basis: r.legal_basis.clone(),
        standards: r.standards.join(" "),
        record_count: r.record_count.and_then(|n| i64::try_from(n).ok()),
        connected: r.connected,
        source: source_name(r.source).to_owned(),
    }
}

fn member_row(m: &Member, sequence: Option<i64>) -> MemberRow {
    MemberRow {
        id: m.id.clone(),
        name: m.name.clone(),
        contact: m.contact.clone(),
        peer_url: m.peer_url.clone(),
        tls_fingerprint: m.tls_fingerprint.clone(),
        published_at: m.published_at,
        sequence,
    }
}

/// Everything the map knows.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Register types.
    pub types: Vec<RegisterType>,
    /// Official areas.
    pub areas: Vec<Jurisdiction>,
    /// Members.
    pub members: Vec<Member>,
    /// Registers.
    pub registers: Vec<Register>,
    /// Exchange counts.
    pub flows: Vec<Flow>,
}

/// Reads everything.
pub fn load(conn: &mut AnyConnection) -> Result<Snapshot, DbError> {
    let types = register_types::table
        .order(register_types::code)
        .load::<TypeRow>(conn)?
        .into_iter()
        .map(|t| {
            Ok(RegisterType {
                level: level(&t.level)?,
                instancing: instancing(&t.instancing)?,
                evidence_types: words(&t.evidence_types),
                standards: words(&t.standards),
                code: t.code,
                name_de: t.name_de,
                name_en: t.name_en,
                description: t.description,
                operator_kind: t.operator_kind,
                legal_basis: t.legal_basis,
                category: t.category,
            })
        })
        .collect::<Result<_, DbError>>()?;
    let areas = jurisdictions::table
        .order(jurisdictions::key)
        .load::<AreaRow>(conn)?
        .into_iter()
        .map(|a| {
            Ok(Jurisdiction {
                level: area_level(&a.level)?,
                population: a.population.and_then(|p| u64::try_from(p).ok()),
                key: a.key,
                ars: a.ars,
                name: a.name,
                state: a.state,
                district: a.district,
            })
        })
        .collect::<Result<_, DbError>>()?;
    let members = members::table
        .order(members::id)
        .load::<MemberRow>(conn)?
        .into_iter()
        .map(|m| Member {
            id: m.id,
            name: m.name,
            contact: m.contact,
            peer_url: m.peer_url,
            tls_fingerprint: m.tls_fingerprint,
            published_at: m.published_at,
        })
        .collect();
    let registers = registers::table
        .order(registers::id)
        .load::<RegisterRow>(conn)?
        .into_iter()
        .map(|r| {
            Ok(Register {
                level: level(&r.level)?,
                jurisdictions: words(&r.jurisdictions),
                evidence_types: words(&r.evidence_types),
                standards: words(&r.standards),
                record_count: r.record_count.and_then(|n| u64::try_from(n).ok()),
                source: match r.source.as_str() {
                    "seed" => Source::Seed,
                    _ => Source::Published,
                },
                id: r.id,
                member: r.member,
                local_id: r.local_id,
                register_type: r.register_type,
                name: r.name,
                legal_basis: r.legal_basis,
                connected: r.connected,
            })
        })
        .collect::<Result<_, DbError>>()?;
    let flows = flows::table
        .order((flows::day, flows::requester, flows::provider))
        .load::<FlowRow>(conn)?
        .into_iter()
        .map(|f| Flow {
            requester: f.requester,
            provider: f.provider,
            evidence_type: f.evidence_type,
            day: f.day,
            count: u64::try_from(f.count).unwrap_or(0),
        })
        .collect();
    Ok(Snapshot {
        types,
        areas,
        members,
        registers,
        flows,
    })
}

/// Replaces the seed (types, areas, and the seed registers and members) in one transaction;
/// what nodes published stays. Returns the number of seed registers.
pub fn replace_seed(
    conn: &mut AnyConnection,
    types: &[RegisterType],
    areas: &[Jurisdiction],
    members: &[Member],
    seed_registers: &[Register],
) -> Result<usize, DbError> {
    conn.transaction(|conn| {
        diesel::delete(registers::table.filter(registers::source.eq(source_name(Source::Seed))))
            .execute(conn)?;
        diesel::delete(register_types::table).execute(conn)?;
        diesel::delete(jurisdictions::table).execute(conn)?;
        let known: std::collections::HashSet<String> = members::table
            .select(members::id)
            .load(conn)?
            .into_iter()
            .collect();
        let type_rows: Vec<TypeRow> = types
            .iter()
            .map(|t| TypeRow {
                code: t.code.clone(),
                name_de: t.name_de.clone(),
                name_en: t.name_en.clone(),
                description: t.description.clone(),
                operator_kind: t.operator_kind.clone(),
                level: t.level.as_str().to_owned(),
                instancing: instancing_name(t.instancing).to_owned(),
                legal_basis: t.legal_basis.clone(),
                evidence_types: t.evidence_types.join(" "),
                standards: t.standards.join(" "),
                category: t.category.clone(),
            })
            .collect();
        insert_all!(conn, register_types::table, type_rows);
        let area_rows: Vec<AreaRow> = areas
            .iter()
            .map(|a| AreaRow {
                key: a.key.clone(),
                ars: a.ars.clone(),
                level: area_level_name(a.level).to_owned(),
                name: a.name.clone(),
                state: a.state.clone(),
                district: a.district.clone(),
                population: a.population.and_then(|p| i64::try_from(p).ok()),
            })
            .collect();
        insert_all!(conn, jurisdictions::table, area_rows);
        let member_rows: Vec<MemberRow> = members
            .iter()
            .filter(|m| !known.contains(&m.id))
            .map(|m| member_row(m, None))
            .collect();
        insert_all!(conn, members::table, member_rows);
        // A published register replaces the seed instance of its type at its member.
        let published: std::collections::HashSet<(String, String)> = registers::table
            .filter(registers::source.eq(source_name(Source::Published)))
            .select((registers::member, registers::register_type))
            .load::<(String, Option<String>)>(conn)?
            .into_iter()
            .filter_map(|(m, t)| Some((m, t?)))
            .collect();
        let register_rows: Vec<RegisterRow> = seed_registers
            .iter()
            .filter(|r| {
                r.register_type
                    .as_ref()
                    .is_none_or(|t| !published.contains(&(r.member.clone(), t.clone())))
            })
            .map(register_row)
            .collect();
        let count = register_rows.len();
        insert_all!(conn, registers::table, register_rows);
        Ok(count)
    })
}

/// Why a descriptor was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// A descriptor with this or a higher sequence number was accepted before.
    #[error(
        "descriptor sequence {given} is not newer than the last accepted ({last}); publish with a higher sequence"
    )]
    Stale {
        /// The descriptor's sequence.
        given: u64,
        /// The last accepted.
        last: i64,
    },
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for AcceptError {
    fn from(e: diesel::result::Error) -> Self {
        AcceptError::Db(e.into())
    }
}

/// Stores an accepted descriptor: the document in the version history, the member, and its
/// registers (replacing those it published before, and the seed instances of the same types).
pub fn accept_descriptor(
    conn: &mut AnyConnection,
    descriptor: &NodeDescriptor,
    document: &[u8],
    now: i64,
) -> Result<(), AcceptError> {
    let sequence = i64::try_from(descriptor.sequence).unwrap_or(i64::MAX);
    conn.transaction(|conn| {
        store_member(conn, descriptor, sequence, now)?;
        diesel::insert_into(descriptors::table)
            .values((
                descriptors::member.eq(&descriptor.member),
                descriptors::sequence.eq(sequence),
                descriptors::received_at.eq(now),
                descriptors::document.eq(document),
            ))
            .execute(conn)?;
        replace_registers(conn, descriptor)?;
        Ok(())
    })
}

/// Stores the member a descriptor of `sequence` describes, inserted when it is new. An existing
/// member is updated in place (seed registers of the member refer to it), and only by a newer
/// descriptor: the condition is part of the UPDATE, so concurrent publishes of one member cannot
/// let an older one win. An older or equal sequence is refused as stale.
fn store_member(
    conn: &mut AnyConnection,
    descriptor: &NodeDescriptor,
    sequence: i64,
    now: i64,
) -> Result<(), AcceptError> {
    let member = Member {
        id: descriptor.member.clone(),
        name: descriptor.name.clone(),
        contact: descriptor.contact.clone(),
        peer_url: Some(descriptor.peer_endpoint.clone()),
        tls_fingerprint: Some(descriptor.tls_certificate_sha256.clone()),
        published_at: Some(now),
    };
    let row = member_row(&member, Some(sequence));
    let updated = diesel::update(
        members::table.find(&descriptor.member).filter(
            members::sequence
                .is_null()
                .or(members::sequence.lt(sequence)),
        ),
    )
    .set((
        members::name.eq(&row.name),
        members::contact.eq(&row.contact),
        members::peer_url.eq(&row.peer_url),
        members::tls_fingerprint.eq(&row.tls_fingerprint),
        members::published_at.eq(row.published_at),
        members::sequence.eq(row.sequence),
    ))
    .execute(conn)?;
    if updated > 0 {
        return Ok(());
    }
    let last: Option<Option<i64>> = members::table
        .find(&descriptor.member)
        .select(members::sequence)
        .first(conn)
        .optional()?;
    match last {
        Some(last) => Err(AcceptError::Stale {
            given: descriptor.sequence,
            last: last.unwrap_or_default(),
        }),
        None => {
            diesel::insert_into(members::table)
                .values(row)
                .execute(conn)?;
            Ok(())
        }
    }
}

/// Replaces the registers the member published before, and its seed instances of the types it
/// now publishes, by the registers of the descriptor.
fn replace_registers(conn: &mut AnyConnection, descriptor: &NodeDescriptor) -> Result<(), DbError> {
    diesel::delete(
        registers::table
            .filter(registers::member.eq(&descriptor.member))
            .filter(registers::source.eq(source_name(Source::Published))),
    )
    .execute(conn)?;
    let types: Vec<String> = descriptor
        .registers
        .iter()
        .filter_map(|r| r.register_type.clone())
        .collect();
    diesel::delete(
        registers::table
            .filter(registers::member.eq(&descriptor.member))
            .filter(registers::source.eq(source_name(Source::Seed)))
            .filter(registers::register_type.eq_any(&types)),
    )
    .execute(conn)?;
    let rows: Vec<RegisterRow> = descriptor
        .registers
        .iter()
        .map(|r| register_row(&published_register(&descriptor.member, r)))
        .collect();
    insert_all!(conn, registers::table, rows);
    Ok(())
}

/// A register a member published, as the map stores it: connected, its id prefixed with the
/// member's.
fn published_register(member: &str, r: &RegisterDescriptor) -> Register {
    Register {
        id: format!("{member}/{}", r.id),
        member: member.to_owned(),
        local_id: r.id.clone(),
        register_type: r.register_type.clone(),
        name: r.name.clone(),
        level: r.level,
        jurisdictions: r.jurisdictions.clone(),
        evidence_types: r.evidence_types.clone(),
        legal_basis: r.legal_basis.clone(),
        standards: r.standards.clone(),
        record_count: r.record_count,
        connected: true,
        source: Source::Published,
    }
}

/// The descriptors a member published, newest first: (sequence, received at, document).
pub fn descriptor_history(
    conn: &mut AnyConnection,
    member: &str,
) -> Result<Vec<(i64, i64, Vec<u8>)>, DbError> {
    Ok(descriptors::table
        .filter(descriptors::member.eq(member))
        .order(descriptors::sequence.desc())
        .select((
            descriptors::sequence,
            descriptors::received_at,
            descriptors::document,
        ))
        .load(conn)?)
}

/// Records the counts a requester reported for a day (replacing what it reported before for
/// that day, so reports can be repeated).
pub fn record_flows(
    conn: &mut AnyConnection,
    requester: &str,
    day: &str,
    counts: &[(String, String, u64)],
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        diesel::delete(
            flows::table
                .filter(flows::requester.eq(requester))
                .filter(flows::day.eq(day)),
        )
        .execute(conn)?;
        let rows: Vec<FlowRow> = counts
            .iter()
            .map(|(provider, evidence_type, count)| FlowRow {
                requester: requester.to_owned(),
                provider: provider.clone(),
                evidence_type: evidence_type.clone(),
                day: day.to_owned(),
                count: i64::try_from(*count).unwrap_or(i64::MAX),
            })
            .collect();
        insert_all!(conn, flows::table, rows);
        Ok(())
    })
}
