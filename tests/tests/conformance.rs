//! The node's messages against the Commission's EDM 1.0 Schematron rules, on a real exchange.
//!
//! A requester and Bremen's population register, both configured as OOTS participants (`[oots]`
//! with EAS agent identifiers, the residence certificate mapped to Semantic Repository URIs),
//! exchange in each profile through the requester's JSON API: evidence, a person not found, a
//! procedure without an access rule. Every EDM document either node sent, as logged, is then
//! checked with the rules (`once_xml::schematron`, Saxon-HE):
//!
//! - `oots`: no error-level finding, but for the one documented defect of the 1.0 rules
//!   (`EDM_1_0_RULE_DEFECTS`, met by the refusal without preview);
//! - `de`: no finding outside the rule ids of the documented German deviations
//!   (`DE_DEVIATIONS`) and that defect.
//!
//! With `ONCE_CONFORMANCE_REPORT=<dir>` each test writes its result as a Markdown table (rule set
//! → messages, rules fired, error-level findings by rule id) to `<dir>/<profile>.md`:
//! `scripts/conformance` runs them and prints docs/CONFORMANCE.md's tables.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use once_node::config::{PreviewConfig, Profile, ProviderConfig};
use once_node::db::{self, log};
use once_tests::exchange::{
    OOTS_PROCEDURE, REQUESTER, RESIDENCE, SR_REQUIREMENT, api_key, ask, bremen_provider, browser,
    logged_boundary, oots_config, oots_rule, start_provider,
};
use once_tests::{Backend, TestFederation, free_port};
use once_xml::multipart;
use once_xml::profile::{DE_DEVIATIONS, EDM_1_0_RULE_DEFECTS};
use once_xml::schematron::{self, Rules};
use serde_json::{Value, json};

struct Setup {
    fed: TestFederation,
    key: String,
    http: reqwest::Client,
}

impl Setup {
    /// Provider and requester; the requester speaks `profile` to the provider.
    async fn start(profile: Profile) -> Setup {
        let preview_port = free_port();
        let mut fed = start_provider(
            TestFederation::builder()
                .backend(Backend::Sqlite)
                .configure(move |c| {
                    c.oots = Some(oots_config("04011000-buergeramt-01"));
                    c.preview = Some(PreviewConfig {
                        listen: SocketAddr::from(([127, 0, 0, 1], preview_port)),
                        public_url: format!("https://localhost:{preview_port}"),
                        ttl_seconds: 600,
                        max_attempts: 3,
                        simulated_mailbox: true,
                    });
                }),
        )
        .await
        .expect("provider");
        // The provider's rule for OOTS requests: the procedure code and the SR requirement.
        oots_rule(&fed.node(0).pool()).await.expect("rule");
        let provider = ProviderConfig {
            profile: Some(profile),
            ..bremen_provider(fed.node(0).peer_url())
        };
        fed.add_member(REQUESTER, move |c| {
            c.oots = Some(oots_config("04-elterngeld-01"));
            c.providers = vec![provider.clone()];
        })
        .await
        .expect("requester");
        let key = api_key(&fed.node(1).pool(), "app").await.expect("key");
        let http = browser(&fed.ca_pem_path()).expect("client");
        Setup { fed, key, http }
    }

    async fn ask(&self, body: Value) -> (u16, Value) {
        ask(&self.http, &self.fed.node(1).app_url(), &self.key, &body).await
    }

    /// The EDM document of every message either node sent, as logged, written to files.
    async fn sent_documents(&self) -> Vec<PathBuf> {
        let out = self.fed.dir().join("sent");
        std::fs::create_dir_all(&out).expect("dir");
        let mut files = Vec::new();
        for index in [0, 1] {
            let pool = self.fed.node(index).pool();
            let entries = db::run(&pool, |conn| log::entries_after(conn, 0, 1000))
                .await
                .expect("entries");
            for entry in entries.iter().filter(|e| e.direction == "out") {
                let message = &entry.message;
                let boundary = logged_boundary(message);
                let content_type = format!(
                    "multipart/related; type=\"application/xml\"; boundary=\"{boundary}\"; start=\"<message@once>\""
                );
                let parts = multipart::parse(&content_type, message, &Default::default())
                    .expect("a logged message is multipart");
                let file = out.join(format!("{index}-{}.xml", entry.seq));
                std::fs::write(&file, parts.root().body).expect("write");
                files.push(file);
            }
        }
        files
    }
}

/// Jürgen, as an OOTS requester knows him: eIDAS identifier, names, date of birth, assurance.
fn juergen_abroad() -> Value {
    json!({"eidas_id": "AT/DE/7A9C3E21F", "level_of_assurance": "High",
           "family_name": "Müller-Lüdenscheidt", "given_name": "Jürgen",
           "date_of_birth": "1985-03-07"})
}

fn query(subject: Value, procedure: &str, legal_basis: &str) -> Value {
    json!({
        "evidence_type": RESIDENCE,
        "subject": subject,
        "procedure": procedure,
        "legal_basis": legal_basis,
        "jurisdiction": "04011000",
    })
}

