//! The national transport: the EDM document as the root of a `multipart/related` body (the
//! evidence as further parts, referenced by `cid:`), posted to the provider's peer endpoint
//! `POST /v1/exchange` over mutual TLS with the federation's certificates.

use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use once_runtime::body::{ResponseBodyError, read_response};
use once_runtime::client::{PeerClient, describe, error_message};
use once_xml::EdmError;
use once_xml::multipart::{self, MultipartLimits};

use super::{Destination, Opened, Part, Received, Sealed, SendError, Transport};

/// The path of the exchange on the peer endpoint.
pub const EXCHANGE_PATH: &str = "/v1/exchange";

/// Media types accepted for a bare document (no attachments).
const BARE_XML: [&str; 3] = ["application/xml", "text/xml", "application/soap+xml"];

/// `multipart/related` over mutual TLS.
#[derive(Debug, Clone)]
pub struct MtlsTransport {
    client: PeerClient,
    limits: MultipartLimits,
    timeout_ms: u64,
}

impl MtlsTransport {
    /// Sends with `client`, waits at most `timeout_ms` for an answer, and reads bodies of at
    /// most `max_message_bytes`.
    pub fn new(client: PeerClient, max_message_bytes: usize, timeout_ms: u64) -> MtlsTransport {
        MtlsTransport {
            client,
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

    fn seal(&self, document: &[u8], attachments: &[Part<'_>]) -> Result<Sealed, EdmError> {
        seal(document, attachments)
    }

    fn open_request<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, EdmError> {
        open(&self.limits, content_type, body, true)
    }

    /// Answers are always `multipart/related`: this transport never answers a bare document.
    fn open_answer<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, EdmError> {
        open(&self.limits, content_type, body, false)
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

/// Seals a document and its attachments as `multipart/related`, the document as the root.
pub fn seal(document: &[u8], attachments: &[Part<'_>]) -> Result<Sealed, EdmError> {
    let (content_type, body) = multipart::build(&rand::random::<[u8; 24]>(), document, attachments)
        .map_err(|e| EdmError::invalid(format!("the message cannot be packed: {e}")))?;
    Ok(Sealed { content_type, body })
}

/// Opens a `multipart/related` message within `limits`; with `bare`, a bare XML document too.
pub fn open<'b>(
    limits: &MultipartLimits,
    content_type: Option<&str>,
    body: &'b [u8],
    bare: bool,
) -> Result<Opened<'b>, EdmError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        "multipart/related" => {
            let parsed = multipart::parse(content_type.unwrap_or_default(), body, limits)?;
            Ok(Opened {
                document: parsed.root().body,
                attachments: parsed.attachments().copied().collect(),
            })
        }
        media if bare && BARE_XML.contains(&media) => Ok(Opened {
            document: body,
            attachments: Vec::new(),
        }),
        "" => Err(EdmError::invalid(
            "the message has no Content-Type; send multipart/related (or application/xml)",
        )),
        other if bare => Err(EdmError::invalid(format!(
            "Content-Type {other} is not accepted; send multipart/related (or application/xml)"
        ))),
        other => Err(EdmError::invalid(format!(
            "Content-Type {other} is not multipart/related"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use once_xml::EdmCode;

    fn limits() -> MultipartLimits {
        MultipartLimits::default()
    }

    #[test]
    fn what_is_sealed_opens_to_the_same_document_and_attachments() {
        let evidence = Part {
            content_id: "evidence-1@once",
            content_type: "application/xml",
            body: b"<e/>",
        };
        let sealed = seal(b"<doc/>", &[evidence]).expect("sealed");
        let opened =
            open(&limits(), Some(&sealed.content_type), &sealed.body, false).expect("opened");
        assert_eq!(opened.document, b"<doc/>");
        assert_eq!(opened.attachments, vec![evidence]);
        assert_eq!(opened.attachment("cid:evidence-1@once"), Some(&evidence));
        assert_eq!(opened.attachment("cid:other@once"), None);
    }

    #[test]
    fn a_bare_request_is_accepted_and_other_media_types_are_invalid() {
        let xml = Some("application/xml; charset=utf-8");
        let opened = open(&limits(), xml, b"<doc/>", true);
        assert_eq!(opened.expect("bare").document, b"<doc/>");
        let e = open(&limits(), xml, b"<doc/>", false).expect_err("an answer is never bare");
        assert!(e.detail.contains("not multipart/related"), "{}", e.detail);
        for content_type in [None, Some("text/plain")] {
            let e = open(&limits(), content_type, b"<doc/>", true).expect_err("refused");
            assert_eq!(e.code, EdmCode::InvalidRequest);
            assert!(e.detail.contains("multipart/related"), "{}", e.detail);
        }
    }
}
