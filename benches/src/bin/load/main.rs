//! The end-to-end load benchmark: a federation on loopback (a provider with a register of
//! synthetic persons, a requester), on SQLite and on PostgreSQL, driven over real mutual TLS with
//! keep-alive connections: (a) signed requests straight to the provider's peer endpoint (one hop)
//! and (b) JSON evidence requests to the requester's application endpoint (end to end). In the
//! same run: the crypto limit (ECDSA with ring) and the transport ceiling (nginx, static 2 KB XML
//! over TLS 1.3 with client certificates, same generator and connections).
//!
//! `benches/load.sh` builds and runs it; see BENCHMARKS.md.

mod baseline;
mod drive;
mod setup;
mod stress;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use once_population::iso_date;
use once_tests::exchange::{member_client, member_signer, request, seal};
use serde_json::json;

use crate::drive::{Outcome, Request};
use crate::setup::{PROVIDER, REQUESTER, RESIDENCE};

#[derive(Debug, Parser)]
#[command(about = "End-to-end load benchmark of once nodes on loopback")]
struct Args {
    /// Persons in the provider's register.
    #[arg(long, default_value_t = 1_000_000)]
    persons: usize,
    /// Measured seconds per scenario (after a warm-up of a fifth of it, at least one second).
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Keep-alive connections of the generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Scenarios to run: one-hop, transport, end-to-end.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "one-hop,transport,end-to-end"
    )]
    scenarios: Vec<String>,
    /// Storage backends to run: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    backends: Vec<String>,
    /// The CPU the servers under test run on in the one-hop scenario; the generator takes the
    /// other one.
    #[arg(long, default_value = "0")]
    server_cpu: String,
    /// The CPU of the load generator.
    #[arg(long, default_value = "1")]
    generator_cpu: String,
    /// A quick run for CI: 10,000 persons, 2 s per scenario, SQLite; fails on any error.
    #[arg(long)]
    smoke: bool,
    /// Instead of the benchmark: a soak of this many seconds end to end at `--rate` requests/s,
    /// reporting memory every 10 s.
    #[arg(long)]
    soak: Option<u64>,
    /// Instead of the benchmark: overload end to end at `--rate` requests/s with 8× the
    /// connections for `--seconds`, then the same load at a quarter of the rate.
    #[arg(long)]
    overload: bool,
    /// `server.max_in_flight` of both nodes in `--soak` and `--overload`.
    #[arg(long, default_value_t = 64)]
    max_in_flight: usize,
    /// The request rate of `--soak` and `--overload`.
    #[arg(long)]
    rate: Option<f64>,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/load/report.json")]
    out: String,
}

/// Pins this process (and the threads it starts afterwards) to `cpu`.
fn pin_self(cpu: &str) {
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("taskset")
        .args(["-a", "-cp", cpu, &pid])
        .stdout(std::process::Stdio::null())
        .status();
}

fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if args.smoke {
        args.persons = args.persons.min(10_000);
        args.seconds = args.seconds.min(2);
        args.backends = vec!["sqlite".into()];
    }
    // The crypto limit is the servers' limit: measured on the CPU the server runs on (one hop),
    // before anything else runs there; then the generator moves to its own CPU.
    pin_self(&args.server_cpu);
    let crypto = baseline::crypto()?;
    pin_self(&args.generator_cpu);
    once_pki::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args, crypto))
}

struct Scenario {
    name: String,
    outcome: Outcome,
    server_cpu: f64,
    peak_rss_mib: Vec<(String, f64)>,
    crypto_cost_us: f64,
}

async fn run(args: Args, crypto: baseline::Crypto) -> anyhow::Result<()> {
    if args.soak.is_some() || args.overload {
        return stress::run(args).await;
    }
    println!(
        "crypto (ring, ECDSA P-256, on CPU {}): sign {:.1} µs, verify {:.1} µs (medians)",
        args.server_cpu, crypto.sign_us, crypto.verify_us
    );
    let mut bench = Bench::new(args, crypto)?;
    for backend in bench.args.backends.clone() {
        bench.backend(&backend).await?;
    }
    bench.finish()
}

