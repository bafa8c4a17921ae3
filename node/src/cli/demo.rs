//! `once demo`: a federation on this machine: a CA and two member nodes (a state
//! parental-allowance office and Bremen's population register) that authenticate each other
//! with mutual TLS. Later versions add the evidence exchange and the register map.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use once_pki::MemberId;
use once_pki::ca::{Ca, DEFAULT_CA_DAYS};
use once_pki::files::{read_text, write_private_new};
use serde::{Deserialize, Serialize};

use super::CliError;
use crate::config::Config;
use crate::server::RunningNode;

#[derive(Debug, Args)]
pub(super) struct DemoArgs {
    /// Directory of the demo federation (created on the first run, reused after).
    #[arg(long, default_value = "once-demo")]
    dir: PathBuf,
    /// Run the checks and exit (0 if all passed) instead of serving until Ctrl-C.
    #[arg(long)]
    no_serve: bool,
}

const MEMBERS: [(&str, &str); 2] = [
    (
        "DE-HB:LAND:elterngeld",
        "Elterngeldstelle Bremen (requester)",
    ),
    (
        "DE-HB:KOMMUNE:04011000",
        "Stadt Bremen, population register (provider)",
    ),
];

#[derive(Debug, Serialize, Deserialize)]
struct DemoKeys {
    api_keys: Vec<(String, String)>,
}

pub(super) async fn run(args: DemoArgs) -> Result<(), CliError> {
    let dir = args.dir;
    let keys = if dir.join("ca").join("ca.pem").exists() {
        println!("reusing the demo federation in {}", dir.display());
        load_keys(&dir)?
    } else {
        create(&dir).await?
    };

    let mut nodes = Vec::new();
    for (member, label) in MEMBERS {
        let config = Config::load(&node_dir(&dir, member).join("node.toml"))?;
        let node = RunningNode::start(config).await?;
        println!("[ok] started {member} ({label})");
        println!("       peer endpoint         https://{}", node.peer_addr);
        println!("       application endpoint  http://{}", node.app_addr);
        nodes.push(node);
    }

    let outcome = check(&nodes).await;
    match &outcome {
        Ok(()) => println!("[ok] every check passed"),
        Err(e) => println!("[failed] {e}"),
    }
    for (member, key) in &keys.api_keys {
        println!("API key of {member}: {key}");
    }
    if outcome.is_ok() && !args.no_serve {
        let requester = &nodes[0];
        println!(
            "\ntry: curl -s -H 'Authorization: Bearer {}' http://{}/v1/node",
            keys.api_keys[0].1, requester.app_addr
        );
        println!("serving; press Ctrl-C to stop");
        let _ = tokio::signal::ctrl_c().await;
    }
    for node in nodes {
        node.stop(true).await;
    }
    outcome
}

fn node_dir(dir: &Path, member: &str) -> PathBuf {
    dir.join(member.replace(':', "_"))
}

async fn create(dir: &Path) -> Result<DemoKeys, CliError> {
    let ca_dir = dir.join("ca");
    Ca::init(&ca_dir, "once demo federation", DEFAULT_CA_DAYS)?;
    println!("[ok] created the federation CA in {}", ca_dir.display());
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut api_keys = Vec::new();
    for (member, label) in MEMBERS {
        let id: MemberId = member
            .parse()
            .map_err(|e: once_pki::MemberIdError| CliError::Failed(e.to_string()))?;
        let key = super::node::init(
            &node_dir(dir, member),
            &id,
            &ca_dir,
            &["localhost".into(), "127.0.0.1".into()],
            any_port,
            any_port,
            "node.db",
        )
        .await?;
        println!("[ok] issued certificates and set up the node of {member} ({label})");
        api_keys.push((member.to_owned(), key));
    }
    let keys = DemoKeys { api_keys };
    let text = serde_json::to_vec_pretty(&keys).map_err(|e| CliError::Failed(e.to_string()))?;
    write_private_new(&dir.join("api-keys.json"), &text)?;
    Ok(keys)
}

fn load_keys(dir: &Path) -> Result<DemoKeys, CliError> {
    let path = dir.join("api-keys.json");
    serde_json::from_str(&read_text(&path)?).map_err(|e| {
        CliError::Failed(format!(
            "{}: {e}; remove {} to start the demo afresh",
            path.display(),
            dir.display()
        ))
    })
}

/// The requester reaches the provider over mutual TLS and is recognised by its member id; a
/// client without a certificate is refused.
async fn check(nodes: &[RunningNode]) -> Result<(), CliError> {
    let (requester, provider) = (&nodes[0], &nodes[1]);
    let state = requester.state();
    let client =
        crate::peer::client::build(&state.material, &state.crl.load(), Duration::from_secs(5))?;
    let url = format!(
        "https://localhost:{}/v1/identity",
        provider.peer_addr.port()
    );
    let answer: serde_json::Value = client
        .get(&url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| CliError::Failed(format!("requester → provider over mTLS: {e}")))?
        .json()
        .await
        .map_err(|e| CliError::Failed(format!("requester → provider: bad answer: {e}")))?;
    let seen = answer["peer"]["member_id"].as_str().unwrap_or_default();
    if seen != MEMBERS[0].0 {
        return Err(CliError::Failed(format!(
            "the provider saw member {seen:?}, expected {}",
            MEMBERS[0].0
        )));
    }
    println!(
        "[ok] {} reached {} over mutual TLS; the provider sees it as {seen}",
        MEMBERS[0].0, MEMBERS[1].0
    );

    let ca = once_pki::files::read_certs(&requester.state().config.tls.ca)?;
    let no_cert_tls = rustls::ClientConfig::builder_with_provider(once_pki::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::Failed(e.to_string()))?
        .with_root_certificates({
            let mut roots = rustls::RootCertStore::empty();
            for cert in ca {
                roots
                    .add(cert)
                    .map_err(|e| CliError::Failed(e.to_string()))?;
            }
            roots
        })
        .with_no_client_auth();
    let anonymous = reqwest::Client::builder()
        .tls_backend_preconfigured(no_cert_tls)
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| CliError::Failed(e.to_string()))?;
    match anonymous.get(&url).send().await {
        Err(_) => println!(
            "[ok] a client without a federation certificate is refused in the TLS handshake"
        ),
        Ok(r) => {
            return Err(CliError::Failed(format!(
                "a client without a certificate got HTTP {}",
                r.status()
            )));
        }
    }
    Ok(())
}
