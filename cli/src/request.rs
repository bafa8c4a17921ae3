//! `once request …`: ask a provider for evidence from the command line, as an application
//! service would through `POST /v1/evidence-requests` (same checks, same message log).

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use super::node::open_pool;
use once_node::assemble::Parts;
use once_node::config::Config;
use once_node::exchange::requester::{EvidenceQuery, RequestError, RequestOutcome, SubjectInput};

#[derive(Debug, Args)]
pub(super) struct RequestArgs {
    /// The (requester) node's configuration file.
    #[arg(long)]
    config: PathBuf,
    /// Evidence type, e.g. urn:once:evidence-type:residence-certificate.
    #[arg(long)]
    evidence_type: String,
    /// The person's identification number (tax id), if known; sent in the national profile only.
    #[arg(long)]
    tax_id: Option<String>,
    /// The person's eIDAS unique identifier `XX/YY/…`, as their eID authentication gave it.
    #[arg(long)]
    eidas_id: Option<String>,
    /// The level of assurance of the person's authentication (Low, Substantial, High); required
    /// when the provider speaks the oots profile.
    #[arg(long)]
    level_of_assurance: Option<String>,
    /// Family name.
    #[arg(long)]
    family_name: String,
    /// Given name(s).
    #[arg(long)]
    given_name: String,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long)]
    date_of_birth: String,
    /// The procedure the evidence is for: as agreed in the provider's access rules; a code of
    /// the OOTS Procedures list (e.g. S1) when the provider speaks the oots profile.
    #[arg(long)]
    procedure: String,
    /// The legal basis of the request.
    #[arg(long)]
    legal_basis: String,
    /// Where the person lives (AGS/ARS), to choose the provider.
    #[arg(long)]
    jurisdiction: Option<String>,
    /// Offer the person a preview first.
    #[arg(long)]
    preview: bool,
    /// Send again after a preview, with the PreviewLocation of the first answer.
    #[arg(long)]
    preview_location: Option<String>,
    /// Ask this provider (member id).
    #[arg(long)]
    provider: Option<String>,
    /// Print the answer as JSON (as the application endpoint returns it).
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(args: RequestArgs) -> Result<(), CliError> {
    let config = Config::load(&args.config)?;
    let (credentials, crl) = config.load_credentials()?;
    let pool = open_pool(&config).await?;
    let mut parts = Parts::assemble(&config, &credentials, &crl, &pool).await?;
    // AS4 answers arrive at the running node's AS4 endpoint, not at this process.
    parts.as4 = None;
    let requester = parts.requester(&config);
    let query = EvidenceQuery {
        trace: None,
        evidence_type: args.evidence_type,
        subject: SubjectInput {
            tax_id: args.tax_id,
            eidas_id: args.eidas_id,
            level_of_assurance: args.level_of_assurance,
            family_name: args.family_name,
            given_name: args.given_name,
            date_of_birth: args.date_of_birth,
        },
        procedure: args.procedure,
        legal_basis: args.legal_basis,
        jurisdiction: args.jurisdiction,
        preview: args.preview,
        preview_location: args.preview_location,
        provider: args.provider,
        transport: None,
    };
    let outcome = requester.request(query).await.map_err(|e| match e {
        RequestError::Invalid(_) | RequestError::NoProvider(_) => CliError::Usage(e.to_string()),
        RequestError::Refused(refusal) => CliError::Failed(format!(
            "{} refused: {}{}: {}",
            refusal.provider,
            refusal.code.code(),
            refusal
                .reason
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            refusal.message
        )),
        other => CliError::Unavailable(other.to_string()),
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&outcome).map_err(|e| CliError::Failed(e.to_string()))?
        );
    }
    match outcome {
        RequestOutcome::Evidence {
            request_id,
            provider,
            evidence,
            ..
        } => {
            if !args.json {
                println!("evidence from {provider} (request {request_id}), signature verified:");
                for (name, value) in evidence {
                    println!("  {name}: {}", value.as_str().unwrap_or_default());
                }
            }
            Ok(())
        }
        RequestOutcome::PreviewRequired {
            preview_location, ..
        } => {
            if !args.json {
                println!(
                    "the person must preview and approve the evidence first: {preview_location}"
                );
                println!("then run the same command with --preview-location {preview_location}");
            }
            Err(CliError::Failed("preview required".into()))
        }
    }
}
