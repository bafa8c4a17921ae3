//! rustls configurations for the federation: servers that require a client certificate issued
//! by the federation root and not revoked, clients that verify the server the same way, and the
//! [`PeerIdentity`] read from the peer's end-entity certificate.
//!
//! The client-certificate verifier holds the CRLs behind an [`ArcSwap`], so a new CRL takes effect
//! for every new handshake without a restart ([`PeerVerifier::reload_crls`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use rustls::client::ResolvesClientCert;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, Error as TlsError,
    RootCertStore, ServerConfig, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;

use crate::inspect::parse_cert;
use crate::{MemberId, PkiError, sha256_hex};

/// The authenticated identity of a TLS peer, read from its end-entity certificate (the first
/// of the chain it presented) after the chain was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity {
    /// The member id from the certificate's `urn:once:member:` URI SAN.
    pub member_id: MemberId,
    /// SHA-256 fingerprint of the certificate, lowercase hex.
    pub cert_fingerprint: String,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// When the certificate expires.
    pub not_after: OffsetDateTime,
}

impl PeerIdentity {
    /// Reads the identity from an end-entity certificate. Exactly one valid member URI SAN is
    /// required.
    pub fn from_certificate(der: &CertificateDer<'_>) -> Result<PeerIdentity, PkiError> {
        let cert = parse_cert(der)?;
        let mut members = Vec::new();
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            for name in &san.value.general_names {
                if let GeneralName::URI(uri) = name
                    && let Some(parsed) = MemberId::from_uri(uri)
                {
                    members.push(parsed?);
                }
            }
        }
        if members.len() != 1 {
            return Err(PkiError::MemberUri {
                subject: cert.subject().to_string(),
                found: members.len(),
            });
        }
        let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Ok(PeerIdentity {
            member_id: members.remove(0),
            cert_fingerprint: sha256_hex(der),
            serial: hex::encode(cert.raw_serial()),
            not_after,
        })
    }
}

/// The crypto provider every configuration of this crate uses: ring, TLS 1.3 suites and TLS
/// 1.2 ECDHE suites with AEAD ciphers only.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::{cipher_suite, default_provider};
    let mut provider = default_provider();
    provider.cipher_suites = vec![
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    Arc::new(provider)
}

/// What a [`PeerVerifier`] requires of a client certificate besides a valid chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerRequirement {
    /// Exactly one valid member URI SAN (federation peers).
    MemberId,
    /// Only a valid chain (the authority's own application clients).
    ChainOnly,
}

/// A client-certificate verifier: the chain must lead to one of the roots, no certificate in it
/// may be revoked by the current CRLs, and (for federation peers) the end-entity certificate must
/// carry exactly one member id. CRLs can be swapped at run time.
pub struct PeerVerifier {
    roots: Arc<RootCertStore>,
    hints: Vec<DistinguishedName>,
    requirement: PeerRequirement,
    enforce_crl_expiry: bool,
    inner: ArcSwap<Arc<dyn ClientCertVerifier>>,
    refusals: [AtomicU64; REFUSAL_REASONS.len()],
}

/// Why a client certificate was refused, as counted by [`PeerVerifier::refusals`].
pub const REFUSAL_REASONS: [&str; 9] = [
    "unknown_issuer",
    "revoked",
    "expired",
    "not_yet_valid",
    "wrong_purpose",
    "bad_signature",
    "crl_expired",
    "no_member_id",
    "other",
];

/// The [`REFUSAL_REASONS`] entry for a verification error.
pub fn refusal_reason(error: &TlsError) -> &'static str {
    match error {
        TlsError::InvalidCertificate(e) => match e {
            CertificateError::UnknownIssuer => "unknown_issuer",
            CertificateError::Revoked => "revoked",
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => "expired",
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "not_yet_valid"
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "wrong_purpose"
            }
            CertificateError::BadSignature => "bad_signature",
            CertificateError::ExpiredRevocationList
            | CertificateError::ExpiredRevocationListContext { .. } => "crl_expired",
            _ => "other",
        },
        _ => "other",
    }
}

