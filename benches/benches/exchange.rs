//! The evidence exchange messages end to end, as a node handles them: a residence-certificate
//! request, the evidence response with one item, the residence certificate itself, and the
//! multipart message that carries response and evidence. Each is parsed, written, signed and
//! verified (signature and the signer's chain to the federation root, with a CRL).
//!
//! `crypto/ecdsa_p256_*` are ring's raw ECDSA P-256 operations on 32 bytes, measured in the same
//! run, so that the cost of a message operation can be read as a multiple of the one signature it
//! has to compute or check, whatever the machine.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use once_pki::MemberId;
use once_pki::ca::{Ca, Validity};
use once_pki::files::{read_certs_from_pem, read_crl};
use once_pki::signing::SignerVerifier;
use once_xml::Limits;
use once_xml::c14n;
use once_xml::dsig::{self, Placement, Signer};
use once_xml::evidence::{
    Address, EvidenceDocument, EvidenceKind, IssuingAuthority, KindOfResidence, Municipality,
    Person, ResidenceCertificate,
};
use once_xml::multipart::{self, MultipartLimits, Part};
use once_xml::request::{
    Agent, Distribution, EvidenceRequest, EvidenceType, Identifier, LocalizedText, MEMBER_SCHEME,
    NaturalPerson, Requirement, SPECIFICATION_IDENTIFIER, Subject, TAX_ID_SCHEME,
};
use once_xml::response::{EvidenceItem, EvidenceResponse, Response, Sha256Hex};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use time::macros::{date, datetime};

const REQUESTER: &str = "DE-BY:KOMMUNE:09162000";
const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
const PROCEDURE: &str = "Elterngeld";
const LEGAL_BASIS: &str = "§ 9 BEEG";
const EVIDENCE_CONTENT_ID: &str = "evidence-1@once";
const TAX_ID: &str = "65929970489";

/// A federation with two members, the signers of both and a verifier of signing certificates as
/// a node holds it (root and current CRL).
struct Federation {
    _dir: tempfile::TempDir,
    requester: Signer,
    provider: Signer,
    verifier: Arc<SignerVerifier>,
    /// The same roots without a CRL, to tell the cost of the revocation check.
    verifier_without_crl: Arc<SignerVerifier>,
}

impl Federation {
    fn new() -> Federation {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ca = Ca::init(&dir.path().join("ca"), "Bench Federation", 30).expect("ca");
        let signer = |ca: &mut Ca, member: &str| {
            let member: MemberId = member.parse().expect("member id");
            let creds = ca
                .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
                .expect("issue");
            let cert = read_certs_from_pem(&creds.signing_cert_pem)
                .expect("pem")
                .remove(0);
            Signer::from_pkcs8_pem(&creds.signing_key_pem, vec![cert.to_vec()]).expect("signer")
        };
        let requester = signer(&mut ca, REQUESTER);
        let provider = signer(&mut ca, PROVIDER);
        let crl = read_crl(&ca.write_crl(7).expect("crl")).expect("read crl");
        let roots = read_certs_from_pem(ca.cert_pem()).expect("root");
        let verifier = SignerVerifier::new(roots.clone(), &[crl], true).expect("verifier");
        let verifier_without_crl = SignerVerifier::new(roots, &[], true).expect("verifier");
        Federation {
            _dir: dir,
            requester,
            provider,
            verifier,
            verifier_without_crl,
        }
    }

    /// What a receiving node does with a signed message: the signature, then its signer.
    fn verify(&self, xml: &[u8], placement: Placement) -> MemberId {
        let verified = dsig::verify(xml, &Limits::default(), placement).expect("signature");
        let chain: Vec<CertificateDer<'_>> = verified
            .certificates
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        self.verifier
            .verify(&chain, UnixTime::now())
            .expect("signer")
    }
}

fn text(s: &str) -> LocalizedText {
    LocalizedText {
        lang: None,
        value: s.into(),
    }
}

fn agent(member: &str, name: &str) -> Agent {
    Agent {
        identifier: Identifier {
            scheme: Some(MEMBER_SCHEME.into()),
            value: member.into(),
        },
        name: text(name),
    }
}

