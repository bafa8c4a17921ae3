//! The node's credentials and trust anchors, loaded and cross-checked at start-up: every
//! problem is a [`ConfigError`] naming the field.

use std::path::Path;

use once_pki::files::{read_certs, read_crl, read_key};
use once_pki::inspect::{CertInfo, CrlInfo, PairError, check_pair};
use once_pki::{MemberId, PeerIdentity};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use time::OffsetDateTime;

use crate::config::{ConfigError, SigningConfig, TlsConfig};

/// The node's certificates, keys and trust anchors.
pub struct Material {
    /// The federation root(s).
    pub ca_certs: Vec<CertificateDer<'static>>,
    /// The TLS certificate chain (end entity first).
    pub tls_chain: Vec<CertificateDer<'static>>,
    /// The TLS key.
    pub tls_key: PrivateKeyDer<'static>,
    /// What the TLS certificate says.
    pub tls_info: CertInfo,
    /// The signing certificate chain (end entity first).
    pub signing_chain: Vec<CertificateDer<'static>>,
    /// The signing key.
    pub signing_key: PrivateKeyDer<'static>,
    /// What the signing certificate says.
    pub signing_info: CertInfo,
}

impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Material")
            .field("tls", &self.tls_info.serial)
            .field("signing", &self.signing_info.serial)
            .finish_non_exhaustive()
    }
}

/// A loaded CRL.
#[derive(Debug, Clone)]
pub struct LoadedCrl {
    /// The CRL.
    pub der: CertificateRevocationListDer<'static>,
    /// What it says.
    pub info: CrlInfo,
    /// The file's modification time when it was read.
    pub modified: Option<std::time::SystemTime>,
}

impl LoadedCrl {
    /// Reads and parses the CRL file.
    pub fn read(path: &Path) -> Result<LoadedCrl, once_pki::PkiError> {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let der = read_crl(path)?;
        let info = CrlInfo::from_der(&der)?;
        Ok(LoadedCrl {
            der,
            info,
            modified,
        })
    }

    /// Whether the CRL is past its nextUpdate at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.info.next_update.is_some_and(|t| t < now)
    }
}

impl Material {
    /// Loads and checks everything a server of the federation (node or map) is configured with:
    /// the CA is readable, each certificate matches its key, was issued by the CA, is currently
    /// valid, is for the configured member and has the key usages of its purpose.
    pub fn load(
        member_id: &MemberId,
        tls: &TlsConfig,
        signing: &SigningConfig,
    ) -> Result<(Material, LoadedCrl), ConfigError> {
        let config = &Parts {
            member_id,
            tls,
            signing,
        };
        let ca_certs = read_certs(&config.tls.ca).map_err(|e| ConfigError::new("tls.ca", e))?;
        let crl = LoadedCrl::read(&config.tls.crl).map_err(|e| ConfigError::new("tls.crl", e))?;
        let now = OffsetDateTime::now_utc();

        let (tls_chain, tls_key, tls_info) = load_pair(
            config,
            ("tls.cert", &config.tls.cert),
            ("tls.key", &config.tls.key),
            &ca_certs,
            now,
        )?;
        for usage in ["serverAuth", "clientAuth"] {
            if !tls_info.extended_key_usages.iter().any(|u| u == usage) {
                return Err(ConfigError::new(
                    "tls.cert",
                    format!(
                        "certificate lacks the extended key usage {usage}; issue it with `once pki issue`"
                    ),
                ));
            }
        }
        let (signing_chain, signing_key, signing_info) = load_pair(
            config,
            ("signing.cert", &config.signing.cert),
            ("signing.key", &config.signing.key),
            &ca_certs,
            now,
        )?;
        if !signing_info.key_usages.contains(&"nonRepudiation") {
            return Err(ConfigError::new(
                "signing.cert",
                "certificate lacks the key usage nonRepudiation; it is not a signing certificate",
            ));
        }
        Ok((
            Material {
                ca_certs,
                tls_chain,
                tls_key,
                tls_info,
                signing_chain,
                signing_key,
                signing_info,
            },
            crl,
        ))
    }
}

