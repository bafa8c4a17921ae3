//! The provider side of the exchange: answer a signed evidence request from a federation peer,
//! in three steps with typed hand-offs:
//!
//! 1. [`envelope`]: the transport opens the message; the XML signature, the signer's
//!    certificate and that the signer is the TLS peer (→ EDM:ERR:0001); the request itself
//!    (→ EDM:ERR:0003); EvidenceRequester = the peer (`RequesterMismatch`, EDM:ERR:0001);
//!    EvidenceProvider = this node (`ProviderMismatch`), IssueDateTime within the window
//!    (`StaleIssueDateTime`), a known evidence type (EDM:ERR:0003);
//! 2. [`decide`]: in one database session, the request id never seen (`Replay`), a register for
//!    the evidence type, an access rule (`NoAccessRule`, EDM:ERR:0002), exactly one person
//!    (`SubjectNotFound`, `AmbiguousSubject`, EDM:ERR:0004), the preview (EDM:ERR:0002
//!    PreviewRequired, then the person's decision);
//! 3. [`answer`]: the evidence, signed, and the response binding it and the request, signed,
//!    sealed by the transport and committed to the message log before a byte is sent.
//!
//! Every refusal is a signed `query:QueryResponse` with one `rs:Exception`, logged like every
//! answer. Only when nothing signed can be given (signing or logging failed) is the answer a
//! [`ProviderFault`].

mod answer;
mod decide;
mod envelope;
mod preview;

use std::sync::Arc;
use std::time::Instant;

use once_pki::MemberId;
use once_runtime::signed::SignedMessages;
use once_xml::EdmCode;
use once_xml::Profile;
use once_xml::dsig::Placement;
use once_xml::evidence::{EvidenceKind, IssuingAuthority};
use once_xml::request::{Agent, EdmVersion, EvidenceRequest, Procedure, Subject};
use time::OffsetDateTime;

use crate::config::PreviewConfig;
use crate::db::registers::Record;
use crate::db::{self, DbError, DbPool, previews, replay};
use crate::exchange::Identity;
use crate::exchange::dialect::Dialect;
use crate::exchange::logbook::Logbook;
use crate::exchange::metrics::{ExchangeMetrics, Role};
use crate::exchange::outcome::Refusal;
use crate::exchange::transport::{OpenError, Opened, Sealed, Transport};
use decide::{DecideInput, Decision, Verdict};
use envelope::Accepted;

/// How long a preview is kept after it expired (its evidence is personal data).
const PREVIEW_RETENTION_SECONDS: i64 = 3600;

/// How often [`Provider::prune`] runs.
pub const PRUNE_SECONDS: u64 = 30;

/// The provider side of a node.
#[derive(Debug)]
pub struct Provider {
    identity: Identity,
    dialect: Dialect,
    signed: SignedMessages,
    logbook: Arc<Logbook>,
    pool: DbPool,
    issue_window_seconds: i64,
    preview: Option<PreviewConfig>,
    metrics: ExchangeMetrics,
}

/// What the provider is built from.
#[derive(Debug)]
pub struct ProviderParts {
    /// This node in messages.
    pub identity: Identity,
    /// What this node calls things in each profile.
    pub dialect: Dialect,
    /// Checks requests and signs answers and evidence.
    pub signed: SignedMessages,
    /// The message log.
    pub logbook: Arc<Logbook>,
    /// The registers, access rules, replay protection and previews.
    pub pool: DbPool,
    /// How far IssueDateTime may be from this node's clock, in seconds.
    pub issue_window_seconds: i64,
    /// The preview page, if this node offers one.
    pub preview: Option<PreviewConfig>,
    /// Exchange metrics.
    pub metrics: ExchangeMetrics,
}

/// The answer to a peer.
#[derive(Debug)]
pub enum PeerAnswer {
    /// A signed ebRS answer (evidence or a refusal), sealed and logged.
    Sealed {
        /// The message for the wire.
        sealed: Sealed,
        /// `evidence` or the EDM code, for logs and metrics.
        outcome: String,
    },
    /// Nothing signed can be answered.
    Fault(ProviderFault),
}

impl PeerAnswer {
    /// `evidence`, the EDM code, or the fault's code.
    pub fn outcome(&self) -> &str {
        match self {
            PeerAnswer::Sealed { outcome, .. } => outcome,
            PeerAnswer::Fault(fault) => fault.code(),
        }
    }
}

/// Why the provider could give no signed answer. Nothing about the request is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderFault {
    /// The exchange could not be committed to the message log.
    #[error("the provider cannot record the exchange right now; try again later")]
    Unlogged,
    /// The answer or the evidence could not be signed.
    #[error("the provider could not sign its answer; its operator has to look at its signing key")]
    Unsigned,
    /// The answer could not be sealed for the wire.
    #[error("the provider could not build its answer")]
    Unsealed,
}

