//! XML 1.0's character set (the `Char` production), reader and writer alike.
//!
//! Before: a control character (U+0001, U+000B, U+0000) in a text the node wrote made a document
//! that its own signer then refused as "not well-formed XML", and U+FFFE passed through the writer
//! and the reader although XML 1.0 forbids it; `&#1;` and `&#xFFFE;` were read as characters.
//! Now the reader refuses every character outside the production, written directly or as a
//! reference, with an error that names it, as libxml2 (xmllint, the referee) does; every writer
//! refuses to write one with an error naming the field (`try_to_xml`), and its lossy form
//! (`to_xml`) writes U+FFFD instead, so it never produces a document the reader refuses.

use std::path::Path;
use std::process::Command;

use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::discovery::{DiscoveredProvider, DiscoveryOutcome, DiscoveryResponse};
use once_xml::evidence::{
    Address, EvidenceDocument, IssuingAuthority, KindOfResidence, Municipality, Person,
    ResidenceCertificate,
};
use once_xml::level::Level;
use once_xml::request::{EvidenceRequest, LocalizedText, Procedure, Subject};
use once_xml::response::{ErrorResponse, EvidenceResponse};
use once_xml::text::{InvalidText, Reason};
use once_xml::{EdmCode, Limits, Profile, c14n, tree};
use time::macros::{date, datetime};

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Whether libxml2 reads `xml` as well-formed XML (`xmllint --noout`).
fn xmllint_reads(xml: &str) -> bool {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("doc.xml");
    std::fs::write(&file, xml).expect("write");
    Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg(&file)
        .output()
        .expect("xmllint is installed (Debian package libxml2-utils)")
        .status
        .success()
}

#[test]
fn the_reader_refuses_what_libxml2_refuses_and_reads_what_it_reads() {
    let refused = [
        "<a>x\u{1}y</a>",
        "<a>\u{B}</a>",
        "<a>\u{FFFE}</a>",
        "<a b='\u{FFFF}'/>",
        "<a><![CDATA[\u{1F}]]></a>",
        "<a><!-- \u{8} --></a>",
        "<a><?pi \u{1}?></a>",
        "<a>&#1;</a>",
        "<a>&#0;</a>",
        "<a>&#x0B;</a>",
        "<a>&#xFFFE;</a>",
        "<a>&#xffff;</a>",
        "<a>&#xD800;</a>",
        "<a b='&#1;'/>",
        "<a b='&#xFFFE;'/>",
    ];
    for doc in refused {
        assert!(!xmllint_reads(doc), "the referee reads {doc:?}");
        let error = tree::parse(doc.as_bytes(), &Limits::default()).expect_err(doc);
        assert_eq!(error.code, EdmCode::InvalidRequest);
        assert!(error.detail.contains("U+"), "{doc:?}: {}", error.detail);
        assert!(
            !error.detail.contains("not well-formed"),
            "a specific error, not a generic one: {doc:?}: {}",
            error.detail
        );
        assert!(c14n::document(doc, None).is_err(), "{doc:?}");
    }
    let read = [
        "<a>&#9;&#xA;&#xD;&#x20;&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#x10FFFF;</a>",
        "<a b='&#x9;\u{10FFFF}'>\u{7F}\u{85}\u{9F}\u{FFFD}</a>",
    ];
    for doc in read {
        assert!(xmllint_reads(doc), "the referee refuses {doc:?}");
        tree::parse(doc.as_bytes(), &Limits::default()).expect(doc);
        c14n::document(doc, None).expect(doc);
    }
}

/// The field named by a refusal, with the character and its position.
fn refused(result: Result<String, InvalidText>) -> (String, char, usize) {
    let error = result.expect_err("a character XML does not allow is refused");
    assert_eq!(error.reason, Reason::NotXml);
    (error.field, error.character, error.position)
}

/// What `to_xml` writes instead is XML this crate and libxml2 read, with U+FFFD in place of the
/// character.
fn lossy_reads(xml: &str) {
    assert!(!xml.contains(['\u{1}', '\u{0}', '\u{B}', '\u{FFFE}', '\u{FFFF}']));
    assert!(xml.contains('\u{FFFD}'), "{xml}");
    tree::parse(xml.as_bytes(), &Limits::default()).expect("the lossy form reads");
    c14n::document(xml, None).expect("and canonicalises (so it can be signed)");
    assert!(xmllint_reads(xml), "{xml}");
}

