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

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use quick_xml::NsReader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{PrefixDeclaration, ResolveResult};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use sha2::{Digest, Sha256};
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::EdmError;
use crate::c14n::{self, C14nError};
use crate::ns::{RIM, XSI};
use crate::tree::{self, Element, Limits};

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

/// Signs documents with an ECDSA P-256 key and its certificate.
pub struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    chain: Vec<Vec<u8>>,
    /// `ds:X509Data` with the chain, written into every signature.
    x509_data: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("certificates", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a PKCS#8 ECDSA P-256 key (DER) and its certificate chain (DER, end entity
    /// first). Every certificate of the chain goes into `ds:KeyInfo`: pass only what verifiers
    /// lack, normally just the end-entity certificate (every node has the federation root).
    /// Refused when the key is not the end-entity certificate's.
    pub fn from_pkcs8_der(key: &[u8], chain: Vec<Vec<u8>>) -> Result<Signer, DsigError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key, &rng)
            .map_err(|e| DsigError::Key(format!("not a PKCS#8 ECDSA P-256 key ({e})")))?;
        let end_entity = chain.first().ok_or_else(|| {
            DsigError::Certificate("the chain is empty; the signing certificate is needed".into())
        })?;
        if p256_public_key(end_entity)? != key.public_key().as_ref() {
            return Err(DsigError::Key(
                "the key does not match the public key of the signing certificate".into(),
            ));
        }
        let mut x509_data = String::from("<ds:X509Data>");
        for certificate in &chain {
            x509_data.push_str("<ds:X509Certificate>");
            x509_data.push_str(&BASE64.encode(certificate));
            x509_data.push_str("</ds:X509Certificate>");
        }
        x509_data.push_str("</ds:X509Data>");
        Ok(Signer {
            key,
            rng,
            chain,
            x509_data,
        })
    }

    /// A signer from a PKCS#8 key in PEM (`-----BEGIN PRIVATE KEY-----`) and its certificate
    /// chain (DER, end entity first); see [`Signer::from_pkcs8_der`].
    pub fn from_pkcs8_pem(key_pem: &str, chain: Vec<Vec<u8>>) -> Result<Signer, DsigError> {
        let mut blocks = x509_parser::pem::Pem::iter_from_buffer(key_pem.as_bytes());
        let pem = match blocks.next() {
            Some(Ok(pem)) => pem,
            Some(Err(e)) => return Err(DsigError::Key(format!("not PEM: {e}"))),
            None => return Err(DsigError::Key("no PEM block".into())),
        };
        if pem.label != "PRIVATE KEY" {
            return Err(DsigError::Key(format!(
                "the PEM block is a {:?}, not a PKCS#8 \"PRIVATE KEY\"",
                pem.label
            )));
        }
        Signer::from_pkcs8_der(&pem.contents, chain)
    }

    /// The signing (end-entity) certificate, DER.
    pub fn certificate(&self) -> &[u8] {
        // The constructor refuses an empty chain.
        self.chain.first().map_or(&[], Vec::as_slice)
    }

    /// Signs `xml`: returns the document with one `ds:Signature` at `placement`. The digest covers
    /// the document as returned less the `ds:Signature` element (so the `rim:Slot` wrapper of
    /// [`Placement::Slot`] is signed). Refused if the document is signed already.
    pub fn sign(&self, xml: &str, placement: Placement) -> Result<String, DsigError> {
        let layout = scan(xml)?;
        if !layout.signatures.is_empty() {
            return Err(DsigError::Placement(
                "the document already has a ds:Signature element".into(),
            ));
        }
        let (open, close) = match placement {
            Placement::Slot => {
                let rim = layout.rim_prefix.as_deref().ok_or_else(|| {
                    DsigError::Placement(format!(
                        "the document element must declare a prefix for {RIM}"
                    ))
                })?;
                let xsi = layout.xsi_prefix.as_deref().ok_or_else(|| {
                    DsigError::Placement(format!(
                        "the document element must declare a prefix for {XSI}"
                    ))
                })?;
                (
                    format!(
                        r#"<{rim}:Slot name="Signature"><{rim}:SlotValue {xsi}:type="{rim}:AnyValueType">"#
                    ),
                    format!("</{rim}:SlotValue></{rim}:Slot>"),
                )
            }
            Placement::LastChild => (String::new(), String::new()),
        };
        let (head, tail) = match layout.root_close_start {
            Some(close_start) => {
                let at = match placement {
                    Placement::Slot => layout.leading_slots_end.unwrap_or(layout.root_open_end),
                    Placement::LastChild => close_start,
                };
                (Cow::Borrowed(&xml[..at]), Cow::Borrowed(&xml[at..]))
            }
            // An empty root element `<r/>` is opened up: `<r>` … `</r>`.
            None => {
                let tag = &xml[..layout.root_open_end];
                let tag = tag.strip_suffix("/>").ok_or_else(|| {
                    DsigError::Placement("cannot find the end of the root element".into())
                })?;
                (
                    Cow::Owned(format!("{tag}>")),
                    Cow::Owned(format!(
                        "</{}>{}",
                        layout.root_qname,
                        &xml[layout.root_open_end..]
                    )),
                )
            }
        };

        let mut unsigned = String::with_capacity(xml.len() + open.len() + close.len() + 16);
        for part in [&*head, &open, &close, &*tail] {
            unsigned.push_str(part);
        }
        let digest = BASE64.encode(Sha256::digest(c14n::document(&unsigned, None)?));
        let mut signed_info = String::with_capacity(1024);
        write_signed_info(&mut signed_info, &digest, true);
        let signature = self
            .key
            .sign(&self.rng, signed_info.as_bytes())
            .map_err(|_| DsigError::Signing)?;

        let mut out = String::with_capacity(unsigned.len() + 1200 + self.x509_data.len());
        out.push_str(&head);
        out.push_str(&open);
        out.push_str(r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#);
        write_signed_info(&mut out, &digest, false);
        out.push_str("<ds:SignatureValue>");
        out.push_str(&BASE64.encode(signature.as_ref()));
        out.push_str("</ds:SignatureValue><ds:KeyInfo>");
        out.push_str(&self.x509_data);
        out.push_str("</ds:KeyInfo></ds:Signature>");
        out.push_str(&close);
        out.push_str(&tail);
        Ok(out)
    }
}

