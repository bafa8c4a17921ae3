//! The `once` program as an operator uses it, checked with independent tools (openssl, curl).

mod common;

use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Runs a command that must end by itself; a node that started instead is killed and the test
/// fails rather than hangs.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!("still running after {limit:?}: {}", stderr(&output));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn openssl_verify(dir: &Path, cert: &Path) -> Output {
    Command::new("openssl")
        .arg("verify")
        .arg("-CAfile")
        .arg(dir.join("ca.pem"))
        .arg("-crl_check")
        .arg("-CRLfile")
        .arg(dir.join("crl.pem"))
        .arg(cert)
        .output()
        .expect("openssl is installed")
}

fn serial_of(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(cert)
        .output()
        .expect("openssl");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches("serial=")
        .to_owned()
}

#[test]
fn openssl_agrees_with_the_ca_before_and_after_revocation() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    let node = tmp.path().join("node");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    assert_eq!(mode(&ca.join("ca.key")), 0o600);
    let out = ok(&[
        "pki",
        "issue",
        "--dir",
        path(&ca),
        "--member",
        "DE:BUND:bva",
        "--host",
        "localhost",
        "--host",
        "127.0.0.1",
        "--out",
        path(&node),
    ]);
    assert!(
        !out.contains("PRIVATE KEY"),
        "keys are never printed: {out}"
    );
    assert_eq!(mode(&node.join("tls.key")), 0o600);
    assert_eq!(mode(&node.join("signing.key")), 0o600);

    for cert in ["tls.pem", "signing.pem"] {
        let verified = openssl_verify(&ca, &node.join(cert));
        assert!(verified.status.success(), "{cert}: {}", stdout(&verified));
    }
    let shown = ok(&["pki", "show", path(&node.join("tls.pem"))]);
    assert!(
        shown.contains("member id:           DE:BUND:bva"),
        "{shown}"
    );
    assert!(shown.contains("serverAuth, clientAuth"), "{shown}");
    let shown = ok(&["pki", "show", path(&node.join("signing.pem"))]);
    assert!(
        shown.contains("digitalSignature, nonRepudiation"),
        "{shown}"
    );

    // openssl prints the serial in capitals; the CA takes it as printed.
    ok(&[
        "pki",
        "revoke",
        "--dir",
        path(&ca),
        "--serial",
        &serial_of(&node.join("tls.pem")),
    ]);
    let verified = openssl_verify(&ca, &node.join("tls.pem"));
    assert!(!verified.status.success(), "revoked certificate verified");
    assert!(
        stdout(&verified).contains("certificate revoked")
            || stderr(&verified).contains("certificate revoked")
    );
    let still_valid = openssl_verify(&ca, &node.join("signing.pem"));
    assert!(
        still_valid.status.success(),
        "the signing certificate was not revoked"
    );
    let crl = ok(&["pki", "show", path(&ca.join("crl.pem"))]);
    assert!(
        crl.to_lowercase()
            .contains(&serial_of(&node.join("tls.pem")).to_lowercase()),
        "{crl}"
    );
}

#[test]
fn a_member_keeping_its_key_at_home_gets_a_certificate_for_its_request() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    let home = tmp.path().join("home");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    ok(&[
        "pki",
        "csr",
        "--member",
        "DE-HB:KOMMUNE:04011000",
        "--purpose",
        "tls",
        "--host",
        "node.bremen.example",
        "--out",
        path(&home),
    ]);
    assert_eq!(mode(&home.join("tls.key")), 0o600);
    let cert = home.join("tls.pem");
    fails(
        &[
            "pki",
            "sign-csr",
            "--dir",
            path(&ca),
            "--csr",
            path(&home.join("tls.csr")),
            "--member",
            "DE:BUND:bva",
            "--purpose",
            "tls",
            "--out",
            path(&cert),
        ],
        1,
        "names member DE-HB:KOMMUNE:04011000",
    );
    ok(&[
        "pki",
        "sign-csr",
        "--dir",
        path(&ca),
        "--csr",
        path(&home.join("tls.csr")),
        "--member",
        "DE-HB:KOMMUNE:04011000",
        "--purpose",
        "tls",
        "--out",
        path(&cert),
    ]);
    assert!(openssl_verify(&ca, &cert).status.success());
    // The certificate belongs to the key that never left home.
    let pubkey = |args: &[&str], file: &Path| {
        let out = Command::new("openssl")
            .args(args)
            .arg(file)
            .output()
            .expect("openssl");
        stdout_of(out)
    };
    assert_eq!(
        pubkey(&["x509", "-noout", "-pubkey", "-in"], &cert),
        pubkey(&["pkey", "-pubout", "-in"], &home.join("tls.key"))
    );
    let shown = ok(&["pki", "show", path(&cert)]);
    assert!(shown.contains("DNS:node.bremen.example"), "{shown}");
}

