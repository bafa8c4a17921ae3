//! The AS4 endpoint's side: a user message arrives, is opened once (signature by exactly the
//! sending partner's configured certificate, decryption, payload digests), checked against the
//! OOTS header rules, recorded by MessageId (duplicate elimination), and answered at once with a
//! signed receipt, or with a signed ebMS error signal naming what is wrong. A request then goes
//! to the provider; an answer goes to the requester waiting for it.

use once_as4::oots::{Action, OotsHeader};
use once_as4::signal::{self, Signal};
use once_as4::{
    Certificate, EbmsCode, EbmsError, Party, Received as As4Received, SignerCheck, Suite,
};
use time::OffsetDateTime;

use super::partners::{Partner, PartnerSigner};
use super::{As4Transport, RequestReceived};
use crate::db::as4::{self as store, Arrival, ReceivedMessage};
use crate::db::log::{Direction, Kind};
use crate::db::{self};
use crate::exchange::sha256;
use crate::exchange::transport::{Opened, Received};

/// The synchronous answer to a message that arrived: a receipt or an error signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `Content-Type`.
    pub content_type: String,
    /// The signal, signed.
    pub body: Vec<u8>,
}

/// What arrived, once acknowledged.
#[derive(Debug)]
pub enum Inbound {
    /// A request for the provider: opened, from `partner`.
    Request(Box<InboundRequest>),
    /// Nothing more to do: an answer handed to its requester, a duplicate, or a refusal.
    Done,
}

/// A request that arrived over AS4, for the provider.
#[derive(Debug)]
pub struct InboundRequest {
    /// The request, opened.
    pub opened: Opened<'static>,
    /// Its sender.
    pub partner: Partner,
}

/// The party of a message that is not a partner's (told apart so that the table is read
/// again before the message is refused).
struct Unknown;

/// The signer check over the partner snapshot; it notes whether the sender is unknown, and the
/// suite of a known one (an error signal to it is signed with that suite's key).
struct SnapshotSigner<'a> {
    transport: &'a As4Transport,
    unknown: std::cell::Cell<bool>,
    suite: std::cell::Cell<Option<Suite>>,
}

/// Why a message could not be opened: the error, whether its sender is unknown, and the suite
/// of its sender if known.
type OpenFailure = (EbmsError, Option<Unknown>, Option<Suite>);

impl SignerCheck for SnapshotSigner<'_> {
    fn check(&self, from: &Party, certificate: &Certificate) -> Result<(), String> {
        match self.transport.partners.by_party(&from.id) {
            Some(partner) => {
                self.suite.set(Some(partner.certificate.suite()));
                PartnerSigner(&partner).check(from, certificate)
            }
            None => {
                self.unknown.set(true);
                Err(format!("{} is not a partner of this access point", from.id))
            }
        }
    }
}

impl As4Transport {
    /// Opens a user message with the partner snapshot as it is.
    pub(super) fn open_user_message(
        &self,
        content_type: &str,
        body: &[u8],
    ) -> Result<(As4Received, Partner), EbmsError> {
        self.open_checked(content_type, body).map_err(|(e, _, _)| e)
    }

    fn open_checked(
        &self,
        content_type: &str,
        body: &[u8],
    ) -> Result<(As4Received, Partner), OpenFailure> {
        let signers = SnapshotSigner {
            transport: self,
            unknown: std::cell::Cell::new(false),
            suite: std::cell::Cell::new(None),
        };
        let received =
            once_as4::receive::open(content_type, body, &self.me, &signers, &self.limits).map_err(
                |e| {
                    (
                        e,
                        signers.unknown.get().then_some(Unknown),
                        signers.suite.get(),
                    )
                },
            )?;
        let partner = self
            .partners
            .by_party(&received.header.from.id)
            .ok_or_else(|| {
                (
                    EbmsError::new(
                        EbmsCode::FailedAuthentication,
                        "the partner was removed while its message was read",
                    ),
                    None,
                    Some(received.suite),
                )
            })?;
        Ok((received, partner))
    }

