//! Federation PKI for `once`.
//!
//! - [`MemberId`]: the one parser of member ids (`<instance>:<class>:<code>`).
//! - [`ca`]: a federation CA kept in a directory: create it, issue node certificates (TLS and
//!   message signing), sign certificate requests, revoke, write CRLs.
//! - [`csr`]: the member side of a certificate request, for members that keep their key at home.
//! - [`inspect`]: what a certificate says, read with x509-parser.
//! - [`tls`]: rustls server and client configurations that verify peers against the federation
//!   root and CRL (reloadable without restart), and the [`PeerIdentity`] read from a peer
//!   certificate.
//!
//! This crate knows nothing of HTTP or databases.
#![forbid(unsafe_code)]

pub mod ca;
pub mod csr;
mod error;
pub mod files;
pub mod inspect;
mod member;
pub mod signing;
pub mod tls;

pub use error::PkiError;
pub use member::{MEMBER_URI_PREFIX, MemberId, MemberIdError};
pub use tls::PeerIdentity;

/// The extended key usage for document signing (RFC 9336), set on message-signing certificates
/// so that they cannot be used for TLS.
pub const OID_KP_DOCUMENT_SIGNING: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 36];

/// Installs the crypto provider (ring) as the process default, once. Safe to call many times.
pub fn install_crypto_provider() {
    // An Err only means a provider is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The SHA-256 fingerprint of DER bytes, as lowercase hex.
pub fn sha256_hex(der: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(der))
}
