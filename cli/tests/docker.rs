//! The deployment in `docker/`, checked without a Docker engine: `gen-pki.sh` run with the built
//! `once` (openssl verifies what it issued, `once node check` the configuration it wrote),
//! `entrypoint.sh`'s roles with the real binary and with a stand-in that records its calls,
//! `compose.yaml` read with PyYAML and checked for consistency, the Dockerfile's sources, and
//! the scripts with `sh -n` and shellcheck.

mod common;

use common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The members of the compose federation: (service, member id).
const MEMBERS: [(&str, &str); 3] = [
    ("elterngeld", "DE-HB:LAND:elterngeld"),
    ("bremen", "DE-HB:KOMMUNE:04011000"),
    ("pension", "DE:BUND:drv"),
];
const MAP: (&str, &str) = ("map", "DE:BUND:registerlandkarte");

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

fn docker_dir() -> PathBuf {
    repo().join("docker")
}

/// PATH with `dirs` first, then the directory of the built `once`, then the test's own.
fn path_with(dirs: &[&Path]) -> OsString {
    let once_dir = Path::new(ONCE).parent().expect("the binary's directory");
    let mut paths: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    paths.push(once_dir.to_owned());
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

/// `sh docker/<name> <args>` with the built `once` on PATH and no configuration from the
/// environment of the test.
fn script(name: &str, args: &[&str]) -> Command {
    let mut command = Command::new("sh");
    command
        .arg(docker_dir().join(name))
        .args(args)
        .env("PATH", path_with(&[]))
        .env_remove("ONCE_LOG")
        .env_remove("ONCE_DATABASE_URL")
        .env_remove("ONCE_MAP_DATABASE_URL");
    command
}

/// Runs a command that must end by itself within `limit`; one that hangs is killed and fails
/// the test.
fn output_within(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
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

fn run_ok(command: Command) -> Output {
    let shown = format!("{command:?}");
    let output = output_within(command, Duration::from_secs(120));
    assert!(
        output.status.success(),
        "{shown}: {}\n{}",
        stdout(&output),
        stderr(&output)
    );
    output
}

/// Runs `gen-pki.sh` into `out` (the CA in `out/ca`, or `ca`).
fn gen_pki(out: &Path, ca: Option<&Path>) -> Output {
    let mut args = vec![path(out)];
    if let Some(ca) = ca {
        args.push(path(ca));
    }
    run_ok(script("gen-pki.sh", &args))
}

/// Every file under `dir` with its mode and contents.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u32, Vec<u8>)> {
    let mut files = BTreeMap::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(next) = todo.pop() {
        for entry in std::fs::read_dir(&next).expect("read_dir") {
            let entry = entry.expect("entry");
            let p = entry.path();
            if p.is_dir() {
                todo.push(p.clone());
                files.insert(p.clone(), (mode(&p), Vec::new()));
            } else {
                let contents = std::fs::read(&p).expect("read");
                files.insert(p.clone(), (mode(&p), contents));
            }
        }
    }
    files
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed")
}

#[test]
fn gen_pki_writes_certificates_openssl_verifies_and_configurations_that_check() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("etc-once");
    let printed = stdout(&gen_pki(&out, None));
    println!("{printed}");
    assert!(printed.contains("created the root CA"), "{printed}");

    assert_eq!(mode(&out.join("ca/ca.key")), 0o600);
    for (service, member) in MEMBERS.iter().chain([&MAP]) {
        let dir = out.join(service);
        for key in ["tls.key", "signing.key"] {
            assert_eq!(mode(&dir.join(key)), 0o600, "{service}/{key}");
        }
        for cert in ["tls.pem", "signing.pem"] {
            let verified = openssl(&[
                "verify",
                "-CAfile",
                path(&out.join("ca.pem")),
                "-crl_check",
                "-CRLfile",
                path(&out.join("crl.pem")),
                path(&dir.join(cert)),
            ]);
            assert!(
                verified.status.success(),
                "{service}/{cert}: {}{}",
                stdout(&verified),
                stderr(&verified)
            );
        }
        // The DNS name is the compose service's; the member id is in the certificate.
        let sans = openssl(&[
            "x509",
            "-noout",
            "-ext",
            "subjectAltName",
            "-in",
            path(&dir.join("tls.pem")),
        ]);
        let sans = stdout(&sans);
        assert!(
            sans.contains(&format!("DNS:{service}")),
            "{service}: {sans}"
        );
        assert!(
            sans.contains(&format!("URI:urn:once:member:{member}")),
            "{service}: {sans}"
        );
        assert_eq!(
            std::fs::read(dir.join("ca.pem")).expect("ca.pem"),
            std::fs::read(out.join("ca.pem")).expect("ca.pem")
        );
    }
    // The nodes never see the CA's key: it is only under ca/, which compose keeps apart.
    assert!(!out.join("ca.key").exists());

    let init_sql = std::fs::read_to_string(docker_dir().join("postgres-init.sql")).expect("sql");
    for (service, member) in MEMBERS {
        let config = out.join(service).join("node.toml");
        let text = std::fs::read_to_string(&config).expect("node.toml");
        let database = format!("once_{service}");
        assert!(
            text.contains(&format!(
                "database_url = \"postgres://once:once@postgres:5432/{database}\""
            )),
            "{text}"
        );
        assert!(
            init_sql.contains(&format!("CREATE DATABASE {database};")),
            "postgres-init.sql does not create {database}"
        );

        // The configuration, certificates and keys check, on SQLite instead of PostgreSQL.
        let db = tmp.path().join(format!("{service}.db"));
        let mut check = Command::new(ONCE);
        check
            .args(["node", "check", "--config", path(&config)])
            .env("ONCE_DATABASE_URL", &db);
        let checked = stdout(&run_ok(check));
        assert!(
            checked.contains(&format!("configuration of {member} is valid")),
            "{checked}"
        );

        // setup.sh sets up what the scenario needs in the node's database.
        let mut setup = Command::new("sh");
        setup
            .arg(out.join(service).join("setup.sh"))
            .env("PATH", path_with(&[]))
            .env("ONCE_DATABASE_URL", &db)
            .env("ONCE_MAP__PUBLISH", "false");
        let done = stdout(&run_ok(setup));
        assert!(done.contains("API key"), "{service}: {done}");
    }
    let map_text = std::fs::read_to_string(out.join("map/map.toml")).expect("map.toml");
    assert!(map_text.contains("postgres://once:once@postgres:5432/once_map"));
    assert!(init_sql.contains("CREATE DATABASE once_map;"));

    // What setup.sh stored: the registers with their records, and the access rules.
    let listed = |what: &str, service: &str| {
        let mut command = Command::new(ONCE);
        command
            .args([what, "list", "--config"])
            .arg(out.join(service).join("node.toml"))
            .env(
                "ONCE_DATABASE_URL",
                tmp.path().join(format!("{service}.db")),
            );
        stdout(&run_ok(command))
    };
    let registers = listed("register", "bremen");
    assert!(
        registers.contains("melderegister") && registers.contains("(2 records)"),
        "{registers}"
    );
    let registers = listed("register", "pension");
    assert!(
        registers.contains("rentenversicherungskonto") && registers.contains("(2 records)"),
        "{registers}"
    );
    for service in ["bremen", "pension"] {
        let rules = listed("rules", service);
        assert!(
            rules.contains("DE-HB:LAND:elterngeld may receive") && rules.contains("Elterngeld"),
            "{service}: {rules}"
        );
    }
}

