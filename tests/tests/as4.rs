//! Two nodes as eDelivery AS4 access points of the OOTS (`[as4]`, keys of a stand-in eDelivery
//! PKI, each the other's partner): an application asks its node for evidence, the request goes
//! out as a signed and encrypted AS4 user message, the provider's node acknowledges it with a
//! signed receipt, answers it through the same access rules, matching and log as a national
//! request, and pushes the answer back as a user message of its own, acknowledged in turn. The
//! application gets the same JSON as over the national transport.
//!
//! Then the AS4 endpoint's refusals: a replayed MessageId, the same MessageId with other
//! content, a stranger's signature, a tampered attachment; and a partner whose certificate
//! does not chain to the trust store is not accepted by `check_certificate`.

use once_as4::oots::{Action, OotsHeader, SchemedId};
use once_as4::send::{self, OutgoingPayload};
use once_as4::signal::{self, SignalOutcome};
use once_as4::{Certificate, Credentials, EbmsCode};
use once_node::db::{self, log};
use once_node::exchange::transport::as4::partners::check_certificate;
use once_tests::as4::{AccessPoint, As4Pki, add_partner};
use once_tests::exchange::{
    EAS_DE, OOTS_PROCEDURE, PROVIDER, REQUESTER, RESIDENCE, SR_REQUIREMENT, api_key, ask, browser,
    logged_boundary, oots_config, oots_rule, start_provider,
};
use once_tests::{Backend, TestFederation};
use once_xml::schematron;
use serde_json::{Value, json};
use time::OffsetDateTime;

struct Setup {
    fed: TestFederation,
    key: String,
    http: reqwest::Client,
    pki: As4Pki,
    provider_ap: AccessPoint,
    provider_ec: AccessPoint,
    requester_ap: AccessPoint,
    _dir: tempfile::TempDir,
}

impl Setup {
    /// Both access points on eDelivery AS4 1.15 (RSA).
    async fn start() -> Setup {
        Setup::start_with(false).await
    }

    /// With `ec`, the provider's access point holds keys of both suites (its RSA `key` and an
    /// EC P-256 `ec_key`) and the requester's only an EC key: they exchange with the eDelivery
    /// AS4 2.0 EC profile.
    async fn start_with(ec: bool) -> Setup {
        once_tests::init_test_logging();
        let dir = tempfile::tempdir().expect("dir");
        let pki = As4Pki::new(dir.path()).expect("eDelivery PKI");
        let provider_ap = pki.access_point("AP_DE_HB_01").expect("ap");
        let provider_ec = pki.access_point_ec("AP_DE_HB_01").expect("ap");
        let requester_ap = if ec {
            pki.access_point_ec("AP_DE_HB_02")
        } else {
            pki.access_point("AP_DE_HB_02")
        }
        .expect("ap");
        let mut provider_as4 = pki.config(&provider_ap);
        if ec {
            provider_as4.ec_key = Some(provider_ec.key.clone());
            provider_as4.ec_certificate = Some(provider_ec.certificate.clone());
        }
        let mut fed = start_provider(
            TestFederation::builder()
                .backend(Backend::Sqlite)
                .configure(move |c| {
                    c.oots = Some(oots_config("04011000-buergeramt-01"));
                    c.as4 = Some(provider_as4.clone());
                }),
        )
        .await
        .expect("provider");
        oots_rule(&fed.node(0).pool()).await.expect("rule");
        let requester_as4 = pki.config(&requester_ap);
        fed.add_member(REQUESTER, move |c| {
            c.oots = Some(oots_config("04-elterngeld-01"));
            c.as4 = Some(requester_as4.clone());
        })
        .await
        .expect("requester");
        add_partner(
            &fed.node(0).pool(),
            &requester_ap,
            REQUESTER,
            &requester_ap.url(),
        )
        .await
        .expect("partner");
        add_partner(
            &fed.node(1).pool(),
            if ec { &provider_ec } else { &provider_ap },
            PROVIDER,
            &provider_ap.url(),
        )
        .await
        .expect("partner");
        for index in [0, 1] {
            as4_of(&fed, index)
                .partners()
                .refresh()
                .await
                .expect("partners read");
        }
        let key = api_key(&fed.node(1).pool(), "app").await.expect("key");
        let http = browser(&fed.ca_pem_path()).expect("client");
        Setup {
            fed,
            key,
            http,
            pki,
            provider_ap,
            provider_ec,
            requester_ap,
            _dir: dir,
        }
    }

