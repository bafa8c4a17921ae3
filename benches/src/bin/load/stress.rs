//! `--soak` and `--overload`: end to end on SQLite at a fixed request rate.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::{Args, drive, end_to_end, plain_clients, setup};

/// The federation under stress and how to load it.
struct Target {
    make: drive::MakeRequest,
    pids: [u32; 2],
    rate: f64,
    connections: usize,
}

/// Runs the soak and/or the overload the arguments ask for.
pub(crate) async fn run(args: Args) -> anyhow::Result<()> {
    let rate = args
        .rate
        .context("--soak and --overload need --rate (requests per second)")?;
    let bin = setup::once_bin()?;
    let population = setup::population(args.persons);
    let tmp = tempfile::tempdir()?;
    let csv = tmp.path().join("people.csv");
    setup::write_csv(&population, &csv)?;
    let people = Arc::new(population.people);
    let fed = setup::federation(&bin, tmp.path(), &csv, args.persons, None)?;
    let limit = vec![(
        "ONCE_SERVER__MAX_IN_FLIGHT".to_owned(),
        args.max_in_flight.to_string(),
    )];
    let provider = setup::start(&bin, &fed.provider, fed.provider_app, None, &limit)?;
    let requester = setup::start(&bin, &fed.requester, fed.requester_app, None, &limit)?;
    let target = Target {
        make: end_to_end(&people, fed.requester_app, &fed.api_key),
        pids: [provider.child.id(), requester.child.id()],
        rate,
        connections: args.connections,
    };
    let mut failed = false;
    if let Some(total) = args.soak {
        failed |= soak(&target, total).await?;
    }
    if args.overload {
        failed |= overload(&target, args.seconds).await?;
    }
    drop(requester);
    drop(provider);
    if failed {
        bail!("errors or growing memory; see above");
    }
    Ok(())
}

/// `total` seconds at the rate, memory every 10 s; memory after the first minute must stay
/// within ±10 % of its mean. Returns whether it failed.
async fn soak(target: &Target, total: u64) -> anyhow::Result<bool> {
    println!(
        "soak: {total} s end to end at {} requests/s, {} connections",
        target.rate, target.connections
    );
    println!("| minute:second | req/s | p99 ms | errors | provider RSS MiB | requester RSS MiB |");
    println!("|---|---|---|---|---|---|");
    let mut failed = false;
    let mut samples = Vec::new();
    let mut elapsed = 0;
    while elapsed < total {
        let o = drive::run(
            plain_clients(target.connections)?,
            target.make.clone(),
            Duration::from_millis(200),
            Duration::from_secs(10),
            Some(target.rate),
        )
        .await;
        elapsed += 10;
        let rss = (
            drive::rss_mib(target.pids[0]).0,
            drive::rss_mib(target.pids[1]).0,
        );
        println!(
            "| {}:{:02} | {:.0} | {:.2} | {} | {:.1} | {:.1} |",
            elapsed / 60,
            elapsed % 60,
            o.throughput(),
            o.percentile_ms(99.0),
            o.errors + o.shed,
            rss.0,
            rss.1
        );
        failed |= o.errors + o.shed > 0;
        samples.push(rss);
    }
    let settled: Vec<f64> = samples.iter().skip(6).map(|(p, r)| p + r).collect();
    if !settled.is_empty() {
        let mean = settled.iter().sum::<f64>() / settled.len() as f64;
        let (min, max) = settled
            .iter()
            .fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let spread = 100.0 * (max - mean).max(mean - min) / mean;
        println!(
            "soak: both nodes' RSS after the first minute: mean {mean:.1} MiB, min {min:.1}, max {max:.1} (±{spread:.1} %)"
        );
        if spread > 10.0 {
            eprintln!("soak: memory is not flat (more than ±10 %)");
            failed = true;
        }
    }
    Ok(failed)
}

/// The rate on 8× the connections for `seconds`, then a quarter of the rate: overload must be
/// refused fast (503), and the nodes must recover. Returns whether it failed.
async fn overload(target: &Target, seconds: u64) -> anyhow::Result<bool> {
    let connections = target.connections * 8;
    let rate = target.rate;
    println!("overload: {rate} requests/s offered on {connections} connections for {seconds} s");
    let o = drive::run(
        plain_clients(connections)?,
        target.make.clone(),
        Duration::from_secs(1),
        Duration::from_secs(seconds),
        Some(rate),
    )
    .await;
    println!(
        "overload: {:.0} answered/s (p99 {:.1} ms), {} refused with 503 (p50 {:.2} ms, p99 {:.2} ms), {} other errors ({:?})",
        o.throughput(),
        o.percentile_ms(99.0),
        o.shed,
        drive::percentile(&o.shed_latencies_us, 50.0),
        drive::percentile(&o.shed_latencies_us, 99.0),
        o.errors,
        o.first_error
    );
    let after = drive::run(
        plain_clients(target.connections)?,
        target.make.clone(),
        Duration::from_secs(2),
        Duration::from_secs(seconds),
        Some(rate / 4.0),
    )
    .await;
    println!(
        "recovery at {:.0} requests/s: {:.0} answered/s, p99 {:.1} ms, {} errors",
        rate / 4.0,
        after.throughput(),
        after.percentile_ms(99.0),
        after.errors + after.shed
    );
    Ok(o.errors > 0 || after.errors + after.shed > 0)
}
