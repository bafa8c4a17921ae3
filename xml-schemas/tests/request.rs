//! The evidence request codec against real messages, libxml2 (xmllint) and hostile input.

mod common;

use common::{read, xmllint};
use once_xml::request::{
    AgentClassification, EdmVersion, EvidenceRequest, LocalizedText, PersonIdentifier, Procedure,
    Subject,
};
use once_xml::{EdmCode, Limits, Profile};
use time::macros::{date, datetime};

fn sample(name: &str) -> Vec<u8> {
    read(&format!("samples/{name}"))
}

fn german_request() -> EvidenceRequest {
    common::request(Some(common::tax_id()))
}

#[test]
fn reads_the_commissions_birth_certificate_request() {
    let request =
        EvidenceRequest::from_xml(&sample("birth_request.xml"), &Limits::default()).expect("parse");
    // Read in the form OOTS writes it, whichever form the sample has (a bare UUID).
    assert_eq!(request.id, "urn:uuid:4ffb5281-179d-4578-adf2-39fd13ccc797");
    assert_eq!(request.version, EdmVersion::V1_0);
    assert_eq!(
        request.issue_date_time,
        datetime!(2022-05-19 17:08:10.872 UTC)
    );
    // Free text, not a code of the Procedures list; the language read in upper case.
    assert_eq!(
        request.procedure,
        Some(Procedure::Text(LocalizedText::new(
            "EN",
            "Requesting a birth certificate"
        )))
    );
    assert!(!request.possibility_for_preview);
    assert!(request.explicit_request_given);
    assert_eq!(request.requirements[0].names[0].value, "Proof of Birth");
    assert_eq!(request.requester.identifier.value, "DK22233223");
    assert_eq!(request.requester.identifier.scheme.as_deref(), Some("0096"));
    assert_eq!(
        request.requester.classification,
        Some(AgentClassification::IntermediaryPlatform)
    );
    assert_eq!(
        request.provider.name.value,
        "Civil Registration Office Berlin I"
    );
    let Subject::NaturalPerson(person) = &request.subject else {
        panic!("natural person")
    };
    assert_eq!(
        (person.family_name.as_str(), person.given_name.as_str()),
        ("Smith", "John")
    );
    assert_eq!(person.date_of_birth, date!(1970 - 03 - 01));
    assert_eq!(person.tax_id(), None, "an eIDAS identifier is not a tax id");
    assert_eq!(
        person.identifier,
        Some(PersonIdentifier::Eidas("DK/DE/123456".into()))
    );
    assert_eq!(request.evidence_type.classification, "CertificateOfBirth");
    assert_eq!(request.evidence_type.titles.len(), 2);
}

#[test]
fn reads_the_preview_flow_requests() {
    let first = EvidenceRequest::from_xml(&sample("oots_request1_preview.xml"), &Limits::default())
        .expect("first");
    assert!(first.possibility_for_preview);
    assert_eq!(first.preview_location, None);
    let second = EvidenceRequest::from_xml(
        &sample("oots_request2_after_preview.xml"),
        &Limits::default(),
    )
    .expect("second");
    assert_eq!(
        second.preview_location.as_deref(),
        Some(
            "https://preview.space.example.com/requests?session=d36af8bc-fea6-4ee5-a32d-5bef82cdb071"
        )
    );
    assert_ne!(first.id, second.id, "the request sent again has its own id");
}

#[test]
fn samples_round_trip_into_xml_that_still_validates() {
    for name in [
        "birth_request.xml",
        "oots_request1_preview.xml",
        "oots_request2_after_preview.xml",
    ] {
        xmllint(&String::from_utf8(sample(name)).expect("utf-8"))
            .unwrap_or_else(|e| panic!("{name} itself: {e}"));
        let request = EvidenceRequest::from_xml(&sample(name), &Limits::default()).expect(name);
        let written = request.to_xml_as(Profile::De);
        xmllint(&written).unwrap_or_else(|e| panic!("{name} rewritten: {e}\n{written}"));
        let again =
            EvidenceRequest::from_xml(written.as_bytes(), &Limits::default()).expect("reparse");
        assert_eq!(again, request, "{name}");
    }
}