impl std::fmt::Debug for PeerVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerVerifier")
            .field("roots", &self.roots.len())
            .field("requirement", &self.requirement)
            .field("enforce_crl_expiry", &self.enforce_crl_expiry)
            .finish_non_exhaustive()
    }
}

impl PeerVerifier {
    /// A verifier for these roots and CRLs. With `enforce_crl_expiry`, a CRL past its
    /// nextUpdate makes every handshake fail (the safe choice); without it such a CRL is still
    /// used.
    pub fn new(
        roots: Vec<CertificateDer<'static>>,
        crls: Vec<CertificateRevocationListDer<'static>>,
        requirement: PeerRequirement,
        enforce_crl_expiry: bool,
    ) -> Result<Arc<PeerVerifier>, PkiError> {
        let roots = Arc::new(root_store(roots)?);
        let hints = roots.subjects();
        let inner = build_client_verifier(&roots, crls, enforce_crl_expiry)?;
        Ok(Arc::new(PeerVerifier {
            roots,
            hints,
            requirement,
            enforce_crl_expiry,
            inner: ArcSwap::from_pointee(inner),
            refusals: Default::default(),
        }))
    }

    /// How many client certificates were refused since start, by reason ([`REFUSAL_REASONS`]).
    pub fn refusals(&self) -> Vec<(&'static str, u64)> {
        REFUSAL_REASONS
            .iter()
            .zip(&self.refusals)
            .map(|(reason, n)| (*reason, n.load(Ordering::Relaxed)))
            .collect()
    }

