//! The exchange as an operator runs it with the `once` program: registers imported from CSV
//! (all or nothing), access rules, `once request` between two `once node run` processes, and
//! `once log verify` naming a modified, a deleted and a reordered entry.

mod common;

use std::path::Path;

use common::*;
use diesel::prelude::*;
use once_node::db::schema::message_log;

const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const REQUESTER: &str = "DE-HB:LAND:elterngeld";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

const GOOD_CSV: &str = "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in\n\
65929970489,Müller-Lüdenscheidt,Jürgen,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n\
36574261809,Schmidt,Anna,1990-12-31,Obernstraße,5a,28195,Bremen,04011000,2015-06-01\n";

fn verify_log(config: &Path, database: &Path) -> std::process::Output {
    std::process::Command::new(ONCE)
        .args(["log", "verify", "--config", path(config)])
        .env("ONCE_DATABASE_URL", database)
        .env_remove("ONCE_LOG")
        .output()
        .expect("run once")
}

#[test]
fn registers_rules_request_and_log_verification_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    ca_init(&ca);
    let provider = init_node(&ca, &tmp.path().join("provider"), PROVIDER);
    let requester = init_node(&ca, &tmp.path().join("requester"), REQUESTER);
    // The database holds personal data and the log's digest key: its owner alone reads it.
    {
        use std::os::unix::fs::PermissionsExt;
        let db = tmp.path().join("provider/node.db");
        let mode = std::fs::metadata(&db)
            .expect("node.db")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", db.display());
    }

    add_population_register(path(&provider));
    fails(
        &[
            "register",
            "add",
            "--config",
            path(&provider),
            "--id",
            "x",
            "--name",
            "X",
            "--evidence-type",
            RESIDENCE,
            "--level",
            "county",
            "--jurisdiction",
            "04011000",
            "--legal-basis",
            "y",
        ],
        2,
        "unknown level",
    );
    // Below the federal level an area is required; a federal register covers the country.
    fails(
        &[
            "register",
            "add",
            "--config",
            path(&provider),
            "--id",
            "x",
            "--name",
            "X",
            "--evidence-type",
            RESIDENCE,
            "--level",
            "municipality",
            "--legal-basis",
            "y",
        ],
        64,
        "a municipality register needs at least one --jurisdiction",
    );
    ok(&[
        "register",
        "add",
        "--config",
        path(&provider),
        "--id",
        "bundesweit",
        "--name",
        "Bundesweites Register",
        "--evidence-type",
        RESIDENCE,
        "--level",
        "federal",
        "--legal-basis",
        "§ 1 Test",
    ]);
    ok(&[
        "register",
        "remove",
        "--config",
        path(&provider),
        "--id",
        "bundesweit",
    ]);

    // A file with bad lines: every problem reported, nothing imported.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{GOOD_CSV}65929970488,Meier,Jan,1985-13-07,Weg,1,2819,Bremen,04011000,2010-01-01\n"
        ),
    )
    .expect("write");
    let out = once(&[
        "register",
        "import",
        "--config",
        path(&provider),
        "--register",
        "melderegister-bremen",
        path(&bad),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in [
        "nothing imported",
        "line 4: tax_id",
        "line 4: date_of_birth",
        "line 4: postcode",
    ] {
        assert!(err.contains(expected), "{expected:?} missing in {err}");
    }
    assert!(ok(&["register", "list", "--config", path(&provider)]).contains("(0 records)"));
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, GOOD_CSV).expect("write");
    let out = ok(&[
        "register",
        "import",
        "--config",
        path(&provider),
        "--register",
        "melderegister-bremen",
        path(&good),
    ]);
    assert!(out.contains("2 records added"), "{out}");
    assert!(ok(&["register", "list", "--config", path(&provider)]).contains("(2 records)"));

    ok(&[
        "rules",
        "add",
        "--config",
        path(&provider),
        "--requester",
        REQUESTER,
        "--evidence-type",
        RESIDENCE,
        "--procedure",
        "Elterngeld",
        "--legal-basis",
        "§ 9 BEEG",
    ]);
    let rules = ok(&["rules", "list", "--config", path(&provider)]);
    assert!(
        rules.contains(REQUESTER) && rules.contains("Elterngeld"),
        "{rules}"
    );

    let node = start_node(&provider, &[]);
    let peer_port = node.peer.rsplit(':').next().expect("port").to_owned();
    let mut toml = std::fs::read_to_string(&requester).expect("read");
    toml.push_str(&format!(
        "\n[[providers]]\nmember = \"{PROVIDER}\"\nurl = \"https://localhost:{peer_port}\"\nevidence_types = [\"{RESIDENCE}\"]\njurisdictions = [\"04011\"]\n"
    ));
    std::fs::write(&requester, toml).expect("write");

    let ask = |tax_id: &str| {
        once(&[
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
        ])
    };
    for _ in 0..3 {
        let out = ask("65929970489");
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains("signature verified")
                && text.contains("person.family_name: Müller-Lüdenscheidt"),
            "{text}"
        );
    }
    let out = ask("36574261809");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("EDM:ERR:0004"), "{}", stderr(&out));

    signal(&node.child, "TERM");
    let mut child = node.child;
    child.wait().expect("stopped");

    // The provider's log is intact (the node signed a checkpoint when it stopped).
    let database = tmp.path().join("provider/node.db");
    let out = verify_log(&provider, &database);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("is intact: 8 entries, 1 signed checkpoints"),
        "{}",
        stdout(&out)
    );
    assert!(ok(&["log", "verify", "--config", path(&requester)]).contains("is intact: 8 entries"));

    // Three damaged copies: one entry modified, one deleted, two swapped.
    let damaged = |name: &str, damage: &dyn Fn(&mut SqliteConnection)| {
        let copy = tmp.path().join(name);
        std::fs::copy(&database, &copy).expect("copy");
        let mut conn = SqliteConnection::establish(path(&copy)).expect("open copy");
        damage(&mut conn);
        let out = verify_log(&provider, &copy);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stdout(&out));
        stderr(&out)
    };
    let modified = damaged("modified.db", &|conn| {
        diesel::update(message_log::table.find(3))
            .set(message_log::outcome.eq("evidence"))
            .execute(conn)
            .expect("modify");
    });
    assert!(
        modified.contains("BROKEN: entry 3 was modified"),
        "{modified}"
    );
    let deleted = damaged("deleted.db", &|conn| {
        diesel::delete(message_log::table.find(5))
            .execute(conn)
            .expect("delete");
    });
    assert!(deleted.contains("BROKEN: entry 5 is missing"), "{deleted}");
    let reordered = damaged("reordered.db", &|conn| {
        for (from, to) in [(3, 100), (4, 3), (100, 4)] {
            diesel::update(message_log::table.find(from))
                .set(message_log::seq.eq(to))
                .execute(conn)
                .expect("swap");
        }
    });
    assert!(
        reordered.contains("BROKEN: entry 3 does not follow entry 2"),
        "{reordered}"
    );
    let truncated = damaged("truncated.db", &|conn| {
        diesel::delete(message_log::table.filter(message_log::seq.gt(6)))
            .execute(conn)
            .expect("truncate");
    });
    assert!(
        truncated.contains("entries were removed from the end"),
        "{truncated}"
    );
}