#[test]
fn a_german_request_validates_and_round_trips() {
    let request = german_request();
    let xml = request.to_xml_as(Profile::De);
    xmllint(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let parsed = EvidenceRequest::from_xml(xml.as_bytes(), &Limits::default()).expect("parse");
    assert_eq!(parsed, request);
    let Subject::NaturalPerson(person) = &parsed.subject else {
        panic!("natural person")
    };
    assert_eq!(
        person.tax_id().map(|t| t.to_string()).as_deref(),
        Some("86095742719")
    );
}

/// One malformed input: what to change in a valid request, and what the refusal must say.
struct Case {
    name: &'static str,
    input: Vec<u8>,
    detail: &'static str,
}

fn edit(from: &str, to: &str) -> Vec<u8> {
    let xml = german_request().to_xml_as(Profile::De);
    assert!(xml.contains(from), "the valid request contains {from:?}");
    xml.replacen(from, to, 1).into_bytes()
}

fn without_slot(name: &str) -> Vec<u8> {
    let xml = german_request().to_xml_as(Profile::De);
    let start = xml
        .find(&format!("<rim:Slot name=\"{name}\">"))
        .expect("slot present");
    let end = start + xml[start..].find("</rim:Slot>").expect("slot end") + "</rim:Slot>".len();
    format!("{}{}", &xml[..start], &xml[end..]).into_bytes()
}

fn duplicated_slot(name: &str) -> Vec<u8> {
    let xml = german_request().to_xml_as(Profile::De);
    let start = xml
        .find(&format!("<rim:Slot name=\"{name}\">"))
        .expect("slot present");
    let end = start + xml[start..].find("</rim:Slot>").expect("slot end") + "</rim:Slot>".len();
    format!("{}{}{}", &xml[..end], &xml[start..end], &xml[end..]).into_bytes()
}

fn malformed_cases() -> Vec<Case> {
    let valid = german_request().to_xml_as(Profile::De);
    let body = valid.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let mut cases = vec![
        Case {
            name: "XXE: external entity",
            input: format!(r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}"#, body.replacen("Jürgen", "&xxe;", 1)).into_bytes(),
            detail: "DOCTYPE is not allowed",
        },
        Case {
            name: "billion laughs",
            input: format!(
                r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>{}"#,
                body.replacen("Jürgen", "&lol3;", 1)
            )
            .into_bytes(),
            detail: "DOCTYPE is not allowed",
        },
        Case { name: "plain DOCTYPE", input: format!("<!DOCTYPE QueryRequest>{body}").into_bytes(), detail: "DOCTYPE is not allowed" },
        Case { name: "undeclared entity", input: edit("Jürgen", "&nbsp;"), detail: "entity reference &nbsp; is not allowed" },
        Case { name: "entity in an attribute", input: edit("value=\"Antrag", "value=\"&xxe;Antrag"), detail: "only the predefined entities" },
        Case {
            name: "deep nesting",
            input: edit("<sdg:GivenName>Jürgen</sdg:GivenName>", &format!("<sdg:GivenName>{}Jürgen{}</sdg:GivenName>", "<x>".repeat(40), "</x>".repeat(40))),
            detail: "nested deeper than",
        },
        Case {
            name: "oversize body",
            input: edit("Jürgen", &"J".repeat(1024 * 1024)),
            detail: "more than the limit",
        },
        Case {
            name: "oversize text",
            input: edit("Jürgen", &"J".repeat(70 * 1024)),
            detail: "longer than 65536 bytes",
        },
        Case {
            name: "oversize attribute",
            input: edit("value=\"Antrag auf Elterngeld\"", &format!("value=\"{}\"", "A".repeat(5000))),
            detail: "longer than 4096 bytes",
        },
        Case { name: "invalid UTF-8", input: { let mut v = valid.clone().into_bytes(); let at = valid.find("Jürgen").expect("name") + 1; v[at] = 0xff; v }, detail: "not valid UTF-8" },
        Case { name: "Latin-1 declared", input: valid.replacen("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"", 1).into_bytes(), detail: "ISO-8859-1" },
        Case { name: "not XML", input: b"{\"evidence\": true}".to_vec(), detail: "text before the root element" },
        Case { name: "empty body", input: Vec::new(), detail: "no root element" },
        Case { name: "truncated", input: valid.as_bytes()[..valid.find("<query:Query ").expect("query")].to_vec(), detail: "ends inside an element" },
        Case { name: "truncated inside a tag", input: valid.as_bytes()[..valid.find("<sdg:FamilyName").expect("name") + 8].to_vec(), detail: "not well-formed" },
        Case { name: "mismatched end tag", input: edit("</sdg:GivenName>", "</sdg:FamilyName>"), detail: "not well-formed" },
        Case {
            name: "wrong namespace on the root",
            input: valid.replace("urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0", "urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0").into_bytes(),
            detail: "root element must be QueryRequest",
        },
        Case {
            name: "wrong namespace on the slots",
            input: valid.replace("xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:4.0\"", "xmlns:rim=\"urn:example:rim\"").into_bytes(),
            detail: "the mandatory slot SpecificationIdentifier is missing",
        },
        Case {
            name: "wrong namespace on the person",
            input: edit("<sdg:Person>", "<sdg:Person xmlns:sdg=\"urn:example:other\">"),
            detail: "must carry an sdg:Person",
        },
        Case { name: "undeclared prefix", input: edit("<sdg:FamilyName>", "<foo:FamilyName>"), detail: "undeclared namespace prefix" },
        Case { name: "missing id", input: valid.replacen(" id=\"urn:uuid:0b6b8b1e-3d0c-4b8e-9a57-6c1f1f3f6a01\"", "", 1).into_bytes(), detail: "lacks its id attribute" },
        Case { name: "duplicated attribute", input: edit("<rim:Slot name=\"Procedure\">", "<rim:Slot name=\"Procedure\" name=\"Procedure\">"), detail: "bad attribute" },
        Case { name: "duplicated slot", input: duplicated_slot("EvidenceRequester"), detail: "the slot EvidenceRequester is given twice" },
        Case { name: "duplicated query slot", input: duplicated_slot("NaturalPerson"), detail: "the slot NaturalPerson is given twice" },
        Case { name: "text after the root", input: format!("{valid}trailing").into_bytes(), detail: "after the root element" },
    ];
    cases.extend(content_cases());
    // Procedure and Requirements are only recommended (R-EDM-REQ-S007, S011): see
    // `a_request_without_the_recommended_slots_is_read`.
    for slot in [
        "SpecificationIdentifier",
        "IssueDateTime",
        "PossibilityForPreview",
        "ExplicitRequestGiven",
        "EvidenceRequester",
        "EvidenceProvider",
    ] {
        let detail: &'static str =
            Box::leak(format!("the mandatory slot {slot} is missing").into_boxed_str());
        cases.push(Case {
            name: Box::leak(format!("missing {slot}").into_boxed_str()),
            input: without_slot(slot),
            detail,
        });
    }
    cases
}

/// Well-formed requests whose content breaks a rule of the reader.
fn content_cases() -> Vec<Case> {
    vec![
        Case {
            name: "invalid tax id check digit",
            input: edit("86095742719", "86095742718"),
            detail: "check digit of the tax identification number is wrong",
        },
        Case { name: "tax id of 10 digits", input: edit("86095742719", "8609574271"), detail: "exactly 11 digits" },
        Case { name: "bad date of birth", input: edit("1988-02-29", "1987-02-29"), detail: "DateOfBirth must be a date" },
        Case { name: "bad IssueDateTime", input: edit("2026-11-23T09:00:00Z", "yesterday"), detail: "IssueDateTime must be a date and time" },
        Case { name: "IssueDateTime without offset", input: edit("2026-11-23T09:00:00Z", "2026-11-23T09:00:00"), detail: "IssueDateTime must be a date and time" },
        Case { name: "bad boolean", input: edit("<rim:Value>true</rim:Value>", "<rim:Value>yes</rim:Value>"), detail: "must be true or false" },
        Case { name: "empty family name", input: edit("<sdg:FamilyName>Müller-Lüdenscheidt</sdg:FamilyName>", "<sdg:FamilyName> </sdg:FamilyName>"), detail: "FamilyName is empty" },
        Case { name: "no subject", input: without_slot("NaturalPerson"), detail: "lacks the subject" },
        Case { name: "no evidence request", input: without_slot("EvidenceRequest"), detail: "the mandatory slot EvidenceRequest is missing" },
        Case {
            name: "two subjects",
            input: edit("<rim:Slot name=\"EvidenceRequest\">", "<rim:Slot name=\"LegalPerson\"><rim:SlotValue xsi:type=\"rim:AnyValueType\"><sdg:LegalPerson><sdg:Identifier>HRB 1</sdg:Identifier><sdg:LegalName>X GmbH</sdg:LegalName></sdg:LegalPerson></rim:SlotValue></rim:Slot><rim:Slot name=\"EvidenceRequest\">"),
            detail: "both a NaturalPerson and a LegalPerson",
        },
        Case { name: "no query", input: edit("<query:Query queryDefinition=\"DocumentQuery\">", "<query:Queery queryDefinition=\"DocumentQuery\">").pipe_replace("</query:Query>", "</query:Queery>"), detail: "lacks its Query element" },
        Case { name: "agent carries a person", input: edit("<sdg:Agent><sdg:Identifier schemeID=\"urn:oasis:names:tc:ebcore:partyid-type:unregistered:once-member\">DE-HB:LAND", "<sdg:Person><sdg:Identifier schemeID=\"urn:oasis:names:tc:ebcore:partyid-type:unregistered:once-member\">DE-HB:LAND").pipe_replace("</sdg:Classification></sdg:Agent></rim:Element></rim:SlotValue></rim:Slot><rim:Slot name=\"EvidenceProvider\">", "</sdg:Classification></sdg:Person></rim:Element></rim:SlotValue></rim:Slot><rim:Slot name=\"EvidenceProvider\">"), detail: "must carry an sdg:Agent" },
        Case { name: "unknown version", input: edit("<rim:Value>oots-edm:v1.0</rim:Value>", "<rim:Value>oots-edm:v3.0</rim:Value>"), detail: "SpecificationIdentifier \"oots-edm:v3.0\" is not a version this node reads" },
        Case { name: "unknown level of assurance", input: edit("<sdg:LevelOfAssurance>High</sdg:LevelOfAssurance>", "<sdg:LevelOfAssurance>Medium</sdg:LevelOfAssurance>"), detail: "LevelOfAssurance must be Low, Substantial or High" },
        Case { name: "empty requirement name list", input: edit("<sdg:Name lang=\"DE\">Nachweis des Wohnsitzes</sdg:Name>", ""), detail: "Requirement: Name is missing" },
        Case { name: "no distribution", input: edit(&format!("<sdg:DistributedAs><sdg:Format>application/xml</sdg:Format><sdg:ConformsTo>{}</sdg:ConformsTo></sdg:DistributedAs>", common::DATA_MODEL), ""), detail: "DistributedAs is missing" },
    ]
}

trait PipeReplace {
    fn pipe_replace(self, from: &str, to: &str) -> Vec<u8>;
}

impl PipeReplace for Vec<u8> {
    fn pipe_replace(self, from: &str, to: &str) -> Vec<u8> {
        let text = String::from_utf8(self).expect("utf-8");
        assert!(text.contains(from), "contains {from:?}");
        text.replacen(from, to, 1).into_bytes()
    }
}

#[test]
fn malformed_requests_get_the_specific_error_and_valid_ones_still_parse() {
    let cases = malformed_cases();
    assert!(cases.len() >= 42, "{} cases", cases.len());
    let limits = Limits::default();
    for case in &cases {
        let err = EvidenceRequest::from_xml(&case.input, &limits).expect_err(case.name);
        assert_eq!(err.code, EdmCode::InvalidRequest, "{}", case.name);
        assert!(
            err.detail.contains(case.detail),
            "{}: {:?} lacks {:?}",
            case.name,
            err.detail,
            case.detail
        );
        // The parser holds no state: the next valid request is read as before.
        EvidenceRequest::from_xml(german_request().to_xml_as(Profile::De).as_bytes(), &limits)
            .expect("valid after malformed");
    }
}

#[test]
fn a_request_without_the_recommended_slots_is_read() {
    let mut xml = String::from_utf8(without_slot("Procedure")).expect("utf-8");
    let start = xml
        .find("<rim:Slot name=\"Requirements\">")
        .expect("requirements");
    let end = start + xml[start..].find("</rim:Slot>").expect("end") + "</rim:Slot>".len();
    xml.replace_range(start..end, "");
    let read = EvidenceRequest::from_xml(xml.as_bytes(), &Limits::default()).expect("read");
    assert_eq!(
        read,
        EvidenceRequest {
            procedure: None,
            requirements: Vec::new(),
            ..german_request()
        }
    );
    // And is written without them.
    let again = read.to_xml_as(Profile::De);
    assert!(!again.contains("Procedure") && !again.contains("Requirements"));
}
