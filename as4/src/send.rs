//! A One-Way/Push user message as the eDelivery AS4 profile wants it: every payload compressed,
//! then signed, then encrypted; the header signed, never encrypted.
//!
//! The signature is one `ds:Signature` in the `wsse:Security` header: exclusive C14N,
//! RSA-SHA256, SHA-256 references to `eb:Messaging` and the SOAP Body (by `wsu:Id`, exclusive
//! C14N) and to every payload part (by `cid:`, the attachment-content-signature transform over
//! the compressed bytes). One AES-128 session key, transported in an `xenc:EncryptedKey` with
//! RSA-OAEP (SHA-256, MGF1-SHA256) to the partner's certificate, encrypts every part with
//! AES-GCM (a fresh 96-bit nonce per part, sent before the cipher text and its tag); each part
//! has its `xenc:EncryptedData` with an `Attachment-Ciphertext-Transform` cipher reference.

use std::io::Write;

use aes_kw::KeyInit;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use flate2::Compression;
use flate2::write::GzEncoder;
use once_xml::multipart::{self, Part};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use sha2::{Digest, Sha256};

use crate::header::{PartInfo, Property, UserMessage};
use crate::keys::{Certificate, Credentials, KeyError};
use crate::ns;
use crate::suite::Suite;
use crate::xml::{self, random_id};

/// A payload to send.
#[derive(Debug, Clone)]
pub struct OutgoingPayload<'a> {
    /// The MIME part's content id (without `<` `>`), named by the header's `PartInfo/@href`.
    pub content_id: String,
    /// The payload's media type (`MimeType` part property).
    pub mime_type: String,
    /// The payload.
    pub bytes: &'a [u8],
    /// Whether to gzip it (`CompressionType` `application/gzip`); AS4 compresses before signing.
    pub compress: bool,
}

/// A reference the sender signed: what a receipt must repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReference {
    /// `@URI`: `#id` or `cid:…`.
    pub uri: String,
    /// The transform algorithms, in order.
    pub transforms: Vec<String>,
    /// The digest algorithm.
    pub digest_method: String,
    /// The digest, base64.
    pub digest_value: String,
}

impl SignedReference {
    /// Writes the `ds:Reference`.
    pub(crate) fn write(&self, out: &mut String) {
        out.push_str("<ds:Reference URI=\"");
        xml::attr(out, &self.uri);
        out.push_str("\"><ds:Transforms>");
        for transform in &self.transforms {
            out.push_str("<ds:Transform Algorithm=\"");
            xml::attr(out, transform);
            out.push_str("\"/>");
        }
        out.push_str("</ds:Transforms><ds:DigestMethod Algorithm=\"");
        xml::attr(out, &self.digest_method);
        out.push_str("\"/><ds:DigestValue>");
        out.push_str(&self.digest_value);
        out.push_str("</ds:DigestValue></ds:Reference>");
    }
}

/// A user message ready for the wire.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The HTTP `Content-Type` (`multipart/related; type="application/soap+xml"; …`).
    pub content_type: String,
    /// The HTTP body.
    pub body: Vec<u8>,
    /// The header as sent (with its `PartInfo`s).
    pub header: UserMessage,
    /// The references signed, in order: `eb:Messaging`, the Body, each payload.
    pub references: Vec<SignedReference>,
}