/// Writes `ds:SignedInfo` in its canonical form (exclusive C14N of it is these very bytes, with
/// `declare` adding the `xmlns:ds` declaration that canonicalisation renders on it).
fn write_signed_info(out: &mut String, digest: &str, declare: bool) {
    out.push_str(if declare {
        r#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#
    } else {
        "<ds:SignedInfo>"
    });
    out.push_str(concat!(
        r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:CanonicalizationMethod>"#,
        r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"></ds:SignatureMethod>"#,
        r#"<ds:Reference URI=""><ds:Transforms>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"></ds:Transform>"#,
        r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"></ds:Transform>"#,
        r#"</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"></ds:DigestMethod>"#,
        "<ds:DigestValue>"
    ));
    out.push_str(digest);
    out.push_str("</ds:DigestValue></ds:Reference></ds:SignedInfo>");
}

/// A signature that verified: the document is as signed by the key of
/// [`VerifiedSignature::signer_certificate`]. That certificate is not checked yet (see the
/// module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedSignature {
    /// Every `ds:X509Certificate` of `ds:KeyInfo` (DER), in document order: the signer's first.
    pub certificates: Vec<Vec<u8>>,
    /// SHA-256 of the canonical document (less the signature): the signed digest.
    pub document_digest: [u8; 32],
    /// The document as read (within the limits), for the codec: no second parse needed. It
    /// still holds the signature element, which the codecs ignore.
    pub document: Element,
}

impl VerifiedSignature {
    /// The signer's certificate (DER): the first in `ds:KeyInfo`, whose key verified the
    /// signature.
    pub fn signer_certificate(&self) -> &[u8] {
        // `verify` only returns with at least one certificate.
        self.certificates.first().map_or(&[], Vec::as_slice)
    }
}

