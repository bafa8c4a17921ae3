//! Responses, error responses and evidence documents against the Commission's samples, libxml2
//! (xmllint, the independent referee), the multipart transport and the XML signature.

use std::path::Path;
use std::process::Command;

use once_pki::MemberId;
use once_pki::ca::{Ca, Validity};
use once_pki::files::read_certs_from_pem;
use once_xml::dsig::{self, Placement, Signer};
use once_xml::evidence::{
    Address, EuroAmount, EvidenceDocument, EvidenceKind, IncomeCertificate, IncomeKind,
    IssuingAuthority, KindOfResidence, Municipality, Person, ResidenceCertificate,
};
use once_xml::multipart::{self, MultipartLimits, Part};
use once_xml::request::{
    Agent, AgentClassification, Distribution, EdmVersion, Identifier, LocalizedText, MEMBER_SCHEME,
    NaturalPerson, PersonIdentifier, Subject,
};
use once_xml::response::{
    ErrorResponse, EvidenceItem, EvidenceResponse, Exception, Response, SEVERITY_PREVIEW_REQUIRED,
    Severity, reason,
};
use once_xml::{EdmCode, Limits, Profile, schema_dir};
use time::macros::{date, datetime};

fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes each document to a temp dir and validates them all with one xmllint run against the
/// driver schema.
fn xmllint(documents: &[(&str, String)]) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tmp");
    let mut command = Command::new("xmllint");
    command
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema_dir().join("once-exchange.xsd"));
    for (name, xml) in documents {
        let file = dir.path().join(format!("{name}.xml"));
        std::fs::write(&file, xml).expect("write");
        command.arg(file);
    }
    let output = command
        .output()
        .expect("xmllint is installed (Debian package libxml2-utils)");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn member(id: &str, name: &str) -> Agent {
    Agent::new(
        Identifier::new(MEMBER_SCHEME, id),
        LocalizedText::new("DE", name),
    )
}

fn person() -> Person {
    Person {
        tax_id: "86095742719".parse().expect("tax id"),
        family_name: "Müller-Lüdenscheidt".into(),
        given_names: "Jürgen".into(),
        birth_name: None,
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
                key: "04011000".parse().expect("AGS"),
            },
        },
        moved_in_date: date!(2020 - 01 - 15),
        kind_of_residence: KindOfResidence::Secondary,
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
        gross_annual_income: EuroAmount::from_cents(0),
        income_kind: IncomeKind::Pension,
        payer_name: None,
    })
}

fn birth() -> Vec<u8> {
    // Written by hand, with a prefix, to check that a document produced elsewhere reads and
    // validates the same way.
    r#"<?xml version="1.0" encoding="UTF-8"?>
<bc:BirthCertificate xmlns:bc="urn:once:evidence:birth-certificate:1">
  <bc:EvidenceIdentifier>urn:uuid:36c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f</bc:EvidenceIdentifier>
  <bc:IssueDateTime>2026-11-23T09:00:03+01:00</bc:IssueDateTime>
  <bc:IssuingAuthority><bc:MemberId>DE-HB:KOMMUNE:04011000</bc:MemberId><bc:Name>Standesamt Bremen-Mitte</bc:Name></bc:IssuingAuthority>
  <bc:Child>
    <bc:FamilyName>Müller-Lüdenscheidt</bc:FamilyName><bc:GivenNames>Lea</bc:GivenNames>
    <bc:Sex>diverse</bc:Sex><bc:DateOfBirth>2026-05-04</bc:DateOfBirth>
    <bc:PlaceOfBirth><bc:Name>Bremen</bc:Name><bc:Key>04011000</bc:Key></bc:PlaceOfBirth>
  </bc:Child>
  <bc:RegisterEntryNumber>G 1234/2026</bc:RegisterEntryNumber>
</bc:BirthCertificate>
"#
    .as_bytes()
    .to_vec()
}

