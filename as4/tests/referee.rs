//! The independent referee: the PyPI package `as4` (its own signing, encryption and receipt
//! code), with an OOTS profile defined on it in `tests/referee/oots_as4.py`, exchanges OOTS
//! messages with this crate on loopback in both directions. Installed by `scripts/test`
//! (`python3 -m pip install as4==0.2.0`); a missing package fails the tests, it is never
//! skipped.

mod common;
#[path = "common/http.rs"]
mod http;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{AccessPoint, request_header};
use once_as4::receive::{self, Limits, Pinned};
use once_as4::send::{self, OutgoingPayload};
use once_as4::signal::{self, SignalOutcome};
use once_as4::{Certificate, EbmsCode};

const EDM: &str = include_str!("../../xml-schemas/tests/samples/birth_request.xml");

/// Keys in files, for the Python side.
struct Files {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().to_owned();
        Files { _dir: dir, path }
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, content).expect("written");
        path
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/referee/oots_as4.py")
}

fn python_available() {
    let out = Command::new("python3")
        .args(["-c", "import as4.peppol"])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the referee needs the PyPI package as4: `python3 -m pip install as4==0.2.0` ({})",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The script, its `mode` and the keys it acts with: `python`'s key and certificate, `partner`'s
/// certificate.
fn referee_args(
    files: &Files,
    mode: &str,
    python: &AccessPoint,
    partner: &AccessPoint,
) -> Vec<std::ffi::OsString> {
    vec![
        script().into(),
        mode.into(),
        "--key".into(),
        files.write("key.pem", &python.key_pem).into(),
        "--cert".into(),
        files.write("cert.pem", &python.certificate_pem).into(),
        "--partner-cert".into(),
        files.write("partner.pem", &partner.certificate_pem).into(),
    ]
}

/// The Python access point sends an OOTS request (with `tamper`) to ours; returns what it
/// made of our answer and what we made of its message.
fn python_sends(
    python: &AccessPoint,
    signing: &AccessPoint,
    ours: &AccessPoint,
    tamper: Option<&str>,
) -> (
    serde_json::Value,
    Vec<Result<receive::Received, once_as4::EbmsError>>,
) {
    python_available();
    let files = Files::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let port = listener.local_addr().expect("address").port();
    let count = if tamper == Some("replay") { 2 } else { 1 };
    let (me, pinned) = (&ours.credentials, Pinned(python.certificate()));
    std::thread::scope(|scope| {
        let server = scope.spawn(|| {
            let mut opened = Vec::new();
            http::serve(listener, count, |request| {
                let result = receive::open(
                    &request.content_type,
                    &request.body,
                    me,
                    &pinned,
                    &Limits::default(),
                );
                let signal = match &result {
                    Ok(received) => signal::receipt(received, me, "de.test"),
                    Err(refused) => signal::error(refused, me, "de.test"),
                }
                .expect("a signal");
                opened.push(result);
                http::Message {
                    content_type: signal.content_type,
                    body: signal.body,
                }
            });
            opened
        });
        let mut command = Command::new("python3");
        command
            .args(referee_args(&files, "send", signing, ours))
            .arg("--url")
            .arg(format!("http://127.0.0.1:{port}/"))
            .arg("--payload")
            .arg(files.write("edm.xml", EDM));
        if let Some(tamper) = tamper {
            command.args(["--tamper", tamper]);
        }
        let out = command.output().expect("python3 runs");
        assert!(
            out.status.success(),
            "the referee failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let opened = server.join().expect("served");
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        (printed, opened)
    })
}

fn keys() -> &'static (AccessPoint, AccessPoint) {
    static KEYS: std::sync::OnceLock<(AccessPoint, AccessPoint)> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| (AccessPoint::new("AP_AT_01"), AccessPoint::new("AP_DE_01")))
}

#[test]
fn the_referee_sends_a_request_we_open_and_it_verifies_our_receipt() {
    let (python, ours) = keys();
    let (printed, opened) = python_sends(python, python, ours, None);
    assert_eq!(printed["receipt"], true, "{printed}");
    let received = opened[0].as_ref().expect("opened");
    assert_eq!(received.payloads[0].bytes, EDM.as_bytes());
    let header = once_as4::oots::OotsHeader::read(&received.header).expect("an OOTS header");
    assert_eq!(header.action, once_as4::oots::Action::ExecuteQueryRequest);
    assert_eq!(header.from_party, "AP_AT_01");
    assert_eq!(printed["message_id"], received.header.message_id.as_str());
}