/// Verifies the one enveloped signature of `xml` at `placement` within `limits` (the same limits
/// as [`tree::parse`]). Refuses anything outside the profile of this module. The certificate is
/// not checked here; see the module documentation.
pub fn verify(
    xml: &[u8],
    limits: &Limits,
    placement: Placement,
) -> Result<VerifiedSignature, DsigError> {
    let root = tree::parse(xml, limits)?;
    // tree::parse accepted the bytes as UTF-8.
    let text = std::str::from_utf8(xml)
        .map_err(|_| DsigError::Document(EdmError::invalid("the message is not valid UTF-8")))?;
    let layout = scan(text)?;
    let found = match layout.signatures.as_slice() {
        [] => return Err(DsigError::Missing),
        [one] => one,
        many => return Err(DsigError::Multiple(many.len())),
    };
    if found.placement != Some(placement) {
        return Err(DsigError::Misplaced {
            expected: placement,
        });
    }
    let element = signature_element(&root, placement).ok_or(DsigError::Misplaced {
        expected: placement,
    })?;
    let parts = SignatureParts::read(element)?;
    let signed_info = found
        .signed_info
        .ok_or_else(|| DsigError::Structure("ds:SignedInfo is missing".into()))?;

    let document_digest: [u8; 32] = Sha256::digest(c14n::document(text, Some(found.start))?).into();
    if document_digest[..] != parts.digest[..] {
        return Err(DsigError::DigestMismatch);
    }
    let signed_info = c14n::element(text, signed_info)?;
    // SignatureParts::read refuses an X509Data without certificates.
    let public_key = p256_public_key(&parts.certificates[0])?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key)
        .verify(&signed_info, &parts.signature)
        .map_err(|_| DsigError::BadSignature)?;
    let certificates = parts.certificates;
    Ok(VerifiedSignature {
        certificates,
        document_digest,
        document: root,
    })
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

/// The `ds:Signature` element at `placement` in a parsed document.
fn signature_element(root: &Element, placement: Placement) -> Option<&Element> {
    match placement {
        Placement::LastChild => root.children.last().filter(|e| e.is(DSIG_NS, "Signature")),
        Placement::Slot => root
            .children_named(RIM, "Slot")
            .filter(|slot| slot.attribute(None, "name") == Some("Signature"))
            .flat_map(|slot| slot.children_named(RIM, "SlotValue"))
            .find_map(|value| value.child(DSIG_NS, "Signature")),
    }
}

/// The values of a `ds:Signature` that follows the profile.
#[derive(Debug)]
struct SignatureParts {
    digest: Vec<u8>,
    signature: Vec<u8>,
    /// At least one.
    certificates: Vec<Vec<u8>>,
}

