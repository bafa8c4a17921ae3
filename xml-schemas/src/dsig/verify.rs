//! Verifying: the one `ds:Signature` of a document, checked against the profile.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use sha2::{Digest, Sha256};

use super::scan::scan;
use super::{
    DSIG_NS, DsigError, ECDSA_SHA256, ENVELOPED_SIGNATURE, EXC_C14N, Placement, SHA256,
    p256_public_key,
};
use crate::EdmError;
use crate::c14n;
use crate::ns::RIM;
use crate::tree::{self, Element, Limits};

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
    /// Reads a `ds:Signature`: `ds:SignedInfo`, `ds:SignatureValue` and `ds:KeyInfo`, in this
    /// order and nothing else.
    fn read(signature: &Element) -> Result<SignatureParts, DsigError> {
        let [signed_info, signature_value, key_info] = ds_children(
            signature,
            "ds:Signature",
            ["SignedInfo", "SignatureValue", "KeyInfo"],
        )?;
        let digest = signed_digest(signed_info)?;
        let signature = base64(signature_value, "ds:SignatureValue")?;
        if signature.len() != 64 {
            return Err(DsigError::SignatureLength(signature.len()));
        }
        let certificates = key_info_certificates(key_info)?;
        Ok(SignatureParts {
            digest,
            signature,
            certificates,
        })
    }
}

/// The document digest `ds:SignedInfo` signs, once its algorithms are the profile's and it holds
/// exactly one reference.
fn signed_digest(signed_info: &Element) -> Result<Vec<u8>, DsigError> {
    let references = signed_references(signed_info)?;
    let [reference] = references else {
        return Err(DsigError::ReferenceCount(references.len()));
    };
    reference_digest(reference)
}

/// The `ds:Reference` elements of `ds:SignedInfo`, once it starts with the profile's
/// `CanonicalizationMethod` and `SignatureMethod` and holds nothing else. The algorithms are
/// checked first, so that a foreign algorithm is named as such.
pub(super) fn signed_references(signed_info: &Element) -> Result<&[Element], DsigError> {
    let mut items = signed_info.children.iter();
    let c14n_method = items
        .next()
        .filter(|e| e.is(DSIG_NS, "CanonicalizationMethod"))
        .ok_or_else(|| {
            DsigError::Structure("ds:SignedInfo must start with ds:CanonicalizationMethod".into())
        })?;
    algorithm(c14n_method, "ds:CanonicalizationMethod", EXC_C14N)?;
    let signature_method = items
        .next()
        .filter(|e| e.is(DSIG_NS, "SignatureMethod"))
        .ok_or_else(|| {
            DsigError::Structure("ds:SignatureMethod must follow ds:CanonicalizationMethod".into())
        })?;
    algorithm(signature_method, "ds:SignatureMethod", ECDSA_SHA256)?;
    let rest = items.as_slice();
    if let Some(other) = rest.iter().find(|e| !e.is(DSIG_NS, "Reference")) {
        return Err(DsigError::Structure(format!(
            "ds:SignedInfo may only hold ds:Reference after ds:SignatureMethod, not {}",
            other.local
        )));
    }
    Ok(rest)
}

/// The SHA-256 digest of the one `ds:Reference`, which must be to the whole document with
/// exactly the profile's transforms.
fn reference_digest(reference: &Element) -> Result<Vec<u8>, DsigError> {
    match reference.attribute(None, "URI") {
        Some("") => {}
        other => return Err(DsigError::ReferenceUri(other.map(ToOwned::to_owned))),
    }
    let [transforms, digest_method, digest_value] = ds_children(
        reference,
        "ds:Reference",
        ["Transforms", "DigestMethod", "DigestValue"],
    )?;
    check_transforms(transforms)?;
    algorithm(digest_method, "ds:DigestMethod", SHA256)?;
    let digest = base64(digest_value, "ds:DigestValue")?;
    if digest.len() != 32 {
        return Err(DsigError::Structure(format!(
            "ds:DigestValue has {} bytes; a SHA-256 digest has 32",
            digest.len()
        )));
    }
    Ok(digest)
}

/// Refuses any transforms but enveloped-signature then exc-c14n, without parameters; the
/// refusal lists what was found.
fn check_transforms(transforms: &Element) -> Result<(), DsigError> {
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
    Ok(())
}

/// The certificates of `ds:KeyInfo/ds:X509Data` (DER, at least one): nothing but
/// `ds:X509Certificate` is allowed there.
pub(super) fn key_info_certificates(key_info: &Element) -> Result<Vec<Vec<u8>>, DsigError> {
    let [x509_data] = ds_children(key_info, "ds:KeyInfo", ["X509Data"])?;
    if x509_data.children.is_empty() {
        return Err(DsigError::Structure(
            "ds:X509Data holds no ds:X509Certificate".into(),
        ));
    }
    x509_data
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
        .collect()
}

/// The child elements of `parent`, which must be exactly these `ds:` elements in this order.
pub(super) fn ds_children<'a, const N: usize>(
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
pub(super) fn algorithm(
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
pub(super) fn base64(element: &Element, name: &'static str) -> Result<Vec<u8>, DsigError> {
    let compact: Vec<u8> = element
        .text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    BASE64.decode(compact).map_err(|_| DsigError::Base64(name))
}
