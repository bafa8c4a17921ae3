//! What the integration tests share: the messages this node writes, built as the node builds
//! them, and the independent referees (xmllint against the driver schema).
#![allow(dead_code)] // Each test crate uses part of it.

use std::path::{Path, PathBuf};
use std::process::Command;

use once_xml::request::{
    Address, Agent, AgentClassification, Distribution, EdmVersion, EvidenceRequest, EvidenceType,
    Identifier, LevelOfAssurance, LocalizedText, MEMBER_SCHEME, NaturalPerson, PersonIdentifier,
    Procedure, ProcedureCode, Requirement, Subject,
};
use once_xml::response::{ErrorResponse, EvidenceItem, EvidenceResponse, Exception, reason};
use once_xml::{EdmCode, schema_dir};
use time::macros::{date, datetime};

pub const REQUEST_ID: &str = "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01";
pub const CLASSIFICATION: &str = "https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/5b2c7a3e-1f0d-4e8a-9c6b-2d4f6a8b0c1e";
pub const DATA_MODEL: &str =
    "https://sr.oots.tech.europa.eu/distributions/once-residence-certificate-1.0.0";
pub const REQUIREMENT: &str =
    "https://sr.oots.tech.europa.eu/requirements/9d1e6f3a-2b4c-4d5e-8f7a-1b2c3d4e5f60";
pub const TAX_ID: &str = "86095742719";
pub const EIDAS_ID: &str = "DE/DE/123456789AB";

/// A file in `tests/`.
pub fn data_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(relative)
}

