//! The seam between the exchange and the wire. A transport seals an EDM document and its
//! attachments (the evidence) into a message for the wire, opens one that arrived, and carries
//! a sealed request to a provider and its answer back. The provider and the requester only see
//! documents and attachments; what the envelope looks like, and how it travels, is the
//! transport's business.
//!
//! - [`mtls`]: the national transport, the [`envelope`] (`multipart/related` with a detached
//!   XML signature) over mutual TLS (`POST /v1/exchange` on the peer endpoint);
//! - [`as4`]: eDelivery AS4 with the OOTS header, for access points of other member states
//!   (signed and encrypted user messages, receipts; answers arrive as messages of their own).

pub mod as4;
pub mod envelope;
pub mod mtls;

use std::borrow::Cow;

use futures_util::future::BoxFuture;
use once_pki::MemberId;
pub use once_xml::dsig::MessageProperties;
pub use once_xml::multipart::Part;

/// What the exchange hands a transport to seal: the EDM document, the parts beside it, and who
/// sends it to whom.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The EDM document (`query:QueryRequest` or `query:QueryResponse`), unsigned: the
    /// transport authenticates the message.
    pub document: &'a [u8],
    /// The parts beside it (evidence documents), each referenced from the document by its
    /// content id.
    pub attachments: &'a [Part<'a>],
    /// This node.
    pub sender: &'a MemberId,
    /// The member it is for.
    pub receiver: &'a MemberId,
    /// For an answer: the SHA-256 of the request document it answers, bound into the envelope.
    pub in_reply_to: Option<[u8; 32]>,
}

/// A message opened from the wire and authenticated: the EDM document, the parts beside it, and
/// the member whose signature covers all of them. Borrowed from the message where it was sent
/// in the clear (the national envelope), owned where it had to be decrypted (AS4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened<'b> {
    /// The EDM document, as received.
    pub document: Cow<'b, [u8]>,
    /// The other parts (evidence documents), in order; every one covered by the signature.
    pub attachments: Vec<Attachment<'b>>,
    /// The member whose signature (checked against the federation root and CRL) covers the
    /// document and every attachment.
    pub signer: MemberId,
    /// What the sender signed about the message: its id, sender, receiver, time, and for an
    /// answer the digest of the request it answers.
    pub properties: MessageProperties,
}

impl<'b> Opened<'b> {
    /// The attachment a reference names (a `cid:` URL or a bare content id).
    pub fn attachment(&self, reference: &str) -> Option<&Attachment<'b>> {
        let id = once_xml::multipart::content_id_of(reference)?;
        self.attachments.iter().find(|p| p.content_id == id)
    }
}

/// A part of an opened message beside the EDM document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment<'b> {
    /// Its content id, without `<` `>`.
    pub content_id: Cow<'b, str>,
    /// Its media type.
    pub content_type: Cow<'b, str>,
    /// Its content.
    pub body: Cow<'b, [u8]>,
}

impl<'b> From<Part<'b>> for Attachment<'b> {
    fn from(part: Part<'b>) -> Attachment<'b> {
        Attachment {
            content_id: Cow::Borrowed(part.content_id),
            content_type: Cow::Borrowed(part.content_type),
            body: Cow::Borrowed(part.body),
        }
    }
}

/// Why a message could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The envelope cannot be read (media type, parts, limits): an invalid message.
    #[error("{0}")]
    Malformed(String),
    /// The envelope's signature is missing, does not verify, does not cover every part, or its
    /// signer's certificate is not acceptable: the sender is not authenticated.
    #[error("{0}")]
    Unauthenticated(String),
}

impl OpenError {
    /// The EDM code a provider refuses such a request with.
    pub fn edm_code(&self) -> once_xml::EdmCode {
        match self {
            OpenError::Malformed(_) => once_xml::EdmCode::InvalidRequest,
            OpenError::Unauthenticated(_) => once_xml::EdmCode::Authentication,
        }
    }
}

/// Why a message could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// It could not be signed (the signing key).
    #[error("the message could not be signed: {0}")]
    Sign(String),
    /// It could not be packed.
    #[error("the message could not be packed: {0}")]
    Pack(String),
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

/// A way of carrying evidence messages between members: it seals (authenticates and packs) a
/// document with its parts, opens and authenticates one that arrived, and carries a sealed request
/// to a provider and its answer back.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// The transport's name, for logs.
    fn name(&self) -> &'static str;

    /// Whether the federation's PKI authenticates what arrives: the connection an answer comes
    /// on is the provider's own (its TLS certificate names it) and the evidence carries the
    /// provider's federation signature. `false` where the partner is outside the federation and
    /// the message signature by its configured certificate is the authentication (AS4).
    fn federation_pki(&self) -> bool {
        true
    }

    /// Seals a document and its attachments for the wire.
    fn seal(&self, outgoing: &Outgoing<'_>) -> Result<Sealed, SealError>;

    /// Opens a message that arrived with `content_type` and authenticates it.
    fn open<'b>(&self, content_type: Option<&str>, body: &'b [u8])
    -> Result<Opened<'b>, OpenError>;

    /// Sends a sealed request to `to` within the transport's timeout; `traceparent` continues
    /// the caller's trace. Returns the answer as received.
    fn send<'a>(
        &'a self,
        to: &'a Destination,
        request: Sealed,
        traceparent: String,
    ) -> BoxFuture<'a, Result<Received, SendError>>;
}
