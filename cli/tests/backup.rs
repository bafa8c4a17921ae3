//! Export, backup and restore as an operator runs them with the `once` program: a provider that
//! has answered requests exports its message log, and `once log verify --file` checks the file
//! without a database (naming a modified, a deleted and a swapped entry, and a foreign CA);
//! `once node backup` runs while the node serves; a tampered backup is refused naming the file;
//! the restored node passes `node check` and `log verify` and serves /healthz. Once on SQLite,
//! once on PostgreSQL.

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use common::*;
use diesel::{Connection, PgConnection, RunQueryDsl};

const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const REQUESTER: &str = "DE-HB:LAND:elterngeld";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

/// A `once node run` child, stopped (killed if need be) when dropped.
struct Node(RunningChild);

impl Node {
    fn start(config: &Path) -> Node {
        Node(start_node(config, &[]))
    }

    fn stop(mut self) {
        signal(&self.0.child, "TERM");
        self.0.child.wait().expect("stopped");
    }

    fn healthz(&self) -> String {
        let out = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://{}/healthz", self.0.app),
        ]);
        stdout(&out)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

/// A CA, a provider (its database at `provider_db`, or SQLite) with a register and an access
/// rule, running, and a requester that asked it three times for evidence and once for a person
/// it does not know: eight entries in the provider's log.
fn federation(tmp: &Path, provider_db: Option<&str>) -> (PathBuf, PathBuf, Node) {
    let ca = tmp.join("ca");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    let init = |name: &str, member: &str, database: Option<&str>| {
        let dir = tmp.join(name);
        let mut args = vec![
            "node",
            "init",
            "--dir",
            path(&dir),
            "--member",
            member,
            "--ca",
            path(&ca),
            "--peer-listen",
            "127.0.0.1:0",
            "--app-listen",
            "127.0.0.1:0",
        ];
        if let Some(url) = database {
            args.extend(["--database-url", url]);
        }
        ok(&args);
        dir.join("node.toml")
    };
    let provider = init("provider", PROVIDER, provider_db);
    let requester = init("requester", REQUESTER, None);
    // No periodic checkpoint during the test: the checkpoints are the ones it signs.
    let toml = std::fs::read_to_string(&provider).expect("read");
    assert!(toml.contains("checkpoint_seconds = 60"));
    std::fs::write(
        &provider,
        toml.replace("checkpoint_seconds = 60", "checkpoint_seconds = 86400"),
    )
    .expect("write");
    let config = path(&provider);
    add_population_register(config);
    let csv = tmp.join("residents.csv");
    std::fs::write(&csv, JUERGEN_CSV).expect("write");
    ok(&[
        "register",
        "import",
        "--config",
        config,
        "--register",
        "melderegister-bremen",
        path(&csv),
    ]);
    ok(&[
        "rules",
        "add",
        "--config",
        config,
        "--requester",
        REQUESTER,
        "--evidence-type",
        RESIDENCE,
        "--procedure",
        "Elterngeld",
        "--legal-basis",
        "§ 9 BEEG",
    ]);
    let node = Node::start(&provider);
    let port = node.0.peer.rsplit(':').next().expect("port").to_owned();
    let mut toml = std::fs::read_to_string(&requester).expect("read");
    toml.push_str(&format!(
        "\n[[providers]]\nmember = \"{PROVIDER}\"\nurl = \"https://localhost:{port}\"\nevidence_types = [\"{RESIDENCE}\"]\n"
    ));
    std::fs::write(&requester, toml).expect("write");
    for tax_id in ["65929970489", "65929970489", "65929970489", "36574261809"] {
        let out = once(&[
            "request",
            "--config",
            path(&requester),
            "--evidence-type",
            RESIDENCE,
            "--tax-id",
            tax_id,
            "--family-name",
            "Müller-Lüdenscheidt",
            "--given-name",
            "Jürgen",
            "--date-of-birth",
            "1985-03-07",
            "--procedure",
            "Elterngeld",
            "--legal-basis",
            "§ 9 BEEG",
            "--jurisdiction",
            "04011000",
        ]);
        let known = tax_id == "65929970489";
        assert_eq!(out.status.success(), known, "{}", stderr(&out));
    }
    (ca, provider, node)
}

/// The export's lines (header first).
fn lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .expect("read export")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(file: &Path, lines: &[String]) {
    std::fs::write(file, lines.join("\n") + "\n").expect("write");
}

/// A copy of a (flat) backup directory.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

