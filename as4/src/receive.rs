//! Opening a user message: structure, signature, signer, decryption, digests, decompression,
//! in that order; the first failure is the [`EbmsError`] the error signal reports.
//!
//! What is refused, and with which code:
//! - not `multipart/related` SOAP with attachments or `application/soap+xml`, a part missing
//!   or extra, a `cid:` naming no part: `EBMS:0007` MimeInconsistency;
//! - an envelope that is not well-formed, has a DOCTYPE, exceeds the limits, lacks or repeats
//!   a header element: `EBMS:0009` InvalidHeader;
//! - no signature, no encryption of a payload, algorithms other than a [`Suite`]'s (exclusive
//!   C14N, SHA-256, AES-128-GCM and either RSA-SHA256 with RSA-OAEP (MGF1-SHA256), or
//!   ECDSA-SHA256 with ECDH-ES, HKDF-SHA256 and AES-128 key wrap), a signature of one suite and
//!   a key encryption of another, a suite this access point has no key for, a signature method
//!   that does not fit the signer's key, a `PrefixList` on exclusive C14N: `EBMS:0103`
//!   PolicyNoncompliance;
//! - a signature that does not verify, does not cover `eb:Messaging`, the Body and every
//!   payload, references any other element or a duplicated ID (wrapping), a signer the
//!   [`SignerCheck`] refuses, a digest that does not match: `EBMS:0101` FailedAuthentication;
//! - a session key or payload that does not decrypt: `EBMS:0102` FailedDecryption;
//! - a payload that does not decompress or decompresses beyond the limit: `EBMS:0303`.

use std::io::Read;

use aes_kw::KeyInit;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use flate2::read::GzDecoder;
use once_xml::multipart::{self, MultipartLimits};
use once_xml::tree::{self, Element};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

use crate::error::{EbmsCode, EbmsError, authentication, decryption, header, policy};
use crate::header::{Party, UserMessage};
use crate::keys::{Certificate, Credentials, OwnKeys};
use crate::ns::{self, DS, DSIG_MORE, DSIG11, EB, S12, WSSE, WSU, XENC, XENC11};
use crate::scan::{self, Layout};
use crate::send::SignedReference;
use crate::suite::Suite;
use crate::xml::{attribute, one, optional, required_text};

/// Limits on incoming messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The MIME body.
    pub multipart: MultipartLimits,
    /// The SOAP envelope.
    pub envelope: once_xml::Limits,
    /// The largest payload after decompression, in bytes.
    pub max_decompressed_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            multipart: MultipartLimits::default(),
            envelope: once_xml::Limits {
                max_bytes: 256 * 1024,
                max_depth: 24,
                max_elements: 2_000,
                max_attribute_bytes: 2048,
                max_attributes: 16,
                max_text_bytes: 32 * 1024,
            },
            max_decompressed_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Who may sign a message: the caller's partner table or trust store.
pub trait SignerCheck {
    /// Accepts `certificate` as the signer of a message from `from`, or says why not.
    fn check(&self, from: &Party, certificate: &Certificate) -> Result<(), String>;
}

/// The simplest [`SignerCheck`]: exactly one certificate, the partner's, pinned.
#[derive(Debug, Clone)]
pub struct Pinned(pub Certificate);

impl SignerCheck for Pinned {
    fn check(&self, from: &Party, certificate: &Certificate) -> Result<(), String> {
        if certificate.der() == self.0.der() {
            Ok(())
        } else {
            Err(format!(
                "{} is not the certificate configured for {}",
                certificate.subject(),
                from.id
            ))
        }
    }
}

/// A payload, decrypted and decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The MIME part's content id.
    pub content_id: String,
    /// The `MimeType` part property, if given.
    pub mime_type: Option<String>,
    /// The payload.
    pub bytes: Vec<u8>,
}

/// A user message, opened and authenticated.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its header.
    pub header: UserMessage,
    /// Its payloads, in the header's order.
    pub payloads: Vec<Payload>,
    /// The certificate whose key signed it (accepted by the [`SignerCheck`]).
    pub signer: Certificate,
    /// The references it signed, in order: what the receipt repeats.
    pub references: Vec<SignedReference>,
    /// The suite it was signed and encrypted with: the receipt is signed with it too.
    pub suite: Suite,
}

