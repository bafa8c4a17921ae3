//! The requester side of the exchange: an application service asks for evidence; the node finds
//! the provider, sends a signed request over mutual TLS, checks the answer (TLS peer, signatures,
//! request binding, evidence digest), logs both messages and returns the evidence.

use once_runtime::metrics;
use once_runtime::telemetry::{SpanData, SpanKind, TraceContext};
use std::sync::Arc;
use std::time::Duration;

use once_pki::{MemberId, PeerIdentity};
use once_runtime::body::{ResponseBodyError, read_response};
use once_xml::discovery::DiscoveryOutcome;
use once_xml::dsig::Placement;
use once_xml::evidence::{EvidenceDocument, EvidenceKind};
use once_xml::multipart;
use once_xml::request::{
    Distribution, EvidenceRequest, EvidenceType, Identifier, LocalizedText, NaturalPerson,
    Requirement, SPECIFICATION_IDENTIFIER, Subject, TAX_ID_SCHEME,
};
use once_xml::response::{Response, Severity};
use once_xml::taxid::TaxId;
use rustls_pki_types::CertificateDer;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::ProviderConfig;
use crate::db::log::{Direction, Kind, OUTCOME_EVIDENCE};
use crate::service::exchange::{Exchange, agent_member, member_agent, sha256};
use crate::service::import::parse_date;
use crate::service::logbook::LogEntry;

/// What an application service asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    /// Evidence type classification, e.g. `urn:once:evidence-type:residence-certificate`.
    pub evidence_type: String,
    /// Whom the evidence is about.
    pub subject: SubjectInput,
    /// The procedure the evidence is needed for (as agreed in the provider's access rules).
    pub procedure: String,
    /// The legal basis of the request (as agreed in the provider's access rules).
    pub legal_basis: String,
    /// Where the person lives or the case is (AGS/ARS), to choose the provider.
    #[serde(default)]
    pub jurisdiction: Option<String>,
    /// Offer the person a preview of the evidence before it is sent.
    #[serde(default)]
    pub preview: bool,
    /// When sending the request again after a preview: the PreviewLocation of the first answer.
    #[serde(default)]
    pub preview_location: Option<String>,
    /// Ask this provider (member id) instead of choosing one.
    #[serde(default)]
    pub provider: Option<String>,
    /// The trace this request belongs to (the application request's server span); the call to
    /// the provider becomes its child.
    #[serde(skip)]
    pub trace: Option<TraceContext>,
}

/// A natural person: identification number if known, names and date of birth always.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    /// The German tax identification number, 11 digits.
    #[serde(default)]
    pub tax_id: Option<String>,
    /// Family name.
    pub family_name: String,
    /// Given name(s).
    pub given_name: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
}

/// The answer for the application service.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RequestOutcome {
    /// The evidence, verified.
    Evidence {
        /// The request id.
        request_id: String,
        /// The provider's member id.
        provider: String,
        /// Evidence type classification.
        evidence_type: String,
        /// The evidence's fields (dotted names).
        evidence: serde_json::Map<String, serde_json::Value>,
        /// The signed evidence document as received.
        evidence_xml: String,
    },
    /// The person must preview the evidence first; send the request again with
    /// `preview_location` afterwards.
    PreviewRequired {
        /// The request id.
        request_id: String,
        /// The provider's member id.
        provider: String,
        /// Where the person previews the evidence.
        preview_location: String,
        /// The error code (EDM:ERR:0002).
        code: String,
        /// What to do.
        message: String,
    },
    /// The provider refused, with its EDM code.
    Refused {
        /// The request id.
        request_id: String,
        /// The provider's member id.
        provider: String,
        /// EDM:ERR:000x.
        code: String,
        /// A machine-readable reason where the code covers several (e.g. `AmbiguousSubject`).
        reason: Option<String>,
        /// The provider's explanation.
        message: String,
    },
}

