//! The provider side of the exchange: answer a signed evidence request from a federation peer.
//!
//! Order of checks (each refusal is a signed `query:QueryResponse` with one `rs:Exception`, and
//! is logged like every answer):
//! 1. the envelope (`multipart/related` or `application/xml`) and the XML limits → EDM:ERR:0003;
//! 2. the XML signature, the signer's certificate (federation root, CRL, documentSigning) and
//!    that the signer is the mTLS peer → EDM:ERR:0001;
//! 3. the request itself (namespaces, slots, subject, identification-number check digit) →
//!    EDM:ERR:0003; EvidenceRequester = the mTLS peer → EDM:ERR:0001 (`RequesterMismatch`);
//!    EvidenceProvider = this node → EDM:ERR:0003 (`ProviderMismatch`);
//! 4. IssueDateTime within the window (`StaleIssueDateTime`) and the request id never seen
//!    (`Replay`) → EDM:ERR:0003;
//! 5. an evidence type this node produces → EDM:ERR:0003; an access rule for requester ×
//!    evidence type × procedure × legal basis → EDM:ERR:0002 (`NoAccessRule`);
//! 6. exactly one person → EDM:ERR:0004 (`SubjectNotFound`, `AmbiguousSubject`);
//! 7. the preview, when the requester offers one → EDM:ERR:0002 PreviewRequired with a
//!    PreviewLocation, then the person's decision;
//! 8. the evidence, signed, and the response binding it and the request, signed.
//!
//! Nothing is sent before the request and the answer are committed to the message log.

use std::time::Instant;

use diesel::Connection;
use once_pki::MemberId;
use once_xml::EdmCode;
use once_xml::EdmError;
use once_xml::dsig::Placement;
use once_xml::evidence::{EvidenceKind, IssuingAuthority};
use once_xml::multipart::{self, Part};
use once_xml::request::{Agent, EvidenceRequest, Subject};
use once_xml::response::{
    ErrorResponse, EvidenceItem, EvidenceResponse, Exception, Response, Sha256Hex, reason,
};
use time::OffsetDateTime;

use crate::db::log::{Direction, Kind, OUTCOME_EVIDENCE};
use crate::db::previews::{self, Preview, PreviewState};
use crate::db::registers::{self, Record};
use crate::db::{self, AnyConnection, DbError, replay, rules};
use crate::service::evidence;
use crate::service::exchange::{Exchange, SignatureProblem, agent_member, member_agent, sha256};
use crate::service::logbook::{LogEntry, append_all_within};
use crate::service::matching::match_key;
use once_runtime::metrics;

/// How long a preview is kept after it expired (its evidence is personal data).
const PREVIEW_RETENTION_SECONDS: i64 = 3600;

/// The one answer for a person not found, whatever the reason (so that a requester cannot learn
/// whether an identification number is registered by trying dates of birth).
const NOT_FOUND: &str = "no person in the register matches the subject of the request";

/// The content id of the evidence part.
const EVIDENCE_CONTENT_ID: &str = "evidence-1@once";

/// The answer to send on the peer connection.
#[derive(Debug)]
pub struct PeerAnswer {
    /// HTTP status: 200 for every ebRS answer (evidence or exception), 503 when the exchange
    /// could not be logged.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// A short outcome for logs and metrics: `evidence`, an EDM code, `unlogged`.
    pub outcome: String,
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
}

/// A refusal: the exception and what it is about.
struct Refusal {
    exception: Box<Exception>,
}

impl Refusal {
    fn new(code: EdmCode, detail: impl Into<String>) -> Refusal {
        Refusal {
            exception: Box::new(Exception::new(code, detail, OffsetDateTime::now_utc())),
        }
    }

    fn because(code: EdmCode, why: &str, detail: impl Into<String>) -> Refusal {
        let refusal = Refusal::new(code, detail);
        Refusal {
            exception: Box::new(refusal.exception.with_reason(why)),
        }
    }
}

impl From<EdmError> for Refusal {
    fn from(e: EdmError) -> Refusal {
        Refusal::new(e.code, e.detail)
    }
}

/// What the request leads to, once the checks passed.
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
}