/// Opens a user message that arrived with `content_type` for the holder of `me` (the key of
/// the suite the message uses).
pub fn open(
    content_type: &str,
    body: &[u8],
    me: &dyn OwnKeys,
    signers: &dyn SignerCheck,
    limits: &Limits,
) -> Result<Received, EbmsError> {
    let (soap, attachments) = unpack(content_type, body, &limits.multipart)?;
    let envelope = tree::parse(soap.as_bytes(), &limits.envelope)
        .map_err(|e| header(format!("the SOAP envelope cannot be read: {e}")))?;
    if !envelope.is(S12, "Envelope") {
        return Err(header("the document is not a SOAP 1.2 Envelope"));
    }
    let soap_header = one(&envelope, S12, "Header")?;
    one(&envelope, S12, "Body")?;
    let user = UserMessage::read(one(soap_header, EB, "Messaging")?)?;
    let layout = scan::scan(soap).map_err(|e| e.about(Some(&user.message_id)))?;
    let message = Message {
        signed: Signed {
            soap,
            layout: &layout,
            security: security(soap_header)?,
        },
        user: &user,
    };
    let about = |e: EbmsError| e.about(Some(&user.message_id));
    let hrefs: Vec<&str> = user.parts.iter().map(|p| p.href.as_str()).collect();
    let verified = message
        .signed
        .verify(&hrefs, |signer| signers.check(&user.from, signer))
        .map_err(about)?;
    let plain = message
        .decrypt(me, verified.suite, &attachments)
        .map_err(about)?;
    let payloads = message
        .finish(&verified, plain, limits.max_decompressed_bytes)
        .map_err(about)?;
    Ok(Received {
        header: user.clone(),
        payloads,
        signer: verified.signer,
        references: verified.references,
        suite: verified.suite,
    })
}

/// The SOAP envelope and the other MIME parts (content id, bytes).
type Unpacked<'b> = (&'b str, Vec<(String, &'b [u8])>);

fn unpack<'b>(
    content_type: &str,
    body: &'b [u8],
    limits: &MultipartLimits,
) -> Result<Unpacked<'b>, EbmsError> {
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    let utf8 = |bytes: &'b [u8]| {
        std::str::from_utf8(bytes).map_err(|_| header("the SOAP envelope is not UTF-8"))
    };
    if media_type.eq_ignore_ascii_case(ns::SOAP_MEDIA_TYPE) {
        if body.len() > limits.max_body_bytes {
            return Err(header("the SOAP envelope is larger than the limit"));
        }
        return Ok((utf8(body)?, Vec::new()));
    }
    let mime = multipart::parse_soap(content_type, body, limits).map_err(|e| {
        EbmsError::new(
            EbmsCode::MimeInconsistency,
            format!("the MIME message cannot be read: {e}"),
        )
    })?;
    let root = mime.root();
    let root_type = root
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    if !root_type.eq_ignore_ascii_case(ns::SOAP_MEDIA_TYPE) {
        return Err(EbmsError::new(
            EbmsCode::MimeInconsistency,
            format!("the root part is {root_type}, not a SOAP 1.2 envelope"),
        ));
    }
    let attachments = mime
        .attachments()
        .map(|p| (p.content_id.to_owned(), p.body))
        .collect();
    Ok((utf8(root.body)?, attachments))
}

/// The one `wsse:Security` header; a message without one is unsigned.
pub(crate) fn security(soap_header: &Element) -> Result<&Element, EbmsError> {
    optional(soap_header, WSSE, "Security")?.ok_or_else(|| {
        policy("the message has no WS-Security header: it is neither signed nor encrypted")
    })
}

/// A user message being opened.
struct Message<'m> {
    signed: Signed<'m>,
    user: &'m UserMessage,
}

/// A signed envelope (user message or signal): its text, layout and security header.
pub(crate) struct Signed<'m> {
    pub(crate) soap: &'m str,
    pub(crate) layout: &'m Layout,
    pub(crate) security: &'m Element,
}

/// What the signature check established.
pub(crate) struct Verified {
    pub(crate) signer: Certificate,
    pub(crate) references: Vec<SignedReference>,
    pub(crate) suite: Suite,
}