#[test]
fn a_request_with_a_control_character_is_refused_naming_the_field() {
    let mut request =
        EvidenceRequest::from_xml(&sample("birth_request.xml"), &Limits::default()).expect("read");
    let clean = request
        .try_to_xml_as(Profile::De)
        .expect("a clean request is written");
    assert_eq!(clean, request.to_xml_as(Profile::De));
    let Subject::NaturalPerson(person) = &mut request.subject else {
        panic!("a natural person")
    };
    person.family_name = "Smi\u{1}th".into();
    assert_eq!(
        refused(request.try_to_xml_as(Profile::De)),
        ("NaturalPerson/sdg:Person/sdg:FamilyName".into(), '\u{1}', 4)
    );
    lossy_reads(&request.to_xml_as(Profile::De));

    let mut request =
        EvidenceRequest::from_xml(&sample("birth_request.xml"), &Limits::default()).expect("read");
    request.procedure = Some(Procedure::Text(LocalizedText::new("EN", "\u{FFFE}")));
    assert_eq!(
        refused(request.try_to_xml_as(Profile::De)),
        ("Procedure/@value".into(), '\u{FFFE}', 1)
    );
    request.procedure = Some(Procedure::Text(LocalizedText::new("EN", "ok")));
    request.id = "id\u{B}".into();
    assert_eq!(
        refused(request.try_to_xml_as(Profile::De)),
        ("QueryRequest/@id".into(), '\u{B}', 3)
    );
    request.id = "urn:uuid:1".into();
    request.requirements[0].names[0].value = "a\u{0}".into();
    assert_eq!(
        refused(request.try_to_xml_as(Profile::De)),
        (
            "Requirements[0]/sdg:Requirement/sdg:Name".into(),
            '\u{0}',
            2
        )
    );
    lossy_reads(&request.to_xml_as(Profile::De));
}

#[test]
fn responses_with_a_control_character_are_refused_naming_the_field() {
    let mut response =
        EvidenceResponse::from_xml(&sample("oots_response.xml"), &Limits::default()).expect("read");
    response
        .try_to_xml_as(Profile::De)
        .expect("a clean response is written");
    response.evidence[1].issuing_authority.name.value = "Amt \u{FFFF}".into();
    assert_eq!(
        refused(response.try_to_xml_as(Profile::De)),
        (
            "RegistryObject[1]/EvidenceMetadata/sdg:Evidence/sdg:IssuingAuthority/sdg:Name".into(),
            '\u{FFFF}',
            5
        )
    );
    lossy_reads(&response.to_xml_as(Profile::De));

    let mut error =
        ErrorResponse::from_xml(&sample("oots_exception_preview.xml"), &Limits::default())
            .expect("read");
    error
        .try_to_xml_as(Profile::De)
        .expect("a clean error response is written");
    error.exception.message = "failed:\u{1B}[31m".into();
    assert_eq!(
        refused(error.try_to_xml_as(Profile::De)),
        ("rs:Exception/@message".into(), '\u{1B}', 8)
    );
    lossy_reads(&error.to_xml_as(Profile::De));
}

#[test]
fn an_evidence_document_with_a_control_character_is_refused_naming_the_field() {
    let document = |family_name: &str| {
        EvidenceDocument::ResidenceCertificate(ResidenceCertificate {
            evidence_id: "urn:uuid:16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
            issue_date_time: datetime!(2026-11-23 09:00:01 +01:00),
            issuing_authority: IssuingAuthority {
                member_id: "DE-HB:KOMMUNE:04011000".into(),
                name: "Stadt Bremen".into(),
            },
            person: Person {
                tax_id: "86095742719".parse().expect("tax id"),
                family_name: family_name.into(),
                given_names: "Jürgen".into(),
                birth_name: None,
                date_of_birth: date!(1988 - 02 - 29),
                place_of_birth: None,
                nationality: None,
            },
            address: Address {
                street: "Am Markt".into(),
                house_number: "21a".into(),
                postcode: "28195".into(),
                municipality: Municipality {
                    name: "Bremen".into(),
                    key: "04011000".parse().expect("AGS"),
                },
            },
            moved_in_date: date!(2020 - 01 - 15),
            kind_of_residence: KindOfResidence::Main,
        })
    };
    let clean = document("Müller").try_to_xml().expect("written");
    assert_eq!(
        EvidenceDocument::from_xml(clean.as_bytes(), &Limits::default()).expect("read"),
        document("Müller")
    );
    let bad = document("Mül\u{C}ler");
    assert_eq!(
        refused(bad.try_to_xml()),
        ("Person/FamilyName".into(), '\u{C}', 4)
    );
    lossy_reads(&bad.to_xml());
}

