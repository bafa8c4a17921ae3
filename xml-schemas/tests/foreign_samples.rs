//! The messages other OOTS implementations write, read by this crate: each file is named, its
//! key fields checked. Sources and licences are in the README next to each file:
//!
//! - `samples/` (Governikus/SDG-shared-commons, the Commission's pre-final EDM 1.0 samples);
//! - `data/oots-samples/pyregrep-edm-v1.2/` (the Semantic Repository's EDM 1.2 examples, via
//!   AndreyShapovalovVN/pyRegRep), originals and the copies conformed to EDM 1.0;
//! - `data/oots-samples/oots-france/` (EDM 2.0 messages of numerique-gouv/oots-france).
//!
//! What reading them takes: any namespace prefixes and slot order, white space around values
//! (newlines inside `sdg:Identifier`, `EvidenceTypeClassification`, `PreviewLocation`), `xsi:lang`
//! on localized strings, agent classifications by long name, `EvidenceRequester` with an
//! intermediary platform beside the requester, `EvidenceProviderClassification` (read over), the
//! Semantic Repository under either host, 2.0's plain-string `Procedure` and packaged evidence.
//!
//! Messages that keep to the EDM, read and written again in `Profile::Oots` as EDM 1.0, pass the
//! Commission's 1.0 rules, whatever version they were read in.

mod common;

use std::path::PathBuf;

use common::read;
use once_xml::request::{
    AgentClassification, EdmVersion, EvidenceRequest, LevelOfAssurance, LocalizedText,
    PersonIdentifier, Procedure, Subject,
};
use once_xml::response::{ErrorResponse, EvidenceResponse, Response, Severity};
use once_xml::schematron::{self, Rules};
use once_xml::{EdmCode, Limits, Profile};
use time::macros::{date, datetime};

const PYREGREP: &str = "data/oots-samples/pyregrep-edm-v1.2";
const FRANCE: &str = "data/oots-samples/oots-france";