impl Signed<'_> {
    /// Verifies the one signature of the security header: it covers `eb:Messaging`, the Body
    /// and the payloads `hrefs`, every element digest matches, `accept` takes its signer and
    /// the signature value verifies. The payloads' digests are the caller's to check.
    pub(crate) fn verify(
        &self,
        hrefs: &[&str],
        accept: impl FnOnce(&Certificate) -> Result<(), String>,
    ) -> Result<Verified, EbmsError> {
        let signature = optional(self.security, DS, "Signature")?
            .ok_or_else(|| policy("the message is not signed"))?;
        let signed_info = one(signature, DS, "SignedInfo")?;
        let suite = check_algorithms(signed_info)?;
        let references = signed_info
            .children_named(DS, "Reference")
            .map(read_reference)
            .collect::<Result<Vec<_>, _>>()?;
        self.check_coverage(&references, hrefs)?;
        for reference in references.iter().filter(|r| r.uri.starts_with('#')) {
            self.check_element_digest(reference)?;
        }
        let signer = self.signer(signature)?;
        if signer.suite() != suite {
            return Err(policy(format!(
                "the signature method {} does not fit the signer's {} key",
                suite.signature_method(),
                signer.suite().key_kind()
            )));
        }
        accept(&signer)
            .map_err(|why| authentication(format!("the signer is not accepted: {why}")))?;
        let [signed_info_start] = self.layout.signed_infos[..] else {
            return Err(authentication(
                "the envelope must hold exactly one ds:SignedInfo",
            ));
        };
        let canonical = once_xml::c14n::element(self.soap, signed_info_start)
            .map_err(|e| header(format!("ds:SignedInfo cannot be canonicalised: {e}")))?;
        let value = B64
            .decode(
                required_text(one(signature, DS, "SignatureValue")?)?
                    .replace(char::is_whitespace, ""),
            )
            .map_err(|_| authentication("the SignatureValue is not base64"))?;
        if !signer.verify(&canonical, &value) {
            return Err(authentication("the signature does not verify"));
        }
        Ok(Verified {
            signer,
            references,
            suite,
        })
    }

    /// The signature covers `eb:Messaging`, the Body and every payload, nothing else, and no
    /// reference twice.
    fn check_coverage(
        &self,
        references: &[SignedReference],
        hrefs: &[&str],
    ) -> Result<(), EbmsError> {
        for (i, reference) in references.iter().enumerate() {
            if references[..i].iter().any(|r| r.uri == reference.uri) {
                return Err(authentication(format!(
                    "{} is referenced twice",
                    reference.uri
                )));
            }
            if let Some(id) = reference.uri.strip_prefix('#') {
                let target =
                    self.layout.ids.get(id).ok_or_else(|| {
                        authentication(format!("{} names no element", reference.uri))
                    })?;
                let expected = (target.ns.as_deref(), target.local.as_str(), target.depth);
                if expected != (Some(EB), "Messaging", 2) && expected != (Some(S12), "Body", 1) {
                    return Err(authentication(format!(
                        "{} names {}, not eb:Messaging or the SOAP Body",
                        reference.uri, target.local
                    )));
                }
            } else if !reference.uri.starts_with("cid:") {
                return Err(authentication(format!(
                    "the reference {:?} is not supported",
                    reference.uri
                )));
            }
        }
        let covers = |kind: (&str, &str, usize)| {
            references.iter().any(|r| {
                r.uri
                    .strip_prefix('#')
                    .and_then(|id| self.layout.ids.get(id))
                    .is_some_and(|t| {
                        (t.ns.as_deref(), t.local.as_str(), t.depth)
                            == (Some(kind.0), kind.1, kind.2)
                    })
            })
        };
        if !covers((EB, "Messaging", 2)) {
            return Err(authentication("the signature does not cover eb:Messaging"));
        }
        if !covers((S12, "Body", 1)) {
            return Err(authentication("the signature does not cover the SOAP Body"));
        }
        for href in hrefs {
            if !references.iter().any(|r| same_cid(&r.uri, href)) {
                return Err(authentication(format!(
                    "the signature does not cover the payload {href}"
                )));
            }
        }
        Ok(())
    }

    fn check_element_digest(&self, reference: &SignedReference) -> Result<(), EbmsError> {
        let id = reference.uri.trim_start_matches('#');
        let start = self.layout.ids[id].start;
        let canonical = once_xml::c14n::element(self.soap, start)
            .map_err(|e| header(format!("{} cannot be canonicalised: {e}", reference.uri)))?;
        if B64.encode(Sha256::digest(canonical)) != reference.digest_value {
            return Err(authentication(format!(
                "the digest of {} does not match: the element was altered after signing",
                reference.uri
            )));
        }
        Ok(())
    }

    /// The certificate the signature's key info names: a binary security token of this header.
    fn signer(&self, signature: &Element) -> Result<Certificate, EbmsError> {
        let key_info = one(signature, DS, "KeyInfo")?;
        let reference = one(
            one(key_info, WSSE, "SecurityTokenReference")?,
            WSSE,
            "Reference",
        )?;
        let uri = attribute(reference, None, "URI").unwrap_or_default();
        let id = uri.strip_prefix('#').ok_or_else(|| {
            policy("the signature's key is not a binary security token of the header")
        })?;
        let token = self
            .security
            .children_named(WSSE, "BinarySecurityToken")
            .find(|t| t.attribute(Some(WSU), "Id") == Some(id))
            .ok_or_else(|| {
                authentication(format!("the signature's token {uri} is not in the header"))
            })?;
        if token.attribute(None, "ValueType") != Some(ns::X509V3) {
            return Err(policy(
                "the signature's token is not an X.509 v3 certificate",
            ));
        }
        let der = B64
            .decode(token.trimmed_text().replace(char::is_whitespace, ""))
            .map_err(|_| authentication("the signature's token is not base64"))?;
        Certificate::from_der(&der).map_err(|e| match e {
            crate::KeyError::UnsupportedKey => policy(e.to_string()),
            e => authentication(e.to_string()),
        })
    }
}