/// One run of the benchmark: what every scenario shares, and what they measured.
struct Bench {
    args: Args,
    crypto: baseline::Crypto,
    bin: PathBuf,
    tmp: tempfile::TempDir,
    csv: PathBuf,
    people: Arc<Vec<setup::Person>>,
    warmup: Duration,
    measure: Duration,
    scenarios: Vec<Scenario>,
    transport: Option<Outcome>,
    report: serde_json::Value,
}

impl Bench {
    fn new(args: Args, crypto: baseline::Crypto) -> anyhow::Result<Bench> {
        let bin = setup::once_bin()?;
        let population = setup::population(args.persons);
        let tmp = tempfile::tempdir()?;
        let csv = tmp.path().join("people.csv");
        setup::write_csv(&population, &csv)?;
        let report = json!({
            "persons": args.persons,
            "connections": args.connections,
            "seconds": args.seconds,
            "crypto": { "sign_us": crypto.sign_us, "verify_us": crypto.verify_us },
            "scenarios": [],
        });
        Ok(Bench {
            warmup: Duration::from_secs((args.seconds / 5).max(1)),
            measure: Duration::from_secs(args.seconds),
            args,
            crypto,
            bin,
            tmp,
            csv,
            people: Arc::new(population.people),
            scenarios: Vec::new(),
            transport: None,
            report,
        })
    }

    fn wants(&self, name: &str) -> bool {
        self.args.scenarios.iter().any(|s| s == name)
    }

    /// The scenarios on one storage backend.
    async fn backend(&mut self, backend: &str) -> anyhow::Result<()> {
        let dir = self.tmp.path().join(backend);
        std::fs::create_dir_all(&dir)?;
        let database = match backend {
            "sqlite" => None,
            "postgres" => Some(once_tests::TestDatabase::create()?),
            other => bail!("unknown backend {other:?}: sqlite or postgres"),
        };
        let persons = self.args.persons;
        let fed = setup::federation(
            &self.bin,
            &dir,
            &self.csv,
            persons,
            database.as_ref().map(|d| d.url()),
        )?;
        println!(
            "{backend}: {persons} persons imported in {:.1} s",
            fed.import_seconds
        );
        let ready_ms = self.ready_ms(&fed)?;
        println!("{backend}: provider start to ready {ready_ms:.0} ms (median of 5)");
        let make = self.one_hop(backend, &dir, &fed).await?;
        if self.transport.is_none() && self.wants("transport") {
            self.transport_ceiling(&dir, &make).await?;
        }
        if self.wants("end-to-end") {
            self.end_to_end(backend, &fed).await?;
        }
        self.report["import_seconds"][backend] = json!(fed.import_seconds);
        self.report["ready_ms"][backend] = json!(ready_ms);
        drop(database);
        Ok(())
    }

    /// Start-to-ready of the provider: the median of five starts, in milliseconds.
    fn ready_ms(&self, fed: &setup::Federation) -> anyhow::Result<f64> {
        let mut ready = Vec::new();
        for _ in 0..5 {
            let node = self.provider(fed, Some(&self.args.server_cpu))?;
            ready.push(node.ready_after.as_secs_f64() * 1000.0);
        }
        ready.sort_by(f64::total_cmp);
        Ok(ready[ready.len() / 2])
    }

    fn provider(&self, fed: &setup::Federation, cpus: Option<&str>) -> anyhow::Result<setup::Node> {
        setup::start(
            &self.bin,
            &fed.provider,
            fed.provider_app,
            cpus,
            &fed.provider_env,
        )
    }