impl SignatureParts {
    fn read(signature: &Element) -> Result<SignatureParts, DsigError> {
        let [signed_info, signature_value, key_info] = ds_children(
            signature,
            "ds:Signature",
            ["SignedInfo", "SignatureValue", "KeyInfo"],
        )?;

        // SignedInfo: the algorithms first, so that a foreign algorithm is named as such.
        let mut items = signed_info.children.iter();
        let c14n_method = items
            .next()
            .filter(|e| e.is(DSIG_NS, "CanonicalizationMethod"))
            .ok_or_else(|| {
                DsigError::Structure(
                    "ds:SignedInfo must start with ds:CanonicalizationMethod".into(),
                )
            })?;
        algorithm(c14n_method, "ds:CanonicalizationMethod", EXC_C14N)?;
        let signature_method = items
            .next()
            .filter(|e| e.is(DSIG_NS, "SignatureMethod"))
            .ok_or_else(|| {
                DsigError::Structure(
                    "ds:SignatureMethod must follow ds:CanonicalizationMethod".into(),
                )
            })?;
        algorithm(signature_method, "ds:SignatureMethod", ECDSA_SHA256)?;
        let rest: Vec<&Element> = items.collect();
        if let Some(other) = rest.iter().find(|e| !e.is(DSIG_NS, "Reference")) {
            return Err(DsigError::Structure(format!(
                "ds:SignedInfo may only hold ds:Reference after ds:SignatureMethod, not {}",
                other.local
            )));
        }
        let [reference] = rest[..] else {
            return Err(DsigError::ReferenceCount(rest.len()));
        };
        match reference.attribute(None, "URI") {
            Some("") => {}
            other => return Err(DsigError::ReferenceUri(other.map(ToOwned::to_owned))),
        }
        let [transforms, digest_method, digest_value] = ds_children(
            reference,
            "ds:Reference",
            ["Transforms", "DigestMethod", "DigestValue"],
        )?;
        let names: Vec<String> = transforms
            .children
            .iter()
            .map(|t| match t.attribute(None, "Algorithm") {
                Some(algorithm) if t.is(DSIG_NS, "Transform") => algorithm.to_owned(),
                Some(algorithm) => format!("{} {algorithm}", t.local),
                None => t.local.clone(),
            })
            .collect();
        let parameters = transforms.children.iter().any(|t| !t.children.is_empty());
        if names != [ENVELOPED_SIGNATURE, EXC_C14N] || parameters {
            return Err(DsigError::Transforms(names));
        }
        algorithm(digest_method, "ds:DigestMethod", SHA256)?;
        let digest = base64(digest_value, "ds:DigestValue")?;
        if digest.len() != 32 {
            return Err(DsigError::Structure(format!(
                "ds:DigestValue has {} bytes; a SHA-256 digest has 32",
                digest.len()
            )));
        }

        let signature = base64(signature_value, "ds:SignatureValue")?;
        if signature.len() != 64 {
            return Err(DsigError::SignatureLength(signature.len()));
        }

        let [x509_data] = ds_children(key_info, "ds:KeyInfo", ["X509Data"])?;
        if x509_data.children.is_empty() {
            return Err(DsigError::Structure(
                "ds:X509Data holds no ds:X509Certificate".into(),
            ));
        }
        let certificates = x509_data
            .children
            .iter()
            .map(|c| {
                if c.is(DSIG_NS, "X509Certificate") {
                    base64(c, "ds:X509Certificate")
                } else {
                    Err(DsigError::Structure(format!(
                        "ds:X509Data may only hold ds:X509Certificate, not {}",
                        c.local
                    )))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignatureParts {
            digest,
            signature,
            certificates,
        })
    }
}

/// The child elements of `parent`, which must be exactly these `ds:` elements in this order.
fn ds_children<'a, const N: usize>(
    parent: &'a Element,
    context: &str,
    locals: [&str; N],
) -> Result<[&'a Element; N], DsigError> {
    let matches = parent.children.len() == N
        && parent
            .children
            .iter()
            .zip(locals)
            .all(|(child, local)| child.is(DSIG_NS, local));
    if !matches {
        let found: Vec<&str> = parent.children.iter().map(|c| c.local.as_str()).collect();
        return Err(DsigError::Structure(format!(
            "{context} must hold exactly ds:{} in this order, not [{}]",
            locals.join(", ds:"),
            found.join(", ")
        )));
    }
    Ok(std::array::from_fn(|i| &parent.children[i]))
}

/// Checks the `Algorithm` of a method element, which takes no parameters.
fn algorithm(
    element: &Element,
    name: &'static str,
    required: &'static str,
) -> Result<(), DsigError> {
    let found = element.attribute(None, "Algorithm").unwrap_or_default();
    if found != required {
        return Err(DsigError::Algorithm {
            element: name,
            found: found.to_owned(),
            required,
        });
    }
    if let Some(parameter) = element.children.first() {
        return Err(DsigError::Structure(format!(
            "{name} takes no parameters, not {}",
            parameter.local
        )));
    }
    Ok(())
}

/// The base64 content of an element (whitespace allowed, as in `xs:base64Binary`).
fn base64(element: &Element, name: &'static str) -> Result<Vec<u8>, DsigError> {
    let compact: Vec<u8> = element
        .text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    BASE64.decode(compact).map_err(|_| DsigError::Base64(name))
}

/// Where things are in a document, by byte offset: one streaming pass.
#[derive(Debug, Default)]
struct Layout {
    /// The qualified name of the document element.
    root_qname: String,
    /// Just after the document element's start tag.
    root_open_end: usize,
    /// The start of the document element's end tag; `None` for an empty-element tag.
    root_close_start: Option<usize>,
    /// Just after the last of the leading `rim:Slot` children of the document element.
    leading_slots_end: Option<usize>,
    /// A prefix the document element binds to the rim namespace (`rim` preferred).
    rim_prefix: Option<String>,
    /// A prefix the document element binds to the xsi namespace (`xsi` preferred).
    xsi_prefix: Option<String>,
    /// Every `ds:Signature` element, in document order.
    signatures: Vec<FoundSignature>,
}

#[derive(Debug)]
struct FoundSignature {
    /// The start of its start tag.
    start: usize,
    /// The placement it is at, if any.
    placement: Option<Placement>,
    /// The start of its first `ds:SignedInfo` child.
    signed_info: Option<usize>,
}

/// What an open element is, as far as placement goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Root,
    /// A `rim:Slot` child of the root; `signature`: named "Signature".
    RootSlot {
        signature: bool,
    },
    SignatureSlotValue,
    Signature,
    Other,
}