/// Checks `files` with the EDM rules; every error-level rule id must be in `allowed`. Writes
/// the table of `profile` if `ONCE_CONFORMANCE_REPORT` names a directory.
fn check(profile: &str, files: &[PathBuf], allowed: &BTreeSet<&str>) -> usize {
    let reports = schematron::check_files(files, Rules::Auto)
        .unwrap_or_else(|e| panic!("the Schematron check could not run: {e}"));
    assert_eq!(reports.len(), files.len());
    if let Some(dir) = std::env::var_os("ONCE_CONFORMANCE_REPORT") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("report directory");
        std::fs::write(dir.join(format!("{profile}.md")), table(&reports, allowed))
            .expect("write the report");
    }
    for (report, file) in reports.iter().zip(files) {
        let outside: Vec<String> = report
            .errors()
            .filter(|e| !e.id.as_deref().is_some_and(|id| allowed.contains(id)))
            .map(ToString::to_string)
            .collect();
        assert!(
            outside.is_empty(),
            "{}: {}\n{}",
            file.display(),
            outside.join("\n"),
            std::fs::read_to_string(file).unwrap_or_default()
        );
        for run in &report.rule_sets {
            assert!(
                run.fired_rules > 5,
                "{}: {} barely applied",
                file.display(),
                run.name
            );
        }
    }
    reports.len()
}

/// Per rule set: the messages it ran over, its rules fired, and its error-level findings by
/// rule id (each marked as a documented deviation or defect).
fn table(reports: &[schematron::Report], allowed: &BTreeSet<&str>) -> String {
    use std::collections::BTreeMap;
    #[derive(Default)]
    struct Row {
        messages: usize,
        fired: u32,
        errors: BTreeMap<String, usize>,
    }
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    for report in reports {
        for run in &report.rule_sets {
            let row = rows.entry(run.name.clone()).or_default();
            row.messages += 1;
            row.fired += run.fired_rules;
        }
        for finding in report.errors() {
            let row = rows.entry(finding.rule_set.clone()).or_default();
            *row.errors.entry(finding.key()).or_default() += 1;
        }
    }
    let mut out = String::from(
        "| rule set | messages | rules fired | error-level findings |\n|---|---:|---:|---|\n",
    );
    for (name, row) in rows {
        let errors = if row.errors.is_empty() {
            "none".to_owned()
        } else {
            row.errors
                .iter()
                .map(|(id, n)| {
                    let why = if allowed.contains(id.as_str()) {
                        "documented"
                    } else {
                        "NOT documented"
                    };
                    format!("{id} ×{n} ({why})")
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!(
            "| {name} | {} | {} | {errors} |\n",
            row.messages, row.fired
        ));
    }
    out
}

fn defects() -> BTreeSet<&'static str> {
    EDM_1_0_RULE_DEFECTS.iter().map(|d| d.rule).collect()
}

#[actix_rt::test]
async fn the_oots_profile_passes_the_commissions_rules() {
    let setup = Setup::start(Profile::Oots).await;
    // Evidence, with the requirement named in the query and with the one configured.
    let (status, answer) = setup
        .ask(query(juergen_abroad(), OOTS_PROCEDURE, SR_REQUIREMENT))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["evidence"]["address.municipality.key"], "04011000");
    let (status, answer) = setup
        .ask(query(juergen_abroad(), OOTS_PROCEDURE, "§ 18 BMG"))
        .await;
    assert_eq!(status, 200, "the configured requirement: {answer}");
    // With a preview: EDM:ERR:0002 with the preview severity and location.
    let mut with_preview = query(juergen_abroad(), OOTS_PROCEDURE, SR_REQUIREMENT);
    with_preview["preview"] = json!(true);
    let (status, answer) = setup.ask(with_preview).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "preview_required", "{answer}");
    // Nobody by that name: EDM:ERR:0004.
    let mut nobody = juergen_abroad();
    nobody["family_name"] = json!("Niemand");
    let (status, answer) = setup
        .ask(query(nobody, OOTS_PROCEDURE, SR_REQUIREMENT))
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["edm_code"], "EDM:ERR:0004");
    // A procedure without an access rule: EDM:ERR:0002.
    let (status, answer) = setup
        .ask(query(juergen_abroad(), "T1", SR_REQUIREMENT))
        .await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["edm_code"], "EDM:ERR:0002");
    // What the oots profile cannot carry is refused before anything is sent, and said why.
    for (body, named) in [
        (
            query(juergen_abroad(), "Elterngeld", SR_REQUIREMENT),
            "Procedures list",
        ),
        (
            {
                let mut without = juergen_abroad();
                without["level_of_assurance"] = Value::Null;
                query(without, OOTS_PROCEDURE, SR_REQUIREMENT)
            },
            "level_of_assurance",
        ),
    ] {
        let (status, answer) = setup.ask(body).await;
        assert_eq!(status, 400, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{named}: {message}");
    }

    let files = setup.sent_documents().await;
    assert_eq!(files.len(), 10, "five requests and five answers");
    for file in &files {
        let xml = std::fs::read_to_string(file).expect("read");
        for national in ["urn:once:", "LegalBasis", "65929970489", "Elterngeld\""] {
            assert!(!xml.contains(national), "{national} in {}", file.display());
        }
    }
    assert_eq!(check("oots", &files, &defects()), 10);
    setup.fed.stop().await;
}

#[actix_rt::test]
async fn the_de_profile_deviates_only_as_documented() {
    let setup = Setup::start(Profile::De).await;
    let juergen = json!({"tax_id": "65929970489", "family_name": "Müller-Lüdenscheidt",
                         "given_name": "Jürgen", "date_of_birth": "1985-03-07"});
    let national = |procedure: &str| {
        query(
            juergen.clone(),
            procedure,
            once_tests::exchange::LEGAL_BASIS,
        )
    };
    let (status, answer) = setup.ask(national(once_tests::exchange::PROCEDURE)).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = setup.ask(national("Wohngeld")).await;
    assert_eq!(status, 403, "{answer}");

    let files = setup.sent_documents().await;
    assert_eq!(files.len(), 4);
    let mut allowed = defects();
    allowed.extend(DE_DEVIATIONS.iter().flat_map(|d| d.breaks.iter().copied()));
    assert_eq!(check("de", &files, &allowed), 4);
    setup.fed.stop().await;
}