    /// (a) One hop: signed requests straight to the provider, which has one CPU. Returns the
    /// request maker (the transport ceiling sends one of its requests).
    async fn one_hop(
        &mut self,
        backend: &str,
        dir: &Path,
        fed: &setup::Federation,
    ) -> anyhow::Result<drive::MakeRequest> {
        let requester_dir = dir.join("requester");
        let signer = Arc::new(member_signer(&requester_dir)?);
        let url = format!("https://localhost:{}/v1/exchange", fed.provider_peer);
        let people = self.people.clone();
        let make: drive::MakeRequest = Arc::new(move |_, n| {
            let p = &people[(n as usize * 7919) % people.len()];
            let r = request(
                REQUESTER,
                PROVIDER,
                Some(&p.tax_id),
                &p.family_name,
                &p.given_name,
                &iso_date(p.date_of_birth),
            );
            let sealed = seal(&signer, REQUESTER, &r);
            Request {
                url: url.clone(),
                content_type: sealed.content_type,
                bearer: None,
                body: sealed.body,
            }
        });
        if !self.wants("one-hop") {
            return Ok(make);
        }
        let provider = self.provider(fed, Some(&self.args.server_cpu))?;
        let clients = member_clients(&requester_dir, self.args.connections)?;
        let pid = provider.child.id();
        if let Ok(file) = std::env::var("ONCE_LOAD_PID_FILE") {
            std::fs::write(file, pid.to_string())?;
        }
        let before = drive::cpu_seconds(pid);
        let outcome = drive::run(clients, make.clone(), self.warmup, self.measure, None).await;
        let cpu =
            (drive::cpu_seconds(pid) - before) / (outcome.seconds + self.warmup.as_secs_f64());
        let rss = drive::rss_mib(pid).1;
        self.scenarios.push(Scenario {
            name: format!("{backend}: one hop (provider, 1 CPU)"),
            outcome,
            server_cpu: cpu,
            peak_rss_mib: vec![("provider".into(), rss)],
            crypto_cost_us: self.crypto.cost_us(2, 1),
        });
        Ok(make)
    }

    /// The transport ceiling, once: nginx on the same CPU, same generator and connections, one
    /// signed request sent again and again (nginx ignores it; the generator signs nothing).
    async fn transport_ceiling(
        &mut self,
        dir: &Path,
        make: &drive::MakeRequest,
    ) -> anyhow::Result<()> {
        let Some(nginx_bin) = baseline::nginx_bin() else {
            return Ok(());
        };
        let nginx = baseline::nginx(
            &nginx_bin,
            &self.tmp.path().join("nginx"),
            &dir.join("provider"),
            Some(&self.args.server_cpu),
        )?;
        let clients = member_clients(&dir.join("requester"), self.args.connections)?;
        let url = format!("https://localhost:{}/v1/exchange", nginx.port);
        let one = Arc::new(make(0, 0));
        let to_nginx: drive::MakeRequest = Arc::new(move |_, _| Request {
            url: url.clone(),
            content_type: one.content_type.clone(),
            bearer: None,
            body: one.body.clone(),
        });
        let before = drive::cpu_seconds(nginx.pid);
        let outcome = drive::run(clients, to_nginx, self.warmup, self.measure, None).await;
        let cpu = (drive::cpu_seconds(nginx.pid) - before)
            / (outcome.seconds + self.warmup.as_secs_f64());
        println!(
            "transport ceiling (nginx, TLS 1.3, client certificates, 2 KB): {:.0} req/s, p99 {:.2} ms, CPU {:.2}",
            outcome.throughput(),
            outcome.percentile_ms(99.0),
            cpu
        );
        self.transport = Some(outcome);
        Ok(())
    }

    /// (b) End to end: JSON to the requester, which asks the provider; both nodes share the
    /// machine's CPUs with the generator.
    async fn end_to_end(&mut self, backend: &str, fed: &setup::Federation) -> anyhow::Result<()> {
        let provider = self.provider(fed, None)?;
        let requester = setup::start(&self.bin, &fed.requester, fed.requester_app, None, &[])?;
        let clients = plain_clients(self.args.connections)?;
        let make = end_to_end(&self.people, fed.requester_app, &fed.api_key);
        let pids = [provider.child.id(), requester.child.id()];
        let before: f64 = pids.iter().map(|p| drive::cpu_seconds(*p)).sum();
        let outcome = drive::run(clients, make, self.warmup, self.measure, None).await;
        let cpu = (pids.iter().map(|p| drive::cpu_seconds(*p)).sum::<f64>() - before)
            / (outcome.seconds + self.warmup.as_secs_f64());
        let rss = vec![
            ("provider".to_owned(), drive::rss_mib(pids[0]).1),
            ("requester".to_owned(), drive::rss_mib(pids[1]).1),
        ];
        self.scenarios.push(Scenario {
            name: format!("{backend}: end to end (requester + provider, 2 CPUs)"),
            outcome,
            server_cpu: cpu,
            peak_rss_mib: rss,
            crypto_cost_us: self.crypto.cost_us(3, 3),
        });
        Ok(())
    }

