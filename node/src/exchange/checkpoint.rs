//! Signed checkpoints of the message log: the chain head signed with the node's signing key, so
//! that a rewritten or truncated log shows even when every hash was recomputed.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use once_pki::MemberId;
use once_pki::files::read_certs_from_pem;
use once_pki::signing::SignerVerifier;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::db::log::Checkpoint;

/// Signs checkpoints with the node's signing key.
pub struct CheckpointSigner {
    member: MemberId,
    key: EcdsaKeyPair,
    certificate_pem: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// From the PKCS#8 DER of the signing key and the signing certificate (PEM).
    pub fn new(member: MemberId, pkcs8: &[u8], certificate_pem: String) -> Result<Self, String> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| format!("the signing key is not a PKCS#8 ECDSA P-256 key: {e}"))?;
        Ok(CheckpointSigner {
            member,
            key,
            certificate_pem,
            rng,
        })
    }

    /// The signer of `member`'s checkpoints with the signing key of `material`.
    pub fn from_material(
        member: &MemberId,
        material: &once_runtime::material::Material,
    ) -> Result<Self, once_runtime::config::ConfigError> {
        let pem = material
            .signing_chain
            .iter()
            .map(once_runtime::material::pem_certificate)
            .collect::<String>();
        CheckpointSigner::new(member.clone(), material.signing_key.secret_der(), pem)
            .map_err(|e| once_runtime::config::ConfigError::new("signing.key", e))
    }

    /// A checkpoint over the entry `seq` with hash `entry_hash`.
    pub fn sign(&self, seq: i64, entry_hash: &str, signed_at: i64) -> Result<Checkpoint, String> {
        let statement = Checkpoint::statement(self.member.as_str(), seq, entry_hash, signed_at);
        let signature = self
            .key
            .sign(&self.rng, statement.as_bytes())
            .map_err(|e| format!("signing the checkpoint failed: {e}"))?;
        Ok(Checkpoint {
            seq,
            entry_hash: entry_hash.to_owned(),
            signed_at,
            signature: B64.encode(signature.as_ref()),
            certificate: self.certificate_pem.clone(),
        })
    }
}

/// Checks a checkpoint: its certificate was a valid signing certificate of `member` from the
/// federation CA when the checkpoint was made, and the signature verifies. (Revocation is not
/// checked: a key retired later does not invalidate what it signed before.)
pub fn verify(
    checkpoint: &Checkpoint,
    member: &MemberId,
    roots: &[CertificateDer<'static>],
) -> Result<(), String> {
    let chain = read_certs_from_pem(&checkpoint.certificate).map_err(|e| e.to_string())?;
    let verifier = SignerVerifier::new(roots.to_vec(), &[], false).map_err(|e| e.to_string())?;
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        u64::try_from(checkpoint.signed_at).map_err(|_| "negative signing time".to_owned())?,
    ));
    let signer = verifier.verify(&chain, at).map_err(|e| e.to_string())?;
    if &signer != member {
        return Err(format!(
            "signed by {signer}, not by this node's member {member}"
        ));
    }
    let end_entity = chain.first().ok_or("no certificate")?;
    let (_, cert) = x509_parser::parse_x509_certificate(end_entity.as_ref())
        .map_err(|e| format!("unparseable certificate: {e}"))?;
    let public_key = cert.public_key().subject_public_key.data.as_ref();
    let signature = B64
        .decode(&checkpoint.signature)
        .map_err(|_| "the signature is not base64".to_owned())?;
    let statement = Checkpoint::statement(
        member.as_str(),
        checkpoint.seq,
        &checkpoint.entry_hash,
        checkpoint.signed_at,
    );
    ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key)
        .verify(statement.as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())
}
