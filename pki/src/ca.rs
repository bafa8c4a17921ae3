//! The federation CA, kept in one directory:
//!
//! | file | what |
//! |---|---|
//! | `ca.pem` | the root certificate every node trusts |
//! | `ca.key` | its private key (mode 0600) |
//! | `index.json` | every certificate issued and every revocation |
//! | `crl.pem` | the latest CRL, written by [`Ca::write_crl`] |

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertificateSigningRequestParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, RevocationReason,
    RevokedCertParams, SanType, SerialNumber,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::files::{create_private_dir, read_text, write_private_new, write_public};
use crate::{MemberId, OID_KP_DOCUMENT_SIGNING, PkiError};

/// Default lifetime of the root certificate.
pub const DEFAULT_CA_DAYS: i64 = 3650;
/// Default lifetime of node certificates.
pub const DEFAULT_NODE_DAYS: i64 = 365;
/// Default time until a CRL's nextUpdate.
pub const DEFAULT_CRL_DAYS: i64 = 7;

/// What a certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertPurpose {
    /// TLS server and client authentication of a node (serverAuth + clientAuth).
    Tls,
    /// Message signing (digitalSignature + nonRepudiation, EKU documentSigning).
    Signing,
}

impl CertPurpose {
    fn apply(self, params: &mut CertificateParams) {
        match self {
            CertPurpose::Tls => {
                params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
                params.extended_key_usages = vec![
                    ExtendedKeyUsagePurpose::ServerAuth,
                    ExtendedKeyUsagePurpose::ClientAuth,
                ];
            }
            CertPurpose::Signing => {
                params.key_usages = vec![
                    KeyUsagePurpose::DigitalSignature,
                    KeyUsagePurpose::ContentCommitment,
                ];
                params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(
                    OID_KP_DOCUMENT_SIGNING.to_vec(),
                )];
            }
        }
    }
}

/// The validity window of a certificate to issue.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    /// Not valid before.
    pub not_before: OffsetDateTime,
    /// Not valid after.
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// From now (less a minute of clock skew) for `days` days.
    pub fn days_from_now(days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Validity {
            not_before: now - Duration::minutes(1),
            not_after: now + Duration::days(days),
        }
    }
}

/// One certificate the CA issued, as recorded in `index.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedRecord {
    /// Serial number, lowercase hex.
    pub serial: String,
    /// The member it was issued to; `None` for certificates without a member id.
    pub member: Option<String>,
    /// What it is for.
    pub purpose: Option<CertPurpose>,
    /// Not valid after (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// When it was issued (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it was revoked, if it was (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Index {
    name: String,
    crl_number: u64,
    issued: Vec<IssuedRecord>,
}

/// A node's certificates as issued: PEM texts of the certificates and keys.
#[derive(Clone)]
pub struct NodeCredentials {
    /// TLS certificate (PEM).
    pub tls_cert_pem: String,
    /// TLS private key (PEM, PKCS#8).
    pub tls_key_pem: String,
    /// Signing certificate (PEM).
    pub signing_cert_pem: String,
    /// Signing private key (PEM, PKCS#8).
    pub signing_key_pem: String,
    /// Serial of the TLS certificate (hex).
    pub tls_serial: String,
    /// Serial of the signing certificate (hex).
    pub signing_serial: String,
}

impl std::fmt::Debug for NodeCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCredentials")
            .field("tls_serial", &self.tls_serial)
            .field("signing_serial", &self.signing_serial)
            .finish_non_exhaustive()
    }
}

/// The file names [`NodeCredentials::write_to`] uses inside a member's directory.
pub mod node_files {
    /// The TLS certificate.
    pub const TLS_CERT: &str = "tls.pem";
    /// The TLS key.
    pub const TLS_KEY: &str = "tls.key";
    /// The signing certificate.
    pub const SIGNING_CERT: &str = "signing.pem";
    /// The signing key.
    pub const SIGNING_KEY: &str = "signing.key";
    /// The federation root, copied beside them.
    pub const CA_CERT: &str = "ca.pem";
}