/// Why no answer from the provider could be had or trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The query is incomplete or wrong.
    #[error("{0}")]
    Invalid(String),
    /// No provider is known for the evidence type and place.
    #[error("{0}")]
    NoProvider(String),
    /// The provider could not be reached.
    #[error("provider {provider} at {url} is unreachable: {detail}")]
    Unreachable {
        /// Provider.
        provider: String,
        /// Its URL.
        url: String,
        /// Why.
        detail: String,
    },
    /// The connection broke while the answer was arriving.
    #[error("the connection to provider {provider} broke while its answer arrived: {detail}")]
    ConnectionLost {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// The TLS handshake with the provider failed.
    #[error("the TLS connection to provider {provider} was refused: {detail}")]
    TlsRefused {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// No answer within the timeout.
    #[error("provider {provider} did not answer within {timeout_ms} ms")]
    Timeout {
        /// Provider.
        provider: String,
        /// The timeout.
        timeout_ms: u64,
    },
    /// The answer's signature, signer or binding is wrong.
    #[error("the answer of provider {provider} cannot be trusted: {detail}")]
    BadSignature {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// The answer is not a valid message.
    #[error("the answer of provider {provider} is malformed: {detail}")]
    Malformed {
        /// Provider.
        provider: String,
        /// Why.
        detail: String,
    },
    /// This node failed (e.g. it could not sign); its log has the cause.
    #[error("the node could not prepare the request: {0}")]
    Internal(String),
    /// The exchange could not be logged; nothing was sent or nothing is returned.
    #[error(
        "the node cannot record the exchange right now (message log unavailable); try again later"
    )]
    LogUnavailable,
}

impl RequestError {
    /// A stable snake_case code for JSON answers.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::Invalid(_) => "invalid_request",
            RequestError::NoProvider(_) => "no_provider",
            RequestError::Unreachable { .. } => "provider_unreachable",
            RequestError::TlsRefused { .. } => "provider_tls_refused",
            RequestError::ConnectionLost { .. } => "provider_connection_lost",
            RequestError::Timeout { .. } => "provider_timeout",
            RequestError::BadSignature { .. } => "provider_bad_signature",
            RequestError::Malformed { .. } => "provider_malformed_answer",
            RequestError::LogUnavailable => "log_unavailable",
            RequestError::Internal(_) => "internal_error",
        }
    }
}

/// Asks for evidence.
pub async fn request(
    ex: &Arc<Exchange>,
    query: EvidenceQuery,
) -> Result<RequestOutcome, RequestError> {
    let started = std::time::Instant::now();
    let evidence_type = crate::service::provider::metric_evidence_type(&query.evidence_type);
    let mut provider = None;
    let result = request_from(ex, query, &mut provider).await;
    let outcome = match &result {
        Ok(RequestOutcome::Evidence { .. }) => OUTCOME_EVIDENCE,
        Ok(RequestOutcome::PreviewRequired { .. }) => "preview_required",
        Ok(RequestOutcome::Refused { code, .. }) => code.as_str(),
        Err(e) => e.code(),
    };
    ex.metrics.inc(
        metrics::EXCHANGES,
        &[
            ("role", "requester"),
            ("peer", provider.as_ref().map_or("", MemberId::as_str)),
            ("evidence_type", evidence_type),
            ("outcome", outcome),
        ],
    );
    ex.metrics.observe(
        metrics::EXCHANGE_SECONDS,
        &[("role", "requester"), ("evidence_type", evidence_type)],
        started.elapsed(),
    );
    result
}

