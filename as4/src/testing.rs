//! For tests, benchmarks and fuzz seeds (feature `testing`): access points with fresh RSA-2048
//! keys (eDelivery AS4 1.15) or EC P-256 keys (eDelivery AS4 2.0 EC profile) made by `openssl`
//! (neither ring nor rcgen generates RSA keys), and a sample OOTS header.

use std::process::Command;

use crate::keys::{Certificate, Credentials};
use crate::oots::{Action, OotsHeader, SchemedId};

/// An access point: its party id, key and self-signed certificate (PEM), and the credentials
/// read from them.
#[derive(Debug)]
pub struct TestAccessPoint {
    /// The party id.
    pub party: String,
    /// The PKCS#8 key, PEM.
    pub key_pem: String,
    /// The certificate, PEM.
    pub certificate_pem: String,
    /// The credentials.
    pub credentials: Credentials,
}

impl TestAccessPoint {
    /// A fresh key and a certificate for `party` (`openssl req -x509 -newkey rsa:2048`).
    ///
    /// # Panics
    /// When `openssl` is missing or fails: this is test set-up.
    pub fn new(party: &str) -> TestAccessPoint {
        TestAccessPoint::generate(party, &["-newkey", "rsa:2048"])
    }

    /// A fresh EC P-256 key and a certificate for `party`, for the eDelivery AS4 2.0 EC profile
    /// (`openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256`).
    ///
    /// # Panics
    /// When `openssl` is missing or fails: this is test set-up.
    pub fn new_ec(party: &str) -> TestAccessPoint {
        TestAccessPoint::generate(
            party,
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        )
    }

    fn generate(party: &str, key_options: &[&str]) -> TestAccessPoint {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
        let out = Command::new("openssl")
            .args(["req", "-x509"])
            .args(key_options)
            .args(["-nodes", "-days", "30", "-subj"])
            .arg(format!("/CN={party}/O=once test/C=DE"))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let key_pem = std::fs::read_to_string(&key).expect("key");
        let certificate_pem = std::fs::read_to_string(&cert).expect("certificate");
        let credentials = Credentials::from_pem(&key_pem, &certificate_pem).expect("credentials");
        TestAccessPoint {
            party: party.to_owned(),
            key_pem,
            certificate_pem,
            credentials,
        }
    }

    /// The certificate.
    pub fn certificate(&self) -> Certificate {
        self.credentials.certificate().clone()
    }
}

/// An OOTS request header from access point `from` to `to`: an Austrian family benefits office
/// asking a German provider.
pub fn sample_header(from: &str, to: &str) -> OotsHeader {
    OotsHeader {
        from_party: from.to_owned(),
        to_party: to.to_owned(),
        action: Action::ExecuteQueryRequest,
        conversation_id: "e0a6a5b7-6b2e-4b9c-9a63-8f0c6d3a1b24".to_owned(),
        ref_to_message_id: None,
        original_sender: SchemedId {
            scheme: "urn:cef.eu:names:identifier:EAS:9914".to_owned(),
            id: "AT:BUND:familienbeihilfe".to_owned(),
        },
        final_recipient: SchemedId {
            scheme: "urn:cef.eu:names:identifier:EAS:9930".to_owned(),
            id: "DE73524311".to_owned(),
        },
        exchange_id: "1a2b3c4d-0000-4000-8000-000000000002".to_owned(),
        specification_id: "oots-edm:v1.0".to_owned(),
    }
}
