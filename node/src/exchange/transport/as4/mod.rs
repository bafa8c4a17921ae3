//! eDelivery AS4 as a transport: the node as an OOTS access point for partners outside the
//! federation (other member states' access points), beside the national transport.
//!
//! AS4 is one-way: a request is a user message (`ExecuteQueryRequest`) pushed to the partner,
//! which answers at once with a signed receipt; the answer (`ExecuteQueryResponse` or
//! `ExceptionResponse`, naming the request in `RefToMessageId`) is a user message of its own
//! pushed back to this node's AS4 endpoint, which answers it with a receipt. So:
//!
//! - [`Transport::seal`] builds the signed and encrypted user message (the EDM document and
//!   the evidence as gzip-compressed payloads) for the partner the receiver is;
//! - [`Transport::send`] pushes it ([`outbound`]: the receipt checked against what was sent,
//!   retried with the same MessageId until one arrives) and then waits for the answer that the
//!   endpoint ([`inbound`]) hands over;
//! - [`Transport::open`] opens an answer: the signature by exactly the partner's configured
//!   certificate, decryption, payload digests;
//! - the endpoint opens requests once, records their MessageId (duplicate elimination), answers
//!   with a receipt, and gives them to the provider, whose answer is sealed here and pushed.
//!
//! Receipts and error signals, sent and received, go into the message log beside the messages.

mod inbound;
mod outbound;
pub mod partners;
pub mod setup;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use once_as4::oots::{self, Action, OotsHeader, SchemedId};
use once_as4::send::{self, OutgoingPayload};
use once_as4::{
    Credentials, Keyring, OwnKeys, Received as As4Received, SignedReference, Suite, UserMessage,
};
use once_pki::MemberId;
use time::OffsetDateTime;
use tokio::sync::oneshot;

pub use inbound::{Inbound, InboundRequest, Reply};
pub use partners::{Partner, Partners};

use super::{
    Attachment, Destination, OpenError, Opened, Outgoing, Received, SealError, Sealed, SendError,
    Transport,
};
use crate::config::{As4Config, OotsConfig};
use crate::db::DbPool;
use crate::db::log::{Direction, Kind};
use crate::exchange::logbook::{LogEntry, Logbook};
use crate::exchange::sha256;
use once_xml::dsig::MessageProperties;

/// The content id of the EDM document's payload.
const EDM_CONTENT_ID: &str = "edm@once";

/// What the transport is built from.
#[derive(Debug)]
pub struct As4Parts {
    /// This node's member id.
    pub member: MemberId,
    /// `[as4]`.
    pub config: As4Config,
    /// `[oots]`: this node's agent and its peers'.
    pub oots: OotsConfig,
    /// The AS4 signing and decryption keys with their certificates, one per suite.
    pub credentials: Keyring,
    /// The partner table.
    pub partners: Arc<Partners>,
    /// The message log (receipts and signals).
    pub logbook: Arc<Logbook>,
    /// The database (received MessageIds).
    pub pool: DbPool,
    /// The HTTPS client for partners' endpoints.
    pub client: reqwest::Client,
    /// Limits on incoming messages.
    pub limits: once_as4::Limits,
    /// How long a requester waits for an answer, in milliseconds.
    pub timeout_ms: u64,
}

/// eDelivery AS4 with the OOTS header.
#[derive(Debug)]
pub struct As4Transport {
    member: MemberId,
    config: As4Config,
    oots: OotsConfig,
    me: Keyring,
    partners: Arc<Partners>,
    logbook: Arc<Logbook>,
    pool: DbPool,
    client: reqwest::Client,
    limits: once_as4::Limits,
    timeout: Duration,
    tables: Mutex<Tables>,
}

