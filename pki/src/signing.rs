//! Checking the certificate that signed a message: it must chain to the federation root, carry
//! the documentSigning extended key usage (so a TLS certificate cannot sign messages), not be
//! revoked by the current CRL, and name exactly one member.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use sha2::Digest;
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, OwnedCertRevocationList,
    RevocationCheckDepth, RevocationOptionsBuilder, UnknownStatusPolicy,
};
use x509_parser::prelude::FromDer;

use crate::{MemberId, PeerIdentity, PkiError};

/// The DER content of the documentSigning OID 1.3.6.1.5.5.7.3.36.
const DOCUMENT_SIGNING_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x24];

/// Why a signing certificate is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// The message carries no certificate.
    #[error("the signature carries no certificate")]
    NoCertificate,
    /// The certificate does not chain to the federation root, is expired, revoked, or not for
    /// document signing.
    #[error("the signing certificate is not acceptable: {0}")]
    Untrusted(String),
    /// The certificate names no member, or more than one.
    #[error("the signing certificate names no single member: {0}")]
    NoMember(String),
}

/// Verifies signing certificates against the federation roots and the current CRLs; the CRLs can
/// be replaced at run time.
pub struct SignerVerifier {
    roots: Vec<CertificateDer<'static>>,
    enforce_crl_expiry: bool,
    crls: ArcSwap<Vec<CertRevocationList<'static>>>,
    /// Chains already verified against the CRLs in force: SHA-256 of the end-entity certificate
    /// → its member and until when the verdict holds (the certificate's notAfter, and the CRL's
    /// nextUpdate when it is enforced). Emptied when the CRLs change. A federation has few
    /// signers, so this saves a chain and CRL signature check on almost every message.
    verified: Mutex<HashMap<[u8; 32], (MemberId, u64)>>,
    /// The earliest nextUpdate of the CRLs in force (Unix seconds), if any.
    crl_next_update: ArcSwap<Option<u64>>,
    /// Counts CRL reloads; a verdict reached against older CRLs is not remembered.
    generation: AtomicU64,
}

/// At most this many verified chains are remembered.
const VERIFIED_CACHE: usize = 4096;

impl std::fmt::Debug for SignerVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignerVerifier")
            .field("roots", &self.roots.len())
            .field("crls", &self.crls.load().len())
            .finish()
    }
}

