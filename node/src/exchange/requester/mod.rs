//! The requester side of the exchange: an application service asks for evidence; the node
//! chooses the provider ([`choose`]), sends a signed request through the transport and logs it,
//! and checks the answer ([`check`]) before it logs it and returns the evidence.

mod check;
mod choose;
mod error;
mod query;

use std::sync::Arc;
use std::time::Instant;

use once_runtime::signed::SignedMessages;
use once_runtime::telemetry::{Span, SpanKind, Tracer};

pub use check::{Sent, check_answer};
pub use error::{ProviderRefusal, RequestError, RequestOutcome};
pub use query::{CheckedQuery, EvidenceQuery, SubjectInput, TransportChoice};

use crate::config::ProviderConfig;
use crate::db::log::{Direction, Kind, OUTCOME_EVIDENCE};
use crate::exchange::Identity;
use crate::exchange::dialect::{self, Dialect};
use crate::exchange::discovery::Discovery;
use crate::exchange::logbook::{LogEntry, Logbook};
use crate::exchange::metrics::{ExchangeMetrics, Role};
use crate::exchange::transport::as4::As4Transport;
use crate::exchange::transport::{Destination, Outgoing, Received, Transport};

/// The requester side of a node.
#[derive(Debug)]
pub struct Requester {
    identity: Identity,
    dialect: Dialect,
    signed: SignedMessages,
    transport: Arc<dyn Transport>,
    as4: Option<Arc<As4Transport>>,
    logbook: Arc<Logbook>,
    providers: Vec<ProviderConfig>,
    discovery: Option<Arc<Discovery>>,
    metrics: ExchangeMetrics,
    tracer: Option<Arc<Tracer>>,
}

/// What the requester is built from.
#[derive(Debug)]
pub struct RequesterParts {
    /// This node in messages.
    pub identity: Identity,
    /// What this node calls things in each profile.
    pub dialect: Dialect,
    /// Signs requests and checks answers.
    pub signed: SignedMessages,
    /// Carries requests to providers in the federation.
    pub transport: Arc<dyn Transport>,
    /// Carries requests to AS4 partners, if this node is an AS4 access point (the running
    /// node: the answers arrive at its AS4 endpoint).
    pub as4: Option<Arc<As4Transport>>,
    /// The message log.
    pub logbook: Arc<Logbook>,
    /// The static `[[providers]]` table.
    pub providers: Vec<ProviderConfig>,
    /// Discovery through the register map, if one is configured.
    pub discovery: Option<Arc<Discovery>>,
    /// Exchange metrics.
    pub metrics: ExchangeMetrics,
    /// Exports the call to the provider as a client span, if telemetry is configured.
    pub tracer: Option<Arc<Tracer>>,
}

impl Requester {
    /// The requester from its parts.
    pub fn new(parts: RequesterParts) -> Requester {
        let RequesterParts {
            identity,
            dialect,
            signed,
            transport,
            as4,
            logbook,
            providers,
            discovery,
            metrics,
            tracer,
        } = parts;
        Requester {
            identity,
            dialect,
            signed,
            transport,
            as4,
            logbook,
            providers,
            discovery,
            metrics,
            tracer,
        }
    }

    /// The register map's discovery client, if one is configured.
    pub fn discovery(&self) -> Option<&Arc<Discovery>> {
        self.discovery.as_ref()
    }

    /// Asks for evidence: choose → send → check. Every attempt is counted in the metrics.
    pub async fn request(&self, query: EvidenceQuery) -> Result<RequestOutcome, RequestError> {
        let started = Instant::now();
        let mut provider = None;
        let result = self.request_from(&query, &mut provider).await;
        let outcome = match &result {
            Ok(RequestOutcome::Evidence { .. }) => OUTCOME_EVIDENCE,
            Ok(RequestOutcome::PreviewRequired { .. }) => "preview_required",
            Err(e) => e.outcome(),
        };
        self.metrics.record(
            Role::Requester,
            provider.as_deref().unwrap_or_default(),
            &query.evidence_type,
            outcome,
            started,
        );
        result
    }

    /// [`Requester::request`], noting the provider it chose in `chosen`.
    async fn request_from(
        &self,
        query: &EvidenceQuery,
        chosen: &mut Option<String>,
    ) -> Result<RequestOutcome, RequestError> {
        let checked = query.check()?;
        let provider = self.choose(query).await?;
        *chosen = Some(provider.member.to_string());
        let transport = self.transport_for(query, &provider)?;
        // OOTS access points speak the EU profile.
        let profile = match provider.profile {
            Some(configured) => dialect::profile(configured),
            None if transport.name() == "as4" => once_xml::Profile::Oots,
            None => self.dialect.default_profile(),
        };
        let request = checked.to_request(
            &self.dialect,
            profile,
            &provider.member,
            provider.name.as_deref(),
        )?;
        let document = request
            .try_to_xml_as(profile)
            .map_err(|e| RequestError::Invalid(e.to_string()))?
            .into_bytes();
        let sealed = transport
            .seal(&Outgoing {
                document: &document,
                attachments: &[],
                sender: &self.identity.member,
                receiver: &provider.member,
                in_reply_to: None,
            })
            .map_err(|e| RequestError::Internal(e.to_string()))?;
        let log = Entries::new(&self.logbook, query, &checked, &request.id, &provider);
        log.append(Kind::Request, Direction::Out, "sent", sealed.body.clone())
            .await?;
        let received = match self
            .send(transport, query, &request.id, &provider, sealed)
            .await
        {
            Ok(received) => received,
            Err(e) => {
                // The failure is recorded too, so the log shows every attempt.
                if let Err(log_error) = log
                    .append(Kind::Response, Direction::In, e.code(), Vec::new())
                    .await
                {
                    tracing::error!(error = %log_error, "the failed attempt could not be logged");
                }
                return Err(e);
            }
        };
        let provider = self.repinned(provider, query, &received).await;
        let sent = Sent {
            dialect: &self.dialect,
            provider: &provider,
            request: &request,
            requester: &self.identity.member,
            request_document: &document,
            kind: checked.kind,
        };
        let checked_answer = check_answer(&self.signed, transport, sent, &received);
        let outcome_text = match &checked_answer {
            Ok(RequestOutcome::Evidence { .. }) => OUTCOME_EVIDENCE.to_owned(),
            Ok(RequestOutcome::PreviewRequired { code, .. }) => format!("{code} preview"),
            Err(e) => e.outcome().to_owned(),
        };
        log.append(Kind::Response, Direction::In, &outcome_text, received.body)
            .await?;
        tracing::info!(
            evidence.request_id = %request.id,
            exchange.provider = %provider.member,
            exchange.outcome = %outcome_text,
            "evidence request done"
        );
        checked_answer
    }

