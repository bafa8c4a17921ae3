//! A stand-in for the eDelivery PKI, for demonstrations and tests only: a CA (ECDSA P-256) and
//! access point certificates with fresh RSA-2048 keys (the eDelivery AS4 1.15 suite signs and
//! transports keys with RSA) or EC P-256 keys (the eDelivery AS4 2.0 EC profile signs with ECDSA
//! and agrees keys with ECDH). Real access points hold certificates of the eDelivery PKI; these
//! are never for production.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256,
};
use rsa::pkcs8::EncodePrivateKey;

/// Why the demo PKI could not issue.
#[derive(Debug, thiserror::Error)]
#[error("demo eDelivery PKI: {0}")]
pub struct DemoPkiError(String);

fn error(e: impl std::fmt::Display) -> DemoPkiError {
    DemoPkiError(e.to_string())
}

/// A demo CA.
pub struct DemoPki {
    issuer: Issuer<'static, KeyPair>,
    ca_pem: String,
}

impl std::fmt::Debug for DemoPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoPki").finish_non_exhaustive()
    }
}

/// An access point's key and certificate, PEM.
#[derive(Debug, Clone)]
pub struct IssuedAccessPoint {
    /// The key (RSA or EC P-256), PKCS#8 `PRIVATE KEY`.
    pub key_pem: String,
    /// Its certificate.
    pub certificate_pem: String,
}

impl DemoPki {
    /// A fresh CA named `name`.
    pub fn new(name: &str) -> Result<DemoPki, DemoPkiError> {
        let key = KeyPair::generate().map_err(error)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name_of(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).map_err(error)?;
        Ok(DemoPki {
            ca_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA certificate (the trust store of the access points).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// A certificate for the access point `party_id`, with a fresh RSA-2048 key.
    pub fn issue(&self, party_id: &str) -> Result<IssuedAccessPoint, DemoPkiError> {
        let mut rng = rand::rng();
        let rsa_key = rsa::PrivateKey::new(&mut rng, 2048).map_err(error)?;
        let pkcs8 = rsa_key.to_pkcs8_der().map_err(error)?;
        let key = KeyPair::from_pkcs8_der_and_sign_algo(
            &rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8.as_bytes()),
            &PKCS_RSA_SHA256,
        )
        .map_err(error)?;
        self.certify(party_id, key, KeyUsagePurpose::KeyEncipherment)
    }

    /// A certificate for the access point `party_id`, with a fresh EC P-256 key (the eDelivery
    /// AS4 2.0 EC profile).
    pub fn issue_ec(&self, party_id: &str) -> Result<IssuedAccessPoint, DemoPkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(error)?;
        self.certify(party_id, key, KeyUsagePurpose::KeyAgreement)
    }

    fn certify(
        &self,
        party_id: &str,
        key: KeyPair,
        key_exchange: KeyUsagePurpose,
    ) -> Result<IssuedAccessPoint, DemoPkiError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = name_of(party_id);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, key_exchange];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, &self.issuer).map_err(error)?;
        Ok(IssuedAccessPoint {
            key_pem: key.serialize_pem(),
            certificate_pem: cert.pem(),
        })
    }
}

fn name_of(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "once demo eDelivery PKI");
    name
}