    /// Takes a message posted to the AS4 endpoint: the reply to send back at once, and what to
    /// do next.
    pub async fn receive(&self, content_type: Option<&str>, body: &[u8]) -> (Reply, Inbound) {
        let content_type = content_type.unwrap_or_default();
        let opened = match self.open_checked(content_type, body) {
            Err((_, Some(Unknown), _)) => {
                // A partner added a moment ago: read the table again, once.
                if let Err(e) = self.partners.refresh().await {
                    tracing::warn!(error = %e, "AS4 partners could not be read");
                }
                self.open_checked(content_type, body)
            }
            other => other,
        };
        let (received, partner) = match opened {
            Ok(opened) => opened,
            Err((e, _, suite)) => return (self.refuse(&e, None, "", suite).await, Inbound::Done),
        };
        let peer = partner.member.as_str().to_owned();
        let suite = Some(received.suite);
        let header = match self.check_header(&received) {
            Ok(header) => header,
            Err(e) => return (self.refuse(&e, Some(&peer), "", suite).await, Inbound::Done),
        };
        let exchange = header.exchange_id.clone();
        let receipt = match signal::receipt(&received, &self.me, self.config.message_domain()) {
            Ok(receipt) => receipt,
            Err(e) => {
                tracing::error!(error = %e, "an AS4 receipt could not be signed");
                let e = EbmsError::new(EbmsCode::Other, "the receipt could not be signed")
                    .about(Some(&received.header.message_id));
                return (
                    self.refuse(&e, Some(&peer), &exchange, suite).await,
                    Inbound::Done,
                );
            }
        };
        let message_id = received.header.message_id.clone();
        let refusal = match self.arrive(&received, &partner, body).await {
            Ok(Arrival::New) => None,
            // Duplicate elimination: a MessageId is delivered once. The same message again is
            // refused, so that a replay is seen as one; a sender that retried because a
            // receipt was lost learns from the detail that it arrived.
            Ok(Arrival::Duplicate(at)) => Some(EbmsError::new(
                EbmsCode::Other,
                format!(
                    "duplicate: MessageId {message_id} was already received (at {}) and is not delivered again",
                    OffsetDateTime::from_unix_timestamp(at)
                        .map_or_else(|_| at.to_string(), |t| t.to_string())
                ),
            )),
            Ok(Arrival::Conflict) => Some(EbmsError::new(
                EbmsCode::Other,
                format!("MessageId {message_id} was already received with other content"),
            )),
            Err(e) => {
                tracing::error!(error = %e, "AS4: the MessageId could not be recorded");
                Some(EbmsError::new(
                    EbmsCode::DeliveryFailure,
                    "the access point cannot record the message right now; send it again later",
                ))
            }
        };
        if let Some(e) = refusal {
            let e = e.about(Some(&message_id));
            return (
                self.refuse(&e, Some(&peer), &exchange, suite).await,
                Inbound::Done,
            );
        }
        self.log_signal(
            Direction::Out,
            Kind::Receipt,
            &exchange,
            &peer,
            "receipt",
            receipt.body.clone(),
        )
        .await;
        let reply = signal_reply(&receipt, receipt.body.clone());
        let next = match header.action {
            Action::ExecuteQueryRequest => self.request_arrived(received, partner, header),
            Action::ExecuteQueryResponse | Action::ExceptionResponse => {
                self.answer_arrived(content_type, body, received, &partner, &exchange)
                    .await;
                Inbound::Done
            }
        };
        (reply, next)
    }

    /// The OOTS header of a message for this access point.
    fn check_header(&self, received: &As4Received) -> Result<OotsHeader, EbmsError> {
        let about = Some(received.header.message_id.as_str());
        let header = OotsHeader::read(&received.header).map_err(|detail| {
            EbmsError::new(EbmsCode::ProcessingModeMismatch, detail).about(about)
        })?;
        if header.to_party != self.config.party_id {
            return Err(EbmsError::new(
                EbmsCode::ProcessingModeMismatch,
                format!(
                    "the message is for {}, not for this access point ({})",
                    header.to_party, self.config.party_id
                ),
            )
            .about(about));
        }
        let answer = header.action != Action::ExecuteQueryRequest;
        if answer != header.ref_to_message_id.is_some() {
            return Err(EbmsError::new(
                EbmsCode::ValueInconsistent,
                "an answer names its request in RefToMessageId, and only an answer does",
            )
            .about(about));
        }
        Ok(header)
    }