/// [`request`], noting the provider it chose in `chosen`.
async fn request_from(
    ex: &Arc<Exchange>,
    query: EvidenceQuery,
    chosen: &mut Option<MemberId>,
) -> Result<RequestOutcome, RequestError> {
    let kind = EvidenceKind::from_classification(&query.evidence_type).ok_or_else(|| {
        RequestError::Invalid(format!(
            "evidence_type {:?} is unknown; known: {}",
            query.evidence_type,
            EvidenceKind::ALL
                .iter()
                .map(|k| k.classification())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let provider = choose_provider(ex, &query).await?;
    *chosen = Some(provider.member.clone());
    let provider = &provider;
    let request = build_request(ex, &query, kind, &provider.member, provider.name.as_deref())?;
    let signed = ex
        .sign(&request.to_xml(), Placement::Slot)
        .map_err(|e| RequestError::Internal(format!("signing failed: {e}")))?;
    let (content_type, body) = multipart::build(&rand::random::<[u8; 24]>(), &signed, &[])
        .map_err(|e| RequestError::Internal(format!("packing failed: {e}")))?;
    let subject_digest = query
        .subject
        .tax_id
        .as_deref()
        .map(|id| ex.logbook.subject_digest(id.trim()))
        .unwrap_or_default();
    let entry = |kind, direction, outcome: &str, message: Vec<u8>| LogEntry {
        direction,
        kind,
        exchange_id: request.id.clone(),
        peer: provider.member.as_str().to_owned(),
        evidence_type: query.evidence_type.clone(),
        subject_digest: subject_digest.clone(),
        procedure: query.procedure.clone(),
        legal_basis: query.legal_basis.clone(),
        outcome: outcome.to_owned(),
        message,
    };
    ex.logbook
        .append(entry(Kind::Request, Direction::Out, "sent", signed.clone()))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "message log");
            RequestError::LogUnavailable
        })?;

    let call = query
        .trace
        .map_or_else(TraceContext::new_root, |t| t.child());
    let call_started = std::time::SystemTime::now();
    let received = send(ex, provider, &content_type, body, &call).await;
    if let Some(tracer) = &ex.tracer {
        let outcome = match &received {
            Ok(_) => "answered",
            Err(e) => e.code(),
        };
        tracer.record(SpanData {
            context: call,
            parent: query.trace.map(|t| t.span_id),
            name: "POST /v1/exchange".into(),
            kind: SpanKind::Client,
            start: call_started,
            end: std::time::SystemTime::now(),
            attributes: vec![
                ("url.full", provider.url.clone()),
                ("once.peer.member_id", provider.member.as_str().to_owned()),
                ("once.evidence_type", query.evidence_type.clone()),
                ("once.request_id", request.id.clone()),
                ("once.outcome", outcome.to_owned()),
            ],
            error: received.is_err(),
        });
    }
    let (answer_type, answer, peer_cert) = match received {
        Ok(r) => r,
        Err(e) => {
            // The failure is recorded too, so the log shows every attempt.
            if let Err(log) = ex
                .logbook
                .append(entry(Kind::Response, Direction::In, e.code(), Vec::new()))
                .await
            {
                tracing::error!(error = %log, "the failed attempt could not be logged");
            }
            return Err(e);
        }
    };
    // A provider found through the map whose certificate is not the one cached: it may have
    // rotated it. The map is asked again; what it says now is pinned.
    let mut provider = provider.clone();
    if let (Some(pinned), Some(der), Some(discovery)) = (
        provider.tls_fingerprint.clone(),
        peer_cert.as_deref(),
        &ex.discovery,
    ) && once_pki::sha256_hex(der) != pinned
        && let Some(current) = discovery
            .current_fingerprint(
                ex,
                &query.evidence_type,
                query.jurisdiction.as_deref(),
                &provider.member,
            )
            .await
    {
        provider.tls_fingerprint = Some(current);
    }
    let provider = &provider;
    let checked = check_answer(
        ex,
        provider,
        &request,
        &signed,
        kind,
        answer_type.as_deref(),
        &answer,
        peer_cert.as_deref(),
    );
    let outcome_text = match &checked {
        Ok(RequestOutcome::Evidence { .. }) => OUTCOME_EVIDENCE.to_owned(),
        Ok(RequestOutcome::PreviewRequired { code, .. }) => format!("{code} preview"),
        Ok(RequestOutcome::Refused { code, .. }) => code.clone(),
        Err(e) => e.code().to_owned(),
    };
    ex.logbook
        .append(entry(Kind::Response, Direction::In, &outcome_text, answer))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "message log");
            RequestError::LogUnavailable
        })?;
    tracing::info!(
        evidence.request_id = %request.id,
        exchange.provider = %provider.member,
        exchange.outcome = %outcome_text,
        "evidence request done"
    );
    checked
}

