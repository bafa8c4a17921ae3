//! Verifying a detached signature against the parts of a message.

use std::collections::HashSet;

use quick_xml::Reader;
use quick_xml::events::Event;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use sha2::{Digest, Sha256};

use super::properties::MessageProperties;
use super::{part_content_id, wrapping};
use crate::EdmError;
use crate::c14n::{self, C14nError};
use crate::dsig::verify::{
    algorithm, base64, ds_children, key_info_certificates, signed_references,
};
use crate::dsig::{DSIG_NS, DsigError, EXC_C14N, SHA256, p256_public_key};
use crate::multipart;
use crate::tree::{self, Element, Limits};

/// A detached signature that verified: the parts it names are, octet for octet, as signed by the
/// key of [`VerifiedDetached::signer_certificate`], and so are the properties. Neither that
/// certificate nor the coverage of the message is checked yet (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedDetached {
    /// Every `ds:X509Certificate` of `ds:KeyInfo` (DER), in document order: the signer's first.
    pub certificates: Vec<Vec<u8>>,
    /// The `cid:` URLs of the covered parts, as the signature writes them, in signed order (the
    /// reference to the properties is not among them).
    pub references: Vec<String>,
    /// The signed properties, if the signature has them.
    pub properties: Option<MessageProperties>,
}

impl VerifiedDetached {
    /// The signer's certificate (DER): the first in `ds:KeyInfo`, whose key verified the
    /// signature.
    pub fn signer_certificate(&self) -> &[u8] {
        // `verify` only returns with at least one certificate.
        self.certificates.first().map_or(&[], Vec::as_slice)
    }

    /// Whether the part that `reference` names is covered. `reference` is read as
    /// [`multipart::Multipart::get`] reads it: a `cid:` URL (percent-encoded) or a bare content
    /// id, with or without `<` `>`; parts are compared by content id.
    pub fn covers(&self, reference: &str) -> bool {
        let Some(wanted) = multipart::content_id_of(reference) else {
            return false;
        };
        self.references
            .iter()
            .any(|uri| multipart::content_id_of(uri).is_some_and(|id| id == wanted))
    }

    /// Checks that every part the caller uses (`references`, read as in
    /// [`VerifiedDetached::covers`]) is covered: [`DsigError::Uncovered`] names the first that is
    /// not.
    pub fn check_covers<'r>(
        &self,
        references: impl IntoIterator<Item = &'r str>,
    ) -> Result<(), DsigError> {
        match references.into_iter().find(|r| !self.covers(r)) {
            Some(uncovered) => Err(DsigError::Uncovered(uncovered.to_owned())),
            None => Ok(()),
        }
    }
}

/// Verifies the detached signature `xml` (read within `limits`, as [`tree::parse`] does) over the
/// parts that `resolve` finds by the `cid:` URL written in each `ds:Reference` (e.g.
/// `|uri| multipart.get(uri).map(|part| part.body)`). Refuses anything outside the profile of the
/// module. The signer's certificate and the coverage of the message are the caller's to check.
pub fn verify<'p>(
    xml: &[u8],
    limits: &Limits,
    resolve: impl Fn(&str) -> Option<&'p [u8]>,
) -> Result<VerifiedDetached, DsigError> {
    let root = tree::parse(xml, limits)?;
    // tree::parse accepted the bytes as UTF-8.
    let text = std::str::from_utf8(xml)
        .map_err(|_| DsigError::Document(EdmError::invalid("the message is not valid UTF-8")))?;
    let object_id = wrapping::check(&root)?;
    let signature = Signature::read(&root, object_id)?;
    let starts = child_starts(text, root.children.len())?;

    for reference in &signature.references {
        let digest: [u8; 32] = if reference.object {
            // Signature::read refuses an object reference without the object, the fourth child.
            let start = starts.get(3).copied().unwrap_or(usize::MAX);
            Sha256::digest(c14n::element(text, start)?).into()
        } else {
            let part = resolve(&reference.uri)
                .ok_or_else(|| DsigError::UnresolvedReference(reference.uri.clone()))?;
            Sha256::digest(part).into()
        };
        if digest != reference.digest {
            return Err(DsigError::ReferenceDigestMismatch {
                uri: reference.uri.clone(),
            });
        }
    }
    // The document element has its ds:SignedInfo first (Signature::read).
    let signed_info = c14n::element(text, starts[0])?;
    let public_key = p256_public_key(&signature.certificates[0])?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key)
        .verify(&signed_info, &signature.value)
        .map_err(|_| DsigError::BadSignature)?;

    let properties = root.children.get(3).map(object_properties).transpose()?;
    Ok(VerifiedDetached {
        certificates: signature.certificates,
        references: signature
            .references
            .into_iter()
            .filter(|r| !r.object)
            .map(|r| r.uri)
            .collect(),
        properties,
    })
}

