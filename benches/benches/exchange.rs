//! The evidence exchange messages end to end, as a node handles them: a residence-certificate
//! request, the evidence response with one item, the residence certificate itself, and the
//! national transport's envelope that carries them (`multipart/related` with a detached XML
//! signature over every part). Each document is parsed and written; each message is sealed
//! (signed) and opened (signature, coverage of every part, the signer's chain to the federation
//! root with a CRL) exactly as `once_node::exchange::transport::envelope` does; the evidence
//! document carries its own enveloped signature, signed and verified here too.
//!
//! `crypto/ecdsa_p256_*` are ring's raw ECDSA P-256 operations on 32 bytes, measured in the same
//! run, so that the cost of a message operation can be read as a multiple of the one signature it
//! has to compute or check, whatever the machine.

use std::hint::black_box;
use std::sync::Arc;

use arc_swap::ArcSwap;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use once_node::exchange::sha256;
use once_node::exchange::transport::{Outgoing, Sealed, envelope};
use once_pki::MemberId;
use once_pki::ca::{Ca, Validity};
use once_pki::files::{read_certs_from_pem, read_crl};
use once_pki::signing::SignerVerifier;
use once_runtime::signed::SignedMessages;
use once_xml::dsig::{self, Placement, Signer, detached};
use once_xml::evidence::{
    Address, EvidenceDocument, EvidenceKind, IssuingAuthority, KindOfResidence, Municipality,
    Person, ResidenceCertificate,
};
use once_xml::multipart::{self, MultipartLimits, Part};
use once_xml::request::{
    Agent, Distribution, EdmVersion, EvidenceRequest, EvidenceType, Identifier, LocalizedText,
    MEMBER_SCHEME, NaturalPerson, PersonIdentifier, Procedure, Requirement, Subject,
};
use once_xml::response::{EvidenceItem, EvidenceResponse, Response};
use once_xml::{Limits, Profile, c14n, ids};
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
const EVIDENCE_CONTENT_ID: &str = "evidence1@once";
const TAX_ID: &str = "65929970489";

/// A federation with two members: the signers of both, and each one's signed messages as its node
/// holds them (its signer, the root and current CRL).
struct Federation {
    _dir: tempfile::TempDir,
    requester: SignedMessages,
    provider: SignedMessages,
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
        let messages = |signer: Signer| {
            SignedMessages::new(
                Arc::new(ArcSwap::from_pointee(signer)),
                verifier.clone(),
                Limits::default(),
            )
        };
        Federation {
            _dir: dir,
            requester: messages(requester),
            provider: messages(provider),
            verifier,
            verifier_without_crl,
        }
    }

    /// What a node does with an incoming message: opens the envelope and checks the signer.
    fn open(&self, sealed: &Sealed, sender: &str) {
        let opened = envelope::open(
            &self.provider,
            &MultipartLimits::default(),
            Some(&sealed.content_type),
            &sealed.body,
        )
        .expect("open");
        assert_eq!(opened.signer.as_str(), sender);
    }

    /// What a node does with a signed evidence document: the signature, then its signer.
    fn verify_evidence(&self, xml: &[u8]) -> MemberId {
        let verified =
            dsig::verify(xml, &Limits::default(), Placement::LastChild).expect("signature");
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
    LocalizedText::new("DE", s)
}

fn agent(member: &str, name: &str) -> Agent {
    Agent::new(Identifier::new(MEMBER_SCHEME, member), text(name))
}

fn person() -> NaturalPerson {
    NaturalPerson {
        level_of_assurance: None,
        identifier: Some(PersonIdentifier::TaxId(TAX_ID.parse().expect("tax id"))),
        family_name: "Müller-Lüdenscheidt".into(),
        given_name: "Jürgen".into(),
        date_of_birth: date!(1985 - 03 - 07),
    }
}

