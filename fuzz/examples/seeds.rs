//! Writes the seeds this project's own code produces into `corpus/<target>/once-*`: messages as
//! the node writes them (requests, responses, evidence documents, descriptors, discovery
//! answers), signed by a fresh federation CA's member, and the multipart bodies they travel in.
//!
//! Run from `fuzz/`: `cargo run --example seeds` (no fuzzing flags needed). The signatures differ
//! on every run (fresh keys); the rest is fixed.

use std::path::{Path, PathBuf};

use once_as4::oots::{Action, EBRS_MIME_TYPE, OotsHeader};
use once_as4::receive::{self, Pinned};
use once_as4::send::{self, OutgoingPayload};
use once_as4::testing::sample_header;
use once_as4::{EbmsCode, EbmsError, signal};
use once_pki::MemberId;
use once_pki::ca::{Ca, Validity};
use once_pki::files::read_certs_from_pem;
use once_xml::EdmCode;
use once_xml::Limits;
use once_xml::Profile;
use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::discovery::{DiscoveredProvider, DiscoveryOutcome, DiscoveryResponse};
use once_xml::dsig::{Placement, Signer};
use once_xml::evidence::{
    Address, EuroAmount, EvidenceDocument, IncomeCertificate, IncomeKind, IssuingAuthority,
    KindOfResidence, Municipality, Person, ResidenceCertificate,
};
use once_xml::level::Level;
use once_xml::multipart::{self, Part};
use once_xml::request::{EvidenceRequest, Identifier, MEMBER_SCHEME};
use once_xml::response::{ErrorResponse, Exception, Response, reason};
use time::macros::{date, datetime};

/// The generator is a tool: any failure ends it with a message.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const FINGERPRINT: &str = "3f0c8e5a1b2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60";