impl ProviderFault {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            ProviderFault::Unlogged => "unlogged",
            ProviderFault::Unsigned => "unsigned",
            ProviderFault::Unsealed => "unsealed",
        }
    }
}

/// What is known of the request so far, for the answer and the log.
#[derive(Debug, Clone, Default)]
struct Known {
    request_id: Option<String>,
    requester: Option<Agent>,
    subject: Option<Subject>,
    evidence_type: String,
    subject_digest: String,
    procedure: String,
    legal_basis: String,
    /// The request id was not seen before: it is recorded with the log entries, in the same
    /// transaction (one commit per exchange).
    record_request: bool,
    /// SHA-256 of the request document, bound into the answer's envelope.
    request_digest: Option<[u8; 32]>,
    /// The profile and version of the request, which the answer keeps (the node's default
    /// until a request was read).
    profile: Option<(Profile, EdmVersion)>,
}

/// What the request leads to.
#[derive(Debug)]
enum Outcome {
    /// Send this evidence (signed document bytes).
    Evidence {
        document: Vec<u8>,
        kind: EvidenceKind,
        /// The approved preview this evidence comes from; marked delivered with the log entries.
        preview: Option<String>,
    },
    /// Refuse.
    Refused(Refusal),
    /// Nothing signed can be answered.
    Fault(ProviderFault),
}

impl Provider {
    /// The provider from its parts.
    pub fn new(parts: ProviderParts) -> Provider {
        Provider {
            identity: parts.identity,
            dialect: parts.dialect,
            signed: parts.signed,
            logbook: parts.logbook,
            pool: parts.pool,
            issue_window_seconds: parts.issue_window_seconds,
            preview: parts.preview,
            metrics: parts.metrics,
        }
    }

    /// Whether this node offers a preview with a simulated mailbox (demo and tests).
    pub fn simulated_mailbox(&self) -> bool {
        self.preview.as_ref().is_some_and(|p| p.simulated_mailbox)
    }

    /// Answers one request from `peer` that arrived through `transport`.
    pub async fn answer(
        &self,
        transport: &dyn Transport,
        peer: &MemberId,
        content_type: Option<&str>,
        body: &[u8],
    ) -> PeerAnswer {
        let opened = transport.open(content_type, body);
        self.answer_opened(transport, peer, opened, body).await
    }

    /// Answers one request from `peer` that `transport` already opened (or could not open):
    /// `body` is the message as it arrived, for the log.
    pub async fn answer_opened(
        &self,
        transport: &dyn Transport,
        peer: &MemberId,
        opened: Result<Opened<'_>, OpenError>,
        body: &[u8],
    ) -> PeerAnswer {
        let started = Instant::now();
        let mut known = Known::default();
        let outcome = match self.accept(opened, peer, &mut known) {
            Ok(accepted) => self.decide(peer, &accepted, &mut known).await,
            Err(refusal) => Outcome::Refused(refusal),
        };
        let answer = self.finish(transport, peer, &known, body, outcome).await;
        self.metrics.record(
            Role::Provider,
            peer.as_str(),
            &known.evidence_type,
            answer.outcome(),
            started,
        );
        answer
    }

    /// Answers a request whose body exceeds `limit` bytes (the rest of it is not read).
    pub async fn too_large(
        &self,
        transport: &dyn Transport,
        peer: &MemberId,
        limit: usize,
    ) -> PeerAnswer {
        let started = Instant::now();
        let refusal = Refusal::new(
            EdmCode::InvalidRequest,
            format!("the message is larger than {limit} bytes, the limit of this provider"),
        );
        let known = Known::default();
        let answer = self
            .finish(transport, peer, &known, &[], Outcome::Refused(refusal))
            .await;
        self.metrics
            .record(Role::Provider, peer.as_str(), "", answer.outcome(), started);
        answer
    }

    /// Forgets request ids older than twice the IssueDateTime window (plus rounding: requests
    /// that old are refused by their IssueDateTime anyway) and previews past their retention.
    /// Runs in the background every [`PRUNE_SECONDS`], not on the request path.
    pub async fn prune(&self) -> Result<(usize, usize), DbError> {
        let window = self.issue_window_seconds;
        db::run(&self.pool, move |conn| {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            Ok((
                replay::prune(conn, now - 2 * window - 2)?,
                previews::prune(conn, now - PREVIEW_RETENTION_SECONDS)?,
            ))
        })
        .await
    }

