//! `once log …`: check and checkpoint the message log.

use std::path::PathBuf;

use clap::Subcommand;
use once_pki::files::read_certs;

use super::CliError;
use super::node::open_pool;
use crate::config::Config;
use crate::db::{self, log};
use crate::service::checkpoint;

#[derive(Debug, Subcommand)]
pub(super) enum LogCommand {
    /// Re-check the hash chain and every signed checkpoint; names the first broken entry and
    /// exits 1 if there is one.
    Verify {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign the current chain head now (the node also does this periodically).
    Checkpoint {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
}

fn unavailable(e: db::DbError) -> CliError {
    CliError::Unavailable(format!("database_url: {e}"))
}

pub(super) async fn run(command: LogCommand) -> Result<(), CliError> {
    match command {
        LogCommand::Verify { config, json } => {
            let config = Config::load(&config)?;
            let roots = read_certs(&config.tls.ca)
                .map_err(|e| CliError::Config(crate::config::ConfigError::new("tls.ca", e)))?;
            let member = config.member_id.clone();
            let pool = open_pool(&config).await?;
            let report = db::run(&pool, move |conn| {
                log::verify(conn, &|c| checkpoint::verify(c, &member, &roots))
            })
            .await
            .map_err(unavailable)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report)
                        .map_err(|e| CliError::Failed(e.to_string()))?
                );
            }
            match &report.broken {
                None => {
                    if !json {
                        println!(
                            "message log of {} is intact: {} entries, {} signed checkpoints, head {}",
                            config.member_id,
                            report.entries,
                            report.checkpoints,
                            report.head.as_deref().unwrap_or("(empty)")
                        );
                    }
                    Ok(())
                }
                Some(broken) => Err(CliError::Failed(format!(
                    "message log of {} is BROKEN: {broken} ({} entries before it are intact)",
                    config.member_id, report.entries
                ))),
            }
        }
        LogCommand::Checkpoint { config } => {
            let config = Config::load(&config)?;
            let (material, _) = crate::material::NodeMaterial::load(&config)?;
            let signer = material.checkpoint_signer(&config.member_id)?;
            let pool = open_pool(&config).await?;
            let made = db::run(&pool, move |conn| {
                crate::service::logbook::checkpoint_now(conn, &signer)
            })
            .await
            .map_err(unavailable)?;
            match made {
                Some(c) => println!("checkpoint signed at entry {} ({})", c.seq, c.entry_hash),
                None => println!("the message log is empty; nothing to sign"),
            }
            Ok(())
        }
    }
}