/// The provider to ask: the one named, else the register map's best match (cached), else the
/// static `[[providers]]` table.
async fn choose_provider(
    ex: &Arc<Exchange>,
    query: &EvidenceQuery,
) -> Result<ProviderConfig, RequestError> {
    if let Some(member) = &query.provider {
        return ex
            .providers
            .iter()
            .find(|p| p.member.as_str() == member)
            .cloned()
            .ok_or_else(|| {
                RequestError::NoProvider(format!(
                    "provider {member} is not in this node's provider table"
                ))
            });
    }
    if let Some(discovery) = &ex.discovery {
        match discovery
            .providers(ex, &query.evidence_type, query.jurisdiction.as_deref())
            .await
        {
            Ok(answer) => match &answer.outcome {
                DiscoveryOutcome::Providers(found) => {
                    if let Some(best) = found.iter().min_by_key(|p| p.rank)
                        && let Ok(member) = best.member.parse::<MemberId>()
                    {
                        return Ok(ProviderConfig {
                            member,
                            name: Some(best.name.clone()),
                            url: best.peer_endpoint.clone(),
                            evidence_types: vec![query.evidence_type.clone()],
                            jurisdictions: best.jurisdictions.clone(),
                            tls_fingerprint: Some(best.tls_certificate_sha256.clone()),
                        });
                    }
                }
                DiscoveryOutcome::MissingInput { parameter, message } => {
                    return Err(RequestError::Invalid(format!(
                        "the register map needs {parameter}: {message}"
                    )));
                }
                _ => {}
            },
            Err(e) => tracing::warn!(error = %e, "discovery failed; trying the provider table"),
        }
    }
    static_provider(ex, query).cloned()
}

fn static_provider<'a>(
    ex: &'a Exchange,
    query: &EvidenceQuery,
) -> Result<&'a ProviderConfig, RequestError> {
    let place = query.jurisdiction.as_deref().unwrap_or_default();
    ex.providers
        .iter()
        .filter(|p| p.evidence_types.contains(&query.evidence_type))
        .filter_map(|p| {
            if p.jurisdictions.is_empty() {
                return Some((0, p));
            }
            p.jurisdictions
                .iter()
                .filter(|key| !place.is_empty() && place.starts_with(key.as_str()))
                .map(|key| key.len())
                .max()
                .map(|len| (len, p))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map(|(_, p)| p)
        .ok_or_else(|| {
            RequestError::NoProvider(if place.is_empty() {
                format!(
                    "no provider of {} is known without a place; give the jurisdiction (AGS/ARS) of the person",
                    query.evidence_type
                )
            } else {
                format!(
                    "no provider of {} is known for jurisdiction {place}",
                    query.evidence_type
                )
            })
        })
}

fn build_request(
    ex: &Exchange,
    query: &EvidenceQuery,
    kind: EvidenceKind,
    provider: &MemberId,
    provider_name: Option<&str>,
) -> Result<EvidenceRequest, RequestError> {
    let invalid = |m: String| RequestError::Invalid(m);
    let subject = &query.subject;
    let tax_id = subject
        .tax_id
        .as_deref()
        .map(|t| t.trim().parse::<TaxId>())
        .transpose()
        .map_err(|e| invalid(format!("subject.tax_id: {e}")))?;
    for (field, value) in [
        ("subject.family_name", &subject.family_name),
        ("subject.given_name", &subject.given_name),
        ("procedure", &query.procedure),
        ("legal_basis", &query.legal_basis),
    ] {
        if value.trim().is_empty() || value.len() > 512 {
            return Err(invalid(format!("{field} must be 1 to 512 characters")));
        }
    }
    let date_of_birth = parse_date(&subject.date_of_birth)
        .map_err(|e| invalid(format!("subject.date_of_birth: {e}")))?;
    let text = |value: &str| LocalizedText {
        lang: None,
        value: value.to_owned(),
    };
    Ok(EvidenceRequest {
        id: uuid::Uuid::new_v4().to_string(),
        specification_identifier: SPECIFICATION_IDENTIFIER.to_owned(),
        issue_date_time: OffsetDateTime::now_utc(),
        procedure: text(query.procedure.trim()),
        possibility_for_preview: query.preview || query.preview_location.is_some(),
        explicit_request_given: true,
        preview_location: query.preview_location.clone(),
        legal_basis: Some(query.legal_basis.trim().to_owned()),
        requirements: vec![Requirement {
            identifier: query.legal_basis.trim().to_owned(),
            name: text(&format!(
                "{} ({})",
                kind.titles()[0].value,
                query.legal_basis.trim()
            )),
        }],
        requester: ex.agent(),
        provider: member_agent(provider, provider_name.unwrap_or(provider.as_str())),
        subject: Subject::NaturalPerson(NaturalPerson {
            level_of_assurance: None,
            identifier: tax_id.map(|id| Identifier {
                scheme: Some(TAX_ID_SCHEME.to_owned()),
                value: id.to_string(),
            }),
            family_name: subject.family_name.trim().to_owned(),
            given_name: subject.given_name.trim().to_owned(),
            date_of_birth,
        }),
        evidence_type: EvidenceType {
            identifier: uuid::Uuid::new_v4().to_string(),
            classification: kind.classification().to_owned(),
            titles: kind.titles(),
            distributions: vec![Distribution {
                format: kind.media_type().to_owned(),
                conforms_to: Some(kind.namespace().to_owned()),
            }],
        },
    })
}

type Received = (Option<String>, Vec<u8>, Option<Vec<u8>>);

async fn send(
    ex: &Exchange,
    provider: &ProviderConfig,
    content_type: &str,
    body: Vec<u8>,
    trace: &TraceContext,
) -> Result<Received, RequestError> {
    let url = format!("{}/v1/exchange", provider.url.trim_end_matches('/'));
    let who = provider.member.as_str().to_owned();
    let timeout_ms = ex.config.request_timeout_ms;
    let client = ex.client.load_full();
    let exchange = async {
        let response = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .header(once_runtime::telemetry::TRACEPARENT, trace.header())
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&who, &url, timeout_ms, &e))?;
        let peer_cert = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate().map(<[u8]>::to_vec));
        let status = response.status();
        let answer_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned);
        let answer = read_response(response, ex.config.max_message_bytes)
            .await
            .map_err(|e| match e {
                ResponseBodyError::Transport(e) if e.is_timeout() => {
                    transport_error(&who, &url, timeout_ms, &e)
                }
                ResponseBodyError::Transport(e) => RequestError::ConnectionLost {
                    provider: who.clone(),
                    detail: once_runtime::client::describe(&e),
                },
                too_large => RequestError::Malformed {
                    provider: who.clone(),
                    detail: too_large.to_string(),
                },
            })?;
        if status != reqwest::StatusCode::OK {
            return Err(RequestError::Unreachable {
                provider: who.clone(),
                url: url.clone(),
                detail: format!(
                    "HTTP {status}: {}",
                    String::from_utf8_lossy(&answer[..answer.len().min(200)]).trim()
                ),
            });
        }
        Ok((answer_type, answer, peer_cert))
    };
    tokio::time::timeout(Duration::from_millis(timeout_ms), exchange)
        .await
        .unwrap_or_else(|_| {
            Err(RequestError::Timeout {
                provider: provider.member.as_str().to_owned(),
                timeout_ms,
            })
        })
}