impl Message<'_> {
    /// The payloads' compressed bytes, decrypted, by content id.
    fn decrypt(
        &self,
        me: &dyn OwnKeys,
        suite: Suite,
        attachments: &[(String, &[u8])],
    ) -> Result<Vec<(String, Vec<u8>)>, EbmsError> {
        for (id, _) in attachments {
            if !self
                .user
                .parts
                .iter()
                .any(|p| p.content_id() == Some(id.as_str()))
            {
                return Err(EbmsError::new(
                    EbmsCode::MimeInconsistency,
                    format!("the MIME part {id} is not announced in PayloadInfo"),
                ));
            }
        }
        for part in &self.user.parts {
            if !attachments.iter().any(|(id, _)| same_cid(&part.href, id)) {
                return Err(EbmsError::new(
                    EbmsCode::MimeInconsistency,
                    format!("the payload {} has no MIME part", part.href),
                ));
            }
        }
        if self.user.parts.is_empty() {
            return Ok(Vec::new());
        }
        let encrypted_key = optional(self.signed.security, XENC, "EncryptedKey")?
            .ok_or_else(|| policy("the payloads are not encrypted"))?;
        let key = session_key(encrypted_key, me, suite)?;
        let mut plain = Vec::with_capacity(attachments.len());
        for data_reference in
            one(encrypted_key, XENC, "ReferenceList")?.children_named(XENC, "DataReference")
        {
            let uri = attribute(data_reference, None, "URI").unwrap_or_default();
            let id = uri.trim_start_matches('#');
            let data = self
                .signed
                .security
                .children_named(XENC, "EncryptedData")
                .find(|d| d.attribute(None, "Id") == Some(id))
                .ok_or_else(|| {
                    decryption(format!("the encrypted data {uri} is not in the header"))
                })?;
            plain.push(decrypt_part(data, &key, attachments)?);
        }
        for part in &self.user.parts {
            if !plain.iter().any(|(id, _)| same_cid(&part.href, id)) {
                return Err(policy(format!(
                    "the payload {} is not encrypted",
                    part.href
                )));
            }
        }
        Ok(plain)
    }

    /// Checks every payload's digest (over the compressed bytes, as signed) and decompresses.
    fn finish(
        &self,
        verified: &Verified,
        plain: Vec<(String, Vec<u8>)>,
        max_bytes: usize,
    ) -> Result<Vec<Payload>, EbmsError> {
        let mut payloads = Vec::with_capacity(plain.len());
        for part in &self.user.parts {
            let (content_id, bytes) = plain
                .iter()
                .find(|(id, _)| same_cid(&part.href, id))
                .ok_or_else(|| policy(format!("the payload {} is not encrypted", part.href)))?;
            let reference = verified
                .references
                .iter()
                .find(|r| same_cid(&r.uri, &part.href))
                .ok_or_else(|| {
                    authentication(format!(
                        "the signature does not cover the payload {}",
                        part.href
                    ))
                })?;
            if B64.encode(Sha256::digest(bytes)) != reference.digest_value {
                return Err(authentication(format!(
                    "the digest of the payload {} does not match: it was altered after signing",
                    part.href
                )));
            }
            let bytes = match part.property("CompressionType") {
                None => bytes.clone(),
                Some(ns::GZIP) => gunzip(bytes, max_bytes, &part.href)?,
                Some(other) => {
                    return Err(EbmsError::new(
                        EbmsCode::ValueNotRecognized,
                        format!(
                            "the compression type {other:?} of {} is not supported",
                            part.href
                        ),
                    ));
                }
            };
            payloads.push(Payload {
                content_id: content_id.clone(),
                mime_type: part.property("MimeType").map(str::to_owned),
                bytes,
            });
        }
        Ok(payloads)
    }
}