    async fn ask(&self, body: Value) -> (u16, Value) {
        ask(&self.http, &self.fed.node(1).app_url(), &self.key, &body).await
    }

    /// Log entries of node `index`: (direction, kind, outcome, message).
    async fn log(&self, index: usize) -> Vec<(String, String, String, Vec<u8>)> {
        db::run(&self.fed.node(index).pool(), |conn| {
            log::entries_after(conn, 0, 1000)
        })
        .await
        .expect("entries")
        .into_iter()
        .map(|e| (e.direction, e.kind, e.outcome, e.message))
        .collect()
    }

    /// Posts an AS4 message to the provider's endpoint; returns the signal read with the
    /// provider's certificate.
    async fn post(&self, sent: &once_as4::Sent) -> SignalOutcome {
        let answer = self
            .http
            .post(self.provider_ap.url())
            .header("content-type", &sent.content_type)
            .body(sent.body.clone())
            .send()
            .await
            .expect("the endpoint answers");
        assert_eq!(answer.status().as_u16(), 200);
        let body = answer.bytes().await.expect("body");
        let provider =
            Certificate::from_pem(&self.provider_ap.issued.certificate_pem).expect("cert");
        signal::read(&body, &provider, &once_as4::Limits::default())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)))
    }
}

fn as4_of(
    fed: &TestFederation,
    index: usize,
) -> &std::sync::Arc<once_node::exchange::transport::as4::As4Transport> {
    fed.node(index)
        .running()
        .state()
        .as4
        .as_ref()
        .expect("an AS4 access point")
}

fn credentials(ap: &AccessPoint) -> Credentials {
    Credentials::from_pem(&ap.issued.key_pem, &ap.issued.certificate_pem).expect("credentials")
}

/// A request in the OOTS header from the requester's access point to the provider's, carrying
/// `edm`, signed with `signer`.
fn user_message(
    setup: &Setup,
    signer: &Credentials,
    message_id: &str,
    edm: &[u8],
) -> once_as4::Sent {
    let header = OotsHeader {
        from_party: setup.requester_ap.party_id.clone(),
        to_party: setup.provider_ap.party_id.clone(),
        action: Action::ExecuteQueryRequest,
        conversation_id: uuid::Uuid::new_v4().to_string(),
        ref_to_message_id: None,
        original_sender: SchemedId {
            scheme: EAS_DE.into(),
            id: "04-elterngeld-01".into(),
        },
        final_recipient: SchemedId {
            scheme: EAS_DE.into(),
            id: "04011000-buergeramt-01".into(),
        },
        exchange_id: uuid::Uuid::new_v4().to_string(),
        specification_id: "oots-edm:v1.0".into(),
    }
    .to_user_message(message_id.to_owned(), OffsetDateTime::now_utc());
    let provider = Certificate::from_pem(&setup.provider_ap.issued.certificate_pem).expect("cert");
    send::user_message(
        &header,
        &[OutgoingPayload {
            content_id: "edm@test".into(),
            mime_type: once_as4::oots::EBRS_MIME_TYPE.into(),
            bytes: edm,
            compress: true,
        }],
        signer,
        &provider,
    )
    .expect("built")
}

/// Jürgen as an OOTS requester knows him.
fn juergen_abroad() -> Value {
    json!({"eidas_id": "AT/DE/7A9C3E21F", "level_of_assurance": "High",
           "family_name": "Müller-Lüdenscheidt", "given_name": "Jürgen",
           "date_of_birth": "1985-03-07"})
}

fn error_codes(outcome: &SignalOutcome) -> Vec<(String, String)> {
    match outcome {
        SignalOutcome::Errors { errors, .. } => errors
            .iter()
            .map(|e| (e.code.clone(), e.detail.clone().unwrap_or_default()))
            .collect(),
        SignalOutcome::Receipt { .. } => Vec::new(),
    }
}

