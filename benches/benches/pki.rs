//! Micro-benchmarks of the PKI operations on the connection path: reading a peer's identity
//! from its certificate (every mTLS connection) and parsing a member id (every message).

use criterion::{Criterion, criterion_group, criterion_main};
use once_pki::ca::{Ca, Validity};
use once_pki::files::read_certs_from_pem;
use once_pki::{MemberId, PeerIdentity};

fn peer_identity(c: &mut Criterion) {
    let dir = tempfile_dir();
    let mut ca = Ca::init(&dir, "Bench Federation", 30).expect("ca");
    let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("id");
    let creds = ca
        .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
        .expect("issue");
    let der = read_certs_from_pem(&creds.tls_cert_pem)
        .expect("pem")
        .remove(0);
    c.bench_function("peer_identity_from_certificate", |b| {
        b.iter(|| PeerIdentity::from_certificate(std::hint::black_box(&der)).expect("identity"))
    });
    c.bench_function("member_id_parse", |b| {
        b.iter(|| {
            std::hint::black_box("DE-HB:KOMMUNE:04011000")
                .parse::<MemberId>()
                .expect("id")
        })
    });
    c.bench_function("issue_node_certificates", |b| {
        b.iter(|| {
            ca.issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
                .expect("issue")
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("once-bench-{}", std::process::id()))
}

criterion_group!(benches, peer_identity);
criterion_main!(benches);