/// The bytes of a file in `tests/`.
pub fn read(relative: &str) -> Vec<u8> {
    let path = data_path(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Validates XML with libxml2's xmllint against the driver schema; the independent referee.
pub fn xmllint(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tmp");
    let file: PathBuf = dir.path().join("message.xml");
    std::fs::write(&file, xml).expect("write");
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--nonet")
        .arg("--schema")
        .arg(schema_dir().join("once-exchange.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint is installed (Debian package libxml2-utils)");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A federation member as the node names one.
pub fn member(id: &str, name: &str) -> Agent {
    Agent::new(
        Identifier::new(MEMBER_SCHEME, id),
        LocalizedText::new("DE", name),
    )
}

/// The requester, with its address.
pub fn requester() -> Agent {
    Agent {
        address: Some(Address {
            full_address: Some("Contrescarpe 72, 28195 Bremen".into()),
            post_code: Some("28195".into()),
            post_city_name: Some("Bremen".into()),
            thoroughfare: Some("Contrescarpe".into()),
            locator_designator: Some("72".into()),
            country: "DE".into(),
            nuts: Some("DE501".into()),
        }),
        classification: Some(AgentClassification::EvidenceRequester),
        ..requester_named()
    }
}

/// The provider, as a request names it (an identifier and a name).
pub fn provider() -> Agent {
    member("DE-HB:KOMMUNE:04011000", "Stadt Bremen, Meldebehörde")
}

/// The provider in the role of a response's slot, with its address.
pub fn provider_as(role: AgentClassification) -> Agent {
    Agent {
        address: Some(Address {
            country: "DE".into(),
            ..Address::default()
        }),
        classification: Some(role),
        ..provider()
    }
}

/// The requester, as a response names it (an identifier and a name).
pub fn requester_named() -> Agent {
    member("DE-HB:LAND:elterngeld", "Elterngeldstelle Bremen")
}

/// The person asked about, with the identifier given.
pub fn person(identifier: Option<PersonIdentifier>) -> NaturalPerson {
    NaturalPerson {
        level_of_assurance: Some(LevelOfAssurance::High),
        identifier,
        family_name: "Müller-Lüdenscheidt".into(),
        given_name: "Jürgen".into(),
        date_of_birth: date!(1988 - 02 - 29),
    }
}

pub fn tax_id() -> PersonIdentifier {
    PersonIdentifier::TaxId(TAX_ID.parse().expect("valid tax id"))
}

pub fn eidas_id() -> PersonIdentifier {
    PersonIdentifier::Eidas(EIDAS_ID.into())
}

pub fn titles() -> Vec<LocalizedText> {
    vec![
        LocalizedText::new("EN", "Residence certificate"),
        LocalizedText::new("DE", "Meldebescheinigung & <Auszug>"),
    ]
}

pub fn distribution() -> Distribution {
    Distribution {
        conforms_to: Some(DATA_MODEL.into()),
        ..Distribution::new("application/xml")
    }
}

/// A request as a German node sends it: what OOTS defines, plus a national procedure as text,
/// the legal basis and (with `identifier`) the subject's identifier.
pub fn request(identifier: Option<PersonIdentifier>) -> EvidenceRequest {
    EvidenceRequest {
        id: REQUEST_ID.into(),
        version: EdmVersion::V1_0,
        issue_date_time: datetime!(2026-11-23 09:00:00 UTC),
        procedure: Some(Procedure::Text(LocalizedText::new(
            "DE",
            "Antrag auf Elterngeld",
        ))),
        possibility_for_preview: false,
        explicit_request_given: true,
        preview_location: None,
        legal_basis: Some("§ 9 BEEG".into()),
        requirements: vec![Requirement {
            identifier: REQUIREMENT.into(),
            names: vec![LocalizedText::new("DE", "Nachweis des Wohnsitzes")],
        }],
        requester: requester(),
        provider: provider(),
        subject: Subject::NaturalPerson(person(identifier)),
        representative: None,
        evidence_type: EvidenceType {
            identifier: "2af27699-f131-4411-8fdb-9e8cd4e8bded".into(),
            classification: CLASSIFICATION.into(),
            titles: titles(),
            descriptions: vec![LocalizedText::new(
                "EN",
                "Where a person is registered as living.",
            )],
            distribution: distribution(),
        },
    }
}

/// A request of an OOTS procedure (a code of the list), without a legal basis.
pub fn oots_request(identifier: Option<PersonIdentifier>) -> EvidenceRequest {
    EvidenceRequest {
        procedure: ProcedureCode::new("T2").map(Procedure::Code),
        legal_basis: None,
        ..request(identifier)
    }
}

/// The request sent again after the preview.
pub fn request_after_preview(identifier: Option<PersonIdentifier>) -> EvidenceRequest {
    EvidenceRequest {
        id: "urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a02".into(),
        possibility_for_preview: true,
        preview_location: Some(
            "https://preview.bremen.example/requests?session=d36af8bc&lang=de".into(),
        ),
        ..request(identifier)
    }
}

/// The evidence response to [`request`], as a German node sends it.
pub fn evidence_response(identifier: Option<PersonIdentifier>) -> EvidenceResponse {
    EvidenceResponse {
        request_id: REQUEST_ID.into(),
        response_id: "7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e11".into(),
        version: EdmVersion::V1_0,
        issue_date_time: datetime!(2026-11-23 09:00:01.25 +01:00),
        requester: requester_named(),
        provider: provider_as(AgentClassification::EvidenceProvider),
        evidence: vec![EvidenceItem {
            id: "urn:uuid:5e0d7e8c-4a4b-4f7e-8f59-0a3f1f2b9c01".into(),
            evidence_id: "16c7f1a2-0d55-4a43-b1a8-2f2b3c4d5e6f".into(),
            subject: Subject::NaturalPerson(person(identifier)),
            issuing_authority: member("DE-HB:KOMMUNE:04011000", "Stadt Bremen"),
            classification: CLASSIFICATION.into(),
            titles: titles(),
            descriptions: vec![LocalizedText::new("EN", "Where a person lives.")],
            issuing_date: date!(2026 - 11 - 23),
            distribution: distribution(),
            repository_item_ref: "cid:evidence1@once".into(),
            repository_item_title: Some("Residence certificate".into()),
        }],
    }
}

/// The error response with `code` to [`request`], with a reason.
pub fn error_response(code: EdmCode) -> ErrorResponse {
    ErrorResponse {
        request_id: REQUEST_ID.into(),
        response_id: "7a1c7a52-3f0e-4d43-9c1b-0d6f0b0e9e12".into(),
        version: EdmVersion::V1_0,
        provider: provider_as(AgentClassification::ErrorProvider),
        requester: requester_named(),
        exception: Exception::new(
            code,
            "two persons match \"Müller\" born 1988-02-29",
            datetime!(2026-11-23 09:00:02 UTC),
        )
        .with_reason(reason::AMBIGUOUS_SUBJECT),
    }
}

/// The error response asking for a preview.
pub fn preview_required() -> ErrorResponse {
    let mut response = error_response(EdmCode::Authorization);
    response.exception = Exception::preview_required(
        "https://preview.bremen.example/requests?session=d36af8bc&lang=de",
        datetime!(2026-11-23 09:00:02 UTC),
    );
    response.exception.preview_description = vec![
        LocalizedText::new("DE", "Bitte prüfen Sie die Meldebescheinigung."),
        LocalizedText::new("EN", "Please check the residence certificate."),
    ];
    response
}