/// What the transport remembers between sealing, sending, receiving and opening.
#[derive(Debug, Default)]
struct Tables {
    /// Messages sealed and not yet delivered, by SHA-256 of their body.
    outgoing: HashMap<[u8; 32], OutgoingMessage>,
    /// Requests sent: their MessageId → SHA-256 of the EDM document, to bind the answer.
    requests_sent: HashMap<String, ([u8; 32], Instant)>,
    /// Requests received: SHA-256 of the EDM document → what the answer repeats.
    requests_received: HashMap<[u8; 32], RequestReceived>,
    /// Requesters waiting for the answer to their request, by its MessageId.
    waiters: HashMap<String, oneshot::Sender<Received>>,
    /// Answers the endpoint opened and handed to their requester, by SHA-256 of the message.
    answers_opened: HashMap<[u8; 32], (Opened<'static>, Instant)>,
}

/// A message sealed for a partner: what its receipt must acknowledge.
#[derive(Debug, Clone)]
struct OutgoingMessage {
    header: UserMessage,
    references: Vec<SignedReference>,
    partner: Partner,
    exchange_id: String,
    at: Instant,
}

/// What an answer to a received request repeats of it.
#[derive(Debug, Clone)]
struct RequestReceived {
    message_id: String,
    party_id: String,
    header: OotsHeader,
    at: Instant,
}

impl Tables {
    /// Forgets what is older than `age` (messages never sent, answers never opened).
    fn prune(&mut self, age: Duration) {
        let now = Instant::now();
        let fresh = |at: &Instant| now.duration_since(*at) < age;
        self.outgoing.retain(|_, m| fresh(&m.at));
        self.requests_sent.retain(|_, (_, at)| fresh(at));
        self.requests_received.retain(|_, r| fresh(&r.at));
        self.answers_opened.retain(|_, (_, at)| fresh(at));
        self.waiters.retain(|_, w| !w.is_closed());
    }
}

impl As4Transport {
    /// The transport from its parts.
    pub fn new(parts: As4Parts) -> As4Transport {
        As4Transport {
            member: parts.member,
            config: parts.config,
            oots: parts.oots,
            me: parts.credentials,
            partners: parts.partners,
            logbook: parts.logbook,
            pool: parts.pool,
            client: parts.client,
            limits: parts.limits,
            timeout: Duration::from_millis(parts.timeout_ms),
            tables: Mutex::new(Tables::default()),
        }
    }

    /// The partner table.
    pub fn partners(&self) -> &Arc<Partners> {
        &self.partners
    }

    /// Whether `member` is reached over AS4 (it is a partner's authority).
    pub fn serves(&self, member: &MemberId) -> bool {
        self.partners.by_member(member).is_some()
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How long what the tables hold is kept: well past any answer's timeout and retries.
    fn retention(&self) -> Duration {
        self.timeout * 2 + Duration::from_secs(120)
    }

    /// The key to sign with for `suite`; without one (or without a suite), the first key.
    fn signing_key(&self, suite: Option<Suite>) -> &Credentials {
        suite
            .and_then(|s| self.me.for_suite(s))
            .unwrap_or(&self.me.credentials()[0])
    }

    /// This node's OOTS agent identifier.
    fn own_agent(&self) -> SchemedId {
        SchemedId {
            scheme: self.oots.agent_scheme.clone(),
            id: self.oots.agent_id.clone(),
        }
    }

    /// The OOTS agent identifier of a member, as `[oots] members` configures it.
    fn agent_of(&self, member: &MemberId) -> Option<SchemedId> {
        self.oots
            .members
            .iter()
            .find(|m| &m.member == member)
            .map(|m| SchemedId {
                scheme: m.agent_scheme.clone(),
                id: m.agent_id.clone(),
            })
    }

    /// The header of a message to `partner`: a request, or the answer to a received one.
    fn header_for(
        &self,
        outgoing: &Outgoing<'_>,
        partner: &Partner,
    ) -> Result<(OotsHeader, Option<[u8; 32]>), SealError> {
        let pack = |detail: String| SealError::Pack(detail);
        let own = self.own_agent();
        match outgoing.in_reply_to {
            None => {
                let final_recipient = self.agent_of(outgoing.receiver).ok_or_else(|| {
                    pack(format!(
                        "no OOTS agent identifier is configured for {} ([[oots.members]])",
                        outgoing.receiver
                    ))
                })?;
                let exchange_id = edm_id(outgoing.document, "id")
                    .unwrap_or_else(|| format!("urn:uuid:{}", uuid::Uuid::new_v4()));
                Ok((
                    OotsHeader {
                        from_party: self.config.party_id.clone(),
                        to_party: partner.party_id.clone(),
                        action: Action::ExecuteQueryRequest,
                        conversation_id: uuid::Uuid::new_v4().to_string(),
                        ref_to_message_id: None,
                        original_sender: own,
                        final_recipient,
                        exchange_id,
                        specification_id: self.oots.specification.clone(),
                    },
                    Some(sha256(outgoing.document)),
                ))
            }
            Some(digest) => {
                let request = self
                    .tables()
                    .requests_received
                    .remove(&digest)
                    .ok_or_else(|| {
                        pack("the request this answers was not received over AS4".into())
                    })?;
                if request.party_id != partner.party_id {
                    return Err(pack(format!(
                        "the request came from {}, not from {}",
                        request.party_id, partner.party_id
                    )));
                }
                let action = if is_exception(outgoing.document) {
                    Action::ExceptionResponse
                } else {
                    Action::ExecuteQueryResponse
                };
                Ok((
                    OotsHeader {
                        from_party: self.config.party_id.clone(),
                        to_party: partner.party_id.clone(),
                        action,
                        conversation_id: request.header.conversation_id,
                        ref_to_message_id: Some(request.message_id),
                        original_sender: own,
                        final_recipient: request.header.original_sender,
                        exchange_id: request.header.exchange_id,
                        specification_id: request.header.specification_id,
                    },
                    None,
                ))
            }
        }
    }

    /// An opened user message as the exchange sees it: the EDM document (the first payload),
    /// the others as attachments, signed by the partner's authority.
    fn opened(
        &self,
        received: As4Received,
        partner: &Partner,
        in_reply_to: Option<[u8; 32]>,
    ) -> Result<Opened<'static>, OpenError> {
        let message_id = received.header.message_id.clone();
        let created = received.header.timestamp;
        let mut payloads = received.payloads.into_iter();
        let document = payloads
            .next()
            .ok_or_else(|| OpenError::Malformed("the message carries no EDM document".into()))?;
        Ok(Opened {
            document: document.bytes.into(),
            attachments: payloads
                .map(|p| Attachment {
                    content_id: p.content_id.into(),
                    content_type: p
                        .mime_type
                        .unwrap_or_else(|| "application/octet-stream".into())
                        .into(),
                    body: p.bytes.into(),
                })
                .collect(),
            signer: partner.member.clone(),
            properties: {
                let properties = MessageProperties::new(
                    message_id,
                    partner.member.as_str(),
                    self.member.as_str(),
                    created,
                );
                match in_reply_to {
                    Some(digest) => properties.in_reply_to(digest),
                    None => properties,
                }
            },
        })
    }

