//! The access point's own key and certificate, and a partner's certificate: RSA for the
//! eDelivery AS4 1.15 suite (RSA-SHA256 signatures, RSA-OAEP key transport), EC P-256 for the
//! eDelivery AS4 2.0 EC profile (ECDSA-SHA256 signatures, ECDH-ES key agreement).

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, RsaKeyPair};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use x509_parser::prelude::{FromDer, X509Certificate};
use zeroize::Zeroizing;

use crate::suite::Suite;

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
    /// The key cannot be used.
    #[error("the key is not a usable {0} key (PKCS#8): {1}")]
    Key(&'static str, String),
    /// The certificate's public key is of no suite.
    #[error(
        "the certificate's key is neither RSA (eDelivery AS4 1.15) nor EC P-256 (eDelivery AS4 2.0 EC profile)"
    )]
    UnsupportedKey,
    /// The private key does not belong to the certificate.
    #[error("the private key does not belong to the certificate")]
    Mismatch,
    /// The partner uses another suite than this access point's key.
    #[error("the partner uses the suite {partner}, this key is for {own}")]
    SuiteMismatch {
        /// The suite of the own key.
        own: Suite,
        /// The partner's.
        partner: Suite,
    },
    /// Signing failed.
    #[error("the message could not be signed")]
    Sign,
    /// Key transport or agreement failed.
    #[error("the session key could not be encrypted for the partner: {0}")]
    Encrypt(String),
}

/// A certificate's public key, as the suites use it.
#[derive(Clone)]
enum PublicKey {
    Rsa {
        /// The PKCS#1 `RSAPublicKey`, as ring verifies with it.
        pkcs1: Vec<u8>,
        public: rsa::PublicKey,
    },
    P256 {
        /// The uncompressed point, as ring verifies with it.
        point: Vec<u8>,
        public: p256::PublicKey,
    },
}

/// A certificate with a key of one of the [`Suite`]s: a partner's (to encrypt for it and to
/// check its signatures) or this access point's own.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    key: PublicKey,
    subject: String,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("suite", &self.suite())
            .finish_non_exhaustive()
    }
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const PRIME256V1: &str = "1.2.840.10045.3.1.7";