#[test]
fn the_referee_hears_our_refusals_with_their_ebms_codes() {
    let (python, ours) = keys();
    let cases = [
        ("attachment", EbmsCode::FailedDecryption),
        ("unencrypted", EbmsCode::PolicyNoncompliance),
    ];
    for (tamper, code) in cases {
        let (printed, opened) = python_sends(python, python, ours, Some(tamper));
        let refused = opened[0].as_ref().expect_err("refused");
        assert_eq!(refused.code, code, "{tamper}: {refused}");
        assert_eq!(printed["error"], code.code(), "{tamper}: {printed}");
    }
    // Signed with a certificate other than the one configured for the partner.
    let stranger = AccessPoint::new("AP_AT_01");
    let (printed, opened) = python_sends(python, &stranger, ours, None);
    let refused = opened[0].as_ref().expect_err("refused");
    assert_eq!(refused.code, EbmsCode::FailedAuthentication, "{refused}");
    assert_eq!(printed["error"], "EBMS:0101", "{printed}");
}

/// Our access point sends an OOTS message to the Python one; returns the signal and its summary.
fn we_send(
    partner_certificate: &Certificate,
) -> (
    once_as4::Sent,
    Result<SignalOutcome, once_as4::EbmsError>,
    serde_json::Value,
) {
    python_available();
    let (python, ours) = keys();
    let files = Files::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bound")
        .local_addr()
        .expect("address")
        .port();
    let out_dir = files.path.join("out");
    std::fs::create_dir(&out_dir).expect("dir");
    let mut child = Command::new("python3")
        .args(referee_args(&files, "receive", python, ours))
        .args(["--port", &port.to_string()])
        .arg("--schema")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/envelope-check.xsd"
        ))
        .arg("--out")
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("the referee listens");
    assert_eq!(line.trim(), "listening");
    let evidence = b"%PDF-1.7 evidence of birth".repeat(200);
    let mut header = request_header(&ours.party, &python.party);
    header.action = "ExecuteQueryResponse".to_owned();
    let payloads = [
        OutgoingPayload {
            content_id: "edm@once.test".to_owned(),
            mime_type: once_as4::oots::EBRS_MIME_TYPE.to_owned(),
            bytes: EDM.as_bytes(),
            compress: true,
        },
        OutgoingPayload {
            content_id: "evidence-1@once.test".to_owned(),
            mime_type: "application/pdf".to_owned(),
            bytes: &evidence,
            compress: true,
        },
    ];
    let sent = send::user_message(&header, &payloads, &ours.credentials, partner_certificate)
        .expect("built");
    let response = http::post(port, &sent.content_type, &sent.body);
    assert!(child.wait().expect("the referee ends").success());
    let outcome = signal::read(&response.body, &python.certificate(), &Limits::default());
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).expect("summary"))
            .expect("JSON");
    if summary["successful"] == true {
        assert_eq!(
            std::fs::read(out_dir.join("payload-0")).expect("EDM"),
            EDM.as_bytes()
        );
        assert_eq!(
            std::fs::read(out_dir.join("payload-1")).expect("evidence"),
            evidence
        );
    }
    (sent, outcome, summary)
}

#[test]
fn we_send_a_response_with_evidence_the_referee_opens_and_we_verify_its_receipt() {
    let (python, _) = keys();
    let (sent, outcome, summary) = we_send(&python.certificate());
    assert_eq!(summary["successful"], true, "{summary}");
    assert_eq!(summary["header_valid"], true, "the ebMS3 XSD: {summary}");
    assert_eq!(summary["service"], "QueryManager");
    assert_eq!(summary["action"], "ExecuteQueryResponse");
    assert_eq!(summary["payloads"].as_array().map(Vec::len), Some(2));
    outcome
        .expect("a signed signal")
        .check_receipt(&sent)
        .expect("the referee's receipt proves the delivery");
}

#[test]
fn the_referee_refuses_a_message_it_cannot_decrypt() {
    let stranger = AccessPoint::new("AP_XX_99");
    let (sent, outcome, summary) = we_send(&stranger.certificate());
    assert_eq!(summary["error"], "EBMS:0102", "{summary}");
    match outcome.expect("a signed signal") {
        SignalOutcome::Errors {
            errors,
            ref_to_message_id,
            ..
        } => {
            assert_eq!(errors[0].known, Some(EbmsCode::FailedDecryption));
            assert_eq!(
                ref_to_message_id.as_deref(),
                Some(sent.header.message_id.as_str())
            );
        }
        other => panic!("not an error signal: {other:?}"),
    }
}
