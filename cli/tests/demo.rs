//! `once demo`, the README's first command: the scenario with `--no-serve`, `demo.json`, the
//! serving federation driven through `demo.json` by an application service (curl), the reuse of
//! the directory, and a directory it cannot reuse.

mod common;

use common::*;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const REQUESTER: &str = "DE-HB:LAND:elterngeld";
const POPULATION: &str = "DE-HB:KOMMUNE:04011000";
const PENSION: &str = "DE:BUND:drv";
const ABROAD: &str = "AT:BUND:familienbeihilfe";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
/// Generous: a debug build seeds the map and rebuilds its catalogue slowly, and other tests
/// share the machine.
const LIMIT: Duration = Duration::from_secs(900);

/// Runs `once demo …` that must end by itself within [`LIMIT`].
fn demo_within(args: &[&str]) -> Output {
    let mut child = Command::new(ONCE)
        .args(args)
        .env_remove("ONCE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Read both pipes while waiting, so a chatty child never blocks.
    let started = Instant::now();
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let out = std::thread::spawn(move || read_all(stdout));
    let err = std::thread::spawn(move || read_all(stderr));
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("once {args:?} still running after {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Output {
        status: child.wait().expect("wait"),
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
    }
}

fn read_all(pipe: Option<impl std::io::Read>) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes);
    }
    bytes
}

