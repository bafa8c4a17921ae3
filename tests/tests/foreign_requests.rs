//! The provider answers evidence requests written by other OOTS implementations, not only its
//! own: the sample requests of the governikus SDG EDM library, of pyregrep (EDM 1.2) and of
//! OOTS-France (EDM 2.0), as published (copies in `xml-schemas/tests/`).
//!
//! For each sample a provider node is configured as the authority the sample asks
//! (`[oots]` agent = the sample's `EvidenceProvider`), knows the sample's requester as a member
//! (`[[oots.members]]`), maps the sample's evidence type classification to its residence
//! certificate (`[[oots.evidence_types]]`), keeps the person asked about in its register and an
//! access rule for the sample's procedure and requirement, like an operator would set it up.
//! The sample's bytes are then sent as they are (sealed in the national envelope by the
//! requester member), with two edits any live request differs in: `IssueDateTime` now (the
//! provider refuses requests outside its window) and a fresh request id (replay protection).
//! Where a sample cannot be configured as it is, the edit is listed with the rule it breaks.
//!
//! Each is answered with evidence or with the EDM error the rules call for, in the version the
//! sample was written in; answers in EDM 1.0 pass the Commission's 1.0 rules.

use std::net::SocketAddr;

use once_node::config::{OotsConfig, OotsEvidenceType, OotsMember, PreviewConfig};
use once_node::db::registers::{Level, Register};
use once_node::db::{self, rules};
use once_node::exchange::provider::{legal_basis, procedure};
use once_tests::exchange::{
    PROVIDER, REQUESTER, RESIDENCE, add_register, member_signer, seal_document,
};
use once_tests::{TestFederation, free_port};
use once_xml::Limits;
use once_xml::multipart;
use once_xml::request::EvidenceRequest;
use once_xml::response::{Response, Severity};
use once_xml::schematron;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const EAS: &str = "urn:cef.eu:names:identifier:EAS:";

/// What a sample must be answered with.
#[derive(Debug, PartialEq)]
enum Expected {
    /// Evidence about the person asked for.
    Evidence,
    /// An EDM error with this code (and, for a preview, the preview severity).
    Error(&'static str),
    /// EDM:ERR:0002 asking for a preview, with the location of this node's preview page.
    Preview,
}

struct Sample {
    file: &'static str,
    /// Edits beyond the two every sample gets: (from, to, why).
    edits: &'static [(&'static str, &'static str, &'static str)],
    expected: Expected,
}

/// Why the governikus samples' evidence type is edited: an operator configures Semantic
/// Repository URIs only.
const NOT_SR: &str = "the sample names its evidence type by a bare name, not a Semantic Repository URI (R-EDM-REQ-C027)";

fn samples() -> Vec<Sample> {
    vec![
        Sample {
            file: "samples/birth_request.xml",
            edits: &[(
                "<sdg:EvidenceTypeClassification>CertificateOfBirth<",
                "<sdg:EvidenceTypeClassification>https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/9b8e2c1a-4f3d-4e5a-8b6c-7d8e9f0a1b2c<",
                NOT_SR,
            )],
            expected: Expected::Evidence,
        },
        Sample {
            file: "samples/oots_request1_preview.xml",
            edits: &[(
                "<sdg:EvidenceTypeClassification>SecondaryEducationCompletion<",
                "<sdg:EvidenceTypeClassification>https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/9b8e2c1a-4f3d-4e5a-8b6c-7d8e9f0a1b2c<",
                NOT_SR,
            )],
            expected: Expected::Preview,
        },
        Sample {
            file: "samples/oots_request2_after_preview.xml",
            edits: &[(
                "<sdg:EvidenceTypeClassification>SecondaryEducationCompletion<",
                "<sdg:EvidenceTypeClassification>https://sr.oots.tech.europa.eu/evidencetypeclassifications/DE/9b8e2c1a-4f3d-4e5a-8b6c-7d8e9f0a1b2c<",
                NOT_SR,
            )],
            // Its PreviewLocation is another provider's page: not a preview of this node.
            expected: Expected::Error("EDM:ERR:0003"),
        },
        Sample {
            file: "data/oots-samples/pyregrep-edm-v1.2/original/EDM_Ferst_Request.xml",
            edits: &[],
            expected: Expected::Preview,
        },
        Sample {
            file: "data/oots-samples/pyregrep-edm-v1.2/original/EDM_Second_Request.xml",
            edits: &[],
            expected: Expected::Error("EDM:ERR:0003"),
        },
        Sample {
            file: "data/oots-samples/oots-france/original/requete.xml",
            edits: &[],
            expected: Expected::Evidence,
        },
    ]
}