/// The properties in the `ds:Object`, which holds nothing else.
fn object_properties(object: &Element) -> Result<MessageProperties, DsigError> {
    match object.children.as_slice() {
        [properties] if object.text.trim().is_empty() => MessageProperties::read(properties),
        _ => Err(DsigError::Properties(
            "the ds:Object must hold exactly one mp:MessageProperties and nothing else".into(),
        )),
    }
}

/// The values of a detached `ds:Signature` that follows the profile.
#[derive(Debug)]
struct Signature {
    /// At least one to a part; at most one to the object.
    references: Vec<SignedReference>,
    /// Raw `r || s`.
    value: Vec<u8>,
    /// At least one.
    certificates: Vec<Vec<u8>>,
}

/// One `ds:Reference`.
#[derive(Debug)]
struct SignedReference {
    uri: String,
    digest: [u8; 32],
    /// To the `ds:Object`, not to a part.
    object: bool,
}

impl Signature {
    /// Reads the document element: `ds:SignedInfo`, `ds:SignatureValue`, `ds:KeyInfo` and an
    /// optional `ds:Object` (whose `Id` is `object_id`), in this order and nothing else.
    fn read(root: &Element, object_id: Option<&str>) -> Result<Signature, DsigError> {
        let names = ["SignedInfo", "SignatureValue", "KeyInfo", "Object"];
        let [signed_info, signature_value, key_info] = if root.children.len() == names.len() {
            let [s, v, k, _] = ds_children(root, "ds:Signature", names)?;
            [s, v, k]
        } else {
            ds_children(root, "ds:Signature", [names[0], names[1], names[2]])?
        };
        let has_object = root.children.len() == names.len();
        let references = references(signed_info, object_id, has_object)?;
        let value = base64(signature_value, "ds:SignatureValue")?;
        if value.len() != 64 {
            return Err(DsigError::SignatureLength(value.len()));
        }
        let certificates = key_info_certificates(key_info)?;
        Ok(Signature {
            references,
            value,
            certificates,
        })
    }
}

/// The references of `ds:SignedInfo`: at least one to a part, each part once, and one to the
/// object exactly when there is one (`has_object`, with the `Id` `object_id`).
fn references(
    signed_info: &Element,
    object_id: Option<&str>,
    has_object: bool,
) -> Result<Vec<SignedReference>, DsigError> {
    let elements = signed_references(signed_info)?;
    let mut seen = HashSet::with_capacity(elements.len());
    let mut references = Vec::with_capacity(elements.len());
    for element in elements {
        let (reference, key) = reference(element, object_id)?;
        if !seen.insert(key) {
            return Err(DsigError::DuplicateReference(reference.uri));
        }
        references.push(reference);
    }
    if has_object && !references.iter().any(|r| r.object) {
        return Err(DsigError::UnreferencedObject);
    }
    if !references.iter().any(|r| !r.object) {
        return Err(DsigError::NoParts);
    }
    Ok(references)
}