fn manifest(backup: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(backup.join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

/// The restored node: `node check` and `log verify` pass, it starts and serves /healthz.
fn check_restored(restored: &Path) {
    let config = restored.join("node.toml");
    assert_eq!(mode(restored), 0o700);
    for key in ["tls.key", "signing.key", "node.toml"] {
        assert_eq!(mode(&restored.join(key)), 0o600, "{key}");
    }
    let toml = std::fs::read_to_string(&config).expect("read");
    for line in [
        "ca = \"ca.pem\"",
        "crl = \"crl.pem\"",
        "cert = \"tls.pem\"",
        "key = \"signing.key\"",
    ] {
        assert!(toml.contains(line), "{line:?} missing in {toml}");
    }
    assert!(
        toml.contains("# The federation root and its CRL"),
        "comments kept: {toml}"
    );
    let checked = ok(&["node", "check", "--config", path(&config)]);
    assert!(checked.contains("is valid"), "{checked}");
    let verified = ok(&["log", "verify", "--config", path(&config)]);
    assert!(
        verified.contains("is intact: 8 entries, 1 signed checkpoints"),
        "{verified}"
    );
    let node = Node::start(&config);
    assert_eq!(node.healthz(), "200");
    node.stop();
}

#[test]
fn export_verify_backup_and_restore_on_sqlite() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (ca, provider, node) = federation(tmp.path(), None);
    let config = path(&provider);
    assert!(
        ok(&["log", "checkpoint", "--config", config]).contains("checkpoint signed at entry 8")
    );

    // Export while the node runs; never over an existing file.
    let export = tmp.path().join("log.jsonl");
    let out = ok(&["log", "export", "--config", config, "--out", path(&export)]);
    assert!(out.contains("8 entries, 1 signed checkpoints"), "{out}");
    assert_eq!(mode(&export), 0o600);
    fails(
        &["log", "export", "--config", config, "--out", path(&export)],
        64,
        "exists already",
    );
    let lines = lines(&export);
    assert_eq!(lines.len(), 1 + 8 + 1);
    let header: serde_json::Value = serde_json::from_str(&lines[0]).expect("header");
    assert_eq!(header["format"], "once-log-export-v1");
    assert_eq!(header["member_id"], PROVIDER);
    assert_eq!(
        (header["entries"].as_i64(), header["checkpoints"].as_i64()),
        (Some(8), Some(1))
    );
    let checkpoint: serde_json::Value = serde_json::from_str(&lines[9]).expect("checkpoint");
    assert!(
        checkpoint["certificate"]
            .as_str()
            .is_some_and(|c| c.contains("BEGIN CERTIFICATE"))
    );

    // Verified without a database: alone, against the federation root, as JSON.
    let out = ok(&["log", "verify", "--file", path(&export)]);
    assert!(
        out.contains(&format!(
            "message log of {PROVIDER} is intact: 8 entries, 1 signed checkpoints"
        )),
        "{out}"
    );
    assert!(out.contains("pass --ca"), "{out}");
    let ca_pem = ca.join("ca.pem");
    let out = ok(&[
        "log",
        "verify",
        "--file",
        path(&export),
        "--ca",
        path(&ca_pem),
    ]);
    assert!(out.contains("is intact: 8 entries"), "{out}");
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["log", "verify", "--file", path(&export), "--json"]))
            .expect("json report");
    assert_eq!(
        (report["entries"].as_i64(), report["broken"].is_null()),
        (Some(8), true)
    );

    // Damaged copies, each named with its entry.
    let damaged = |name: &str, lines: Vec<String>, expected: &str| {
        let file = tmp.path().join(name);
        write_lines(&file, &lines);
        fails(&["log", "verify", "--file", path(&file)], 1, expected);
    };
    let mut modified = lines.clone();
    let mut entry: serde_json::Value = serde_json::from_str(&modified[3]).expect("entry 3");
    assert_eq!(entry["seq"], 3);
    let mut message = B64
        .decode(entry["message"].as_str().expect("message"))
        .expect("base64");
    message[100] ^= 0x01;
    entry["message"] = B64.encode(&message).into();
    modified[3] = entry.to_string();
    damaged("modified.jsonl", modified, "BROKEN: entry 3 was modified");
    let mut deleted = lines.clone();
    deleted.remove(5);
    damaged(
        "deleted.jsonl",
        deleted,
        "BROKEN: entry 5 is missing: the log jumps from 4 to 6",
    );
    let mut swapped = lines.clone();
    swapped.swap(3, 4);
    damaged(
        "swapped.jsonl",
        swapped,
        "BROKEN: entry 3 is out of order: entry 4 stands where it belongs",
    );
    let foreign = tmp.path().join("foreign-ca");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&foreign),
        "--name",
        "Another Federation",
    ]);
    fails(
        &[
            "log",
            "verify",
            "--file",
            path(&export),
            "--ca",
            path(&foreign.join("ca.pem")),
        ],
        1,
        "BROKEN: checkpoint at entry 8 has an invalid signature",
    );
    fails(
        &["log", "verify", "--config", config, "--file", path(&export)],
        64,
        "not both",
    );
    fails(
        &["log", "verify", "--config", config, "--ca", path(&ca_pem)],
        64,
        "--ca goes with --file",
    );
    fails(&["log", "verify"], 64, "give --config");
    fails(
        &["log", "verify", "--file", config],
        64,
        "is not a message log export",
    );

    // A backup while the node runs: private directory and keys, every file in the manifest.
    let backup = tmp.path().join("backup");
    let out = ok(&["node", "backup", "--config", config, "--out", path(&backup)]);
    assert!(
        out.contains(&format!("backup of {PROVIDER} written to")),
        "{out}"
    );
    assert_eq!(mode(&backup), 0o700);
    for private in [
        "tls.key",
        "signing.key",
        "database.sqlite",
        "log.jsonl",
        "node.toml",
    ] {
        assert_eq!(mode(&backup.join(private)), 0o600, "{private}");
    }
    let listed = manifest(&backup);
    assert_eq!(
        (listed["member_id"].as_str(), listed["database"].as_str()),
        (Some(PROVIDER), Some("sqlite"))
    );
    let names: Vec<&str> = listed["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    for name in [
        "node.toml",
        "ca.pem",
        "crl.pem",
        "tls.pem",
        "tls.key",
        "signing.pem",
        "signing.key",
        "database.sqlite",
        "log.jsonl",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    assert!(
        ok(&[
            "log",
            "verify",
            "--file",
            path(&backup.join("log.jsonl")),
            "--ca",
            path(&ca_pem)
        ])
        .contains("is intact: 8 entries")
    );
    fails(
        &["node", "backup", "--config", config, "--out", path(&backup)],
        64,
        "is not empty",
    );

    // A tampered or incomplete backup is refused, naming the file; nothing is restored.
    let tampered = tmp.path().join("tampered");
    copy_dir(&backup, &tampered);
    let mut pem = std::fs::read(tampered.join("signing.pem")).expect("read");
    pem[40] ^= 0x01;
    std::fs::write(tampered.join("signing.pem"), pem).expect("write");
    let target = tmp.path().join("never");
    fails(
        &[
            "node",
            "restore",
            "--from",
            path(&tampered),
            "--to",
            path(&target),
        ],
        1,
        &format!(
            "backup file {} was modified",
            tampered.join("signing.pem").display()
        ),
    );
    assert!(!target.exists());
    let incomplete = tmp.path().join("incomplete");
    copy_dir(&backup, &incomplete);
    std::fs::remove_file(incomplete.join("database.sqlite")).expect("remove");
    fails(
        &[
            "node",
            "restore",
            "--from",
            path(&incomplete),
            "--to",
            path(&target),
        ],
        1,
        &format!(
            "backup file {} is missing",
            incomplete.join("database.sqlite").display()
        ),
    );
    fails(
        &[
            "node",
            "restore",
            "--from",
            path(&backup),
            "--to",
            path(&target),
            "--database-url",
            "postgres://x@y/z",
        ],
        64,
        "this is a SQLite backup",
    );

    // The untampered backup, restored.
    let restored = tmp.path().join("restored");
    let out = ok(&[
        "node",
        "restore",
        "--from",
        path(&backup),
        "--to",
        path(&restored),
    ]);
    assert!(out.contains("message log intact, 8 entries"), "{out}");
    assert_eq!(mode(&restored.join("node.db")), 0o600);
    assert!(
        std::fs::read_to_string(restored.join("node.toml"))
            .expect("read")
            .contains("database_url = \"node.db\"")
    );
    fails(
        &[
            "node",
            "restore",
            "--from",
            path(&backup),
            "--to",
            path(&restored),
        ],
        64,
        "is not empty",
    );
    check_restored(&restored);
    node.stop();
}