/// Forgets request ids older than twice the IssueDateTime window (plus rounding: requests that
/// old are refused by their IssueDateTime anyway) and previews past their retention. Runs in the
/// background every [`PRUNE_SECONDS`], not on the request path.
pub async fn prune(ex: &Exchange) -> Result<(usize, usize), DbError> {
    let window = ex.config.issue_window_seconds;
    db::run(&ex.pool, move |conn| {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Ok((
            replay::prune(conn, now - 2 * window - 2)?,
            previews::prune(conn, now - PREVIEW_RETENTION_SECONDS)?,
        ))
    })
    .await
}

/// How often [`prune`] runs.
pub const PRUNE_SECONDS: u64 = 30;

/// Answers one request from `peer`.
pub async fn answer(
    ex: &Exchange,
    peer: &MemberId,
    content_type: Option<&str>,
    body: &[u8],
) -> PeerAnswer {
    let started = Instant::now();
    let mut known = Known::default();
    let (message, outcome) = match process(ex, peer, content_type, body, &mut known).await {
        Ok((message, outcome)) => (message, outcome),
        Err((message, refusal)) => (message, Outcome::Refused(refusal)),
    };
    let answer = finish(ex, peer, &known, &message, outcome).await;
    count(ex, peer, &known.evidence_type, &answer.outcome, started);
    answer
}

/// Counts an answered exchange in the metrics. The evidence type is a label only if it is one
/// this node knows, so a peer cannot create series at will.
fn count(ex: &Exchange, peer: &MemberId, evidence_type: &str, outcome: &str, started: Instant) {
    let evidence_type = metric_evidence_type(evidence_type);
    ex.metrics.inc(
        metrics::EXCHANGES,
        &[
            ("role", "provider"),
            ("peer", peer.as_str()),
            ("evidence_type", evidence_type),
            ("outcome", outcome),
        ],
    );
    ex.metrics.observe(
        metrics::EXCHANGE_SECONDS,
        &[("role", "provider"), ("evidence_type", evidence_type)],
        started.elapsed(),
    );
}

/// A known evidence type's classification, `unknown` otherwise.
pub fn metric_evidence_type(classification: &str) -> &'static str {
    EvidenceKind::from_classification(classification)
        .map_or("unknown", EvidenceKind::classification)
}

/// Answers a request whose body exceeds `limit` bytes (the rest of it is not read).
pub async fn too_large(ex: &Exchange, peer: &MemberId, limit: usize) -> PeerAnswer {
    let refusal = Refusal::new(
        EdmCode::InvalidRequest,
        format!("the message is larger than {limit} bytes, the limit of this provider"),
    );
    let started = Instant::now();
    let answer = finish(ex, peer, &Known::default(), &[], Outcome::Refused(refusal)).await;
    count(ex, peer, "", &answer.outcome, started);
    answer
}

