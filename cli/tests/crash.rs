//! Crash safety: `once node run` processes under continuous load are killed with SIGKILL at
//! random moments and restarted, 20 times the provider, then 10 times the requester; and a
//! register map is killed while nodes publish. Afterwards every exchange the application saw
//! succeed has its request and answer in both message logs, `once log verify` passes on both,
//! every provider request entry has its answer (the pair is one transaction), and the map has
//! every publication it accepted. The logs of the whole run never show a key, an API key or a
//! full identification number, and every request line carries a trace id.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use once_node::db::{self, log};

const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const REQUESTER: &str = "DE-HB:LAND:elterngeld";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
const TAX_ID: &str = "65929970489";

/// `once node init` with fixed ports (they must survive restarts); returns node.toml and the
/// first API key.
fn init_node(ca: &Path, dir: &Path, member: &str, peer: u16, app: u16) -> (PathBuf, String) {
    let out = ok(&[
        "node",
        "init",
        "--dir",
        path(dir),
        "--member",
        member,
        "--ca",
        path(ca),
        "--peer-listen",
        &format!("127.0.0.1:{peer}"),
        "--app-listen",
        &format!("127.0.0.1:{app}"),
    ]);
    let key = out
        .split_whitespace()
        .find(|w| w.starts_with("once_"))
        .expect("API key")
        .to_owned();
    (dir.join("node.toml"), key)
}

/// A small pseudo-random sequence (no dependency; the seed is printed so a run can be repeated).
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Kills with SIGKILL and reaps.
fn kill(mut node: RunningChild) -> Vec<serde_json::Value> {
    signal(&node.child, "KILL");
    node.child.wait().expect("reaped");
    // Give the log reader a moment to drain what the process wrote before it died.
    std::thread::sleep(Duration::from_millis(50));
    node.events()
}

fn stop(mut node: RunningChild) -> Vec<serde_json::Value> {
    signal(&node.child, "TERM");
    node.child.wait().expect("stopped");
    std::thread::sleep(Duration::from_millis(50));
    node.events()
}

/// Request and response entries by exchange id in a node's log.
async fn logged(database: &Path) -> (Vec<log::Entry>, usize) {
    let pool = db::open(path(database), 2, Duration::from_secs(5)).expect("open log");
    let entries = db::run(&pool, |conn| log::entries_after(conn, 0, i64::MAX))
        .await
        .expect("read log");
    let checkpoints = db::run(&pool, log::checkpoints)
        .await
        .expect("checkpoints")
        .len();
    (entries, checkpoints)
}

