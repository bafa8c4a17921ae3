//! Detached XML Signature over the parts of a `multipart/related` message.
//!
//! The Commission's rules forbid extra slots in an EDM document, so the node's transport carries
//! the signature next to the parts it covers: one standalone `ds:Signature` document, as a part of
//! its own, over the EDM document part and the evidence part(s), named by their `cid:` URLs
//! (RFC 2392, as [`crate::multipart::cid_url`] writes them, e.g. `cid:message@once`,
//! `cid:evidence-1@once`). The profile is fixed and checked strictly:
//!
//! - the document element is the one `ds:Signature`: `ds:SignedInfo`, `ds:SignatureValue`,
//!   `ds:KeyInfo` and, when properties are signed, one `ds:Object`, in this order;
//! - `ds:SignedInfo`: `CanonicalizationMethod` exc-c14n, `SignatureMethod` ecdsa-sha256, then one
//!   `ds:Reference` per part, `URI` = the part's `cid:` URL, **no transforms**, `DigestMethod`
//!   sha256 over the part's raw octets; plus, with properties, one `ds:Reference URI="#…"` to the
//!   `ds:Object` with exactly the exc-c14n transform;
//! - `ds:SignatureValue`: the raw 64-byte `r || s`; `ds:KeyInfo/ds:X509Data/ds:X509Certificate`:
//!   the signer's certificate first, nothing else;
//! - the only ID attribute (`Id`, `ID`, `id`, `xml:id`) of the document is the `ds:Object`'s, and
//!   no part is referenced twice: anything else is refused as signature wrapping.
//!
//! # Why the parts' raw octets
//!
//! A part is digested exactly as it travels (after the transport has undone any
//! `Content-Transfer-Encoding`; the node sends `binary`), without transforms. So the signature
//! does not depend on XML canonicalisation of the parts (a re-indented or re-encoded EDM
//! document no longer verifies, which is wanted: the receiver stores and forwards the octets it
//! verified), and a part may be of any media type (PDF, images, JSON). The price: a party that
//! rewrites a part, even in an XML-equivalent way, breaks the signature.
//!
//! # The signed properties
//!
//! The transport binds what is not in the parts — who sends to whom, when, which message id,
//! which request an answer replies to — as [`MessageProperties`] in the `ds:Object`
//! (`Id="message-properties"`), covered by its own reference.
//!
//! # What the caller checks
//!
//! [`verify`] checks the profile, every digest and the signature with the key of the first
//! certificate. The caller checks:
//! - that **every** part it uses is covered ([`VerifiedDetached::check_covers`]): a signature
//!   over the EDM document alone says nothing about an evidence part next to it;
//! - the signer certificate against the federation (`once_pki::signing::SignerVerifier`);
//! - the properties (sender is the peer, receiver is this node, freshness, replay).
//!
//! # Verifying with xmlsec1
//!
//! An operator verifies a logged message with the reference implementation, libxmlsec1, mapping
//! each `cid:` URL to the file holding that part's octets with `--url-map:<url> <file>` (checked
//! with xmlsec1 1.2.37; without a mapping xmlsec1 cannot open a `cid:` URL and fails):
//!
//! ```text
//! xmlsec1 --verify --trusted-pem <federation-ca.pem> \
//!     --url-map:cid:message@once <message-part-file> \
//!     --url-map:cid:evidence-1@once <evidence-1-part-file> \
//!     <signature-part-file>
//! ```
//!
//! The `<url>` is written exactly as the `ds:Reference/@URI` (one `--url-map` per reference;
//! xmlsec1 1.2.37 finds no mapping for a URL with `%` escapes, so content ids that need none,
//! like the node's `message@once` and `evidence-1@once`, keep messages verifiable this way);
//! the files hold the parts' bodies as received (no MIME headers). xmlsec1 is the more lenient
//! verifier, so list the URIs first, e.g.
//! `xmllint --xpath '//*[local-name()="Reference"]/@URI' <signature-part-file>`, and check:
//! - every URI is a `cid:` URL or `#message-properties`: xmlsec1 follows any URI a signature
//!   names (it reads `file://` URLs and plain paths of the machine it runs on);
//! - every part of the message is among them: xmlsec1 verifies what the signature references;
//! - the document is exactly our profile: xmlsec1 also accepts a signature wrapped in another
//!   element, or its `ds:Object` moved into `ds:KeyInfo`, which [`verify`] refuses.
//!
//! xmlsec1 checks the certificate's chain to the federation root, not its revocation nor its
//! documentSigning usage; the node does both (`SignerVerifier`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use super::{DSIG_NS, DsigError, ECDSA_SHA256, EXC_C14N, SHA256, Signer};
use crate::c14n;
use crate::multipart;
use crate::write::Writer;

mod properties;
mod verify;
mod wrapping;

pub use properties::{MessageProperties, PROPERTIES_NS};
pub use verify::{VerifiedDetached, verify};

/// The `Id` of the `ds:Object` that [`sign`] writes the properties into.
pub const OBJECT_ID: &str = "message-properties";

/// One part to sign: its `cid:` URL and its raw octets.
pub type Part<'a> = (&'a str, &'a [u8]);