impl NodeCredentials {
    /// Writes the certificates and keys into `dir` (created with mode 0700): keys with mode 0600.
    /// Refuses to overwrite existing keys.
    pub fn write_to(&self, dir: &Path, ca_pem: &str) -> Result<(), PkiError> {
        create_private_dir(dir)?;
        write_private_new(&dir.join(node_files::TLS_KEY), self.tls_key_pem.as_bytes())?;
        write_private_new(
            &dir.join(node_files::SIGNING_KEY),
            self.signing_key_pem.as_bytes(),
        )?;
        write_public(
            &dir.join(node_files::TLS_CERT),
            self.tls_cert_pem.as_bytes(),
        )?;
        write_public(
            &dir.join(node_files::SIGNING_CERT),
            self.signing_cert_pem.as_bytes(),
        )?;
        write_public(&dir.join(node_files::CA_CERT), ca_pem.as_bytes())
    }
}

/// A federation CA opened from its directory.
pub struct Ca {
    dir: PathBuf,
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
    index: Index,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("dir", &self.dir)
            .field("name", &self.index.name)
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// Creates a new root CA (ECDSA P-256, keyCertSign + cRLSign) in `dir`, with an empty CRL.
    pub fn init(dir: &Path, name: &str, days: i64) -> Result<Ca, PkiError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(PkiError::CsrRefused(
                "the federation name must not be empty".into(),
            ));
        }
        create_private_dir(dir)?;
        let cert_path = dir.join("ca.pem");
        if cert_path.exists() {
            return Err(PkiError::Exists(cert_path));
        }
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, name);
        dn.push(DnType::CommonName, format!("{name} Root CA"));
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(random_serial());
        let validity = Validity::days_from_now(days);
        params.not_before = validity.not_before;
        params.not_after = validity.not_after;
        let cert = params.self_signed(&key)?;

        write_private_new(&dir.join("ca.key"), key.serialize_pem().as_bytes())?;
        write_public(&cert_path, cert.pem().as_bytes())?;
        let mut ca = Ca {
            dir: dir.to_owned(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
            index: Index {
                name: name.to_owned(),
                crl_number: 0,
                issued: Vec::new(),
            },
        };
        ca.save_index()?;
        ca.write_crl(DEFAULT_CRL_DAYS)?;
        Ok(ca)
    }

    /// Opens an existing CA directory.
    pub fn open(dir: &Path) -> Result<Ca, PkiError> {
        let cert_path = dir.join("ca.pem");
        let key_path = dir.join("ca.key");
        let cert_pem = read_text(&cert_path)?;
        let key = KeyPair::from_pem(&read_text(&key_path)?).map_err(|e| PkiError::Pem {
            path: key_path.clone(),
            what: format!("not a usable CA key: {e}"),
        })?;
        let issuer = Issuer::from_ca_cert_pem(&cert_pem, key).map_err(|e| PkiError::Pem {
            path: cert_path.clone(),
            what: format!("not a usable CA certificate: {e}"),
        })?;
        let index_path = dir.join("index.json");
        let index: Index =
            serde_json::from_str(&read_text(&index_path)?).map_err(|e| PkiError::Index {
                path: index_path,
                detail: e.to_string(),
            })?;
        let ca = Ca {
            dir: dir.to_owned(),
            cert_pem,
            issuer,
            index,
        };
        let ca_spki = crate::inspect::spki_of_pem(&ca.cert_pem, &cert_path)?;
        if ca_spki != ca.issuer.key().subject_public_key_info() {
            return Err(PkiError::KeyMismatch {
                cert: cert_path,
                key: key_path,
            });
        }
        Ok(ca)
    }

    /// The CA directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root certificate (PEM).
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The federation name.
    pub fn name(&self) -> &str {
        &self.index.name
    }

    /// Every certificate issued, oldest first.
    pub fn issued(&self) -> &[IssuedRecord] {
        &self.index.issued
    }

    /// The rcgen issuer, for tools and tests that need a certificate of an unusual shape.
    pub fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }

    /// Issues a node's TLS certificate (for `hosts`) and its signing certificate, each with a
    /// fresh ECDSA P-256 key, both carrying the member URI SAN.
    pub fn issue_node(
        &mut self,
        member: &MemberId,
        hosts: &[String],
        validity: Validity,
    ) -> Result<NodeCredentials, PkiError> {
        let tls_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let signing_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let tls_params = node_params(member, hosts, CertPurpose::Tls, validity)?;
        let signing_params = node_params(member, &[], CertPurpose::Signing, validity)?;
        let (tls_cert, tls_serial) =
            self.sign(tls_params, &tls_key, Some(member), CertPurpose::Tls)?;
        let (signing_cert, signing_serial) = self.sign(
            signing_params,
            &signing_key,
            Some(member),
            CertPurpose::Signing,
        )?;
        self.save_index()?;
        Ok(NodeCredentials {
            tls_cert_pem: tls_cert,
            tls_key_pem: tls_key.serialize_pem(),
            signing_cert_pem: signing_cert,
            signing_key_pem: signing_key.serialize_pem(),
            tls_serial,
            signing_serial,
        })
    }

    /// Signs a member's certificate request. The CA decides what the certificate says: the
    /// request's member URI SAN must equal `member`, its DNS/IP SANs are kept for TLS
    /// certificates, and everything else in the request is ignored. Returns the certificate (PEM)
    /// and its serial.
    pub fn sign_csr(
        &mut self,
        csr_pem: &str,
        member: &MemberId,
        purpose: CertPurpose,
        validity: Validity,
    ) -> Result<(String, String), PkiError> {
        let csr = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(|e| PkiError::CsrRefused(format!("not a valid, self-signed request: {e}")))?;
        let mut requested_member = None;
        let mut hosts = Vec::new();
        for san in &csr.params.subject_alt_names {
            match san {
                SanType::URI(uri) => match MemberId::from_uri(uri.as_str()) {
                    Some(Ok(id)) if requested_member.is_none() => requested_member = Some(id),
                    Some(Ok(_)) => {
                        return Err(PkiError::CsrRefused("more than one member URI SAN".into()));
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => {
                        return Err(PkiError::CsrRefused(format!(
                            "unexpected URI SAN {:?}",
                            uri.as_str()
                        )));
                    }
                },
                SanType::DnsName(name) => hosts.push(name.as_str().to_owned()),
                SanType::IpAddress(ip) => hosts.push(ip.to_string()),
                other => {
                    return Err(PkiError::CsrRefused(format!("unsupported SAN {other:?}")));
                }
            }
        }
        match requested_member {
            Some(ref id) if id == member => {}
            Some(id) => {
                return Err(PkiError::CsrRefused(format!(
                    "the request names member {id}, not {member}"
                )));
            }
            None => {
                return Err(PkiError::CsrRefused(
                    "the request carries no member URI SAN (create it with `once pki csr`)".into(),
                ));
            }
        }
        if purpose == CertPurpose::Tls && hosts.is_empty() {
            return Err(PkiError::CsrRefused(
                "a TLS certificate request must name at least one host (DNS name or IP)".into(),
            ));
        }
        if purpose == CertPurpose::Signing {
            hosts.clear();
        }
        let params = node_params(member, &hosts, purpose, validity)?;
        let issued = self.sign(params, &csr.public_key, Some(member), purpose)?;
        self.save_index()?;
        Ok(issued)
    }

    /// Signs arbitrary certificate parameters: for tests and tools that need certificates of an
    /// unusual shape (no member id, expired). A serial is assigned and recorded.
    pub fn sign_custom(
        &mut self,
        mut params: CertificateParams,
        public_key: &impl PublicKeyData,
    ) -> Result<(String, String), PkiError> {
        params.serial_number = None;
        let issued = self.sign(params, public_key, None, CertPurpose::Tls)?;
        self.save_index()?;
        Ok(issued)
    }

    fn sign(
        &mut self,
        mut params: CertificateParams,
        public_key: &impl PublicKeyData,
        member: Option<&MemberId>,
        purpose: CertPurpose,
    ) -> Result<(String, String), PkiError> {
        let serial = random_serial();
        let serial_hex = hex::encode(serial.to_bytes());
        params.serial_number = Some(serial);
        params.use_authority_key_identifier_extension = true;
        let cert = params.signed_by(public_key, &self.issuer)?;
        self.index.issued.push(IssuedRecord {
            serial: serial_hex.clone(),
            member: member.map(ToString::to_string),
            purpose: member.map(|_| purpose),
            not_after: params.not_after,
            issued_at: OffsetDateTime::now_utc(),
            revoked_at: None,
        });
        Ok((cert.pem(), serial_hex))
    }

    /// Marks the certificate with this serial as revoked. It appears in the next CRL written.
    /// Revoking a revoked certificate again changes nothing.
    pub fn revoke(&mut self, serial: &str) -> Result<&IssuedRecord, PkiError> {
        let serial = normalise_serial(serial)?;
        let position = self
            .index
            .issued
            .iter()
            .position(|r| r.serial == serial)
            .ok_or(PkiError::UnknownSerial(serial))?;
        let record = &mut self.index.issued[position];
        if record.revoked_at.is_none() {
            record.revoked_at = Some(OffsetDateTime::now_utc());
        }
        self.save_index()?;
        Ok(&self.index.issued[position])
    }

    /// Writes a new CRL (`crl.pem`), valid for `days`, listing every revoked certificate.
    pub fn write_crl(&mut self, days: i64) -> Result<PathBuf, PkiError> {
        let now = OffsetDateTime::now_utc();
        self.write_crl_window(now - Duration::minutes(1), now + Duration::days(days))
    }

    /// Writes a new CRL with an explicit thisUpdate/nextUpdate window (tests use a window in
    /// the past to make an expired CRL).
    pub fn write_crl_window(
        &mut self,
        this_update: OffsetDateTime,
        next_update: OffsetDateTime,
    ) -> Result<PathBuf, PkiError> {
        self.index.crl_number += 1;
        let revoked_certs = self
            .index
            .issued
            .iter()
            .filter_map(|r| {
                let revoked_at = r.revoked_at?;
                let bytes = hex::decode(&r.serial).ok()?;
                Some(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&bytes),
                    revocation_time: revoked_at,
                    reason_code: Some(RevocationReason::Unspecified),
                    invalidity_date: None,
                })
            })
            .collect();
        let params = CertificateRevocationListParams {
            this_update,
            next_update,
            crl_number: SerialNumber::from(self.index.crl_number),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        let crl = params.signed_by(&self.issuer)?;
        let path = self.dir.join("crl.pem");
        write_public(&path, crl.pem()?.as_bytes())?;
        self.save_index()?;
        Ok(path)
    }

    fn save_index(&self) -> Result<(), PkiError> {
        let path = self.dir.join("index.json");
        let text = serde_json::to_vec_pretty(&self.index).map_err(|e| PkiError::Index {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        write_public(&path, &text)
    }
}

/// The certificate parameters of a node certificate.
pub(crate) fn node_params(
    member: &MemberId,
    hosts: &[String],
    purpose: CertPurpose,
    validity: Validity,
) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, member.as_str());
    let cn = match purpose {
        CertPurpose::Tls => format!("{member} node"),
        CertPurpose::Signing => format!("{member} message signing"),
    };
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    params.subject_alt_names = vec![SanType::URI(
        member
            .to_uri()
            .try_into()
            .map_err(|e: rcgen::Error| PkiError::Generate(e))?,
    )];
    for host in hosts {
        params.subject_alt_names.push(host_san(host)?);
    }
    purpose.apply(&mut params);
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    Ok(params)
}