impl Certificate {
    /// Reads a DER certificate with an RSA or EC P-256 key.
    pub fn from_der(der: &[u8]) -> Result<Certificate, KeyError> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| KeyError::Certificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(KeyError::Certificate("bytes after the certificate".into()));
        }
        let spki = cert.public_key();
        let bits = spki.subject_public_key.data.to_vec();
        let key = match spki.algorithm.algorithm.to_id_string().as_str() {
            RSA_ENCRYPTION => PublicKey::Rsa {
                public: rsa::PublicKey::from_pkcs1_der(&bits)
                    .map_err(|e| KeyError::Certificate(e.to_string()))?,
                pkcs1: bits,
            },
            EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|oid| oid.to_id_string());
                if curve.as_deref() != Some(PRIME256V1) {
                    return Err(KeyError::UnsupportedKey);
                }
                let public = p256::PublicKey::from_sec1_bytes(&bits)
                    .map_err(|e| KeyError::Certificate(e.to_string()))?;
                PublicKey::P256 {
                    point: public.to_sec1_bytes().into_vec(),
                    public,
                }
            }
            _ => return Err(KeyError::UnsupportedKey),
        };
        Ok(Certificate {
            der: der.to_vec(),
            key,
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

    /// The suite its key is for.
    pub fn suite(&self) -> Suite {
        match self.key {
            PublicKey::Rsa { .. } => Suite::Edelivery115,
            PublicKey::P256 { .. } => Suite::Edelivery20Ec,
        }
    }

    /// Checks a signature over `message` with the suite's algorithm (RSA-SHA256, PKCS#1 v1.5;
    /// or ECDSA-SHA256, r ‖ s).
    pub fn verify(&self, message: &[u8], signature_value: &[u8]) -> bool {
        let (algorithm, key): (&dyn signature::VerificationAlgorithm, &[u8]) = match &self.key {
            PublicKey::Rsa { pkcs1, .. } => (&signature::RSA_PKCS1_2048_8192_SHA256, pkcs1),
            PublicKey::P256 { point, .. } => (&signature::ECDSA_P256_SHA256_FIXED, point),
        };
        signature::UnparsedPublicKey::new(algorithm, key)
            .verify(message, signature_value)
            .is_ok()
    }

    /// Encrypts a session key for the holder of this RSA certificate with RSA-OAEP (SHA-256,
    /// MGF1 with SHA-256, no label).
    pub fn oaep_encrypt(&self, session_key: &[u8]) -> Result<Vec<u8>, KeyError> {
        let PublicKey::Rsa { public, .. } = &self.key else {
            return Err(KeyError::Encrypt("the certificate's key is not RSA".into()));
        };
        let mut rng = rand::rng();
        public
            .encrypt(&mut rng, rsa::Oaep::<sha2_011::Sha256>::new(), session_key)
            .map_err(|e| KeyError::Encrypt(e.to_string()))
    }

    /// Agrees a secret with the holder of this P-256 certificate from a fresh ephemeral key:
    /// the ephemeral public key (uncompressed point) and the shared secret (the x coordinate).
    pub fn agree_ephemeral(&self) -> Result<(Vec<u8>, Zeroizing<Vec<u8>>), KeyError> {
        let PublicKey::P256 { public, .. } = &self.key else {
            return Err(KeyError::Encrypt(
                "the certificate's key is not EC P-256".into(),
            ));
        };
        let ephemeral =
            <p256::ecdh::EphemeralSecret as p256::elliptic_curve::Generate>::generate_from_rng(
                &mut rand::rng(),
            );
        let shared = ephemeral.diffie_hellman(public);
        Ok((
            ephemeral.public_key().to_sec1_bytes().into_vec(),
            Zeroizing::new(shared.raw_secret_bytes().to_vec()),
        ))
    }
}

/// The private key of one suite.
enum PrivateKey {
    Rsa {
        signing: RsaKeyPair,
        decrypting: Box<rsa::PrivateKey>,
    },
    P256 {
        signing: EcdsaKeyPair,
        agreeing: p256::SecretKey,
    },
}

/// This access point's key and certificate.
pub struct Credentials {
    key: PrivateKey,
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
        let kind = certificate.suite().key_kind();
        let key_error = |e: &dyn std::fmt::Display| KeyError::Key(kind, e.to_string());
        let key = match &certificate.key {
            PublicKey::Rsa { public, .. } => {
                let signing = RsaKeyPair::from_pkcs8(key_pkcs8).map_err(|e| key_error(&e))?;
                let decrypting =
                    rsa::PrivateKey::from_pkcs8_der(key_pkcs8).map_err(|e| key_error(&e))?;
                let own = decrypting.to_public_key();
                if own.n() != public.n() || own.e() != public.e() {
                    return Err(KeyError::Mismatch);
                }
                PrivateKey::Rsa {
                    signing,
                    decrypting: Box::new(decrypting),
                }
            }
            PublicKey::P256 { public, .. } => {
                let signing = EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    key_pkcs8,
                    &SystemRandom::new(),
                )
                .map_err(|e| key_error(&e))?;
                let agreeing =
                    p256::SecretKey::from_pkcs8_der(key_pkcs8).map_err(|e| key_error(&e))?;
                if agreeing.public_key() != *public {
                    return Err(KeyError::Mismatch);
                }
                PrivateKey::P256 { signing, agreeing }
            }
        };
        Ok(Credentials { key, certificate })
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

    /// The suite the key is for.
    pub fn suite(&self) -> Suite {
        self.certificate.suite()
    }

    /// Signs `message` with the suite's algorithm (RSA-SHA256, PKCS#1 v1.5; or ECDSA-SHA256,
    /// r ‖ s).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match &self.key {
            PrivateKey::Rsa { signing, .. } => {
                let mut out = vec![0; signing.public().modulus_len()];
                signing
                    .sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut out)
                    .map_err(|_| KeyError::Sign)?;
                Ok(out)
            }
            PrivateKey::P256 { signing, .. } => signing
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
        }
    }

    /// Decrypts a session key transported with RSA-OAEP (SHA-256, MGF1 with SHA-256); `None`
    /// if it does not decrypt or the key is not RSA (the caller answers EBMS:0102 without
    /// saying more).
    pub fn oaep_decrypt(&self, encrypted: &[u8]) -> Option<Vec<u8>> {
        let PrivateKey::Rsa { decrypting, .. } = &self.key else {
            return None;
        };
        decrypting
            .decrypt(rsa::Oaep::<sha2_011::Sha256>::new(), encrypted)
            .ok()
    }

    /// The secret agreed with the sender's ephemeral P-256 key (an uncompressed or compressed
    /// point); `None` if it is no point of the curve or the key is not EC.
    pub fn agree(&self, ephemeral_point: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let PrivateKey::P256 { agreeing, .. } = &self.key else {
            return None;
        };
        let ephemeral = p256::PublicKey::from_sec1_bytes(ephemeral_point).ok()?;
        let shared = agreeing.diffie_hellman(&ephemeral);
        Some(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
    }
}

/// The own credentials an incoming message may need: one per suite.
pub trait OwnKeys {
    /// The credentials for `suite`, if this access point has them.
    fn for_suite(&self, suite: Suite) -> Option<&Credentials>;
}

impl OwnKeys for Credentials {
    fn for_suite(&self, suite: Suite) -> Option<&Credentials> {
        (self.suite() == suite).then_some(self)
    }
}

/// An access point's credentials, at most one per suite.
#[derive(Debug)]
pub struct Keyring(Vec<Credentials>);

impl Keyring {
    /// The keyring of these credentials; `None` if two are for the same suite or none is given.
    pub fn new(credentials: Vec<Credentials>) -> Option<Keyring> {
        let repeated = credentials
            .iter()
            .enumerate()
            .any(|(i, c)| credentials[..i].iter().any(|d| d.suite() == c.suite()));
        (!credentials.is_empty() && !repeated).then_some(Keyring(credentials))
    }

    /// The suites it has keys for.
    pub fn suites(&self) -> impl Iterator<Item = Suite> + '_ {
        self.0.iter().map(Credentials::suite)
    }

    /// The credentials, in the order given.
    pub fn credentials(&self) -> &[Credentials] {
        &self.0
    }
}

impl OwnKeys for Keyring {
    fn for_suite(&self, suite: Suite) -> Option<&Credentials> {
        self.0.iter().find(|c| c.suite() == suite)
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
