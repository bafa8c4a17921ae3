//! `once demo`: the demo scenario on this machine, with nothing but the built binary.
//!
//! The first run creates a federation in a directory (`./once-demo` by default): the CA, the
//! register map with the full seed, and three members, each with its own keys, SQLite database
//! and node: the Elterngeld office of Bremen (requester), Bremen's population register and the
//! pension insurance's income register (providers, with thousands of synthetic citizens and the
//! access rules the scenario needs). Then it starts everything in this process, lets the nodes
//! publish, runs the scenario step by step (`[ok] …` / `[failed] …`), writes `demo.json` for
//! scripts and keeps serving until Ctrl-C or SIGTERM. `--no-serve` stops after the scenario:
//! exit 0 if every step succeeded, 1 naming the step that failed.
//!
//! A later run reuses the directory: same members, keys, ports and data, a renewed CRL; if a
//! port is taken it says so (the demo is probably running already) rather than pick another.

mod citizens;
mod edelivery;
mod layout;
mod scenario;
mod setup;

use std::fmt::Display;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use self::layout::{DemoFile, Found, Layout, MEMBERS, Member, PENSION, POPULATION, REQUESTER};
use super::CliError;
use once_node::config::Config;
use once_node::server::RunningNode;
use once_registry_map::config::MapConfig;
use once_registry_map::server::RunningMap;

#[derive(Debug, Args)]
pub(super) struct DemoArgs {
    /// Directory of the demo federation (created on the first run, reused after).
    #[arg(long, default_value = "once-demo")]
    dir: PathBuf,
    /// Run the scenario and exit (0 if every step succeeded) instead of serving until Ctrl-C.
    #[arg(long)]
    no_serve: bool,
}

pub(super) async fn run(args: DemoArgs) -> Result<(), CliError> {
    let began = Instant::now();
    let layout = Layout::new(&args.dir);
    let mut demo = match layout::probe(&layout).map_err(CliError::Failed)? {
        Found::Nothing => {
            println!(
                "once demo: creating a federation of three authorities and a register map in {}",
                layout.dir.display()
            );
            setup::create(&layout).await?
        }
        Found::Demo(old) => {
            println!("reusing the demo federation in {}", layout.dir.display());
            setup::prepare(&layout, *old)?
        }
    };

    // Descriptors accepted from now on are this run's.
    let since = once_node::db::now_unix();
    let federation = Federation::start(&layout).await?;
    let outcome = async {
        scenario::publish(&federation, &layout, &mut demo, since).await?;
        scenario::run(&federation, &demo).await
    }
    .await;
    let outcome = match outcome {
        Ok(done) => {
            println!(
                "\nevery step succeeded ({} in all)",
                seconds(began.elapsed())
            );
            closing_notes(&demo, &layout, &done);
            if !args.no_serve {
                println!(
                    "\nready: the federation is serving; {} describes it. Press Ctrl-C to stop.",
                    layout.demo_json().display()
                );
                until_stopped().await;
                println!("stopping");
            }
            Ok(())
        }
        Err(e) => Err(e),
    };
    federation.stop().await;
    outcome
}

/// The register map and the three nodes, running in this process.
pub(super) struct Federation {
    map: RunningMap,
    /// In the order of [`MEMBERS`].
    nodes: Vec<RunningNode>,
}

