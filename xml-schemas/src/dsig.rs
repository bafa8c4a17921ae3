//! XML Signature of exchange messages and evidence: one enveloped signature over the whole
//! document, exclusive C14N, ECDSA P-256 with SHA-256.
//!
//! The profile is fixed and checked strictly on both sides:
//!
//! - exactly one `ds:Signature` in the whole document, at the place the caller expects
//!   ([`Placement`]); one anywhere else is refused as signature wrapping;
//! - `ds:SignedInfo` with `CanonicalizationMethod` exc-c14n, `SignatureMethod` ecdsa-sha256 and
//!   exactly one `ds:Reference URI=""` (the whole document) whose transforms are exactly
//!   enveloped-signature then exc-c14n, with `DigestMethod` sha256;
//! - `ds:SignatureValue` is the raw 64-byte `r || s`;
//! - `ds:KeyInfo/ds:X509Data/ds:X509Certificate`: the signer's certificate first; nothing else
//!   (no `ds:Object`, no `InclusiveNamespaces`, no other key information).
//!
//! [`verify`] checks the document's digest and the signature with the public key of the first
//! certificate in `ds:KeyInfo`. It does **not** check that certificate: its chain to the
//! federation CA, validity period, revocation, key usage and the member it names are the
//! caller's to check (with `once-pki`) from [`VerifiedSignature::certificates`]. Until that is
//! done, a verified signature only says that the holder of *some* key signed the document.
//!
//! [`detached`] is the second profile, for the node's transport: a standalone `ds:Signature`
//! over the raw octets of the `multipart/related` parts, named by their `cid:` URLs, with the
//! transport's [`MessageProperties`] signed in a `ds:Object`. Same algorithms, same key.

use std::fmt;

use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::EdmError;
use crate::c14n::{self, C14nError};

pub mod detached;
mod scan;
mod sign;
mod verify;

pub use detached::{MessageProperties, VerifiedDetached};
pub use sign::Signer;
pub use verify::{VerifiedSignature, verify};

/// The XML Signature namespace (`ds:`).
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The canonicalization algorithm: exclusive XML canonicalization without comments.
pub const EXC_C14N: &str = c14n::ALGORITHM;
/// The signature algorithm: ECDSA on P-256 with SHA-256 (RFC 6931).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// The digest algorithm: SHA-256.
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// The enveloped-signature transform.
pub const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Where the `ds:Signature` element goes in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Placement {
    /// For ebRS messages (`query:QueryRequest`, `query:QueryResponse`), whose schema allows only
    /// `rim:Slot` children first: inside
    /// `<rim:Slot name="Signature"><rim:SlotValue xsi:type="rim:AnyValueType">`, added as the
    /// last of the root's leading `rim:Slot` children (its first child when it has none). The
    /// root must declare prefixes for the rim and xsi namespaces.
    Slot,
    /// For evidence documents: the last child element of the root.
    LastChild,
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Placement::Slot => {
                "expected in rim:Slot name=\"Signature\"/rim:SlotValue, a child of the document element"
            }
            Placement::LastChild => "expected as the last child element of the document element",
        })
    }
}

