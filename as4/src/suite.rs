//! The algorithm suites: which signature, key transport or key agreement, and payload cipher a
//! message uses. A partner uses one suite; its certificate's key says which.
//!
//! | suite | signature | session key | payloads |
//! |---|---|---|---|
//! | `edelivery-1.15` (eDelivery AS4 1.15, what OOTS access points run today) | RSA-SHA256 | RSA-OAEP (SHA-256, MGF1-SHA256) | AES-128-GCM |
//! | `edelivery-2.0-ec` (eDelivery AS4 2.0, alternative EC profile) | ECDSA-SHA256 on P-256 | ECDH-ES on P-256, HKDF (HMAC-SHA256), AES-128 key wrap | AES-128-GCM |
//!
//! In the EC suite the sender agrees a key with the partner's certificate key from a fresh
//! (ephemeral) P-256 key, derives a key-encryption key from the shared secret with HKDF (a
//! random salt, this crate's info string, 128 bits), and wraps the session key with it (RFC
//! 3394). The `xenc:EncryptedKey` carries an `xenc:AgreementMethod` (RFC 9231's HKDF
//! parameters, the ephemeral public key as `dsig11:ECKeyValue`, the partner's certificate token
//! as the recipient).

use crate::ns;

/// An algorithm suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Suite {
    /// eDelivery AS4 1.15: RSA-SHA256, RSA-OAEP, AES-128-GCM.
    Edelivery115,
    /// eDelivery AS4 2.0, alternative EC profile: ECDSA-SHA256 (P-256), ECDH-ES (P-256) with
    /// HKDF and AES-128 key wrap, AES-128-GCM.
    Edelivery20Ec,
}

impl Suite {
    /// Every suite, the default first.
    pub const ALL: [Suite; 2] = [Suite::Edelivery115, Suite::Edelivery20Ec];

    /// Its name in the partner table and the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Suite::Edelivery115 => "edelivery-1.15",
            Suite::Edelivery20Ec => "edelivery-2.0-ec",
        }
    }

    /// The suite with this name.
    pub fn parse(name: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What its keys are, as an error message says it.
    pub fn key_kind(self) -> &'static str {
        match self {
            Suite::Edelivery115 => "RSA (2048 to 8192 bits)",
            Suite::Edelivery20Ec => "EC P-256",
        }
    }

    /// Its `ds:SignatureMethod`.
    pub fn signature_method(self) -> &'static str {
        match self {
            Suite::Edelivery115 => ns::RSA_SHA256,
            Suite::Edelivery20Ec => ns::ECDSA_SHA256,
        }
    }

    /// The suite whose `ds:SignatureMethod` this is.
    pub fn of_signature_method(uri: &str) -> Option<Suite> {
        Suite::ALL.into_iter().find(|s| s.signature_method() == uri)
    }

    /// The `xenc:EncryptionMethod` of its `xenc:EncryptedKey`: key transport (RSA-OAEP) or the
    /// key wrap after key agreement.
    pub fn key_encryption_method(self) -> &'static str {
        match self {
            Suite::Edelivery115 => ns::RSA_OAEP,
            Suite::Edelivery20Ec => ns::KW_AES128,
        }
    }

    /// The suite whose `xenc:EncryptedKey` has this `xenc:EncryptionMethod`.
    pub fn of_key_encryption_method(uri: &str) -> Option<Suite> {
        Suite::ALL
            .into_iter()
            .find(|s| s.key_encryption_method() == uri)
    }
}

impl std::fmt::Display for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_algorithms_go_both_ways() {
        for suite in Suite::ALL {
            assert_eq!(Suite::parse(suite.name()), Some(suite));
            assert_eq!(
                Suite::of_signature_method(suite.signature_method()),
                Some(suite)
            );
            assert_eq!(
                Suite::of_key_encryption_method(suite.key_encryption_method()),
                Some(suite)
            );
        }
        assert_eq!(Suite::parse("edelivery-2.0"), None);
        assert_eq!(Suite::of_signature_method(ns::SHA256), None);
    }
}