fn sample_bytes(file: &str) -> String {
    let path = once_xml::schema_dir()
        .parent()
        .expect("the crate directory")
        .join("tests")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample as sent: its edits, `IssueDateTime` now and a fresh request id.
fn as_sent(sample: &Sample) -> String {
    let mut xml = sample_bytes(sample.file);
    for (from, to, why) in sample.edits {
        assert!(xml.contains(from), "{}: {from:?} ({why})", sample.file);
        xml = xml.replace(from, to);
    }
    let read = EvidenceRequest::from_xml(xml.as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("{}: {e}", sample.file));
    let now = OffsetDateTime::now_utc().format(&Rfc3339).expect("format");
    let issued = read.issue_date_time.format(&Rfc3339).expect("format");
    let old_time = find_value(&xml, "IssueDateTime");
    assert!(
        !old_time.is_empty(),
        "{}: IssueDateTime {issued}",
        sample.file
    );
    xml = xml.replacen(&old_time, &now, 1);
    let old_id = read.id.trim_start_matches("urn:uuid:").to_owned();
    xml.replacen(&old_id, &uuid::Uuid::new_v4().to_string(), 1)
}

/// The text of the first `rim:Value` after the slot `name`, as written.
fn find_value(xml: &str, name: &str) -> String {
    let slot = xml
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no slot {name}"));
    let start = xml[slot..].find("<rim:Value>").expect("a value") + slot + "<rim:Value>".len();
    let end = xml[start..].find("</rim:Value>").expect("its end") + start;
    xml[start..end].trim().to_owned()
}

/// The EAS scheme as the configuration writes it (a bare code becomes the URN).
fn scheme(given: Option<&str>) -> String {
    let given = given.unwrap_or_default().trim();
    if given.starts_with("urn:") {
        given.to_owned()
    } else {
        format!("{EAS}{given}")
    }
}

/// A federation whose provider is the authority `request` asks, set up for it.
async fn provider_for(request: &EvidenceRequest) -> TestFederation {
    let oots = OotsConfig {
        agent_scheme: scheme(request.provider.identifier.scheme.as_deref()),
        agent_id: request.provider.identifier.value.trim().to_owned(),
        country: "DE".into(),
        specification: "oots-edm:v1.0".into(),
        evidence_types: vec![OotsEvidenceType {
            evidence_type: RESIDENCE.into(),
            classification: request.evidence_type.classification.trim().to_owned(),
            conforms_to: Some(
                "https://sr.oots.tech.europa.eu/distributions/once-residence-certificate-1".into(),
            ),
            requirement: None,
        }],
        members: vec![OotsMember {
            member: REQUESTER.parse().expect("member"),
            agent_scheme: scheme(request.requester.identifier.scheme.as_deref()),
            agent_id: request.requester.identifier.value.trim().to_owned(),
        }],
    };
    let preview_port = free_port();
    let fed = TestFederation::builder()
        .member(PROVIDER)
        .configure(move |c| {
            c.oots = Some(oots.clone());
            c.preview = Some(PreviewConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], preview_port)),
                public_url: format!("https://localhost:{preview_port}"),
                ttl_seconds: 600,
                max_attempts: 3,
                simulated_mailbox: true,
            });
        })
        .start()
        .await
        .expect("provider");
    let once_xml::request::Subject::NaturalPerson(person) = &request.subject else {
        panic!("the samples ask about natural persons")
    };
    let csv = format!(
        "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in\n\
         36574261809,{},{},{},Am Markt,1,28195,Bremen,04011000,2010-01-01\n",
        person.family_name, person.given_name, person.date_of_birth
    );
    let register = Register {
        id: "melderegister-bremen".parse().expect("register id"),
        name: "Melderegister Bremen".into(),
        evidence_types: vec![RESIDENCE.into()],
        level: Level::Municipality,
        jurisdictions: vec!["04011000".into()],
        legal_basis: "§ 18 BMG".into(),
        created_at: 0,
        updated_at: 0,
        register_type: None,
        standards: Vec::new(),
    };
    let pool = fed.node(0).pool();
    add_register(&pool, register, &csv, REQUESTER)
        .await
        .expect("register");
    let (procedure, basis) = (procedure(request), legal_basis(request));
    db::run(&pool, move |conn| {
        rules::add(conn, REQUESTER, RESIDENCE, &procedure, &basis)
            .map_err(|e| db::DbError::Conflict(e.to_string()))
    })
    .await
    .expect("rule");
    fed
}

