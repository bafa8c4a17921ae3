//! `once register …` and `once rules …`: the registers a node serves and who may receive what.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::CliError;
use super::node::open_pool;
use once_node::config::Config;
use once_node::db::registers::{self, ImportMode, Level, Register, RegisterError, RegisterId};
use once_node::db::rules::{self, RuleError};
use once_node::db::{self, now_unix};
use once_node::operations::import::{self, Format};

#[derive(Debug, Subcommand)]
pub(super) enum RegisterCommand {
    /// Add a register this node serves evidence from.
    Add {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Register id, e.g. `melderegister-bremen`.
        #[arg(long)]
        id: RegisterId,
        /// Its name, e.g. "Melderegister Bremen".
        #[arg(long)]
        name: String,
        /// Evidence type it produces (repeat for several), e.g.
        /// urn:once:evidence-type:residence-certificate.
        #[arg(long = "evidence-type", required = true)]
        evidence_types: Vec<String>,
        /// Level: federal, state, district or municipality.
        #[arg(long)]
        level: Level,
        /// Official key of an area it covers (AGS/ARS, state, district; repeat for several).
        /// Required below the federal level; a federal register covers the whole country.
        #[arg(long = "jurisdiction")]
        jurisdictions: Vec<String>,
        /// The legal basis on which it gives evidence, e.g. "§ 18 BMG".
        #[arg(long)]
        legal_basis: String,
        /// Its type in the register map's catalogue, e.g. `melderegister`.
        #[arg(long)]
        register_type: Option<String>,
        /// A standard it conforms to, e.g. XMeld (repeat for several).
        #[arg(long = "standard")]
        standards: Vec<String>,
    },
    /// List the registers with their record counts.
    List {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Remove a register and all its records.
    Remove {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Register id.
        #[arg(long)]
        id: RegisterId,
    },
    /// Load records from a CSV or JSON file: every line is checked first, and either all
    /// records are stored or none.
    Import {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Register id.
        #[arg(long)]
        register: RegisterId,
        /// Replace the register's records instead of adding to them.
        #[arg(long)]
        replace: bool,
        /// The file: `.csv` (header line with column names) or `.json` (array of objects).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(super) enum RulesCommand {
    /// Allow a requester to receive an evidence type for a procedure on a legal basis.
    Add {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The requesting member id.
        #[arg(long, value_parser = super::parse_member)]
        requester: once_pki::MemberId,
        /// Evidence type classification.
        #[arg(long)]
        evidence_type: String,
        /// The procedure, as the requester names it in its requests.
        #[arg(long)]
        procedure: String,
        /// The legal basis, as the requester names it in its requests.
        #[arg(long)]
        legal_basis: String,
    },
    /// List the rules.
    List {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Remove a rule by id.
    Remove {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Rule id (from `once rules list`).
        #[arg(long)]
        id: String,
    },
}

fn unavailable(e: db::DbError) -> CliError {
    CliError::Unavailable(format!("database_url: {e}"))
}

fn from_register_error(e: RegisterError) -> CliError {
    match e {
        RegisterError::Db(db::DbError::Conflict(message)) => CliError::Failed(message),
        RegisterError::Db(e) => unavailable(e),
        other => CliError::Usage(other.to_string()),
    }
}

pub(super) async fn register(command: RegisterCommand) -> Result<(), CliError> {
    let config_path = match &command {
        RegisterCommand::Add { config, .. }
        | RegisterCommand::Remove { config, .. }
        | RegisterCommand::Import { config, .. } => Some(config.clone()),
        RegisterCommand::List { .. } => None,
    };
    change(command).await?;
    // Every change of a register is published, if the node has a register map.
    if let Some(path) = config_path {
        let config = Config::load(&path)?;
        if config.map.as_ref().is_some_and(|m| m.publish) {
            match super::node::publish(&config).await {
                Ok(count) => println!("{count} registers published to the register map"),
                Err(e) => eprintln!("warning: the change is stored but not published: {e}"),
            }
        }
    }
    Ok(())
}

async fn change(command: RegisterCommand) -> Result<(), CliError> {
    match command {
        RegisterCommand::Add {
            config,
            id,
            name,
            evidence_types,
            level,
            jurisdictions,
            legal_basis,
            register_type,
            standards,
        } => {
            let now = now_unix();
            let register = Register {
                id,
                name,
                evidence_types,
                level,
                jurisdictions,
                legal_basis,
                created_at: now,
                updated_at: now,
                register_type,
                standards,
            };
            add(&config, register).await
        }
        RegisterCommand::List { config } => list(&config).await,
        RegisterCommand::Remove { config, id } => remove(&config, id).await,
        RegisterCommand::Import {
            config,
            register,
            replace,
            file,
        } => import_file(&config, register, replace, &file).await,
    }
}

/// `once register add`: checks what the database cannot (evidence types, jurisdictions, empty
/// texts) and adds the register.
async fn add(config: &Path, register: Register) -> Result<(), CliError> {
    import::columns_for(&register.evidence_types).map_err(CliError::Usage)?;
    if register.jurisdictions.is_empty() && register.level != Level::Federal {
        return Err(CliError::Usage(format!(
            "a {} register needs at least one --jurisdiction (the official key of an area it covers)",
            register.level.as_str()
        )));
    }
    for key in &register.jurisdictions {
        registers::check_jurisdiction(key).map_err(CliError::Usage)?;
    }
    if register.name.trim().is_empty() || register.legal_basis.trim().is_empty() {
        return Err(CliError::Usage(
            "--name and --legal-basis must not be empty".into(),
        ));
    }
    let pool = open_pool(&Config::load(config)?).await?;
    let shown = register.id.clone();
    db::run(&pool, move |conn| Ok(registers::add(conn, &register)))
        .await
        .map_err(unavailable)?
        .map_err(from_register_error)?;
    println!("register {shown} added");
    Ok(())
}

/// `once register list`.
async fn list(config: &Path) -> Result<(), CliError> {
    let pool = open_pool(&Config::load(config)?).await?;
    let list = db::run(&pool, |conn| {
        registers::list(conn)?
            .into_iter()
            .map(|r| {
                let count = registers::record_count(conn, &r.id)?;
                Ok((r, count))
            })
            .collect::<Result<Vec<_>, db::DbError>>()
    })
    .await
    .map_err(unavailable)?;
    if list.is_empty() {
        println!("no registers; add one with `once register add`");
    }
    for (r, count) in list {
        println!("{}  {}  ({} records)", r.id, r.name, count);
        println!(
            "    level {}, jurisdictions {}",
            r.level.as_str(),
            r.jurisdictions.join(" ")
        );
        println!("    evidence {}", r.evidence_types.join(" "));
        println!("    legal basis {}", r.legal_basis);
    }

    Ok(())
}

/// `once register remove`.
async fn remove(config: &Path, id: RegisterId) -> Result<(), CliError> {
    let pool = open_pool(&Config::load(config)?).await?;
    let shown = id.clone();
    let records = db::run(&pool, move |conn| Ok(registers::remove(conn, &id)))
        .await
        .map_err(unavailable)?
        .map_err(from_register_error)?;
    println!("register {shown} removed with its {records} records");

    Ok(())
}

/// `once register import`: all records of the file or none.
async fn import_file(
    config: &Path,
    register: RegisterId,
    replace: bool,
    file: &Path,
) -> Result<(), CliError> {
    let format = Format::from_path(file).ok_or_else(|| {
        CliError::Usage(format!(
            "{}: the file name must end in .csv or .json",
            file.display()
        ))
    })?;
    let bytes =
        std::fs::read(file).map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?;
    let pool = open_pool(&Config::load(config)?).await?;
    let id = register.clone();
    let found = db::run(&pool, move |conn| registers::find(conn, &id))
        .await
        .map_err(unavailable)?
        .ok_or_else(|| from_register_error(RegisterError::Unknown(register.clone())))?;
    let records =
        import::parse(&bytes, format, register.as_str(), &found.evidence_types).map_err(|e| {
            CliError::Failed(format!(
                "{}: nothing imported, fix these lines first:\n{e}",
                file.display()
            ))
        })?;
    let count = records.len();
    let mode = if replace {
        ImportMode::Replace
    } else {
        ImportMode::Append
    };
    db::run(&pool, move |conn| {
        Ok(registers::import(conn, &register, &records, mode))
    })
    .await
    .map_err(unavailable)?
    .map_err(from_register_error)?;
    println!(
        "{count} records {} register {}",
        if replace { "now form" } else { "added to" },
        found.id
    );

    Ok(())
}

pub(super) async fn rules(command: RulesCommand) -> Result<(), CliError> {
    let from_rule_error = |e: RuleError| match e {
        RuleError::Db(e) => unavailable(e),
        other => CliError::Usage(other.to_string()),
    };
    match command {
        RulesCommand::Add {
            config,
            requester,
            evidence_type,
            procedure,
            legal_basis,
        } => {
            import::columns_for(std::slice::from_ref(&evidence_type)).map_err(CliError::Usage)?;
            let pool = open_pool(&Config::load(&config)?).await?;
            let rule = db::run(&pool, move |conn| {
                Ok(rules::add(
                    conn,
                    requester.as_str(),
                    &evidence_type,
                    &procedure,
                    &legal_basis,
                ))
            })
            .await
            .map_err(unavailable)?
            .map_err(from_rule_error)?;
            println!("rule {} added", rule.id);
        }
        RulesCommand::List { config } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let list = db::run(&pool, rules::list).await.map_err(unavailable)?;
            if list.is_empty() {
                println!("no rules: every request is refused (add one with `once rules add`)");
            }
            for r in list {
                println!(
                    "{}  {} may receive {} for {:?} on {:?}",
                    r.id, r.requester, r.evidence_type, r.procedure, r.legal_basis
                );
            }
        }
        RulesCommand::Remove { config, id } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let shown = id.clone();
            db::run(&pool, move |conn| Ok(rules::remove(conn, &id)))
                .await
                .map_err(unavailable)?
                .map_err(from_rule_error)?;
            println!("rule {shown} removed");
        }
    }
    Ok(())
}
