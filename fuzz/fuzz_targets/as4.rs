//! AS4 as an access point reads it: a user message (`receive::open`: MIME, the SOAP envelope,
//! `eb:Messaging`, the ID scan, WS-Security signature and coverage, decryption, digests,
//! decompression) and a signal (`signal::read`), within the default AS4 limits. The input is the
//! `Content-Type` header value up to the first newline and the body after it.
//!
//! The fuzz access point (`keys/`, an RSA pair for eDelivery AS4 1.15 and an EC P-256 pair for
//! the 2.0 EC profile) is both the receiver and an accepted signer, so the seeds (signed and
//! encrypted with it) open, and mutations of them reach every stage of both suites.
//!
//! What must hold besides "no panic, no hang, no OOM": every refusal has an ebMS code and a
//! detail; a message that opens has one payload per `PartInfo`, in order, and at least the
//! Messaging, Body and payload references signed; a receipt for it, signed by the access point,
//! is read back as a receipt for that message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use once_as4::receive::{self, Limits, SignerCheck};
use once_as4::signal::{self, SignalOutcome};
use once_as4::{Certificate, OwnKeys, Party};

/// Accepts whoever signed: the signature itself is still checked.
struct AnySigner;

impl SignerCheck for AnySigner {
    fn check(&self, _from: &Party, _certificate: &Certificate) -> Result<(), String> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.iter().position(|b| *b == b'\n') {
        Some(newline) => (&data[..newline], &data[newline + 1..]),
        None => (data, &[][..]),
    };
    let content_type = String::from_utf8_lossy(content_type);
    let keyring = once_fuzz::as4_keyring();
    let limits = Limits::default();
    match receive::open(&content_type, body, keyring, &AnySigner, &limits) {
        Ok(received) => {
            assert_eq!(received.payloads.len(), received.header.parts.len());
            for (payload, part) in received.payloads.iter().zip(&received.header.parts) {
                assert_eq!(Some(payload.content_id.as_str()), part.content_id());
            }
            assert!(received.references.len() >= 2 + received.payloads.len());
            let me = keyring
                .for_suite(received.suite)
                .expect("a message opens only with a key of its suite");
            let receipt =
                signal::receipt(&received, keyring, "fuzz.test").expect("a receipt is written");
            let read = signal::read(&receipt.body, me.certificate(), &limits)
                .unwrap_or_else(|e| panic!("our own receipt is refused: {e}"));
            match read {
                SignalOutcome::Receipt {
                    ref_to_message_id,
                    acknowledged,
                    ..
                } => {
                    assert_eq!(ref_to_message_id, received.header.message_id);
                    assert_eq!(acknowledged, received.references);
                }
                SignalOutcome::Errors { .. } => panic!("our receipt reads as an error signal"),
            }
        }
        Err(refused) => {
            assert!(refused.code.code().starts_with("EBMS:"));
            assert!(
                !refused.detail.is_empty(),
                "{:?} without a detail",
                refused.code
            );
        }
    }
    for me in keyring.credentials() {
        if let Err(refused) = signal::read(body, me.certificate(), &limits) {
            assert!(
                !refused.detail.is_empty(),
                "{:?} without a detail",
                refused.code
            );
        }
    }
});