fn item(document: &EvidenceDocument, content_id: &str) -> EvidenceItem {
    let kind = document.kind();
    EvidenceItem {
        id: format!("urn:uuid:{content_id}"),
        // The evidence document says `urn:uuid:…`; the EDM names the evidence by the bare UUID.
        evidence_id: once_xml::ids::bare_uuid(document.evidence_id()).to_owned(),
        subject: Subject::NaturalPerson(NaturalPerson {
            level_of_assurance: None,
            identifier: Some(PersonIdentifier::TaxId(
                "86095742719".parse().expect("tax id"),
            )),
            family_name: "Müller-Lüdenscheidt".into(),
            given_name: "Jürgen".into(),
            date_of_birth: date!(1988 - 02 - 29),
        }),
        issuing_authority: member("DE-HB:KOMMUNE:04011000", "Stadt Bremen"),
        classification: kind.classification().into(),
        titles: kind.titles(),
        descriptions: Vec::new(),
        issuing_date: date!(2026 - 11 - 23),
        distribution: Distribution {
            conforms_to: Some(kind.namespace().into()),
            ..Distribution::new(kind.media_type())
        },
        repository_item_ref: multipart::cid_url(content_id),
        repository_item_title: Some(kind.root_element().into()),
    }
}

fn evidence_response(items: Vec<EvidenceItem>) -> EvidenceResponse {
    EvidenceResponse {
        request_id: "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01".into(),
        response_id: "7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e11".into(),
        version: EdmVersion::V1_0,
        issue_date_time: datetime!(2026-11-23 09:00:04 UTC),
        requester: member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen"),
        // The role is what the slot says: read back as written.
        provider: Agent {
            classification: Some(AgentClassification::EvidenceProvider),
            ..member("DE-HB:KOMMUNE:04011000", "Stadt Bremen")
        },
        evidence: items,
    }
}

fn error_response(exception: Exception) -> ErrorResponse {
    ErrorResponse {
        request_id: "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01".into(),
        response_id: "7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e12".into(),
        version: EdmVersion::V1_0,
        provider: Agent {
            classification: Some(AgentClassification::ErrorProvider),
            ..member("DE-HB:KOMMUNE:04011000", "Stadt Bremen")
        },
        requester: member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen"),
        exception,
    }
}

#[test]
fn reads_the_commissions_evidence_response() {
    let Response::Evidence(response) =
        Response::from_xml(&sample("oots_response.xml"), &Limits::default()).expect("parse")
    else {
        panic!("a successful response")
    };
    // Read in the form OOTS writes it, whichever form the sample has (a bare UUID).
    assert_eq!(
        response.request_id,
        "urn:uuid:bc2842c1-6625-450d-a7c6-7d692230b753"
    );
    assert_eq!(response.version, EdmVersion::V1_0);
    assert_eq!(response.response_id, "5af62cce-debe-11ec-9d64-0242ac120002");
    assert_eq!(
        response.issue_date_time,
        datetime!(2022-02-14 19:20:30 +02:00)
    );
    assert_eq!(response.provider.identifier.value, "DE7657587001");
    assert_eq!(response.provider.identifier.scheme.as_deref(), Some("0204"));
    assert_eq!(response.requester.name.value, "University of Amsterdam");
    assert_eq!(response.evidence.len(), 2);
    let first = &response.evidence[0];
    assert_eq!(first.id, "555555-740e-4b64-80f0-2462462462");
    assert_eq!(first.evidence_id, "7c2e04cf-7d20-4363-908d-827817746725");
    let Subject::NaturalPerson(person) = &first.subject else {
        panic!("natural person")
    };
    assert_eq!(
        (person.family_name.as_str(), person.date_of_birth),
        ("Smith", date!(1970 - 03 - 01))
    );
    assert_eq!(first.issuing_authority.name.value, "Wilhelm Gymnasium");
    assert_eq!(first.classification, "SecondaryEducationCompletion");
    assert_eq!(first.titles.len(), 2);
    assert_eq!(first.issuing_date, date!(1988 - 05 - 10));
    assert_eq!(first.distribution.format, "application/pdf");
    assert_eq!(
        first.repository_item_ref,
        "cid:attachment100001@example.oots.eu"
    );
    assert_eq!(
        first.repository_item_title.as_deref(),
        Some("SecondaryEducationCompletion")
    );
    assert_eq!(
        response.evidence[1].repository_item_ref,
        "cid:attachment100002@example.oots.eu"
    );
}