fn stdout_of(out: Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bad_command_line_input_gets_one_clear_line() {
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
    let out = path(&tmp.path().join("x")).to_owned();
    fails(
        &[
            "pki",
            "issue",
            "--dir",
            path(&ca),
            "--member",
            "DE:bund:x",
            "--host",
            "a",
            "--out",
            &out,
        ],
        2,
        "class must be 2 to 16 capital letters",
    );
    fails(
        &[
            "pki",
            "issue",
            "--dir",
            path(&ca),
            "--member",
            "DE:BUND:x",
            "--host",
            "bad host",
            "--out",
            &out,
        ],
        64,
        "neither a DNS name nor an IP address",
    );
    fails(
        &["pki", "revoke", "--dir", path(&ca), "--serial", "zz"],
        64,
        "not a hexadecimal number",
    );
    fails(
        &["pki", "revoke", "--dir", path(&ca), "--serial", "abcdef"],
        64,
        "no certificate with serial abcdef",
    );
    fails(
        &["pki", "init", "--dir", path(&ca), "--name", "Again"],
        64,
        "exists already",
    );
    fails(
        &["pki", "crl", "--dir", "/nonexistent/ca"],
        2,
        "is not a directory",
    );
    fails(&["pki", "show", "/nonexistent.pem"], 1, "/nonexistent.pem");
    fails(&["pki", "frobnicate"], 2, "unrecognized subcommand");
}

/// A node set up with `once node init`, with a free port for each endpoint.
struct NodeDir {
    _tmp: tempfile::TempDir,
    ca: PathBuf,
    dir: PathBuf,
    config: PathBuf,
    api_key: String,
}

fn node_dir() -> NodeDir {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    let dir = tmp.path().join("node");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    let out = ok(&[
        "node",
        "init",
        "--dir",
        path(&dir),
        "--member",
        "DE-HB:KOMMUNE:04011000",
        "--ca",
        path(&ca),
        "--peer-listen",
        "127.0.0.1:0",
        "--app-listen",
        "127.0.0.1:0",
    ]);
    let api_key = out
        .split_whitespace()
        .find(|w| w.starts_with("once_"))
        .expect("the API key is printed once")
        .to_owned();
    assert_eq!(mode(&dir.join("tls.key")), 0o600);
    let config = dir.join("node.toml");
    NodeDir {
        ca,
        dir,
        config,
        api_key,
        _tmp: tmp,
    }
}

#[test]
fn curl_talks_to_a_node_and_a_revoked_peer_is_refused_after_sighup() {
    let node = node_dir();
    let peer_dir = node.dir.parent().expect("parent").join("peer");
    ok(&[
        "pki",
        "issue",
        "--dir",
        path(&node.ca),
        "--member",
        "DE:BUND:bva",
        "--host",
        "localhost",
        "--out",
        path(&peer_dir),
    ]);
    // Check the CRL by SIGHUP only: the file watcher looks rarely.
    let mut running = start_node(&node.config, &[("ONCE_TLS__CRL_RELOAD_SECONDS", "3600")]);
    let peer_url = format!(
        "https://localhost:{}/v1/identity",
        running.peer.rsplit(':').next().expect("port")
    );
    let with_cert = || {
        curl(&[
            "--cacert",
            path(&node.dir.join("ca.pem")),
            "--cert",
            path(&peer_dir.join("tls.pem")),
            "--key",
            path(&peer_dir.join("tls.key")),
            &peer_url,
        ])
    };
    let answer = with_cert();
    assert!(answer.status.success(), "curl: {}", stderr(&answer));
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).expect("json");
    assert_eq!(json["peer"]["member_id"], "DE:BUND:bva");

    let anonymous = curl(&["--cacert", path(&node.dir.join("ca.pem")), &peer_url]);
    assert!(
        !anonymous.status.success(),
        "a client without a certificate was answered"
    );

    // The application endpoint: API key required.
    let app_url = format!("http://{}/v1/node", running.app);
    let refused = curl(&["-o", "/dev/null", "-w", "%{http_code}", &app_url]);
    assert_eq!(stdout(&refused), "401");
    let with_key = curl(&[
        "-H",
        &format!("Authorization: Bearer {}", node.api_key),
        &app_url,
    ]);
    let json: serde_json::Value = serde_json::from_slice(&with_key.stdout).expect("json");
    assert_eq!(json["member_id"], "DE-HB:KOMMUNE:04011000");
    let ready = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &format!("http://{}/readyz", running.app),
    ]);
    assert_eq!(stdout(&ready), "200");

    // Revoke the peer, copy the CRL to the node, SIGHUP: refused without a restart.
    ok(&[
        "pki",
        "revoke",
        "--dir",
        path(&node.ca),
        "--serial",
        &serial_of(&peer_dir.join("tls.pem")),
    ]);
    std::fs::copy(node.ca.join("crl.pem"), node.dir.join("crl.pem")).expect("copy crl");
    assert!(
        with_cert().status.success(),
        "the file watcher is off: still admitted before SIGHUP"
    );
    signal(&running.child, "HUP");
    let mut refused = false;
    for _ in 0..50 {
        if !with_cert().status.success() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(refused, "the revoked peer was still admitted after SIGHUP");

    // SIGTERM: a clean, graceful exit.
    signal(&running.child, "TERM");
    let status = running.child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");

    // Every log line is JSON; each request has its span with a request id and the peer's
    // member id; the API key never appears.
    let events = running.events();
    assert!(
        events.iter().all(|e| e.get("not_json").is_none()),
        "{events:?}"
    );
    let identity = events
        .iter()
        .find(|e| e["message"] == "request" && e["span"]["http.path"] == "/v1/identity")
        .expect("a request event for /v1/identity");
    assert_eq!(
        identity["span"]["peer.member_id"], "DE:BUND:bva",
        "{identity}"
    );
    assert_eq!(identity["http.status"], 200, "{identity}");
    assert!(
        identity["span"]["request.id"]
            .as_str()
            .is_some_and(|id| id.len() == 36),
        "{identity}"
    );
    assert!(
        events.iter().any(|e| e["message"] == "CRL loaded"),
        "SIGHUP reload was logged"
    );
    let all = serde_json::to_string(&events).expect("json");
    assert!(!all.contains(&node.api_key), "the API key was logged");
    assert!(!all.contains("PRIVATE KEY"));
}