/// Why a document could not be signed, or why its signature is refused. Each variant names the
/// rule of the profile that was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsigError {
    /// The document broke a rule of the reader (size, depth, DOCTYPE, entities, well-formedness).
    #[error("{}", .0.detail)]
    Document(EdmError),
    /// The document could not be read or canonicalised.
    #[error("{0}")]
    Xml(#[from] C14nError),
    /// The signing key is unusable: not a PKCS#8 ECDSA P-256 key, or not the key of the
    /// certificate.
    #[error("signing key: {0}")]
    Key(String),
    /// A certificate is unusable: not DER X.509, or its key is not ECDSA P-256.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The document cannot take a signature at the requested placement.
    #[error("cannot place the signature: {0}")]
    Placement(String),
    /// The document has no `ds:Signature` element.
    #[error("the document is not signed: it has no ds:Signature element")]
    Missing,
    /// The document has more than one `ds:Signature` element.
    #[error("the document has {0} ds:Signature elements; exactly one is allowed")]
    Multiple(usize),
    /// The only `ds:Signature` is not where the placement puts it: signature wrapping.
    #[error("the ds:Signature element is misplaced ({expected}); refused as signature wrapping")]
    Misplaced {
        /// The placement the caller expected.
        expected: Placement,
    },
    /// The elements of the signature do not have the profile's structure.
    #[error("ds:Signature structure: {0}")]
    Structure(String),
    /// An algorithm other than the profile's.
    #[error("{element} Algorithm {found:?} is not allowed; the profile requires {required}")]
    Algorithm {
        /// The element carrying the algorithm.
        element: &'static str,
        /// The algorithm found.
        found: String,
        /// The algorithm required.
        required: &'static str,
    },
    /// `ds:SignedInfo` has not exactly one `ds:Reference`.
    #[error("ds:SignedInfo has {0} ds:Reference elements; exactly one is required")]
    ReferenceCount(usize),
    /// The reference is not to the whole document.
    #[error("the ds:Reference URI is {0:?}; only URI=\"\" (the whole document) is allowed")]
    ReferenceUri(Option<String>),
    /// The transforms are not exactly enveloped-signature, exc-c14n.
    #[error(
        "the transforms are [{}]; exactly [enveloped-signature, exc-c14n] without parameters are required",
        .0.join(", ")
    )]
    Transforms(Vec<String>),
    /// A base64 value could not be decoded.
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    /// The digest of the document is not the signed one: the content was changed.
    #[error(
        "the digest of the document does not match ds:DigestValue: the signed content was changed"
    )]
    DigestMismatch,
    /// `ds:SignatureValue` is not 64 bytes.
    #[error("ds:SignatureValue has {0} bytes; an ECDSA P-256 signature is 64 (r || s)")]
    SignatureLength(usize),
    /// The signature does not verify with the certificate's public key.
    #[error(
        "ds:SignatureValue does not verify with the public key of the certificate in ds:KeyInfo"
    )]
    BadSignature,
    /// The signing operation failed (should not happen with a valid key).
    #[error("ECDSA signing failed")]
    Signing,
    /// Detached signatures ([`detached`]): a `ds:Reference` URI outside the profile, which allows
    /// only the `cid:` URL of a MIME part of the message (RFC 2392, valid percent-encoding) and
    /// `#` with the `Id` of the signature's `ds:Object`. `None`: the reference has no `URI`.
    #[error(
        "the ds:Reference URI {0:?} is not allowed in a detached signature; only cid: URLs of the message's parts (RFC 2392) and \"#\" with the Id of the signature's ds:Object are"
    )]
    DetachedUri(Option<String>),
    /// Detached signatures: a reference names a part that the message does not have. The sender
    /// signed other parts than it sent, or a part was dropped on the way.
    #[error(
        "the signature covers {0:?}, but the message has no part with this content id; send every signed part"
    )]
    UnresolvedReference(String),
    /// Detached signatures: two `ds:Reference` elements name the same part (compared by content
    /// id, after percent-decoding) or the object twice.
    #[error("the signature references {0:?} twice; exactly one ds:Reference per part is allowed")]
    DuplicateReference(String),
    /// Detached signatures: no reference to a MIME part; a signature over its own object alone
    /// binds no message.
    #[error("the detached signature covers no part of the message; at least one is required")]
    NoParts,
    /// Detached signatures: the digest of a part (its raw octets) or of the signed object is not
    /// the signed one: it was changed after signing (e.g. re-encoded, re-indented, or a
    /// transfer encoding not undone).
    #[error(
        "the digest of {uri:?} does not match its ds:DigestValue: it was changed after signing (the part must be signed and sent octet for octet)"
    )]
    ReferenceDigestMismatch {
        /// The reference's URI: a part's `cid:` URL, or `#` and the object's `Id`.
        uri: String,
    },
    /// Detached signatures: a reference's transforms are not the profile's: none for a part
    /// (its raw octets are digested), exactly exc-c14n for the object.
    #[error(
        "the ds:Reference {uri:?} has the transforms [{}]; the profile requires {required}",
        .found.join(", ")
    )]
    ReferenceTransforms {
        /// The reference's URI.
        uri: String,
        /// The transform algorithms found, in order.
        found: Vec<String>,
        /// What the profile requires for this kind of reference.
        required: &'static str,
    },
    /// Detached signatures: more than one `ds:Object` in the signature.
    #[error("the signature has {0} ds:Object elements; at most one is allowed")]
    ObjectCount(usize),
    /// Detached signatures: the `ds:Object` is not covered by a `ds:Reference`; unsigned content
    /// next to a signature is refused.
    #[error("the ds:Object is not covered by any ds:Reference; unsigned content is refused")]
    UnreferencedObject,
    /// Detached signatures: a `#…` reference names no `ds:Object` of the signature.
    #[error("the reference {0:?} names no ds:Object of this signature")]
    MissingObject(String),
    /// Detached signatures: a `ds:Object` elsewhere than as a child of the `ds:Signature`
    /// document element; refused as signature wrapping.
    #[error(
        "a ds:Object inside {parent} is refused as signature wrapping; the only ds:Object is a child of ds:Signature"
    )]
    MisplacedObject {
        /// The local name of the element that holds it.
        parent: String,
    },
    /// Detached signatures: an `Id` value on two elements; refused as signature wrapping (a
    /// verifier might digest one and the caller read the other).
    #[error("the Id {0:?} occurs more than once; refused as signature wrapping")]
    DuplicateId(String),
    /// Detached signatures: an ID attribute (`Id`, `ID`, `id` or `xml:id`) on another element
    /// than the `ds:Object`; refused as signature wrapping.
    #[error(
        "the {attribute}={id:?} attribute on {element} is refused as signature wrapping; only the ds:Object has an Id"
    )]
    StrayId {
        /// The local name of the element.
        element: String,
        /// The attribute's name as written (`Id`, `ID`, `id`, `xml:id`).
        attribute: String,
        /// Its value.
        id: String,
    },
    /// Detached signatures: the signed message properties (in the `ds:Object`) do not follow
    /// their schema, or cannot be written.
    #[error("message properties: {0}")]
    Properties(String),
    /// Detached signatures: a part the caller uses is not covered by the signature
    /// ([`detached::VerifiedDetached::check_covers`]).
    #[error("the part {0:?} is not covered by the message's signature; every part must be signed")]
    Uncovered(String),
}

