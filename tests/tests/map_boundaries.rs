//! The register map's boundaries, end to end over mutual TLS: what a member publishes is checked
//! for control characters (422 `invalid_descriptor`, naming the field), a register name that is a
//! spreadsheet formula reaches the CSV export only as text, and every refusal of the API, actix's
//! own extractor errors included, answers in the JSON envelope
//! `{"error":{"code","message"}}`.

use once_tests::exchange::{browser, member_client, member_signer};
use once_tests::{Backend, TestFederation};
use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::dsig::Placement;
use once_xml::level::Level;
use serde_json::Value;

const MUNICIPAL: &str = "DE-HB:KOMMUNE:04011000";
const HOSTILE: &str = "=HYPERLINK(\"http://x.invalid\",\"klick\")";

fn descriptor(sequence: u64, name: &str, legal_basis: &str) -> NodeDescriptor {
    NodeDescriptor {
        member: MUNICIPAL.into(),
        name: "Stadt Bremen".into(),
        peer_endpoint: "https://node.bremen.example:8443".into(),
        tls_certificate_sha256: "ab".repeat(32),
        contact: None,
        issue_date_time: time::OffsetDateTime::now_utc(),
        sequence,
        registers: vec![RegisterDescriptor {
            id: "melderegister".into(),
            name: name.into(),
            register_type: None,
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            evidence_types: vec!["urn:once:evidence-type:residence-certificate".into()],
            legal_basis: legal_basis.into(),
            standards: Vec::new(),
            record_count: None,
            contact: None,
        }],
    }
}

/// Status and JSON body of an answer that must be the error envelope.
async fn envelope(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON body");
    let code = body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned();
    let message = body["error"]["message"]
        .as_str()
        .expect("error.message")
        .to_owned();
    (status, code, message)
}

#[actix_rt::test]
async fn the_maps_boundaries() {
    let mut fed = TestFederation::builder()
        .backend(Backend::Sqlite)
        .start()
        .await
        .expect("federation");
    fed.start_map().await.expect("map");
    let dir = fed.issue(MUNICIPAL, "bremen").expect("issue");
    let signer = member_signer(&dir).expect("signer");
    let client = member_client(&dir).expect("client");
    let api = fed.map().api_url();
    let publish = |body: Vec<u8>| {
        client
            .post(format!("{api}/v1/descriptors"))
            .body(body)
            .send()
    };
    let signed = |d: &NodeDescriptor| {
        let xml = d
            .try_to_xml()
            .expect("XML allows what the map refuses here");
        signer
            .sign(&xml, Placement::LastChild)
            .expect("sign")
            .into_bytes()
    };

    // Control characters in a published descriptor: refused, naming the field.
    for (d, expected) in [
        (
            descriptor(1, "Melde\tregister", "BMG"),
            "Register[0]: Name: the character U+0009 (tab) at position 6",
        ),
        (
            descriptor(1, "Melderegister", "BMG\u{9B}"),
            "Register[0]: LegalBasis: the character U+009B",
        ),
    ] {
        let (status, code, message) = envelope(publish(signed(&d)).await.expect("answer")).await;
        assert_eq!(
            (status, code.as_str()),
            (422, "invalid_descriptor"),
            "{message}"
        );
        assert!(message.contains(expected), "{message}");
    }
    // A character XML forbids, as a reference in a signed document: the document is refused
    // before its signature is looked at.
    let forged = String::from_utf8(signed(&descriptor(1, "Melderegister", "BMG")))
        .expect("utf-8")
        .replacen("<LegalBasis>BMG", "<LegalBasis>BMG&#1;", 1);
    let (status, code, message) =
        envelope(publish(forged.into_bytes()).await.expect("answer")).await;
    assert_eq!(
        (status, code.as_str()),
        (422, "invalid_descriptor"),
        "{message}"
    );
    assert!(
        message.contains("&#1; stands for the character U+0001"),
        "{message}"
    );
    // A legal basis may have lines; a name that is a formula is a name.
    let accepted = publish(signed(&descriptor(2, HOSTILE, "BMG\n§ 33")))
        .await
        .expect("answer");
    assert_eq!(accepted.status().as_u16(), 200);

    // The CSV export carries the formula as text.
    let web = browser(&fed.ca_pem_path()).expect("client");
    let csv = web
        .get(format!("{}/export/registers.csv", fed.map().web_url()))
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("body");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let row = reader
        .records()
        .map(|r| r.expect("row"))
        .find(|r| r.get(0) == Some("DE-HB:KOMMUNE:04011000/melderegister"))
        .expect("the published register");
    assert_eq!(row.get(1), Some(format!("'{HOSTILE}").as_str()));
    assert_eq!(row.get(10), Some("BMG\n§ 33"));
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"));

    // Every refusal of the API in the envelope, actix's own included.
    let get = |path: &str| client.get(format!("{api}{path}")).send();
    let cases = [
        (
            get("/v1/providers").await,
            400,
            "missing_parameter",
            "evidence_type is required",
        ),
        (
            get("/v1/providers?evidence_type=a&evidence_type=b").await,
            400,
            "invalid_request",
            "query string",
        ),
        (
            get("/v1/providers?evidence_type=urn%3Ax%01").await,
            400,
            "invalid_request",
            "evidence_type: the character U+0001",
        ),
        (
            get("/v1/providers?evidence_type=x&jurisdiction=04%0A011000").await,
            400,
            "invalid_request",
            "jurisdiction: the character U+000A (line feed)",
        ),
        (
            get("/v1/nothing").await,
            404,
            "not_found",
            "no such endpoint",
        ),
        (
            client
                .post(format!("{api}/v1/stats"))
                .header("content-type", "application/json")
                .body("{")
                .send()
                .await,
            400,
            "invalid_request",
            "JSON",
        ),
        (
            client
                .post(format!("{api}/v1/stats"))
                .header("content-type", "application/json")
                .body(format!("{{\"day\":\"{}\"}}", "x".repeat(1024 * 1024)))
                .send()
                .await,
            413,
            "payload_too_large",
            "1048576 bytes",
        ),
        (
            publish(vec![b'<'; once_registry_map::api::MAX_DESCRIPTOR_BYTES + 1]).await,
            413,
            "payload_too_large",
            "16777216 bytes",
        ),
    ];
    for (response, status, code, message) in cases {
        let (s, c, m) = envelope(response.expect("answer")).await;
        assert_eq!((s, c.as_str()), (status, code), "{m}");
        assert!(m.contains(message), "{m}");
    }

    // The pictures' data answers in the envelope too; pages keep answering pages.
    let web_url = fed.map().web_url();
    let (status, code, _) = envelope(
        web.get(format!("{web_url}/api/map?state=04&state=05"))
            .send()
            .await
            .expect("answer"),
    )
    .await;
    assert_eq!((status, code.as_str()), (400, "invalid_request"));
    let page = web
        .get(format!("{web_url}/nothing"))
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status().as_u16(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    fed.stop().await;
}
