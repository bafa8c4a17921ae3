//! The federation under test, set up with the `once` program as an operator would: a CA, a
//! provider with a population register of synthetic persons and the access rule, a requester
//! with the provider in its table and an API key. Nodes run as `once node run` processes.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
pub use once_benches::{Person, population, write_csv};

pub const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
pub const REQUESTER: &str = "DE-HB:LAND:elterngeld";
pub const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
pub const PROCEDURE: &str = "Elterngeld";
pub const LEGAL_BASIS: &str = "§ 9 BEEG";

/// The `once` program beside this benchmark (`target/release/once`), or `ONCE_BIN`.
pub fn once_bin() -> anyhow::Result<PathBuf> {
    if let Ok(bin) = std::env::var("ONCE_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("once");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (`cargo build --release -p once-cli --bin once`) or set ONCE_BIN",
            bin.display()
        );
    }
    Ok(bin)
}

/// Runs `once <args>` and returns its standard output.
pub fn once(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("ONCE_LOG")
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    if !out.status.success() {
        bail!(
            "once {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A federation ready to start.
#[derive(Debug)]
pub struct Federation {
    pub provider: PathBuf,
    pub requester: PathBuf,
    pub provider_peer: u16,
    pub provider_app: u16,
    pub requester_app: u16,
    pub api_key: String,
    /// `ONCE_DATABASE_URL` of the provider (PostgreSQL) or nothing (SQLite in its directory).
    pub provider_env: Vec<(String, String)>,
    pub import_seconds: f64,
}

fn port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn init(
    bin: &Path,
    ca: &Path,
    dir: &Path,
    member: &str,
    peer: u16,
    app: u16,
) -> anyhow::Result<String> {
    let out = once(
        bin,
        &[
            "node",
            "init",
            "--dir",
            &dir.display().to_string(),
            "--member",
            member,
            "--ca",
            &ca.display().to_string(),
            "--peer-listen",
            &format!("127.0.0.1:{peer}"),
            "--app-listen",
            &format!("127.0.0.1:{app}"),
        ],
        &[],
    )?;
    out.split_whitespace()
        .find(|w| w.starts_with("once_"))
        .map(ToOwned::to_owned)
        .context("no API key printed by once node init")
}

/// Sets the federation up in `dir` with a register of `people` (CSV at `csv`); `postgres` is
/// the provider's database URL when it runs on PostgreSQL.
pub fn federation(
    bin: &Path,
    dir: &Path,
    csv: &Path,
    persons: usize,
    postgres: Option<&str>,
) -> anyhow::Result<Federation> {
    let ca = dir.join("ca");
    let d = |p: &Path| p.display().to_string();
    once(
        bin,
        &["pki", "init", "--dir", &d(&ca), "--name", "Load Test"],
        &[],
    )?;
    let (provider_peer, provider_app, requester_app) = (port()?, port()?, port()?);
    let provider_dir = dir.join("provider");
    let requester_dir = dir.join("requester");
    init(
        bin,
        &ca,
        &provider_dir,
        PROVIDER,
        provider_peer,
        provider_app,
    )?;
    let api_key = init(bin, &ca, &requester_dir, REQUESTER, port()?, requester_app)?;
    let provider = provider_dir.join("node.toml");
    let requester = requester_dir.join("node.toml");
    let provider_env: Vec<(String, String)> = postgres
        .map(|url| vec![("ONCE_DATABASE_URL".to_owned(), url.to_owned())])
        .unwrap_or_default();
    let import_seconds = provider_register(bin, &provider, csv, persons, &provider_env)?;
    let mut toml = std::fs::read_to_string(&requester)?;
    toml.push_str(&format!(
        "\n[[providers]]\nmember = \"{PROVIDER}\"\nurl = \"https://localhost:{provider_peer}\"\nevidence_types = [\"{RESIDENCE}\"]\njurisdictions = [\"04011\"]\n"
    ));
    std::fs::write(&requester, toml)?;
    Ok(Federation {
        provider,
        requester,
        provider_peer,
        provider_app,
        requester_app,
        api_key,
        provider_env,
        import_seconds,
    })
}

/// The provider's register of `persons` (imported from `csv`) and the requester's access rule;
/// returns how long the import took, in seconds.
fn provider_register(
    bin: &Path,
    provider: &Path,
    csv: &Path,
    persons: usize,
    provider_env: &[(String, String)],
) -> anyhow::Result<f64> {
    let d = |p: &Path| p.display().to_string();
    let provider = provider.to_owned();
    let env: Vec<(&str, &str)> = provider_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    once(
        bin,
        &[
            "register",
            "add",
            "--config",
            &d(&provider),
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
        ],
        &env,
    )?;
    let started = Instant::now();
    let said = once(
        bin,
        &[
            "register",
            "import",
            "--config",
            &d(&provider),
            "--register",
            "melderegister-bremen",
            &d(csv),
        ],
        &env,
    )?;
    let import_seconds = started.elapsed().as_secs_f64();
    if !said.contains(&format!("{persons} records added")) {
        bail!("import: {said}");
    }
    once(
        bin,
        &[
            "rules",
            "add",
            "--config",
            &d(&provider),
            "--requester",
            REQUESTER,
            "--evidence-type",
            RESIDENCE,
            "--procedure",
            PROCEDURE,
            "--legal-basis",
            LEGAL_BASIS,
        ],
        &env,
    )?;
    Ok(import_seconds)
}

/// A running `once node run`, killed when dropped.
#[derive(Debug)]
pub struct Node {
    pub child: Child,
    /// From spawn to `/healthz` answering.
    pub ready_after: Duration,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Starts `once node run --config <config>` on the CPUs given (`taskset -c`), waits until its
/// application endpoint answers `/healthz`.
pub fn start(
    bin: &Path,
    config: &Path,
    app_port: u16,
    cpus: Option<&str>,
    env: &[(String, String)],
) -> anyhow::Result<Node> {
    let mut command = match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus]).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    command
        .args(["node", "run", "--config"])
        .arg(config)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("ONCE_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().context("spawning once node run")?;
    // Keep reading its log so it never blocks; show problems.
    if let Some(stderr) = child.stderr.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("ERROR") {
                    eprintln!("node: {line}");
                }
            }
        });
    }
    loop {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", app_port)) {
            use std::io::Read;
            let _ =
                stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        if let Some(status) = child.try_wait()? {
            bail!("once node run exited with {status}");
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("once node run not ready within 60 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(Node {
        ready_after: started.elapsed(),
        child,
    })
}
