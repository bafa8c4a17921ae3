//! Security checks against running `once` processes, with openssl and curl as independent
//! clients: TLS versions and cipher suites (nothing below TLS 1.2, AEAD only), key files 0600,
//! no path traversal into the file system, SQL-looking input in the subject and in the map's
//! search treated as text, oversized headers refused, and slow clients (a stalled handshake, a
//! request that never ends) cut off while the node keeps serving.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

fn s_client(addr: &str, dir: &Path, ca: &Path, extra: &[&str]) -> Output {
    let mut command = Command::new("openssl");
    command
        .args(["s_client", "-connect", addr, "-brief", "-CAfile"])
        .arg(ca)
        .arg("-cert")
        .arg(dir.join("tls.pem"))
        .arg("-key")
        .arg(dir.join("tls.key"))
        .args(extra)
        .stdin(std::process::Stdio::null());
    command.output().expect("openssl is installed")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the server closed the connection (read returns 0 or an error) within `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 1024];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("read timeout");
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn the_node_and_the_map_resist_the_usual_attacks() {
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
    let dir = tmp.path().join("provider");
    let created = ok(&[
        "node",
        "init",
        "--dir",
        path(&dir),
        "--member",
        PROVIDER,
        "--ca",
        path(&ca),
        "--peer-listen",
        "127.0.0.1:0",
        "--app-listen",
        "127.0.0.1:0",
    ]);
    let key = created
        .split_whitespace()
        .find(|w| w.starts_with("once_"))
        .expect("API key")
        .to_owned();
    let config = dir.join("node.toml");
    let map_dir = tmp.path().join("map");
    ok(&[
        "map",
        "init",
        "--dir",
        path(&map_dir),
        "--ca",
        path(&ca),
        "--api-listen",
        "127.0.0.1:0",
        "--web-listen",
        "127.0.0.1:0",
    ]);

    // Every private key on disk is readable by its owner alone.
    let mut keys = 0;
    for folder in [&ca, &dir, &map_dir] {
        for entry in std::fs::read_dir(folder).expect("dir") {
            let file = entry.expect("entry").path();
            if file.extension().is_some_and(|e| e == "key") {
                assert_eq!(mode(&file), 0o600, "{}", file.display());
                keys += 1;
            }
        }
    }
    assert!(keys >= 5, "CA key, two node keys, two map keys: {keys}");

    ok(&[
        "register",
        "add",
        "--config",
        path(&config),
        "--id",
        "melderegister-bremen",
        "--name",
        "Melderegister Bremen",
        "--evidence-type",
        RESIDENCE,
        "--level",
        "municipality",
        "--jurisdiction",
        "04011000",
        "--legal-basis",
        "§ 18 BMG",
    ]);
    let node = start_node(&config, &[]);
    let ca_pem = ca.join("ca.pem");

    // TLS: 1.3 and 1.2 with AEAD suites are spoken; 1.1, 1.0 and CBC suites are not.
    let tls13 = s_client(&node.peer, &dir, &ca_pem, &["-tls1_3"]);
    assert!(
        text(&tls13).contains("Protocol version: TLSv1.3"),
        "{}",
        text(&tls13)
    );
    let gcm = s_client(
        &node.peer,
        &dir,
        &ca_pem,
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
    );
    assert!(
        text(&gcm).contains("Ciphersuite: ECDHE-ECDSA-AES128-GCM-SHA256"),
        "{}",
        text(&gcm)
    );
    for (case, args) in [
        ("TLS 1.1", vec!["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
        ("TLS 1.0", vec!["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
        (
            "CBC suite",
            vec![
                "-tls1_2",
                "-cipher",
                "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384",
            ],
        ),
        (
            "RSA key exchange",
            vec!["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
        ),
    ] {
        let out = s_client(&node.peer, &dir, &ca_pem, &args);
        let said = text(&out);
        assert!(
            !out.status.success() && !said.contains("Ciphersuite:"),
            "{case} must be refused: {said}"
        );
    }

    // Subject fields that look like SQL are names, nothing more.
    let app = format!("http://{}", node.app);
    for (field, value) in [
        ("family_name", "x' OR '1'='1"),
        ("given_name", "'; DROP TABLE register_records; --"),
        ("family_name", "\" OR \"\"=\""),
    ] {
        let mut subject = serde_json::json!({
            "family_name": "Müller", "given_name": "Jürgen", "date_of_birth": "1985-03-07"
        });
        subject[field] = serde_json::json!(value);
        let body = serde_json::json!({
            "evidence_type": RESIDENCE,
            "subject": subject,
            "procedure": "Elterngeld' OR 1=1 --",
            "legal_basis": "§ 9 BEEG",
            "provider": PROVIDER,
        });
        let out = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            &format!("Authorization: Bearer {key}"),
            "-H",
            "Content-Type: application/json",
            "--data",
            &body.to_string(),
            &format!("{app}/v1/evidence-requests"),
        ]);
        let status = String::from_utf8_lossy(&out.stdout).into_owned();
        // No provider table: refused before anything is asked; what matters is a clean answer.
        assert!(
            matches!(status.as_str(), "400" | "404"),
            "{field}={value:?}: HTTP {status}"
        );
    }
    assert!(
        ok(&["register", "list", "--config", path(&config)]).contains("melderegister-bremen"),
        "the register is intact"
    );

    // A request head larger than the server's limit (128 KiB) is refused; the node serves on.
    let mut big = TcpStream::connect(&node.app).expect("connect");
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let _ = big.write_all(head.as_bytes());
    big.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut answer = Vec::new();
    let _ = big.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        !answer.contains(" 200 "),
        "a 200 KiB header was accepted: {answer}"
    );

    // Slow clients: a TLS handshake that never starts and a request that never ends are cut
    // off; meanwhile others are served.
    let mut silent = TcpStream::connect(&node.peer).expect("connect");
    let mut dribbling = TcpStream::connect(&node.app).expect("connect");
    dribbling
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .expect("write");
    let healthy = curl(&[&format!("{app}/healthz")]);
    assert!(String::from_utf8_lossy(&healthy.stdout).contains("alive"));
    assert!(
        closed_within(&mut silent, Duration::from_secs(20)),
        "a client that never completes the TLS handshake is disconnected"
    );
    assert!(
        closed_within(&mut dribbling, Duration::from_secs(20)),
        "a request whose headers never end is cut off"
    );

    // Path traversal: nothing outside the embedded assets is served.
    let map = start_map(&map_dir.join("map.toml"));
    for attempt in [
        "/static/../../../../etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static//etc/passwd",
        "/../../../../etc/passwd",
    ] {
        let out = curl(&[
            "--path-as-is",
            "-w",
            "\n%{http_code}",
            &format!("http://{}{attempt}", map.app),
        ]);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!said.contains("root:"), "{attempt} served a file: {said}");
        assert!(
            said.ends_with("404") || said.ends_with("400"),
            "{attempt}: {said}"
        );
    }
    for attempt in ["/static/../../etc/passwd", "/v1/../../etc/passwd"] {
        let out = curl(&[
            "--path-as-is",
            "-w",
            "\n%{http_code}",
            &format!("{app}{attempt}"),
        ]);
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!said.contains("root:"), "{attempt} served a file: {said}");
    }
    // The map's search takes SQL-looking text as words.
    let out = curl(&[
        "-G",
        "-w",
        "\n%{http_code}",
        "--data-urlencode",
        "q=' OR 1=1; DROP TABLE registers; --",
        &format!("http://{}/", map.app),
    ]);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(said.ends_with("200"), "search: {said}");
    let again = curl(&[
        "-w",
        "\n%{http_code}",
        &format!("http://{}/members", map.app),
    ]);
    assert!(String::from_utf8_lossy(&again.stdout).ends_with("200"));

    for mut child in [node.child, map.child] {
        signal(&child, "TERM");
        child.wait().expect("stopped");
    }
}