    /// Sends the sealed request through the transport, as a child span of the query's trace.
    async fn send(
        &self,
        transport: &dyn Transport,
        query: &EvidenceQuery,
        request_id: &str,
        provider: &ProviderConfig,
        sealed: crate::exchange::transport::Sealed,
    ) -> Result<Received, RequestError> {
        let mut call = Span::start(
            self.tracer.as_deref(),
            SpanKind::Client,
            "POST /v1/exchange",
            query.trace,
        );
        let destination = Destination {
            member: provider.member.clone(),
            url: provider.url.clone(),
        };
        let received = transport
            .send(&destination, sealed, call.context().header())
            .await
            .map_err(|e| RequestError::from_send(provider.member.as_str(), e));
        if call.is_recorded() {
            let outcome = received.as_ref().map_or_else(|e| e.code(), |_| "answered");
            call.set_attribute("url.full", provider.url.clone());
            call.set_attribute("once.peer.member_id", provider.member.to_string());
            call.set_attribute("once.evidence_type", query.evidence_type.clone());
            call.set_attribute("once.request_id", request_id.to_owned());
            call.set_attribute("once.outcome", outcome);
        }
        call.end(received.is_err());
        received
    }

    /// The transport to reach `provider` with: the one the query names, else AS4 for an AS4
    /// partner and the national transport for everyone else.
    fn transport_for(
        &self,
        query: &EvidenceQuery,
        provider: &ProviderConfig,
    ) -> Result<&dyn Transport, RequestError> {
        let partner = self.as4.as_ref().filter(|as4| as4.serves(&provider.member));
        match (query.transport, partner) {
            (Some(TransportChoice::Mtls), _) | (None, None) => Ok(self.transport.as_ref()),
            (Some(TransportChoice::As4) | None, Some(as4)) => Ok(as4.as_ref()),
            (Some(TransportChoice::As4), None) => Err(RequestError::NoProvider(match &self.as4 {
                Some(_) => format!(
                    "{} is not an AS4 partner of this node (once as4 partner list)",
                    provider.member
                ),
                None => "this node is no AS4 access point here ([as4] is not configured, or \
                         the request does not go through the running node)"
                    .to_owned(),
            })),
        }
    }

    /// A provider found through the map whose certificate is not the one cached may have
    /// rotated it: the map is asked again, and what it says now is pinned.
    async fn repinned(
        &self,
        mut provider: ProviderConfig,
        query: &EvidenceQuery,
        received: &Received,
    ) -> ProviderConfig {
        if let (Some(pinned), Some(der), Some(discovery)) = (
            provider.tls_fingerprint.as_deref(),
            received.peer_certificate.as_deref(),
            &self.discovery,
        ) && once_pki::sha256_hex(der) != pinned
            && let Some(current) = discovery
                .current_fingerprint(
                    &query.evidence_type,
                    query.jurisdiction.as_deref(),
                    &provider.member,
                )
                .await
        {
            provider.tls_fingerprint = Some(current);
        }
        provider
    }
}

/// The log entries of one exchange share everything but direction, kind, outcome and message.
struct Entries<'a> {
    logbook: &'a Logbook,
    template: LogEntry,
}

impl<'a> Entries<'a> {
    fn new(
        logbook: &'a Logbook,
        query: &EvidenceQuery,
        checked: &CheckedQuery,
        request_id: &str,
        provider: &ProviderConfig,
    ) -> Entries<'a> {
        let subject_digest = checked
            .tax_id
            .as_ref()
            .map(|id| logbook.subject_digest(&id.to_string()))
            .unwrap_or_default();
        Entries {
            logbook,
            template: LogEntry {
                direction: Direction::Out,
                kind: Kind::Request,
                exchange_id: request_id.to_owned(),
                peer: provider.member.as_str().to_owned(),
                evidence_type: query.evidence_type.clone(),
                subject_digest,
                procedure: query.procedure.clone(),
                legal_basis: query.legal_basis.clone(),
                outcome: String::new(),
                message: Vec::new(),
            },
        }
    }

    async fn append(
        &self,
        kind: Kind,
        direction: Direction,
        outcome: &str,
        message: Vec<u8>,
    ) -> Result<(), RequestError> {
        let entry = LogEntry {
            kind,
            direction,
            outcome: outcome.to_owned(),
            message,
            ..self.template.clone()
        };
        self.logbook.append(entry).await.map(|_| ()).map_err(|e| {
            tracing::error!(error = %e, "message log");
            RequestError::LogUnavailable
        })
    }
}