fn main() -> Result<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let samples = fuzz.join("../xml-schemas/tests/samples");
    let corpus = fuzz.join("corpus");
    let dir = tempfile::tempdir()?;
    let mut ca = Ca::init(&dir.path().join("ca"), "Fuzz Seed Federation", 30)?;
    let member: MemberId = "DE-HB:KOMMUNE:04011000".parse()?;
    let creds = ca.issue_node(&member, &["localhost".into()], Validity::days_from_now(30))?;
    let certificate = read_certs_from_pem(&creds.signing_cert_pem)?
        .remove(0)
        .to_vec();
    let signer = Signer::from_pkcs8_pem(&creds.signing_key_pem, vec![certificate])?;
    let limits = Limits::default();

    // Requests: the Commission's birth certificate request, as this node writes it, between two
    // federation members; unsigned and signed (Slot).
    let mut request =
        EvidenceRequest::from_xml(&std::fs::read(samples.join("birth_request.xml"))?, &limits)?;
    request.requester.identifier = member_identifier("DE-HB:LAND:elterngeld");
    request.provider.identifier = member_identifier(member.as_str());
    let request_xml = request.to_xml_as(Profile::De);
    let signed_request = signer.sign(&request_xml, Placement::Slot)?;
    write(
        &corpus,
        "request",
        "once-request.xml",
        request_xml.as_bytes(),
    )?;
    write(
        &corpus,
        "request",
        "once-request-signed.xml",
        signed_request.as_bytes(),
    )?;

    // Evidence documents, unsigned and signed (last child).
    let documents = [("residence", residence()), ("income", income())];
    let mut signed_documents = Vec::new();
    for (name, document) in &documents {
        let xml = document.to_xml();
        let signed = signer.sign(&xml, Placement::LastChild)?;
        write(
            &corpus,
            "response",
            &format!("once-{name}.xml"),
            xml.as_bytes(),
        )?;
        write(
            &corpus,
            "response",
            &format!("once-{name}-signed.xml"),
            signed.as_bytes(),
        )?;
        signed_documents.push((*name, signed));
    }

    // Responses: the Commission's samples as this node writes them, and an error.
    let mut responses = Vec::new();
    for sample in ["oots_response.xml", "oots_exception_preview.xml"] {
        let response = Response::from_xml(&std::fs::read(samples.join(sample))?, &limits)?;
        responses.push((
            sample.trim_end_matches(".xml").replace('_', "-"),
            response.to_xml_as(Profile::De),
        ));
    }
    let error = Response::Error(ErrorResponse {
        request_id: request.id.clone(),
        response_id: "urn:uuid:7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e12".into(),
        version: request.version,
        provider: request.provider.clone(),
        requester: request.requester.clone(),
        exception: Exception::new(
            EdmCode::ObjectNotFound,
            "no person in the register matches the subject of the request",
            datetime!(2026-11-23 09:00:04 UTC),
        )
        .with_reason(reason::SUBJECT_NOT_FOUND),
    });
    responses.push(("error".into(), error.to_xml_as(Profile::De)));
    let mut signed_responses = Vec::new();
    for (name, xml) in &responses {
        let signed = signer.sign(xml, Placement::Slot)?;
        write(
            &corpus,
            "response",
            &format!("once-{name}.xml"),
            xml.as_bytes(),
        )?;
        write(
            &corpus,
            "response",
            &format!("once-{name}-signed.xml"),
            signed.as_bytes(),
        )?;
        signed_responses.push(signed);
    }

    // Descriptor and discovery answers, unsigned and signed (last child).
    let descriptor = descriptor();
    let answers = [
        ("descriptor", descriptor.to_xml()),
        ("discovery-providers", providers().to_xml()),
        ("discovery-missing-input", missing_input().to_xml()),
    ];
    for (name, xml) in &answers {
        let signed = signer.sign(xml, Placement::LastChild)?;
        write(
            &corpus,
            "descriptor",
            &format!("once-{name}.xml"),
            xml.as_bytes(),
        )?;
        write(
            &corpus,
            "descriptor",
            &format!("once-{name}-signed.xml"),
            signed.as_bytes(),
        )?;
    }

    // Multipart: a request alone and a response with its evidence, as the node sends them.
    let (content_type, body) = multipart::build(&[0x11; 24], signed_request.as_bytes(), &[])?;
    write(
        &corpus,
        "multipart",
        "once-request.multipart",
        &with_header(&content_type, &body),
    )?;
    let parts: Vec<Part<'_>> = signed_documents
        .iter()
        .map(|(name, xml)| Part {
            content_id: if *name == "residence" {
                "evidence-1@once"
            } else {
                "evidence-2@once"
            },
            content_type: "application/xml",
            body: xml.as_bytes(),
        })
        .collect();
    let (content_type, body) =
        multipart::build(&[0x22; 24], signed_responses[0].as_bytes(), &parts)?;
    write(
        &corpus,
        "multipart",
        "once-response.multipart",
        &with_header(&content_type, &body),
    )?;

    // Canonicalisation: the signed documents, the selector byte choosing different elements.
    let signed = [
        ("request", signed_request.as_str()),
        ("response", signed_responses[0].as_str()),
        ("residence", signed_documents[0].1.as_str()),
    ];
    for (selector, (name, xml)) in [0u8, 7, 40].into_iter().zip(signed) {
        let mut seed = vec![selector];
        seed.extend_from_slice(xml.as_bytes());
        write(&corpus, "c14n", &format!("once-{name}-signed.xml"), &seed)?;
    }
    as4_seeds(
        &corpus,
        signed_request.as_bytes(),
        signed_responses[0].as_bytes(),
        signed_documents[0].1.as_bytes(),
    )?;
    eprintln!("seeds written under {}", corpus.display());
    Ok(())
}