#[test]
fn reads_the_commissions_preview_exception() {
    let Response::Error(response) =
        Response::from_xml(&sample("oots_exception_preview.xml"), &Limits::default())
            .expect("parse")
    else {
        panic!("an error response")
    };
    assert_eq!(
        response.request_id,
        "urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797"
    );
    assert_eq!(response.response_id, "530ad1e2-5eaf-4a9a-8192-227432eea95d");
    assert_eq!(response.provider.identifier.value, "DE7657587001");
    assert_eq!(response.requester.identifier.value, "NL22233223");
    let exception = &response.exception;
    // The draft sample has no code: it follows from rs:AuthorizationExceptionType.
    assert_eq!(exception.code, EdmCode::Authorization);
    // The draft sample says severity="FAILURE"; with a PreviewLocation that is the preview case.
    assert_eq!(exception.severity, Severity::PreviewRequired);
    assert_eq!(exception.message, "User redirection required");
    assert_eq!(exception.detail, "");
    assert_eq!(exception.timestamp, datetime!(2020-02-14 19:21:30 +01:00));
    assert_eq!(
        exception.preview_location.as_deref(),
        Some(
            "https://preview.space.example.com/requests?session=d36af8bc-fea6-4ee5-a32d-5bef82cdb071"
        )
    );
    let languages: Vec<_> = exception
        .preview_description
        .iter()
        .map(|t| t.lang.as_deref().unwrap_or("?"))
        .collect();
    // Language codes are read in upper case, as the EDM's code list writes them.
    assert_eq!(languages, ["NL", "RO", "EN"]);
    assert_eq!(
        exception.preview_description[2].value,
        "Please select your diploma."
    );
    assert_eq!(exception.reason, None);
}