    /// Prints the table, writes the JSON report; fails if any request failed.
    fn finish(mut self) -> anyhow::Result<()> {
        println!();
        println!(
            "| scenario | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU | crypto limit req/s | of limit | of limit per CPU used | peak RSS MiB |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
        let mut failed = false;
        for s in &self.scenarios {
            failed |= report_scenario(s, &mut self.report);
        }
        if let Some(t) = &self.transport {
            println!(
                "| transport ceiling: nginx static 2 KB, TLS 1.3 + client certificates | {:.0} | {:.2} | {:.2} | {:.2} | {} | | | | | |",
                t.throughput(),
                t.percentile_ms(50.0),
                t.percentile_ms(99.0),
                t.percentile_ms(99.9),
                t.errors
            );
            self.report["transport"] = json!({
                "throughput": t.throughput(),
                "p50_ms": t.percentile_ms(50.0),
                "p99_ms": t.percentile_ms(99.0),
            });
        }
        if let Some(parent) = Path::new(&self.args.out).parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&self.args.out, serde_json::to_string_pretty(&self.report)?)?;
        println!("\nreport: {}", self.args.out);
        if failed {
            bail!("some requests failed");
        }
        Ok(())
    }
}

/// Prints one scenario's row and adds it to the report; returns whether it had errors.
fn report_scenario(s: &Scenario, report: &mut serde_json::Value) -> bool {
    let o = &s.outcome;
    let cores = if s.name.contains("one hop") { 1.0 } else { 2.0 };
    let limit = cores * 1e6 / s.crypto_cost_us;
    let limit_used = s.server_cpu * 1e6 / s.crypto_cost_us;
    println!(
        "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.0} | {:.0}% | {:.0}% | {} |",
        s.name,
        o.throughput(),
        o.percentile_ms(50.0),
        o.percentile_ms(99.0),
        o.percentile_ms(99.9),
        o.errors + o.shed,
        s.server_cpu,
        limit,
        100.0 * o.throughput() / limit,
        100.0 * o.throughput() / limit_used,
        s.peak_rss_mib
            .iter()
            .map(|(n, r)| format!("{n} {r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(list) = report["scenarios"].as_array_mut() {
        list.push(json!({
            "name": s.name,
            "throughput": o.throughput(),
            "p50_ms": o.percentile_ms(50.0),
            "p99_ms": o.percentile_ms(99.0),
            "p999_ms": o.percentile_ms(99.9),
            "ok": o.ok,
            "errors": o.errors,
            "shed": o.shed,
            "server_cpu": s.server_cpu,
            "crypto_cost_us": s.crypto_cost_us,
            "crypto_limit": limit,
            "peak_rss_mib": s.peak_rss_mib.iter().map(|(n, r)| json!({n: r})).collect::<Vec<_>>(),
        }));
    }
    let failed = o.errors + o.shed > 0 || o.ok == 0;
    if failed {
        eprintln!(
            "{}: {} errors, {} shed, first: {:?}",
            s.name, o.errors, o.shed, o.first_error
        );
    }
    failed
}

/// `n` mutual-TLS clients of the member whose files are in `dir`.
fn member_clients(dir: &Path, n: usize) -> anyhow::Result<Vec<reqwest::Client>> {
    (0..n).map(|_| member_client(dir)).collect()
}

/// `n` plain HTTP clients.
fn plain_clients(n: usize) -> anyhow::Result<Vec<reqwest::Client>> {
    (0..n)
        .map(|_| {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .context("client")
        })
        .collect()
}

/// JSON evidence requests to the requester's application endpoint.
pub(crate) fn end_to_end(
    people: &Arc<Vec<setup::Person>>,
    app_port: u16,
    key: &str,
) -> drive::MakeRequest {
    let people = people.clone();
    let url = format!("http://127.0.0.1:{app_port}/v1/evidence-requests");
    let key = key.to_owned();
    Arc::new(move |_, n| {
        let p = &people[(n as usize * 7919) % people.len()];
        Request {
            url: url.clone(),
            content_type: "application/json".into(),
            bearer: Some(key.clone()),
            body: json!({
                "evidence_type": RESIDENCE,
                "subject": {
                    "tax_id": p.tax_id,
                    "family_name": p.family_name,
                    "given_name": p.given_name,
                    "date_of_birth": iso_date(p.date_of_birth),
                },
                "procedure": setup::PROCEDURE,
                "legal_basis": setup::LEGAL_BASIS,
                "jurisdiction": "04011000",
            })
            .to_string()
            .into_bytes(),
        }
    })
}