/// The request message bytes (the root part) and what to answer; on refusal, the bytes read so
/// far.
async fn process(
    ex: &Exchange,
    peer: &MemberId,
    content_type: Option<&str>,
    body: &[u8],
    known: &mut Known,
) -> Result<(Vec<u8>, Outcome), (Vec<u8>, Refusal)> {
    let message = envelope(ex, content_type, body).map_err(|r| (body.to_vec(), r))?;
    let fail = |r: Refusal| (message.to_vec(), r);

    // The signature first: nothing of an unauthenticated message is acted upon.
    let document = ex
        .verify_signed(message, Placement::Slot, peer)
        .map_err(|e| match e {
            SignatureProblem::Document(e) => fail(e.into()),
            other => fail(Refusal::new(EdmCode::Authentication, other.to_string())),
        })?;
    let request = EvidenceRequest::from_element(&document).map_err(|e| fail(e.into()))?;
    known.request_id = Some(request.id.clone());
    known.requester = Some(request.requester.clone());
    known.subject = Some(request.subject.clone());
    known.evidence_type = request.evidence_type.classification.clone();
    known.procedure = request.procedure.value.clone();
    known.legal_basis = legal_basis(&request);

    if agent_member(&request.requester).as_ref() != Some(peer) {
        return Err(fail(Refusal::because(
            EdmCode::Authentication,
            reason::REQUESTER_MISMATCH,
            format!(
                "EvidenceRequester {:?} is not the member that sent the request ({peer})",
                request.requester.identifier.value
            ),
        )));
    }
    if agent_member(&request.provider).as_ref() != Some(&ex.member) {
        return Err(fail(Refusal::because(
            EdmCode::InvalidRequest,
            reason::PROVIDER_MISMATCH,
            format!(
                "EvidenceProvider {:?} is not this node ({})",
                request.provider.identifier.value, ex.member
            ),
        )));
    }
    let now = OffsetDateTime::now_utc();
    let skew = (now - request.issue_date_time).whole_seconds().abs();
    if skew > ex.config.issue_window_seconds {
        return Err(fail(Refusal::because(
            EdmCode::InvalidRequest,
            reason::STALE_ISSUE_DATE_TIME,
            format!(
                "IssueDateTime {} is {skew} s from the provider's clock; at most {} s are accepted",
                request.issue_date_time, ex.config.issue_window_seconds
            ),
        )));
    }
    let Some(kind) = EvidenceKind::from_classification(&request.evidence_type.classification)
    else {
        return Err(fail(Refusal::new(
            EdmCode::InvalidRequest,
            format!(
                "unknown evidence type {:?}",
                request.evidence_type.classification
            ),
        )));
    };

    let preview_prefix = preview_prefix_of(ex);
    let logbook = ex.logbook.clone();
    let peer_id = peer.as_str().to_owned();
    let decide_now = {
        let request = request.clone();
        move |conn: &mut AnyConnection| -> Result<Decision, DbError> {
            decide(
                conn,
                &DecideInput {
                    request: &request,
                    peer: &peer_id,
                    kind,
                    now,
                    preview_prefix: preview_prefix.as_deref(),
                },
                &|identifier| logbook.subject_digest(identifier),
            )
        }
    };
    let decision = db::run(&ex.pool, decide_now).await.map_err(|e| {
        tracing::error!(error = %e, "evidence request: database");
        fail(Refusal::new(
            EdmCode::Timeout,
            "the provider cannot reach its register right now; try again later",
        ))
    })?;
    known.subject_digest = decision.subject_digest.clone();
    known.record_request = decision.fresh;
    match decision.verdict {
        Verdict::Refused(refusal) => Err(fail(refusal)),
        Verdict::Deliver(record) => {
            let document = signed_evidence(ex, kind, &record, now).map_err(fail)?;
            Ok((
                message.to_vec(),
                Outcome::Evidence {
                    document,
                    kind,
                    preview: None,
                },
            ))
        }
        Verdict::DeliverStored { preview, document } => Ok((
            message.to_vec(),
            Outcome::Evidence {
                document,
                kind,
                preview: Some(preview),
            },
        )),
        Verdict::NeedsPreview(record) => {
            let (Some(preview), Some(prefix)) = (ex.preview.as_ref(), preview_prefix_of(ex)) else {
                return Err(fail(Refusal::new(
                    EdmCode::UnsupportedCapability,
                    "this provider offers no preview; send the request with PossibilityForPreview false",
                )));
            };
            let signed = signed_evidence(ex, kind, &record, now).map_err(fail)?;
            let location = create_preview(
                ex,
                preview,
                &prefix,
                &request,
                peer,
                &decision.subject_digest,
                signed,
            )
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "preview: database");
                fail(Refusal::new(
                    EdmCode::Timeout,
                    "the provider cannot store the preview right now; try again later",
                ))
            })?;
            Err(fail(Refusal {
                exception: Box::new(Exception::preview_required(location, now)),
            }))
        }
    }
}

/// The evidence document of `kind` from a record, signed by this node.
fn signed_evidence(
    ex: &Exchange,
    kind: EvidenceKind,
    record: &Record,
    now: OffsetDateTime,
) -> Result<Vec<u8>, Refusal> {
    let authority = IssuingAuthority {
        member_id: ex.member.as_str().to_owned(),
        name: ex.name.clone(),
    };
    let document = evidence::build(
        kind,
        record,
        authority,
        uuid::Uuid::new_v4().to_string(),
        now,
    )
    .map_err(|e| {
        tracing::error!(error = %e, "register record incomplete");
        Refusal::new(
            EdmCode::ObjectNotFound,
            "the register holds no complete record for this evidence",
        )
    })?;
    ex.sign(&document.to_xml(), Placement::LastChild)
        .map_err(|e| internal(&e))
}