/// Signs `parts` (each a `cid:` URL as [`multipart::cid_url`] writes it, and the part's raw
/// octets) and, if given, `properties`: returns the standalone `ds:Signature` document (UTF-8,
/// no XML declaration). References follow the order of `parts`, the object's last.
///
/// Refused: no parts ([`DsigError::NoParts`]), a URI that is not such a `cid:` URL
/// ([`DsigError::DetachedUri`]), two URIs naming the same content id
/// ([`DsigError::DuplicateReference`]), properties that cannot be written
/// ([`DsigError::Properties`]).
pub fn sign(
    signer: &Signer,
    parts: &[Part<'_>],
    properties: Option<&MessageProperties>,
) -> Result<String, DsigError> {
    if parts.is_empty() {
        return Err(DsigError::NoParts);
    }
    let mut references = Vec::with_capacity(parts.len() + 1);
    let mut content_ids = Vec::with_capacity(parts.len());
    for &(uri, bytes) in parts {
        let id = part_content_id(uri)?;
        if content_ids.contains(&id) {
            return Err(DsigError::DuplicateReference(uri.to_owned()));
        }
        content_ids.push(id);
        references.push(Reference {
            uri: uri.to_owned(),
            digest: Sha256::digest(bytes).into(),
            object: false,
        });
    }
    let object = match properties {
        Some(properties) => {
            let declared = write_object(properties, true)?;
            references.push(Reference {
                uri: format!("#{OBJECT_ID}"),
                digest: Sha256::digest(c14n::element(&declared, 0)?).into(),
                object: true,
            });
            write_object(properties, false)?
        }
        None => String::new(),
    };
    // Exclusive C14N of ds:SignedInfo in the document equals that of this standalone copy: the
    // ds binding is the only one it uses, and it is rendered on ds:SignedInfo either way.
    let signed_info = c14n::element(&write_signed_info(&references, true)?, 0)?;
    let signature = signer.sign_signed_info(&signed_info)?;

    let signed_info = write_signed_info(&references, false)?;
    let x509_data = signer.x509_data();
    let mut out = String::with_capacity(signed_info.len() + x509_data.len() + object.len() + 256);
    out.push_str(r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#);
    out.push_str(&signed_info);
    out.push_str("<ds:SignatureValue>");
    out.push_str(&BASE64.encode(&signature));
    out.push_str("</ds:SignatureValue><ds:KeyInfo>");
    out.push_str(x509_data);
    out.push_str("</ds:KeyInfo>");
    out.push_str(&object);
    out.push_str("</ds:Signature>");
    Ok(out)
}

/// A reference as signed.
#[derive(Debug)]
struct Reference {
    uri: String,
    digest: [u8; 32],
    /// To the `ds:Object` (exc-c14n transform), not to a part (no transform).
    object: bool,
}

/// The content id a part URI names, if it is a `cid:` URL (scheme in any case) as
/// [`multipart::cid_url`] writes it: a non-empty content id, only the characters a URL may hold
/// as they are, and valid percent-escapes. Anything else is [`DsigError::DetachedUri`].
fn part_content_id(uri: &str) -> Result<String, DsigError> {
    let refused = || DsigError::DetachedUri(Some(uri.to_owned()));
    let scheme = uri.get(..4).ok_or_else(refused)?;
    let rest = &uri[4..];
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@%".contains(&b);
    if !scheme.eq_ignore_ascii_case("cid:") || rest.is_empty() || !rest.bytes().all(allowed) {
        return Err(refused());
    }
    match multipart::content_id_of(uri) {
        Some(id) if !id.is_empty() => Ok(id.into_owned()),
        _ => Err(refused()),
    }
}

/// `ds:SignedInfo` over `references`; `declare` adds the `xmlns:ds` declaration for a
/// standalone copy.
fn write_signed_info(references: &[Reference], declare: bool) -> Result<String, DsigError> {
    let mut out = Writer::with_capacity(400 + 260 * references.len());
    out.push_str(if declare {
        r#"<ds:SignedInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#
    } else {
        "<ds:SignedInfo>"
    });
    out.push_str(&format!(
        r#"<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/><ds:SignatureMethod Algorithm="{ECDSA_SHA256}"/>"#
    ));
    for reference in references {
        out.push_str(r#"<ds:Reference URI=""#);
        out.attr("ds:Reference/@URI", &reference.uri);
        out.push_str(r#"">"#);
        if reference.object {
            out.push_str(&format!(
                r#"<ds:Transforms><ds:Transform Algorithm="{EXC_C14N}"/></ds:Transforms>"#
            ));
        }
        out.push_str(&format!(
            r#"<ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue>{}</ds:DigestValue></ds:Reference>"#,
            BASE64.encode(reference.digest)
        ));
    }
    out.push_str("</ds:SignedInfo>");
    // The URIs were checked to be ASCII (part_content_id) or are ours.
    out.finish()
        .map_err(|e| DsigError::DetachedUri(Some(e.to_string())))
}

/// The `ds:Object` with the properties; `declare` adds the `xmlns:ds` declaration for a
/// standalone copy.
fn write_object(properties: &MessageProperties, declare: bool) -> Result<String, DsigError> {
    let mut out = Writer::with_capacity(512);
    out.push_str("<ds:Object");
    if declare {
        out.push_str(&format!(r#" xmlns:ds="{DSIG_NS}""#));
    }
    out.push_str(&format!(r#" Id="{OBJECT_ID}">"#));
    properties.write(&mut out)?;
    out.push_str("</ds:Object>");
    out.finish()
        .map_err(|e| DsigError::Properties(e.to_string()))
}

#[cfg(test)]
mod tests;
