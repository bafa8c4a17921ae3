//! The provider's storage on SQLite: finding a subject in a population register of 1,000,000
//! synthetic persons (by identification number, and by normalised names and date of birth),
//! and appending to the message log (request and answer, about 12 KB, in one transaction with
//! the chain lock), as an exchange does.
//!
//! `ONCE_BENCH_PERSONS` changes the register's size (default 1,000,000; the import takes some
//! seconds before the measurements start); `ONCE_BENCH_SKIP_STORAGE=1` skips this bench.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use once_node::db::log::{self, Direction, Kind, NewEntry};
use once_node::db::registers::{self, ImportMode, Level, Register, RegisterId};
use once_node::db::{self, AnyConnection};
use once_node::exchange::matching::match_key;
use once_node::operations::import::{self, Format};

const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

fn persons() -> usize {
    std::env::var("ONCE_BENCH_PERSONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn storage(c: &mut Criterion) {
    if std::env::var_os("ONCE_BENCH_SKIP_STORAGE").is_some() {
        return;
    }
    let n = persons();
    let population = once_benches::population(n);
    let dir = tempfile::tempdir().expect("tmp");
    let url = dir.path().join("node.db").display().to_string();
    let pool = db::open(&url, 2, Duration::from_secs(5)).expect("database");
    let mut conn = pool.get().expect("connection");
    let conn: &mut AnyConnection = &mut conn;
    let id: RegisterId = "melderegister".parse().expect("id");
    registers::add(
        conn,
        &Register {
            id: id.clone(),
            name: "Melderegister".into(),
            evidence_types: vec![RESIDENCE.into()],
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            legal_basis: "§ 18 BMG".into(),
            created_at: 0,
            updated_at: 0,
            register_type: None,
            standards: Vec::new(),
        },
    )
    .expect("register");
    let started = std::time::Instant::now();
    let records = import::parse(
        &population.residents_csv().expect("csv"),
        Format::Csv,
        id.as_str(),
        &[RESIDENCE.to_owned()],
    )
    .expect("parse");
    registers::import(conn, &id, &records, ImportMode::Append).expect("import");
    drop(records);
    let people = population.people;
    println!(
        "store: {n} persons parsed and imported in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut group = c.benchmark_group(format!("register of {n} persons"));
    let mut i = 0usize;
    group.bench_function("find by identification number", |b| {
        b.iter(|| {
            i = (i + 7919) % people.len();
            let found = registers::by_tax_id(conn, &id, &people[i].tax_id).expect("query");
            black_box(found.expect("found"));
        })
    });
    let keys: Vec<String> = people
        .iter()
        .take(10_000)
        .map(|p| match_key(&p.family_name, &p.given_name, p.date_of_birth))
        .collect();
    let mut k = 0usize;
    group.bench_function("find by names and date of birth", |b| {
        b.iter(|| {
            k = (k + 31) % keys.len();
            black_box(registers::by_match_key(conn, &id, &keys[k], 2).expect("query"));
        })
    });
    group.finish();

    let request = vec![b'r'; 5_000];
    let answer = vec![b'a'; 7_000];
    let mut at = 0i64;
    c.bench_function(
        "message log: append request and answer (12 KB) in one transaction",
        |b| {
            b.iter(|| {
                at += 1;
                fn entry(direction: Direction, kind: Kind, message: &[u8]) -> NewEntry<'_> {
                    NewEntry {
                        direction,
                        kind,
                        exchange_id: "urn:uuid:bench",
                        peer: "DE-HB:LAND:elterngeld",
                        evidence_type: RESIDENCE,
                        subject_digest: "0f",
                        procedure: "Elterngeld",
                        legal_basis: "§ 9 BEEG",
                        outcome: "evidence",
                        message,
                    }
                }
                let entries = [
                    entry(Direction::In, Kind::Request, &request),
                    entry(Direction::Out, Kind::Response, &answer),
                ];
                let appended = diesel::Connection::transaction(conn, |conn| {
                    log::append_within(conn, &entries, at)
                })
                .expect("append");
                black_box(appended);
            })
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(5));
    targets = storage
}
criterion_main!(benches);