/// A SAN for a host: an IP address or a DNS name.
pub(crate) fn host_san(host: &str) -> Result<SanType, PkiError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !valid {
        return Err(PkiError::BadHost(host.to_owned()));
    }
    Ok(SanType::DnsName(
        host.to_owned()
            .try_into()
            .map_err(|_| PkiError::BadHost(host.to_owned()))?,
    ))
}

/// A random positive 16-byte serial whose first byte is non-zero, so its DER encoding is
/// exactly these bytes.
fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] = (bytes[0] & 0x7f).max(1);
    SerialNumber::from_slice(&bytes)
}

/// Accepts `3f9a01`, `3F9A01` or `3F:9A:01` (as openssl prints it); answers lowercase hex.
pub fn normalise_serial(serial: &str) -> Result<String, PkiError> {
    let cleaned: String = serial
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| *c != ':')
        .collect::<String>()
        .to_ascii_lowercase();
    if cleaned.is_empty() || !cleaned.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PkiError::BadSerial(serial.to_owned()));
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::CertInfo;

    #[test]
    fn issues_tls_and_signing_certificates_with_the_member_uri() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca = Ca::init(dir.path(), "Test Federation", 30).expect("init");
        let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("id");
        let creds = ca
            .issue_node(
                &member,
                &["node.example".into(), "127.0.0.1".into()],
                Validity::days_from_now(5),
            )
            .expect("issue");
        let tls = CertInfo::from_pem(&creds.tls_cert_pem).expect("parse tls");
        assert_eq!(tls.member_id.as_deref(), Some("DE-HB:KOMMUNE:04011000"));
        assert!(
            tls.subject_alt_names
                .contains(&"DNS:node.example".to_string())
        );
        assert!(tls.subject_alt_names.contains(&"IP:127.0.0.1".to_string()));
        assert_eq!(tls.extended_key_usages, vec!["serverAuth", "clientAuth"]);
        assert_eq!(tls.serial, creds.tls_serial);
        let signing = CertInfo::from_pem(&creds.signing_cert_pem).expect("parse signing");
        assert_eq!(
            signing.key_usages,
            vec!["digitalSignature", "nonRepudiation"]
        );
        assert_eq!(signing.extended_key_usages, vec!["documentSigning"]);
        assert_eq!(signing.member_id.as_deref(), Some("DE-HB:KOMMUNE:04011000"));
        assert_eq!(ca.issued().len(), 2);
    }

    #[test]
    fn reopens_and_revokes_by_serial_in_any_notation() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca = Ca::init(dir.path(), "Test Federation", 30).expect("init");
        let member: MemberId = "DE:BUND:bva".parse().expect("id");
        let creds = ca
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
            .expect("issue");
        drop(ca);
        let mut ca = Ca::open(dir.path()).expect("open");
        let colon_upper = creds
            .tls_serial
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).to_uppercase())
            .collect::<Vec<_>>()
            .join(":");
        let record = ca.revoke(&colon_upper).expect("revoke");
        assert!(record.revoked_at.is_some());
        assert!(matches!(
            ca.revoke("abcdef"),
            Err(PkiError::UnknownSerial(_))
        ));
        assert!(matches!(ca.revoke("xyz"), Err(PkiError::BadSerial(_))));
        let crl_path = ca.write_crl(1).expect("crl");
        let crl = crate::inspect::CrlInfo::from_path(&crl_path).expect("crl info");
        assert_eq!(crl.revoked_serials, vec![creds.tls_serial.clone()]);
    }

    #[test]
    fn refuses_a_second_init_and_bad_hosts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca = Ca::init(dir.path(), "Test Federation", 30).expect("init");
        assert!(matches!(
            Ca::init(dir.path(), "Again", 30),
            Err(PkiError::Exists(_))
        ));
        let member: MemberId = "DE:BUND:bva".parse().expect("id");
        assert!(matches!(
            ca.issue_node(&member, &["bad host".into()], Validity::days_from_now(1)),
            Err(PkiError::BadHost(_))
        ));
    }

    #[test]
    fn signs_a_csr_only_for_the_member_it_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca = Ca::init(dir.path(), "Test Federation", 30).expect("init");
        let member: MemberId = "DE:LAND:elterngeld".parse().expect("id");
        let (csr_pem, _key) =
            crate::csr::create(&member, &["10.0.0.1".into()], CertPurpose::Tls).expect("csr");
        let (cert, _) = ca
            .sign_csr(
                &csr_pem,
                &member,
                CertPurpose::Tls,
                Validity::days_from_now(3),
            )
            .expect("sign");
        let info = CertInfo::from_pem(&cert).expect("parse");
        assert_eq!(info.member_id.as_deref(), Some("DE:LAND:elterngeld"));
        assert!(info.subject_alt_names.contains(&"IP:10.0.0.1".to_string()));
        let other: MemberId = "DE:BUND:bva".parse().expect("id");
        let refused = ca
            .sign_csr(
                &csr_pem,
                &other,
                CertPurpose::Tls,
                Validity::days_from_now(3),
            )
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("names member DE:LAND:elterngeld"),
            "{refused}"
        );
        assert!(matches!(
            ca.sign_csr(
                "garbage",
                &member,
                CertPurpose::Tls,
                Validity::days_from_now(3)
            ),
            Err(PkiError::CsrRefused(_))
        ));
    }
}