#[test]
fn gen_pki_a_second_time_changes_nothing_and_a_half_done_run_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("etc-once");
    let ca = tmp.path().join("ca");
    // As compose runs it: the CA in a directory of its own.
    gen_pki(&out, Some(&ca));
    assert!(ca.join("ca.key").exists() && !out.join("ca").exists());
    let before = (snapshot(&out), snapshot(&ca));
    let again = gen_pki(&out, Some(&ca));
    let printed = stdout(&again);
    println!("{printed}");
    assert!(printed.contains("exists already"), "{printed}");
    assert_eq!(before, (snapshot(&out), snapshot(&ca)), "files changed");

    // Output without a CA is what a run that stopped half-way leaves: refused, nothing written.
    let partial = tmp.path().join("partial");
    std::fs::create_dir_all(partial.join("bremen")).expect("mkdir");
    let refused = output_within(
        script("gen-pki.sh", &[path(&partial)]),
        Duration::from_secs(60),
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("stopped half-way"),
        "{}",
        stderr(&refused)
    );
    assert!(!partial.join("ca").exists() && !partial.join("ca.pem").exists());
}

#[test]
fn a_renewed_crl_reaches_every_node_and_still_verifies() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("etc-once");
    let ca = tmp.path().join("ca");
    gen_pki(&out, Some(&ca));
    let crl_number = |file: &Path| {
        let shown = stdout(&run_ok({
            let mut c = Command::new(ONCE);
            c.args(["pki", "show", path(file)]);
            c
        }));
        shown
            .lines()
            .find_map(|l| l.strip_prefix("CRL number:"))
            .map(|n| n.trim().to_owned())
            .expect("a CRL number")
    };
    let before = crl_number(&out.join("crl.pem"));
    run_ok(script("entrypoint.sh", &["crl", path(&out), path(&ca)]));
    let after = crl_number(&out.join("crl.pem"));
    assert_ne!(before, after, "the CRL was not renewed");
    assert_eq!(
        std::fs::read(out.join("crl.pem")).expect("crl"),
        std::fs::read(ca.join("crl.pem")).expect("crl")
    );
    let verified = openssl(&[
        "verify",
        "-CAfile",
        path(&out.join("ca.pem")),
        "-crl_check",
        "-CRLfile",
        path(&out.join("crl.pem")),
        path(&out.join("bremen/tls.pem")),
    ]);
    assert!(verified.status.success(), "{}", stderr(&verified));
}