/// A database on the local PostgreSQL server, dropped when this is dropped.
struct Database {
    name: String,
    url: String,
}

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

impl Database {
    fn create() -> Database {
        let admin = std::env::var("ONCE_TEST_POSTGRES").unwrap_or_else(|_| ADMIN.to_owned());
        let mut conn = PgConnection::establish(&admin)
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is needed for this test: {e}"));
        let name = format!("once_test_backup_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create database");
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        Database {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let admin = std::env::var("ONCE_TEST_POSTGRES").unwrap_or_else(|_| ADMIN.to_owned());
        if let Ok(mut conn) = PgConnection::establish(&admin) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

#[test]
fn backup_and_restore_on_postgresql() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (original, target) = (Database::create(), Database::create());
    let (_, provider, node) = federation(tmp.path(), Some(&original.url));
    let config = path(&provider);

    let backup = tmp.path().join("backup");
    let out = ok(&["node", "backup", "--config", config, "--out", path(&backup)]);
    assert!(out.contains("checkpoint signed at entry 8"), "{out}");
    assert_eq!(manifest(&backup)["database"], "postgresql");
    assert_eq!(mode(&backup.join("database.pgdump")), 0o600);

    let restored = tmp.path().join("restored");
    fails(
        &[
            "node",
            "restore",
            "--from",
            path(&backup),
            "--to",
            path(&restored),
        ],
        64,
        "--database-url: required",
    );
    fails(
        &[
            "node",
            "restore",
            "--from",
            path(&backup),
            "--to",
            path(&restored),
            "--database-url",
            &original.url,
        ],
        64,
        "the database is not empty",
    );
    assert!(!restored.exists());
    let out = ok(&[
        "node",
        "restore",
        "--from",
        path(&backup),
        "--to",
        path(&restored),
        "--database-url",
        &target.url,
    ]);
    assert!(out.contains("message log intact, 8 entries"), "{out}");
    let toml = std::fs::read_to_string(restored.join("node.toml")).expect("read");
    assert!(
        toml.contains(&format!("database_url = \"{}\"", target.url)),
        "{toml}"
    );
    check_restored(&restored);
    node.stop();
}
