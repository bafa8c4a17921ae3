//! `once log …`: check, checkpoint and export the message log.

use std::path::PathBuf;

use clap::Subcommand;
use once_pki::files::read_certs;

use super::CliError;
use super::node::open_pool;
use once_node::config::Config;
use once_node::db::{self, log};
use once_node::exchange::checkpoint;
use once_node::operations::log_export::{self, ExportError};

#[derive(Debug, Subcommand)]
pub(super) enum LogCommand {
    /// Re-check the hash chain and every signed checkpoint, in the node's database (--config)
    /// or in an export (--file); names the first broken entry and exits 1 if there is one.
    Verify {
        /// The node's configuration file: verify the log in its database.
        #[arg(long)]
        config: Option<PathBuf>,
        /// A file written by `once log export`: verify it without a database.
        #[arg(long)]
        file: Option<PathBuf>,
        /// With --file: the federation root (PEM) that must have issued every checkpoint
        /// certificate. Without it, checkpoints are checked against their own certificates only.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the whole message log (every entry with its message, every checkpoint with its
    /// certificate) to one file that `once log verify --file` checks without a database.
    Export {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The file to write (JSON Lines, mode 0600); it must not exist.
        #[arg(long)]
        out: PathBuf,
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
        LogCommand::Verify {
            config,
            file,
            ca,
            json,
        } => match (config, file) {
            (Some(config), None) if ca.is_none() => verify_database(&config, json).await,
            (Some(_), None) => Err(CliError::Usage(
                "--ca goes with --file; with --config the federation root is the node's tls.ca"
                    .into(),
            )),
            (None, Some(file)) => verify_file(file, ca, json).await,
            (Some(_), Some(_)) => Err(CliError::Usage(
                "give either --config (the node's database) or --file (an export), not both".into(),
            )),
            (None, None) => Err(CliError::Usage(
                "give --config (verify the node's database) or --file (verify an export)".into(),
            )),
        },
        LogCommand::Export { config, out } => {
            let config = Config::load(&config)?;
            if out.exists() {
                return Err(export_error(ExportError::Exists(out)));
            }
            let pool = open_pool(&config).await?;
            let member = config.member_id.clone();
            let target = out.clone();
            let summary = db::run(&pool, move |conn| {
                Ok(log_export::export(conn, &member, &target))
            })
            .await
            .map_err(unavailable)?
            .map_err(export_error)?;
            println!(
                "message log of {} exported to {}: {} entries, {} signed checkpoints, head {}",
                config.member_id,
                out.display(),
                summary.entries,
                summary.checkpoints,
                summary.head.as_deref().unwrap_or("(empty)")
            );
            Ok(())
        }
        LogCommand::Checkpoint { config } => {
            let config = Config::load(&config)?;
            let (material, _) = config.load_material()?;
            let signer = once_node::exchange::checkpoint::CheckpointSigner::from_material(
                &config.member_id,
                &material,
            )?;
            let pool = open_pool(&config).await?;
            let made = db::run(&pool, move |conn| {
                once_node::exchange::logbook::checkpoint_now(conn, &signer)
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

async fn verify_database(config: &std::path::Path, json: bool) -> Result<(), CliError> {
    let config = Config::load(config)?;
    let roots = read_certs(&config.tls.ca)
        .map_err(|e| CliError::Config(once_node::config::ConfigError::new("tls.ca", e)))?;
    let member = config.member_id.clone();
    let pool = open_pool(&config).await?;
    let report = db::run(&pool, move |conn| {
        log::verify(conn, &|c| checkpoint::verify(c, &member, &roots))
    })
    .await
    .map_err(unavailable)?;
    print_report(config.member_id.as_str(), &report, json)
}

async fn verify_file(file: PathBuf, ca: Option<PathBuf>, json: bool) -> Result<(), CliError> {
    let roots = match &ca {
        Some(ca) => Some(
            read_certs(ca).map_err(|e| CliError::Usage(format!("--ca {}: {e}", ca.display())))?,
        ),
        None => None,
    };
    let (header, report) =
        tokio::task::spawn_blocking(move || log_export::verify_file(&file, roots.as_deref()))
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?
            .map_err(export_error)?;
    print_report(&header.member_id, &report, json)?;
    if ca.is_none() && report.checkpoints > 0 && !json {
        println!(
            "note: the checkpoint certificates were checked for the member and the signatures, \
             not against the federation root; pass --ca to check who issued them"
        );
    }
    Ok(())
}

/// The report as a line (or JSON); a broken log is exit 1.
fn print_report(member: &str, report: &log::Report, json: bool) -> Result<(), CliError> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(report).map_err(|e| CliError::Failed(e.to_string()))?
        );
    }
    match &report.broken {
        None => {
            if !json {
                println!(
                    "message log of {member} is intact: {} entries, {} signed checkpoints, head {}",
                    report.entries,
                    report.checkpoints,
                    report.head.as_deref().unwrap_or("(empty)")
                );
            }
            Ok(())
        }
        Some(broken) => Err(CliError::Failed(format!(
            "message log of {member} is BROKEN: {broken} ({} entries before it are intact)",
            report.entries
        ))),
    }
}

/// A file that cannot be used is a usage error (64); a damaged line in an export is a broken
/// log (1); a database failure is 69.
fn export_error(e: ExportError) -> CliError {
    match e {
        ExportError::Exists(_) | ExportError::NotAnExport { .. } => CliError::Usage(e.to_string()),
        ExportError::Io {
            what: "reading", ..
        } => CliError::Usage(e.to_string()),
        ExportError::Malformed { .. } => CliError::Failed(format!("message log is BROKEN: {e}")),
        ExportError::Db(e) => unavailable(e),
        other => CliError::Failed(other.to_string()),
    }
}
