//! Pushing a user message to a partner with reception awareness: the synchronous answer must be
//! a receipt signed by the partner's certificate that acknowledges exactly what was signed; a
//! message without one (unreachable, timeout, a server error, an invalid receipt) is sent again
//! with the same MessageId, after a wait that doubles, up to `as4.attempts` times. An ebMS
//! error signal is the partner's refusal and is not retried. Every receipt and signal is
//! logged.

use std::time::Duration;

use once_as4::signal::{self, SignalOutcome};
use once_as4::{EbmsCode, Sent};
use once_runtime::body::read_response;
use once_runtime::client::describe;

use super::{As4Transport, OutgoingMessage};
use crate::db::log::{Direction, Kind};
use crate::exchange::transport::{Sealed, SendError};

/// The largest signal read from a partner.
const MAX_SIGNAL_BYTES: usize = 1024 * 1024;

/// What one attempt came to.
enum Attempt {
    /// A valid receipt.
    Receipt,
    /// The partner refused the message (an error signal): final.
    Refused(SendError),
    /// Nothing usable came back: try again.
    Retry(SendError),
}

impl As4Transport {
    /// Pushes `sealed` (the message `message` describes) to its partner until a valid receipt
    /// comes back, or the attempts are spent.
    pub(super) async fn deliver(
        &self,
        message: &OutgoingMessage,
        sealed: &Sealed,
    ) -> Result<(), SendError> {
        let mut wait = Duration::from_millis(self.config.retry_ms);
        let mut last = None;
        for attempt in 1..=self.config.attempts {
            if attempt > 1 {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            match self.attempt(message, sealed, attempt > 1).await {
                Attempt::Receipt => return Ok(()),
                Attempt::Refused(e) => return Err(e),
                Attempt::Retry(e) => {
                    tracing::warn!(
                        as4.message_id = %message.header.message_id,
                        partner = %message.partner.party_id,
                        attempt,
                        error = %e,
                        "AS4 message not acknowledged"
                    );
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| SendError::Unreachable {
            url: message.partner.url.clone(),
            detail: "no attempt was made".into(),
        }))
    }

    /// One attempt; `retry` when an earlier one may have arrived without its receipt coming
    /// back.
    async fn attempt(&self, message: &OutgoingMessage, sealed: &Sealed, retry: bool) -> Attempt {
        let url = &message.partner.url;
        let response = match self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, &sealed.content_type)
            .header("MIME-Version", "1.0")
            .body(sealed.body.clone())
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return Attempt::Retry(SendError::Timeout {
                    timeout_ms: u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX),
                });
            }
            Err(e) => {
                return Attempt::Retry(SendError::Unreachable {
                    url: url.clone(),
                    detail: describe(&e),
                });
            }
        };
        let status = response.status();
        let body = match read_response(response, MAX_SIGNAL_BYTES).await {
            Ok(body) => body,
            Err(e) => {
                return Attempt::Retry(SendError::ConnectionLost {
                    detail: e.to_string(),
                });
            }
        };
        let peer = message.partner.member.as_str();
        let exchange = &message.exchange_id;
        match signal::read(&body, &message.partner.certificate, &self.limits) {
            Ok(outcome @ SignalOutcome::Receipt { .. }) => {
                let sent = Sent {
                    content_type: String::new(),
                    body: Vec::new(),
                    header: message.header.clone(),
                    references: message.references.clone(),
                };
                match outcome.check_receipt(&sent) {
                    Ok(()) => {
                        self.log_signal(
                            Direction::In,
                            Kind::Receipt,
                            exchange,
                            peer,
                            "receipt",
                            body,
                        )
                        .await;
                        Attempt::Receipt
                    }
                    Err(detail) => {
                        let code = EbmsCode::InvalidReceipt.code();
                        self.log_signal(Direction::In, Kind::Receipt, exchange, peer, code, body)
                            .await;
                        Attempt::Retry(SendError::Status {
                            url: url.clone(),
                            status: status.as_u16(),
                            detail: format!("{code}: {detail}"),
                        })
                    }
                }
            }
            Ok(SignalOutcome::Errors { errors, .. }) => {
                let codes: Vec<String> = errors.iter().map(ToString::to_string).collect();
                let outcome = errors.first().map_or("error", |e| e.code.as_str());
                self.log_signal(Direction::In, Kind::Signal, exchange, peer, outcome, body)
                    .await;
                // Sent again after a lost receipt: the partner refuses the duplicate, which
                // says that the first attempt arrived.
                if retry && errors.iter().all(|e| is_duplicate(e.detail.as_deref())) {
                    return Attempt::Receipt;
                }
                Attempt::Refused(SendError::Status {
                    url: url.clone(),
                    status: status.as_u16(),
                    detail: format!("the access point refused the message: {}", codes.join("; ")),
                })
            }
            Err(e) => {
                let detail = if status.is_success() {
                    format!("no valid signal came back: {e}")
                } else {
                    format!(
                        "no signal came back: {}",
                        String::from_utf8_lossy(&body[..body.len().min(200)])
                    )
                };
                let failure = SendError::Status {
                    url: url.clone(),
                    status: status.as_u16(),
                    detail,
                };
                // A client error will not go away by sending the same bytes again.
                if status.is_client_error() {
                    Attempt::Refused(failure)
                } else {
                    Attempt::Retry(failure)
                }
            }
        }
    }

    /// Pushes an answer this node sealed for a partner (in the background: the request was
    /// acknowledged already). What cannot be delivered is logged as such.
    pub async fn deliver_answer(&self, sealed: Sealed) {
        let Some(message) = self
            .tables()
            .outgoing
            .remove(&crate::exchange::sha256(&sealed.body))
        else {
            tracing::error!("an AS4 answer to deliver was not sealed by this transport");
            return;
        };
        if let Err(e) = self.deliver(&message, &sealed).await {
            tracing::error!(
                as4.message_id = %message.header.message_id,
                partner = %message.partner.party_id,
                error = %e,
                "AS4 answer undelivered"
            );
            self.log_signal(
                Direction::Out,
                Kind::Signal,
                &message.exchange_id,
                message.partner.member.as_str(),
                EbmsCode::MissingReceipt.code(),
                e.to_string().into_bytes(),
            )
            .await;
        }
    }
}

/// Whether an error signal's detail reports a duplicate MessageId (this node's words, and
/// phase4's).
fn is_duplicate(detail: Option<&str>) -> bool {
    detail.is_some_and(|d| {
        let d = d.to_ascii_lowercase();
        (d.starts_with("duplicate") || d.contains("already received"))
            && !d.contains("other content")
    })
}