#[test]
fn descriptors_and_discovery_answers_with_a_control_character_are_refused_naming_the_field() {
    let register = RegisterDescriptor {
        id: "melderegister".into(),
        name: "Melderegister".into(),
        register_type: None,
        level: Level::Municipality,
        jurisdictions: vec!["04011000".into()],
        evidence_types: vec!["urn:once:evidence-type:residence-certificate".into()],
        legal_basis: "BMG".into(),
        standards: vec!["XMeld".into()],
        record_count: None,
        contact: None,
    };
    let mut descriptor = NodeDescriptor {
        member: "DE-HB:KOMMUNE:04011000".into(),
        name: "Stadt Bremen".into(),
        peer_endpoint: "https://node.bremen.example".into(),
        tls_certificate_sha256: "ab".repeat(32),
        contact: None,
        issue_date_time: datetime!(2026-11-23 09:00:00 UTC),
        sequence: 1,
        registers: vec![register.clone(), register],
    };
    descriptor.registers[1].id = "zwei".into();
    descriptor
        .try_to_xml()
        .expect("a clean descriptor is written");
    descriptor.registers[1].standards[0] = "XMeld\u{1}".into();
    assert_eq!(
        refused(descriptor.try_to_xml()),
        ("Register[1]/Standard".into(), '\u{1}', 6)
    );
    lossy_reads(&descriptor.to_xml());

    let mut answer = DiscoveryResponse {
        issue_date_time: datetime!(2026-11-23 09:00:01 UTC),
        evidence_type: "urn:once:evidence-type:residence-certificate".into(),
        jurisdiction: None,
        outcome: DiscoveryOutcome::Providers(vec![DiscoveredProvider {
            rank: 1,
            match_level: Level::Municipality,
            member: "DE-HB:KOMMUNE:04011000".into(),
            name: "Stadt \u{FFFE}Bremen".into(),
            peer_endpoint: "https://node.bremen.example".into(),
            tls_certificate_sha256: "ab".repeat(32),
            register_id: "melderegister".into(),
            jurisdictions: vec![],
        }]),
    };
    assert_eq!(
        refused(answer.try_to_xml()),
        ("Providers/Provider[0]/Name".into(), '\u{FFFE}', 7)
    );
    lossy_reads(&answer.to_xml());
    answer.outcome = DiscoveryOutcome::MissingInput {
        parameter: "jurisdiction".into(),
        message: "give\u{7}".into(),
    };
    assert_eq!(
        refused(answer.try_to_xml()),
        ("MissingInput/Message".into(), '\u{7}', 5)
    );
}

/// What the map refuses in a descriptor beyond XML: control characters and, outside the legal
/// basis, tabs and line breaks, each named by its field.
#[test]
fn descriptor_texts_are_single_line_but_the_legal_basis() {
    let register = |name: &str, legal_basis: &str| RegisterDescriptor {
        id: "melderegister".into(),
        name: name.into(),
        register_type: None,
        level: Level::Municipality,
        jurisdictions: vec![],
        evidence_types: vec![],
        legal_basis: legal_basis.into(),
        standards: vec![],
        record_count: None,
        contact: Some("melde@bremen.example".into()),
    };
    let descriptor = |name: &str, register: RegisterDescriptor| NodeDescriptor {
        member: "DE-HB:KOMMUNE:04011000".into(),
        name: name.into(),
        peer_endpoint: "https://node.bremen.example".into(),
        tls_certificate_sha256: "ab".repeat(32),
        contact: None,
        issue_date_time: datetime!(2026-11-23 09:00:00 UTC),
        sequence: 1,
        registers: vec![register],
    };
    let read = |d: &NodeDescriptor| {
        let xml = d.try_to_xml().expect("XML allows it");
        NodeDescriptor::from_xml(xml.as_bytes(), &Limits::default())
    };
    let multi_line = descriptor("Bremen", register("Melderegister", "BMG\n§ 33\tAbs. 1"));
    assert_eq!(
        read(&multi_line).expect("a legal basis may have lines"),
        multi_line
    );
    for (d, expected) in [
        (
            descriptor("Stadt\nBremen", register("Melderegister", "BMG")),
            "NodeDescriptor: Name: the character U+000A (line feed) at position 6 is not allowed in a single-line field",
        ),
        (
            descriptor("Bremen", register("=HYPER\tLINK", "BMG")),
            "NodeDescriptor: Register[0]: Name: the character U+0009 (tab) at position 7",
        ),
        (
            descriptor("Bremen", register("Melde\u{85}register", "BMG")),
            "Register[0]: Name: the character U+0085 (a control character) at position 6",
        ),
        (
            descriptor("Bremen", register("Melderegister", "BMG\u{9B}31m")),
            "Register[0]: LegalBasis: the character U+009B (a control character) at position 4 is a control character",
        ),
        (
            descriptor("Bremen", register("Melderegister", "BMG\r\u{7F}")),
            "Register[0]: LegalBasis: the character U+007F (delete) at position 5",
        ),
    ] {
        let error = read(&d).expect_err(expected);
        assert_eq!(error.code, EdmCode::InvalidRequest);
        assert!(error.detail.contains(expected), "{}", error.detail);
    }
    // Characters XML forbids never get that far: the reader refuses them, naming the byte.
    let xml = descriptor("Bremen", register("Melderegister", "BMG"))
        .to_xml()
        .replacen("BMG", "BMG&#1;", 1);
    let error = NodeDescriptor::from_xml(xml.as_bytes(), &Limits::default()).expect_err("&#1;");
    assert!(
        error
            .detail
            .contains("&#1; stands for the character U+0001"),
        "{}",
        error.detail
    );
}