fn scan(xml: &str) -> Result<Layout, DsigError> {
    let mut reader = NsReader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut layout = Layout::default();
    let mut stack: Vec<Kind> = Vec::new();
    let mut leading_slots = true;
    loop {
        let position = offset(reader.buffer_position());
        let (resolved, event) = reader
            .read_resolved_event()
            .map_err(|e| C14nError::Syntax {
                position,
                detail: e.to_string(),
            })?;
        // Only these two namespaces matter for placement.
        let namespace = match resolved {
            ResolveResult::Bound(ns) => [RIM, DSIG_NS].into_iter().find(|k| *k == ns.0),
            _ => None,
        };
        let (tag, empty) = match event {
            Event::Start(tag) => (tag, false),
            Event::Empty(tag) => (tag, true),
            Event::End(_) => {
                let kind = stack.pop();
                if stack.len() == 1 && leading_slots && matches!(kind, Some(Kind::RootSlot { .. }))
                {
                    layout.leading_slots_end = Some(offset(reader.buffer_position()));
                } else if stack.is_empty() {
                    layout.root_close_start = Some(position);
                }
                continue;
            }
            Event::DocType(_) => return Err(C14nError::Doctype.into()),
            Event::Eof => break,
            _ => continue,
        };
        let end = offset(reader.buffer_position());
        let in_ns =
            |ns: &str, local: &str| namespace == Some(ns) && tag.local_name().into_inner() == local;
        let parent = stack.last().copied();
        let kind = match parent {
            None => {
                if !layout.root_qname.is_empty() {
                    return Err(C14nError::Syntax {
                        position,
                        detail: "a second document element".into(),
                    }
                    .into());
                }
                layout.root_qname = tag.name().0.to_owned();
                layout.root_open_end = end;
                root_prefixes(&tag, &mut layout)?;
                Kind::Root
            }
            Some(Kind::Root) => {
                // A later sibling means a signature before it is not the last child.
                for found in &mut layout.signatures {
                    if found.placement == Some(Placement::LastChild) {
                        found.placement = None;
                    }
                }
                if in_ns(RIM, "Slot") {
                    let signature = tag
                        .try_get_attribute("name")
                        .ok()
                        .flatten()
                        .is_some_and(|a| a.value == "Signature");
                    Kind::RootSlot { signature }
                } else {
                    leading_slots = false;
                    Kind::Other
                }
            }
            Some(Kind::RootSlot { signature: true }) if in_ns(RIM, "SlotValue") => {
                Kind::SignatureSlotValue
            }
            Some(Kind::Signature) if in_ns(DSIG_NS, "SignedInfo") => {
                if let Some(found) = layout.signatures.last_mut()
                    && found.signed_info.is_none()
                {
                    found.signed_info = Some(position);
                }
                Kind::Other
            }
            _ => Kind::Other,
        };
        let kind = if in_ns(DSIG_NS, "Signature") {
            layout.signatures.push(FoundSignature {
                start: position,
                placement: match parent {
                    Some(Kind::Root) => Some(Placement::LastChild),
                    Some(Kind::SignatureSlotValue) => Some(Placement::Slot),
                    _ => None,
                },
                signed_info: None,
            });
            Kind::Signature
        } else {
            kind
        };
        if empty {
            if parent == Some(Kind::Root) && leading_slots && matches!(kind, Kind::RootSlot { .. })
            {
                layout.leading_slots_end = Some(end);
            }
        } else {
            stack.push(kind);
        }
    }
    if layout.root_qname.is_empty() {
        return Err(C14nError::Syntax {
            position: 0,
            detail: "no document element".into(),
        }
        .into());
    }
    if !stack.is_empty() {
        return Err(C14nError::Syntax {
            position: xml.len(),
            detail: "the document ends inside an element".into(),
        }
        .into());
    }
    Ok(layout)
}

