//! AS4 exchanges on one CPU, and the crypto limit of the eDelivery AS4 1.15 suite in the same run.
//!
//! - `as4/exchange`: one whole One-Way/Push exchange on one thread, as two access points do it:
//!   the sender builds an OOTS request (a signed EDM request of about 4 KiB, gzip, AES-128-GCM,
//!   RSA-OAEP key transport, RSA-SHA256 signature over `eb:Messaging`, Body and payload); the
//!   receiver opens it (signature, coverage, signer, decryption, digest, decompression) and
//!   signs the receipt; the sender reads the receipt and checks it against what it sent.
//! - `as4/send`, `as4/open`, `as4/receipt`: those steps alone.
//! - `as4_crypto/per_exchange`: only the RSA-2048 operations one exchange needs, in sequence:
//!   OAEP encrypt, sign (message), verify (message), OAEP decrypt, sign (receipt), verify
//!   (receipt). Its inverse is the crypto limit: exchanges/s one CPU could do if nothing but the
//!   suite's public-key cryptography cost anything. `as4_crypto/rsa2048_*` are the single
//!   operations.
//!
//! Keys: RSA-2048 made by `openssl req` (once-as4's `testing` feature).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use once_as4::oots::EBRS_MIME_TYPE;
use once_as4::receive::{self, Limits, Pinned};
use once_as4::send::{self, OutgoingPayload};
use once_as4::signal;
use once_as4::testing::{TestAccessPoint, sample_header};

/// An EDM request of the size the node signs (the Commission's birth certificate sample).
const EDM: &str = include_str!("../../xml-schemas/tests/samples/birth_request.xml");

fn as4(c: &mut Criterion) {
    let (at_point, de_point) = (
        TestAccessPoint::new("AP_AT_01"),
        TestAccessPoint::new("AP_DE_01"),
    );
    let (at, de) = (&at_point.credentials, &de_point.credentials);
    let pin_at = Pinned(at.certificate().clone());
    let limits = Limits::default();
    let payloads = [OutgoingPayload {
        content_id: "edm@at.test".into(),
        mime_type: EBRS_MIME_TYPE.into(),
        bytes: EDM.as_bytes(),
        compress: true,
    }];
    let user_message = || {
        sample_header("AP_AT_01", "AP_DE_01")
            .to_user_message(send::message_id("at.test"), time::OffsetDateTime::now_utc())
    };
    let exchange = || {
        let sent =
            send::user_message(&user_message(), &payloads, at, de.certificate()).expect("sent");
        let received =
            receive::open(&sent.content_type, &sent.body, de, &pin_at, &limits).expect("opened");
        let receipt = signal::receipt(&received, de, "de.test").expect("receipt");
        let outcome = signal::read(&receipt.body, de.certificate(), &limits).expect("read");
        outcome
            .check_receipt(&sent)
            .expect("the receipt acknowledges what was sent");
    };
    exchange();

    let mut group = c.benchmark_group("as4");
    group.bench_function("exchange", |b| b.iter(exchange));
    group.bench_function("send", |b| {
        b.iter(|| {
            send::user_message(black_box(&user_message()), &payloads, at, de.certificate())
                .expect("sent")
        })
    });
    let sent = send::user_message(&user_message(), &payloads, at, de.certificate()).expect("sent");
    group.bench_function("open", |b| {
        b.iter(|| {
            receive::open(
                &sent.content_type,
                black_box(&sent.body),
                de,
                &pin_at,
                &limits,
            )
            .expect("opened")
        })
    });
    let received =
        receive::open(&sent.content_type, &sent.body, de, &pin_at, &limits).expect("opened");
    group.bench_function("receipt", |b| {
        b.iter(|| signal::receipt(black_box(&received), de, "de.test").expect("receipt"))
    });
    group.finish();

    let message = [0x42_u8; 83]; // about a SignedInfo's digest input; RSA signs its SHA-256
    let session_key = [0x17_u8; 16];
    let signature = at.sign_rsa_sha256(&message).expect("sign");
    let transported = de
        .certificate()
        .oaep_encrypt(&session_key)
        .expect("encrypt");
    let mut group = c.benchmark_group("as4_crypto");
    group.bench_function("per_exchange", |b| {
        b.iter(|| {
            let transported = de
                .certificate()
                .oaep_encrypt(black_box(&session_key))
                .expect("encrypt");
            let signature = at.sign_rsa_sha256(black_box(&message)).expect("sign");
            assert!(at.certificate().verify_rsa_sha256(&message, &signature));
            de.oaep_decrypt(&transported).expect("decrypt");
            let receipt = de.sign_rsa_sha256(black_box(&message)).expect("sign");
            assert!(de.certificate().verify_rsa_sha256(&message, &receipt));
        })
    });
    group.bench_function("rsa2048_sign", |b| {
        b.iter(|| at.sign_rsa_sha256(black_box(&message)).expect("sign"))
    });
    group.bench_function("rsa2048_verify", |b| {
        b.iter(|| {
            assert!(
                at.certificate()
                    .verify_rsa_sha256(black_box(&message), &signature)
            )
        })
    });
    group.bench_function("rsa2048_oaep_encrypt", |b| {
        b.iter(|| {
            de.certificate()
                .oaep_encrypt(black_box(&session_key))
                .expect("encrypt")
        })
    });
    group.bench_function("rsa2048_oaep_decrypt", |b| {
        b.iter(|| de.oaep_decrypt(black_box(&transported)).expect("decrypt"))
    });
    group.finish();
}

criterion_group!(benches, as4);
criterion_main!(benches);