#[test]
fn a_bad_configuration_stops_start_up_with_one_line_naming_the_field() {
    let node = node_dir();
    let original = std::fs::read_to_string(&node.config).expect("read");
    let run = |text: &str, envs: &[(&str, &str)]| {
        std::fs::write(&node.config, text).expect("write");
        let mut command = Command::new(ONCE);
        command
            .args(["node", "run", "--config", path(&node.config)])
            .envs(envs.iter().copied())
            .env_remove("ONCE_LOG");
        output_within(command, Duration::from_secs(30))
    };
    let expect_config_error = |output: Output, field: &str, words: &str| {
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(64), "{field}: {err}");
        let lines: Vec<_> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{field}: one line expected: {err}");
        assert!(
            lines[0].starts_with(&format!("error: configuration: {field}")),
            "{err}"
        );
        assert!(lines[0].contains(words), "{field}: {err} lacks {words:?}");
    };

    // Missing file.
    let output = Command::new(ONCE)
        .args(["node", "run", "--config", "/nonexistent/node.toml"])
        .output()
        .expect("run");
    expect_config_error(output, "/nonexistent/node.toml", "cannot read");
    // Bad member id.
    let text = original.replace(
        "member_id = \"DE-HB:KOMMUNE:04011000\"",
        "member_id = \"bremen\"",
    );
    expect_config_error(run(&text, &[]), "member_id", "three parts");
    // A certificate of another member than configured.
    let text = original.replace(
        "member_id = \"DE-HB:KOMMUNE:04011000\"",
        "member_id = \"DE:BUND:bva\"",
    );
    expect_config_error(
        run(&text, &[]),
        "tls.cert",
        "is for member DE-HB:KOMMUNE:04011000",
    );
    // A certificate that does not match its key.
    let text = original.replace("key = \"tls.key\"", "key = \"signing.key\"");
    expect_config_error(run(&text, &[]), "tls.cert", "does not match key");
    // An unreadable CA.
    let text = original.replace("ca = \"ca.pem\"", "ca = \"missing-ca.pem\"");
    expect_config_error(run(&text, &[]), "tls.ca", "missing-ca.pem");
    std::fs::write(node.dir.join("garbage.pem"), "not a certificate").expect("write");
    let text = original.replace("ca = \"ca.pem\"", "ca = \"garbage.pem\"");
    expect_config_error(run(&text, &[]), "tls.ca", "holds no certificate");
    // A certificate of another CA.
    let foreign = node.dir.parent().expect("parent").join("foreign-ca");
    ok(&["pki", "init", "--dir", path(&foreign), "--name", "Foreign"]);
    let text = original.replace(
        "ca = \"ca.pem\"",
        &format!("ca = \"{}\"", path(&foreign.join("ca.pem"))),
    );
    expect_config_error(
        run(&text, &[]),
        "tls.cert",
        "was not issued by the federation CA",
    );
    // Unknown field, and a bad value from the environment.
    let text = original.replace("[peer]", "[peer]\nlisten_port = 1");
    expect_config_error(run(&text, &[]), "peer", "listen_port");
    expect_config_error(
        run(&original, &[("ONCE_PEER__LISTEN", "nowhere")]),
        "peer.listen",
        "invalid socket address syntax (from the environment variable ONCE_PEER__LISTEN)",
    );
    // A database that cannot be opened: its own exit code, still one line.
    let output = run(
        &original,
        &[("ONCE_DATABASE_URL", "/nonexistent/dir/node.db")],
    );
    assert_eq!(output.status.code(), Some(69), "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("error: database_url:"),
        "{}",
        stderr(&output)
    );
    // `node check` says the restored configuration is fine.
    std::fs::write(&node.config, &original).expect("write");
    let checked = ok(&["node", "check", "--config", path(&node.config)]);
    assert!(checked.contains("is valid"), "{checked}");
}

