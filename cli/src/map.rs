//! `once map …`: set up, seed and run the register map.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use once_pki::MemberId;
use once_pki::ca::{Ca, DEFAULT_NODE_DAYS, Validity};
use once_pki::files::{read_text, write_public};

use super::{CliError, existing_dir, parse_member};
use once_registry_map::config::{MapConfig, render_map_toml};
use once_registry_map::server::RunningMap;

#[derive(Debug, Subcommand)]
pub(super) enum MapCommand {
    /// Set up a map directory: certificates from the CA, a commented map.toml, the database.
    Init {
        /// The map's directory (created).
        #[arg(long)]
        dir: PathBuf,
        /// The map's member id.
        #[arg(long, value_parser = parse_member, default_value = "DE:BUND:registerlandkarte")]
        member: MemberId,
        /// The federation CA directory.
        #[arg(long, value_parser = existing_dir)]
        ca: PathBuf,
        /// DNS name or IP address nodes use to reach the map (repeat for several).
        #[arg(long = "host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        hosts: Vec<String>,
        /// API address (mutual TLS, for nodes).
        #[arg(long, default_value = "0.0.0.0:9443")]
        api_listen: SocketAddr,
        /// Web page address.
        #[arg(long, default_value = "127.0.0.1:9080")]
        web_listen: SocketAddr,
    },
    /// Load the seed catalogue: the official municipality list and the register types of
    /// Germany, instanced as they exist. Replaces an earlier seed; what nodes published stays.
    Seed {
        /// The map's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Run the map until SIGTERM or Ctrl-C. SIGHUP reloads the CRL and the certificates.
    Run {
        /// The map's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
}

pub(super) async fn run(command: MapCommand) -> Result<(), CliError> {
    match command {
        MapCommand::Init {
            dir,
            member,
            ca,
            hosts,
            api_listen,
            web_listen,
        } => {
            init(&dir, &member, &ca, &hosts, api_listen, web_listen).await?;
            println!("register map {member} set up in {}", dir.display());
            println!(
                "  seed it:   once map seed --config {}",
                dir.join("map.toml").display()
            );
            println!(
                "  start it:  once map run --config {}",
                dir.join("map.toml").display()
            );
        }
        MapCommand::Seed { config } => {
            let config = MapConfig::load(&config)?;
            let (registers, took) = seed(&config).await?;
            println!(
                "seeded {registers} registers in {:.1} s; attribution: {}",
                took.as_secs_f64(),
                once_registry_map::seed::ATTRIBUTION
            );
        }
        MapCommand::Run { config } => serve(&config).await?,
    }
    Ok(())
}

/// Sets up a map directory.
pub(super) async fn init(
    dir: &Path,
    member: &MemberId,
    ca_dir: &Path,
    hosts: &[String],
    api_listen: SocketAddr,
    web_listen: SocketAddr,
) -> Result<(), CliError> {
    let toml_path = dir.join("map.toml");
    if toml_path.exists() {
        return Err(CliError::Usage(format!(
            "{} exists already; this directory holds a map",
            toml_path.display()
        )));
    }
    let mut ca = Ca::open(ca_dir)?;
    let creds = ca.issue_node(member, hosts, Validity::days_from_now(DEFAULT_NODE_DAYS))?;
    creds.write_to(dir, ca.cert_pem())?;
    write_public(
        &dir.join("crl.pem"),
        read_text(&ca_dir.join("crl.pem"))?.as_bytes(),
    )?;
    write_public(
        &toml_path,
        render_map_toml(member, api_listen, web_listen).as_bytes(),
    )?;
    let config = MapConfig::load(&toml_path)?;
    open_pool(&config).await?;
    Ok(())
}

async fn open_pool(config: &MapConfig) -> Result<once_store::DbPool, CliError> {
    let (url, size) = (config.database_url.clone(), config.server.pool_size);
    let timeout = Duration::from_millis(config.server.pool_timeout_ms);
    tokio::task::spawn_blocking(move || once_registry_map::db::open(&url, size, timeout))
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .map_err(|e| CliError::Unavailable(format!("database_url: {e}")))
}

/// Loads the seed into the map's database; returns the number of seed registers and the time.
pub(super) async fn seed(config: &MapConfig) -> Result<(usize, Duration), CliError> {
    let started = std::time::Instant::now();
    let pool = open_pool(config).await?;
    let seed = tokio::task::spawn_blocking(once_registry_map::seed::load)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .map_err(|e| CliError::Failed(format!("the seed catalogue is broken: {e}")))?;
    let count = once_store::run(&pool, move |conn| {
        once_registry_map::db::replace_seed(
            conn,
            &seed.types,
            &seed.jurisdictions,
            &seed.members,
            &seed.registers,
        )
    })
    .await
    .map_err(|e| CliError::Unavailable(format!("database_url: {e}")))?;
    Ok((count, started.elapsed()))
}

async fn serve(config_path: &Path) -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let config = MapConfig::load(config_path)?;
    let map = RunningMap::start(config).await?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| CliError::Failed(e.to_string()))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| CliError::Failed(e.to_string()))?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                if let Err(e) = map.reload_crl().await {
                    tracing::error!(error = %e, "SIGHUP: CRL");
                }
                if let Err(e) = map.reload_credentials().await {
                    tracing::error!(
                        error = %e,
                        "SIGHUP: the certificate files cannot be used; the previous ones stay in force"
                    );
                }
            }
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    map.stop(true).await;
    Ok(())
}