fn person() -> NaturalPerson {
    NaturalPerson {
        level_of_assurance: None,
        identifier: Some(Identifier {
            scheme: Some(TAX_ID_SCHEME.into()),
            value: TAX_ID.into(),
        }),
        family_name: "Müller-Lüdenscheidt".into(),
        given_name: "Jürgen".into(),
        date_of_birth: date!(1985 - 03 - 07),
    }
}

/// A residence-certificate request as `once-tests` builds it (`exchange::request`).
fn request() -> EvidenceRequest {
    EvidenceRequest {
        id: "7f0c2b9e-3a41-4f5e-9d0b-1c2d3e4f5a6b".into(),
        specification_identifier: SPECIFICATION_IDENTIFIER.into(),
        issue_date_time: datetime!(2026-11-23 09:00:00 UTC),
        procedure: text(PROCEDURE),
        possibility_for_preview: false,
        explicit_request_given: true,
        preview_location: None,
        legal_basis: Some(LEGAL_BASIS.into()),
        requirements: vec![Requirement {
            identifier: LEGAL_BASIS.into(),
            name: text("Proof of residence"),
        }],
        requester: agent(REQUESTER, "Landeshauptstadt München, Elterngeldstelle"),
        provider: agent(PROVIDER, "Stadt Bremen, Bürgeramt"),
        subject: Subject::NaturalPerson(person()),
        evidence_type: EvidenceType {
            identifier: "0d8e7c6b-5a49-4382-b716-a5f4e3d2c1b0".into(),
            classification: RESIDENCE.into(),
            titles: vec![text("Residence certificate")],
            distributions: vec![Distribution {
                format: "application/xml".into(),
                conforms_to: None,
            }],
        },
    }
}

/// The residence certificate the provider's population register yields for [`person`].
fn residence_certificate() -> EvidenceDocument {
    EvidenceDocument::ResidenceCertificate(ResidenceCertificate {
        evidence_id: "urn:uuid:16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
        issue_date_time: datetime!(2026-11-23 09:00:01 +01:00),
        issuing_authority: IssuingAuthority {
            member_id: PROVIDER.into(),
            name: "Stadt Bremen, Bürgeramt".into(),
        },
        person: Person {
            tax_id: TAX_ID.parse().expect("tax id"),
            family_name: "Müller-Lüdenscheidt".into(),
            given_names: "Jürgen".into(),
            birth_name: None,
            date_of_birth: date!(1985 - 03 - 07),
            place_of_birth: Some("Bremerhaven".into()),
            nationality: Some("DE".into()),
        },
        address: Address {
            street: "Am Markt".into(),
            house_number: "1".into(),
            postcode: "28195".into(),
            municipality: Municipality {
                name: "Bremen".into(),
                key: "04011000".parse().expect("AGS"),
            },
        },
        moved_in_date: date!(2010 - 01 - 01),
        kind_of_residence: KindOfResidence::Main,
    })
}

/// The provider's answer with one item, bound to the request and the evidence as the provider
/// binds them (`node::service::provider::finish`).
fn response(request: &EvidenceRequest, signed_request: &[u8], evidence: &[u8]) -> EvidenceResponse {
    let kind = EvidenceKind::ResidenceCertificate;
    EvidenceResponse {
        request_id: request.id.clone(),
        response_id: "5b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e".into(),
        specification_identifier: SPECIFICATION_IDENTIFIER.into(),
        issue_date_time: datetime!(2026-11-23 09:00:02 UTC),
        requester: request.requester.clone(),
        provider: request.provider.clone(),
        request_digest: Some(Sha256Hex::of(signed_request)),
        evidence: vec![EvidenceItem {
            id: "urn:uuid:2a3b4c5d-6e7f-4081-9293-a4b5c6d7e8f9".into(),
            evidence_id: "3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b".into(),
            subject: request.subject.clone(),
            issuing_authority: request.provider.clone(),
            classification: kind.classification().into(),
            titles: kind.titles(),
            issuing_date: date!(2026 - 11 - 23),
            distribution: Distribution {
                format: kind.media_type().into(),
                conforms_to: Some(kind.namespace().into()),
            },
            evidence_digest: Some(Sha256Hex::of(evidence)),
            repository_item_ref: multipart::cid_url(EVIDENCE_CONTENT_ID),
            repository_item_title: Some(kind.titles()[0].value.clone()),
        }],
    }
}