/// AS4: an OOTS request and an answer with evidence, sent to and signed by the fuzz access point
/// (`keys/`), so that they open; a receipt for the first and an error signal.
fn as4_seeds(corpus: &Path, request: &[u8], response: &[u8], evidence: &[u8]) -> Result<()> {
    let me = once_fuzz::as4_credentials();
    let mut header = sample_header("AP_AT_01", "AP_DE_01");
    let payload = |content_id: &str, mime_type: &str, bytes| OutgoingPayload {
        content_id: content_id.into(),
        mime_type: mime_type.into(),
        bytes,
        compress: true,
    };
    let save = |name: &str, content_type: &str, body: &[u8]| {
        write(corpus, "as4", name, &with_header(content_type, body))
    };
    let seal_as = |me: &once_as4::Credentials,
                   header: &OotsHeader,
                   id: &str,
                   payloads: &[OutgoingPayload<'_>],
                   name: &str| {
        let at = datetime!(2026-11-23 09:00:00 UTC);
        let sent = send::user_message(
            &header.to_user_message(id.into(), at),
            payloads,
            me,
            me.certificate(),
        )?;
        save(name, &sent.content_type, &sent.body)?;
        Ok::<_, Box<dyn std::error::Error>>(sent)
    };
    let seal = |header: &OotsHeader, id: &str, payloads: &[OutgoingPayload<'_>], name: &str| {
        seal_as(me, header, id, payloads, name)
    };
    let sent = seal(
        &header,
        "request-1@fuzz.test",
        &[payload("edm@fuzz.test", EBRS_MIME_TYPE, request)],
        "once-request.as4",
    )?;
    header.action = Action::ExecuteQueryResponse;
    header.ref_to_message_id = Some("request-1@fuzz.test".into());
    seal(
        &header,
        "response-1@fuzz.test",
        &[
            payload("edm@fuzz.test", EBRS_MIME_TYPE, response),
            payload("evidence-1@fuzz.test", "application/xml", evidence),
        ],
        "once-response.as4",
    )?;

    let received = receive::open(
        &sent.content_type,
        &sent.body,
        me,
        &Pinned(me.certificate().clone()),
        &receive::Limits::default(),
    )?;
    let receipt = signal::receipt(&received, me, "fuzz.test")?;
    save("once-receipt.as4", &receipt.content_type, &receipt.body)?;
    let refused = EbmsError {
        code: EbmsCode::FailedDecryption,
        detail: "the payload edm@fuzz.test does not decrypt".into(),
        ref_to_message_id: Some("request-1@fuzz.test".into()),
    };
    let error = signal::error(&refused, me, "fuzz.test")?;
    save("once-error.as4", &error.content_type, &error.body)?;

    // The eDelivery AS4 2.0 EC profile: a request and its receipt.
    let ec = once_fuzz::as4_ec_credentials();
    header.action = Action::ExecuteQueryRequest;
    header.ref_to_message_id = None;
    let sent = seal_as(
        ec,
        &header,
        "request-ec-1@fuzz.test",
        &[payload("edm@fuzz.test", EBRS_MIME_TYPE, request)],
        "once-request-ec.as4",
    )?;
    let received = receive::open(
        &sent.content_type,
        &sent.body,
        ec,
        &Pinned(ec.certificate().clone()),
        &receive::Limits::default(),
    )?;
    let receipt = signal::receipt(&received, ec, "fuzz.test")?;
    save("once-receipt-ec.as4", &receipt.content_type, &receipt.body)?;
    Ok(())
}

fn member_identifier(id: &str) -> Identifier {
    Identifier {
        scheme: Some(MEMBER_SCHEME.into()),
        value: id.into(),
    }
}

fn with_header(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut seed = content_type.as_bytes().to_vec();
    seed.push(b'\n');
    seed.extend_from_slice(body);
    seed
}

fn write(corpus: &Path, target: &str, name: &str, bytes: &[u8]) -> Result<()> {
    let dir: PathBuf = corpus.join(target);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(name), bytes)?;
    Ok(())
}

fn person() -> Person {
    Person {
        tax_id: "86095742719".parse().expect("a valid tax id"),
        family_name: "Müller-Lüdenscheidt".into(),
        given_names: "Jürgen".into(),
        birth_name: Some("Schmidt".into()),
        date_of_birth: date!(1988 - 02 - 29),
        place_of_birth: Some("Bremerhaven".into()),
        nationality: Some("DE".into()),
    }
}

fn residence() -> EvidenceDocument {
    EvidenceDocument::ResidenceCertificate(ResidenceCertificate {
        evidence_id: "urn:uuid:16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
        issue_date_time: datetime!(2026-11-23 09:00:01 +01:00),
        issuing_authority: IssuingAuthority {
            member_id: "DE-HB:KOMMUNE:04011000".into(),
            name: "Stadt Bremen".into(),
        },
        person: person(),
        address: Address {
            street: "Am Markt".into(),
            house_number: "21a".into(),
            postcode: "28195".into(),
            municipality: Municipality {
                name: "Bremen".into(),
                key: "04011000".parse().expect("a valid AGS"),
            },
        },
        moved_in_date: date!(2020 - 01 - 15),
        kind_of_residence: KindOfResidence::Main,
    })
}

