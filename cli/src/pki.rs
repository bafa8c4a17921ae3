//! `once pki …`

use std::path::{Path, PathBuf};

use clap::{Subcommand, ValueEnum};
use once_pki::MemberId;
use once_pki::ca::{
    Ca, CertPurpose, DEFAULT_CA_DAYS, DEFAULT_CRL_DAYS, DEFAULT_NODE_DAYS, Validity,
};
use once_pki::files::{create_private_dir, read_text, write_private_new, write_public};
use once_pki::inspect::{CertInfo, CrlInfo, rfc3339};

use super::{CliError, existing_dir, parse_member};

#[derive(Debug, Subcommand)]
pub(super) enum PkiCommand {
    /// Create the federation root CA (ECDSA P-256) and an empty CRL in a new directory.
    Init {
        /// Directory for the CA (created; holds ca.pem, ca.key, index.json, crl.pem).
        #[arg(long)]
        dir: PathBuf,
        /// Name of the federation, e.g. "Federation Deutschland".
        #[arg(long)]
        name: String,
        /// Validity of the root certificate in days.
        #[arg(long, default_value_t = DEFAULT_CA_DAYS)]
        days: i64,
    },
    /// Issue a member node's TLS certificate and its message-signing certificate, with new keys.
    Issue {
        /// The CA directory.
        #[arg(long, value_parser = existing_dir)]
        dir: PathBuf,
        /// Member id, e.g. DE-HB:KOMMUNE:04011000.
        #[arg(long, value_parser = parse_member)]
        member: MemberId,
        /// DNS name or IP address of the node (repeat for several).
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// Output directory (created; tls.pem, tls.key, signing.pem, signing.key, ca.pem).
        #[arg(long)]
        out: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = DEFAULT_NODE_DAYS)]
        days: i64,
    },
    /// Revoke a certificate by its serial number and write a new CRL.
    Revoke {
        /// The CA directory.
        #[arg(long, value_parser = existing_dir)]
        dir: PathBuf,
        /// Serial number in hex (as `once pki show` or `openssl x509 -serial` print it).
        #[arg(long)]
        serial: String,
    },
    /// Write a fresh CRL (crl.pem in the CA directory) for the nodes to load.
    Crl {
        /// The CA directory.
        #[arg(long, value_parser = existing_dir)]
        dir: PathBuf,
        /// Days until the CRL's nextUpdate.
        #[arg(long, default_value_t = DEFAULT_CRL_DAYS)]
        days: i64,
    },
    /// Show what a certificate or CRL (PEM) says.
    Show {
        /// The PEM file.
        file: PathBuf,
    },
    /// On the member's side: create a key and a certificate request to send to the CA.
    Csr {
        /// Member id.
        #[arg(long, value_parser = parse_member)]
        member: MemberId,
        /// What the certificate is for.
        #[arg(long, value_enum)]
        purpose: Purpose,
        /// DNS name or IP address of the node (TLS only; repeat for several).
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// Output directory: <purpose>.csr and <purpose>.key (mode 0600).
        #[arg(long)]
        out: PathBuf,
    },
    /// On the CA's side: sign a member's certificate request.
    SignCsr {
        /// The CA directory.
        #[arg(long, value_parser = existing_dir)]
        dir: PathBuf,
        /// The request (PEM).
        #[arg(long)]
        csr: PathBuf,
        /// The member the request must be for.
        #[arg(long, value_parser = parse_member)]
        member: MemberId,
        /// What the certificate is for.
        #[arg(long, value_enum)]
        purpose: Purpose,
        /// Where to write the certificate (PEM).
        #[arg(long)]
        out: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = DEFAULT_NODE_DAYS)]
        days: i64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum Purpose {
    /// TLS authentication (serverAuth + clientAuth).
    Tls,
    /// Message signing (digitalSignature + nonRepudiation).
    Signing,
}

impl Purpose {
    fn cert_purpose(self) -> CertPurpose {
        match self {
            Purpose::Tls => CertPurpose::Tls,
            Purpose::Signing => CertPurpose::Signing,
        }
    }
    fn file_stem(self) -> &'static str {
        match self {
            Purpose::Tls => "tls",
            Purpose::Signing => "signing",
        }
    }
}

fn check_days(days: i64) -> Result<(), CliError> {
    if !(1..=36500).contains(&days) {
        return Err(CliError::Usage(format!(
            "--days {days}: must be 1 to 36500"
        )));
    }
    Ok(())
}

