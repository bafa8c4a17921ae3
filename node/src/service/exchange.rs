//! What both sides of an evidence exchange share: this node's identity in messages, its message
//! signer, the verifier of other members' signatures, the message log, the limits, and the mTLS
//! client for providers.

use std::sync::Arc;

use arc_swap::ArcSwap;
use once_pki::MemberId;
use once_pki::signing::SignerVerifier;
use once_xml::Limits;
use once_xml::dsig::{self, Placement, Signer};
use once_xml::multipart::MultipartLimits;
use once_xml::request::{Agent, Identifier, LocalizedText, MEMBER_SCHEME};
use once_xml::tree::Element;
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::config::{Config, ExchangeConfig, PreviewConfig, ProviderConfig};
use crate::db::DbPool;
use crate::service::logbook::Logbook;

/// The exchange context of a running node.
pub struct Exchange {
    /// This node's member id.
    pub member: MemberId,
    /// This node's name in messages.
    pub name: String,
    /// Signs requests, responses and evidence (replaced when the certificates rotate).
    pub signer: Arc<ArcSwap<Signer>>,
    /// Checks other members' signing certificates (CRL reloaded with the TLS verifiers).
    pub signer_verifier: Arc<SignerVerifier>,
    /// The message log.
    pub logbook: Arc<Logbook>,
    /// Limits for incoming XML.
    pub limits: Limits,
    /// Limits for incoming multipart bodies.
    pub multipart_limits: MultipartLimits,
    /// Timeouts and windows.
    pub config: ExchangeConfig,
    /// The preview page, if this node offers one.
    pub preview: Option<PreviewConfig>,
    /// Known providers (requester side).
    pub providers: Vec<ProviderConfig>,
    /// The mTLS client for providers and the map; rebuilt when the CRL changes.
    pub client: Arc<ArcSwap<reqwest::Client>>,
    /// Discovery through the register map, if one is configured.
    pub discovery: Option<Arc<crate::service::discovery::Discovery>>,
    /// The database.
    pub pool: DbPool,
    /// Exchange counters and latencies.
    pub metrics: Arc<once_runtime::metrics::Metrics>,
    /// Exports spans, if `[telemetry]` is configured.
    pub tracer: Option<Arc<once_runtime::telemetry::Tracer>>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

/// Why a signed message is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureProblem {
    /// The message is not a readable XML document within the limits (DOCTYPE, entities, size,
    /// depth, encoding): an invalid request, not an authentication failure.
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

impl Exchange {
    /// Builds the context from the configuration and loaded material.
    pub fn new(
        config: &Config,
        signer: Arc<ArcSwap<Signer>>,
        signer_verifier: Arc<SignerVerifier>,
        logbook: Arc<Logbook>,
        client: reqwest::Client,
        pool: DbPool,
    ) -> Exchange {
        let limits = Limits {
            max_bytes: config.exchange.max_message_bytes,
            max_depth: config.exchange.max_depth,
            ..Limits::default()
        };
        let multipart_limits = MultipartLimits {
            max_body_bytes: config.exchange.max_message_bytes,
            max_part_bytes: config.exchange.max_message_bytes,
            ..MultipartLimits::default()
        };
        Exchange {
            member: config.member_id.clone(),
            name: config.display_name().to_owned(),
            signer,
            signer_verifier,
            logbook,
            limits,
            multipart_limits,
            config: config.exchange.clone(),
            preview: config.preview.clone(),
            providers: config.providers.clone(),
            client: Arc::new(ArcSwap::from_pointee(client)),
            discovery: config
                .map
                .as_ref()
                .map(|m| Arc::new(crate::service::discovery::Discovery::new(m))),
            pool,
            metrics: Arc::new(once_runtime::metrics::Metrics::node()),
            tracer: None,
        }
    }

    /// This node as an `sdg:Agent`.
    pub fn agent(&self) -> Agent {
        member_agent(&self.member, &self.name)
    }

    /// Signs a message or document.
    pub fn sign(&self, xml: &str, placement: Placement) -> Result<Vec<u8>, dsig::DsigError> {
        self.signer
            .load()
            .sign(xml, placement)
            .map(String::into_bytes)
    }

    /// Verifies a signed message or document: the signature, the signer's certificate against
    /// the federation root and CRL, and that the signer is `expected`. Returns the document as
    /// read, for the codec.
    pub fn verify_signed(
        &self,
        xml: &[u8],
        placement: Placement,
        expected: &MemberId,
    ) -> Result<Element, SignatureProblem> {
        let verified = dsig::verify(xml, &self.limits, placement).map_err(|e| match e {
            dsig::DsigError::Document(e) => SignatureProblem::Document(e),
            other => SignatureProblem::Signature(other.to_string()),
        })?;
        let chain: Vec<CertificateDer<'_>> = verified
            .certificates
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let signer = self
            .signer_verifier
            .verify(&chain, UnixTime::now())
            .map_err(|e| SignatureProblem::Certificate(e.to_string()))?;
        if &signer != expected {
            return Err(SignatureProblem::WrongSigner {
                signer,
                expected: expected.clone(),
            });
        }
        Ok(verified.document)
    }
}

/// A member as an `sdg:Agent` with the member scheme.
pub fn member_agent(member: &MemberId, name: &str) -> Agent {
    Agent {
        identifier: Identifier {
            scheme: Some(MEMBER_SCHEME.to_owned()),
            value: member.as_str().to_owned(),
        },
        name: LocalizedText {
            lang: None,
            value: name.to_owned(),
        },
    }
}

/// The member an agent names, if it names one with the member scheme.
pub fn agent_member(agent: &Agent) -> Option<MemberId> {
    (agent.identifier.scheme.as_deref() == Some(MEMBER_SCHEME))
        .then(|| agent.identifier.value.parse().ok())
        .flatten()
}

/// Lowercase hex SHA-256.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}