    /// Records the MessageId.
    async fn arrive(
        &self,
        received: &As4Received,
        partner: &Partner,
        body: &[u8],
    ) -> Result<Arrival, db::DbError> {
        let (message_id, party_id) = (received.header.message_id.clone(), partner.party_id.clone());
        let digest = hex::encode(sha256(body));
        let now = OffsetDateTime::now_utc().unix_timestamp();
        db::run(&self.pool, move |conn| {
            store::arrive(
                conn,
                &ReceivedMessage {
                    message_id: &message_id,
                    party_id: &party_id,
                    body_sha256: &digest,
                    received_at: now,
                },
            )
        })
        .await
    }

    /// A request: remembered for its answer, and handed to the provider.
    fn request_arrived(
        &self,
        received: As4Received,
        partner: Partner,
        header: OotsHeader,
    ) -> Inbound {
        let message_id = received.header.message_id.clone();
        let opened = match self.opened(received, &partner, None) {
            Ok(opened) => opened,
            Err(e) => {
                tracing::warn!(error = %e, "AS4 request without a document");
                return Inbound::Done;
            }
        };
        let mut tables = self.tables();
        tables.prune(self.retention());
        tables.requests_received.insert(
            sha256(&opened.document),
            RequestReceived {
                message_id,
                party_id: partner.party_id.clone(),
                header,
                at: std::time::Instant::now(),
            },
        );
        drop(tables);
        Inbound::Request(Box::new(InboundRequest { opened, partner }))
    }

    /// An answer: handed to the requester waiting for it, or logged if none waits any more.
    /// What was opened here is kept for the requester's `Transport::open` of the same bytes,
    /// so that the answer is decrypted once.
    async fn answer_arrived(
        &self,
        content_type: &str,
        body: &[u8],
        received: As4Received,
        partner: &Partner,
        exchange: &str,
    ) {
        let message_id = received.header.message_id.clone();
        let request = received
            .header
            .ref_to_message_id
            .clone()
            .unwrap_or_default();
        let digest = sha256(body);
        let in_reply_to = self.tables().requests_sent.get(&request).map(|(d, _)| *d);
        if let Ok(opened) = self.opened(received, partner, in_reply_to) {
            self.tables()
                .answers_opened
                .insert(digest, (opened, std::time::Instant::now()));
        }
        let waiter = self.tables().waiters.remove(&request);
        let answer = Received {
            content_type: Some(content_type.to_owned()),
            body: body.to_vec(),
            peer_certificate: None,
        };
        if !matches!(waiter.map(|w| w.send(answer)), Some(Ok(()))) {
            self.tables().answers_opened.remove(&digest);
            tracing::warn!(
                as4.message_id = %message_id,
                "an AS4 answer arrived that no request waits for (any more)"
            );
            self.log_signal(
                Direction::In,
                Kind::Response,
                exchange,
                partner.member.as_str(),
                "unexpected",
                body.to_vec(),
            )
            .await;
        }
    }

    /// The reply to a message that was not read: larger than the limit, or not sent in time.
    pub async fn refuse_unread(&self, code: EbmsCode, detail: String) -> Reply {
        self.refuse(&EbmsError::new(code, detail), None, "", None)
            .await
    }

    /// A signed error signal for a message refused, logged; signed with the key of `suite`
    /// (the sender's, where known), else with the first key configured.
    async fn refuse(
        &self,
        e: &EbmsError,
        peer: Option<&str>,
        exchange: &str,
        suite: Option<Suite>,
    ) -> Reply {
        tracing::warn!(code = e.code.code(), detail = %e.detail, "AS4 message refused");
        match signal::error(e, self.signing_key(suite), self.config.message_domain()) {
            Ok(signal) => {
                self.log_signal(
                    Direction::Out,
                    Kind::Signal,
                    exchange,
                    peer.unwrap_or("unknown"),
                    e.code.code(),
                    signal.body.clone(),
                )
                .await;
                signal_reply(&signal, signal.body.clone())
            }
            Err(sign) => {
                tracing::error!(error = %sign, "an AS4 error signal could not be signed");
                Reply {
                    content_type: "text/plain; charset=utf-8".into(),
                    body: format!("{}: {}", e.code.code(), e.detail).into_bytes(),
                }
            }
        }
    }
}

fn signal_reply(signal: &Signal, body: Vec<u8>) -> Reply {
    Reply {
        content_type: signal.content_type.clone(),
        body,
    }
}
