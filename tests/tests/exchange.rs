//! The evidence exchange end to end: a requester and a provider on loopback with real mutual
//! TLS, driven through the requester's JSON API, on SQLite and on PostgreSQL. Success, not found,
//! ambiguous, no access rule, spoofed requester, replay, stale IssueDateTime, the preview flow
//! (refuse and approve), provider down, providers answering with a bad signature, garbage, nothing
//! or a connection reset halfway through the answer; then the
//! transfer record and the message logs of both sides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use once_node::config::{PreviewConfig, ProviderConfig};
use once_node::db::{self, log};
use once_node::exchange::checkpoint;
use once_node::exchange::transport::Sealed;
use once_tests::exchange::{
    JUERGEN, LEGAL_BASIS, PROCEDURE, PROVIDER, REQUESTER, RESIDENCE, api_key, bremen_provider,
    browser, juergen, juergen_request, member_client, member_signer, seal, start_provider,
};
use once_tests::fake::{self, Misbehaviour};
use once_tests::{Backend, TestFederation, free_port};
use once_xml::multipart;
use once_xml::response::Response;
use serde_json::{Value, json};

const INTRUDER: &str = "DE-NI:KOMMUNE:03241001";

struct Setup {
    fed: TestFederation,
    requester_key: String,
    provider_key: String,
    http: reqwest::Client,
}

impl Setup {
    async fn start(backend: Backend) -> Setup {
        let preview_port = free_port();
        let mut fed = start_provider(TestFederation::builder().backend(backend).configure(
            move |c| {
                c.preview = Some(PreviewConfig {
                    listen: SocketAddr::from(([127, 0, 0, 1], preview_port)),
                    public_url: format!("https://localhost:{preview_port}"),
                    ttl_seconds: 600,
                    max_attempts: 3,
                    simulated_mailbox: true,
                });
            },
        ))
        .await
        .expect("provider");
        let provider_pool = fed.node(0).pool();
        let provider_url = fed.node(0).peer_url();
        let dead_port = free_port();
        // Fake providers for Bremerhaven districts: one tampers with its signed answers, one
        // signs with another member's key, one answers garbage, one never answers.
        let intruder_dir = fed.issue(INTRUDER, "intruder").expect("issue");
        let mut fakes = Vec::new();
        for (n, misbehaviour) in [
            Misbehaviour::TamperedSignature,
            Misbehaviour::ForeignSigner,
            Misbehaviour::Garbage,
            Misbehaviour::Hang,
            Misbehaviour::ResetMidResponse,
        ]
        .into_iter()
        .enumerate()
        {
            let member = format!("DE-HB:KOMMUNE:0401200{}", n + 1);
            let dir = fed.issue(&member, &format!("fake{n}")).expect("issue");
            let signer_dir = if misbehaviour == Misbehaviour::ForeignSigner {
                &intruder_dir
            } else {
                &dir
            };
            let url = fake::start(
                &member,
                &dir,
                member_signer(signer_dir).expect("signer"),
                misbehaviour,
            )
            .expect("fake provider");
            fakes.push(ProviderConfig {
                member: member.parse().expect("member"),
                name: None,
                url,
                evidence_types: vec![RESIDENCE.into()],
                jurisdictions: vec![format!("0401200{}", n + 1)],
                tls_fingerprint: None,
                profile: None,
            });
        }
        fed.add_member(REQUESTER, move |c| {
            c.exchange.request_timeout_ms = 3000;
            c.providers = fakes.clone();
            c.providers.extend([
                ProviderConfig {
                    name: Some("Bürgeramt Bremen".into()),
                    ..bremen_provider(provider_url.clone())
                },
                // A provider for Bremerhaven that is down.
                ProviderConfig {
                    member: "DE-HB:KOMMUNE:04012000".parse().expect("member"),
                    name: None,
                    url: format!("https://localhost:{dead_port}"),
                    evidence_types: vec![RESIDENCE.into()],
                    jurisdictions: vec!["04012000".into()],
                    tls_fingerprint: None,
                    profile: None,
                },
            ]);
        })
        .await
        .expect("requester");
        let requester_key = api_key(&fed.node(1).pool(), "elterngeld-app")
            .await
            .expect("key");
        let provider_key = api_key(&provider_pool, "buergerbuero").await.expect("key");
        let http = browser(&fed.ca_pem_path()).expect("client");
        Setup {
            fed,
            requester_key,
            provider_key,
            http,
        }
    }