/// A serving `once demo`, killed if the test ends early.
struct Serving {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Serving {
    fn start(dir: &Path) -> Serving {
        let mut child = Command::new(ONCE)
            .args(["demo", "--dir", path(dir)])
            .env_remove("ONCE_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Serving { child, lines }
    }

    /// The lines up to and including the first that starts with `prefix`.
    fn until(&self, prefix: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        let mut seen = String::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if line.starts_with(prefix) {
                        return seen;
                    }
                }
                Err(_) => panic!("no line starting with {prefix:?}; output so far:\n{seen}"),
            }
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every EDM document the demo's nodes sent, as logged, against the Commission's EDM 1.0
/// Schematron rules: those of the cross-border exchange (to or from the Austrian office, the
/// `oots` profile) without an error-level finding, the national ones with none outside the
/// documented German deviations and the one defect of the 1.0 rules.
fn logged_messages_pass_the_edm_rules(demo: &Value) {
    use once_xml::profile::{DE_DEVIATIONS, EDM_1_0_RULE_DEFECTS};
    use once_xml::schematron::{self, Rules};
    let out = tempfile::tempdir().expect("tmp");
    let (mut oots, mut national) = (Vec::new(), Vec::new());
    for m in demo["members"].as_array().expect("members") {
        let id = m["id"].as_str().unwrap_or_default();
        let database = m["database"].as_str().expect("database");
        let pool = once_node::db::open(database, 1, Duration::from_secs(10)).expect("database");
        let mut conn = pool.get().expect("connection");
        let entries = once_node::db::log::entries_after(&mut conn, 0, 10_000).expect("log");
        for entry in entries
            .iter()
            .filter(|e| e.direction == "out" && (e.kind == "request" || e.kind == "response"))
        {
            let message = &entry.message;
            let head = String::from_utf8_lossy(&message[..message.len().min(200)]);
            let boundary = head
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("--"))
                .expect("a boundary line")
                .trim()
                .to_owned();
            let edm = if id == ABROAD || entry.peer == ABROAD {
                // Over AS4: opened as the receiving access point opens it.
                as4_payload(demo, id, &entry.peer, &boundary, message)
            } else {
                let content_type = format!(
                    "multipart/related; type=\"application/xml\"; boundary=\"{boundary}\"; start=\"<message@once>\""
                );
                let parts = once_xml::multipart::parse(&content_type, message, &Default::default())
                    .expect("a logged message is multipart");
                parts.root().body.to_vec()
            };
            let file = out
                .path()
                .join(format!("{}-{}.xml", id.replace(':', "_"), entry.seq));
            std::fs::write(&file, edm).expect("write");
            if id == ABROAD || entry.peer == ABROAD {
                oots.push(file);
            } else {
                national.push(file);
            }
        }
    }
    // The Austrian office's request with preview, its answer, the request after the preview
    // and the evidence: both sides' sent messages.
    assert_eq!(oots.len(), 4, "{oots:?}");
    assert!(national.len() >= 6, "{national:?}");
    let defects: Vec<&str> = EDM_1_0_RULE_DEFECTS.iter().map(|d| d.rule).collect();
    let deviations: Vec<&str> = DE_DEVIATIONS
        .iter()
        .flat_map(|d| d.breaks.iter().copied())
        .collect();
    for (files, allowed) in [
        (&oots, defects.clone()),
        (&national, [defects.clone(), deviations].concat()),
    ] {
        let reports =
            schematron::check_files(files, Rules::Auto).expect("the Schematron check runs");
        for (report, file) in reports.iter().zip(files.iter()) {
            let outside: Vec<String> = report
                .errors()
                .filter(|e| !e.id.as_deref().is_some_and(|id| allowed.contains(&id)))
                .map(ToString::to_string)
                .collect();
            assert!(
                outside.is_empty(),
                "{}: {}",
                file.display(),
                outside.join("\n")
            );
        }
    }
}

/// The EDM document of an AS4 message `sender` logged for `receiver`, decrypted with the
/// receiver's AS4 keys and checked against the sender's certificates (`[as4]` of their
/// node.toml).
fn as4_payload(
    demo: &Value,
    sender: &str,
    receiver: &str,
    boundary: &str,
    message: &[u8],
) -> Vec<u8> {
    let as4 = |id: &str| {
        let dir = Path::new(member(demo, id)["dir"].as_str().expect("dir")).to_owned();
        once_node::config::Config::load(&dir.join("node.toml"))
            .expect("node.toml")
            .as4
            .expect("[as4]")
    };
    let me = once_node::exchange::transport::as4::setup::credentials(&as4(receiver))
        .expect("the receiver's AS4 keys");
    let sender = as4(sender);
    let certificates = std::iter::once(&sender.certificate)
        .chain(&sender.ec_certificate)
        .map(|path| {
            once_as4::Certificate::from_pem(&std::fs::read_to_string(path).expect("certificate"))
                .expect("cert")
        })
        .collect();
    let content_type =
        format!("multipart/related; type=\"application/soap+xml\"; boundary=\"{boundary}\"");
    let received = once_as4::receive::open(
        &content_type,
        message,
        &me,
        &AnyOf(certificates),
        &once_as4::Limits::default(),
    )
    .expect("the logged AS4 message opens");
    received.payloads[0].bytes.clone()
}

/// Accepts a signature by any of these certificates (the sender's keys of both suites).
struct AnyOf(Vec<once_as4::Certificate>);

impl once_as4::SignerCheck for AnyOf {
    fn check(
        &self,
        _from: &once_as4::Party,
        certificate: &once_as4::Certificate,
    ) -> Result<(), String> {
        self.0
            .iter()
            .any(|c| c.der() == certificate.der())
            .then_some(())
            .ok_or_else(|| format!("{} is not the sender's", certificate.subject()))
    }
}

fn read_demo_json(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("demo.json")).expect("demo.json");
    serde_json::from_str(&text).expect("demo.json is JSON")
}

fn member<'a>(demo: &'a Value, id: &str) -> &'a Value {
    demo["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["id"] == id))
        .unwrap_or_else(|| panic!("no member {id} in {demo}"))
}

