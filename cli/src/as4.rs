//! `once as4 …`: the node as an eDelivery AS4 access point; its partners (the access points of
//! other member states it exchanges with).

use std::path::PathBuf;

use clap::Subcommand;
use once_as4::OwnKeys;

use super::CliError;
use super::node::open_pool;
use once_node::config::Config;
use once_node::db::as4::{self, Partner};
use once_node::db::{self, now_unix};
use once_node::exchange::transport::as4::partners::{
    SUITE_EDELIVERY, SUITE_EDELIVERY_EC, check_certificate,
};

#[derive(Debug, Subcommand)]
pub(super) enum As4Command {
    /// The partner access points this node exchanges with over AS4.
    #[command(subcommand)]
    Partner(PartnerCommand),
}

#[derive(Debug, Subcommand)]
pub(super) enum PartnerCommand {
    /// Add a partner. Its certificate must chain to `as4.trust_store`; the running node uses it
    /// at once.
    Add {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The partner's party id (`eb:PartyId`).
        #[arg(long)]
        party_id: String,
        /// The member id this node knows the partner's authority by: access rules, the message
        /// log and the transfer record name it so; `[[oots.members]]` gives its OOTS agent.
        #[arg(long, value_parser = super::parse_member)]
        member: once_pki::MemberId,
        /// Where the partner's AS4 endpoint receives messages (https://…).
        #[arg(long)]
        url: String,
        /// The partner's signing and encryption certificate (PEM; intermediates may follow it).
        #[arg(long)]
        certificate: PathBuf,
        /// The algorithm suite: `edelivery-1.15` (RSA) or `edelivery-2.0-ec` (EC P-256); by
        /// default the one the certificate's key is for. This node needs an `[as4]` key of the
        /// same suite (`key` or `ec_key`).
        #[arg(long, value_parser = [SUITE_EDELIVERY, SUITE_EDELIVERY_EC])]
        suite: Option<String>,
    },
    /// List the partners.
    List {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a partner (the running node stops accepting its messages within 5 seconds).
    Remove {
        /// The node's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The partner's party id.
        #[arg(long)]
        party_id: String,
    },
}

fn unavailable(e: db::DbError) -> CliError {
    CliError::Unavailable(format!("database_url: {e}"))
}

pub(super) async fn run(command: As4Command) -> Result<(), CliError> {
    let As4Command::Partner(command) = command;
    match command {
        PartnerCommand::Add {
            config,
            party_id,
            member,
            url,
            certificate,
            suite,
        } => {
            let config = Config::load(&config)?;
            let as4 = config.as4.as_ref().ok_or_else(|| {
                CliError::Usage("this node is no AS4 access point: [as4] is not configured".into())
            })?;
            if !url.starts_with("https://") {
                return Err(CliError::Usage(format!(
                    "--url {url:?} must be an https:// URL"
                )));
            }
            if party_id.trim().is_empty() || party_id.trim() != party_id {
                return Err(CliError::Usage(
                    "--party-id must be a non-empty identifier without surrounding spaces".into(),
                ));
            }
            once_xml::text::check_line("--party-id", &party_id)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            let pem = std::fs::read_to_string(&certificate).map_err(|e| {
                CliError::Usage(format!("--certificate {}: {e}", certificate.display()))
            })?;
            let key_suite = check_certificate(&pem, &as4.trust_store).map_err(|e| {
                CliError::Failed(format!(
                    "the certificate of {party_id} is not accepted: {e} (trust store {})",
                    as4.trust_store.display()
                ))
            })?;
            let suite = suite.unwrap_or_else(|| key_suite.name().to_owned());
            if suite != key_suite.name() {
                return Err(CliError::Usage(format!(
                    "--suite {suite} does not fit the certificate, whose key is for {key_suite}"
                )));
            }
            let own = once_node::exchange::transport::as4::setup::credentials(as4)?;
            if own.for_suite(key_suite).is_none() {
                return Err(CliError::Failed(format!(
                    "{party_id} uses the suite {key_suite}, and this node has no {} key for it: \
                     configure as4.ec_key and as4.ec_certificate (or as4.key) of that suite first",
                    key_suite.key_kind()
                )));
            }
            let partner = Partner {
                party_id: party_id.clone(),
                member: member.as_str().to_owned(),
                url,
                certificate: pem,
                suite,
                added_at: now_unix(),
            };
            let pool = open_pool(&config).await?;
            let added = db::run(&pool, move |conn| as4::add_partner(conn, &partner))
                .await
                .map_err(unavailable)?;
            if !added {
                return Err(CliError::Failed(format!(
                    "a partner with party id {party_id} or member {member} exists; remove it first"
                )));
            }
            println!("partner {party_id} ({member}) added");
        }
        PartnerCommand::List { config, json } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let list = db::run(&pool, as4::partners).await.map_err(unavailable)?;
            if json {
                let rows: Vec<serde_json::Value> = list
                    .iter()
                    .map(|p| {
                        serde_json::json!({
                            "party_id": p.party_id, "member": p.member, "url": p.url,
                            "suite": p.suite, "added_at": p.added_at,
                            "certificate": describe(&p.certificate),
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
                return Ok(());
            }
            if list.is_empty() {
                println!("no AS4 partners (add one with `once as4 partner add`)");
            }
            for p in list {
                println!(
                    "{}  {}  {}  {}  {}",
                    p.party_id,
                    p.member,
                    p.url,
                    p.suite,
                    describe(&p.certificate)
                );
            }
        }
        PartnerCommand::Remove { config, party_id } => {
            let pool = open_pool(&Config::load(&config)?).await?;
            let shown = party_id.clone();
            let removed = db::run(&pool, move |conn| as4::remove_partner(conn, &party_id))
                .await
                .map_err(unavailable)?;
            if !removed {
                return Err(CliError::Usage(format!("there is no partner {shown}")));
            }
            println!("partner {shown} removed");
        }
    }
    Ok(())
}

/// The certificate's subject and SHA-256 fingerprint.
fn describe(pem: &str) -> String {
    once_pki::files::read_certs_from_pem(pem)
        .ok()
        .and_then(|chain| chain.into_iter().next())
        .map_or_else(
            || "(unreadable certificate)".to_owned(),
            |der| {
                let subject = once_as4::Certificate::from_der(&der)
                    .map(|c| c.subject().to_owned())
                    .unwrap_or_default();
                format!("{subject} sha256:{}", once_pki::sha256_hex(&der))
            },
        )
}