    fn count_refusal(&self, reason: &'static str) {
        if let Some(i) = REFUSAL_REASONS.iter().position(|r| *r == reason) {
            self.refusals[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Replaces the CRLs; every handshake from now on is checked against the new ones.
    pub fn reload_crls(
        &self,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<(), PkiError> {
        let inner = build_client_verifier(&self.roots, crls, self.enforce_crl_expiry)?;
        self.inner.store(Arc::new(inner));
        Ok(())
    }
}

fn root_store(roots: Vec<CertificateDer<'static>>) -> Result<RootCertStore, PkiError> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store
            .add(root)
            .map_err(|e| PkiError::Tls(format!("unusable root certificate: {e}")))?;
    }
    if store.is_empty() {
        return Err(PkiError::Tls("no root certificate given".into()));
    }
    Ok(store)
}

fn build_client_verifier(
    roots: &Arc<RootCertStore>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    enforce_crl_expiry: bool,
) -> Result<Arc<dyn ClientCertVerifier>, PkiError> {
    let mut builder =
        WebPkiClientVerifier::builder_with_provider(roots.clone(), provider()).with_crls(crls);
    if enforce_crl_expiry {
        builder = builder.enforce_revocation_expiration();
    }
    builder
        .build()
        .map_err(|e| PkiError::Tls(format!("client verifier: {e}")))
}

impl ClientCertVerifier for PeerVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, TlsError> {
        let verified = self
            .inner
            .load()
            .verify_client_cert(end_entity, intermediates, now)
            .inspect_err(|e| {
                let reason = refusal_reason(e);
                self.count_refusal(reason);
                tracing::warn!(tls.error = %e, tls.reason = reason, "client certificate refused");
            })?;
        if self.requirement == PeerRequirement::MemberId
            && let Err(e) = PeerIdentity::from_certificate(end_entity)
        {
            self.count_refusal("no_member_id");
            tracing::warn!(tls.error = %e, "client certificate refused: no member id");
            return Err(TlsError::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.load().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.load().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.load().supported_verify_schemes()
    }
}

/// The certificate and key a server presents and a client authenticates with, replaceable at
/// run time: every handshake from [`CertSlot::replace`] on uses the new pair, while connections
/// already established keep theirs. One slot serves a node's servers and its peer client.
pub struct CertSlot {
    current: ArcSwap<CertifiedKey>,
}

impl std::fmt::Debug for CertSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertSlot").finish_non_exhaustive()
    }
}

impl CertSlot {
    /// A slot holding this chain (end entity first) and its key; the key must match the
    /// certificate.
    pub fn new(
        cert_chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Arc<CertSlot>, PkiError> {
        Ok(Arc::new(CertSlot {
            current: ArcSwap::from_pointee(certified_key(cert_chain, key)?),
        }))
    }

    /// Puts a new chain and key in force for every handshake from now on.
    pub fn replace(
        &self,
        cert_chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<(), PkiError> {
        self.current
            .store(Arc::new(certified_key(cert_chain, key)?));
        Ok(())
    }

    /// The end-entity certificate in force.
    pub fn end_entity(&self) -> CertificateDer<'static> {
        self.current.load().cert[0].clone()
    }
}

fn certified_key(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<CertifiedKey, PkiError> {
    if cert_chain.is_empty() {
        return Err(PkiError::Tls("empty certificate chain".into()));
    }
    CertifiedKey::from_der(cert_chain, key, &provider())
        .map_err(|e| PkiError::Tls(format!("certificate and key: {e}")))
}

impl ResolvesServerCert for CertSlot {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

impl ResolvesClientCert for CertSlot {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A server configuration: TLS 1.3 and 1.2 (AEAD suites only), the node's certificate chain and
/// key, and client certificates required and checked by `verifier`.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    verifier: Arc<dyn ClientCertVerifier>,
) -> Result<ServerConfig, PkiError> {
    server_config_with(CertSlot::new(cert_chain, key)?, verifier)
}

/// [`server_config`] presenting whatever `slot` holds at each handshake.
pub fn server_config_with(
    slot: Arc<CertSlot>,
    verifier: Arc<dyn ClientCertVerifier>,
) -> Result<ServerConfig, PkiError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| PkiError::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(slot);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A server configuration without client authentication (for an application endpoint served
/// over TLS with API keys).
pub fn server_config_without_client_auth(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, PkiError> {
    server_config(cert_chain, key, WebPkiClientVerifier::no_client_auth())
}

/// A client configuration for talking to peers: the server certificate must chain to `roots`
/// and not be revoked by `crls`; this node authenticates with `cert_chain` and `key`.
pub fn client_config(
    roots: Vec<CertificateDer<'static>>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ClientConfig, PkiError> {
    client_config_with(roots, crls, CertSlot::new(cert_chain, key)?)
}

/// [`client_config`] authenticating with whatever `slot` holds at each handshake.
pub fn client_config_with(
    roots: Vec<CertificateDer<'static>>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    slot: Arc<CertSlot>,
) -> Result<ClientConfig, PkiError> {
    let roots = Arc::new(root_store(roots)?);
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider())
        .with_crls(crls)
        .build()
        .map_err(|e| PkiError::Tls(format!("server verifier: {e}")))?;
    Ok(ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| PkiError::Tls(e.to_string()))?
        .with_webpki_verifier(verifier)
        .with_client_cert_resolver(slot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::{Ca, Validity};

    #[test]
    fn peer_identity_requires_exactly_one_member_uri() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca = Ca::init(dir.path(), "Test", 30).expect("init");
        let member: MemberId = "DE:BUND:bva".parse().expect("id");
        let creds = ca
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(2))
            .expect("issue");
        let der = crate::files::read_certs_from_pem(&creds.tls_cert_pem).expect("pem");
        let id = PeerIdentity::from_certificate(&der[0]).expect("identity");
        assert_eq!(id.member_id, member);
        assert_eq!(id.serial, creds.tls_serial);

        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
        let (pem, _) = ca.sign_custom(params, &key).expect("sign");
        let der = crate::files::read_certs_from_pem(&pem).expect("pem");
        let err = PeerIdentity::from_certificate(&der[0]).unwrap_err();
        assert!(matches!(err, PkiError::MemberUri { found: 0, .. }), "{err}");
    }
}