fn pairs(entries: &[log::Entry]) -> (HashSet<String>, HashSet<String>) {
    let mut requests = HashSet::new();
    let mut responses = HashSet::new();
    for e in entries {
        match e.kind.as_str() {
            "request" => requests.insert(e.exchange_id.clone()),
            _ => responses.insert(e.exchange_id.clone()),
        };
    }
    (requests, responses)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_nodes_lose_no_exchange_and_leave_whole_logs() {
    once_pki::install_crypto_provider();
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    let (provider_peer, requester_app) = (free_port(), free_port());
    let (provider, _) = init_node(
        &ca,
        &tmp.path().join("provider"),
        PROVIDER,
        provider_peer,
        free_port(),
    );
    let (requester, key) = init_node(
        &ca,
        &tmp.path().join("requester"),
        REQUESTER,
        free_port(),
        requester_app,
    );
    add_population_register(path(&provider));
    let csv = tmp.path().join("people.csv");
    std::fs::write(&csv, JUERGEN_CSV).expect("csv");
    ok(&[
        "register",
        "import",
        "--config",
        path(&provider),
        "--register",
        "melderegister-bremen",
        path(&csv),
    ]);
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
    let mut toml = std::fs::read_to_string(&requester).expect("read");
    toml.push_str(&format!(
        "\n[[providers]]\nmember = \"{PROVIDER}\"\nurl = \"https://localhost:{provider_peer}\"\nevidence_types = [\"{RESIDENCE}\"]\njurisdictions = [\"04011\"]\n"
    ));
    std::fs::write(&requester, toml).expect("write");

    let mut provider_node = Some(start_node(&provider, &[]));
    let mut requester_node = Some(start_node(&requester, &[]));
    let mut events: Vec<serde_json::Value> = Vec::new();

    // Three application clients ask without pause; the ids of answered requests are kept.
    let stop_load = Arc::new(AtomicBool::new(false));
    let succeeded: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let url = format!("http://127.0.0.1:{requester_app}/v1/evidence-requests");
    let mut load = Vec::new();
    for _ in 0..3 {
        let (stop_load, succeeded, attempts) =
            (stop_load.clone(), succeeded.clone(), attempts.clone());
        let (url, key) = (url.clone(), key.clone());
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            while !stop_load.load(Ordering::Relaxed) {
                attempts.fetch_add(1, Ordering::Relaxed);
                let answer = http
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(
                        serde_json::json!({
                            "evidence_type": RESIDENCE,
                            "subject": {"tax_id": TAX_ID, "family_name": "Müller-Lüdenscheidt",
                                        "given_name": "Jürgen", "date_of_birth": "1985-03-07"},
                            "procedure": "Elterngeld",
                            "legal_basis": "§ 9 BEEG",
                            "jurisdiction": "04011000",
                        })
                        .to_string(),
                    )
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().as_u16() == 200 => {
                        let body: serde_json::Value = r.json().await.expect("json");
                        let id = body["request_id"].as_str().expect("request_id").to_owned();
                        succeeded.lock().expect("lock").push(id);
                    }
                    // Refused while a node is down or restarting: expected, retried.
                    _ => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos() as u64
        | 1;
    println!("crash: random seed {seed}");
    let mut random = Random(seed);
    let wait_for_success = |succeeded: Arc<Mutex<Vec<String>>>| async move {
        let before = succeeded.lock().expect("lock").len();
        for _ in 0..400 {
            if succeeded.lock().expect("lock").len() > before {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no exchange succeeded within 10 s after a restart");
    };

    // 20 × the provider, 10 × the requester, each killed after a random 20–400 ms of load and
    // started again.
    for cycle in 0..30 {
        wait_for_success(succeeded.clone()).await;
        tokio::time::sleep(Duration::from_millis(20 + random.below(380))).await;
        if cycle < 20 {
            events.extend(kill(provider_node.take().expect("provider running")));
            provider_node = Some(start_node(&provider, &[]));
        } else {
            events.extend(kill(requester_node.take().expect("requester running")));
            requester_node = Some(start_node(&requester, &[]));
        }
    }
    wait_for_success(succeeded.clone()).await;
    stop_load.store(true, Ordering::Relaxed);
    for task in load {
        task.await.expect("load task");
    }
    events.extend(stop(provider_node.take().expect("provider")));
    events.extend(stop(requester_node.take().expect("requester")));
    let succeeded = succeeded.lock().expect("lock").clone();
    println!(
        "crash: {} exchanges succeeded of {} attempts across 30 kills",
        succeeded.len(),
        attempts.load(Ordering::Relaxed)
    );

    // Both logs verify, with the CLI an operator would use.
    for config in [&provider, &requester] {
        let out = once(&["log", "verify", "--config", path(config)]);
        assert!(
            out.status.success(),
            "{}: {}{}",
            config.display(),
            stdout(&out),
            stderr(&out)
        );
    }
    // Every exchange the application saw succeed is in both logs, request and answer.
    let (provider_entries, _) = logged(&tmp.path().join("provider/node.db")).await;
    let (requester_entries, _) = logged(&tmp.path().join("requester/node.db")).await;
    let (p_requests, p_responses) = pairs(&provider_entries);
    let (r_requests, r_responses) = pairs(&requester_entries);
    for id in &succeeded {
        assert!(
            p_requests.contains(id) && p_responses.contains(id),
            "provider log lacks {id}"
        );
        assert!(
            r_requests.contains(id) && r_responses.contains(id),
            "requester log lacks {id}"
        );
    }
    // Nothing half-written: on the provider a request and its answer are one transaction.
    assert_eq!(
        p_requests, p_responses,
        "a provider request without its answer, or the reverse"
    );
    // The requester logs a request before sending it; a kill before the answer arrived leaves a
    // request without answer, which the application saw fail and the log shows as such. An
    // answer never appears without its request.
    assert!(r_responses.is_subset(&r_requests));

    // The logs of the whole run: no key material, API key or identification number; a trace id
    // on every request.
    let text: String = events
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    for secret in ["PRIVATE KEY", &key, TAX_ID] {
        assert!(
            !text.contains(secret),
            "the logs show {secret:?}: {}",
            text.lines()
                .find(|l| l.contains(secret))
                .unwrap_or_default()
        );
    }
    let requests: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["message"] == "request")
        .collect();
    assert!(!requests.is_empty());
    for event in requests {
        let trace = event["span"]["trace.id"]
            .as_str()
            .or_else(|| event["trace.id"].as_str())
            .unwrap_or_default();
        assert_eq!(
            trace.len(),
            32,
            "a request logged without trace id: {event}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_register_map_keeps_every_publication_it_accepted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    let (api, web) = (free_port(), free_port());
    ok(&[
        "map",
        "init",
        "--dir",
        path(&tmp.path().join("map")),
        "--ca",
        path(&ca),
        "--api-listen",
        &format!("127.0.0.1:{api}"),
        "--web-listen",
        &format!("127.0.0.1:{web}"),
    ]);
    let map_config = tmp.path().join("map/map.toml");
    let (provider, _) = init_node(
        &ca,
        &tmp.path().join("provider"),
        PROVIDER,
        free_port(),
        free_port(),
    );
    let mut toml = std::fs::read_to_string(&provider).expect("read");
    toml.push_str(&format!(
        "\n[map]\nurl = \"https://localhost:{api}\"\nmember = \"DE:BUND:registerlandkarte\"\npeer_url = \"https://localhost:8443\"\npublish = false\n"
    ));
    std::fs::write(&provider, toml).expect("write");
    let mut map = Some(start_map(&map_config));
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut accepted = Vec::new();
    // Each round adds a register and publishes; the map is killed at a random moment in
    // between, sometimes while a publication is in flight.
    for round in 0..10 {
        let id = format!("register-{round}");
        ok(&[
            "register",
            "add",
            "--config",
            path(&provider),
            "--id",
            &id,
            "--name",
            &format!("Register {round}"),
            "--evidence-type",
            RESIDENCE,
            "--level",
            "municipality",
            "--jurisdiction",
            "04011000",
            "--legal-basis",
            "§ 18 BMG",
        ]);
        let publish = std::process::Command::new(ONCE)
            .args(["node", "publish", "--config", path(&provider)])
            .env_remove("ONCE_LOG")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("publish");
        std::thread::sleep(Duration::from_millis(random.below(60)));
        kill(map.take().expect("map"));
        let out = publish.wait_with_output().expect("publish ends");
        if out.status.success() {
            accepted.push(round + 1);
        }
        map = Some(start_map(&map_config));
        // After the restart a publication always goes through.
        let out = once(&["node", "publish", "--config", path(&provider)]);
        assert!(out.status.success(), "{}", stderr(&out));
        accepted.push(round + 1);
    }
    let page = curl(&[&format!("http://127.0.0.1:{web}/members/{PROVIDER}")]);
    let page = String::from_utf8_lossy(&page.stdout).into_owned();
    stop(map.take().expect("map"));
    assert!(!accepted.is_empty());
    // The last publication named 10 registers; all are on the map after the kills.
    for round in 0..10 {
        assert!(
            page.contains(&format!("Register {round}")),
            "register {round} missing from the map after restarts"
        );
    }
}