    async fn ask(&self, body: Value) -> (u16, Value) {
        let url = format!("{}/v1/evidence-requests", self.fed.node(1).app_url());
        let response = self
            .http
            .post(url)
            .bearer_auth(&self.requester_key)
            .json(&body)
            .send()
            .await
            .expect("requester answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    async fn provider_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.fed.node(0).app_url());
        self.http
            .get(url)
            .bearer_auth(&self.provider_key)
            .send()
            .await
            .expect("provider answers")
            .json()
            .await
            .expect("JSON")
    }
}

fn query(subject: Value) -> Value {
    json!({
        "evidence_type": RESIDENCE,
        "subject": subject,
        "procedure": PROCEDURE,
        "legal_basis": LEGAL_BASIS,
        "jurisdiction": "04011000",
    })
}

/// Posts a sealed request to the provider's peer endpoint as the member whose files are in
/// `dir`, and reads the ebRS answer.
async fn post_raw(
    fed: &TestFederation,
    client_dir: &std::path::Path,
    sealed: Sealed,
) -> (u16, Option<Response>) {
    let client = member_client(client_dir).expect("client");
    let response = client
        .post(format!("{}/v1/exchange", fed.node(0).peer_url()))
        .header("content-type", sealed.content_type)
        .body(sealed.body)
        .send()
        .await
        .expect("provider answers");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response.bytes().await.expect("body");
    let parsed = multipart::parse(&content_type, &bytes, &Default::default())
        .ok()
        .and_then(|m| Response::from_xml(m.root().body, &Default::default()).ok());
    (status, parsed)
}

/// Checks one logged envelope with xmlsec1 (its detached signature with every part mapped, and
/// again after a one-byte change in each part, which must fail; an evidence part's own
/// signature); returns the files of its EDM document and evidence parts, for xmllint.
fn check_logged_envelope(dir: &Path, message: &[u8], ca: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("dir");
    let content_type = multipart_type(message);
    let parts = multipart::parse(&content_type, message, &Default::default())
        .expect("a logged message is multipart");
    let mut files = Vec::new();
    let mut signature = None;
    for part in parts.parts() {
        let file = dir.join(part.content_id);
        std::fs::write(&file, part.body).expect("write");
        if part.content_id == "signature@once" {
            signature = Some(file);
        } else {
            files.push((part.content_id.to_owned(), file));
        }
    }
    let signature = signature.expect("a signature part");
    let xmlsec = |files: &[(String, PathBuf)]| {
        let mut command = std::process::Command::new("xmlsec1");
        command.args(["--verify", "--trusted-pem"]).arg(ca);
        for (id, file) in files {
            command.arg(format!("--url-map:cid:{id}")).arg(file);
        }
        command.arg(&signature).output().expect("xmlsec1 runs")
    };
    let verified = xmlsec(&files);
    assert!(
        verified.status.success(),
        "{}: {}",
        signature.display(),
        String::from_utf8_lossy(&verified.stderr)
    );
    for (n, (id, file)) in files.iter().enumerate() {
        let mut changed = std::fs::read(file).expect("part");
        let middle = changed.len() / 2;
        changed[middle] ^= 1;
        let copy = dir.join(format!("changed-{n}"));
        std::fs::write(&copy, &changed).expect("write");
        let mut with_change = files.clone();
        with_change[n] = (id.clone(), copy);
        assert!(
            !xmlsec(&with_change).status.success(),
            "xmlsec1 accepted {} with a changed byte in {id}",
            signature.display()
        );
        if id.starts_with("evidence") {
            let own = std::process::Command::new("xmlsec1")
                .args(["--verify", "--trusted-pem"])
                .arg(ca)
                .arg(file)
                .output()
                .expect("xmlsec1 runs");
            assert!(
                own.status.success(),
                "{}",
                String::from_utf8_lossy(&own.stderr)
            );
        }
    }
    files.into_iter().map(|(_, file)| file).collect()
}

/// The Content-Type a logged multipart message was sent with (from its first boundary line).
fn multipart_type(message: &[u8]) -> String {
    let boundary = once_tests::exchange::logged_boundary(message);
    format!(
        "multipart/related; type=\"application/xml\"; boundary=\"{boundary}\"; start=\"<message@once>\""
    )
}

fn exception(answer: &Option<Response>) -> (String, Option<String>, String) {
    match answer {
        Some(Response::Error(e)) => (
            e.exception.code.code().to_owned(),
            e.exception.reason.clone(),
            e.exception.detail.clone(),
        ),
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn exchange_end_to_end(backend: Backend) {
    let setup = Setup::start(backend).await;

    // Success by identification number.
    let (status, answer) = setup.ask(query(juergen())).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "evidence");
    assert_eq!(answer["provider"], PROVIDER);
    assert_eq!(
        answer["evidence"]["person.family_name"], "Müller-Lüdenscheidt",
        "{answer}"
    );
    assert_eq!(
        answer["evidence"]["address.municipality.key"], "04011000",
        "{answer}"
    );
    let evidence_xml = answer["evidence_xml"].as_str().expect("xml");
    assert!(
        evidence_xml.contains("<ds:SignatureValue>"),
        "the evidence is signed"
    );
    let saved = setup.fed.dir().join("evidence.xml");
    std::fs::write(&saved, evidence_xml).expect("write");
    let verified = std::process::Command::new("xmlsec1")
        .args(["--verify", "--trusted-pem"])
        .arg(setup.fed.ca_pem_path())
        .arg(&saved)
        .output()
        .expect("xmlsec1 runs");
    assert!(
        verified.status.success(),
        "xmlsec1 refuses the evidence as received: {}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // Success by name and date of birth, normalised.
    let (status, answer) = setup
        .ask(query(json!({"family_name": "MUELLER LUEDENSCHEIDT", "given_name": "juergen", "date_of_birth": "1985-03-07"})))
        .await;
    assert_eq!(status, 200, "{answer}");

    // Not found.
    let (status, answer) = setup
        .ask(query(json!({"tax_id": "91827364513", "family_name": "Nobody", "given_name": "Nemo", "date_of_birth": "1970-01-01"})))
        .await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "provider_refused");
    assert_eq!(answer["error"]["edm_code"], "EDM:ERR:0004");
    assert_eq!(answer["error"]["provider"], PROVIDER);
    assert!(answer["error"]["request_id"].is_string(), "{answer}");
    assert_eq!(answer["error"]["reason"], "SubjectNotFound");

    // Identification number of one person, date of birth of another: never the wrong person.
    let (status, answer) = setup
        .ask(query(json!({"tax_id": JUERGEN, "family_name": "Schmidt", "given_name": "Anna", "date_of_birth": "1990-12-31"})))
        .await;
    assert_eq!(status, 404, "{answer}");

    // Ambiguous: two Anna Schmidt born the same day.
    let (status, answer) = setup
        .ask(query(
            json!({"family_name": "Schmidt", "given_name": "Anna", "date_of_birth": "1990-12-31"}),
        ))
        .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["reason"], "AmbiguousSubject");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("identification number")),
        "{answer}"
    );

    // No access rule for this procedure.
    let mut other_procedure = query(juergen());
    other_procedure["procedure"] = json!("Wohngeld");
    let (status, answer) = setup.ask(other_procedure).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["error"]["code"], "provider_refused");
    assert_eq!(answer["error"]["edm_code"], "EDM:ERR:0002");
    assert_eq!(answer["error"]["reason"], "NoAccessRule");

    // Bad input gets a clear error before anything is sent.
    let mut bad = query(juergen());
    bad["subject"]["tax_id"] = json!("65929970488");
    let (status, answer) = setup.ask(bad).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("check digit"),
        "{answer}"
    );
    let (status, answer) = setup.ask(json!({"evidence_type": RESIDENCE})).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_request");
    // Characters XML 1.0 does not allow, anywhere that goes into the request: a 400 naming the
    // field and the character, never a 500.
    for (field, character) in [
        ("family_name", '\u{1}'),
        ("given_name", '\u{b}'),
        ("procedure", '\u{0}'),
        ("legal_basis", '\u{fffe}'),
    ] {
        let mut bad = query(juergen());
        let target = if field.ends_with("_name") {
            &mut bad["subject"][field]
        } else {
            &mut bad[field]
        };
        *target = json!(format!("A{character}B"));
        let (status, answer) = setup.ask(bad).await;
        assert_eq!(status, 400, "{field}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        let named = format!("U+{:04X}", u32::from(character));
        assert!(
            message.contains(field) && message.contains(&named),
            "{field}: {message}"
        );
    }

    let requester_dir = setup.fed.node(1).dir.clone();
    let requester_signer = member_signer(&requester_dir).expect("signer");

    // Spoofed requester: a member signs and sends a request that names another requester.
    let intruder_dir = setup.fed.dir().join("intruder");
    let intruder_signer = member_signer(&intruder_dir).expect("signer");
    let spoofed = juergen_request(REQUESTER, PROVIDER);
    let (status, answer) = post_raw(
        &setup.fed,
        &intruder_dir,
        seal(&intruder_signer, INTRUDER, &spoofed),
    )
    .await;
    assert_eq!(status, 200);
    let (code, reason, _) = exception(&answer);
    assert_eq!(
        (code.as_str(), reason.as_deref()),
        ("EDM:ERR:0001", Some("RequesterMismatch"))
    );
    // The right requester's signature, sent over another member's connection.
    let borrowed = juergen_request(REQUESTER, PROVIDER);
    let (_, answer) = post_raw(
        &setup.fed,
        &intruder_dir,
        seal(&requester_signer, REQUESTER, &borrowed),
    )
    .await;
    let (code, _, detail) = exception(&answer);
    assert_eq!(code, "EDM:ERR:0001", "{detail}");
    assert!(detail.contains("signed by"), "{detail}");

    // Replay: the same signed request twice.
    let once = seal(
        &requester_signer,
        REQUESTER,
        &juergen_request(REQUESTER, PROVIDER),
    );
    let (_, first) = post_raw(&setup.fed, &requester_dir, once.clone()).await;
    assert!(matches!(first, Some(Response::Evidence(_))), "{first:?}");
    let (_, second) = post_raw(&setup.fed, &requester_dir, once).await;
    let (code, reason, _) = exception(&second);
    assert_eq!(
        (code.as_str(), reason.as_deref()),
        ("EDM:ERR:0003", Some("Replay"))
    );

    // Stale IssueDateTime.
    let mut stale = juergen_request(REQUESTER, PROVIDER);
    stale.issue_date_time -= time::Duration::minutes(30);
    let (_, answer) = post_raw(
        &setup.fed,
        &requester_dir,
        seal(&requester_signer, REQUESTER, &stale),
    )
    .await;
    let (code, reason, _) = exception(&answer);
    assert_eq!(
        (code.as_str(), reason.as_deref()),
        ("EDM:ERR:0003", Some("StaleIssueDateTime"))
    );

    // Preview: refused, then approved.
    for approve in [false, true] {
        let mut with_preview = query(juergen());
        with_preview["preview"] = json!(true);
        let (status, answer) = setup.ask(with_preview.clone()).await;
        assert_eq!(status, 202, "{answer}");
        assert_eq!(answer["status"], "preview_required");
        assert_eq!(answer["code"], "EDM:ERR:0002");
        let location = answer["preview_location"]
            .as_str()
            .expect("location")
            .to_owned();
        // Sent again before the person decided: still waiting.
        let mut again = with_preview.clone();
        again["preview_location"] = json!(location);
        let (status, answer) = setup.ask(again.clone()).await;
        assert_eq!(status, 202, "{answer}");

        let page = setup
            .http
            .get(&location)
            .send()
            .await
            .expect("preview page");
        assert_eq!(page.status(), 200);
        assert!(page.text().await.expect("html").contains("one-time code"));
        // A wrong code first.
        let wrong = setup
            .http
            .post(format!("{location}/code"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("code={}", "00000000x"))
            .send()
            .await
            .expect("code");
        assert!(wrong.text().await.expect("html").contains("wrong-code"));
        let mailbox = setup
            .provider_get(&format!("/v1/preview-mailbox?subject={JUERGEN}"))
            .await;
        let preview_id = location.rsplit('/').next().expect("id");
        let code = mailbox["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|m| m["preview_id"] == preview_id))
            .and_then(|m| m["code"].as_str())
            .unwrap_or_else(|| panic!("no code for {preview_id} in {mailbox}"))
            .to_owned();
        let shown = setup
            .http
            .post(format!("{location}/code"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("code={code}"))
            .send()
            .await
            .expect("code");
        let headers = shown.headers().clone();
        let cookie = headers
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(ToOwned::to_owned);
        let html = shown.text().await.expect("html");
        let cookie = cookie.unwrap_or_else(|| panic!("no session cookie; page: {html}"));
        assert!(
            html.contains("Müller-Lüdenscheidt"),
            "the person sees the evidence: {html}"
        );
        // Without the session, nobody else can decide.
        let stranger = setup
            .http
            .post(format!("{location}/decision"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("decision={}", "approve"))
            .send()
            .await
            .expect("decision");
        assert!(
            !stranger
                .text()
                .await
                .expect("html")
                .contains("id=\"decided\"")
        );
        let decided = setup
            .http
            .post(format!("{location}/decision"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "decision={}",
                if approve { "approve" } else { "refuse" }
            ))
            .send()
            .await
            .expect("decision");
        assert!(
            decided
                .text()
                .await
                .expect("html")
                .contains("id=\"decided\"")
        );

        let (status, answer) = setup.ask(again.clone()).await;
        if approve {
            assert_eq!(status, 200, "{answer}");
            assert_eq!(
                answer["evidence"]["person.given_names"], "Jürgen",
                "{answer}"
            );
            // A preview is used once.
            let (status, answer) = setup.ask(again).await;
            assert_eq!(status, 422, "{answer}");
        } else {
            assert_eq!(status, 403, "{answer}");
            assert_eq!(answer["error"]["reason"], "PreviewRefused");
        }
    }

    // Provider down: a clear error well within the timeout.
    let mut bremerhaven = query(juergen());
    bremerhaven["jurisdiction"] = json!("04012000");
    let started = Instant::now();
    let (status, answer) = setup.ask(bremerhaven).await;
    assert_eq!(status, 502, "{answer}");
    assert_eq!(answer["error"]["code"], "provider_unreachable", "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Providers that answer wrongly: each a distinct, clear error, within the timeout.
    for (place, status, code, says) in [
        (
            "04012001",
            502,
            "provider_bad_signature",
            "changed after signing",
        ),
        (
            "04012002",
            502,
            "provider_bad_signature",
            "signed by DE-NI:KOMMUNE:03241001",
        ),
        (
            "04012003",
            502,
            "provider_malformed_answer",
            "not multipart/related",
        ),
        (
            "04012004",
            504,
            "provider_timeout",
            "did not answer within 3000 ms",
        ),
        (
            "04012005",
            502,
            "provider_connection_lost",
            "broke while its answer arrived",
        ),
    ] {
        let mut to_fake = query(juergen());
        to_fake["jurisdiction"] = json!(place);
        let started = Instant::now();
        let (got, answer) = setup.ask(to_fake).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{place}: {answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{place}: {message}");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{place} took {:?}",
            started.elapsed()
        );
    }

    // No provider for a place.
    let mut nowhere = query(juergen());
    nowhere["jurisdiction"] = json!("09162000");
    let (status, answer) = setup.ask(nowhere).await;
    assert_eq!(status, 404, "{answer}");
    assert_eq!(answer["error"]["code"], "no_provider");

    // The citizen's transfer record at the provider.
    let record = setup
        .provider_get(&format!("/v1/transfers?subject={JUERGEN}"))
        .await;
    let transfers = record["transfers"].as_array().expect("transfers");
    assert!(transfers.len() >= 4, "{record}");
    assert!(
        transfers.iter().all(|t| t["recipient"] == REQUESTER
            && t["evidence_type"] == RESIDENCE
            && t["procedure"] == PROCEDURE
            && t["legal_basis"] == LEGAL_BASIS),
        "{record}"
    );
    let nobody = setup
        .provider_get("/v1/transfers?subject=47036892816")
        .await;
    assert_eq!(nobody["transfers"], json!([]));

    // Both logs are intact chains whose signed checkpoints verify.
    for index in [0, 1] {
        let node = setup.fed.node(index);
        let state = node.running().state();
        state.logbook.checkpoint().await.expect("checkpoint");
        let member = node.member.clone();
        let roots = state.credentials.load().ca_certs.clone();
        let report = db::run(&state.pool, move |conn| {
            log::verify(conn, &|c| checkpoint::verify(c, &member, &roots))
        })
        .await
        .expect("verify");
        assert_eq!(report.broken, None, "log of {}", node.member);
        assert!(report.entries >= 10, "{report:?}");
        assert_eq!(report.checkpoints, 1);
    }
    // Every message the nodes sent, as logged: its EDM document and evidence validate against the
    // XSDs (xmllint), its envelope's detached signature verifies with xmlsec1 and fails after a
    // one-byte change, and each evidence document's own signature verifies with xmlsec1.
    let out = setup.fed.dir().join("produced");
    std::fs::create_dir_all(&out).expect("dir");
    let mut documents = Vec::new();
    let mut envelopes = 0;
    for index in [0, 1] {
        let pool = setup.fed.node(index).pool();
        let entries = db::run(&pool, |conn| log::entries_after(conn, 0, 1000))
            .await
            .expect("entries");
        for entry in entries.iter().filter(|e| e.direction == "out") {
            let dir = out.join(format!("{index}-{}", entry.seq));
            documents.extend(check_logged_envelope(
                &dir,
                &entry.message,
                &setup.fed.ca_pem_path(),
            ));
            envelopes += 1;
        }
    }
    assert!(envelopes >= 15, "{envelopes} messages");
    let schema = once_xml::schema_dir().join("once-exchange.xsd");
    let valid = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .args(&documents)
        .output()
        .expect("xmllint runs");
    assert!(
        valid.status.success(),
        "{}",
        String::from_utf8_lossy(&valid.stderr)
    );
    setup.fed.stop().await;
}

#[actix_rt::test]
async fn exchange_on_sqlite() {
    exchange_end_to_end(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn exchange_on_postgres() {
    exchange_end_to_end(Backend::Postgres).await;
}
