//! The national transport: the envelope of [`super::envelope`] (`multipart/related` with a
//! detached signature), posted to the provider's peer endpoint `POST /v1/exchange` over mutual
//! TLS with the federation's certificates.

use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use once_runtime::body::{ResponseBodyError, read_response};
use once_runtime::client::{PeerClient, describe, error_message};
use once_runtime::signed::SignedMessages;
use once_xml::multipart::MultipartLimits;

use super::envelope;
use super::{
    Destination, OpenError, Opened, Outgoing, Received, SealError, Sealed, SendError, Transport,
};

/// The path of the exchange on the peer endpoint.
pub const EXCHANGE_PATH: &str = "/v1/exchange";

/// `multipart/related` over mutual TLS.
#[derive(Debug, Clone)]
pub struct MtlsTransport {
    client: PeerClient,
    signed: SignedMessages,
    limits: MultipartLimits,
    timeout_ms: u64,
}

impl MtlsTransport {
    /// Sends with `client`, signs and checks envelopes with `signed`, waits at most
    /// `timeout_ms` for an answer, and reads bodies of at most `max_message_bytes`.
    pub fn new(
        client: PeerClient,
        signed: SignedMessages,
        max_message_bytes: usize,
        timeout_ms: u64,
    ) -> MtlsTransport {
        MtlsTransport {
            client,
            signed,
            limits: MultipartLimits {
                max_body_bytes: max_message_bytes,
                max_part_bytes: max_message_bytes,
                ..MultipartLimits::default()
            },
            timeout_ms,
        }
    }

    async fn post(
        &self,
        to: &Destination,
        request: Sealed,
        traceparent: String,
    ) -> Result<Received, SendError> {
        let url = format!("{}{EXCHANGE_PATH}", to.url.trim_end_matches('/'));
        let response = self
            .client
            .current()
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, request.content_type)
            .header(once_runtime::telemetry::TRACEPARENT, traceparent)
            .body(request.body)
            .send()
            .await
            .map_err(|e| self.transport_error(&url, &e))?;
        let peer_certificate = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate().map(<[u8]>::to_vec));
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(ToOwned::to_owned);
        let body = read_response(response, self.limits.max_body_bytes)
            .await
            .map_err(|e| match e {
                ResponseBodyError::Transport(e) if e.is_timeout() => self.transport_error(&url, &e),
                ResponseBodyError::Transport(e) => SendError::ConnectionLost {
                    detail: describe(&e),
                },
                ResponseBodyError::TooLarge { limit } => SendError::TooLarge { limit },
                other => SendError::ConnectionLost {
                    detail: other.to_string(),
                },
            })?;
        if status != reqwest::StatusCode::OK {
            return Err(SendError::Status {
                url,
                status: status.as_u16(),
                detail: error_message(&body),
            });
        }
        Ok(Received {
            content_type,
            body,
            peer_certificate,
        })
    }

    fn transport_error(&self, url: &str, e: &reqwest::Error) -> SendError {
        if e.is_timeout() {
            return SendError::Timeout {
                timeout_ms: self.timeout_ms,
            };
        }
        let detail = describe(e);
        let mut tls = false;
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            tls |= s.downcast_ref::<rustls::Error>().is_some();
            source = s.source();
        }
        if tls || detail.contains("certificate") || detail.contains("alert") {
            SendError::TlsRefused { detail }
        } else if !e.is_connect() {
            // Connected, then the connection went away before the answer was complete.
            SendError::ConnectionLost { detail }
        } else {
            SendError::Unreachable {
                url: url.to_owned(),
                detail,
            }
        }
    }
}

impl Transport for MtlsTransport {
    fn name(&self) -> &'static str {
        "mtls"
    }

    fn seal(&self, outgoing: &Outgoing<'_>) -> Result<Sealed, SealError> {
        envelope::seal(&self.signed.signer(), outgoing)
    }

    fn open<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, OpenError> {
        envelope::open(&self.signed, &self.limits, content_type, body)
    }

    fn send<'a>(
        &'a self,
        to: &'a Destination,
        request: Sealed,
        traceparent: String,
    ) -> BoxFuture<'a, Result<Received, SendError>> {
        let timeout = Duration::from_millis(self.timeout_ms);
        async move {
            tokio::time::timeout(timeout, self.post(to, request, traceparent))
                .await
                .unwrap_or(Err(SendError::Timeout {
                    timeout_ms: self.timeout_ms,
                }))
        }
        .boxed()
    }
}