fn exchange(c: &mut Criterion) {
    let federation = Federation::new();
    let limits = Limits::default();

    // The request, as the requester writes and signs it.
    let request = request();
    let request_xml = request.to_xml();
    let signed_request = federation
        .requester
        .sign(&request_xml, Placement::Slot)
        .expect("sign request")
        .into_bytes();

    // The evidence and the answer, as the provider writes and signs them.
    let evidence = residence_certificate();
    let evidence_xml = evidence.to_xml();
    let signed_evidence = federation
        .provider
        .sign(&evidence_xml, Placement::LastChild)
        .expect("sign evidence")
        .into_bytes();
    let response = response(&request, &signed_request, &signed_evidence);
    let response_xml = response.to_xml();
    let signed_response = federation
        .provider
        .sign(&response_xml, Placement::Slot)
        .expect("sign response")
        .into_bytes();
    let attachments = [Part {
        content_id: EVIDENCE_CONTENT_ID,
        content_type: EvidenceKind::ResidenceCertificate.media_type(),
        body: &signed_evidence,
    }];
    let seed = [0x5a_u8; 24];
    let (content_type, body) =
        multipart::build(&seed, &signed_response, &attachments).expect("multipart");

    // What the benchmarks measure must be what a node accepts.
    assert_eq!(
        EvidenceRequest::from_xml(&signed_request, &limits).expect("request"),
        request
    );
    assert_eq!(
        federation.verify(&signed_request, Placement::Slot).as_str(),
        REQUESTER
    );
    assert_eq!(
        Response::from_xml(&signed_response, &limits).expect("response"),
        Response::Evidence(response.clone())
    );
    assert_eq!(
        federation
            .verify(&signed_response, Placement::Slot)
            .as_str(),
        PROVIDER
    );
    assert_eq!(
        EvidenceDocument::from_xml(&signed_evidence, &limits).expect("evidence"),
        evidence
    );
    assert_eq!(
        federation
            .verify(&signed_evidence, Placement::LastChild)
            .as_str(),
        PROVIDER
    );
    let parsed = multipart::parse(&content_type, &body, &MultipartLimits::default())
        .expect("parse multipart");
    response
        .check_binding(&signed_request, &parsed)
        .expect("binding");
    eprintln!(
        "sizes in bytes: request {} (signed {}), response {} (signed {}), evidence {} (signed {}), multipart {}",
        request_xml.len(),
        signed_request.len(),
        response_xml.len(),
        signed_response.len(),
        evidence_xml.len(),
        signed_evidence.len(),
        body.len()
    );

    let bytes = |n: usize| Throughput::Bytes(u64::try_from(n).unwrap_or(u64::MAX));

    let mut group = c.benchmark_group("request");
    group.throughput(bytes(signed_request.len()));
    group.bench_function("parse", |b| {
        b.iter(|| EvidenceRequest::from_xml(black_box(&signed_request), &limits).expect("parse"))
    });
    group.throughput(bytes(request_xml.len()));
    group.bench_function("serialise", |b| b.iter(|| black_box(&request).to_xml()));
    group.bench_function("sign", |b| {
        b.iter(|| {
            federation
                .requester
                .sign(black_box(&request_xml), Placement::Slot)
                .expect("sign")
        })
    });
    group.throughput(bytes(signed_request.len()));
    group.bench_function("verify", |b| {
        b.iter(|| federation.verify(black_box(&signed_request), Placement::Slot))
    });
    group.finish();

    let mut group = c.benchmark_group("response");
    group.throughput(bytes(signed_response.len()));
    group.bench_function("parse", |b| {
        b.iter(|| Response::from_xml(black_box(&signed_response), &limits).expect("parse"))
    });
    group.throughput(bytes(response_xml.len()));
    group.bench_function("serialise", |b| b.iter(|| black_box(&response).to_xml()));
    group.bench_function("sign", |b| {
        b.iter(|| {
            federation
                .provider
                .sign(black_box(&response_xml), Placement::Slot)
                .expect("sign")
        })
    });
    group.throughput(bytes(signed_response.len()));
    group.bench_function("verify", |b| {
        b.iter(|| federation.verify(black_box(&signed_response), Placement::Slot))
    });
    group.finish();

    let mut group = c.benchmark_group("evidence");
    group.throughput(bytes(signed_evidence.len()));
    group.bench_function("parse", |b| {
        b.iter(|| EvidenceDocument::from_xml(black_box(&signed_evidence), &limits).expect("parse"))
    });
    group.throughput(bytes(evidence_xml.len()));
    group.bench_function("serialise", |b| b.iter(|| black_box(&evidence).to_xml()));
    group.bench_function("sign", |b| {
        b.iter(|| {
            federation
                .provider
                .sign(black_box(&evidence_xml), Placement::LastChild)
                .expect("sign")
        })
    });
    group.throughput(bytes(signed_evidence.len()));
    group.bench_function("verify", |b| {
        b.iter(|| federation.verify(black_box(&signed_evidence), Placement::LastChild))
    });
    group.finish();

    // Where `*/verify` spends its time: the XML signature alone, the canonical form it digests
    // (a request with prefixes; an evidence document in a default namespace), and the signer's
    // chain with and without the CRL (whose signature webpki checks on every call).
    let signer_chain = dsig::verify(&signed_request, &limits, Placement::Slot)
        .expect("signature")
        .certificates;
    let signer_chain: Vec<CertificateDer<'_>> = signer_chain
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let request_text = std::str::from_utf8(&signed_request).expect("utf-8");
    let signature_at = request_text.find("<ds:Signature").expect("signature");
    let mut group = c.benchmark_group("verify_parts");
    group.bench_function("request_dsig_verify", |b| {
        b.iter(|| {
            dsig::verify(black_box(&signed_request), &limits, Placement::Slot).expect("verify")
        })
    });
    group.bench_function("request_c14n", |b| {
        b.iter(|| c14n::document(black_box(request_text), Some(signature_at)).expect("c14n"))
    });
    group.bench_function("evidence_c14n", |b| {
        b.iter(|| c14n::document(black_box(&evidence_xml), None).expect("c14n"))
    });
    group.bench_function("signer_chain", |b| {
        b.iter(|| {
            federation
                .verifier
                .verify(black_box(&signer_chain), UnixTime::now())
                .expect("chain")
        })
    });
    group.bench_function("signer_chain_without_crl", |b| {
        b.iter(|| {
            federation
                .verifier_without_crl
                .verify(black_box(&signer_chain), UnixTime::now())
                .expect("chain")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("multipart");
    group.throughput(bytes(body.len()));
    group.bench_function("build", |b| {
        b.iter(|| {
            multipart::build(&seed, black_box(&signed_response), &attachments).expect("build")
        })
    });
    group.bench_function("parse", |b| {
        b.iter(|| {
            multipart::parse(
                black_box(&content_type),
                black_box(&body),
                &MultipartLimits::default(),
            )
            .expect("parse")
        })
    });
    group.finish();
}

/// ring's ECDSA P-256 (SHA-256, fixed-length signature), the operation every sign and verify
/// above performs once.
fn baseline(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("key pair");
    let message = [0x42_u8; 32];
    let signature = key.sign(&rng, &message).expect("sign");
    let public_key = key.public_key().as_ref().to_vec();

    let mut group = c.benchmark_group("crypto");
    group.bench_function("ecdsa_p256_sign", |b| {
        b.iter(|| key.sign(&rng, black_box(&message)).expect("sign"))
    });
    group.bench_function("ecdsa_p256_verify", |b| {
        b.iter(|| {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, black_box(&public_key))
                .verify(black_box(&message), black_box(signature.as_ref()))
                .expect("verify")
        })
    });
    group.finish();
}

criterion_group!(benches, baseline, exchange);
criterion_main!(benches);