/// A failure of the entrypoint itself: `code`, and one line on standard error naming `what`.
fn refused(output: &Output, code: i32, what: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("entrypoint: ") && err.contains(what),
        "{err}"
    );
}

#[test]
fn the_entrypoint_refuses_a_missing_configuration_in_one_line() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("node.toml");
    for role in ["node", "map"] {
        let output = output_within(
            script("entrypoint.sh", &[role, path(&missing)]),
            Duration::from_secs(30),
        );
        refused(
            &output,
            64,
            &format!("no configuration at {}", path(&missing)),
        );
    }
    // Without an argument it looks where the image keeps it.
    let output = output_within(script("entrypoint.sh", &["node"]), Duration::from_secs(30));
    if !Path::new("/etc/once/node.toml").exists() {
        refused(&output, 64, "/etc/once/node.toml");
    }
    refused(
        &output_within(script("entrypoint.sh", &[]), Duration::from_secs(30)),
        64,
        "usage",
    );

    // Anything else runs as given; options go to once.
    let echoed = run_ok(script("entrypoint.sh", &["echo", "as", "given"]));
    assert_eq!(stdout(&echoed), "as given\n");
    let version = run_ok(script("entrypoint.sh", &["--version"]));
    assert!(
        stdout(&version).starts_with("once "),
        "{}",
        stdout(&version)
    );
}