/// Records the prefixes the document element binds to the rim and xsi namespaces.
fn root_prefixes(tag: &BytesStart<'_>, layout: &mut Layout) -> Result<(), DsigError> {
    for attribute in tag.attributes().with_checks(true) {
        let attribute = attribute.map_err(|e| C14nError::Syntax {
            position: 0,
            detail: e.to_string(),
        })?;
        let Some(PrefixDeclaration::Named(prefix)) = attribute.key.as_namespace_binding() else {
            continue;
        };
        let uri = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| C14nError::Syntax {
                position: 0,
                detail: e.to_string(),
            })?;
        for (ns, preferred, slot) in [
            (RIM, "rim", &mut layout.rim_prefix),
            (XSI, "xsi", &mut layout.xsi_prefix),
        ] {
            if uri == ns && (slot.is_none() || prefix == preferred) {
                *slot = Some(prefix.to_owned());
            }
        }
    }
    Ok(())
}

fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_info_written_is_its_canonical_form_in_any_context() {
        let mut canonical = String::new();
        write_signed_info(&mut canonical, "AAAA", true);
        assert_eq!(
            c14n::element(&canonical, 0).expect("c14n"),
            canonical.as_bytes()
        );
        let mut doc = String::from(concat!(
            r#"<r xmlns="urn:d" xmlns:x="urn:x" xml:lang="de">"#,
            r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#
        ));
        let at = doc.len();
        write_signed_info(&mut doc, "AAAA", false);
        doc.push_str("</ds:Signature></r>");
        assert_eq!(c14n::element(&doc, at).expect("c14n"), canonical.as_bytes());
    }

    #[test]
    fn scan_finds_the_insertion_points_and_every_signature() {
        let doc = concat!(
            r#"<q:R xmlns:q="urn:q" xmlns:r="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" "#,
            r#"xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">"#,
            r#"<rim:Slot name="A"/><r:Slot name="B"></r:Slot><q:Other/><rim:Slot name="late"/>"#,
            r#"<x><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature></x>"#,
            r#"</q:R>"#
        );
        let layout = scan(doc).expect("scan");
        assert_eq!(layout.root_qname, "q:R");
        assert_eq!(
            &doc[..layout.root_open_end],
            &doc[..doc.find("<rim:Slot").expect("slot")]
        );
        assert_eq!(layout.leading_slots_end, doc.find("<q:Other/>"));
        assert_eq!(layout.root_close_start, doc.find("</q:R>"));
        assert_eq!(layout.rim_prefix.as_deref(), Some("rim"));
        assert_eq!(layout.xsi_prefix.as_deref(), Some("i"));
        let [found] = layout.signatures.as_slice() else {
            panic!("one signature: {:?}", layout.signatures)
        };
        assert_eq!(Some(found.start), doc.find("<Signature"));
        assert_eq!(found.signed_info, doc.find("<SignedInfo"));
        assert_eq!(found.placement, None, "inside x: neither placement");
    }
}