#[test]
fn api_keys_are_listed_without_secrets_and_revoked_keys_are_refused() {
    let node = node_dir();
    let config = path(&node.config);
    let created = ok(&[
        "node",
        "api-key",
        "create",
        "--config",
        config,
        "--name",
        "antrag-online",
    ]);
    let secret = created
        .split_whitespace()
        .find(|w| w.starts_with("once_"))
        .expect("secret")
        .to_owned();
    fails(
        &[
            "node",
            "api-key",
            "create",
            "--config",
            config,
            "--name",
            "antrag-online",
        ],
        64,
        "exists already",
    );
    let listed = ok(&["node", "api-key", "list", "--config", config]);
    assert!(
        listed.contains("antrag-online") && listed.contains("default"),
        "{listed}"
    );
    assert!(
        !listed.contains(&secret) && !listed.contains(&node.api_key),
        "{listed}"
    );
    let db = std::fs::read(node.dir.join("node.db")).expect("db");
    assert!(
        !String::from_utf8_lossy(&db).contains(&secret),
        "the secret is stored in clear"
    );

    let mut running = start_node(&node.config, &[]);
    let url = format!("http://{}/v1/node", running.app);
    let status = |key: &str| {
        stdout(&curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("Authorization: Bearer {key}"),
            &url,
        ]))
    };
    assert_eq!(status(&secret), "200");
    assert_eq!(status("once_not-a-key"), "401");
    ok(&[
        "node",
        "api-key",
        "revoke",
        "--config",
        config,
        "--name",
        "antrag-online",
    ]);
    assert_eq!(status(&secret), "401");
    assert_eq!(status(&node.api_key), "200");
    fails(
        &[
            "node", "api-key", "revoke", "--config", config, "--name", "nobody",
        ],
        64,
        "no API key is named",
    );
    signal(&running.child, "TERM");
    assert!(running.child.wait().expect("wait").success());
    let _ = &running.peer;
}