/// A child that is killed when dropped (a failing test leaves no server behind).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `url` answers 200 (curl), or fails the test after `limit`.
fn wait_for_200(url: &str, running: &mut Running, log: &Path, limit: Duration) {
    let started = Instant::now();
    loop {
        let answer = curl(&["-o", "/dev/null", "-w", "%{http_code}", url]);
        if stdout(&answer) == "200" {
            return;
        }
        if let Some(status) = running.0.try_wait().expect("try_wait") {
            panic!(
                "exited with {status} before answering: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            started.elapsed() < limit,
            "{url} did not answer 200 within {limit:?}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The compose file as JSON (PyYAML reads it), or `None` with the reason printed.
fn compose() -> Option<serde_json::Value> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
        ])
        .arg(docker_dir().join("compose.yaml"))
        .output();
    match output {
        Err(e) => {
            println!("SKIPPED: python3 cannot be run ({e}); install python3 and python3-yaml");
            None
        }
        Ok(o) if !o.status.success() && stderr(&o).contains("No module named 'yaml'") => {
            println!("SKIPPED: python3 has no yaml module; install python3-yaml");
            None
        }
        Ok(o) => {
            assert!(o.status.success(), "compose.yaml: {}", stderr(&o));
            Some(serde_json::from_slice(&o.stdout).expect("json"))
        }
    }
}

/// The healthcheck of a compose service as a command, with `port` put in for the container's.
fn healthcheck(compose: &serde_json::Value, service: &str, port: (&str, u16)) -> Command {
    let test: Vec<String> = compose["services"][service]["healthcheck"]["test"]
        .as_array()
        .unwrap_or_else(|| panic!("{service} has a healthcheck"))
        .iter()
        .map(|v| v.as_str().expect("string").to_owned())
        .collect();
    assert_eq!(test[0], "CMD", "{test:?}");
    let local = format!("/dev/tcp/127.0.0.1/{}", port.0);
    assert!(test.iter().any(|t| t.contains(&local)), "{test:?}");
    let mut command = Command::new(&test[1]);
    command.args(
        test[2..]
            .iter()
            .map(|t| t.replace(&local, &format!("/dev/tcp/127.0.0.1/{}", port.1))),
    );
    command
}

#[test]
fn the_entrypoint_runs_a_generated_node_that_answers_healthz() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("etc-once");
    gen_pki(&out, None);
    let config = out.join("bremen/node.toml");
    let app = free_port();
    let log = tmp.path().join("node.log");
    let mut command = script("entrypoint.sh", &["node", path(&config)]);
    command
        .env("ONCE_DATABASE_URL", tmp.path().join("bremen.db"))
        .env("ONCE_PEER__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("ONCE_APPLICATION__LISTEN", format!("127.0.0.1:{app}"))
        .env("ONCE_PREVIEW__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("ONCE_MAP__PUBLISH", "false")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"));
    let mut running = Running(command.spawn().expect("spawn"));
    wait_for_200(
        &format!("http://127.0.0.1:{app}/healthz"),
        &mut running,
        &log,
        Duration::from_secs(60),
    );
    // The shell replaced itself by once: signals from the container runtime reach the node.
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", running.0.id()));
    assert_eq!(comm.map(|c| c.trim().to_owned()).ok(), Some("once".into()));

    // compose.yaml's healthcheck of the nodes says healthy.
    if let Some(compose) = compose() {
        let checked = output_within(
            healthcheck(&compose, "bremen", ("8080", app)),
            Duration::from_secs(30),
        );
        assert!(checked.status.success(), "{}", stderr(&checked));
    }

    signal(&running.0, "TERM");
    let status = running.0.wait().expect("wait");
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "exit status {status}: {logged}");
    assert!(logged.contains("configuration of DE-HB:KOMMUNE:04011000 is valid"));
    assert!(logged.contains("node stopped"), "{logged}");
}

