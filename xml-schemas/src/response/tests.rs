//! Unit tests of the response codec: round trips in both profiles and every version, what
//! each profile leaves out, and broken responses refused with their rule.

use time::macros::{date, datetime};

use super::*;
use crate::EdmCode;
use crate::sdg::{Identifier, MEMBER_SCHEME, NaturalPerson, PersonIdentifier};
use crate::taxid::TaxId;

const REQUEST_ID: &str = "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01";

fn member(id: &str, name: &str) -> Agent {
    Agent::new(
        Identifier::new(MEMBER_SCHEME, id),
        LocalizedText::new("DE", name),
    )
}

fn tax_id() -> TaxId {
    "86095742719".parse().expect("valid tax id")
}

fn evidence_response() -> EvidenceResponse {
    EvidenceResponse {
        request_id: REQUEST_ID.into(),
        response_id: "7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e11".into(),
        version: EdmVersion::V1_0,
        issue_date_time: datetime!(2026-11-23 09:00:01.25 +01:00),
        requester: member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen"),
        provider: Agent {
            classification: Some(crate::sdg::AgentClassification::EvidenceProvider),
            ..member("DE-HB:KOMMUNE:04011000", "Stadt Bremen & <Meldebehörde>")
        },
        evidence: vec![EvidenceItem {
            id: "urn:uuid:5e0d7e8c-4a4b-4f7e-8f59-0a3f1f2b9c01".into(),
            evidence_id: "16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
            subject: Subject::NaturalPerson(NaturalPerson {
                level_of_assurance: None,
                identifier: Some(PersonIdentifier::TaxId(tax_id())),
                family_name: "Müller-Lüdenscheidt".into(),
                given_name: "Jürgen".into(),
                date_of_birth: date!(1988 - 02 - 29),
            }),
            issuing_authority: member("DE-HB:KOMMUNE:04011000", "Stadt Bremen"),
            classification: "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/3f0e1c9a-8d0b-4c55-9a57-6c1f1f3f6a10".into(),
            titles: vec![
                LocalizedText::new("EN", "Residence certificate"),
                LocalizedText::new("DE", "Meldebescheinigung"),
            ],
            descriptions: vec![LocalizedText::new("EN", "Where a person lives.")],
            issuing_date: date!(2026 - 11 - 23),
            distribution: Distribution {
                conforms_to: Some("https://sr.oots.tech.europa.eu/distributions/once-residence-certificate-1".into()),
                ..Distribution::new("application/xml")
            },
            repository_item_ref: "cid:evidence1@once".into(),
            repository_item_title: Some("ResidenceCertificate".into()),
        }],
    }
}

fn error_response() -> ErrorResponse {
    ErrorResponse {
        request_id: REQUEST_ID.into(),
        response_id: "7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e12".into(),
        version: EdmVersion::V1_0,
        provider: Agent {
            classification: Some(crate::sdg::AgentClassification::ErrorProvider),
            ..member("DE-HB:KOMMUNE:04011000", "Stadt Bremen")
        },
        requester: member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen"),
        exception: Exception::new(
            EdmCode::ObjectNotFound,
            "two persons match \"Müller\" born 1988-02-29",
            datetime!(2026-11-23 09:00:02 UTC),
        )
        .with_reason(reason::AMBIGUOUS_SUBJECT),
    }
}

/// What `Profile::Oots` makes of a response: the German extensions left out.
fn as_oots(mut response: EvidenceResponse) -> EvidenceResponse {
    for item in &mut response.evidence {
        if let Subject::NaturalPerson(person) = &mut item.subject {
            person.identifier = None;
        }
    }
    response
}

#[test]
fn evidence_responses_round_trip_in_every_version_and_profile() {
    for version in EdmVersion::ALL {
        let response = EvidenceResponse {
            version,
            ..evidence_response()
        };
        let de = Response::Evidence(response.clone()).to_xml_as(Profile::De);
        let parsed = Response::from_xml(de.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, Response::Evidence(response.clone()), "{version}");
        assert_eq!(parsed.request_id(), REQUEST_ID);
        assert!(
            !de.contains("Digest"),
            "{version}: the envelope binds, not the document"
        );
        let oots = response.to_xml_as(Profile::Oots);
        for left_out in ["Digest", "86095742719"] {
            assert!(!oots.contains(left_out), "{version}: {left_out} in {oots}");
        }
        let parsed =
            EvidenceResponse::from_xml(oots.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, as_oots(response), "{version}");
        assert_eq!(
            oots.contains("rim:RegistryPackageType"),
            version == EdmVersion::V2_0,
            "{version}"
        );
    }
}