/// `POST /v1/evidence-requests` at the requester, as its application service would, with curl.
fn ask(requester: &Value, subject: &Value, evidence_type: &str) -> (u16, Value) {
    let body = json!({
        "evidence_type": evidence_type,
        "subject": {
            "tax_id": subject["tax_id"],
            "family_name": subject["family_name"],
            "given_name": subject["given_name"],
            "date_of_birth": subject["date_of_birth"],
        },
        "procedure": "Elterngeld",
        "legal_basis": "§ 9 BEEG",
        "jurisdiction": subject["ags"],
    });
    let url = format!(
        "{}/v1/evidence-requests",
        requester["app_url"].as_str().expect("app_url")
    );
    let auth = format!(
        "Authorization: Bearer {}",
        requester["api_key"].as_str().expect("api_key")
    );
    let output = curl(&[
        "--max-time",
        "120",
        "-w",
        "\n%{http_code}",
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        &body.to_string(),
        &url,
    ]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let (json, status) = text.rsplit_once('\n').expect("status line");
    (
        status.trim().parse().expect("status"),
        serde_json::from_str(json).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

#[test]
fn the_demo_runs_the_scenario_serves_through_demo_json_and_reuses_its_directory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("demo");

    // The scenario, start to end, with a new directory.
    let first = demo_within(&["demo", "--dir", path(&dir), "--no-serve"]);
    let out = stdout(&first);
    assert!(first.status.success(), "{out}\n{}", stderr(&first));
    assert!(!out.contains("[failed]"), "{out}");
    for expected in [
        "[ok] created the federation CA",
        "with the full seed",
        "[ok] DE-HB:KOMMUNE:04011000: register melderegister (Melderegister Bremen) with 12000 residents of Bremen",
        "[ok] DE:BUND:drv: register rentenversicherungskonto",
        "[ok] DE:BUND:drv published its signed descriptor to the register map: 1 register",
        "replace their seed entries",
        "the signed answers of the map name DE-HB:KOMMUNE:04011000 for residence certificates (municipality level) and DE:BUND:drv for income certificates (federal level)",
        "[ok] the Elterngeld office obtained a residence certificate for",
        "address.municipality.key   04011000",
        "DE:BUND:drv wants the citizen's approval first: https://localhost:",
        "entered the one-time code from the simulated mailbox, saw the certificate and approved it",
        "[ok] the Elterngeld office obtained an income certificate for",
        "gross_annual_income_eur",
        "was refused by DE-HB:KOMMUNE:04011000: HTTP 403, EDM:ERR:0002 NoAccessRule",
        "are eDelivery AS4 access points of the OOTS, each the other's partner",
        "AT:BUND:familienbeihilfe) asked for a residence certificate over OOTS (eDelivery AS4) with a preview; DE-HB:KOMMUNE:04011000 wants the citizen's approval first: https://localhost:",
        "[ok] Finanzamt Österreich, Familienbeihilfe (AT:BUND:familienbeihilfe) obtained a residence certificate for",
        "over OOTS (eDelivery AS4: signed, encrypted user messages, signed receipts; EDM 1.0, the oots profile: eIDAS identifier, level of assurance High, procedure S1",
        "[ok] the citizen's transfer record shows both transfers",
        "[ok] the register map shows the exchanges: DE-HB:KOMMUNE:04011000 → DE-HB:LAND:elterngeld (1 today), DE:BUND:drv → DE-HB:LAND:elterngeld (1 today)",
        "every step succeeded",
        "/v1/transfers?subject=",
    ] {
        assert!(out.contains(expected), "lacks {expected:?}:\n{out}");
    }

    // demo.json: everything a script needs, readable only by its owner (it holds API keys).
    assert_eq!(mode(&dir.join("demo.json")), 0o600);
    let demo = read_demo_json(&dir);
    let ids: Vec<&str> = demo["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(ids, [REQUESTER, POPULATION, PENSION, ABROAD]);
    logged_messages_pass_the_edm_rules(&demo);
    assert!(demo["ready_at"].is_string(), "{demo}");
    assert!(
        demo["map"]["api_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://localhost:")),
        "{demo}"
    );
    let web_url = demo["map"]["web_url"].as_str().expect("web_url").to_owned();
    for file in ["ca", "crl"] {
        assert!(
            Path::new(demo[file].as_str().expect(file)).is_file(),
            "{file}"
        );
    }
    for m in demo["members"].as_array().expect("members") {
        assert!(
            m["api_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("once_"))
        );
        for file in [
            "config",
            "database",
            "tls_cert",
            "tls_key",
            "signing_cert",
            "signing_key",
        ] {
            let p = m[file].as_str().expect(file);
            assert!(Path::new(p).is_file(), "{file} {p}");
        }
        assert_eq!(mode(Path::new(m["tls_key"].as_str().expect("key"))), 0o600);
        assert!(
            m["peer_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
    }
    for provider in [POPULATION, PENSION] {
        let m = member(&demo, provider);
        assert!(
            m["preview_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
        let register = &m["registers"][0];
        assert!(
            register["records"].as_u64().is_some_and(|n| n >= 10_000),
            "{m}"
        );
        let csv = std::fs::read_to_string(register["records_csv"].as_str().expect("csv"))
            .expect("records.csv");
        assert_eq!(
            csv.lines().count() as u64,
            register["records"].as_u64().unwrap_or(0) + 1
        );
    }
    let subjects = demo["sample_subjects"].as_array().expect("samples").clone();
    assert!(subjects.len() >= 3, "{demo}");
    assert!(
        subjects
            .iter()
            .all(|s| s["tax_id"].as_str().is_some_and(|t| t.len() == 11))
    );

    // Served: an application service drives the running federation through demo.json alone.
    let serving = Serving::start(&dir);
    let seen = serving.until("ready:");
    assert!(seen.starts_with("reusing the demo federation"), "{seen}");
    assert!(seen.contains("every step succeeded"), "{seen}");
    let demo = read_demo_json(&dir);
    let requester = member(&demo, REQUESTER);
    let bremen = subjects
        .iter()
        .find(|s| s["ags"] == "04011000" && s != &&subjects[0])
        .expect("a second citizen of Bremen");
    let (status, answer) = ask(requester, bremen, RESIDENCE);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "evidence");
    assert_eq!(answer["provider"], POPULATION);
    assert_eq!(answer["evidence"]["person.tax_id"], bremen["tax_id"]);
    assert_eq!(
        answer["evidence"]["person.family_name"],
        bremen["family_name"]
    );
    assert_eq!(answer["evidence"]["address.municipality.key"], "04011000");
    assert!(
        answer["evidence_xml"]
            .as_str()
            .is_some_and(|x| x.contains("SignatureValue"))
    );
    // Someone from elsewhere: Bremen's register is not asked; nobody else provides it there.
    let elsewhere = subjects
        .iter()
        .find(|s| s["ags"] != "04011000")
        .expect("a citizen from elsewhere");
    let (status, answer) = ask(requester, elsewhere, RESIDENCE);
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "no_provider", "{answer}");
    // The map's web page is up.
    let page = curl(&["-f", "-o", "/dev/null", "-w", "%{http_code}", &web_url]);
    assert_eq!(String::from_utf8_lossy(&page.stdout), "200");

    signal(&serving.child, "TERM");
    let stopped = Instant::now();
    let mut serving = serving;
    let status = loop {
        if let Some(status) = serving.child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(60),
            "still serving after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    drop(serving);

    // A second --no-serve run reuses the directory: same keys, new requests.
    let again = demo_within(&["demo", "--dir", path(&dir), "--no-serve"]);
    let out = stdout(&again);
    assert!(again.status.success(), "{out}\n{}", stderr(&again));
    assert!(out.starts_with("reusing the demo federation"), "{out}");
    assert!(out.contains("[ok] renewed the CRL"), "{out}");
    assert!(out.contains("every step succeeded"), "{out}");
    assert!(!out.contains("created the federation CA"), "{out}");
    assert_eq!(
        read_demo_json(&dir)["members"][0]["api_key"],
        demo["members"][0]["api_key"]
    );

    // A directory that is not a demo of this version: one line saying what to do, exit 1.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(other.join("something")).expect("dir");
    fails(&["demo", "--dir", path(&other), "--no-serve"], 1, "remove");
}