#[test]
fn the_entrypoint_runs_a_generated_map() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("etc-once");
    gen_pki(&out, None);
    let web = free_port();
    let log = tmp.path().join("map.log");
    let state = tmp.path().join("state");
    std::fs::create_dir(&state).expect("mkdir");
    let mut command = script("entrypoint.sh", &["map", path(&out.join("map/map.toml"))]);
    command
        // Seeding takes a while; the_map_is_seeded_on_the_first_start_only checks that part.
        .env("ONCE_MAP_SEED", "never")
        .env("ONCE_STATE_DIR", &state)
        .env("ONCE_MAP_DATABASE_URL", tmp.path().join("map.db"))
        .env("ONCE_MAP_API__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("ONCE_MAP_WEB__LISTEN", format!("127.0.0.1:{web}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"));
    let mut running = Running(command.spawn().expect("spawn"));
    wait_for_200(
        &format!("http://127.0.0.1:{web}/"),
        &mut running,
        &log,
        Duration::from_secs(60),
    );
    if let Some(compose) = compose() {
        let checked = output_within(
            healthcheck(&compose, "map", ("9080", web)),
            Duration::from_secs(30),
        );
        assert!(checked.status.success(), "{}", stderr(&checked));
    }
    signal(&running.0, "TERM");
    let status = running.0.wait().expect("wait");
    assert!(
        status.success(),
        "exit status {status}: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(!state.join("map-seeded").exists());
}

/// A stand-in for `once` that appends its arguments to `calls` and exits 69 (database
/// unavailable) for its first `unavailable` calls of `node check` or `map seed`.
fn fake_once(dir: &Path, unavailable: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let calls = dir.join("calls");
    let count = dir.join("count");
    let script = format!(
        r#"#!/bin/sh
echo "$*" >> '{calls}'
case "$1 $2" in
  "node check"|"map seed")
    n=$(cat '{count}' 2>/dev/null || echo 0)
    echo $((n + 1)) > '{count}'
    if [ "$n" -lt {unavailable} ]; then echo "error: database_url: unavailable" >&2; exit 69; fi
    ;;
esac
exit 0
"#,
        calls = calls.display(),
        count = count.display(),
    );
    let once = bin.join("once");
    std::fs::write(&once, script).expect("write");
    std::fs::set_permissions(&once, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

fn calls(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("calls")).unwrap_or_default();
    let _ = std::fs::remove_file(dir.join("calls"));
    text.lines().map(str::to_owned).collect()
}

#[test]
fn the_map_is_seeded_on_the_first_start_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = fake_once(tmp.path(), 0);
    let config = tmp.path().join("map.toml");
    std::fs::write(&config, "database_url = \"map.db\"\n").expect("write");
    let state = tmp.path().join("state");
    std::fs::create_dir(&state).expect("mkdir");
    let run = |seed: Option<&str>| {
        let mut command = script("entrypoint.sh", &["map", path(&config)]);
        command
            .env("PATH", path_with(&[&bin]))
            .env("ONCE_STATE_DIR", &state);
        if let Some(seed) = seed {
            command.env("ONCE_MAP_SEED", seed);
        }
        output_within(command, Duration::from_secs(30))
    };
    let seed = format!("map seed --config {}", path(&config));
    let serve = format!("map run --config {}", path(&config));

    assert!(run(None).status.success());
    assert_eq!(calls(tmp.path()), [seed.clone(), serve.clone()]);
    assert!(state.join("map-seeded").exists());
    assert!(run(None).status.success());
    assert_eq!(
        calls(tmp.path()),
        std::slice::from_ref(&serve),
        "seeded again"
    );
    assert!(run(Some("always")).status.success());
    assert_eq!(calls(tmp.path()), [seed, serve.clone()]);
    std::fs::remove_file(state.join("map-seeded")).expect("rm");
    assert!(run(Some("never")).status.success());
    assert_eq!(calls(tmp.path()), [serve]);
    refused(&run(Some("sometimes")), 64, "ONCE_MAP_SEED=sometimes");
}

#[test]
fn the_entrypoint_waits_for_postgresql_and_gives_up_with_the_database_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let config = tmp.path().join("node.toml");
    std::fs::write(
        &config,
        "database_url = \"postgres://once:once@postgres:5432/once_bremen\"\n",
    )
    .expect("write");

    // PostgreSQL answers on the third try: the node starts.
    let bin = fake_once(tmp.path(), 2);
    let mut command = script("entrypoint.sh", &["node", path(&config)]);
    command.env("PATH", path_with(&[&bin]));
    let started = Instant::now();
    let output = output_within(command, Duration::from_secs(60));
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(started.elapsed() >= Duration::from_secs(4), "no pause");
    assert!(stderr(&output).contains("waiting up to 60 s for the database"));
    let check = format!("node check --config {}", path(&config));
    let serve = format!("node run --config {}", path(&config));
    assert_eq!(
        calls(tmp.path()),
        [check.clone(), check.clone(), check, serve]
    );

    // With the real binary and nothing listening: the database's error, exit 69, no start.
    let generated = tmp.path().join("etc-once");
    gen_pki(&generated, None);
    let config = generated.join("bremen/node.toml");
    let mut command = script("entrypoint.sh", &["node", path(&config)]);
    command
        .env(
            "ONCE_DATABASE_URL",
            format!("postgres://once:once@127.0.0.1:{}/x", free_port()),
        )
        .env("ONCE_SERVER__POOL_TIMEOUT_MS", "500")
        .env("ONCE_DB_WAIT_SECONDS", "2");
    let output = output_within(command, Duration::from_secs(60));
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(69), "{err}");
    assert!(err.contains("waiting up to 2 s for the database"), "{err}");
    assert!(err.contains("error: database_url:"), "{err}");
    assert!(!err.contains("node listening"), "{err}");
}