fn income() -> EvidenceDocument {
    EvidenceDocument::IncomeCertificate(IncomeCertificate {
        evidence_id: "urn:uuid:26c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
        issue_date_time: datetime!(2026-11-23 09:00:02 UTC),
        issuing_authority: IssuingAuthority {
            member_id: "DE:BUND:drv".into(),
            name: "Deutsche Rentenversicherung Bund".into(),
        },
        person: person(),
        tax_year: 2025,
        gross_annual_income: EuroAmount::from_cents(4_123_450),
        income_kind: IncomeKind::Employment,
        payer_name: Some("Beispiel & Söhne GmbH".into()),
    })
}

fn descriptor() -> NodeDescriptor {
    let register = RegisterDescriptor {
        id: "melderegister-bremen".into(),
        name: "Melderegister Bremen".into(),
        register_type: Some("melderegister".into()),
        level: Level::Municipality,
        jurisdictions: vec!["04011000".into()],
        evidence_types: vec!["urn:once:evidence-type:residence-certificate".into()],
        legal_basis: "Bundesmeldegesetz (BMG)".into(),
        standards: vec!["XMeld 3.2".into()],
        record_count: Some(571_000),
        contact: Some("melderegister@bremen.example".into()),
    };
    NodeDescriptor {
        member: "DE-HB:KOMMUNE:04011000".into(),
        name: "Freie Hansestadt Bremen & Bürgeramt <Mitte>".into(),
        peer_endpoint: "https://node.bremen.example:8443/v1/exchange".into(),
        tls_certificate_sha256: FINGERPRINT.into(),
        contact: Some("https://www.bremen.example/kontakt?a=1&b=2".into()),
        issue_date_time: datetime!(2026-11-23 09:00:00 +01:00),
        sequence: 42,
        registers: vec![
            register.clone(),
            RegisterDescriptor {
                id: "einkommen.bund".into(),
                name: "Einkommensregister".into(),
                register_type: None,
                level: Level::Federal,
                jurisdictions: (1..=16).map(|state| format!("{state:02}")).collect(),
                evidence_types: vec!["urn:once:evidence-type:income-certificate".into()],
                legal_basis: "§ 93c AO".into(),
                standards: vec![],
                record_count: None,
                contact: None,
            },
        ],
    }
}

fn provider(rank: u32, member: &str, register_id: &str) -> DiscoveredProvider {
    DiscoveredProvider {
        rank,
        match_level: Level::Municipality,
        member: member.into(),
        name: "Stadt Bremen".into(),
        peer_endpoint: "https://node.bremen.example/v1/exchange".into(),
        tls_certificate_sha256: FINGERPRINT.into(),
        register_id: register_id.into(),
        jurisdictions: vec!["04011000".into()],
    }
}

fn providers() -> DiscoveryResponse {
    DiscoveryResponse {
        issue_date_time: datetime!(2026-11-23 09:00:01 UTC),
        evidence_type: "urn:once:evidence-type:residence-certificate".into(),
        jurisdiction: Some("04011000".into()),
        outcome: DiscoveryOutcome::Providers(vec![
            provider(1, "DE-HB:KOMMUNE:04011000", "melderegister-bremen"),
            DiscoveredProvider {
                match_level: Level::Federal,
                jurisdictions: vec![],
                ..provider(2, "DE:BUND:bva", "zentralregister")
            },
        ]),
    }
}

fn missing_input() -> DiscoveryResponse {
    DiscoveryResponse {
        issue_date_time: datetime!(2026-11-23 09:00:02 +01:00),
        evidence_type: "urn:once:evidence-type:residence-certificate".into(),
        jurisdiction: Some("04".into()),
        outcome: DiscoveryOutcome::MissingInput {
            parameter: "jurisdiction".into(),
            message: "give the 8-digit key (AGS) of the municipality".into(),
        },
    }
}
