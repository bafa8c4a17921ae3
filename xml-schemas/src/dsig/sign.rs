//! Signing: the `ds:Signature` written into a document at its placement.

use std::borrow::Cow;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use sha2::{Digest, Sha256};

use super::scan::{Layout, scan};
use super::{DsigError, Placement, p256_public_key};
use crate::c14n;
use crate::ns::{RIM, XSI};

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

    /// The signature (raw `r || s`, 64 bytes) of `signed_info`, the canonical bytes of a
    /// `ds:SignedInfo`.
    pub(super) fn sign_signed_info(&self, signed_info: &[u8]) -> Result<Vec<u8>, DsigError> {
        let signature = self
            .key
            .sign(&self.rng, signed_info)
            .map_err(|_| DsigError::Signing)?;
        Ok(signature.as_ref().to_vec())
    }

    /// `ds:X509Data` with the chain, as every signature of this signer carries it.
    pub(super) fn x509_data(&self) -> &str {
        &self.x509_data
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
        let (open, close) = wrapper(&layout, placement)?;
        let (head, tail) = split_at(xml, &layout, placement)?;

        let mut unsigned = String::with_capacity(xml.len() + open.len() + close.len() + 16);
        for part in [&*head, &open, &close, &*tail] {
            unsigned.push_str(part);
        }
        let digest = BASE64.encode(Sha256::digest(c14n::document(&unsigned, None)?));
        let mut signed_info = String::with_capacity(1024);
        write_signed_info(&mut signed_info, &digest, true);
        let signature = self.sign_signed_info(signed_info.as_bytes())?;

        let mut out = String::with_capacity(unsigned.len() + 1200 + self.x509_data.len());
        out.push_str(&head);
        out.push_str(&open);
        out.push_str(r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">"#);
        write_signed_info(&mut out, &digest, false);
        out.push_str("<ds:SignatureValue>");
        out.push_str(&BASE64.encode(&signature));
        out.push_str("</ds:SignatureValue><ds:KeyInfo>");
        out.push_str(&self.x509_data);
        out.push_str("</ds:KeyInfo></ds:Signature>");
        out.push_str(&close);
        out.push_str(&tail);
        Ok(out)
    }
}

/// What goes around the `ds:Signature` element at `placement`: the start and end tags of
/// `<rim:Slot name="Signature"><rim:SlotValue xsi:type="rim:AnyValueType">` with the prefixes
/// the document element declares, or nothing.
fn wrapper(layout: &Layout, placement: Placement) -> Result<(String, String), DsigError> {
    Ok(match placement {
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
    })
}

/// The document before and after the place of the signature at `placement`. An empty document
/// element `<r/>` is opened up into `<r>` … `</r>` to take it.
fn split_at<'x>(
    xml: &'x str,
    layout: &Layout,
    placement: Placement,
) -> Result<(Cow<'x, str>, Cow<'x, str>), DsigError> {
    Ok(match layout.root_close_start {
        Some(close_start) => {
            let at = match placement {
                Placement::Slot => layout.leading_slots_end.unwrap_or(layout.root_open_end),
                Placement::LastChild => close_start,
            };
            (Cow::Borrowed(&xml[..at]), Cow::Borrowed(&xml[at..]))
        }
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
    })
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
}