impl SignerVerifier {
    /// A verifier for these roots and CRLs. With `enforce_crl_expiry`, a CRL past its nextUpdate
    /// makes every verification fail.
    pub fn new(
        roots: Vec<CertificateDer<'static>>,
        crls: &[CertificateRevocationListDer<'static>],
        enforce_crl_expiry: bool,
    ) -> Result<Arc<SignerVerifier>, PkiError> {
        if roots.is_empty() {
            return Err(PkiError::Tls("no root certificate given".into()));
        }
        for root in &roots {
            webpki::anchor_from_trusted_cert(root)
                .map_err(|e| PkiError::Tls(format!("unusable root certificate: {e:?}")))?;
        }
        Ok(Arc::new(SignerVerifier {
            roots,
            enforce_crl_expiry,
            crls: ArcSwap::from_pointee(parse_crls(crls)?),
            verified: Mutex::new(HashMap::new()),
            crl_next_update: ArcSwap::from_pointee(next_update(crls)),
            generation: AtomicU64::new(0),
        }))
    }

    /// Replaces the CRLs.
    pub fn reload_crls(
        &self,
        crls: &[CertificateRevocationListDer<'static>],
    ) -> Result<(), PkiError> {
        let parsed = parse_crls(crls)?;
        let mut verified = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // New CRLs first, then the generation: a verification that sees the new generation also
        // sees the new CRLs.
        self.crls.store(Arc::new(parsed));
        self.crl_next_update.store(Arc::new(next_update(crls)));
        self.generation.fetch_add(1, Ordering::SeqCst);
        verified.clear();
        Ok(())
    }

    /// Checks a signer's chain (end entity first) at `now` and returns the member it names.
    pub fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<MemberId, SignerError> {
        let (end_entity, intermediates) = chain.split_first().ok_or(SignerError::NoCertificate)?;
        let key: [u8; 32] = sha2::Sha256::digest(end_entity.as_ref()).into();
        let generation = self.generation.load(Ordering::SeqCst);
        let now_secs = now.as_secs();
        if let Some((member, until)) = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            && now_secs < *until
        {
            return Ok(member.clone());
        }
        let cert = EndEntityCert::try_from(end_entity)
            .map_err(|e| SignerError::Untrusted(format!("unparseable certificate: {e:?}")))?;
        let anchors: Vec<TrustAnchor<'_>> = self
            .roots
            .iter()
            .filter_map(|r| webpki::anchor_from_trusted_cert(r).ok())
            .collect();
        let crls = self.crls.load();
        let crl_refs: Vec<&CertRevocationList<'_>> = crls.iter().collect();
        let revocation = RevocationOptionsBuilder::new(&crl_refs)
            .map(|b| {
                b.with_depth(RevocationCheckDepth::Chain)
                    .with_status_policy(UnknownStatusPolicy::Deny)
                    .with_expiration_policy(if self.enforce_crl_expiry {
                        ExpirationPolicy::Enforce
                    } else {
                        ExpirationPolicy::Ignore
                    })
                    .build()
            })
            .ok();
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            intermediates,
            now,
            KeyUsage::required(DOCUMENT_SIGNING_OID),
            revocation,
            None,
        )
        .map_err(|e| SignerError::Untrusted(describe(&e)))?;
        let identity = PeerIdentity::from_certificate(end_entity)
            .map_err(|e| SignerError::NoMember(e.to_string()))?;
        let mut until = u64::try_from(identity.not_after.unix_timestamp()).unwrap_or(0);
        if self.enforce_crl_expiry
            && let Some(next) = **self.crl_next_update.load()
        {
            until = until.min(next);
        }
        let mut verified = self
            .verified
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Remembered only if no CRL was loaded since this verification began (the reload holds
        // the lock while it bumps the generation and empties the cache).
        if self.generation.load(Ordering::SeqCst) == generation {
            if verified.len() >= VERIFIED_CACHE {
                verified.clear();
            }
            verified.insert(key, (identity.member_id.clone(), until));
        }
        Ok(identity.member_id)
    }
}

fn parse_crls(
    crls: &[CertificateRevocationListDer<'static>],
) -> Result<Vec<CertRevocationList<'static>>, PkiError> {
    crls.iter()
        .map(|der| {
            OwnedCertRevocationList::from_der(der.as_ref())
                .map(CertRevocationList::from)
                .map_err(|e| PkiError::Parse {
                    what: "CRL".into(),
                    detail: format!("{e:?}"),
                })
        })
        .collect()
}

/// The earliest nextUpdate of these CRLs (Unix seconds).
fn next_update(crls: &[CertificateRevocationListDer<'static>]) -> Option<u64> {
    crls.iter()
        .filter_map(|der| {
            let (_, crl) =
                x509_parser::revocation_list::CertificateRevocationList::from_der(der).ok()?;
            u64::try_from(crl.next_update()?.timestamp()).ok()
        })
        .min()
}

/// Checks a certificate from outside the federation (an eDelivery AS4 partner's) against a
/// trust store of its own PKI: `chain` (the certificate first, then any intermediates) chains
/// to one of `roots` and is valid now. Such certificates rarely carry an extended key usage;
/// one that does must allow client authentication (what eDelivery access point certificates
/// carry) or document signing.
pub fn verify_partner_chain(
    chain: &[CertificateDer<'_>],
    roots: &[CertificateDer<'_>],
) -> Result<(), String> {
    let (end_entity, intermediates) = chain
        .split_first()
        .ok_or_else(|| "no certificate given".to_owned())?;
    let cert = EndEntityCert::try_from(end_entity)
        .map_err(|e| format!("the certificate cannot be read: {e:?}"))?;
    let anchors: Vec<TrustAnchor<'_>> = roots
        .iter()
        .filter_map(|r| webpki::anchor_from_trusted_cert(r).ok())
        .collect();
    if anchors.is_empty() {
        return Err("the trust store holds no usable certificate".into());
    }
    let now = UnixTime::now();
    let verify = |usage| {
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            intermediates,
            now,
            usage,
            None,
            None,
        )
        .map(|_| ())
    };
    const CLIENT_AUTH_OID: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
    match verify(KeyUsage::required_if_present(CLIENT_AUTH_OID)) {
        Err(webpki::Error::RequiredEkuNotFoundContext(_)) => {
            verify(KeyUsage::required(DOCUMENT_SIGNING_OID))
        }
        other => other,
    }
    .map_err(|e| match e {
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "its extended key usage allows neither client authentication nor document signing"
                .to_owned()
        }
        webpki::Error::UnknownIssuer => "it does not chain to the trust store".to_owned(),
        webpki::Error::InvalidSignatureForPublicKey => {
            "it does not chain to the trust store (a CA of the same name, but another key, \
             issued it)"
                .to_owned()
        }
        other => describe(&other),
    })
}

fn describe(e: &webpki::Error) -> String {
    match e {
        webpki::Error::CertExpired { .. } => "it has expired".into(),
        webpki::Error::CertNotValidYet { .. } => "it is not valid yet".into(),
        webpki::Error::CertRevoked => "it has been revoked".into(),
        webpki::Error::UnknownIssuer => "it was not issued by the federation CA".into(),
        webpki::Error::RequiredEkuNotFoundContext(_) => {
            "it is not a document-signing certificate".into()
        }
        webpki::Error::CrlExpired { .. } => "the federation CRL is past its nextUpdate".into(),
        webpki::Error::UnknownRevocationStatus => {
            "its revocation status is unknown (no CRL from its issuer)".into()
        }
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ca::{Ca, Validity};
    use crate::files::{read_certs_from_pem, read_crl};

    fn chain(pem: &str) -> Vec<CertificateDer<'static>> {
        read_certs_from_pem(pem).unwrap()
    }

    #[test]
    fn accepts_a_signing_certificate_and_refuses_tls_revoked_and_foreign_ones() {
        let dir = tempfile::tempdir().unwrap();
        let mut ca = Ca::init(&dir.path().join("ca"), "Test Federation", 30).unwrap();
        let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().unwrap();
        let creds = ca
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
            .unwrap();
        let crl = read_crl(&ca.write_crl(7).unwrap()).unwrap();
        let root = chain(ca.cert_pem());
        let verifier = SignerVerifier::new(root, &[crl], true).unwrap();
        let now = UnixTime::now();
        let signing = chain(&creds.signing_cert_pem);
        assert_eq!(verifier.verify(&signing, now), Ok(member.clone()));

        let refused = verifier
            .verify(&chain(&creds.tls_cert_pem), now)
            .unwrap_err();
        assert!(
            refused.to_string().contains("document-signing"),
            "{refused}"
        );

        let other = tempfile::tempdir().unwrap();
        let mut foreign = Ca::init(&other.path().join("ca"), "Other", 30).unwrap();
        let foreign_creds = foreign
            .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
            .unwrap();
        let refused = verifier
            .verify(&chain(&foreign_creds.signing_cert_pem), now)
            .unwrap_err();
        assert!(refused.to_string().contains("not issued by"), "{refused}");

        ca.revoke(&creds.signing_serial).unwrap();
        verifier
            .reload_crls(&[read_crl(&ca.write_crl(7).unwrap()).unwrap()])
            .unwrap();
        let refused = verifier.verify(&signing, now).unwrap_err();
        assert!(refused.to_string().contains("revoked"), "{refused}");
        assert_eq!(verifier.verify(&[], now), Err(SignerError::NoCertificate));
    }
}