#[actix_rt::test]
async fn evidence_crosses_between_access_points_over_as4() {
    let setup = Setup::start().await;
    let query = json!({
        "evidence_type": RESIDENCE,
        "subject": juergen_abroad(),
        "procedure": OOTS_PROCEDURE,
        "legal_basis": SR_REQUIREMENT,
        "provider": PROVIDER,
        "transport": "as4",
    });
    let (status, answer) = setup.ask(query.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["provider"], PROVIDER);
    assert_eq!(
        answer["evidence"]["person.family_name"], "Müller-Lüdenscheidt",
        "{answer}"
    );

    // Chosen from the partner table without being told.
    let mut implicit = query.clone();
    implicit
        .as_object_mut()
        .expect("object")
        .remove("transport");
    let (status, answer) = setup.ask(implicit).await;
    assert_eq!(status, 200, "{answer}");

    // A refusal crosses too: no access rule for this procedure.
    let mut refused = query.clone();
    refused["procedure"] = json!("T1");
    let (status, answer) = setup.ask(refused).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["edm_code"], "EDM:ERR:0002", "{answer}");

    // Every message, receipt and answer in both logs: per exchange the requester sent the
    // request, received its receipt, received the answer, sent its receipt; the provider
    // the mirror image.
    let kinds = |entries: &[(String, String, String, Vec<u8>)], direction: &str, kind: &str| {
        entries
            .iter()
            .filter(|(d, k, _, _)| d == direction && k == kind)
            .count()
    };
    // The answer's receipt goes out just after the answer is handed over; wait for it.
    let mut requester = setup.log(1).await;
    for _ in 0..50 {
        if kinds(&setup.log(0).await, "in", "receipt") == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    requester = if kinds(&requester, "out", "receipt") < 3 {
        setup.log(1).await
    } else {
        requester
    };
    let provider = setup.log(0).await;
    for (entries, out_kind, in_kind) in [
        (&requester, "request", "response"),
        (&provider, "response", "request"),
    ] {
        assert_eq!(kinds(entries, "out", out_kind), 3, "{entries:?}");
        assert_eq!(kinds(entries, "in", in_kind), 3);
        assert_eq!(kinds(entries, "out", "receipt"), 3);
        assert_eq!(kinds(entries, "in", "receipt"), 3);
    }
    let outcomes: Vec<&str> = provider
        .iter()
        .filter(|(d, k, _, _)| d == "out" && k == "response")
        .map(|(_, _, o, _)| o.as_str())
        .collect();
    assert_eq!(outcomes, ["evidence", "evidence", "EDM:ERR:0002"]);

    // The EDM documents inside the provider's AS4 messages pass the Commission's rules: opened
    // as the requester's access point opens them.
    let me = credentials(&setup.requester_ap);
    let partner = once_as4::Pinned(
        Certificate::from_pem(&setup.provider_ap.issued.certificate_pem).expect("cert"),
    );
    for (_, _, outcome, message) in provider
        .iter()
        .filter(|(d, k, _, _)| d == "out" && k == "response")
    {
        let content_type = content_type_of(message);
        let received = once_as4::receive::open(
            &content_type,
            message,
            &me,
            &partner,
            &once_as4::Limits::default(),
        )
        .expect("the logged answer opens");
        let edm = &received.payloads[0].bytes;
        let report = schematron::check(edm).expect("the Schematron check runs");
        // The refusal without preview meets the one documented defect of the 1.0 rules.
        let allowed: Vec<&str> = if outcome == "evidence" {
            Vec::new()
        } else {
            once_xml::profile::EDM_1_0_RULE_DEFECTS
                .iter()
                .map(|d| d.rule)
                .collect()
        };
        let unexpected: Vec<String> = report
            .errors()
            .filter(|e| !e.id.as_deref().is_some_and(|id| allowed.contains(&id)))
            .map(ToString::to_string)
            .collect();
        assert!(unexpected.is_empty(), "{outcome}: {unexpected:?}");
    }
    setup.fed.stop().await;
}