    /// Logs a receipt or signal of the exchange `exchange_id` with `partner`.
    async fn log_signal(
        &self,
        direction: Direction,
        kind: Kind,
        exchange_id: &str,
        peer: &str,
        outcome: &str,
        message: Vec<u8>,
    ) {
        let entry = LogEntry {
            direction,
            kind,
            exchange_id: exchange_id.to_owned(),
            peer: peer.to_owned(),
            evidence_type: String::new(),
            subject_digest: String::new(),
            procedure: String::new(),
            legal_basis: String::new(),
            outcome: outcome.to_owned(),
            message,
        };
        if let Err(e) = self.logbook.append(entry).await {
            tracing::error!(error = %e, "an AS4 signal could not be logged");
        }
    }
}

/// The value of the root element's attribute `name` in an EDM document this node wrote.
fn edm_id(document: &[u8], name: &str) -> Option<String> {
    let root = once_xml::tree::parse(document, &once_xml::Limits::default()).ok()?;
    root.attribute(None, name).map(ToOwned::to_owned)
}

/// Whether an EDM answer is an error response (an `rs:Exception` under the root).
fn is_exception(document: &[u8]) -> bool {
    once_xml::tree::parse(document, &once_xml::Limits::default())
        .is_ok_and(|root| root.child(once_xml::ns::RS, "Exception").is_some())
}

impl Transport for As4Transport {
    fn name(&self) -> &'static str {
        "as4"
    }

    fn federation_pki(&self) -> bool {
        false
    }

