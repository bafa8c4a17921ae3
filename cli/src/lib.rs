//! The `once` command line: `once pki …`, `once node …`, `once demo`.

mod as4;
mod demo;
mod log;
mod map;
mod node;
mod pki;
mod register;
mod request;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use once_node::config::ConfigError;
use once_node::server::StartError;
use once_runtime::logging::LogFormat;

/// once: a federated register landscape and once-only evidence exchange node.
///
/// Every authority runs one node per data centre. Nodes authenticate each other with
/// certificates of the federation CA (mutual TLS); application services of the authority talk
/// to their own node on the application endpoint.
#[derive(Debug, Parser)]
#[command(name = "once", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Log format: human-readable lines or JSON lines (on standard error). The level is set by
    /// ONCE_LOG, e.g. ONCE_LOG=debug.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo scenario on this machine: a CA, a register map and three authorities
    /// exchanging evidence.
    Demo(demo::DemoArgs),
    /// Federation PKI: create the CA, issue, revoke and inspect certificates.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// Set up, check and run a node.
    #[command(subcommand)]
    Node(node::NodeCommand),
    /// Registers this node serves evidence from, and their records.
    #[command(subcommand)]
    Register(register::RegisterCommand),
    /// Access rules: which requester may receive which evidence (default deny).
    #[command(subcommand)]
    Rules(register::RulesCommand),
    /// The register map: set up, seed and run it.
    #[command(subcommand)]
    Map(map::MapCommand),
    /// Ask a provider for evidence (the requester side, as the application endpoint does).
    Request(request::RequestArgs),
    /// The message log: verify the hash chain and checkpoints, sign a checkpoint.
    #[command(subcommand)]
    Log(log::LogCommand),
    /// eDelivery AS4: the partner access points of other member states.
    #[command(subcommand)]
    As4(as4::As4Command),
}

impl Cli {
    /// The log level when `ONCE_LOG` is not set: the demo prints its own progress, so only
    /// warnings are logged there; servers log requests.
    pub fn default_log_level(&self) -> &'static str {
        match self.command {
            Command::Demo(_) => "warn",
            _ => "info",
        }
    }
}

/// A failed command: one line for the operator and an exit code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Bad input on the command line (exit 64).
    #[error("{0}")]
    Usage(String),
    /// A wrong configuration (exit 64).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A service the command needs is unavailable: database, address in use (exit 69).
    #[error("{0}")]
    Unavailable(String),
    /// The command failed (exit 1).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The process exit code (sysexits.h).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 64,
            CliError::Unavailable(_) => 69,
            CliError::Failed(_) => 1,
        }
    }
}

impl From<StartError> for CliError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Config(c) => CliError::Config(c),
            other => CliError::Unavailable(other.to_string()),
        }
    }
}

impl From<once_pki::PkiError> for CliError {
    fn from(e: once_pki::PkiError) -> Self {
        use once_pki::PkiError as P;
        match e {
            P::MemberId(_)
            | P::BadSerial(_)
            | P::UnknownSerial(_)
            | P::BadHost(_)
            | P::Exists(_) => CliError::Usage(e.to_string()),
            other => CliError::Failed(other.to_string()),
        }
    }
}

/// Runs the command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Pki(command) => pki::run(command),
        Command::Node(command) => node::run(command).await,
        Command::Register(command) => register::register(command).await,
        Command::Rules(command) => register::rules(command).await,
        Command::Log(command) => log::run(command).await,
        Command::Request(args) => request::run(args).await,
        Command::Map(command) => map::run(command).await,
        Command::As4(command) => as4::run(command).await,
    }
}

/// Parses a member id on the command line (one parser, with the rule in the message).
fn parse_member(text: &str) -> Result<once_pki::MemberId, String> {
    text.parse()
        .map_err(|e: once_pki::MemberIdError| e.to_string())
}

/// A path argument that must name an existing directory.
fn existing_dir(text: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(text);
    if path.is_dir() {
        Ok(path)
    } else {
        Err(format!("{text} is not a directory"))
    }
}