#[test]
fn ids_are_written_as_oots_writes_them_and_read_in_either_form() {
    let mut response = evidence_response();
    response.request_id = "0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01".into();
    response.response_id = "urn:uuid:7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e11".into();
    response.evidence[0].id = "5e0d7e8c-4a4b-4f7e-8f59-0a3f1f2b9c01".into();
    response.evidence[0].evidence_id = "urn:uuid:16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into();
    let xml = response.to_xml_as(Profile::Oots);
    for written in [
        r#"requestId="urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01""#,
        "<rim:Value>7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e11</rim:Value>",
        r#"id="urn:uuid:5e0d7e8c-4a4b-4f7e-8f59-0a3f1f2b9c01""#,
        "<sdg:Identifier>16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f</sdg:Identifier>",
    ] {
        assert!(xml.contains(written), "{written} not in {xml}");
    }
    let parsed = EvidenceResponse::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
    assert_eq!(parsed, as_oots(evidence_response()));
}

#[test]
fn error_responses_round_trip_for_every_code_and_the_preview() {
    for code in EdmCode::ALL {
        let mut response = error_response();
        response.exception.code = code;
        response.exception.message = code.message().into();
        let xml = response.to_xml_as(Profile::De);
        assert!(xml.contains(code.exception_type()), "{xml}");
        assert!(xml.contains(r#"<rim:Slot name="Reason">"#), "{xml}");
        let parsed = Response::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, Response::Error(response.clone()));
        let oots = response.to_xml_as(Profile::Oots);
        let parsed = ErrorResponse::from_xml(oots.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed.exception.reason, None, "{oots}");
    }
    let mut preview = error_response();
    preview.exception = Exception::preview_required(
        "https://preview.example/requests?session=1&lang=de",
        datetime!(2026-11-23 09:00:02 UTC),
    );
    preview.exception.preview_description = vec![
        LocalizedText::new("de", "Bitte prüfen Sie die Meldebescheinigung."),
        LocalizedText::new("en", "Please check the residence certificate."),
    ];
    for (version, severity) in [
        (EdmVersion::V1_0, SEVERITY_PREVIEW_REQUIRED),
        (EdmVersion::V1_2, SEVERITY_PREVIEW_REQUIRED_EC),
    ] {
        preview.version = version;
        let xml = preview.to_xml_as(Profile::Oots);
        assert!(xml.contains(&format!("severity=\"{severity}\"")), "{xml}");
        assert!(!xml.contains("Reason"), "{xml}");
        let parsed = ErrorResponse::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
        assert_eq!(parsed, preview);
        assert_eq!(parsed.exception.code, EdmCode::Authorization);
    }
}

#[test]
fn a_signature_slot_and_unknown_slots_are_ignored() {
    let xml = evidence_response().to_xml_as(Profile::De);
    let signature = r#"<rim:Slot name="Signature"><rim:SlotValue xsi:type="rim:AnyValueType"><x:Sig xmlns:x="urn:x"/></rim:SlotValue></rim:Slot>"#;
    let extra = r#"<rim:Slot name="Unknown"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>?</rim:Value></rim:SlotValue></rim:Slot>"#;
    let edited = xml.replacen(
        "<rim:RegistryObjectList>",
        &format!("{signature}{signature}{extra}<rim:RegistryObjectList>"),
        1,
    );
    let parsed = EvidenceResponse::from_xml(edited.as_bytes(), &Limits::default()).expect("parse");
    assert_eq!(parsed, evidence_response());
}

#[test]
fn broken_responses_are_refused_with_the_rule() {
    let ok = evidence_response().to_xml_as(Profile::De);
    let err = error_response().to_xml_as(Profile::De);
    let oots = evidence_response().to_xml_as(Profile::Oots);
    let cases: Vec<(String, &str)> = vec![
            (oots.replace("oots-edm:v1.0", "oots-edm:v0.9"), "is not a version this node reads"),
            (ok.replace(STATUS_SUCCESS, "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:PartialSuccess"), "status must be"),
            (ok.replacen(" requestId=\"urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01\"", "", 1), "lacks its requestId"),
            (ok.replace("cid:evidence1@once", "https://example.org/e"), "must be a cid: reference"),
            (ok.replace("<rim:Slot name=\"EvidenceResponseIdentifier\">", "<rim:Slot name=\"X\">"), "the mandatory slot EvidenceResponseIdentifier is missing"),
            (ok.replace("<sdg:IssuingDate>2026-11-23", "<sdg:IssuingDate>23.11.2026"), "IssuingDate must be a date"),
            (ok.replace("86095742719", "86095742718"), "EvidenceMetadata: NaturalPerson: Identifier: the check digit"),
            (ok.replace("<sdg:NaturalPerson>", "<sdg:Person>").replace("</sdg:NaturalPerson>", "</sdg:Person>"), "IsAbout must carry one"),
            (ok.replace("<sdg:Title lang=\"EN\">Residence certificate</sdg:Title><sdg:Title lang=\"DE\">Meldebescheinigung</sdg:Title>", ""), "IsConformantTo: Title is missing"),
            (ok.replace("<rim:Slot name=\"EvidenceMetadata\">", "<rim:Slot name=\"Metadata\">"), "the mandatory slot EvidenceMetadata is missing"),
            (ok.replace("</rim:RegistryObjectList>", "</rim:RegistryObjectList><rs:Exception message=\"x\"/>"), "carries no Exception"),
            (ok.replace("query:4.0", "query:3.0"), "root element must be QueryResponse"),
            (err.replace("code=\"EDM:ERR:0004\"", "code=\"EDM:ERR:0003\""), "does not go with its type"),
            (err.replace("code=\"EDM:ERR:0004\"", "code=\"ERR-4\""), "is not an EDM code"),
            (err.replace("rs:ObjectNotFoundExceptionType", "rs:RegistryExceptionType"), "is not one of the EDM exception types"),
            (err.replace(SEVERITY_ERROR, "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"), "severity must be"),
            (err.replace(SEVERITY_ERROR, SEVERITY_PREVIEW_REQUIRED), "carries the slot PreviewLocation"),
            (err.replace("<rim:Slot name=\"Timestamp\">", "<rim:Slot name=\"Time\">"), "the mandatory slot Timestamp is missing"),
            (err.replace("<rim:Slot name=\"ErrorProvider\">", "<rim:Slot name=\"Provider\">"), "the mandatory slot ErrorProvider is missing"),
            (err.replace("</rs:Exception>", "</rs:Exception><rs:Exception message=\"again\"/>"), "more than one Exception"),
            (err.replace("<rs:Exception", "<rs:Exceptio").replace("</rs:Exception>", "</rs:Exceptio>"), "lacks its Exception"),
            (err.replace("</rs:Exception>", "</rs:Exception><rim:RegistryObjectList/>"), "carries no RegistryObjectList"),
        ];
    for (xml, expected) in cases {
        let e = Response::from_xml(xml.as_bytes(), &Limits::default()).expect_err(expected);
        assert_eq!(e.code, EdmCode::InvalidRequest);
        assert!(
            e.detail.contains(expected),
            "{expected:?} not in {:?}",
            e.detail
        );
    }
}

#[test]
fn the_former_digest_slots_of_old_messages_are_read_over() {
    let response = evidence_response();
    let current = response.to_xml_as(Profile::De);
    let digest = |name: &str, hex: &str| {
        format!(
            r#"<rim:Slot name="{name}"><rim:SlotValue xsi:type="rim:StringValueType"><rim:Value>{}</rim:Value></rim:SlotValue></rim:Slot>"#,
            hex.repeat(32)
        )
    };
    let old = current
        .replacen(
            "<rim:RegistryObjectList>",
            &format!("{}<rim:RegistryObjectList>", digest("RequestDigest", "ab")),
            1,
        )
        .replacen(
            "<rim:RepositoryItemRef",
            &format!("{}<rim:RepositoryItemRef", digest("EvidenceDigest", "01")),
            1,
        );
    assert!(old.contains("RequestDigest") && old.contains("EvidenceDigest"));
    let parsed = EvidenceResponse::from_xml(old.as_bytes(), &Limits::default()).expect("parse");
    assert_eq!(parsed, response);
}
