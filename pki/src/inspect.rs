//! What a certificate or CRL says, read with x509-parser.

use std::fmt;
use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{X509Certificate, parse_x509_certificate, parse_x509_crl};

use crate::files::{read_certs, read_crl};
use crate::{MemberId, OID_KP_DOCUMENT_SIGNING, PkiError, sha256_hex};

/// What a certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Subject alternative names, as `DNS:…`, `IP:…`, `URI:…`.
    pub subject_alt_names: Vec<String>,
    /// The member id from the member URI SAN, if there is exactly one valid one.
    pub member_id: Option<String>,
    /// Not valid before.
    pub not_before: OffsetDateTime,
    /// Not valid after.
    pub not_after: OffsetDateTime,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// Key usages (RFC 5280 names).
    pub key_usages: Vec<&'static str>,
    /// Extended key usages.
    pub extended_key_usages: Vec<String>,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
    /// SHA-256 fingerprint of the DER encoding, lowercase hex.
    pub fingerprint_sha256: String,
}

impl CertInfo {
    /// Reads the first certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<CertInfo, PkiError> {
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| PkiError::Parse {
            what: "PEM certificate".into(),
            detail: e.to_string(),
        })?;
        CertInfo::from_der(&der)
    }

    /// Reads the first certificate of a PEM file.
    pub fn from_path(path: &Path) -> Result<CertInfo, PkiError> {
        let certs = read_certs(path)?;
        CertInfo::from_der(&certs[0])
    }

    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<CertInfo, PkiError> {
        let cert = parse_cert(der)?;
        let mut subject_alt_names = Vec::new();
        let mut member_uris = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) => subject_alt_names.push(format!("DNS:{n}")),
                    GeneralName::URI(u) => {
                        subject_alt_names.push(format!("URI:{u}"));
                        if let Some(Ok(id)) = MemberId::from_uri(u) {
                            member_uris.push(id);
                        }
                    }
                    GeneralName::IPAddress(bytes) => {
                        subject_alt_names.push(format!("IP:{}", ip_text(bytes)));
                    }
                    other => subject_alt_names.push(format!("{other:?}")),
                }
            }
        }
        let mut key_usages = Vec::new();
        if let Ok(Some(ku)) = cert.key_usage() {
            let ku = ku.value;
            let flags = [
                (ku.digital_signature(), "digitalSignature"),
                (ku.non_repudiation(), "nonRepudiation"),
                (ku.key_encipherment(), "keyEncipherment"),
                (ku.data_encipherment(), "dataEncipherment"),
                (ku.key_agreement(), "keyAgreement"),
                (ku.key_cert_sign(), "keyCertSign"),
                (ku.crl_sign(), "cRLSign"),
            ];
            key_usages = flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, n)| *n)
                .collect();
        }
        let mut extended_key_usages = Vec::new();
        if let Ok(Some(eku)) = cert.extended_key_usage() {
            let eku = eku.value;
            for (on, name) in [
                (eku.server_auth, "serverAuth"),
                (eku.client_auth, "clientAuth"),
                (eku.code_signing, "codeSigning"),
                (eku.email_protection, "emailProtection"),
                (eku.any, "anyExtendedKeyUsage"),
            ] {
                if on {
                    extended_key_usages.push(name.to_owned());
                }
            }
            for oid in &eku.other {
                let is_doc_signing = oid
                    .iter()
                    .is_some_and(|arcs| arcs.eq(OID_KP_DOCUMENT_SIGNING.iter().copied()));
                extended_key_usages.push(if is_doc_signing {
                    "documentSigning".to_owned()
                } else {
                    oid.to_id_string()
                });
            }
        }
        let is_ca = cert.is_ca();
        Ok(CertInfo {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            subject_alt_names,
            member_id: (member_uris.len() == 1).then(|| member_uris[0].to_string()),
            not_before: timestamp(cert.validity().not_before.timestamp()),
            not_after: timestamp(cert.validity().not_after.timestamp()),
            serial: hex::encode(cert.raw_serial()),
            key_usages,
            extended_key_usages,
            is_ca,
            fingerprint_sha256: sha256_hex(der),
        })
    }

    /// Days from `now` until the certificate expires (negative once expired).
    pub fn days_to_expiry(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days()
    }
}