    fn seal(&self, outgoing: &Outgoing<'_>) -> Result<Sealed, SealError> {
        let partner = self.partners.by_member(outgoing.receiver).ok_or_else(|| {
            SealError::Pack(format!("{} is not an AS4 partner", outgoing.receiver))
        })?;
        let (header, request_digest) = self.header_for(outgoing, &partner)?;
        let user = header.to_user_message(
            send::message_id(self.config.message_domain()),
            OffsetDateTime::now_utc(),
        );
        let mut payloads = vec![OutgoingPayload {
            content_id: EDM_CONTENT_ID.to_owned(),
            mime_type: oots::EBRS_MIME_TYPE.to_owned(),
            bytes: outgoing.document,
            compress: true,
        }];
        payloads.extend(outgoing.attachments.iter().map(|part| OutgoingPayload {
            content_id: part.content_id.to_owned(),
            mime_type: part.content_type.to_owned(),
            bytes: part.body,
            compress: true,
        }));
        let suite = partner.certificate.suite();
        let me = self.me.for_suite(suite).ok_or_else(|| {
            SealError::Sign(format!(
                "the partner {} uses the suite {suite}, and [as4] has no {} key for it",
                partner.party_id,
                suite.key_kind()
            ))
        })?;
        let sent =
            send::user_message(&user, &payloads, me, &partner.certificate).map_err(
                |e| match e {
                    send::SendError::Key(e) => SealError::Sign(e.to_string()),
                    other => SealError::Pack(other.to_string()),
                },
            )?;
        let message_id = sent.header.message_id.clone();
        let mut tables = self.tables();
        tables.prune(self.retention());
        if let Some(digest) = request_digest {
            tables
                .requests_sent
                .insert(message_id, (digest, Instant::now()));
        }
        tables.outgoing.insert(
            sha256(&sent.body),
            OutgoingMessage {
                header: sent.header,
                references: sent.references,
                partner,
                exchange_id: header.exchange_id,
                at: Instant::now(),
            },
        );
        Ok(Sealed {
            content_type: sent.content_type,
            body: sent.body,
        })
    }

    fn open<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, OpenError> {
        // Opened already by the endpoint when it arrived.
        if let Some((opened, _)) = self.tables().answers_opened.remove(&sha256(body)) {
            return Ok(opened);
        }
        let (received, partner) = self
            .open_user_message(content_type.unwrap_or_default(), body)
            .map_err(|e| match e.code {
                once_as4::EbmsCode::FailedAuthentication | once_as4::EbmsCode::FailedDecryption => {
                    OpenError::Unauthenticated(e.to_string())
                }
                _ => OpenError::Malformed(e.to_string()),
            })?;
        let in_reply_to = received.header.ref_to_message_id.as_ref().and_then(|id| {
            self.tables()
                .requests_sent
                .get(id)
                .map(|(digest, _)| *digest)
        });
        self.opened(received, &partner, in_reply_to)
    }

    fn send<'a>(
        &'a self,
        to: &'a Destination,
        request: Sealed,
        _traceparent: String,
    ) -> BoxFuture<'a, Result<Received, SendError>> {
        async move {
            let deadline = tokio::time::Instant::now() + self.timeout;
            let timeout_ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
            let message = self
                .tables()
                .outgoing
                .remove(&sha256(&request.body))
                .ok_or_else(|| SendError::Unreachable {
                    url: to.url.clone(),
                    detail: "the message was not sealed by this transport".into(),
                })?;
            let (tx, rx) = oneshot::channel();
            let message_id = message.header.message_id.clone();
            self.tables().waiters.insert(message_id.clone(), tx);
            let answer = async {
                tokio::time::timeout_at(deadline, self.deliver(&message, &request))
                    .await
                    .unwrap_or(Err(SendError::Timeout { timeout_ms }))?;
                tokio::time::timeout_at(deadline, rx)
                    .await
                    .map_err(|_| SendError::Timeout { timeout_ms })?
                    .map_err(|_| SendError::ConnectionLost {
                        detail: "the node stopped waiting for the answer".into(),
                    })
            }
            .await;
            self.tables().waiters.remove(&message_id);
            answer
        }
        .boxed()
    }
}

/// The AS4 transport's upkeep: the partner table read again every
/// [`partners::REFRESH_SECONDS`], received MessageIds older than `duplicate_window_seconds`
/// forgotten every minute.
pub async fn maintain(transport: Arc<As4Transport>, duplicate_window_seconds: i64) {
    let mut tick = tokio::time::interval(Duration::from_secs(partners::REFRESH_SECONDS));
    let mut n: u64 = 0;
    loop {
        tick.tick().await;
        if let Err(e) = transport.partners.refresh().await {
            tracing::warn!(error = %e, "AS4 partners could not be read");
        }
        n += 1;
        if n.is_multiple_of(60 / partners::REFRESH_SECONDS) {
            let before = OffsetDateTime::now_utc().unix_timestamp() - duplicate_window_seconds;
            if let Err(e) = crate::db::run(&transport.pool, move |conn| {
                crate::db::as4::prune_received(conn, before)
            })
            .await
            {
                tracing::warn!(error = %e, "pruning received AS4 MessageIds failed");
            }
        }
    }
}
