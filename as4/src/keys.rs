//! The access point's own key and certificate, and a partner's certificate: RSA, as the
//! eDelivery AS4 1.15 algorithm suite uses them (RSA-SHA256 signatures, RSA-OAEP key transport).

use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why a key or certificate cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The PEM text holds no block of the kind needed.
    #[error("no {0} in the PEM text")]
    NoPem(&'static str),
    /// The certificate cannot be read.
    #[error("the certificate cannot be read: {0}")]
    Certificate(String),
    /// The key is not an RSA key the suite can use.
    #[error("the key is not a usable RSA key (PKCS#8, 2048 to 8192 bits): {0}")]
    Key(String),
    /// The certificate's public key is not RSA.
    #[error(
        "the certificate's key is not RSA (the eDelivery AS4 1.15 suite signs and encrypts with RSA)"
    )]
    NotRsa,
    /// The private key does not belong to the certificate.
    #[error("the private key does not belong to the certificate")]
    Mismatch,
    /// Signing failed.
    #[error("the message could not be signed")]
    Sign,
    /// Key transport failed.
    #[error("the session key could not be encrypted for the partner: {0}")]
    Encrypt(String),
}

/// A certificate with an RSA key: a partner's (to encrypt for it and to check its signatures)
/// or this access point's own.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    /// The PKCS#1 `RSAPublicKey`, as ring verifies with it.
    pkcs1: Vec<u8>,
    public: rsa::PublicKey,
    subject: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

impl Certificate {
    /// Reads a DER certificate with an RSA key.
    pub fn from_der(der: &[u8]) -> Result<Certificate, KeyError> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| KeyError::Certificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(KeyError::Certificate("bytes after the certificate".into()));
        }
        let spki = cert.public_key();
        if spki.algorithm.algorithm.to_id_string() != RSA_ENCRYPTION {
            return Err(KeyError::NotRsa);
        }
        let pkcs1 = spki.subject_public_key.data.to_vec();
        let public = rsa::PublicKey::from_pkcs1_der(&pkcs1)
            .map_err(|e| KeyError::Certificate(e.to_string()))?;
        Ok(Certificate {
            der: der.to_vec(),
            pkcs1,
            public,
            subject: cert.subject().to_string(),
        })
    }

    /// Reads the first certificate of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Certificate, KeyError> {
        Certificate::from_der(&pem_block(pem, "CERTIFICATE")?)
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its subject, as text.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// Checks an RSA-SHA256 (PKCS#1 v1.5) signature over `message`.
    pub fn verify_rsa_sha256(&self, message: &[u8], signature_value: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.pkcs1)
            .verify(message, signature_value)
            .is_ok()
    }

    /// Encrypts a session key for the holder of this certificate with RSA-OAEP (SHA-256, MGF1
    /// with SHA-256, no label).
    pub fn oaep_encrypt(&self, session_key: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut rng = rand::rng();
        self.public
            .encrypt(&mut rng, rsa::Oaep::<sha2_011::Sha256>::new(), session_key)
            .map_err(|e| KeyError::Encrypt(e.to_string()))
    }
}

/// This access point's key and certificate.
pub struct Credentials {
    signing: RsaKeyPair,
    decrypting: rsa::PrivateKey,
    certificate: Certificate,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The key (PKCS#8, DER) and its certificate (DER).
    pub fn from_der(key_pkcs8: &[u8], certificate: &[u8]) -> Result<Credentials, KeyError> {
        let certificate = Certificate::from_der(certificate)?;
        let signing =
            RsaKeyPair::from_pkcs8(key_pkcs8).map_err(|e| KeyError::Key(e.to_string()))?;
        let decrypting =
            rsa::PrivateKey::from_pkcs8_der(key_pkcs8).map_err(|e| KeyError::Key(e.to_string()))?;
        let public = decrypting.to_public_key();
        if public.n() != certificate.public.n() || public.e() != certificate.public.e() {
            return Err(KeyError::Mismatch);
        }
        Ok(Credentials {
            signing,
            decrypting,
            certificate,
        })
    }

    /// The key (`PRIVATE KEY`, PKCS#8) and its certificate, PEM.
    pub fn from_pem(key_pem: &str, certificate_pem: &str) -> Result<Credentials, KeyError> {
        Credentials::from_der(
            &pem_block(key_pem, "PRIVATE KEY")?,
            &pem_block(certificate_pem, "CERTIFICATE")?,
        )
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Signs `message` with RSA-SHA256 (PKCS#1 v1.5).
    pub fn sign_rsa_sha256(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut out = vec![0; self.signing.public().modulus_len()];
        self.signing
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut out,
            )
            .map_err(|_| KeyError::Sign)?;
        Ok(out)
    }

    /// Decrypts a session key transported with RSA-OAEP (SHA-256, MGF1 with SHA-256); `None`
    /// if it does not decrypt (the caller answers EBMS:0102 without saying more).
    pub fn oaep_decrypt(&self, encrypted: &[u8]) -> Option<Vec<u8>> {
        self.decrypting
            .decrypt(rsa::Oaep::<sha2_011::Sha256>::new(), encrypted)
            .ok()
    }
}

/// The first PEM block with this label.
fn pem_block(text: &str, label: &'static str) -> Result<Vec<u8>, KeyError> {
    x509_parser::pem::Pem::iter_from_buffer(text.as_bytes())
        .filter_map(Result::ok)
        .find(|p| p.label == label)
        .map(|p| p.contents)
        .ok_or(KeyError::NoPem(label))
}
