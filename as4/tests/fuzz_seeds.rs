//! The AS4 seeds of the fuzz target (`fuzz/corpus/as4`, written by `fuzz/examples/seeds.rs` with
//! the fuzz access point's public test key in `fuzz/keys/`) open as the target expects: the
//! fuzzer starts from messages that reach decryption and decompression, and signals that read.

use std::path::{Path, PathBuf};

use once_as4::receive::{self, Limits, Pinned};
use once_as4::signal::{self, SignalOutcome};
use once_as4::{Credentials, EbmsCode};
use once_xml::evidence::EvidenceDocument;
use once_xml::request::EvidenceRequest;
use once_xml::response::Response;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn credentials() -> Credentials {
    key_pair("as4-key.pem", "as4-cert.pem")
}

fn key_pair(key: &str, certificate: &str) -> Credentials {
    let read =
        |name: &str| std::fs::read_to_string(fuzz_dir().join("keys").join(name)).expect("key file");
    Credentials::from_pem(&read(key), &read(certificate)).expect("credentials")
}

/// A seed: the content type up to the first newline, the body after it.
fn seed(name: &str) -> (String, Vec<u8>) {
    let bytes = std::fs::read(fuzz_dir().join("corpus/as4").join(name)).expect("seed");
    let newline = bytes
        .iter()
        .position(|b| *b == b'\n')
        .expect("a content type line");
    (
        String::from_utf8(bytes[..newline].to_vec()).expect("utf-8"),
        bytes[newline + 1..].to_vec(),
    )
}

#[test]
fn the_message_seeds_open_with_their_payloads() {
    let me = credentials();
    let signers = Pinned(me.certificate().clone());
    let limits = once_xml::Limits::default();
    let (content_type, body) = seed("once-request.as4");
    let request = receive::open(&content_type, &body, &me, &signers, &Limits::default())
        .expect("the request");
    assert_eq!(request.payloads.len(), 1);
    EvidenceRequest::from_xml(&request.payloads[0].bytes, &limits).expect("an EDM request");

    let (content_type, body) = seed("once-response.as4");
    let answer =
        receive::open(&content_type, &body, &me, &signers, &Limits::default()).expect("the answer");
    assert_eq!(answer.payloads.len(), 2);
    Response::from_xml(&answer.payloads[0].bytes, &limits).expect("an EDM response");
    EvidenceDocument::from_xml(&answer.payloads[1].bytes, &limits).expect("an evidence document");
}

#[test]
fn the_signal_seeds_read_as_a_receipt_and_an_error() {
    let me = credentials();
    let (_, receipt) = seed("once-receipt.as4");
    let outcome = signal::read(&receipt, me.certificate(), &Limits::default()).expect("receipt");
    assert!(
        matches!(&outcome, SignalOutcome::Receipt { ref_to_message_id, .. } if ref_to_message_id == "request-1@fuzz.test"),
        "{outcome:?}"
    );
    let (_, error) = seed("once-error.as4");
    let outcome = signal::read(&error, me.certificate(), &Limits::default()).expect("error signal");
    let SignalOutcome::Errors { errors, .. } = outcome else {
        panic!("an error signal")
    };
    assert_eq!(errors[0].code, EbmsCode::FailedDecryption.code());
}

#[test]
fn the_ec_profile_seeds_open_and_read_with_the_ec_key() {
    let me = key_pair("as4-ec-key.pem", "as4-ec-cert.pem");
    assert_eq!(me.suite(), once_as4::Suite::Edelivery20Ec);
    let (content_type, body) = seed("once-request-ec.as4");
    let request = receive::open(
        &content_type,
        &body,
        &me,
        &Pinned(me.certificate().clone()),
        &Limits::default(),
    )
    .expect("the EC request");
    assert_eq!(request.suite, once_as4::Suite::Edelivery20Ec);
    EvidenceRequest::from_xml(&request.payloads[0].bytes, &once_xml::Limits::default())
        .expect("an EDM request");
    let (_, receipt) = seed("once-receipt-ec.as4");
    let outcome = signal::read(&receipt, me.certificate(), &Limits::default()).expect("receipt");
    assert!(
        matches!(&outcome, SignalOutcome::Receipt { ref_to_message_id, .. } if ref_to_message_id == "request-ec-1@fuzz.test"),
        "{outcome:?}"
    );
}