impl From<EdmError> for DsigError {
    fn from(error: EdmError) -> Self {
        DsigError::Document(error)
    }
}

/// Every refusal is an invalid request (EDM:ERR:0003) with the rule in its detail; a caller that
/// wants another code for some refusals (e.g. authentication for [`DsigError::BadSignature`])
/// matches on the [`DsigError`] first.
impl From<DsigError> for EdmError {
    fn from(error: DsigError) -> Self {
        match error {
            DsigError::Document(error) => error,
            other => EdmError::invalid(format!("XML signature: {other}")),
        }
    }
}

/// The uncompressed P-256 point of a certificate's key.
fn p256_public_key(der: &[u8]) -> Result<Vec<u8>, DsigError> {
    let (rest, certificate) = X509Certificate::from_der(der)
        .map_err(|e| DsigError::Certificate(format!("not a DER X.509 certificate ({e})")))?;
    if !rest.is_empty() {
        return Err(DsigError::Certificate(
            "trailing bytes after the certificate".into(),
        ));
    }
    let spki = certificate.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY || curve != Some(OID_EC_P256) {
        return Err(DsigError::Certificate(
            "the certificate's key is not an ECDSA P-256 key".into(),
        ));
    }
    Ok(spki.subject_public_key.data.to_vec())
}
