//! AS4 exchanges on one CPU, and the crypto limit of each algorithm suite in the same run.
//!
//! - `as4/<suite>/exchange`: one whole One-Way/Push exchange on one thread, as two access points
//!   do it: the sender builds an OOTS request (a signed EDM request of about 4 KiB, gzip,
//!   AES-128-GCM, the session key transported (RSA-OAEP) or agreed and wrapped (ECDH-ES, HKDF,
//!   AES key wrap), a signature (RSA-SHA256 or ECDSA-SHA256) over `eb:Messaging`, Body and
//!   payload); the receiver opens it (signature, coverage, signer, decryption, digest,
//!   decompression) and signs the receipt; the sender reads the receipt and checks it against
//!   what it sent. `<suite>` is `edelivery-1.15` or `edelivery-2.0-ec`.
//! - `as4/<suite>/send`, `…/open`, `…/receipt`: those steps alone.
//! - `as4_crypto/<suite>/per_exchange`: only the public-key operations one exchange needs, in
//!   sequence: key transport or agreement (sender), sign (message), verify (message), key
//!   decryption or agreement (receiver), sign (receipt), verify (receipt). Its inverse is the
//!   crypto limit: exchanges/s one CPU could do if nothing but the suite's public-key
//!   cryptography cost anything. The other rows of the group are the single operations.
//!
//! Keys: RSA-2048 and EC P-256 made by `openssl req` (once-as4's `testing` feature).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use once_as4::Credentials;
use once_as4::oots::EBRS_MIME_TYPE;
use once_as4::receive::{self, Limits, Pinned};
use once_as4::send::{self, OutgoingPayload};
use once_as4::signal;
use once_as4::testing::{TestAccessPoint, sample_header};

/// An EDM request of the size the node signs (the Commission's birth certificate sample).
const EDM: &str = include_str!("../../xml-schemas/tests/samples/birth_request.xml");

fn as4(c: &mut Criterion) {
    let rsa = (
        TestAccessPoint::new("AP_AT_01"),
        TestAccessPoint::new("AP_DE_01"),
    );
    let ec = (
        TestAccessPoint::new_ec("AP_AT_01"),
        TestAccessPoint::new_ec("AP_DE_01"),
    );
    for (at, de) in [&rsa, &ec] {
        exchanges(c, &at.credentials, &de.credentials);
    }
    crypto_rsa(c, &rsa.0.credentials, &rsa.1.credentials);
    crypto_ec(c, &ec.0.credentials, &ec.1.credentials);
}

/// `as4/<suite>/…`: whole exchanges and their steps.
fn exchanges(c: &mut Criterion, at: &Credentials, de: &Credentials) {
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

    let mut group = c.benchmark_group(format!("as4/{}", at.suite()));
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
}

/// About a SignedInfo's digest input; the signature algorithms sign its SHA-256.
const SIGNED: [u8; 83] = [0x42; 83];

/// `as4_crypto/edelivery-1.15/…`: the RSA-2048 operations of one exchange, and each alone.
fn crypto_rsa(c: &mut Criterion, at: &Credentials, de: &Credentials) {
    let message = SIGNED;
    let session_key = [0x17_u8; 16];
    let signature = at.sign(&message).expect("sign");
    let transported = de
        .certificate()
        .oaep_encrypt(&session_key)
        .expect("encrypt");
    let mut group = c.benchmark_group("as4_crypto/edelivery-1.15");
    group.bench_function("per_exchange", |b| {
        b.iter(|| {
            let transported = de
                .certificate()
                .oaep_encrypt(black_box(&session_key))
                .expect("encrypt");
            let signature = at.sign(black_box(&message)).expect("sign");
            assert!(at.certificate().verify(&message, &signature));
            de.oaep_decrypt(&transported).expect("decrypt");
            let receipt = de.sign(black_box(&message)).expect("sign");
            assert!(de.certificate().verify(&message, &receipt));
        })
    });
    group.bench_function("rsa2048_sign", |b| {
        b.iter(|| at.sign(black_box(&message)).expect("sign"))
    });
    group.bench_function("rsa2048_verify", |b| {
        b.iter(|| assert!(at.certificate().verify(black_box(&message), &signature)))
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

/// `as4_crypto/edelivery-2.0-ec/…`: the P-256 operations of one exchange (ECDH with a fresh
/// ephemeral key, sign, verify, ECDH with the static key, sign and verify the receipt), and
/// each alone.
fn crypto_ec(c: &mut Criterion, at: &Credentials, de: &Credentials) {
    let message = SIGNED;
    let signature = at.sign(&message).expect("sign");
    let (ephemeral, _) = de.certificate().agree_ephemeral().expect("agree");
    let mut group = c.benchmark_group("as4_crypto/edelivery-2.0-ec");
    group.bench_function("per_exchange", |b| {
        b.iter(|| {
            let (ephemeral, _) = de.certificate().agree_ephemeral().expect("agree");
            let signature = at.sign(black_box(&message)).expect("sign");
            assert!(at.certificate().verify(&message, &signature));
            de.agree(&ephemeral).expect("agree");
            let receipt = de.sign(black_box(&message)).expect("sign");
            assert!(de.certificate().verify(&message, &receipt));
        })
    });
    group.bench_function("p256_ecdsa_sign", |b| {
        b.iter(|| at.sign(black_box(&message)).expect("sign"))
    });
    group.bench_function("p256_ecdsa_verify", |b| {
        b.iter(|| assert!(at.certificate().verify(black_box(&message), &signature)))
    });
    group.bench_function("p256_ecdh_ephemeral", |b| {
        b.iter(|| de.certificate().agree_ephemeral().expect("agree"))
    });
    group.bench_function("p256_ecdh_static", |b| {
        b.iter(|| de.agree(black_box(&ephemeral)).expect("agree"))
    });
    group.finish();
}

criterion_group!(benches, as4);
criterion_main!(benches);