fn transport_error(provider: &str, url: &str, timeout_ms: u64, e: &reqwest::Error) -> RequestError {
    if e.is_timeout() {
        return RequestError::Timeout {
            provider: provider.to_owned(),
            timeout_ms,
        };
    }
    let detail = once_runtime::client::describe(e);
    let mut tls = false;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        tls |= s.downcast_ref::<rustls::Error>().is_some();
        source = s.source();
    }
    if tls || detail.contains("certificate") || detail.contains("alert") {
        RequestError::TlsRefused {
            provider: provider.to_owned(),
            detail,
        }
    } else if !e.is_connect() {
        // Connected, then the connection went away before the answer was complete.
        RequestError::ConnectionLost {
            provider: provider.to_owned(),
            detail,
        }
    } else {
        RequestError::Unreachable {
            provider: provider.to_owned(),
            url: url.to_owned(),
            detail,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn check_answer(
    ex: &Exchange,
    provider: &ProviderConfig,
    request: &EvidenceRequest,
    signed_request: &[u8],
    kind: EvidenceKind,
    content_type: Option<&str>,
    answer: &[u8],
    peer_cert: Option<&[u8]>,
) -> Result<RequestOutcome, RequestError> {
    let who = provider.member.as_str().to_owned();
    let untrusted = |detail: String| RequestError::BadSignature {
        provider: who.clone(),
        detail,
    };
    let malformed = |detail: String| RequestError::Malformed {
        provider: who.clone(),
        detail,
    };
    // The TLS server is the provider we meant (the CA vouches for the certificate; the member
    // id must be the one we asked).
    let tls_member = peer_cert
        .and_then(|der| PeerIdentity::from_certificate(&CertificateDer::from(der)).ok())
        .map(|identity| identity.member_id);
    if tls_member.as_ref() != Some(&provider.member) {
        return Err(untrusted(format!(
            "the TLS server is {}, not {}",
            tls_member.map_or_else(|| "unknown".to_owned(), |m| m.to_string()),
            provider.member
        )));
    }
    // The certificate the provider published to the register map, where discovery named it.
    if let (Some(pinned), Some(der)) = (&provider.tls_fingerprint, peer_cert)
        && once_pki::sha256_hex(der) != *pinned
    {
        return Err(untrusted(
            "the TLS certificate is not the one the provider published to the register map".into(),
        ));
    }
    let content_type = content_type.unwrap_or_default();
    let parsed = multipart::parse(content_type, answer, &ex.multipart_limits)
        .map_err(|e| malformed(e.to_string()))?;
    let root = parsed.root().body;
    let document = ex
        .verify_signed(root, Placement::Slot, &provider.member)
        .map_err(|e| untrusted(e.to_string()))?;
    let response = Response::from_element(&document).map_err(|e| malformed(e.detail))?;
    if response.request_id() != request.id {
        return Err(untrusted(format!(
            "the answer is for request {}, not {}",
            response.request_id(),
            request.id
        )));
    }
    match response {
        Response::Error(error) => {
            if agent_member(&error.provider).as_ref() != Some(&provider.member) {
                return Err(untrusted("the error names another provider".into()));
            }
            let e = error.exception;
            match (e.severity, e.preview_location) {
                (Severity::PreviewRequired, Some(location)) => Ok(RequestOutcome::PreviewRequired {
                    request_id: request.id.clone(),
                    provider: who,
                    preview_location: location,
                    code: e.code.code().to_owned(),
                    message: "the person must see and approve the evidence at preview_location; then send the request again with preview_location".into(),
                }),
                _ => Ok(RequestOutcome::Refused {
                    request_id: request.id.clone(),
                    provider: who,
                    code: e.code.code().to_owned(),
                    reason: e.reason,
                    message: if e.detail.is_empty() { e.message } else { e.detail },
                }),
            }
        }
        Response::Evidence(response) => {
            if agent_member(&response.provider).as_ref() != Some(&provider.member) {
                return Err(untrusted("the response names another provider".into()));
            }
            let expected = hex::encode(sha256(signed_request));
            if response.request_digest.as_ref().map(|d| d.as_str()) != Some(expected.as_str()) {
                return Err(untrusted(
                    "the response is not bound to the request sent (RequestDigest differs)".into(),
                ));
            }
            let [item] = response.evidence.as_slice() else {
                return Err(malformed(format!(
                    "{} evidence items where one was asked for",
                    response.evidence.len()
                )));
            };
            if item.classification != kind.classification() {
                return Err(malformed(format!(
                    "the evidence is a {}, not the {} asked for",
                    item.classification,
                    kind.classification()
                )));
            }
            let part = parsed
                .get(&item.repository_item_ref)
                .ok_or_else(|| malformed(format!("no part {}", item.repository_item_ref)))?;
            let digest = hex::encode(sha256(part.body));
            if item.evidence_digest.as_ref().map(|d| d.as_str()) != Some(digest.as_str()) {
                return Err(untrusted(
                    "the evidence part does not match the EvidenceDigest of the signed response"
                        .into(),
                ));
            }
            let evidence_tree = ex
                .verify_signed(part.body, Placement::LastChild, &provider.member)
                .map_err(|e| untrusted(format!("evidence document: {e}")))?;
            let document = EvidenceDocument::from_element(&evidence_tree)
                .map_err(|e| malformed(format!("evidence document: {}", e.detail)))?;
            if document.kind() != kind {
                return Err(malformed("the evidence document is of another type".into()));
            }
            let evidence = document
                .fields()
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            Ok(RequestOutcome::Evidence {
                request_id: request.id.clone(),
                provider: who,
                evidence_type: kind.classification().to_owned(),
                evidence,
                evidence_xml: String::from_utf8_lossy(part.body).into_owned(),
            })
        }
    }
}