/// The eDelivery AS4 2.0 EC profile between nodes: the requester's access point has only an EC
/// P-256 key, the provider's keys of both suites; the exchange, its receipts and the answer are
/// all ECDSA-signed and ECDH-encrypted, and the application gets the same JSON.
#[actix_rt::test]
async fn evidence_crosses_with_the_ec_profile_to_a_node_with_keys_of_both_suites() {
    let setup = Setup::start_with(true).await;
    let (status, answer) = setup
        .ask(json!({
            "evidence_type": RESIDENCE,
            "subject": juergen_abroad(),
            "procedure": OOTS_PROCEDURE,
            "legal_basis": SR_REQUIREMENT,
            "provider": PROVIDER,
            "transport": "as4",
        }))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["evidence"]["person.family_name"], "Müller-Lüdenscheidt",
        "{answer}"
    );
    let provider = setup.log(0).await;
    let logged = |direction: &str, kind: &str| -> String {
        let (_, _, _, message) = provider
            .iter()
            .find(|(d, k, _, _)| d == direction && k == kind)
            .unwrap_or_else(|| panic!("a logged {direction} {kind}: {provider:?}"));
        String::from_utf8_lossy(message).into_owned()
    };
    for (direction, kind) in [("in", "request"), ("out", "response"), ("out", "receipt")] {
        let message = logged(direction, kind);
        assert!(
            message.contains("xmldsig-more#ecdsa-sha256") && !message.contains("rsa-sha256"),
            "{direction} {kind} is ECDSA-signed: {message}"
        );
    }
    let answer_sent = logged("out", "response");
    assert!(answer_sent.contains("xmlenc11#ECDH-ES") && !answer_sent.contains("rsa-oaep"));

    // The requester's node opens the provider's answer with its EC key; the RSA-only key of a
    // node without `ec_key` could not.
    let requester_only_rsa = setup.pki.access_point("AP_DE_HB_03").expect("ap");
    let refused = once_as4::receive::open(
        &content_type_of(answer_sent.as_bytes()),
        answer_sent.as_bytes(),
        &credentials(&requester_only_rsa),
        &once_as4::Pinned(
            Certificate::from_pem(&setup.provider_ec.issued.certificate_pem).expect("cert"),
        ),
        &once_as4::Limits::default(),
    )
    .expect_err("no EC key");
    assert_eq!(refused.code, EbmsCode::PolicyNoncompliance, "{refused}");
    setup.fed.stop().await;
}

/// The `Content-Type` of a logged AS4 message (its boundary from the first line).
fn content_type_of(message: &[u8]) -> String {
    let boundary = logged_boundary(message);
    format!("multipart/related; type=\"application/soap+xml\"; boundary=\"{boundary}\"")
}

#[actix_rt::test]
async fn the_endpoint_refuses_replays_strangers_and_tampering() {
    let setup = Setup::start().await;
    let edm = b"<query:QueryRequest xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:4.0\" id=\"x\"/>";
    let signer = credentials(&setup.requester_ap);
    let id = send::message_id("requester.test");
    let first = user_message(&setup, &signer, &id, edm);
    assert!(
        matches!(setup.post(&first).await, SignalOutcome::Receipt { .. }),
        "the first arrival is acknowledged"
    );
    // The same message again: not delivered twice, refused as a duplicate.
    let again = error_codes(&setup.post(&first).await);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].0, "EBMS:0004");
    assert!(again[0].1.starts_with("duplicate"), "{again:?}");
    // Another message under the same MessageId.
    let other = user_message(&setup, &signer, &id, b"<other/>");
    let conflict = error_codes(&setup.post(&other).await);
    assert_eq!(conflict[0].0, "EBMS:0004");
    assert!(conflict[0].1.contains("other content"), "{conflict:?}");

    // A stranger: a key of the same PKI, but not the partner's.
    let stranger = setup.pki.access_point("AP_STRANGER").expect("ap");
    let forged = user_message(
        &setup,
        &credentials(&stranger),
        &send::message_id("x.test"),
        edm,
    );
    let refused = error_codes(&setup.post(&forged).await);
    assert_eq!(
        refused[0].0,
        EbmsCode::FailedAuthentication.code(),
        "{refused:?}"
    );

    // A tampered attachment.
    let mut tampered = user_message(&setup, &signer, &send::message_id("x.test"), edm);
    let end = tampered
        .body
        .windows(4)
        .rposition(|w| w == b"\r\n--")
        .expect("the closing boundary");
    tampered.body[end - 5] ^= 0x01;
    let refused = error_codes(&setup.post(&tampered).await);
    assert_eq!(
        refused[0].0,
        EbmsCode::FailedDecryption.code(),
        "{refused:?}"
    );

    // Every refusal was logged as a signal sent.
    let signals = setup
        .log(0)
        .await
        .into_iter()
        .filter(|(d, k, _, _)| d == "out" && k == "signal")
        .count();
    assert_eq!(signals, 4);

    // A partner certificate from another PKI is not accepted.
    let other_dir = tempfile::tempdir().expect("dir");
    let other = As4Pki::new(other_dir.path()).expect("pki");
    let outsider = other.access_point("AP_OTHER").expect("ap");
    let refused = check_certificate(&outsider.issued.certificate_pem, &setup.pki.trust_store())
        .expect_err("not in the trust store");
    assert!(refused.contains("does not chain"), "{refused}");
    check_certificate(
        &setup.requester_ap.issued.certificate_pem,
        &setup.pki.trust_store(),
    )
    .expect("a partner of the PKI");
    let _ = setup.pki.ca_pem();
    setup.fed.stop().await;
}

