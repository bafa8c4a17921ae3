//! The two profiles against the Commission's EDM 1.0 Schematron rules and the driver schema.
//!
//! Every message kind this node writes (requests with and without preview location, with an
//! eIDAS identifier, an IDNr or no identifier, for a legal person, with a representative;
//! evidence responses; an error response for each EDM code; the preview request) is built once,
//! as a German node builds it, and written in both profiles:
//!
//! - `Profile::Oots`: zero error-level findings of EDM-REQ/RESP/ERR (S and C), but for the one
//!   documented defect of the 1.0 rules (`EDM_1_0_RULE_DEFECTS`);
//! - `Profile::De`: exactly the rule ids of the deviations (`DE_DEVIATIONS`) the message uses,
//!   each deviation written in `De` and left out in `Oots`.
//!
//! Both validate against `schemas/once-exchange.xsd` with xmllint, and read back.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use once_xml::profile::{DE_DEVIATIONS, EDM_1_0_RULE_DEFECTS, deviation};
use once_xml::request::{
    Agent, AgentClassification, EdmVersion, EvidenceRequest, LegalPerson, LevelOfAssurance,
    LocalizedText, Procedure, Subject,
};
use once_xml::response::{ErrorResponse, Response};
use once_xml::schematron::{self, Rules};
use once_xml::{EdmCode, Limits, Profile};

/// One message, with the deviations of `DE_DEVIATIONS` it uses in `De` and the defects of the
/// 1.0 rules it meets in either profile.
struct Case {
    name: String,
    message: Message,
    deviations: &'static [&'static str],
    defects: &'static [&'static str],
    /// The profiles it is written in: national messages (a national evidence type) in `De`
    /// only, the others in both.
    profiles: &'static [Profile],
}

enum Message {
    Request(Box<EvidenceRequest>),
    Response(Box<Response>),
}

impl Message {
    fn write(&self, profile: Profile) -> String {
        let written = match self {
            Message::Request(request) => request.try_to_xml_as(profile),
            Message::Response(response) => response.try_to_xml_as(profile),
        };
        written.unwrap_or_else(|e| panic!("written: {e}"))
    }

    fn with_version(&self, version: EdmVersion) -> Message {
        match self {
            Message::Request(request) => Message::Request(Box::new(EvidenceRequest {
                version,
                ..(**request).clone()
            })),
            Message::Response(response) => Message::Response(Box::new(match &**response {
                Response::Evidence(r) => Response::Evidence(once_xml::response::EvidenceResponse {
                    version,
                    ..r.clone()
                }),
                Response::Error(r) => Response::Error(ErrorResponse {
                    version,
                    ..r.clone()
                }),
            })),
        }
    }

    /// Reads `xml` back as the kind of this message.
    fn read(&self, xml: &str) -> Message {
        let limits = Limits::default();
        match self {
            Message::Request(_) => Message::Request(Box::new(
                EvidenceRequest::from_xml(xml.as_bytes(), &limits).expect("reads back"),
            )),
            Message::Response(_) => Message::Response(Box::new(
                Response::from_xml(xml.as_bytes(), &limits).expect("reads back"),
            )),
        }
    }

    fn same(&self, other: &Message) -> bool {
        match (self.as_written(), other) {
            (Message::Request(a), Message::Request(b)) => a == *b,
            (Message::Response(a), Message::Response(b)) => a == *b,
            _ => false,
        }
    }

    /// The message as the slots carry its agents: where the EDM gives an agent only an
    /// identifier and a name, only those; where it gives the role, the role.
    fn as_written(&self) -> Message {
        let plain = |agent: &mut Agent| {
            agent.address = None;
            agent.classification = None;
        };
        let role = |agent: &mut Agent, role| agent.classification = Some(role);
        match self {
            Message::Request(request) => {
                let mut r = (**request).clone();
                plain(&mut r.provider);
                role(&mut r.requester, AgentClassification::EvidenceRequester);
                // 2.0 writes the procedure as a plain string, without a language.
                if let (EdmVersion::V2_0, Some(Procedure::Text(text))) =
                    (r.version, &mut r.procedure)
                {
                    text.lang = None;
                }
                Message::Request(Box::new(r))
            }
            Message::Response(response) => Message::Response(Box::new(match &**response {
                Response::Evidence(r) => {
                    let mut r = r.clone();
                    plain(&mut r.requester);
                    role(&mut r.provider, AgentClassification::EvidenceProvider);
                    for item in &mut r.evidence {
                        plain(&mut item.issuing_authority);
                    }
                    Response::Evidence(r)
                }
                Response::Error(r) => {
                    let mut r = r.clone();
                    plain(&mut r.requester);
                    role(&mut r.provider, AgentClassification::ErrorProvider);
                    Response::Error(r)
                }
            })),
        }
    }
}

fn case(
    name: &str,
    message: Message,
    deviations: &'static [&'static str],
    defects: &'static [&'static str],
) -> Case {
    Case {
        name: name.to_owned(),
        message,
        deviations,
        defects,
        profiles: &Profile::ALL,
    }
}