fn preview_prefix_of(ex: &Exchange) -> Option<String> {
    ex.preview
        .as_ref()
        .map(|p| format!("{}/preview/", p.public_url.trim_end_matches('/')))
}

fn internal(e: &dyn std::fmt::Display) -> Refusal {
    tracing::error!(error = %e, "signing failed");
    Refusal::new(
        EdmCode::Timeout,
        "the provider could not sign its answer; try again later",
    )
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

/// The request message from the HTTP body.
fn envelope<'b>(
    ex: &Exchange,
    content_type: Option<&str>,
    body: &'b [u8],
) -> Result<&'b [u8], Refusal> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "multipart/related" => {
            let parsed =
                multipart::parse(content_type.unwrap_or_default(), body, &ex.multipart_limits)
                    .map_err(|e| Refusal::from(EdmError::from(e)))?;
            if parsed.attachments().next().is_some() {
                return Err(Refusal::new(
                    EdmCode::InvalidRequest,
                    "an evidence request carries no attachments",
                ));
            }
            Ok(parsed.root().body)
        }
        "application/xml" | "text/xml" | "application/soap+xml" => Ok(body),
        "" => Err(Refusal::new(
            EdmCode::InvalidRequest,
            "the request has no Content-Type; send multipart/related (or application/xml)",
        )),
        other => Err(Refusal::new(
            EdmCode::InvalidRequest,
            format!(
                "Content-Type {other} is not accepted; send multipart/related (or application/xml)"
            ),
        )),
    }
}

struct DecideInput<'a> {
    request: &'a EvidenceRequest,
    peer: &'a str,
    kind: EvidenceKind,
    now: OffsetDateTime,
    preview_prefix: Option<&'a str>,
}

struct Decision {
    subject_digest: String,
    verdict: Verdict,
    /// The request id is new (not a replay).
    fresh: bool,
}

enum Verdict {
    Refused(Refusal),
    Deliver(Record),
    /// The evidence the person approved in a preview.
    DeliverStored {
        preview: String,
        document: Vec<u8>,
    },
    NeedsPreview(Record),
}