/// The referee script of once-as4 (the PyPI package `as4` with an OOTS profile on it).
fn referee_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../as4/tests/referee/oots_as4.py")
}

/// An OOTS request from [`REQUESTER`] (agent `04-elterngeld-01`) to [`PROVIDER`] for
/// Jürgen's residence certificate, as written in the `oots` profile.
fn oots_request() -> Vec<u8> {
    use once_node::config::Profile;
    use once_node::exchange::Identity;
    use once_node::exchange::dialect::Dialect;
    use once_node::exchange::requester::EvidenceQuery;
    let dialect = Dialect::new(
        Identity {
            member: REQUESTER.parse().expect("member"),
            name: "Elterngeldstelle".into(),
        },
        Some(oots_config("04-elterngeld-01")),
        Profile::Oots,
    );
    let query: EvidenceQuery = serde_json::from_value(json!({
        "evidence_type": RESIDENCE,
        "subject": juergen_abroad(),
        "procedure": OOTS_PROCEDURE,
        "legal_basis": SR_REQUIREMENT,
    }))
    .expect("query");
    query
        .check()
        .expect("checked")
        .to_request(
            &dialect,
            once_xml::Profile::Oots,
            &PROVIDER.parse().expect("member"),
            None,
        )
        .expect("request")
        .try_to_xml_as(once_xml::Profile::Oots)
        .expect("xml")
        .into_bytes()
}