#[test]
fn the_compose_file_is_consistent() {
    let Some(compose) = compose() else { return };
    assert!(compose.get("version").is_none(), "no version: key");
    let services = compose["services"].as_object().expect("services");
    let names: BTreeSet<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["postgres", "pki", "map", "elterngeld", "bremen", "pension"])
    );
    let declared: BTreeSet<&str> = compose["volumes"]
        .as_object()
        .expect("volumes")
        .keys()
        .map(String::as_str)
        .collect();

    // Generated files the services name must be where gen-pki.sh puts them.
    let tmp = tempfile::tempdir().expect("tmp");
    gen_pki(&tmp.path().join("etc-once"), None);

    let mut used = BTreeSet::new();
    for (name, service) in services {
        // depends_on: services that exist, in a state they can reach.
        if let Some(deps) = service.get("depends_on") {
            for (target, dep) in deps.as_object().expect("depends_on is a mapping") {
                let other = services
                    .get(target)
                    .unwrap_or_else(|| panic!("{name} depends on unknown {target}"));
                match dep["condition"].as_str() {
                    Some("service_healthy") => assert!(
                        other.get("healthcheck").is_some(),
                        "{name} waits for {target} to be healthy, which has no healthcheck"
                    ),
                    Some("service_completed_successfully") => assert_eq!(
                        other["restart"], "no",
                        "{name} waits for {target} to complete, which restarts"
                    ),
                    Some("service_started") => {}
                    other => panic!("{name} → {target}: condition {other:?}"),
                }
            }
        }
        // Volumes: named ones declared, bind mounts present.
        for mount in service["volumes"].as_array().into_iter().flatten() {
            let mount = mount.as_str().expect("short volume syntax");
            let source = mount.split(':').next().expect("source");
            if source.starts_with('.') || source.starts_with('/') {
                assert!(
                    docker_dir().join(source).exists(),
                    "{name}: {source} does not exist"
                );
            } else {
                assert!(
                    declared.contains(source),
                    "{name}: volume {source} undeclared"
                );
                used.insert(source.to_owned());
            }
            if source == "pki" && name != "pki" {
                assert!(mount.ends_with(":ro"), "{name} mounts pki writable");
            }
            if source == "ca" {
                assert_eq!(name, "pki", "only pki may see the CA's key");
            }
        }
        // Published ports only on the host's loopback.
        for port in service["ports"].as_array().into_iter().flatten() {
            let port = port.as_str().expect("short port syntax");
            assert!(port.starts_with("127.0.0.1:"), "{name} publishes {port}");
        }
        if name == "postgres" {
            continue;
        }
        // The once services: one image from docker/Dockerfile, a role and its file.
        assert_eq!(service["image"], services["pki"]["image"], "{name}");
        let build = &service["build"];
        let context = docker_dir().join(build["context"].as_str().expect("context"));
        let dockerfile = build["dockerfile"].as_str().expect("dockerfile");
        assert!(context.join(dockerfile).is_file(), "{name}: {dockerfile}");
        let command: Vec<&str> = service["command"]
            .as_array()
            .expect("command")
            .iter()
            .map(|c| c.as_str().expect("string"))
            .collect();
        match command[0] {
            "pki" => assert_eq!(command, ["pki", "/etc/once", "/var/lib/once-ca"]),
            "map" | "node" => {
                let file = command[1]
                    .strip_prefix("/etc/once/")
                    .expect("a file in the pki volume");
                assert!(
                    tmp.path().join("etc-once").join(file).is_file(),
                    "{name}: gen-pki.sh writes no {file}"
                );
                assert!(file.starts_with(&format!("{name}/")), "{name}: {file}");
            }
            other => panic!("{name}: role {other}"),
        }
    }
    let declared: BTreeSet<String> = declared.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(used, declared, "declared volumes that nobody uses");

    // The database URLs gen-pki.sh writes use the account postgres is created with.
    let user = &services["postgres"]["environment"]["POSTGRES_USER"];
    assert_eq!(&services["pki"]["environment"]["POSTGRES_USER"], user);
    assert_eq!(
        services["pki"]["environment"]["POSTGRES_PASSWORD"],
        services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    );
    let host = services["pki"]["environment"]["POSTGRES_HOST"]
        .as_str()
        .expect("POSTGRES_HOST");
    assert!(host.starts_with("postgres:"), "{host}");
}