impl Federation {
    async fn start(layout: &Layout) -> Result<Federation, CliError> {
        let step = "start the register map";
        let started = Instant::now();
        let config = MapConfig::load(&layout.map_toml()).step(step)?;
        let map = RunningMap::start(config).await.step(step)?;
        ok(format!(
            "started the register map: API https://localhost:{} (mutual TLS), web page http://{}/ ({} registers in the catalogue, {})",
            map.api_addr.port(),
            map.web_addr,
            map.state().catalogue.load().registers().len(),
            seconds(started.elapsed())
        ));
        let mut federation = Federation {
            map,
            nodes: Vec::new(),
        };
        for member in &MEMBERS {
            let started = async {
                let mut config = Config::load(&layout.node_toml(member))?;
                // The demo publishes itself, one node after the other, to show each step (and
                // not to have the map store three descriptors at once); node.toml keeps
                // publishing at start-up for running the node by hand.
                if let Some(map) = config.map.as_mut() {
                    map.publish = false;
                }
                RunningNode::start(config).await.map_err(CliError::from)
            }
            .await;
            match started {
                Ok(node) => {
                    let preview = node
                        .preview_addr
                        .map(|a| format!(", preview page https://localhost:{}", a.port()))
                        .unwrap_or_default();
                    ok(format!(
                        "started {} ({}): peer endpoint https://localhost:{}, application endpoint http://{}{preview}",
                        member.id,
                        member.name,
                        node.peer_addr.port(),
                        node.app_addr
                    ));
                    federation.nodes.push(node);
                }
                Err(e) => {
                    federation.stop().await;
                    return Err(e).step(&format!("start {}", member.id));
                }
            }
        }
        Ok(federation)
    }

    /// The running node of a member.
    fn node(&self, member: &Member) -> &RunningNode {
        let index = MEMBERS.iter().position(|m| m.id == member.id);
        // Every member of MEMBERS is started before the federation is handed out.
        &self.nodes[index.unwrap_or(0)]
    }

    async fn stop(self) {
        for node in self.nodes {
            node.stop(true).await;
        }
        self.map.stop(true).await;
    }
}

/// What to open and try next.
fn closing_notes(demo: &DemoFile, layout: &Layout, done: &scenario::Done) {
    let (Some(requester), Some(population), Some(pension)) = (
        demo.member(&REQUESTER),
        demo.member(&POPULATION),
        demo.member(&PENSION),
    ) else {
        return;
    };
    let subject = &done.subject;
    let preview_base = pension.preview_url.as_deref().unwrap_or_default();
    println!("\nopen:");
    println!("  the register map                 {}", demo.map.web_url);
    println!(
        "  its connected registers          {}?connected=true",
        demo.map.web_url
    );
    println!(
        "  a preview page, as the citizen   {preview_base}/preview/<id>  (one per request with \"preview\": true, e.g. {}; the certificate is from the demo CA {})",
        done.preview_link,
        demo.ca.display()
    );
    println!(
        "  the transfer record of {} {}:",
        subject.given_name, subject.family_name
    );
    for provider in [population, pension] {
        println!(
            "    curl -H 'Authorization: Bearer {}' '{}/v1/transfers?subject={}'",
            provider.api_key, provider.app_url, subject.tax_id
        );
    }
    println!("  ask for evidence as the Elterngeld office's application service:");
    println!(
        "    curl -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' {}/v1/evidence-requests -d '{{\"evidence_type\": \"{}\", \"subject\": {{\"tax_id\": \"{}\", \"family_name\": \"{}\", \"given_name\": \"{}\", \"date_of_birth\": \"{}\"}}, \"procedure\": \"{}\", \"legal_basis\": \"{}\", \"jurisdiction\": \"{}\"}}'",
        requester.api_key,
        requester.app_url,
        layout::RESIDENCE,
        subject.tax_id,
        subject.family_name,
        subject.given_name,
        subject.date_of_birth,
        demo.procedure,
        demo.legal_basis,
        subject.ags
    );
    println!(
        "  members, URLs, API keys, paths and more sample citizens: {}",
        layout.demo_json().display()
    );
}

/// Waits for Ctrl-C or SIGTERM.
async fn until_stopped() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "SIGTERM cannot be caught; stop with Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Prints a step that succeeded.
fn ok(what: impl Display) {
    println!("[ok] {what}");
}

/// A duration for people: "0.4 s".
fn seconds(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// Turns the failure of a step into `[failed] step: why` and the demo's error (exit 1).
trait Step<T> {
    fn step(self, name: &str) -> Result<T, CliError>;
}

impl<T, E: Display> Step<T> for Result<T, E> {
    fn step(self, name: &str) -> Result<T, CliError> {
        self.map_err(|e| {
            println!("[failed] {name}: {e}");
            CliError::Failed(format!("the demo failed at step \"{name}\": {e}"))
        })
    }
}