/// `ds:SignedInfo` uses exclusive C14N without a prefix list and a suite's signature method:
/// that suite.
fn check_algorithms(signed_info: &Element) -> Result<Suite, EbmsError> {
    let c14n = one(signed_info, DS, "CanonicalizationMethod")?;
    if c14n.attribute(None, "Algorithm") != Some(ns::EXC_C14N) || !c14n.children.is_empty() {
        return Err(policy(format!(
            "the canonicalisation {:?} is not exclusive C14N without a prefix list",
            c14n.attribute(None, "Algorithm").unwrap_or_default()
        )));
    }
    let method = one(signed_info, DS, "SignatureMethod")?;
    let algorithm = method.attribute(None, "Algorithm").unwrap_or_default();
    Suite::of_signature_method(algorithm).ok_or_else(|| {
        policy(format!(
            "the signature algorithm {algorithm:?} is neither RSA-SHA256 (eDelivery AS4 1.15) \
             nor ECDSA-SHA256 (eDelivery AS4 2.0 EC profile)"
        ))
    })
}

fn read_reference(reference: &Element) -> Result<SignedReference, EbmsError> {
    let uri = attribute(reference, None, "URI")
        .ok_or_else(|| authentication("a ds:Reference has no URI"))?;
    let transforms: Vec<&Element> = match optional(reference, DS, "Transforms")? {
        Some(t) => t.children_named(DS, "Transform").collect(),
        None => Vec::new(),
    };
    if transforms.iter().any(|t| !t.children.is_empty()) {
        return Err(policy(format!(
            "a transform of {uri} has parameters (a prefix list): not supported"
        )));
    }
    let transforms: Vec<String> = transforms
        .iter()
        .map(|t| attribute(t, None, "Algorithm").unwrap_or_default())
        .collect();
    let expected = if uri.starts_with("cid:") {
        ns::ATTACHMENT_CONTENT_SIGNATURE
    } else {
        ns::EXC_C14N
    };
    if transforms != [expected] {
        return Err(policy(format!(
            "the transforms of {uri} are {transforms:?}, not [{expected}]"
        )));
    }
    let digest_method =
        attribute(one(reference, DS, "DigestMethod")?, None, "Algorithm").unwrap_or_default();
    if digest_method != ns::SHA256 {
        return Err(policy(format!(
            "the digest algorithm {digest_method:?} of {uri} is not SHA-256"
        )));
    }
    let digest_value =
        required_text(one(reference, DS, "DigestValue")?)?.replace(char::is_whitespace, "");
    Ok(SignedReference {
        uri,
        transforms,
        digest_method,
        digest_value,
    })
}