/// A residence-certificate request of the national profile, as `once-tests` builds it
/// (`exchange::request`).
fn request() -> EvidenceRequest {
    let kind = EvidenceKind::ResidenceCertificate;
    let mut distribution = Distribution::new(kind.media_type());
    distribution.conforms_to = Some(kind.namespace().into());
    EvidenceRequest {
        id: "urn:uuid:7f0c2b9e-3a41-4f5e-9d0b-1c2d3e4f5a6b".into(),
        version: EdmVersion::default(),
        issue_date_time: datetime!(2026-11-23 09:00:00 UTC),
        procedure: Some(Procedure::Text(text(PROCEDURE))),
        possibility_for_preview: false,
        explicit_request_given: true,
        preview_location: None,
        legal_basis: Some(LEGAL_BASIS.into()),
        requirements: vec![Requirement {
            identifier: LEGAL_BASIS.into(),
            names: vec![text("Nachweis des Wohnsitzes")],
        }],
        requester: agent(REQUESTER, "Landeshauptstadt München, Elterngeldstelle"),
        provider: agent(PROVIDER, "Stadt Bremen, Bürgeramt"),
        subject: Subject::NaturalPerson(person()),
        representative: None,
        evidence_type: EvidenceType {
            identifier: "0d8e7c6b-5a49-4382-b716-a5f4e3d2c1b0".into(),
            classification: RESIDENCE.into(),
            titles: kind.titles(),
            descriptions: Vec::new(),
            distribution,
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

/// The provider's answer with one item, its evidence in the part [`EVIDENCE_CONTENT_ID`], as
/// the provider writes it (`node::exchange::provider::answer`).
fn response(request: &EvidenceRequest) -> EvidenceResponse {
    let kind = EvidenceKind::ResidenceCertificate;
    let mut distribution = Distribution::new(kind.media_type());
    distribution.conforms_to = Some(kind.namespace().into());
    EvidenceResponse {
        request_id: request.id.clone(),
        response_id: "5b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e".into(),
        version: request.version,
        issue_date_time: datetime!(2026-11-23 09:00:02 UTC),
        requester: request.requester.clone(),
        provider: request.provider.clone(),
        evidence: vec![EvidenceItem {
            id: ids::urn_uuid("2a3b4c5d-6e7f-4081-9293-a4b5c6d7e8f9").into_owned(),
            evidence_id: "3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b".into(),
            subject: request.subject.clone(),
            issuing_authority: request.provider.clone(),
            classification: kind.classification().into(),
            titles: kind.titles(),
            descriptions: Vec::new(),
            issuing_date: date!(2026 - 11 - 23),
            distribution,
            repository_item_ref: multipart::cid_url(EVIDENCE_CONTENT_ID),
            repository_item_title: Some(kind.titles()[0].value.clone()),
        }],
    }
}

/// Seals `document` (with `attachments`) from `sender` to `receiver` as the transport does.
fn seal(
    messages: &SignedMessages,
    sender: &MemberId,
    receiver: &MemberId,
    document: &[u8],
    attachments: &[Part<'_>],
    in_reply_to: Option<[u8; 32]>,
) -> Sealed {
    envelope::seal(
        &messages.signer(),
        &Outgoing {
            document,
            attachments,
            sender,
            receiver,
            in_reply_to,
        },
    )
    .expect("seal")
}

fn exchange(c: &mut Criterion) {
    let federation = Federation::new();
    let limits = Limits::default();
    let requester: MemberId = REQUESTER.parse().expect("requester");
    let provider: MemberId = PROVIDER.parse().expect("provider");

    // The request, as the requester writes and seals it.
    let request = request();
    let request_xml = request.try_to_xml_as(Profile::De).expect("request xml");
    let sealed_request = seal(
        &federation.requester,
        &requester,
        &provider,
        request_xml.as_bytes(),
        &[],
        None,
    );

    // The evidence and the answer, as the provider writes, signs and seals them.
    let evidence = residence_certificate();
    let evidence_xml = evidence.to_xml();
    let signed_evidence = federation
        .provider
        .sign(&evidence_xml, Placement::LastChild)
        .expect("sign evidence");
    let response = response(&request);
    let response_xml = Response::Evidence(response.clone())
        .try_to_xml_as(Profile::De)
        .expect("response xml");
    let attachments = [Part {
        content_id: EVIDENCE_CONTENT_ID,
        content_type: EvidenceKind::ResidenceCertificate.media_type(),
        body: &signed_evidence,
    }];
    let in_reply_to = Some(sha256(request_xml.as_bytes()));
    let sealed_response = seal(
        &federation.provider,
        &provider,
        &requester,
        response_xml.as_bytes(),
        &attachments,
        in_reply_to,
    );

    // What the benchmarks measure must be what a node accepts.
    assert_eq!(
        EvidenceRequest::from_xml(request_xml.as_bytes(), &limits).expect("request"),
        request
    );
    federation.open(&sealed_request, REQUESTER);
    assert_eq!(
        Response::from_xml(response_xml.as_bytes(), &limits).expect("response"),
        Response::Evidence(response.clone())
    );
    federation.open(&sealed_response, PROVIDER);
    assert_eq!(
        EvidenceDocument::from_xml(&signed_evidence, &limits).expect("evidence"),
        evidence
    );
    assert_eq!(
        federation.verify_evidence(&signed_evidence).as_str(),
        PROVIDER
    );
    eprintln!(
        "sizes in bytes: request {} (sealed {}), response {}, evidence {} (signed {}), sealed answer {}",
        request_xml.len(),
        sealed_request.body.len(),
        response_xml.len(),
        evidence_xml.len(),
        signed_evidence.len(),
        sealed_response.body.len()
    );

    let bytes = |n: usize| Throughput::Bytes(u64::try_from(n).unwrap_or(u64::MAX));

    let mut group = c.benchmark_group("request");
    group.throughput(bytes(request_xml.len()));
    group.bench_function("parse", |b| {
        b.iter(|| {
            EvidenceRequest::from_xml(black_box(request_xml.as_bytes()), &limits).expect("parse")
        })
    });
    group.bench_function("serialise", |b| {
        b.iter(|| black_box(&request).try_to_xml_as(Profile::De).expect("xml"))
    });
    group.bench_function("seal", |b| {
        b.iter(|| {
            seal(
                &federation.requester,
                &requester,
                &provider,
                black_box(request_xml.as_bytes()),
                &[],
                None,
            )
        })
    });
    group.throughput(bytes(sealed_request.body.len()));
    group.bench_function("open", |b| {
        b.iter(|| federation.open(black_box(&sealed_request), REQUESTER))
    });
    group.finish();

    let mut group = c.benchmark_group("response");
    group.throughput(bytes(response_xml.len()));
    group.bench_function("parse", |b| {
        b.iter(|| Response::from_xml(black_box(response_xml.as_bytes()), &limits).expect("parse"))
    });
    group.bench_function("serialise", |b| {
        let response = Response::Evidence(response.clone());
        b.iter(|| {
            black_box(&response)
                .try_to_xml_as(Profile::De)
                .expect("xml")
        })
    });
    group.throughput(bytes(sealed_response.body.len()));
    group.bench_function("seal", |b| {
        b.iter(|| {
            seal(
                &federation.provider,
                &provider,
                &requester,
                black_box(response_xml.as_bytes()),
                &attachments,
                in_reply_to,
            )
        })
    });
    group.bench_function("open", |b| {
        b.iter(|| federation.open(black_box(&sealed_response), PROVIDER))
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
        b.iter(|| federation.verify_evidence(black_box(&signed_evidence)))
    });
    group.finish();

    // Where `*/open` spends its time: the detached signature alone (its digests of the parts'
    // raw octets and the exc-c14n of SignedInfo and the signed properties), the canonical form
    // of an evidence document in a default namespace, and the signer's chain with and without
    // the CRL (whose signature webpki checks on every call).
    let parsed = multipart::parse(
        &sealed_request.content_type,
        &sealed_request.body,
        &MultipartLimits::default(),
    )
    .expect("multipart");
    let signature = parsed
        .get(envelope::SIGNATURE_CONTENT_ID)
        .expect("signature part")
        .body
        .to_vec();
    let document = parsed.root().body.to_vec();
    let root_url = multipart::cid_url(parsed.root().content_id);
    let resolve = |uri: &str| (uri == root_url).then_some(document.as_slice());
    let signer_chain = detached::verify(&signature, &limits, resolve)
        .expect("detached signature")
        .certificates;
    let signer_chain: Vec<CertificateDer<'_>> = signer_chain
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let mut group = c.benchmark_group("verify_parts");
    group.bench_function("request_detached_verify", |b| {
        b.iter(|| detached::verify(black_box(&signature), &limits, resolve).expect("verify"))
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
    group.throughput(bytes(sealed_response.body.len()));
    group.bench_function("parse", |b| {
        b.iter(|| {
            multipart::parse(
                black_box(&sealed_response.content_type),
                black_box(&sealed_response.body),
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
