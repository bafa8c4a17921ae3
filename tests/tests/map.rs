//! The register map with nodes: three nodes publish signed descriptors; the requester discovers
//! the provider for a municipality key and a state-level register, gets the additional-input
//! answer where the place is missing, keeps working from its cache with the map stopped, and a
//! descriptor signed by another member is refused. On SQLite and PostgreSQL.

use std::net::SocketAddr;
use std::time::Duration;

use once_node::config::MapClientConfig;
use once_tests::exchange::{
    INCOME, LEGAL_BASIS, PROCEDURE, RESIDENCE, api_key, browser, income_register, juergen,
    member_client, member_signer, population_register,
};
use once_tests::{Backend, TestFederation, free_port};
use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::discovery::DiscoveryOutcome;
use once_xml::dsig::Placement;
use once_xml::level::Level;
use serde_json::{Value, json};

const MUNICIPAL: &str = "DE-HB:KOMMUNE:04011000";
const STATE: &str = "DE-HB:LAND:finanzamt";
const REQUESTER: &str = "DE-HB:LAND:elterngeld";

fn map_client(fed: &TestFederation, port: u16) -> MapClientConfig {
    MapClientConfig {
        url: fed.map().api_url(),
        member: fed.map().member.clone(),
        peer_url: format!("https://localhost:{port}"),
        publish: false,
        cache_seconds: 1,
        report_seconds: 0,
        republish_seconds: 3600,
    }
}

async fn add_node(fed: &mut TestFederation, member: &str) {
    let port = free_port();
    let map = map_client(fed, port);
    fed.add_member(member, move |c| {
        c.peer.listen = SocketAddr::from(([127, 0, 0, 1], port));
        c.map = Some(map.clone());
    })
    .await
    .expect("node");
}

