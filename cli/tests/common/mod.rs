//! Helpers shared by the command-line tests: run `once`, check its output, run a node.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const ONCE: &str = env!("CARGO_BIN_EXE_once");

pub fn once(args: &[&str]) -> Output {
    Command::new(ONCE)
        .args(args)
        .env_remove("ONCE_LOG")
        .output()
        .expect("run once")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn ok(args: &[&str]) -> String {
    let output = once(args);
    assert!(
        output.status.success(),
        "once {args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

/// A failing command: a non-zero exit with the given code, one `error:` line first, no panic.
pub fn fails(args: &[&str], code: i32, expected: &str) {
    let output = once(args);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(code), "once {args:?}: {err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error:"),
        "once {args:?}: first line {first:?}"
    );
    assert!(
        first.contains(expected),
        "once {args:?}: {first:?} lacks {expected:?}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

/// A `once node run` child process and the addresses it logged.
pub struct RunningChild {
    pub child: Child,
    pub peer: String,
    pub app: String,
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

impl RunningChild {
    /// The JSON log events so far.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.logs.lock().expect("logs").clone()
    }
}

pub fn start_node(config: &Path, envs: &[(&str, &str)]) -> RunningChild {
    let (child, ready, logs) = spawn_logged(
        &["node", "run", "--config", path(config)],
        envs,
        "node listening",
    );
    RunningChild {
        child,
        peer: ready["peer.addr"].as_str().expect("peer.addr").to_owned(),
        app: ready["app.addr"].as_str().expect("app.addr").to_owned(),
        logs,
    }
}

/// A `once map run` child process: `peer` is its API address, `app` its web address.
pub fn start_map(config: &Path) -> RunningChild {
    let (child, ready, logs) = spawn_logged(
        &["map", "run", "--config", path(config)],
        &[],
        "map listening",
    );
    RunningChild {
        child,
        peer: ready["api.addr"].as_str().expect("api.addr").to_owned(),
        app: ready["web.addr"].as_str().expect("web.addr").to_owned(),
        logs,
    }
}

type Logs = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// Runs `once --log-format json <args>` and waits for the log event `ready`; returns the child,
/// that event, and the events logged after it (kept being read so the child never blocks).
fn spawn_logged(
    args: &[&str],
    envs: &[(&str, &str)],
    ready: &str,
) -> (Child, serde_json::Value, Logs) {
    let mut child = Command::new(ONCE)
        .args(["--log-format", "json"])
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut found = None;
    for line in lines.by_ref() {
        let line = line.expect("log line");
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) else {
            panic!("log line is not JSON: {line}");
        };
        if event["message"] == ready {
            found = Some(event);
            break;
        }
    }
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let event = serde_json::from_str(&line)
                .unwrap_or_else(|_| serde_json::json!({ "not_json": line }));
            sink.lock().expect("logs").push(event);
        }
    });
    let event = found.unwrap_or_else(|| panic!("`once {}` never logged {ready:?}", args.join(" ")));
    (child, event, logs)
}

pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args(["-s", name, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

pub fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl is installed")
}

/// A free loopback port (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// The population register's import file with one resident: Jürgen Müller-Lüdenscheidt.
pub const JUERGEN_CSV: &str = "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in\n\
65929970489,Müller-Lüdenscheidt,Jürgen,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n";

/// `once register add`: Bremen's population register (`melderegister-bremen`, residence
/// certificates, municipality 04011000) on the node configured by `config`.
pub fn add_population_register(config: &str) {
    ok(&[
        "register",
        "add",
        "--config",
        config,
        "--id",
        "melderegister-bremen",
        "--name",
        "Melderegister Bremen",
        "--evidence-type",
        "urn:once:evidence-type:residence-certificate",
        "--level",
        "municipality",
        "--jurisdiction",
        "04011000",
        "--legal-basis",
        "§ 18 BMG",
    ]);
}

/// `once node init` of `member` in `dir` with the CA in `ca`, both endpoints on port 0; the
/// path of its node.toml.
pub fn init_node(ca: &Path, dir: &Path, member: &str) -> PathBuf {
    ok(&[
        "node",
        "init",
        "--dir",
        path(dir),
        "--member",
        member,
        "--ca",
        path(ca),
        "--peer-listen",
        "127.0.0.1:0",
        "--app-listen",
        "127.0.0.1:0",
    ]);
    dir.join("node.toml")
}

/// `once pki init` of a CA "Test Federation" in `ca`.
pub fn ca_init(ca: &Path) {
    ok(&[
        "pki",
        "init",
        "--dir",
        path(ca),
        "--name",
        "Test Federation",
    ]);
}