/// `case` as a national message, written in `De` only.
fn national(case: Case) -> Case {
    Case {
        profiles: &[Profile::De],
        ..case
    }
}

fn request_case(name: &str, request: EvidenceRequest, deviations: &'static [&'static str]) -> Case {
    case(name, Message::Request(Box::new(request)), deviations, &[])
}

fn response_case(
    name: &str,
    response: Response,
    deviations: &'static [&'static str],
    defects: &'static [&'static str],
) -> Case {
    case(
        name,
        Message::Response(Box::new(response)),
        deviations,
        defects,
    )
}

const GERMAN_REQUEST: &[&str] = &["legal-basis", "procedure-text"];
const GERMAN_REQUEST_IDNR: &[&str] = &["legal-basis", "procedure-text", "idnr-request"];

const GERMAN_REQUEST_NATIONAL: &[&str] = &[
    "legal-basis",
    "procedure-text",
    "idnr-request",
    "national-evidence-type",
];

/// The node's own evidence type: its URN as classification, its evidence namespace as data model.
const NATIONAL_TYPE: &str = "urn:once:evidence-type:residence-certificate";
const NATIONAL_MODEL: &str = "urn:once:evidence:residence-certificate:1";

/// A request for the node's own evidence type, as a German node sends it nationally.
fn national_evidence_type_request() -> EvidenceRequest {
    let mut request = request(Some(tax_id()));
    request.evidence_type.classification = NATIONAL_TYPE.into();
    request.evidence_type.distribution.conforms_to = Some(NATIONAL_MODEL.into());
    request
}

/// The answer to [`national_evidence_type_request`].
fn national_evidence_type_response() -> once_xml::response::EvidenceResponse {
    let mut response = evidence_response(Some(tax_id()));
    for item in &mut response.evidence {
        item.classification = NATIONAL_TYPE.into();
        item.distribution.conforms_to = Some(NATIONAL_MODEL.into());
    }
    response
}

fn cases() -> Vec<Case> {
    let legal_person = Subject::LegalPerson(LegalPerson {
        level_of_assurance: Some(LevelOfAssurance::Substantial),
        legal_person_identifier: Some("DE/DE/HRB123456HB".into()),
        identifier: Some(once_xml::request::Identifier::new(
            "urn:cef.eu:names:identifier:EAS:9930",
            "DE123456789",
        )),
        legal_name: "Bremer Beispiel GmbH".into(),
    });
    let mut cases = vec![
        request_case("request-eidas", request(Some(eidas_id())), GERMAN_REQUEST),
        request_case(
            "request-after-preview",
            request_after_preview(Some(eidas_id())),
            GERMAN_REQUEST,
        ),
        request_case("request-idnr", request(Some(tax_id())), GERMAN_REQUEST_IDNR),
        request_case("request-no-identifier", request(None), GERMAN_REQUEST),
        request_case(
            "request-oots-procedure",
            oots_request(Some(eidas_id())),
            &[],
        ),
        request_case(
            "request-legal-person",
            EvidenceRequest {
                subject: legal_person.clone(),
                ..request(None)
            },
            GERMAN_REQUEST,
        ),
        request_case(
            "request-representative-idnr",
            EvidenceRequest {
                representative: Some(person(Some(eidas_id()))),
                ..request(Some(tax_id()))
            },
            GERMAN_REQUEST_IDNR,
        ),
        response_case(
            "response-eidas",
            Response::Evidence(evidence_response(Some(eidas_id()))),
            &[],
            &[],
        ),
        response_case(
            "response-idnr",
            Response::Evidence(evidence_response(Some(tax_id()))),
            &["idnr-response"],
            &[],
        ),
        response_case(
            "response-no-identifier",
            Response::Evidence(evidence_response(None)),
            &[],
            &[],
        ),
        response_case(
            "response-legal-person",
            Response::Evidence({
                let mut r = evidence_response(None);
                r.evidence[0].subject = legal_person;
                r
            }),
            &[],
            &[],
        ),
        national(request_case(
            "request-national-evidence-type",
            national_evidence_type_request(),
            GERMAN_REQUEST_NATIONAL,
        )),
        national(request_case(
            "request-no-level-of-assurance",
            {
                let mut r = request(Some(tax_id()));
                if let Subject::NaturalPerson(person) = &mut r.subject {
                    person.level_of_assurance = None;
                }
                r
            },
            &[
                "legal-basis",
                "procedure-text",
                "idnr-request",
                "no-level-of-assurance",
            ],
        )),
        national(response_case(
            "response-national-evidence-type",
            Response::Evidence(national_evidence_type_response()),
            &["idnr-response", "national-evidence-type"],
            &[],
        )),
        response_case(
            "error-preview-required",
            Response::Error(preview_required()),
            &[],
            &[],
        ),
    ];
    for code in EdmCode::ALL {
        let defects: &'static [&'static str] = if code == EdmCode::Authorization {
            &["R-EDM-ERR-C015"]
        } else {
            &[]
        };
        cases.push(response_case(
            &format!("error-{}", code.code().replace(':', "-")),
            Response::Error(error_response(code)),
            &["reason"],
            defects,
        ));
    }
    cases
}