pub(super) fn run(command: PkiCommand) -> Result<(), CliError> {
    match command {
        PkiCommand::Init { dir, name, days } => {
            check_days(days)?;
            let ca = Ca::init(&dir, &name, days)?;
            println!(
                "created the root CA of {:?} in {}: ca.pem (give it to every node), ca.key (mode 0600, keep it offline), crl.pem",
                ca.name(),
                dir.display()
            );
        }
        PkiCommand::Issue {
            dir,
            member,
            hosts,
            out,
            days,
        } => issue(&dir, &member, &hosts, &out, days)?,
        PkiCommand::Revoke { dir, serial } => {
            let mut ca = Ca::open(&dir)?;
            let record = ca.revoke(&serial)?.clone();
            let crl = ca.write_crl(DEFAULT_CRL_DAYS)?;
            println!(
                "revoked {} ({}); wrote {}: copy it to the nodes (they reload it without restart)",
                record.serial,
                record.member.as_deref().unwrap_or("no member id"),
                crl.display()
            );
        }
        PkiCommand::Crl { dir, days } => {
            check_days(days)?;
            let mut ca = Ca::open(&dir)?;
            let path = ca.write_crl(days)?;
            let info = CrlInfo::from_path(&path)?;
            println!(
                "wrote {} ({} revoked, next update {})",
                path.display(),
                info.revoked_serials.len(),
                info.next_update.map(rfc3339).unwrap_or_default()
            );
        }
        PkiCommand::Show { file } => show(&file)?,
        PkiCommand::Csr {
            member,
            purpose,
            hosts,
            out,
        } => csr(&member, purpose, &hosts, &out)?,
        PkiCommand::SignCsr {
            dir,
            csr,
            member,
            purpose,
            out,
            days,
        } => sign_csr(&dir, &csr, &member, purpose, &out, days)?,
    }
    Ok(())
}

/// `once pki issue`: a node's TLS and signing certificates with their keys, the CA certificate
/// and the CRL, into `out`.
fn issue(
    dir: &Path,
    member: &MemberId,
    hosts: &[String],
    out: &Path,
    days: i64,
) -> Result<(), CliError> {
    check_days(days)?;
    let mut ca = Ca::open(dir)?;
    let creds = ca.issue_node(member, hosts, Validity::days_from_now(days))?;
    creds.write_to(out, ca.cert_pem())?;
    write_public(
        &out.join("crl.pem"),
        read_text(&dir.join("crl.pem"))?.as_bytes(),
    )?;
    println!("issued for {member} into {}:", out.display());
    println!(
        "  tls.pem      TLS certificate, serial {}",
        creds.tls_serial
    );
    println!(
        "  signing.pem  signing certificate, serial {}",
        creds.signing_serial
    );
    println!("  tls.key, signing.key (mode 0600), ca.pem, crl.pem");

    Ok(())
}

/// `once pki show`: what a certificate or CRL says.
fn show(file: &Path) -> Result<(), CliError> {
    let text = read_text(file)?;
    if text.contains("-----BEGIN X509 CRL-----") {
        let info = CrlInfo::from_path(file)?;
        println!("CRL issuer:  {}", info.issuer);
        println!("this update: {}", rfc3339(info.this_update));
        if let Some(next) = info.next_update {
            println!("next update: {}", rfc3339(next));
        }
        if let Some(number) = &info.number {
            println!("CRL number:  {number}");
        }
        println!("revoked:     {}", info.revoked_serials.join(", "));
    } else {
        println!("{}", CertInfo::from_path(file)?);
    }

    Ok(())
}

/// `once pki csr`: a key that stays with the member and a certificate request for the CA.
fn csr(member: &MemberId, purpose: Purpose, hosts: &[String], out: &Path) -> Result<(), CliError> {
    if matches!(purpose, Purpose::Tls) && hosts.is_empty() {
        return Err(CliError::Usage(
            "a TLS request needs at least one --host".into(),
        ));
    }
    let (csr, key) = once_pki::csr::create(member, hosts, purpose.cert_purpose())?;
    create_private_dir(out)?;
    let stem = purpose.file_stem();
    write_private_new(&out.join(format!("{stem}.key")), key.as_bytes())?;
    write_public(&out.join(format!("{stem}.csr")), csr.as_bytes())?;
    println!(
        "wrote {stem}.csr (send it to the CA) and {stem}.key (mode 0600, stays here) in {}",
        out.display()
    );

    Ok(())
}

/// `once pki sign-csr`: the CA decides what the certificate says.
fn sign_csr(
    dir: &Path,
    csr: &Path,
    member: &MemberId,
    purpose: Purpose,
    out: &Path,
    days: i64,
) -> Result<(), CliError> {
    check_days(days)?;
    if out.exists() {
        return Err(CliError::Usage(format!("{} exists already", out.display())));
    }
    let mut ca = Ca::open(dir)?;
    let (cert, serial) = ca.sign_csr(
        &read_text(csr)?,
        member,
        purpose.cert_purpose(),
        Validity::days_from_now(days),
    )?;
    write_public(out, cert.as_bytes())?;
    println!(
        "signed {member} ({}), serial {serial}: {}",
        purpose.file_stem(),
        out.display()
    );

    Ok(())
}