    /// The decision on an accepted request, and the evidence or refusal it leads to.
    async fn decide(&self, peer: &MemberId, accepted: &Accepted, known: &mut Known) -> Outcome {
        let Accepted { request, kind, now } = accepted;
        let prefix = self.preview_prefix();
        let logbook = self.logbook.clone();
        let input_request = request.clone();
        let (peer_id, kind, now) = (peer.as_str().to_owned(), *kind, *now);
        let decided = db::run(&self.pool, move |conn| {
            let input = DecideInput {
                request: &input_request,
                peer: &peer_id,
                kind,
                now,
                preview_prefix: prefix.as_deref(),
            };
            decide::decide(conn, &input, &|identifier| {
                logbook.subject_digest(identifier)
            })
        })
        .await;
        let Decision {
            subject_digest,
            verdict,
            fresh,
        } = match decided {
            Ok(decision) => decision,
            Err(e) => {
                tracing::error!(error = %e, "evidence request: database");
                return Outcome::Refused(Refusal::new(
                    EdmCode::Timeout,
                    "the provider cannot reach its register right now; try again later",
                ));
            }
        };
        known.subject_digest = subject_digest.clone();
        known.record_request = fresh;
        match verdict {
            Verdict::Refused(refusal) => Outcome::Refused(refusal),
            Verdict::Deliver(record) => match self.signed_evidence(kind, &record, now) {
                Ok(document) => Outcome::Evidence {
                    document,
                    kind,
                    preview: None,
                },
                Err(outcome) => outcome,
            },
            Verdict::DeliverStored { preview, document } => Outcome::Evidence {
                document,
                kind,
                preview: Some(preview),
            },
            Verdict::NeedsPreview(record) => {
                self.offer_preview(request, peer, kind, &record, &subject_digest, now)
                    .await
            }
        }
    }

    /// Stores the signed evidence for the person to preview and refuses with PreviewRequired
    /// and its location.
    async fn offer_preview(
        &self,
        request: &EvidenceRequest,
        peer: &MemberId,
        kind: EvidenceKind,
        record: &Record,
        subject_digest: &str,
        now: OffsetDateTime,
    ) -> Outcome {
        let Some(config) = &self.preview else {
            return Outcome::Refused(Refusal::new(
                EdmCode::UnsupportedCapability,
                "this provider offers no preview; send the request with PossibilityForPreview false",
            ));
        };
        let signed = match self.signed_evidence(kind, record, now) {
            Ok(signed) => signed,
            Err(outcome) => return outcome,
        };
        match self
            .create_preview(config, request, peer, kind, subject_digest, signed)
            .await
        {
            Ok(location) => Outcome::Refused(Refusal::preview_required(location, None)),
            Err(e) => {
                tracing::error!(error = %e, "preview: database");
                Outcome::Refused(Refusal::new(
                    EdmCode::Timeout,
                    "the provider cannot store the preview right now; try again later",
                ))
            }
        }
    }

    /// The evidence document of `kind` from a record, signed by this node; a refusal when the
    /// record is incomplete, a fault when signing fails.
    fn signed_evidence(
        &self,
        kind: EvidenceKind,
        record: &Record,
        now: OffsetDateTime,
    ) -> Result<Vec<u8>, Outcome> {
        let authority = IssuingAuthority {
            member_id: self.identity.member.as_str().to_owned(),
            name: self.identity.name.clone(),
        };
        let document = crate::exchange::evidence::build(
            kind,
            record,
            authority,
            uuid::Uuid::new_v4().to_string(),
            now,
        )
        .map_err(|e| {
            tracing::error!(error = %e, "register record incomplete");
            Outcome::Refused(Refusal::new(
                EdmCode::ObjectNotFound,
                "the register holds no complete record for this evidence",
            ))
        })?;
        let xml = document.try_to_xml().map_err(|e| {
            tracing::error!(error = %e, "register record not writable as XML");
            Outcome::Refused(Refusal::new(
                EdmCode::ObjectNotFound,
                "the register holds no complete record for this evidence",
            ))
        })?;
        self.signed.sign(&xml, Placement::LastChild).map_err(|e| {
            tracing::error!(error = %e, "signing the evidence failed");
            Outcome::Fault(ProviderFault::Unsigned)
        })
    }
}

/// The procedure of a request as access rules name it: the OOTS code, or the national text.
pub fn procedure(request: &EvidenceRequest) -> String {
    match &request.procedure {
        Some(Procedure::Code(code)) => code.as_str().to_owned(),
        Some(Procedure::Text(text)) => text.value.clone(),
        _ => String::new(),
    }
}

/// The legal basis of a request: its `LegalBasis` slot, or else the identifier of its first
/// requirement (what OOTS requesters send).
pub fn legal_basis(request: &EvidenceRequest) -> String {
    request
        .legal_basis
        .clone()
        .or_else(|| request.requirements.first().map(|r| r.identifier.clone()))
        .unwrap_or_default()
}
