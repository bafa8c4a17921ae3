//! Codec micro-benchmarks: reading a typical evidence request (the Commission's birth
//! certificate sample, 5 KB) and writing one in the EU profile.

use criterion::{Criterion, criterion_group, criterion_main};
use once_xml::request::EvidenceRequest;
use once_xml::{Limits, Profile};

fn codec(c: &mut Criterion) {
    let path = once_xml::schema_dir().join("../tests/samples/birth_request.xml");
    let bytes = std::fs::read(&path).expect("sample request");
    let limits = Limits::default();
    let request = EvidenceRequest::from_xml(&bytes, &limits).expect("parse");
    c.bench_function("request_parse", |b| {
        b.iter(|| EvidenceRequest::from_xml(std::hint::black_box(&bytes), &limits).expect("parse"))
    });
    c.bench_function("request_serialise", |b| {
        b.iter(|| {
            std::hint::black_box(&request)
                .try_to_xml_as(Profile::Oots)
                .expect("write")
        })
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