fn request(file: &str) -> EvidenceRequest {
    EvidenceRequest::from_xml(&read(file), &Limits::default())
        .unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn response(file: &str) -> Response {
    Response::from_xml(&read(file), &Limits::default()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn evidence_response(file: &str) -> EvidenceResponse {
    match response(file) {
        Response::Evidence(r) => r,
        Response::Error(_) => panic!("{file}: an evidence response"),
    }
}

fn error_response(file: &str) -> ErrorResponse {
    match response(file) {
        Response::Error(r) => r,
        Response::Evidence(_) => panic!("{file}: an error response"),
    }
}

fn natural_person(subject: &Subject) -> &once_xml::request::NaturalPerson {
    match subject {
        Subject::NaturalPerson(person) => person,
        Subject::LegalPerson(_) => panic!("a natural person"),
    }
}

#[test]
fn governikus_birth_certificate_request_and_response() {
    let request = request("samples/birth_request.xml");
    assert_eq!(request.id, "urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797");
    assert_eq!(request.version, EdmVersion::V1_0);
    assert_eq!(
        request.requester.classification,
        Some(AgentClassification::IntermediaryPlatform),
        "the long name of the pre-final samples"
    );
    let address = request.requester.address.as_ref().expect("address");
    assert_eq!(
        (address.country.as_str(), address.nuts.as_deref()),
        ("Denmark", Some("DK011"))
    );
    assert_eq!(request.evidence_type.distribution.format, "application/pdf");

    let response = evidence_response("samples/birth_response.xml");
    assert_eq!(
        response.request_id, request.id,
        "the response answers the request, though it writes the id without urn:uuid:"
    );
    assert_eq!(response.response_id, "166155eb-d7a7-4cac-9086-8a85f0116462");
    assert_eq!(
        response.provider.classification,
        Some(AgentClassification::EvidenceProvider)
    );
    let item = &response.evidence[0];
    assert_eq!(item.evidence_id, "37a169f1-9cf6-4aa8-ac24-b083fa569173");
    assert_eq!(item.classification, "CertificateOfBirth");
    assert_eq!(item.descriptions.len(), 2);
    assert_eq!(item.descriptions[1].lang.as_deref(), Some("DE"));
    assert_eq!(
        natural_person(&item.subject).identifier,
        Some(PersonIdentifier::Eidas("DK/DE/123456".into()))
    );
    assert_eq!(
        item.repository_item_ref,
        "cid:attachment100001@example.oots.eu"
    );
}

#[test]
fn governikus_preview_flow_requests() {
    for file in [
        "samples/oots_request1_preview.xml",
        "samples/oots_request2_after_preview.xml",
    ] {
        let request = request(file);
        assert_eq!(request.requester.identifier.value, "NL22233223", "{file}");
        assert_eq!(
            request.requester.classification,
            Some(AgentClassification::EvidenceRequester),
            "{file}"
        );
        assert_eq!(request.provider.identifier.scheme.as_deref(), Some("0204"));
        assert!(request.possibility_for_preview, "{file}");
    }
}

#[test]
fn pyregrep_v1_2_first_and_second_request() {
    for (file, version) in [
        ("EDM_Ferst_Request.edm-1.0.xml", EdmVersion::V1_0),
        ("EDM_Second_Request.edm-1.0.xml", EdmVersion::V1_0),
        ("original/EDM_Ferst_Request.xml", EdmVersion::V1_2),
        ("original/EDM_Second_Request.xml", EdmVersion::V1_2),
    ] {
        let path = format!("{PYREGREP}/{file}");
        let request = request(&path);
        assert_eq!(request.version, version, "{path}");
        // xsi:lang on the LocalizedString of the originals, xml:lang on the conformed copies.
        assert_eq!(
            request.procedure.as_ref().map(procedure_code),
            Some("T2"),
            "{path}"
        );
        assert_eq!(request.requirements.len(), 2, "{path}");
        // Newlines around the identifier; the SR host of 1.2 read into the 1.0 form.
        assert_eq!(
            request.requirements[0].identifier,
            "https://sr.oots.tech.europa.eu/requirements/cfcd4e22-30f1-48fa-93e4-6cf98cedbf40",
            "{path}"
        );
        assert_eq!(
            request.requirements[0].names,
            [
                LocalizedText::new("EN", "Proof of secondary education diploma/certificate"),
                LocalizedText::new("DE", "Nachweis eines Sekundarschulabschlusses/Zeugnisses"),
            ],
            "{path}"
        );
        assert_eq!(
            request.requester.identifier.scheme.as_deref(),
            Some("urn:cef.eu:names:identifier:EAS:0190")
        );
        assert_eq!(
            request.requester.classification,
            Some(AgentClassification::EvidenceRequester)
        );
        let person = natural_person(&request.subject);
        assert_eq!(person.level_of_assurance, Some(LevelOfAssurance::High));
        assert_eq!(
            person.identifier,
            Some(PersonIdentifier::Eidas("DE/DE/123456789".into()))
        );
        assert_eq!(person.date_of_birth, date!(1999 - 03 - 01));
        let evidence = &request.evidence_type;
        assert_eq!(evidence.identifier, "487fdfdc-7f92-42bb-a690-dcbd3d65f435");
        assert_eq!(
            evidence.classification,
            "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/edf717b7-b373-40b1-b51b-cbb7c9d64de5",
            "{path}"
        );
        assert_eq!(evidence.titles.len(), 2);
        assert_eq!(evidence.descriptions.len(), 2);
        assert_eq!(
            evidence.distribution.conforms_to.as_deref(),
            Some("https://sr.oots.tech.europa.eu/distributions/secondary-education-evidence-1.0.0"),
            "{path}"
        );
        assert_eq!(
            evidence.distribution.transformation.as_deref(),
            Some(
                "https://sr.oots.tech.europa.eu/distributions/secondary-education-evidence-1.0.0/passed"
            ),
            "{path}"
        );
        assert_eq!(
            request.preview_location.is_some(),
            file.contains("Second"),
            "{path}"
        );
    }
    let second = request(&format!("{PYREGREP}/original/EDM_Second_Request.xml"));
    assert_eq!(
        second.preview_location.as_deref(),
        Some(
            "https://preview.space.example.com/requests?session=d36af8bc-fea6-4ee5-a32d-5bef82cdb071"
        ),
        "the newline before </rim:Value> is not part of the location"
    );
}

fn procedure_code(procedure: &Procedure) -> &str {
    match procedure {
        Procedure::Code(code) => code.as_str(),
        _ => "not a code",
    }
}

#[test]
fn pyregrep_v1_2_preview_error_and_evidence_response() {
    let error = error_response(&format!("{PYREGREP}/original/EDM_Ferst_Response.xml"));
    assert_eq!(error.version, EdmVersion::V1_2);
    assert_eq!(error.exception.code, EdmCode::Authorization);
    assert_eq!(
        error.exception.severity,
        Severity::PreviewRequired,
        "the severity under the SR host of 1.2"
    );
    assert_eq!(
        error.provider.classification,
        Some(AgentClassification::ErrorProvider)
    );
    assert_eq!(error.exception.preview_description.len(), 3);
    assert_eq!(
        error.exception.timestamp,
        datetime!(2020-02-14 19:21:30 +01:00)
    );

    let response = evidence_response(&format!("{PYREGREP}/original/EDM_Second_Response.xml"));
    assert_eq!(response.version, EdmVersion::V1_2);
    assert_eq!(response.provider.identifier.value, "02-SchoolAuthority-34");
    let item = &response.evidence[0];
    assert_eq!(item.id, "urn:uuid:6fb9fe0f-c0bf-4172-849b-7e7a1d86f98a");
    assert_eq!(
        item.classification,
        "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/17a2b329-5ae5-4de6-b360-db504fad0526"
    );
    assert_eq!(
        item.distribution.conforms_to.as_deref(),
        Some("https://sr.oots.tech.europa.eu/distributions/secondary-education-evidence-1.0.0")
    );
    assert_eq!(item.issuing_date, date!(2019 - 05 - 10));
    assert_eq!(
        item.repository_item_ref,
        "cid:bb39b56b-57e2-4e0b-98a4-70f5a8127b3c@it.nrw"
    );
}

#[test]
fn oots_france_v2_0_request_response_and_errors() {
    let request = request(&format!("{FRANCE}/original/requete.xml"));
    assert_eq!(request.version, EdmVersion::V2_0);
    assert_eq!(
        request.procedure.as_ref().map(procedure_code),
        Some("T3"),
        "a plain string in 2.0"
    );
    assert_eq!(
        request.requester.identifier.value, "00000000000002",
        "the requester, not the intermediary platform beside it"
    );
    assert_eq!(request.requester.name.lang.as_deref(), Some("FR"));
    assert_eq!(request.requirements[0].names.len(), 1);
    assert_eq!(
        request.evidence_type.classification,
        "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/ca8afed6-2dc0-422a-a931-d21c3d8d370e"
    );
    assert_eq!(request.evidence_type.distribution.format, "application/pdf");

    let response = evidence_response(&format!("{FRANCE}/original/reponse.xml"));
    assert_eq!(response.version, EdmVersion::V2_0);
    assert_eq!(
        response.evidence.len(),
        1,
        "the main evidence of the package"
    );
    let item = &response.evidence[0];
    assert_eq!(
        item.id, "urn:uuid:1a2b3c4d-0000-4000-8000-000000000017",
        "the extrinsic object inside the package"
    );
    assert_eq!(
        natural_person(&item.subject).level_of_assurance,
        None,
        "2.0 names no level of assurance in IsAbout"
    );
    assert_eq!(
        item.repository_item_ref,
        "cid:1a2b3c4d-0000-4000-8000-000000000003@pdf.oots.fr"
    );

    for (file, code) in [
        ("erreur.xml", EdmCode::ObjectNotFound),
        ("erreurExpiration.xml", EdmCode::Timeout),
        ("erreurRequeteInvalide.xml", EdmCode::InvalidRequest),
        (
            "erreurCapaciteNonSupportee.xml",
            EdmCode::UnsupportedCapability,
        ),
    ] {
        let error = error_response(&format!("{FRANCE}/original/{file}"));
        assert_eq!(error.version, EdmVersion::V2_0, "{file}");
        assert_eq!(error.exception.code, code, "{file}");
        assert_eq!(error.exception.severity, Severity::Error, "{file}");
        let conformed = error_response(&format!(
            "{FRANCE}/{}",
            file.replace(".xml", ".edm-1.0.xml")
        ));
        assert_eq!(
            ErrorResponse {
                version: EdmVersion::V2_0,
                ..conformed
            },
            error,
            "{file}: the conformed copy differs in its version only"
        );
    }
}

/// Messages of other implementations that keep to the EDM, written again by this crate in
/// `Profile::Oots` as EDM 1.0: the Commission's 1.0 rules find no error, whichever version they
/// were read in (the Semantic Repository's host and folders, the preview severity, the ids and
/// languages are written in the 1.0 form).
#[test]
fn foreign_messages_written_again_as_edm_1_0_pass_the_rules() {
    let requests = [
        format!("{PYREGREP}/original/EDM_Ferst_Request.xml"),
        format!("{PYREGREP}/original/EDM_Second_Request.xml"),
        format!("{PYREGREP}/EDM_Second_Request.edm-1.0.xml"),
    ];
    let responses = [
        format!("{PYREGREP}/original/EDM_Ferst_Response.xml"),
        format!("{FRANCE}/original/erreur.xml"),
        format!("{FRANCE}/original/erreurExpiration.xml"),
        format!("{FRANCE}/original/erreurRequeteInvalide.xml"),
        format!("{FRANCE}/original/erreurCapaciteNonSupportee.xml"),
    ];
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut write = |name: &str, xml: String| {
        let file = dir.path().join(name.replace('/', "_"));
        std::fs::write(&file, xml).expect("write");
        files.push(file);
    };
    for file in &requests {
        let request = EvidenceRequest {
            version: EdmVersion::V1_0,
            ..request(file)
        };
        write(file, request.to_xml_as(Profile::Oots));
    }
    for file in &responses {
        let xml = match response(file) {
            Response::Error(e) => ErrorResponse {
                version: EdmVersion::V1_0,
                ..e
            }
            .to_xml_as(Profile::Oots),
            Response::Evidence(e) => EvidenceResponse {
                version: EdmVersion::V1_0,
                ..e
            }
            .to_xml_as(Profile::Oots),
        };
        write(file, xml);
    }
    let reports = schematron::check_files(&files, Rules::Auto)
        .unwrap_or_else(|e| panic!("the Schematron check could not run: {e}"));
    for (file, report) in requests.iter().chain(&responses).zip(&reports) {
        for run in &report.rule_sets {
            assert!(run.fired_rules > 5, "{file}: {} barely applied", run.name);
        }
        let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
        assert!(errors.is_empty(), "{file}:\n{}", errors.join("\n"));
    }
    assert_eq!(reports.len(), requests.len() + responses.len());
}

/// The 2.0 request and response of oots-france, written again in 2.0 by this crate (`Oots`),
/// read back as they were read: 2.0's plain-string procedure and evidence package included.
#[test]
fn oots_france_v2_0_messages_are_written_back_in_2_0() {
    let limits = Limits::default();
    let read = request(&format!("{FRANCE}/original/requete.xml"));
    let xml = read.to_xml_as(Profile::Oots);
    assert!(
        xml.contains(r#"<rim:Slot name="Procedure"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>T3</rim:Value>"#),
        "{xml}"
    );
    assert!(xml.contains("https://sr.oots.tech.ec.europa.eu/evidencetypeclassifications/DE/"));
    assert_eq!(
        EvidenceRequest::from_xml(xml.as_bytes(), &limits).expect("reads back"),
        read
    );

    let read = evidence_response(&format!("{FRANCE}/original/reponse.xml"));
    let xml = read.to_xml_as(Profile::Oots);
    for shape in [
        r#"<rim:RegistryObjectList><rim:RegistryObject xsi:type="rim:RegistryPackageType" id="urn:uuid:"#,
        r#"classificationScheme="urn:fdc:oots:classification:edm" classificationNode="MainEvidence"/><rim:RepositoryItemRef"#,
    ] {
        assert!(xml.contains(shape), "{shape} not in {xml}");
    }
    assert_eq!(
        EvidenceResponse::from_xml(xml.as_bytes(), &limits).expect("reads back"),
        read
    );
}