/// Why a message could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// A header value holds a character XML cannot carry.
    #[error("the header cannot be written: {0}")]
    Text(#[from] once_xml::text::InvalidText),
    /// Two payloads share a content id, or one is not a valid content id.
    #[error("the payloads cannot be packed: {0}")]
    Pack(String),
    /// Signing or key transport failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A cryptographic primitive failed.
    #[error("{0}")]
    Crypto(&'static str),
}

/// Builds a signed and encrypted user message from `header` (its `parts` are replaced by one
/// `PartInfo` per payload) for the holder of `partner`.
pub fn user_message(
    header: &UserMessage,
    payloads: &[OutgoingPayload<'_>],
    me: &Credentials,
    partner: &Certificate,
) -> Result<Sent, SendError> {
    let mut header = header.clone();
    header.parts = payloads.iter().map(part_info).collect();
    // The header carries milliseconds: the one returned is the one the partner reads.
    header.timestamp = header
        .timestamp
        .replace_nanosecond(header.timestamp.millisecond() as u32 * 1_000_000)
        .unwrap_or(header.timestamp);
    header.check_text()?;
    if me.suite() != partner.suite() {
        return Err(SendError::Key(KeyError::SuiteMismatch {
            own: me.suite(),
            partner: partner.suite(),
        }));
    }
    let ids = Ids::new(payloads.len());

    let session_key: [u8; 16] = rand::random();
    let sealing = LessSafeKey::new(
        UnboundKey::new(&aead::AES_128_GCM, &session_key)
            .map_err(|_| SendError::Crypto("AES-128-GCM key"))?,
    );
    let mut cipher_texts = Vec::with_capacity(payloads.len());
    let mut part_references = Vec::with_capacity(payloads.len());
    for payload in payloads {
        let plain = if payload.compress {
            gzip(payload.bytes).map_err(|_| SendError::Crypto("gzip"))?
        } else {
            payload.bytes.to_vec()
        };
        part_references.push(SignedReference {
            uri: multipart::cid_url(&payload.content_id),
            transforms: vec![ns::ATTACHMENT_CONTENT_SIGNATURE.to_owned()],
            digest_method: ns::SHA256.to_owned(),
            digest_value: B64.encode(Sha256::digest(&plain)),
        });
        cipher_texts.push(seal(&sealing, plain)?);
    }
    let encrypted_key = KeyEncryption::for_partner(partner, &session_key)?;

    let mut messaging = String::with_capacity(2048);
    header.write_messaging(&ids.messaging, &mut messaging);
    let mut references = vec![
        element_reference(&ids.messaging, &messaging)?,
        element_reference(&ids.body, &body(&ids.body))?,
    ];
    references.extend(part_references);
    let signature = signature(&ids, &references, me)?;

    let mut envelope = String::with_capacity(8192 + messaging.len());
    envelope.push_str("<S12:Envelope");
    envelope.push_str(ns::DECLARATIONS);
    envelope.push_str("><S12:Header><wsse:Security S12:mustUnderstand=\"true\">");
    token(&mut envelope, &ids.partner_token, partner.der());
    token(&mut envelope, &ids.own_token, me.certificate().der());
    write_encrypted_key(&mut envelope, &ids, &encrypted_key);
    for (i, payload) in payloads.iter().enumerate() {
        write_encrypted_data(&mut envelope, &ids, i, &payload.content_id);
    }
    envelope.push_str(&signature);
    envelope.push_str("</wsse:Security>");
    envelope.push_str(&messaging);
    envelope.push_str("</S12:Header>");
    envelope.push_str(&body(&ids.body));
    envelope.push_str("</S12:Envelope>");

    let parts: Vec<Part<'_>> = payloads
        .iter()
        .zip(&cipher_texts)
        .map(|(payload, cipher)| Part {
            content_id: &payload.content_id,
            content_type: "application/octet-stream",
            body: cipher,
        })
        .collect();
    let seed: [u8; 24] = rand::random();
    let (content_type, body) = multipart::build_soap(&seed, envelope.as_bytes(), &parts)
        .map_err(|e| SendError::Pack(e.to_string()))?;
    Ok(Sent {
        content_type,
        body,
        header,
        references,
    })
}

/// A fresh, globally unique `eb:MessageId`: 128 random bits and the sender's domain
/// (`<hex>@<domain>`, as RFC 2822 message ids and ebMS want them).
pub fn message_id(domain: &str) -> String {
    format!("{}@{domain}", random_id())
}

/// The ids of one message's elements.
struct Ids {
    messaging: String,
    body: String,
    partner_token: String,
    own_token: String,
    encrypted_key: String,
    encrypted_data: Vec<String>,
    signature: String,
}

impl Ids {
    fn new(parts: usize) -> Ids {
        let id = random_id();
        Ids {
            messaging: format!("messaging-{id}"),
            body: format!("body-{id}"),
            partner_token: format!("X509-encryption-{id}"),
            own_token: format!("X509-signature-{id}"),
            encrypted_key: format!("EK-{id}"),
            encrypted_data: (1..=parts).map(|i| format!("ED-{i}-{id}")).collect(),
            signature: format!("SIG-{id}"),
        }
    }
}

fn part_info(payload: &OutgoingPayload<'_>) -> PartInfo {
    let mut properties = vec![Property::new("MimeType", &payload.mime_type)];
    if payload.compress {
        properties.push(Property::new("CompressionType", ns::GZIP));
    }
    PartInfo {
        href: multipart::cid_url(&payload.content_id),
        properties,
    }
}

fn body(id: &str) -> String {
    format!("<S12:Body wsu:Id=\"{id}\"></S12:Body>")
}

/// A reference by `wsu:Id` to `element` (markup with the envelope's prefixes), digested as it
/// canonicalises inside the envelope.
fn element_reference(id: &str, element: &str) -> Result<SignedReference, SendError> {
    Ok(SignedReference {
        uri: format!("#{id}"),
        transforms: vec![ns::EXC_C14N.to_owned()],
        digest_method: ns::SHA256.to_owned(),
        digest_value: B64.encode(Sha256::digest(canonical_in_envelope(element)?)),
    })
}

/// `markup`, canonicalised (exclusive C14N) with the envelope's namespace declarations in
/// scope: what a verifier computes for it in place.
pub(crate) fn canonical_in_envelope(markup: &str) -> Result<Vec<u8>, SendError> {
    let mut document = String::with_capacity(markup.len() + 1024);
    document.push_str("<S12:Envelope");
    document.push_str(ns::DECLARATIONS);
    document.push('>');
    let start = document.len();
    document.push_str(markup);
    document.push_str("</S12:Envelope>");
    once_xml::c14n::element(&document, start).map_err(|_| SendError::Crypto("canonicalisation"))
}

/// The `ds:Signature` over `references`, its `ds:KeyInfo` pointing at the own certificate's token.
pub(crate) fn signature(
    ids_signature: &impl SignatureIds,
    references: &[SignedReference],
    me: &Credentials,
) -> Result<String, SendError> {
    let mut signed_info = String::with_capacity(512 * references.len());
    signed_info.push_str("<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"");
    signed_info.push_str(ns::EXC_C14N);
    signed_info.push_str("\"/><ds:SignatureMethod Algorithm=\"");
    signed_info.push_str(me.suite().signature_method());
    signed_info.push_str("\"/>");
    references.iter().for_each(|r| r.write(&mut signed_info));
    signed_info.push_str("</ds:SignedInfo>");
    let value = me.sign(&canonical_in_envelope(&signed_info)?)?;
    let (signature_id, token_id) = ids_signature.signature_ids();
    Ok(format!(
        "<ds:Signature Id=\"{signature_id}\">{signed_info}<ds:SignatureValue>{}</ds:SignatureValue>\
         <ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI=\"#{token_id}\" ValueType=\"{}\"/>\
         </wsse:SecurityTokenReference></ds:KeyInfo></ds:Signature>",
        B64.encode(value),
        ns::X509V3
    ))
}

/// The ids a signature needs: its own and its certificate token's.
pub(crate) trait SignatureIds {
    fn signature_ids(&self) -> (&str, &str);
}

impl SignatureIds for Ids {
    fn signature_ids(&self) -> (&str, &str) {
        (&self.signature, &self.own_token)
    }
}

/// A `wsse:BinarySecurityToken` with a certificate.
pub(crate) fn token(out: &mut String, id: &str, certificate: &[u8]) {
    out.push_str("<wsse:BinarySecurityToken EncodingType=\"");
    out.push_str(ns::BASE64_BINARY);
    out.push_str("\" ValueType=\"");
    out.push_str(ns::X509V3);
    out.push_str("\" wsu:Id=\"");
    out.push_str(id);
    out.push_str("\">");
    out.push_str(&B64.encode(certificate));
    out.push_str("</wsse:BinarySecurityToken>");
}

/// How the session key reaches the partner.
enum KeyEncryption {
    /// RSA-OAEP key transport: the encrypted session key.
    Transported(Vec<u8>),
    /// ECDH-ES key agreement, HKDF, AES-128 key wrap.
    Agreed {
        /// The sender's ephemeral public key (uncompressed point).
        ephemeral: Vec<u8>,
        /// The HKDF salt.
        salt: [u8; 32],
        /// The wrapped session key.
        wrapped: Vec<u8>,
    },
}

impl KeyEncryption {
    /// The session key encrypted for `partner` as its suite wants it.
    fn for_partner(partner: &Certificate, session_key: &[u8; 16]) -> Result<Self, KeyError> {
        match partner.suite() {
            Suite::Edelivery115 => Ok(KeyEncryption::Transported(
                partner.oaep_encrypt(session_key)?,
            )),
            Suite::Edelivery20Ec => {
                let (ephemeral, shared) = partner.agree_ephemeral()?;
                let salt: [u8; 32] = rand::random();
                let kek = key_encryption_key(&shared, &salt, HKDF_INFO)
                    .ok_or_else(|| KeyError::Encrypt("HKDF".into()))?;
                let mut wrapped = vec![0; session_key.len() + 8];
                aes_kw::KwAes128::new(&kek.into())
                    .wrap_key(session_key, &mut wrapped)
                    .map_err(|e| KeyError::Encrypt(e.to_string()))?;
                Ok(KeyEncryption::Agreed {
                    ephemeral,
                    salt,
                    wrapped,
                })
            }
        }
    }
}

/// The HKDF `Info` of the key-encryption key (RFC 9231 `dsig-more:Info`, base64 on the wire).
pub(crate) const HKDF_INFO: &[u8] = b"eDelivery AS4 2.0 key wrap";

/// The AES-128 key-encryption key derived from an ECDH shared secret: HKDF with HMAC-SHA256,
/// `salt` and `info`, 16 bytes.
pub(crate) fn key_encryption_key(shared: &[u8], salt: &[u8], info: &[u8]) -> Option<[u8; 16]> {
    struct Len16;
    impl ring::hkdf::KeyType for Len16 {
        fn len(&self) -> usize {
            16
        }
    }
    let mut kek = [0; 16];
    ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, salt)
        .extract(shared)
        .expand(&[info], Len16)
        .ok()?
        .fill(&mut kek)
        .ok()?;
    Some(kek)
}

fn write_encrypted_key(out: &mut String, ids: &Ids, encrypted_key: &KeyEncryption) {
    let recipient = format!(
        "<wsse:SecurityTokenReference><wsse:Reference URI=\"#{}\" ValueType=\"{}\"/>\
         </wsse:SecurityTokenReference>",
        ids.partner_token,
        ns::X509V3,
    );
    let (method, key_info, cipher) = match encrypted_key {
        KeyEncryption::Transported(cipher) => (
            format!(
                "<xenc:EncryptionMethod Algorithm=\"{}\"><ds:DigestMethod Algorithm=\"{}\"/>\
                 <xenc11:MGF Algorithm=\"{}\"/></xenc:EncryptionMethod>",
                ns::RSA_OAEP,
                ns::SHA256,
                ns::MGF1_SHA256,
            ),
            recipient,
            cipher,
        ),
        KeyEncryption::Agreed {
            ephemeral,
            salt,
            wrapped,
        } => (
            format!("<xenc:EncryptionMethod Algorithm=\"{}\"/>", ns::KW_AES128),
            format!(
                "<xenc:AgreementMethod Algorithm=\"{}\" xmlns:dsig11=\"{}\" xmlns:dsig-more=\"{}\">\
                 <xenc11:KeyDerivationMethod Algorithm=\"{}\"><dsig-more:HKDFParams>\
                 <dsig-more:PRF Algorithm=\"{}\"/><dsig-more:Salt>{}</dsig-more:Salt>\
                 <dsig-more:Info>{}</dsig-more:Info><dsig-more:KeyLength>16</dsig-more:KeyLength>\
                 </dsig-more:HKDFParams></xenc11:KeyDerivationMethod><xenc:OriginatorKeyInfo>\
                 <ds:KeyValue><dsig11:ECKeyValue><dsig11:NamedCurve URI=\"{}\"/>\
                 <dsig11:PublicKey>{}</dsig11:PublicKey></dsig11:ECKeyValue></ds:KeyValue>\
                 </xenc:OriginatorKeyInfo><xenc:RecipientKeyInfo>{recipient}</xenc:RecipientKeyInfo>\
                 </xenc:AgreementMethod>",
                ns::ECDH_ES,
                ns::DSIG11,
                ns::DSIG_MORE,
                ns::HKDF,
                ns::HMAC_SHA256,
                B64.encode(salt),
                B64.encode(HKDF_INFO),
                ns::P256_CURVE,
                B64.encode(ephemeral),
            ),
            wrapped,
        ),
    };
    out.push_str(&format!(
        "<xenc:EncryptedKey Id=\"{}\">{method}<ds:KeyInfo>{key_info}</ds:KeyInfo>\
         <xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData>\
         <xenc:ReferenceList>",
        ids.encrypted_key,
        B64.encode(cipher)
    ));
    for id in &ids.encrypted_data {
        out.push_str(&format!("<xenc:DataReference URI=\"#{id}\"/>"));
    }
    out.push_str("</xenc:ReferenceList></xenc:EncryptedKey>");
}

fn write_encrypted_data(out: &mut String, ids: &Ids, index: usize, content_id: &str) {
    let mut uri = String::new();
    xml::attr(&mut uri, &multipart::cid_url(content_id));
    out.push_str(&format!(
        "<xenc:EncryptedData Id=\"{}\" MimeType=\"application/octet-stream\" Type=\"{}\">\
         <xenc:EncryptionMethod Algorithm=\"{}\"/><ds:KeyInfo><wsse:SecurityTokenReference \
         wsse11:TokenType=\"{}\"><wsse:Reference URI=\"#{}\"/></wsse:SecurityTokenReference>\
         </ds:KeyInfo><xenc:CipherData><xenc:CipherReference URI=\"{uri}\"><xenc:Transforms>\
         <ds:Transform Algorithm=\"{}\"/></xenc:Transforms></xenc:CipherReference></xenc:CipherData>\
         </xenc:EncryptedData>",
        ids.encrypted_data[index],
        ns::ATTACHMENT_CONTENT_ONLY,
        ns::AES128_GCM,
        ns::ENCRYPTED_KEY_TOKEN,
        ids.encrypted_key,
        ns::ATTACHMENT_CIPHERTEXT,
    ));
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3 + 64),
        Compression::fast(),
    );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// AES-GCM with a fresh random nonce: nonce, cipher text, tag.
fn seal(key: &LessSafeKey, mut plain: Vec<u8>) -> Result<Vec<u8>, SendError> {
    let nonce: [u8; 12] = rand::random();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut plain,
    )
    .map_err(|_| SendError::Crypto("AES-GCM"))?;
    let mut out = Vec::with_capacity(12 + plain.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&plain);
    Ok(out)
}
