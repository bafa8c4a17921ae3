//! Access point identities for the tests: RSA keys and self-signed certificates made by
//! `openssl` (the eDelivery suite is RSA; rcgen cannot generate RSA keys).

#![allow(dead_code)]

use std::process::Command;

use once_as4::header::UserMessage;
use once_as4::oots::{Action, OotsHeader, SchemedId};
use once_as4::{Certificate, Credentials};

/// An access point: its key and certificate, PEM, and the credentials read from them.
pub struct AccessPoint {
    pub party: String,
    pub key_pem: String,
    pub certificate_pem: String,
    pub credentials: Credentials,
}

impl AccessPoint {
    pub fn new(party: &str) -> AccessPoint {
        let dir = tempfile::tempdir().expect("temporary directory");
        let key = dir.path().join("key.pem");
        let cert = dir.path().join("cert.pem");
        let status = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj",
            ])
            .arg(format!("/CN={party}/O=once test/C=DE"))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let key_pem = std::fs::read_to_string(&key).expect("key");
        let certificate_pem = std::fs::read_to_string(&cert).expect("certificate");
        let credentials = Credentials::from_pem(&key_pem, &certificate_pem).expect("credentials");
        AccessPoint {
            party: party.to_owned(),
            key_pem,
            certificate_pem,
            credentials,
        }
    }

    pub fn certificate(&self) -> Certificate {
        self.credentials.certificate().clone()
    }
}

/// An OOTS request header from `from` to `to`.
pub fn request_header(from: &str, to: &str) -> UserMessage {
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
    .to_user_message(
        once_as4::send::message_id(&format!("{from}.test")),
        time::OffsetDateTime::now_utc(),
    )
}
