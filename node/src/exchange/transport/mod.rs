//! The seam between the exchange and the wire. A transport seals an EDM document and its
//! attachments (the evidence) into a message for the wire, opens one that arrived, and carries
//! a sealed request to a provider and its answer back. The provider and the requester only see
//! documents and attachments; what the envelope looks like, and how it travels, is the
//! transport's business.
//!
//! - [`mtls`]: the national transport, `multipart/related` over mutual TLS
//!   (`POST /v1/exchange` on the peer endpoint);
//! - eDelivery AS4 plugs in beside it with the same three operations.

pub mod mtls;

use futures_util::future::BoxFuture;
use once_pki::MemberId;
use once_xml::EdmError;
pub use once_xml::multipart::Part;

/// A message opened from the wire: the EDM document and the parts beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<'b> {
    /// The EDM document (a `query:QueryRequest` or `query:QueryResponse`), as received.
    pub document: &'b [u8],
    /// The other parts (evidence documents), in order.
    pub attachments: Vec<Part<'b>>,
}

impl<'b> Opened<'b> {
    /// The attachment a reference names (a `cid:` URL or a bare content id).
    pub fn attachment(&self, reference: &str) -> Option<&Part<'b>> {
        let id = once_xml::multipart::content_id_of(reference)?;
        self.attachments.iter().find(|p| p.content_id == id)
    }
}

/// A message sealed for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Its media type with parameters (`Content-Type`).
    pub content_type: String,
    /// Its bytes, exactly as sent (and logged).
    pub body: Vec<u8>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The provider's member id.
    pub member: MemberId,
    /// Its endpoint (for the national transport, the base URL of its peer endpoint).
    pub url: String,
}

/// An answer as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Its media type with parameters, if the provider sent one.
    pub content_type: Option<String>,
    /// Its bytes, exactly as received (and logged).
    pub body: Vec<u8>,
    /// The provider's end-entity certificate (DER) of the connection it came on, if any.
    pub peer_certificate: Option<Vec<u8>>,
}

/// Why no answer arrived.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The provider could not be reached.
    #[error("{url} is unreachable: {detail}")]
    Unreachable {
        /// Where.
        url: String,
        /// Why.
        detail: String,
    },
    /// The TLS handshake failed.
    #[error("the TLS connection was refused: {detail}")]
    TlsRefused {
        /// Why.
        detail: String,
    },
    /// The connection broke while the answer arrived.
    #[error("the connection broke while the answer arrived: {detail}")]
    ConnectionLost {
        /// Why.
        detail: String,
    },
    /// No answer in time.
    #[error("no answer within {timeout_ms} ms")]
    Timeout {
        /// The time allowed.
        timeout_ms: u64,
    },
    /// The answer is larger than the limit.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The provider answered, but not with an exchange message (e.g. overloaded, or it could
    /// not log the exchange).
    #[error("{url} answered HTTP {status}: {detail}")]
    Status {
        /// Where.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What it said.
        detail: String,
    },
}

/// A way of carrying evidence messages between members.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// The transport's name, for logs.
    fn name(&self) -> &'static str;

    /// Seals a document and its attachments for the wire.
    fn seal(&self, document: &[u8], attachments: &[Part<'_>]) -> Result<Sealed, EdmError>;

    /// Opens a request that arrived with `content_type`; an envelope that cannot be read is an
    /// invalid request (EDM:ERR:0003) with a detail that says why.
    fn open_request<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, EdmError>;

    /// Opens a provider's answer that arrived with `content_type`.
    fn open_answer<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, EdmError>;

    /// Sends a sealed request to `to` within the transport's timeout; `traceparent` continues
    /// the caller's trace. Returns the answer as received.
    fn send<'a>(
        &'a self,
        to: &'a Destination,
        request: Sealed,
        traceparent: String,
    ) -> BoxFuture<'a, Result<Received, SendError>>;
}