impl fmt::Display for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "subject:             {}", self.subject)?;
        writeln!(f, "issuer:              {}", self.issuer)?;
        writeln!(
            f,
            "member id:           {}",
            self.member_id.as_deref().unwrap_or("(none)")
        )?;
        writeln!(
            f,
            "subject alt names:   {}",
            self.subject_alt_names.join(", ")
        )?;
        writeln!(f, "not before:          {}", rfc3339(self.not_before))?;
        writeln!(f, "not after:           {}", rfc3339(self.not_after))?;
        writeln!(f, "serial:              {}", self.serial)?;
        writeln!(f, "key usages:          {}", self.key_usages.join(", "))?;
        writeln!(
            f,
            "extended key usages: {}",
            self.extended_key_usages.join(", ")
        )?;
        writeln!(
            f,
            "CA:                  {}",
            if self.is_ca { "yes" } else { "no" }
        )?;
        write!(f, "SHA-256 fingerprint: {}", self.fingerprint_sha256)
    }
}

/// What a CRL says.
#[derive(Debug, Clone)]
pub struct CrlInfo {
    /// Issuer distinguished name.
    pub issuer: String,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate, if given.
    pub next_update: Option<OffsetDateTime>,
    /// Serials of the revoked certificates, lowercase hex.
    pub revoked_serials: Vec<String>,
    /// The CRL number (RFC 5280 5.2.3), increasing with every CRL the CA writes.
    pub number: Option<x509_parser::num_bigint::BigUint>,
}

impl CrlInfo {
    /// Reads a PEM CRL file.
    pub fn from_path(path: &Path) -> Result<CrlInfo, PkiError> {
        CrlInfo::from_der(&read_crl(path)?)
    }

    /// Reads a DER CRL.
    pub fn from_der(der: &CertificateRevocationListDer<'_>) -> Result<CrlInfo, PkiError> {
        let (_, crl) = parse_x509_crl(der).map_err(|e| PkiError::Parse {
            what: "CRL".into(),
            detail: e.to_string(),
        })?;
        Ok(CrlInfo {
            issuer: crl.issuer().to_string(),
            this_update: timestamp(crl.last_update().timestamp()),
            next_update: crl.next_update().map(|t| timestamp(t.timestamp())),
            revoked_serials: crl
                .iter_revoked_certificates()
                .map(|r| hex::encode(r.raw_serial()))
                .collect(),
            number: crl.crl_number().cloned(),
        })
    }
}

/// Why a certificate and key pair is not usable with a CA.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PairError {
    /// The certificate's public key is not the key's.
    #[error("the certificate does not match the key")]
    KeyMismatch,
    /// The certificate was not signed by the CA.
    #[error("the certificate was not issued by the CA")]
    NotIssuedByCa,
    /// Something could not be parsed.
    #[error("{0}")]
    Unreadable(String),
}

/// Checks that `cert` belongs to `key` and was issued (signed) by `ca`.
pub fn check_pair(
    cert: &CertificateDer<'_>,
    key: &PrivateKeyDer<'_>,
    ca: &CertificateDer<'_>,
) -> Result<(), PairError> {
    let key = rcgen::KeyPair::try_from(key)
        .map_err(|e| PairError::Unreadable(format!("not a usable private key: {e}")))?;
    let cert = parse_cert(cert).map_err(|e| PairError::Unreadable(e.to_string()))?;
    if cert.public_key().raw != rcgen::PublicKeyData::subject_public_key_info(&key).as_slice() {
        return Err(PairError::KeyMismatch);
    }
    let ca = parse_cert(ca).map_err(|e| PairError::Unreadable(e.to_string()))?;
    cert.verify_signature(Some(ca.public_key()))
        .map_err(|_| PairError::NotIssuedByCa)
}

/// A time as RFC 3339 text (`2026-11-23T09:13:13Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// The SubjectPublicKeyInfo (DER) of the first certificate in a PEM text.
pub(crate) fn spki_of_pem(pem: &str, path: &Path) -> Result<Vec<u8>, PkiError> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| PkiError::Pem {
        path: path.to_owned(),
        what: e.to_string(),
    })?;
    Ok(parse_cert(&der)?.public_key().raw.to_vec())
}

pub(crate) fn parse_cert(der: &[u8]) -> Result<X509Certificate<'_>, PkiError> {
    let (rest, cert) = parse_x509_certificate(der).map_err(|e| PkiError::Parse {
        what: "certificate".into(),
        detail: e.to_string(),
    })?;
    if !rest.is_empty() {
        return Err(PkiError::Parse {
            what: "certificate".into(),
            detail: "trailing bytes after the certificate".into(),
        });
    }
    Ok(cert)
}

fn timestamp(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::from([bytes[0], bytes[1], bytes[2], bytes[3]]).to_string(),
        16 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => hex::encode(bytes),
    }
}
