//! `once node …`

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use once_pki::MemberId;
use once_pki::ca::{Ca, DEFAULT_NODE_DAYS, Validity};
use once_pki::files::{read_text, write_public};

use super::{CliError, existing_dir, parse_member};
use once_node::assemble::Parts;
use once_node::config::{Config, render_node_toml};
use once_node::db::{self, api_keys};
use once_node::operations::backup;
use once_node::server::RunningNode;

#[derive(Debug, Subcommand)]
pub(super) enum NodeCommand {
    /// Set up a node directory: certificates from the CA, a commented node.toml, the database
    /// and a first API key.
    Init {
        /// The node's directory (created).
        #[arg(long)]
        dir: PathBuf,
        /// The member id, e.g. DE-HB:KOMMUNE:04011000.
        #[arg(long, value_parser = parse_member)]
        member: MemberId,
        /// The federation CA directory (from `once pki init`).
        #[arg(long, value_parser = existing_dir)]
        ca: PathBuf,
        /// DNS name or IP address peers use to reach this node (repeat for several).
        #[arg(long = "host", default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        hosts: Vec<String>,
        /// Peer endpoint address.
        #[arg(long, default_value = "0.0.0.0:8443")]
        peer_listen: SocketAddr,
        /// Application endpoint address.
        #[arg(long, default_value = "127.0.0.1:8080")]
        app_listen: SocketAddr,
        /// SQLite file (relative to the directory) or a postgres:// URL.
        #[arg(long, default_value = "node.db")]
        database_url: String,
    },
    /// Run the node until SIGTERM or Ctrl-C. SIGHUP reloads the CRL and the certificates.
    Run {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Check a configuration (files, certificates, keys, database) without starting.
    Check {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Manage the API keys of application services.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Publish this node's registers to the register map now (a running node also publishes at
    /// start-up).
    Publish {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Back up this node, also while it runs: the database, node.toml, certificates, keys, CA
    /// and CRL, a message-log export, and manifest.json with the SHA-256 of every file.
    Backup {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The backup directory (created with mode 0700; an existing one must be empty).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup of `once node backup` into a new node directory, after checking every
    /// file against the backup's manifest.
    Restore {
        /// The backup directory.
        #[arg(long)]
        from: PathBuf,
        /// The new node directory (created with mode 0700; an existing one must be empty).
        #[arg(long)]
        to: PathBuf,
        /// For a PostgreSQL backup (required): the postgres:// URL of an empty database to
        /// restore into. A SQLite backup is restored to <to>/node.db.
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum ApiKeyCommand {
    /// Create a key; it is printed once and stored only as a digest.
    Create {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// A name for the key, e.g. the application service's name.
        #[arg(long)]
        name: String,
    },
    /// List the keys (never their secrets).
    List {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Revoke a key by name.
    Revoke {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The key's name.
        #[arg(long)]
        name: String,
    },
}

pub(super) async fn run(command: NodeCommand) -> Result<(), CliError> {
    match command {
        NodeCommand::Init {
            dir,
            member,
            ca,
            hosts,
            peer_listen,
            app_listen,
            database_url,
        } => {
            let key = init(
                &dir,
                &member,
                &ca,
                &hosts,
                peer_listen,
                app_listen,
                &database_url,
            )
            .await?;
            println!("node {member} set up in {}", dir.display());
            println!(
                "  start it:     once node run --config {}",
                dir.join("node.toml").display()
            );
            println!("  API key \"default\" (shown only now): {key}");
        }
        NodeCommand::Run { config } => serve(&config).await?,
        NodeCommand::Check { config } => {
            let config = Config::load(&config)?;
            let (material, crl) = config.load_material()?;
            let pool = open_pool(&config).await?;
            println!(
                "configuration of {} is valid: TLS certificate expires {}, signing certificate {}, CRL lists {} revoked",
                config.member_id,
                material.tls_info.not_after.date(),
                material.signing_info.not_after.date(),
                crl.info.revoked_serials.len()
            );
            if let Some(as4) = &config.as4 {
                println!("{}", check_as4(as4, &pool).await?);
            }
        }
        NodeCommand::ApiKey(command) => api_key(command).await?,
        NodeCommand::Publish { config } => {
            let count = publish(&Config::load(&config)?).await?;
            println!("{count} registers published to the register map");
        }
        NodeCommand::Backup { config, out } => node_backup(config, out).await?,
        NodeCommand::Restore {
            from,
            to,
            database_url,
        } => node_restore(from, to, database_url).await?,
    }
    Ok(())
}

async fn node_backup(config: PathBuf, out: PathBuf) -> Result<(), CliError> {
    let dir = out.clone();
    let summary = tokio::task::spawn_blocking(move || backup::backup(&config, &dir))
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .map_err(backup_error)?;
    let manifest = &summary.manifest;
    match &summary.checkpoint {
        Ok(Some(seq)) => println!("checkpoint signed at entry {seq}"),
        Ok(None) => {}
        Err(e) => eprintln!("warning: no checkpoint signed before the backup: {e}"),
    }
    println!(
        "backup of {} written to {}: {} files ({} database, message log of {} entries and {} \
         signed checkpoints), SHA-256 of each in {}",
        manifest.member_id,
        out.display(),
        manifest.files.len(),
        manifest.database.as_str(),
        manifest.log.entries,
        manifest.log.checkpoints,
        backup::MANIFEST
    );
    Ok(())
}

async fn node_restore(
    from: PathBuf,
    to: PathBuf,
    database_url: Option<String>,
) -> Result<(), CliError> {
    let dir = to.clone();
    let summary =
        tokio::task::spawn_blocking(move || backup::restore(&from, &dir, database_url.as_deref()))
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?
            .map_err(backup_error)?;
    let member = &summary.manifest.member_id;
    if let Some(broken) = &summary.report.broken {
        return Err(CliError::Failed(format!(
            "restored {member} into {}, but its message log is BROKEN: {broken}",
            to.display()
        )));
    }
    println!(
        "restored {member} (backup of {}) into {}: message log intact, {} entries, {} signed \
         checkpoints",
        summary.manifest.created_at,
        to.display(),
        summary.report.entries,
        summary.report.checkpoints
    );
    println!(
        "  check it:     once node check --config {}",
        summary.config.display()
    );
    println!(
        "  start it:     once node run --config {}",
        summary.config.display()
    );
    Ok(())
}

fn backup_error(e: backup::BackupError) -> CliError {
    use backup::BackupError as B;
    match e {
        B::Config(e) => CliError::Config(e),
        B::Refused(m) => CliError::Usage(m),
        B::Unavailable(m) => CliError::Unavailable(m),
        other => CliError::Failed(other.to_string()),
    }
}

/// Publishes the registers of the node configured in `config` (also after `once register`
/// changes).
pub(super) async fn publish(config: &Config) -> Result<usize, CliError> {
    let (credentials, crl) = config.load_credentials()?;
    let pool = open_pool(config).await?;
    let parts = Parts::assemble(config, &credentials, &crl, &pool).await?;
    once_node::operations::publish::publish(
        config,
        &credentials.load(),
        &pool,
        &parts.signed,
        &parts.client,
    )
    .await
    .map_err(|e| CliError::Unavailable(e.to_string()))
}

/// Sets up a node directory; returns the first API key.
pub(super) async fn init(
    dir: &Path,
    member: &MemberId,
    ca_dir: &Path,
    hosts: &[String],
    peer_listen: SocketAddr,
    app_listen: SocketAddr,
    database_url: &str,
) -> Result<String, CliError> {
    let toml_path = dir.join("node.toml");
    if toml_path.exists() {
        return Err(CliError::Usage(format!(
            "{} exists already; this directory holds a node",
            toml_path.display()
        )));
    }
    db::DatabaseUrl::parse(database_url)
        .map_err(|e| CliError::Usage(format!("--database-url: {e}")))?;
    let mut ca = Ca::open(ca_dir)?;
    let creds = ca.issue_node(member, hosts, Validity::days_from_now(DEFAULT_NODE_DAYS))?;
    creds.write_to(dir, ca.cert_pem())?;
    write_public(
        &dir.join("crl.pem"),
        read_text(&ca_dir.join("crl.pem"))?.as_bytes(),
    )?;
    write_public(
        &toml_path,
        render_node_toml(member, peer_listen, app_listen, database_url).as_bytes(),
    )?;
    let config = Config::load(&toml_path)?;
    let pool = open_pool(&config).await?;
    let (_, secret) = db::run(&pool, |conn| {
        api_keys::create(conn, "default").map_err(|e| match e {
            api_keys::ApiKeyError::Db(e) => e,
            other => db::DbError::Migration(other.to_string()),
        })
    })
    .await
    .map_err(|e| CliError::Unavailable(format!("database_url: {e}")))?;
    Ok(secret)
}

/// `[as4]`: each key matches its certificate, each certificate chains to the trust store and is
/// valid, and every partner row is usable with a key of this node.
async fn check_as4(
    as4: &once_node::config::As4Config,
    pool: &db::DbPool,
) -> Result<String, CliError> {
    use once_as4::OwnKeys;
    use once_node::exchange::transport::as4::{partners, setup};
    let keyring = setup::credentials(as4)?;
    let files = std::iter::once(("as4.certificate", &as4.certificate))
        .chain(as4.ec_certificate.iter().map(|c| ("as4.ec_certificate", c)));
    let mut certificates = Vec::new();
    for ((field, path), credentials) in files.zip(keyring.credentials()) {
        let pem =
            std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("{field}: {e}")))?;
        partners::check_certificate(&pem, &as4.trust_store).map_err(|e| {
            CliError::Failed(format!(
                "{field} is not accepted: {e} (trust store {})",
                as4.trust_store.display()
            ))
        })?;
        let info = once_pki::inspect::CertInfo::from_der(credentials.certificate().der())?;
        certificates.push(format!(
            "{} certificate {} expires {}",
            credentials.suite(),
            credentials.certificate().subject(),
            info.not_after.date()
        ));
    }
    let rows = db::run(pool, db::as4::partners)
        .await
        .map_err(|e| CliError::Unavailable(format!("database_url: {e}")))?;
    let unusable: Vec<String> = rows
        .iter()
        .filter_map(|row| match partners::Partner::from_row(row) {
            Err(e) => Some(e.to_string()),
            Ok(p) if keyring.for_suite(p.certificate.suite()).is_none() => Some(format!(
                "partner {}: it uses the suite {}, and [as4] has no key for it",
                p.party_id,
                p.certificate.suite()
            )),
            Ok(_) => None,
        })
        .collect();
    if !unusable.is_empty() {
        return Err(CliError::Failed(format!(
            "AS4 partners that cannot be used: {}",
            unusable.join("; ")
        )));
    }
    Ok(format!(
        "AS4 access point {}: {}, {} partners",
        as4.party_id,
        certificates.join("; "),
        rows.len()
    ))
}

pub(super) async fn open_pool(config: &Config) -> Result<db::DbPool, CliError> {
    let (url, size) = (config.database_url.clone(), config.server.pool_size);
    let timeout = Duration::from_millis(config.server.pool_timeout_ms);
    tokio::task::spawn_blocking(move || db::open(&url, size, timeout))
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .map_err(|e| CliError::Unavailable(format!("database_url: {e}")))
}

/// Runs a node until SIGINT/SIGTERM; SIGHUP reloads the CRL and the certificate files.
async fn serve(config_path: &Path) -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let config = Config::load(config_path)?;
    let grace = config.server.shutdown_grace_seconds;
    let node = RunningNode::start(config).await?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| CliError::Failed(e.to_string()))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| CliError::Failed(e.to_string()))?;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: reloading the CRL and the certificates");
                if let Err(e) = node.reload_crl().await {
                    tracing::error!(error = %e, "SIGHUP: CRL");
                }
                match node.reload_credentials().await {
                    Ok(true) => {}
                    Ok(false) => tracing::info!("SIGHUP: the certificates are unchanged"),
                    Err(e) => tracing::error!(
                        error = %e,
                        "SIGHUP: the certificate files cannot be used; the previous ones stay in force"
                    ),
                }
            }
            _ = terminate.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    tracing::info!(
        grace_seconds = grace,
        "stopping: no new connections, finishing in-flight requests"
    );
    node.stop(true).await;
    Ok(())
}

async fn api_key(command: ApiKeyCommand) -> Result<(), CliError> {
    let unavailable = |e: db::DbError| CliError::Unavailable(format!("database_url: {e}"));
    let from_key_error = |e: api_keys::ApiKeyError| match e {
        api_keys::ApiKeyError::Db(e) => unavailable(e),
        other => CliError::Usage(other.to_string()),
    };
    match command {
        ApiKeyCommand::Create { config, name } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let result = db::run(&pool, move |conn| Ok(api_keys::create(conn, &name)))
                .await
                .map_err(unavailable)?;
            let (key, secret) = result.map_err(from_key_error)?;
            println!("API key {:?} (shown only now): {secret}", key.name);
        }
        ApiKeyCommand::List { config } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let keys = db::run(&pool, api_keys::list).await.map_err(unavailable)?;
            println!(
                "{:<24} {:<14} {:<12} {:<12} status",
                "name", "prefix", "created", "last used"
            );
            for key in keys {
                let date = |t: Option<i64>| {
                    t.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                        .map(|t| t.date().to_string())
                        .unwrap_or_else(|| "-".into())
                };
                println!(
                    "{:<24} {:<14} {:<12} {:<12} {}",
                    key.name,
                    key.prefix,
                    date(Some(key.created_at)),
                    date(key.last_used_at),
                    if key.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        ApiKeyCommand::Revoke { config, name } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let shown = name.clone();
            db::run(&pool, move |conn| Ok(api_keys::revoke(conn, &name)))
                .await
                .map_err(unavailable)?
                .map_err(from_key_error)?;
            println!("API key {shown:?} revoked");
        }
    }
    Ok(())
}