/// One `ds:Reference`, with the key that identifies what it covers (a part's content id, or the
/// object as `#` and its `Id`): to a part, without transforms; to the object, with exactly
/// exc-c14n; SHA-256 either way.
fn reference(
    element: &Element,
    object_id: Option<&str>,
) -> Result<(SignedReference, String), DsigError> {
    let uri = element
        .attribute(None, "URI")
        .ok_or(DsigError::DetachedUri(None))?;
    let (object, key) = match uri.strip_prefix('#') {
        Some(id) if object_id == Some(id) => (true, uri.to_owned()),
        Some(_) => return Err(DsigError::MissingObject(uri.to_owned())),
        None => (false, part_content_id(uri)?),
    };
    let (transforms, rest) = match element.children.split_first() {
        Some((first, rest)) if first.is(DSIG_NS, "Transforms") => (transform_names(first), rest),
        _ => (Vec::new(), element.children.as_slice()),
    };
    let (required_transforms, required): (&[&str], _) = if object {
        (&[EXC_C14N], "exactly [exc-c14n] for the ds:Object")
    } else {
        (&[], "none for a part (its raw octets are digested)")
    };
    if transforms != required_transforms {
        return Err(DsigError::ReferenceTransforms {
            uri: uri.to_owned(),
            found: transforms,
            required,
        });
    }
    let [digest_method, digest_value] = rest else {
        let found: Vec<&str> = rest.iter().map(|c| c.local.as_str()).collect();
        return Err(DsigError::Structure(format!(
            "ds:Reference {uri:?} must hold ds:DigestMethod then ds:DigestValue after its transforms, not [{}]",
            found.join(", ")
        )));
    };
    if !digest_method.is(DSIG_NS, "DigestMethod") || !digest_value.is(DSIG_NS, "DigestValue") {
        return Err(DsigError::Structure(format!(
            "ds:Reference {uri:?} must hold ds:DigestMethod then ds:DigestValue after its transforms, not [{}, {}]",
            digest_method.local, digest_value.local
        )));
    }
    algorithm(digest_method, "ds:DigestMethod", SHA256)?;
    let digest = base64(digest_value, "ds:DigestValue")?;
    let digest = <[u8; 32]>::try_from(digest).map_err(|digest| {
        DsigError::Structure(format!(
            "ds:DigestValue of {uri:?} has {} bytes; a SHA-256 digest has 32",
            digest.len()
        ))
    })?;
    let reference = SignedReference {
        uri: uri.to_owned(),
        digest,
        object,
    };
    Ok((reference, key))
}

/// The algorithms of `ds:Transforms`, as the refusal lists them: a transform with parameters or
/// another element is named as such, so it never equals an allowed list.
fn transform_names(transforms: &Element) -> Vec<String> {
    transforms
        .children
        .iter()
        .map(|t| {
            let algorithm = t.attribute(None, "Algorithm").unwrap_or_default();
            match (t.is(DSIG_NS, "Transform"), t.children.is_empty()) {
                (true, true) => algorithm.to_owned(),
                (true, false) => format!("{algorithm} with parameters"),
                (false, _) => format!("{} {algorithm}", t.local),
            }
        })
        .collect()
}

/// The byte offsets of the start tags of the document element's children, which must be
/// `expected` many (those of the tree read from the same text).
fn child_starts(xml: &str, expected: usize) -> Result<Vec<usize>, DsigError> {
    let mut reader = Reader::from_str(xml);
    let mut starts = Vec::with_capacity(expected);
    let mut depth = 0usize;
    loop {
        let position = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| C14nError::Syntax {
            position,
            detail: e.to_string(),
        })?;
        match event {
            Event::Start(_) => {
                if depth == 1 {
                    starts.push(position);
                }
                depth += 1;
            }
            Event::Empty(_) if depth == 1 => starts.push(position),
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if starts.len() != expected {
        return Err(DsigError::Structure(format!(
            "the document element has {expected} child elements, but {} start tags were found",
            starts.len()
        )));
    }
    Ok(starts)
}