#[test]
fn samples_round_trip_into_xml_that_still_validates() {
    let mut written = Vec::new();
    for name in ["oots_response.xml", "oots_exception_preview.xml"] {
        let response = Response::from_xml(&sample(name), &Limits::default()).expect(name);
        let xml = response.to_xml_as(Profile::De);
        let again = Response::from_xml(xml.as_bytes(), &Limits::default()).expect("reparse");
        assert_eq!(again, response, "{name}");
        written.push((name, xml));
    }
    assert!(written[1].1.contains(SEVERITY_PREVIEW_REQUIRED));
    xmllint(&written).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn responses_and_evidence_validate_with_xmllint() {
    let documents = [
        residence(),
        income(),
        EvidenceDocument::from_xml(&birth(), &Limits::default()).expect("birth certificate"),
    ];
    let items = documents
        .iter()
        .enumerate()
        .map(|(i, d)| item(d, &format!("evidence-{i}@once")))
        .collect();
    let mut written: Vec<(String, String)> = vec![(
        "evidence-response".into(),
        Response::Evidence(evidence_response(items)).to_xml_as(Profile::De),
    )];
    for code in EdmCode::ALL {
        let exception = Exception::new(
            code,
            "what exactly went wrong",
            datetime!(2026-11-23 09:00:05 UTC),
        )
        .with_reason(reason::SUBJECT_NOT_FOUND);
        written.push((
            format!("error-{code}"),
            error_response(exception).to_xml_as(Profile::De),
        ));
    }
    let mut preview = Exception::preview_required(
        "https://node.example/preview?request=urn:uuid:0b6b8b1e&lang=de",
        datetime!(2026-11-23 09:00:05 UTC),
    )
    .with_reason(reason::PREVIEW_PENDING);
    preview.preview_description = vec![LocalizedText::new(
        "DE",
        "Bitte prüfen Sie die Nachweise, bevor sie übermittelt werden.",
    )];
    written.push((
        "error-preview".into(),
        error_response(preview).to_xml_as(Profile::De),
    ));
    for document in &documents {
        written.push((document.kind().root_element().into(), document.to_xml()));
    }
    written.push((
        "birth-by-hand".into(),
        String::from_utf8(birth()).expect("utf-8"),
    ));

    let named: Vec<(&str, String)> = written
        .iter()
        .map(|(name, xml)| (name.as_str(), xml.clone()))
        .collect();
    xmllint(&named).unwrap_or_else(|e| panic!("{e}"));
    // Everything written reads back as written.
    for (name, xml) in &written {
        if name.starts_with("evidence-response") || name.starts_with("error-") {
            let response = Response::from_xml(xml.as_bytes(), &Limits::default()).expect(name);
            assert_eq!(response.to_xml_as(Profile::De), *xml, "{name}");
        } else {
            let document =
                EvidenceDocument::from_xml(xml.as_bytes(), &Limits::default()).expect(name);
            assert!(EvidenceKind::ALL.contains(&document.kind()));
        }
    }
}

#[test]
fn xmllint_refuses_what_the_schemas_forbid() {
    // The referee must be able to fail: a wrong municipality key, an unknown exception type.
    let bad_document = residence()
        .to_xml()
        .replace("<Key>04011000", "<Key>0401100");
    let bad_response = error_response(Exception::new(
        EdmCode::Timeout,
        "",
        datetime!(2026-11-23 09:00:05 UTC),
    ))
    .to_xml_as(Profile::De)
    .replace("rs:TimeoutExceptionType", "rs:SlowExceptionType");
    assert!(xmllint(&[("bad-document", bad_document)]).is_err());
    assert!(xmllint(&[("bad-response", bad_response)]).is_err());
}

/// A response with its evidence documents, as a provider builds it.
fn response_with(documents: &[(EvidenceDocument, &str)]) -> (EvidenceResponse, Vec<String>) {
    let bytes: Vec<String> = documents.iter().map(|(d, _)| d.to_xml()).collect();
    let response = evidence_response(documents.iter().map(|(d, id)| item(d, id)).collect());
    (response, bytes)
}

#[test]
fn a_response_travels_with_its_evidence_in_multipart_related() {
    let documents = [
        (residence(), "residence@once"),
        (income(), "income/2025%@once"),
    ];
    let (response, bytes) = response_with(&documents);
    let parts: Vec<Part<'_>> = bytes
        .iter()
        .zip(&documents)
        .map(|(xml, (_, id))| Part {
            content_id: id,
            content_type: "application/xml",
            body: xml.as_bytes(),
        })
        .collect();
    let xml = response.to_xml_as(Profile::De);
    let (content_type, body) = multipart::build(&[7; 24], xml.as_bytes(), &parts).expect("build");

    let message =
        multipart::parse(&content_type, &body, &MultipartLimits::default()).expect("parse");
    let received =
        EvidenceResponse::from_xml(message.root().body, &Limits::default()).expect("response");
    for (item, (expected, _)) in received.evidence.iter().zip(&documents) {
        let part = message
            .get(&item.repository_item_ref)
            .expect("every cid: reference resolves");
        let document = EvidenceDocument::from_xml(part.body, &Limits::default()).expect("document");
        assert_eq!(&document, expected);
        assert_eq!(
            EvidenceKind::from_classification(&item.classification),
            Some(document.kind())
        );
    }
}

#[test]
fn signed_responses_and_evidence_still_read_and_validate() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut ca = Ca::init(&dir.path().join("ca"), "Response Test Federation", 30).expect("ca");
    let member: MemberId = "DE-HB:KOMMUNE:04011000".parse().expect("member id");
    let creds = ca
        .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
        .expect("issue");
    let certificate = read_certs_from_pem(&creds.signing_cert_pem)
        .expect("pem")
        .remove(0)
        .to_vec();
    let signer = Signer::from_pkcs8_pem(&creds.signing_key_pem, vec![certificate]).expect("signer");

    let (response, bytes) = response_with(&[(residence(), "residence@once")]);
    let error = error_response(
        Exception::new(
            EdmCode::ObjectNotFound,
            "",
            datetime!(2026-11-23 09:00:05 UTC),
        )
        .with_reason(reason::SUBJECT_NOT_FOUND),
    );
    let signed_response = signer
        .sign(&response.to_xml_as(Profile::De), Placement::Slot)
        .expect("sign");
    let signed_error = signer
        .sign(&error.to_xml_as(Profile::De), Placement::Slot)
        .expect("sign");
    let signed_document = signer.sign(&bytes[0], Placement::LastChild).expect("sign");
    let limits = Limits::default();
    for xml in [&signed_response, &signed_error] {
        dsig::verify(xml.as_bytes(), &limits, Placement::Slot).expect("verify");
    }
    dsig::verify(signed_document.as_bytes(), &limits, Placement::LastChild).expect("verify");
    assert_eq!(
        Response::from_xml(signed_response.as_bytes(), &limits).expect("signed response"),
        Response::Evidence(response)
    );
    assert_eq!(
        Response::from_xml(signed_error.as_bytes(), &limits).expect("signed error"),
        Response::Error(error)
    );
    assert_eq!(
        EvidenceDocument::from_xml(signed_document.as_bytes(), &limits).expect("signed document"),
        residence()
    );
    xmllint(&[
        ("signed-response", signed_response),
        ("signed-error", signed_error),
        ("signed-document", signed_document),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
}