/// The independent AS4 implementation and the node, both directions: Python sends a signed
/// and encrypted OOTS request to the provider's node and verifies its receipt; the node answers
/// through the same access rules and pushes the evidence to Python's endpoint, which opens it,
/// checks its header against the ebMS3 XSD and answers with its own receipt, which the node
/// verifies and logs. Python's tampered, unencrypted, foreign-signed and replayed messages are
/// refused with their ebMS codes.
#[actix_rt::test]
async fn the_independent_access_point_exchanges_with_the_node() {
    let Setup {
        mut fed,
        pki,
        provider_ap,
        _dir,
        ..
    } = Setup::start().await;
    let python_port = once_tests::free_port();
    let python = pki.access_point("AP_AT_01").expect("ap");
    let python_url = format!("https://localhost:{python_port}/as4");
    // Python speaks for the requester's authority here, in place of the requester's node.
    db::run(&fed.node(0).pool(), |conn| {
        once_node::db::as4::remove_partner(conn, "AP_DE_HB_02")
    })
    .await
    .expect("removed");
    add_partner(&fed.node(0).pool(), &python, REQUESTER, &python_url)
        .await
        .expect("partner");
    as4_of(&fed, 0)
        .partners()
        .refresh()
        .await
        .expect("refreshed");
    // Python's HTTPS endpoint has a certificate the node trusts.
    let tls = fed
        .issue("AT:GOV:referee", "referee")
        .expect("TLS certificate");
    let fed_tls = fed.ca_pem_path();
    let dir = tempfile::tempdir().expect("dir");
    let files = dir.path();
    let payload = files.join("request.xml");
    std::fs::write(&payload, oots_request()).expect("written");
    let run = |mode: &str, tamper: Option<&str>, signer: &AccessPoint| {
        let out = files.join(format!("out-{mode}-{}", tamper.unwrap_or("none")));
        std::fs::create_dir_all(&out).expect("dir");
        let mut command = std::process::Command::new("python3");
        command
            .arg(referee_script())
            .arg(mode)
            .args(["--url", &provider_ap.url()])
            .arg("--ca")
            .arg(&fed_tls)
            .arg("--payload")
            .arg(&payload)
            .args(["--party", "AP_AT_01", "--partner-party", "AP_DE_HB_01"])
            .args(["--original-sender", &format!("{EAS_DE},04-elterngeld-01")])
            .args([
                "--final-recipient",
                &format!("{EAS_DE},04011000-buergeramt-01"),
            ])
            .arg("--key")
            .arg(&signer.key)
            .arg("--cert")
            .arg(&signer.certificate)
            .arg("--partner-cert")
            .arg(&provider_ap.certificate);
        if mode == "ask" {
            command
                .args(["--port", &python_port.to_string(), "--timeout", "30"])
                .arg("--schema")
                .arg(
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../as4/schemas/envelope-check.xsd"),
                )
                .arg("--out")
                .arg(&out)
                .arg("--tls-cert")
                .arg(tls.join(once_pki::ca::node_files::TLS_CERT))
                .arg("--tls-key")
                .arg(tls.join(once_pki::ca::node_files::TLS_KEY));
        }
        if let Some(tamper) = tamper {
            command.args(["--tamper", tamper]);
        }
        (command, out)
    };
    // The whole exchange, run off the test's thread (the node serves on this runtime).
    let (mut command, out) = run("ask", None, &python);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joined")
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(result["request"]["receipt"], true, "{result}");
    let answer = &result["answer"];
    assert_eq!(answer["successful"], true, "{result}");
    assert_eq!(answer["action"], "ExecuteQueryResponse", "{result}");
    assert_eq!(answer["header_valid"], true, "{result}");
    assert_eq!(answer["ref_to_message_id"], result["request"]["message_id"]);
    assert_eq!(
        answer["payloads"].as_array().map(Vec::len),
        Some(2),
        "{result}"
    );
    let edm = std::fs::read(out.join("payload-0")).expect("the EDM answer");
    let report = schematron::check(&edm).expect("the Schematron check runs");
    let errors: Vec<String> = report.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The node verified Python's receipt for its answer and logged it.
    let mut logged = Vec::new();
    for _ in 0..50 {
        logged = db::run(&fed.node(0).pool(), |conn| {
            log::entries_after(conn, 0, 1000)
        })
        .await
        .expect("entries");
        if logged
            .iter()
            .any(|e| e.direction == "in" && e.kind == "receipt" && e.outcome == "receipt")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        logged
            .iter()
            .any(|e| e.direction == "in" && e.kind == "receipt" && e.outcome == "receipt"),
        "python's receipt verified and logged"
    );

    // Refusals, each with its ebMS code.
    let stranger = pki.access_point("AP_STRANGER").expect("ap");
    for (tamper, signer, code) in [
        (Some("attachment"), &python, "EBMS:0102"),
        (Some("unencrypted"), &python, "EBMS:0103"),
        (None, &stranger, "EBMS:0101"),
        (Some("replay"), &python, "EBMS:0004"),
    ] {
        let (mut command, _) = run("send", tamper, signer);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("joined")
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let result: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
            panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr))
        });
        assert_eq!(result["error"], code, "{tamper:?}: {result}");
        if tamper == Some("replay") {
            assert_eq!(result["first"]["receipt"], true, "{result}");
            assert!(
                result["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("duplicate")),
                "{result}"
            );
        }
    }
    fed.stop().await;
}