impl Material {
    /// The signer of messages and documents, with the signing key and certificate.
    pub fn message_signer(&self) -> Result<once_xml::dsig::Signer, ConfigError> {
        let certificate = self
            .signing_chain
            .first()
            .ok_or_else(|| ConfigError::new("signing.cert", "no certificate"))?;
        once_xml::dsig::Signer::from_pkcs8_der(
            self.signing_key.secret_der(),
            vec![certificate.to_vec()],
        )
        .map_err(|e| ConfigError::new("signing.key", e))
    }

    /// The verifier of federation peers' TLS client certificates (member id required) against
    /// the roots and `crl`.
    pub fn peer_verifier(
        &self,
        crl: &LoadedCrl,
        enforce_crl_expiry: bool,
    ) -> Result<std::sync::Arc<once_pki::tls::PeerVerifier>, ConfigError> {
        once_pki::tls::PeerVerifier::new(
            self.ca_certs.clone(),
            vec![crl.der.clone()],
            once_pki::tls::PeerRequirement::MemberId,
            enforce_crl_expiry,
        )
        .map_err(|e| ConfigError::new("tls.ca", e))
    }

    /// The verifier of other members' message signatures against the roots and `crl`.
    pub fn signer_verifier(
        &self,
        crl: &LoadedCrl,
        enforce_crl_expiry: bool,
    ) -> Result<std::sync::Arc<once_pki::signing::SignerVerifier>, ConfigError> {
        once_pki::signing::SignerVerifier::new(
            self.ca_certs.clone(),
            std::slice::from_ref(&crl.der),
            enforce_crl_expiry,
        )
        .map_err(|e| ConfigError::new("tls.ca", e))
    }
}

/// A certificate as PEM.
pub fn pem_certificate(der: &CertificateDer<'_>) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

type Pair = (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    CertInfo,
);

/// The sections [`Material::load`] reads.
struct Parts<'a> {
    member_id: &'a MemberId,
    tls: &'a TlsConfig,
    signing: &'a SigningConfig,
}

fn load_pair(
    config: &Parts<'_>,
    (cert_field, cert_path): (&str, &Path),
    (key_field, key_path): (&str, &Path),
    ca_certs: &[CertificateDer<'static>],
    now: OffsetDateTime,
) -> Result<Pair, ConfigError> {
    let key = read_key(key_path).map_err(|e| ConfigError::new(key_field, e))?;
    let chain = read_certs(cert_path).map_err(|e| ConfigError::new(cert_field, e))?;
    let mut outcome = Err(PairError::NotIssuedByCa);
    for ca in ca_certs {
        outcome = check_pair(&chain[0], &key, ca);
        if outcome != Err(PairError::NotIssuedByCa) {
            break;
        }
    }
    match outcome {
        Ok(()) => {}
        Err(PairError::KeyMismatch) => {
            return Err(ConfigError::new(
                cert_field,
                format!(
                    "certificate {} does not match key {}",
                    cert_path.display(),
                    key_path.display()
                ),
            ));
        }
        Err(PairError::NotIssuedByCa) => {
            return Err(ConfigError::new(
                cert_field,
                format!(
                    "certificate {} was not issued by the federation CA {}",
                    cert_path.display(),
                    config.tls.ca.display()
                ),
            ));
        }
        Err(e) => return Err(ConfigError::new(cert_field, e)),
    }
    let info = CertInfo::from_der(&chain[0]).map_err(|e| ConfigError::new(cert_field, e))?;
    let identity =
        PeerIdentity::from_certificate(&chain[0]).map_err(|e| ConfigError::new(cert_field, e))?;
    check_member(cert_field, &identity.member_id, config.member_id)?;
    if info.not_after < now {
        return Err(ConfigError::new(
            cert_field,
            format!(
                "certificate expired on {}; issue a new one",
                info.not_after.date()
            ),
        ));
    }
    if info.not_before > now {
        return Err(ConfigError::new(
            cert_field,
            format!("certificate is not valid before {}", info.not_before),
        ));
    }
    Ok((chain, key, info))
}

fn check_member(field: &str, found: &MemberId, configured: &MemberId) -> Result<(), ConfigError> {
    if found != configured {
        return Err(ConfigError::new(
            field,
            format!("certificate is for member {found}, but member_id is {configured}"),
        ));
    }
    Ok(())
}