/// The database part of the decision: replay, rule, register, subject, preview.
fn decide(
    conn: &mut AnyConnection,
    input: &DecideInput<'_>,
    digest: &dyn Fn(&str) -> String,
) -> Result<Decision, DbError> {
    let request = input.request;
    let classification = input.kind.classification();
    let requested_digest = match &request.subject {
        Subject::NaturalPerson(person) => person
            .tax_id()
            .map(|id| digest(&id.to_string()))
            .unwrap_or_default(),
        Subject::LegalPerson(org) => digest(&org.identifier.value),
    };
    let refused = |refusal: Refusal, subject_digest: String| Decision {
        subject_digest,
        verdict: Verdict::Refused(refusal),
        fresh: true,
    };
    // Only a check here: the id is recorded when the answer is logged, in one transaction.
    if replay::seen(conn, &request.id, input.peer)? {
        return Ok(Decision {
            fresh: false,
            ..refused(
                Refusal::because(
                    EdmCode::InvalidRequest,
                    reason::REPLAY,
                    format!(
                        "request id {} was received before; every request needs a new id",
                        request.id
                    ),
                ),
                requested_digest,
            )
        });
    }
    let registers = registers::for_evidence_type(conn, classification)?;
    if registers.is_empty() {
        return Ok(refused(
            Refusal::new(
                EdmCode::InvalidRequest,
                format!("this provider keeps no register for evidence type {classification}"),
            ),
            requested_digest,
        ));
    }
    let basis = legal_basis(request);
    if rules::find(
        conn,
        input.peer,
        classification,
        &request.procedure.value,
        &basis,
    )?
    .is_none()
    {
        tracing::warn!(
            exchange.requester = input.peer,
            "evidence.type" = classification,
            "no access rule"
        );
        return Ok(refused(
            Refusal::because(
                EdmCode::Authorization,
                reason::NO_ACCESS_RULE,
                format!(
                    "no access rule allows {} to receive {classification} for procedure {:?} on legal basis {basis:?}",
                    input.peer, request.procedure.value
                ),
            ),
            requested_digest,
        ));
    }
    let person = match &request.subject {
        Subject::NaturalPerson(person) => person,
        Subject::LegalPerson(_) => {
            return Ok(refused(
                Refusal::new(
                    EdmCode::UnsupportedCapability,
                    format!("{classification} is about natural persons, not legal persons"),
                ),
                requested_digest,
            ));
        }
    };
    let mut found: Vec<Record> = Vec::new();
    for register in &registers {
        match person.tax_id() {
            Some(tax_id) => {
                if let Some(record) = registers::by_tax_id(conn, &register.id, &tax_id.to_string())?
                {
                    found.push(record);
                }
            }
            None => {
                let key = match_key(
                    &person.family_name,
                    &person.given_name,
                    person.date_of_birth,
                );
                found.extend(registers::by_match_key(conn, &register.id, &key, 2)?);
            }
        }
    }
    let record = match found.len() {
        0 => {
            return Ok(refused(
                Refusal::because(
                    EdmCode::ObjectNotFound,
                    reason::SUBJECT_NOT_FOUND,
                    NOT_FOUND,
                ),
                requested_digest,
            ));
        }
        1 => found.remove(0),
        _ => {
            return Ok(refused(
                Refusal::because(
                    EdmCode::ObjectNotFound,
                    reason::AMBIGUOUS_SUBJECT,
                    if person.tax_id().is_some() {
                        "the person is in more than one register of this provider for this evidence type; the provider must resolve this"
                    } else {
                        "more than one person matches name and date of birth; send the identification number (tax id) of the person"
                    },
                ),
                requested_digest,
            ));
        }
    };
    // With an identification number, the date of birth must agree too: never the wrong person.
    if person.tax_id().is_some()
        && record.date_of_birth != crate::service::matching::iso_date(person.date_of_birth)
    {
        return Ok(refused(
            Refusal::because(
                EdmCode::ObjectNotFound,
                reason::SUBJECT_NOT_FOUND,
                NOT_FOUND,
            ),
            requested_digest,
        ));
    }
    // The person's digest: of the identification number, or for records without one of the
    // record itself, so a preview is always bound to exactly this person.
    let subject_digest = match record.tax_id.as_deref() {
        Some(tax_id) => digest(tax_id),
        None => digest(&format!(
            "record:{}/{}",
            record.register_id, record.record_key
        )),
    };
    if !request.possibility_for_preview {
        return Ok(Decision {
            subject_digest,
            verdict: Verdict::Deliver(record),
            fresh: true,
        });
    }
    let Some(location) = &request.preview_location else {
        return Ok(Decision {
            subject_digest,
            verdict: Verdict::NeedsPreview(record),
            fresh: true,
        });
    };
    let verdict = resumed_preview(conn, input, location, &subject_digest)?;
    Ok(Decision {
        subject_digest,
        verdict: verdict.unwrap_or(Verdict::NeedsPreview(record)),
        fresh: true,
    })
}

/// A request sent again with its PreviewLocation: what the person decided. `None`: the preview
/// expired, start a new one.
fn resumed_preview(
    conn: &mut AnyConnection,
    input: &DecideInput<'_>,
    location: &str,
    subject_digest: &str,
) -> Result<Option<Verdict>, DbError> {
    let unknown = || {
        Some(Verdict::Refused(Refusal::new(
            EdmCode::InvalidRequest,
            format!("PreviewLocation {location:?} is not a preview of this provider"),
        )))
    };
    let Some(id) = input
        .preview_prefix
        .and_then(|prefix| location.strip_prefix(prefix))
    else {
        return Ok(unknown());
    };
    let Some(preview) = previews::find(conn, id)? else {
        return Ok(unknown());
    };
    if preview.requester != input.peer
        || preview.evidence_type != input.kind.classification()
        || preview.subject_digest != subject_digest
    {
        return Ok(Some(Verdict::Refused(Refusal::new(
            EdmCode::InvalidRequest,
            "the PreviewLocation belongs to another requester, evidence type or person",
        ))));
    }
    let now = input.now.unix_timestamp();
    Ok(match preview.state()? {
        // Marked as delivered only in the transaction that logs the answer (see `finish`).
        PreviewState::Approved if preview.expires_at > now => Some(Verdict::DeliverStored {
            preview: preview.id,
            document: preview.evidence,
        }),
        PreviewState::Approved | PreviewState::Delivered => Some(Verdict::Refused(Refusal::new(
            EdmCode::InvalidRequest,
            "this preview was used already or has expired; start a new request",
        ))),
        PreviewState::Refused => Some(Verdict::Refused(Refusal::because(
            EdmCode::Authorization,
            reason::PREVIEW_REFUSED,
            "the person refused to send this evidence in the preview",
        ))),
        PreviewState::Pending | PreviewState::Verified if preview.expires_at > now => {
            Some(Verdict::Refused(Refusal {
                exception: Box::new(
                    Exception::preview_required(location, input.now)
                        .with_reason(reason::PREVIEW_PENDING),
                ),
            }))
        }
        PreviewState::Pending | PreviewState::Verified => None,
    })
}

