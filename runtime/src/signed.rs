//! Signed messages between members: this server's message signer (replaced when its
//! certificates rotate) and the check of another member's signature: the XML signature, the
//! signer's certificate against the federation root and CRL, and that the signer is the member
//! expected. The node signs and checks evidence messages and descriptors with it; the register
//! map checks descriptors and signs discovery answers.

use std::sync::Arc;

use arc_swap::ArcSwap;
use once_pki::MemberId;
use once_pki::signing::SignerVerifier;
use once_xml::Limits;
use once_xml::dsig::detached::{self, MessageProperties, VerifiedDetached};
use once_xml::dsig::{self, DsigError, Placement, Signer};
use once_xml::tree::Element;
use rustls_pki_types::{CertificateDer, UnixTime};

/// Why a signed message is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureProblem {
    /// The message is not a readable XML document within the limits (DOCTYPE, entities, size,
    /// depth, encoding): an invalid message, not an authentication failure.
    #[error("{}", .0.detail)]
    Document(once_xml::EdmError),
    /// The XML signature is missing, malformed, misplaced or does not verify.
    #[error("{0}")]
    Signature(String),
    /// The signing certificate is not acceptable.
    #[error("{0}")]
    Certificate(String),
    /// The signer is another member than expected.
    #[error("the message is signed by {signer}, but comes from {expected}")]
    WrongSigner {
        /// Who signed.
        signer: MemberId,
        /// Who it should be.
        expected: MemberId,
    },
}

/// Signs this server's messages and checks other members'.
#[derive(Clone)]
pub struct SignedMessages {
    signer: Arc<ArcSwap<Signer>>,
    verifier: Arc<SignerVerifier>,
    limits: Limits,
}

impl std::fmt::Debug for SignedMessages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedMessages")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl SignedMessages {
    /// Signs with what `signer` holds at the time of signing; checks signers with `verifier`
    /// (whose CRL is reloaded with the TLS verifiers) and reads documents within `limits`.
    pub fn new(
        signer: Arc<ArcSwap<Signer>>,
        verifier: Arc<SignerVerifier>,
        limits: Limits,
    ) -> SignedMessages {
        SignedMessages {
            signer,
            verifier,
            limits,
        }
    }

    /// The verifier of other members' signing certificates.
    pub fn verifier(&self) -> &Arc<SignerVerifier> {
        &self.verifier
    }

    /// The limits incoming documents are read within.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Signs a message or document with the signing certificate in force.
    pub fn sign(&self, xml: &str, placement: Placement) -> Result<Vec<u8>, DsigError> {
        self.signer
            .load()
            .sign(xml, placement)
            .map(String::into_bytes)
    }

    /// Verifies a signed message or document: the signature, the signer's certificate against
    /// the federation root and CRL, and that the signer is `expected`. Returns the document as
    /// read, for the codec.
    pub fn verify(
        &self,
        xml: &[u8],
        placement: Placement,
        expected: &MemberId,
    ) -> Result<Element, SignatureProblem> {
        let (signer, document) = self.verify_any(xml, placement)?;
        if &signer != expected {
            return Err(SignatureProblem::WrongSigner {
                signer,
                expected: expected.clone(),
            });
        }
        Ok(document)
    }

    /// The signer in force (the signing certificate and key at this moment).
    pub fn signer(&self) -> Arc<Signer> {
        self.signer.load_full()
    }

    /// Verifies a detached signature over the parts `resolve` finds by `cid:` URL: the
    /// signature, every reference, the signer's certificate against the federation root and
    /// CRL. Returns the signer, what it covers and the message's properties (required).
    pub fn verify_detached<'p>(
        &self,
        signature: &[u8],
        resolve: impl Fn(&str) -> Option<&'p [u8]>,
    ) -> Result<(MemberId, VerifiedDetached, MessageProperties), SignatureProblem> {
        let verified = detached::verify(signature, &self.limits, resolve).map_err(|e| match e {
            DsigError::Document(e) => SignatureProblem::Document(e),
            other => SignatureProblem::Signature(other.to_string()),
        })?;
        let chain: Vec<CertificateDer<'_>> = verified
            .certificates
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let signer = self
            .verifier
            .verify(&chain, UnixTime::now())
            .map_err(|e| SignatureProblem::Certificate(e.to_string()))?;
        let properties = verified.properties.clone().ok_or_else(|| {
            SignatureProblem::Signature(
                "the signature carries no message properties (sender, receiver, message id)".into(),
            )
        })?;
        Ok((signer, verified, properties))
    }

    /// Verifies a signed message or document whoever signed it; returns the signer and the
    /// document as read.
    pub fn verify_any(
        &self,
        xml: &[u8],
        placement: Placement,
    ) -> Result<(MemberId, Element), SignatureProblem> {
        let verified = dsig::verify(xml, &self.limits, placement).map_err(|e| match e {
            DsigError::Document(e) => SignatureProblem::Document(e),
            other => SignatureProblem::Signature(other.to_string()),
        })?;
        let chain: Vec<CertificateDer<'_>> = verified
            .certificates
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let signer = self
            .verifier
            .verify(&chain, UnixTime::now())
            .map_err(|e| SignatureProblem::Certificate(e.to_string()))?;
        Ok((signer, verified.document))
    }
}