/// The AES-128 session key of an `xenc:EncryptedKey`, encrypted as `suite` (the signature's)
/// does it: RSA-OAEP (SHA-256, MGF1-SHA256), or ECDH-ES with HKDF and AES-128 key wrap.
fn session_key(
    encrypted_key: &Element,
    me: &dyn OwnKeys,
    suite: Suite,
) -> Result<LessSafeKey, EbmsError> {
    let method = one(encrypted_key, XENC, "EncryptionMethod")?;
    let algorithm = method.attribute(None, "Algorithm").unwrap_or_default();
    let used = Suite::of_key_encryption_method(algorithm).ok_or_else(|| {
        policy(format!(
            "the key encryption {algorithm:?} is neither RSA-OAEP (eDelivery AS4 1.15) nor \
             AES-128 key wrap after ECDH-ES (eDelivery AS4 2.0 EC profile)"
        ))
    })?;
    if used != suite {
        return Err(policy(format!(
            "the message is signed as {suite} but its key is encrypted as {used}"
        )));
    }
    let credentials = me.for_suite(suite).ok_or_else(|| {
        policy(format!(
            "this access point has no key for the suite {suite} ({})",
            suite.key_kind()
        ))
    })?;
    let cipher = one(one(encrypted_key, XENC, "CipherData")?, XENC, "CipherValue")?;
    let cipher = B64
        .decode(cipher.trimmed_text().replace(char::is_whitespace, ""))
        .map_err(|_| decryption("the encrypted key is not base64"))?;
    let key = match suite {
        Suite::Edelivery115 => transported_key(method, &cipher, credentials)?,
        Suite::Edelivery20Ec => agreed_key(encrypted_key, &cipher, credentials)?,
    };
    let key = UnboundKey::new(&aead::AES_128_GCM, &key)
        .map_err(|_| decryption("the session key is not an AES-128 key"))?;
    Ok(LessSafeKey::new(key))
}

/// A session key transported with RSA-OAEP (SHA-256, MGF1-SHA256).
fn transported_key(
    method: &Element,
    cipher: &[u8],
    me: &Credentials,
) -> Result<Vec<u8>, EbmsError> {
    let digest = optional(method, DS, "DigestMethod")?.and_then(|d| d.attribute(None, "Algorithm"));
    let mgf = optional(method, XENC11, "MGF")?.and_then(|d| d.attribute(None, "Algorithm"));
    if digest != Some(ns::SHA256) || mgf != Some(ns::MGF1_SHA256) {
        return Err(policy(format!(
            "the key transport RSA-OAEP uses digest {:?} and MGF {:?}, not SHA-256 and MGF1-SHA256",
            digest.unwrap_or("SHA-1 by default"),
            mgf.unwrap_or("MGF1-SHA1 by default")
        )));
    }
    me.oaep_decrypt(cipher)
        .ok_or_else(|| decryption("the session key does not decrypt with this access point's key"))
}