async fn create_preview(
    ex: &Exchange,
    config: &crate::config::PreviewConfig,
    prefix: &str,
    request: &EvidenceRequest,
    peer: &MemberId,
    subject_digest: &str,
    evidence: Vec<u8>,
) -> Result<String, DbError> {
    use base64::Engine;
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let code = format!("{:08}", rand::random_range(0..100_000_000u32));
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let preview = Preview {
        id: id.clone(),
        request_id: request.id.clone(),
        requester: peer.as_str().to_owned(),
        evidence_type: request.evidence_type.classification.clone(),
        subject_digest: subject_digest.to_owned(),
        evidence,
        code_sha256: hex::encode(sha256(code.as_bytes())),
        attempts: 0,
        session_sha256: None,
        state: PreviewState::Pending.as_str().to_owned(),
        created_at: now,
        expires_at: now + config.ttl_seconds,
        decided_at: None,
    };
    let mailbox = config.simulated_mailbox.then_some(code);
    db::run(&ex.pool, move |conn| {
        previews::create(conn, &preview, mailbox.as_deref())
    })
    .await?;
    Ok(format!("{prefix}{id}"))
}

/// Builds, signs and logs the answer; the bytes go out only after the log entries are committed.
async fn finish(
    ex: &Exchange,
    peer: &MemberId,
    known: &Known,
    message: &[u8],
    outcome: Outcome,
) -> PeerAnswer {
    let request_id = known
        .request_id
        .clone()
        .unwrap_or_else(|| format!("unparsed-{}", uuid::Uuid::new_v4()));
    let requester = known
        .requester
        .clone()
        .unwrap_or_else(|| member_agent(peer, peer.as_str()));
    let now = OffsetDateTime::now_utc();
    let mut consumed: Option<String> = None;
    let (xml, attachment, outcome_text) = match outcome {
        Outcome::Evidence {
            document,
            kind,
            preview,
        } => {
            consumed = preview;
            let response = EvidenceResponse {
                request_id: request_id.clone(),
                response_id: uuid::Uuid::new_v4().to_string(),
                specification_identifier: once_xml::request::SPECIFICATION_IDENTIFIER.to_owned(),
                issue_date_time: now,
                requester: requester.clone(),
                provider: ex.agent(),
                request_digest: Some(Sha256Hex::from_digest(sha256(message))),
                evidence: vec![EvidenceItem {
                    id: format!("urn:uuid:{}", uuid::Uuid::new_v4()),
                    evidence_id: uuid::Uuid::new_v4().to_string(),
                    // Evidence is only delivered after the request was read, subject included.
                    subject: known.subject.clone().unwrap_or_else(|| {
                        Subject::LegalPerson(once_xml::request::LegalPerson {
                            identifier: once_xml::request::Identifier {
                                scheme: None,
                                value: String::new(),
                            },
                            legal_name: String::new(),
                        })
                    }),
                    issuing_authority: ex.agent(),
                    classification: kind.classification().to_owned(),
                    titles: kind.titles(),
                    issuing_date: now.date(),
                    distribution: once_xml::request::Distribution {
                        format: kind.media_type().to_owned(),
                        conforms_to: Some(kind.namespace().to_owned()),
                    },
                    evidence_digest: Some(Sha256Hex::from_digest(sha256(&document))),
                    repository_item_ref: format!("cid:{EVIDENCE_CONTENT_ID}"),
                    repository_item_title: Some(kind.titles()[0].value.clone()),
                }],
            };
            (
                Response::Evidence(response).to_xml(),
                Some(document),
                OUTCOME_EVIDENCE.to_owned(),
            )
        }
        Outcome::Refused(refusal) => {
            let code = refusal.exception.code.code().to_owned();
            let response = ErrorResponse {
                request_id: request_id.clone(),
                response_id: uuid::Uuid::new_v4().to_string(),
                specification_identifier: once_xml::request::SPECIFICATION_IDENTIFIER.to_owned(),
                provider: ex.agent(),
                requester: requester.clone(),
                exception: *refusal.exception,
            };
            (Response::Error(response).to_xml(), None, code)
        }
    };
    let signed = match ex.sign(&xml, Placement::Slot) {
        Ok(signed) => signed,
        Err(e) => {
            tracing::error!(error = %e, "signing the answer failed");
            return unlogged("the provider could not sign its answer");
        }
    };
    let parts: Vec<Part<'_>> = attachment
        .as_deref()
        .map(|document| Part {
            content_id: EVIDENCE_CONTENT_ID,
            content_type: "application/xml",
            body: document,
        })
        .into_iter()
        .collect();
    let (content_type, body) = match multipart::build(&rand::random::<[u8; 24]>(), &signed, &parts)
    {
        Ok(built) => built,
        Err(e) => {
            tracing::error!(error = %e, "building the multipart answer failed");
            return unlogged("the provider could not build its answer");
        }
    };
    let entry = |direction, kind, outcome: &str, message: Vec<u8>| LogEntry {
        direction,
        kind,
        exchange_id: request_id.clone(),
        peer: peer.as_str().to_owned(),
        evidence_type: known.evidence_type.clone(),
        subject_digest: known.subject_digest.clone(),
        procedure: known.procedure.clone(),
        legal_basis: known.legal_basis.clone(),
        outcome: outcome.to_owned(),
        message,
    };
    let entries = [
        entry(Direction::In, Kind::Request, "received", message.to_vec()),
        entry(Direction::Out, Kind::Response, &outcome_text, body.clone()),
    ];
    let now_unix = now.unix_timestamp();
    let record_request = known
        .record_request
        .then(|| known.request_id.clone())
        .flatten();
    let requester_member = peer.as_str().to_owned();
    let logged = db::run(&ex.pool, move |conn| {
        conn.transaction(|conn| {
            // The request id is recorded with the answer; the same id arriving twice at the
            // same moment is caught here (the first wins, the second is not answered).
            if let Some(id) = record_request.as_deref()
                && !replay::first_seen(conn, id, &requester_member, now_unix)?
            {
                return Err(DbError::Conflict(
                    "the same request id arrived twice at the same time".into(),
                ));
            }
            // A preview is used once, and only if the answer carrying its evidence is logged.
            if let Some(preview) = &consumed
                && !previews::consume(conn, preview, now_unix)?
            {
                return Err(DbError::Conflict(
                    "the preview was used by another request at the same time".into(),
                ));
            }
            append_all_within(conn, &entries)?;
            Ok::<_, DbError>(())
        })
    })
    .await;
    if let Err(e) = logged {
        tracing::error!(error = %e, "the exchange could not be logged; nothing is sent");
        return unlogged("the provider cannot record the exchange right now; try again later");
    }
    tracing::info!(
        evidence.request_id = %request_id,
        exchange.outcome = %outcome_text,
        "evidence request answered"
    );
    PeerAnswer {
        status: 200,
        content_type,
        body,
        outcome: outcome_text,
    }
}

/// An answer when the exchange cannot be logged: a plain 503, no evidence.
fn unlogged(message: &str) -> PeerAnswer {
    PeerAnswer {
        status: 503,
        content_type: "text/plain; charset=utf-8".into(),
        body: format!("{message}\n").into_bytes(),
        outcome: "unlogged".into(),
    }
}