#[test]
fn the_dockerfile_copies_files_that_exist_and_builds_the_once_binary() {
    let dockerfile = std::fs::read_to_string(docker_dir().join("Dockerfile")).expect("Dockerfile");
    let mut copied = Vec::new();
    for line in dockerfile.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("COPY ") else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        if words.iter().any(|w| w.starts_with("--from")) {
            continue;
        }
        let paths: Vec<&str> = words.into_iter().filter(|w| !w.starts_with("--")).collect();
        let (_, sources) = paths.split_last().expect("COPY sources destination");
        for source in sources {
            assert!(
                repo().join(source).exists(),
                "COPY {source}: not in the repo"
            );
            copied.push((*source).to_owned());
        }
    }
    for script in ["docker/entrypoint.sh", "docker/gen-pki.sh"] {
        assert!(copied.iter().any(|c| c == script), "{script} not copied");
    }
    let ignored = std::fs::read_to_string(repo().join(".dockerignore")).expect(".dockerignore");
    for pattern in ignored
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        assert!(
            !copied.iter().any(|c| c.starts_with(pattern)),
            ".dockerignore drops {pattern}, which the Dockerfile copies"
        );
    }
    // The binary it copies out is the one cli/Cargo.toml names.
    let manifest = std::fs::read_to_string(repo().join("cli/Cargo.toml")).expect("cli/Cargo.toml");
    assert!(manifest.contains("[[bin]]\nname = \"once\""));
    assert!(dockerfile.contains("cargo build --release --locked -p once-cli --bin once"));
    assert!(dockerfile.contains("target/release/once "));
    assert!(dockerfile.contains("USER once"));
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]"));
}

#[test]
fn the_scripts_pass_sh_n_and_shellcheck() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("etc-once");
    gen_pki(&out, None);
    let mut scripts = vec![
        docker_dir().join("entrypoint.sh"),
        docker_dir().join("gen-pki.sh"),
    ];
    scripts.extend(MEMBERS.iter().map(|(s, _)| out.join(s).join("setup.sh")));
    for script in &scripts {
        let parsed = Command::new("sh")
            .arg("-n")
            .arg(script)
            .output()
            .expect("sh");
        assert!(
            parsed.status.success(),
            "{}: {}",
            script.display(),
            stderr(&parsed)
        );
        let first = std::fs::read_to_string(script).expect("read");
        assert!(first.starts_with("#!/bin/sh\n"), "{}", script.display());
    }
    match Command::new("shellcheck").arg("--version").output() {
        Ok(o) if o.status.success() => {
            let checked = Command::new("shellcheck")
                .args(["--shell=sh", "--severity=style"])
                .args(&scripts)
                .output()
                .expect("shellcheck");
            assert!(checked.status.success(), "{}", stdout(&checked));
        }
        _ => println!("SKIPPED shellcheck: not installed (apt-get install shellcheck)"),
    }
}