/// Whether a written message shows the deviation `key`.
fn shows(key: &str, xml: &str) -> bool {
    match key {
        "no-level-of-assurance" => !xml.contains("<sdg:LevelOfAssurance>"),
        key => xml.contains(marker(key)),
    }
}

/// What marks a deviation in a written message.
fn marker(key: &str) -> &'static str {
    match key {
        "legal-basis" => r#"<rim:Slot name="LegalBasis">"#,
        "procedure-text" => r#"value="Antrag auf Elterngeld""#,
        "idnr-request" | "idnr-response" => TAX_ID,
        "reason" => r#"<rim:Slot name="Reason">"#,
        "national-evidence-type" => "urn:once:evidence-type:residence-certificate",
        other => panic!("no marker for the deviation {other}"),
    }
}

fn ids<'a>(ids: impl IntoIterator<Item = &'a &'static str>) -> BTreeSet<String> {
    ids.into_iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn oots_passes_the_edm_rules_and_de_fails_exactly_its_deviations() {
    let cases = cases();
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut files: Vec<PathBuf> = Vec::new();
    for case in &cases {
        for &profile in case.profiles {
            let xml = case.message.write(profile);
            for key in case.deviations {
                assert_eq!(
                    shows(key, &xml),
                    profile == Profile::De,
                    "{} in {profile:?}: the deviation {key}\n{xml}",
                    case.name
                );
            }
            xmllint(&xml).unwrap_or_else(|e| panic!("{} {profile:?}: {e}\n{xml}", case.name));
            let file = dir.path().join(format!("{}-{profile:?}.xml", case.name));
            std::fs::write(&file, &xml).expect("write");
            files.push(file);
        }
    }
    let reports = schematron::check_files(&files, Rules::Auto)
        .unwrap_or_else(|e| panic!("the Schematron check could not run: {e}"));
    let mut reports = reports.into_iter();
    for case in &cases {
        for &profile in case.profiles {
            let Some(report) = reports.next() else {
                panic!("no report for {}", case.name);
            };
            for run in &report.rule_sets {
                assert!(
                    run.fired_rules > 5,
                    "{}: {} barely applied",
                    case.name,
                    run.name
                );
            }
            let mut expected = ids(case.defects);
            if profile == Profile::De {
                for key in case.deviations {
                    let d = deviation(key).unwrap_or_else(|| panic!("no deviation {key}"));
                    // A deviation of request and response breaks the rules of the kind at hand.
                    let kind = match case.message {
                        Message::Request(_) => "-REQ-",
                        Message::Response(_) => "-RESP-",
                    };
                    expected.extend(ids(d.breaks.iter().filter(|rule| rule.contains(kind))));
                }
            }
            let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
            assert_eq!(
                report.error_ids(),
                expected,
                "{} in {profile:?}:\n{}",
                case.name,
                errors.join("\n")
            );
        }
    }
}

#[test]
fn every_deviation_and_defect_is_exercised_and_named_in_the_tables() {
    let cases = cases();
    for d in &DE_DEVIATIONS {
        assert!(
            cases.iter().any(|c| c.deviations.contains(&d.key)),
            "no case uses the deviation {}",
            d.key
        );
    }
    for c in &cases {
        for key in c.deviations {
            assert!(deviation(key).is_some(), "{}: {key}", c.name);
        }
        for rule in c.defects {
            assert!(
                EDM_1_0_RULE_DEFECTS.iter().any(|d| d.rule == *rule),
                "{}: {rule}",
                c.name
            );
        }
    }
}

#[test]
fn de_messages_read_back_unchanged_in_every_version() {
    for case in cases() {
        for version in EdmVersion::ALL {
            let message = case.message.with_version(version);
            let xml = message.write(Profile::De);
            assert!(
                xml.contains(version.identifier()),
                "{} {version}",
                case.name
            );
            assert!(
                message.same(&message.read(&xml)),
                "{} {version}: does not read back\n{xml}",
                case.name
            );
            xmllint(&xml).unwrap_or_else(|e| panic!("{} {version}: {e}\n{xml}", case.name));
            // What Oots writes reads too.
            if case.profiles.contains(&Profile::Oots) {
                message.read(&message.write(Profile::Oots));
            }
        }
    }
}

#[test]
fn languages_are_written_in_upper_case_and_default_to_en_where_required() {
    let mut request = oots_request(Some(eidas_id()));
    request.evidence_type.titles = vec![
        LocalizedText {
            lang: Some("de".into()),
            value: "Meldebescheinigung".into(),
        },
        LocalizedText {
            lang: None,
            value: "Residence certificate".into(),
        },
    ];
    let xml = request.to_xml_as(Profile::Oots);
    assert!(
        xml.contains(r#"<sdg:Title lang="DE">Meldebescheinigung</sdg:Title><sdg:Title lang="EN">Residence certificate</sdg:Title>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<rim:LocalizedString xml:lang="EN" value="T2"/>"#));
    schematron::assert_conforms(xml.as_bytes());
}