/// Sends `xml` to the provider as the requester member, and reads the answer.
async fn send(fed: &mut TestFederation, xml: &str) -> (u16, Response, Vec<u8>) {
    let dir = fed.issue(REQUESTER, "requester").expect("issue");
    let signer = member_signer(&dir).expect("signer");
    let sealed = seal_document(&signer, REQUESTER, PROVIDER, xml.as_bytes(), &[]);
    let client = once_tests::exchange::member_client(&dir).expect("client");
    let answer = client
        .post(format!("{}/v1/exchange", fed.node(0).peer_url()))
        .header("content-type", sealed.content_type)
        .body(sealed.body)
        .send()
        .await
        .expect("the provider answers");
    let status = answer.status().as_u16();
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = answer.bytes().await.expect("body");
    let message = multipart::parse(&content_type, &body, &Default::default())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
    let response = Response::from_xml(message.root().body, &Limits::default())
        .unwrap_or_else(|e| panic!("{e}"));
    (status, response, message.root().body.to_vec())
}

#[actix_rt::test]
async fn sample_requests_of_other_implementations_are_answered() {
    let mut outcomes = Vec::new();
    let mut checked = 0;
    for sample in samples() {
        let xml = as_sent(&sample);
        let request = EvidenceRequest::from_xml(xml.as_bytes(), &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", sample.file));
        let mut fed = provider_for(&request).await;
        let (status, response, document) = send(&mut fed, &xml).await;
        if request.version == once_xml::EdmVersion::V1_0 {
            // Answers in EDM 1.0 pass the Commission's 1.0 rules.
            // The answer names the person as the request did: where the sample's own eIDAS
            // identifier is too short for the rules (its request fails R-EDM-REQ-C039), the
            // answer's fails R-EDM-RESP-C028 with it, and nothing else may fail.
            let asked = schematron::check(xml.as_bytes()).expect("the Schematron check runs");
            let echoed = asked.error_ids().contains("R-EDM-REQ-C039");
            let report = schematron::check(&document).expect("the Schematron check runs");
            let errors: Vec<String> = report
                .errors()
                .filter(|e| !(echoed && e.id.as_deref() == Some("R-EDM-RESP-C028")))
                .map(ToString::to_string)
                .collect();
            assert!(errors.is_empty(), "{}: {}", sample.file, errors.join("\n"));
            checked += 1;
        }
        assert_eq!(status, 200, "{}", sample.file);
        assert_eq!(response.request_id(), request.id, "{}", sample.file);
        let version = match &response {
            Response::Evidence(r) => r.version,
            Response::Error(r) => r.version,
        };
        assert_eq!(
            version, request.version,
            "{}: answered in its version",
            sample.file
        );
        let got = match &response {
            Response::Evidence(r) => {
                let [item] = r.evidence.as_slice() else {
                    panic!("{}: one evidence item", sample.file)
                };
                assert_eq!(item.subject, request.subject, "{}", sample.file);
                Expected::Evidence
            }
            Response::Error(e)
                if e.exception.code.code() == "EDM:ERR:0002"
                    && e.exception.preview_location.is_some() =>
            {
                let location = e.exception.preview_location.as_deref().unwrap_or_default();
                assert!(location.starts_with("https://localhost:"), "{location}");
                assert_eq!(
                    e.exception.severity,
                    Severity::PreviewRequired,
                    "{}",
                    sample.file
                );
                Expected::Preview
            }
            Response::Error(e) => Expected::Error(match e.exception.code.code() {
                "EDM:ERR:0003" => "EDM:ERR:0003",
                other => panic!("{}: {other}: {}", sample.file, e.exception.detail),
            }),
        };
        outcomes.push(format!("{}: {got:?}", sample.file));
        assert_eq!(got, sample.expected, "{}: {response:?}", sample.file);
        fed.stop().await;
    }
    assert_eq!(checked, 3, "the governikus samples' answers");
    eprintln!("{}", outcomes.join("\n"));
}
