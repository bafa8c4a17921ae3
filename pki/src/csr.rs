//! The member side of a certificate request: a member that keeps its key at home creates a key
//! and a request (`once pki csr`), sends the request to the CA, and gets a certificate back
//! (`once pki sign-csr` on the CA side).

use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256};

use crate::ca::{CertPurpose, Validity, node_params};
use crate::{MemberId, PkiError};

/// Creates a fresh ECDSA P-256 key and a certificate request for `member`; returns the
/// request (PEM) and the key (PEM). The CA decides validity and key usages; the request
/// carries the member URI SAN and, for TLS, the hosts.
pub fn create(
    member: &MemberId,
    hosts: &[String],
    purpose: CertPurpose,
) -> Result<(String, String), PkiError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let hosts = if purpose == CertPurpose::Tls {
        hosts
    } else {
        &[]
    };
    let params = node_params(member, hosts, purpose, Validity::days_from_now(1))?;
    let csr = params.serialize_request(&key)?;
    Ok((csr.pem()?, key.serialize_pem()))
}
