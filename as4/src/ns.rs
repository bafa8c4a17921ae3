//! Namespaces and algorithm identifiers of AS4 messages.

/// SOAP 1.2 envelope.
pub const S12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// ebMS 3.0 core.
pub const EB: &str = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/";
/// WS-Security 1.0 extensions.
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// WS-Security 1.1 extensions.
pub const WSSE11: &str = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd";
/// WS-Security utility (`wsu:Id`).
pub const WSU: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
/// XML Signature.
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// XML Encryption 1.0.
pub const XENC: &str = "http://www.w3.org/2001/04/xmlenc#";
/// XML Encryption 1.1.
pub const XENC11: &str = "http://www.w3.org/2009/xmlenc11#";
/// XML Signature 1.1 (`dsig11:ECKeyValue`).
pub const DSIG11: &str = "http://www.w3.org/2009/xmldsig11#";
/// RFC 9231's additional XML security identifiers (`dsig-more:HKDFParams`).
pub const DSIG_MORE: &str = "http://www.w3.org/2021/04/xmldsig-more#";
/// ebBP signals (non-repudiation information in receipts).
pub const EBBP: &str = "http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0";

/// The namespace declarations every envelope this crate writes carries on `S12:Envelope`.
pub(crate) const DECLARATIONS: &str = concat!(
    " xmlns:S12=\"http://www.w3.org/2003/05/soap-envelope\"",
    " xmlns:eb=\"http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/\"",
    " xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"",
    " xmlns:wsse11=\"http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd\"",
    " xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\"",
    " xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"",
    " xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"",
    " xmlns:xenc11=\"http://www.w3.org/2009/xmlenc11#\"",
    " xmlns:ebbp=\"http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0\""
);

/// Exclusive XML canonicalization without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// RSA PKCS#1 v1.5 with SHA-256.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// ECDSA with SHA-256 (the value is r ‖ s, 64 bytes on P-256).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// SHA-256 (as XML Encryption names it; XML Signature uses the same URI).
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// RSA-OAEP key transport (XML Encryption 1.1).
pub const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
/// MGF1 with SHA-256.
pub const MGF1_SHA256: &str = "http://www.w3.org/2009/xmlenc11#mgf1sha256";
/// Elliptic-curve Diffie-Hellman with an ephemeral key of the sender (XML Encryption 1.1).
pub const ECDH_ES: &str = "http://www.w3.org/2009/xmlenc11#ECDH-ES";
/// HKDF (RFC 5869) as a key derivation method (RFC 9231).
pub const HKDF: &str = "http://www.w3.org/2021/04/xmldsig-more#hkdf";
/// HMAC-SHA256, HKDF's pseudo-random function.
pub const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
/// AES-128 key wrap (RFC 3394).
pub const KW_AES128: &str = "http://www.w3.org/2001/04/xmlenc#kw-aes128";
/// The named curve P-256 (`dsig11:NamedCurve/@URI`).
pub const P256_CURVE: &str = "urn:oid:1.2.840.10045.3.1.7";
/// AES-128 in Galois/Counter Mode.
pub const AES128_GCM: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
/// The SwA profile's transform that digests an attachment's content.
pub const ATTACHMENT_CONTENT_SIGNATURE: &str = "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Signature-Transform";
/// The SwA profile's transform that names an encrypted attachment's content as the cipher text.
pub const ATTACHMENT_CIPHERTEXT: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform";
/// `xenc:EncryptedData/@Type` of an encrypted attachment's content.
pub const ATTACHMENT_CONTENT_ONLY: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only";
/// An X.509 v3 certificate as a binary security token.
pub const X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
/// Base64 encoding of a binary security token.
pub const BASE64_BINARY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
/// A reference to an `xenc:EncryptedKey` as a token.
pub const ENCRYPTED_KEY_TOKEN: &str =
    "http://docs.oasis-open.org/wss/oasis-wss-soap-message-security-1.1#EncryptedKey";
/// The ebMS initiator role.
pub const INITIATOR: &str =
    "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator";
/// The ebMS responder role.
pub const RESPONDER: &str =
    "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder";
/// gzip, as a `CompressionType` part property names it.
pub const GZIP: &str = "application/gzip";

/// The media type of a SOAP 1.2 envelope.
pub const SOAP_MEDIA_TYPE: &str = "application/soap+xml";