async fn ask(fed: &TestFederation, key: &str, body: Value) -> (u16, Value) {
    let http = browser(&fed.ca_pem_path()).expect("client");
    let response = http
        .post(format!("{}/v1/evidence-requests", fed.node(2).app_url()))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

fn query(evidence_type: &str, jurisdiction: Option<&str>) -> Value {
    let mut q = json!({
        "evidence_type": evidence_type,
        "subject": juergen(),
        "procedure": PROCEDURE,
        "legal_basis": LEGAL_BASIS,
    });
    if let Some(j) = jurisdiction {
        q["jurisdiction"] = json!(j);
    }
    q
}

async fn map_with_nodes(backend: Backend) {
    let mut fed = TestFederation::builder()
        .backend(backend)
        .start()
        .await
        .expect("federation");
    fed.start_map().await.expect("map");
    add_node(&mut fed, MUNICIPAL).await;
    add_node(&mut fed, STATE).await;
    add_node(&mut fed, REQUESTER).await;
    population_register(&fed.node(0).pool(), REQUESTER)
        .await
        .expect("register");
    income_register(&fed.node(1).pool(), REQUESTER)
        .await
        .expect("register");
    for index in 0..3 {
        let published = fed
            .node(index)
            .running()
            .publish()
            .await
            .expect("published");
        assert_eq!(published, usize::from(index < 2), "node {index}");
    }
    let catalogue = fed.map().running().state().catalogue.load();
    assert_eq!(catalogue.registers().len(), 2);
    assert!(catalogue.registers().iter().all(|r| r.connected));
    assert!(
        catalogue.member(REQUESTER).is_some(),
        "a node without registers is a member too"
    );

    // Discovery by the requester's client: municipality first, then the state register.
    let discovery = fed
        .node(2)
        .running()
        .state()
        .requester
        .discovery()
        .cloned()
        .expect("discovery");
    let answer = discovery
        .providers(RESIDENCE, Some("04011000"))
        .await
        .expect("answer");
    let DiscoveryOutcome::Providers(found) = &answer.outcome else {
        panic!("{answer:?}");
    };
    assert_eq!(found[0].member, MUNICIPAL);
    assert_eq!(found[0].match_level, Level::Municipality);
    let answer = discovery
        .providers(INCOME, Some("040110000000"))
        .await
        .expect("answer");
    let DiscoveryOutcome::Providers(found) = &answer.outcome else {
        panic!("{answer:?}");
    };
    assert_eq!(
        (found[0].member.as_str(), found[0].match_level),
        (STATE, Level::State)
    );

    // The whole exchange through discovery, no static provider table.
    let key = api_key(&fed.node(2).pool(), "app").await.expect("key");
    let (status, answer) = ask(&fed, &key, query(RESIDENCE, Some("04011000"))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["provider"], MUNICIPAL);
    let (status, answer) = ask(&fed, &key, query(INCOME, Some("04011000"))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["provider"], STATE);
    assert_eq!(
        answer["evidence"]["gross_annual_income_eur"], "41234.50",
        "{answer}"
    );

    // Without a place, a per-municipality evidence type needs more input.
    let (status, answer) = ask(&fed, &key, query(RESIDENCE, None)).await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("register map needs jurisdiction"),
        "{message}"
    );
    // A place nobody serves: no provider.
    let (status, answer) = ask(&fed, &key, query(RESIDENCE, Some("09162000"))).await;
    assert_eq!(status, 404, "{answer}");

    // Exchange counts reach the map as flows.
    fed.node(2).running().report().await.expect("report");
    let catalogue = fed.map().running().state().catalogue.load();
    let flows: Vec<_> = catalogue
        .flows()
        .iter()
        .map(|f| (f.requester.as_str(), f.provider.as_str(), f.count))
        .collect();
    assert!(flows.contains(&(REQUESTER, MUNICIPAL, 1)), "{flows:?}");
    assert!(flows.contains(&(REQUESTER, STATE, 1)), "{flows:?}");

    // A descriptor for another member, or signed by another member, is refused.
    let requester_dir = fed.node(2).dir.clone();
    let municipal_dir = fed.node(0).dir.clone();
    let munich_dir = fed
        .issue("DE-BY:KOMMUNE:09162000", "munich")
        .expect("issue");
    let forged = NodeDescriptor {
        member: MUNICIPAL.into(),
        name: "forged".into(),
        peer_endpoint: "https://evil.example:8443".into(),
        tls_certificate_sha256: "ab".repeat(32),
        contact: None,
        issue_date_time: time::OffsetDateTime::now_utc(),
        sequence: u64::MAX,
        registers: vec![RegisterDescriptor {
            id: "melderegister".into(),
            name: "Forged".into(),
            register_type: None,
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            evidence_types: vec![RESIDENCE.into()],
            legal_basis: "none".into(),
            standards: Vec::new(),
            record_count: None,
            contact: None,
        }],
    };
    let post =
        |dir: std::path::PathBuf, signer_dir: std::path::PathBuf, descriptor: NodeDescriptor| {
            let url = format!("{}/v1/descriptors", fed.map().api_url());
            async move {
                let signed = member_signer(&signer_dir)
                    .expect("signer")
                    .sign(&descriptor.to_xml(), Placement::LastChild)
                    .expect("sign");
                let response = member_client(&dir)
                    .expect("client")
                    .post(url)
                    .body(signed)
                    .send()
                    .await
                    .expect("answer");
                (
                    response.status().as_u16(),
                    response.text().await.unwrap_or_default(),
                )
            }
        };
    // Signed and sent by the requester, naming the municipality.
    let (status, body) = post(requester_dir.clone(), requester_dir.clone(), forged.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("wrong_member"), "{body}");
    // Signed by the requester, sent over the municipality's connection.
    let (status, body) = post(municipal_dir.clone(), requester_dir, forged.clone()).await;
    assert_eq!(status, 403, "{body}");
    // The municipality's own descriptor, but older than the one accepted: refused as stale.
    let mut old = forged;
    old.sequence = 1;
    old.name = "Bürgeramt Bremen".into();
    let (status, body) = post(municipal_dir.clone(), municipal_dir, old).await;
    assert_eq!(status, 409, "{body}");
    let catalogue = fed.map().running().state().catalogue.load();
    assert!(catalogue.registers().iter().all(|r| r.name != "Forged"));
    // A member publishing its own descriptor, but for somebody else's area.
    let mut elsewhere = old_for_munich();
    elsewhere.sequence = 5;
    let (status, body) = post(munich_dir.clone(), munich_dir, elsewhere).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("may not publish a register for area 04011000"),
        "{body}"
    );
    // Every accepted descriptor is kept.
    let history = once_store::run(&fed.map().running().state().pool, |conn| {
        once_registry_map::db::descriptor_history(conn, MUNICIPAL)
    })
    .await
    .expect("history");
    assert_eq!(history.len(), 1);

    // The map stops: the requester keeps working from its (expired) cache.
    let running = fed.map_mut().map.take().expect("running");
    running.stop(true).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, answer) = ask(&fed, &key, query(RESIDENCE, Some("04011000"))).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["provider"], MUNICIPAL);
    // A place never asked before cannot be discovered now; the error says why.
    let (status, answer) = ask(&fed, &key, query(RESIDENCE, Some("04012000"))).await;
    assert_eq!(status, 404, "{answer}");
    tokio::time::sleep(Duration::from_millis(10)).await;
    fed.stop().await;
}

fn old_for_munich() -> NodeDescriptor {
    NodeDescriptor {
        member: "DE-BY:KOMMUNE:09162000".into(),
        name: "Landeshauptstadt München".into(),
        peer_endpoint: "https://muenchen.example:8443".into(),
        tls_certificate_sha256: "cd".repeat(32),
        contact: None,
        issue_date_time: time::OffsetDateTime::now_utc(),
        sequence: 1,
        registers: vec![RegisterDescriptor {
            id: "melderegister".into(),
            name: "Melderegister".into(),
            register_type: Some("melderegister".into()),
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            evidence_types: vec![RESIDENCE.into()],
            legal_basis: "BMG".into(),
            standards: Vec::new(),
            record_count: None,
            contact: None,
        }],
    }
}

#[actix_rt::test]
async fn map_with_nodes_on_sqlite() {
    map_with_nodes(Backend::Sqlite).await;
}

#[actix_rt::test]
async fn map_with_nodes_on_postgres() {
    map_with_nodes(Backend::Postgres).await;
}