/// A session key wrapped (AES-128 key wrap) under a key agreed with ECDH-ES on P-256 and
/// derived with HKDF-SHA256, as the `xenc:AgreementMethod` in the key info describes it.
fn agreed_key(
    encrypted_key: &Element,
    wrapped: &[u8],
    me: &Credentials,
) -> Result<Vec<u8>, EbmsError> {
    let agreement = one(one(encrypted_key, DS, "KeyInfo")?, XENC, "AgreementMethod")?;
    let algorithm = agreement.attribute(None, "Algorithm").unwrap_or_default();
    if algorithm != ns::ECDH_ES {
        return Err(policy(format!(
            "the key agreement {algorithm:?} is not ECDH-ES"
        )));
    }
    let derivation = one(agreement, XENC11, "KeyDerivationMethod")?;
    let kdf = derivation.attribute(None, "Algorithm").unwrap_or_default();
    if kdf != ns::HKDF {
        return Err(policy(format!("the key derivation {kdf:?} is not HKDF")));
    }
    let params = one(derivation, DSIG_MORE, "HKDFParams")?;
    let prf = attribute(one(params, DSIG_MORE, "PRF")?, None, "Algorithm").unwrap_or_default();
    if prf != ns::HMAC_SHA256 {
        return Err(policy(format!(
            "the HKDF pseudo-random function {prf:?} is not HMAC-SHA256"
        )));
    }
    let base64 = |local: &str| -> Result<Vec<u8>, EbmsError> {
        match optional(params, DSIG_MORE, local)? {
            None => Ok(Vec::new()),
            Some(e) => B64
                .decode(e.trimmed_text().replace(char::is_whitespace, ""))
                .map_err(|_| header(format!("the HKDF {local} is not base64"))),
        }
    };
    let (salt, info) = (base64("Salt")?, base64("Info")?);
    let length = required_text(one(params, DSIG_MORE, "KeyLength")?)?;
    if length != "16" {
        return Err(policy(format!(
            "the HKDF key length {length} is not 16 bytes (an AES-128 key-encryption key)"
        )));
    }
    let value = one(
        one(one(agreement, XENC, "OriginatorKeyInfo")?, DS, "KeyValue")?,
        DSIG11,
        "ECKeyValue",
    )?;
    let curve = attribute(one(value, DSIG11, "NamedCurve")?, None, "URI").unwrap_or_default();
    if curve != ns::P256_CURVE {
        return Err(policy(format!("the curve {curve:?} is not P-256")));
    }
    let point = B64
        .decode(required_text(one(value, DSIG11, "PublicKey")?)?.replace(char::is_whitespace, ""))
        .map_err(|_| decryption("the ephemeral public key is not base64"))?;
    let shared = me
        .agree(&point)
        .ok_or_else(|| decryption("the ephemeral public key is not a point of P-256"))?;
    let kek = crate::send::key_encryption_key(&shared, &salt, &info)
        .ok_or_else(|| decryption("the key-encryption key cannot be derived"))?;
    if wrapped.len() != 24 {
        return Err(decryption(format!(
            "the wrapped key has {} bytes, not 24 (an AES-128 key wrapped)",
            wrapped.len()
        )));
    }
    let mut key = vec![0; 16];
    aes_kw::KwAes128::new(&kek.into())
        .unwrap_key(wrapped, &mut key)
        .map_err(|_| {
            decryption("the session key does not unwrap: agreed with another key, or altered")
        })?;
    Ok(key)
}

/// One `xenc:EncryptedData`'s part, decrypted: (content id, compressed bytes).
fn decrypt_part(
    data: &Element,
    key: &LessSafeKey,
    attachments: &[(String, &[u8])],
) -> Result<(String, Vec<u8>), EbmsError> {
    let method = one(data, XENC, "EncryptionMethod")?;
    if method.attribute(None, "Algorithm") != Some(ns::AES128_GCM) {
        return Err(policy(format!(
            "the payload encryption {:?} is not AES-128-GCM",
            method.attribute(None, "Algorithm").unwrap_or_default()
        )));
    }
    let reference = one(one(data, XENC, "CipherData")?, XENC, "CipherReference")?;
    let uri = attribute(reference, None, "URI").unwrap_or_default();
    let (content_id, cipher) = attachments
        .iter()
        .find(|(id, _)| same_cid(&uri, id))
        .ok_or_else(|| {
            EbmsError::new(
                EbmsCode::MimeInconsistency,
                format!("the encrypted part {uri:?} is not in the message"),
            )
        })?;
    let Some((nonce, sealed)) = cipher.split_first_chunk::<12>() else {
        return Err(decryption(format!(
            "the part {uri} is too short to be AES-GCM cipher text"
        )));
    };
    let mut buffer = sealed.to_vec();
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(*nonce),
            Aad::empty(),
            &mut buffer,
        )
        .map_err(|_| {
            decryption(format!(
                "the part {uri} does not decrypt: a wrong key, or it was altered"
            ))
        })?;
    let length = plain.len();
    buffer.truncate(length);
    Ok((content_id.clone(), buffer))
}

fn gunzip(bytes: &[u8], max_bytes: usize, href: &str) -> Result<Vec<u8>, EbmsError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(3).min(max_bytes));
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    GzDecoder::new(bytes)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| {
            EbmsError::new(
                EbmsCode::DecompressionFailure,
                format!("{href} does not decompress: {e}"),
            )
        })?;
    if out.len() > max_bytes {
        return Err(EbmsError::new(
            EbmsCode::DecompressionFailure,
            format!("{href} decompresses to more than {max_bytes} bytes"),
        ));
    }
    Ok(out)
}

/// Whether a `cid:` reference and a content id (or two references) name the same part.
pub(crate) fn same_cid(a: &str, b: &str) -> bool {
    match (multipart::content_id_of(a), multipart::content_id_of(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}
