//! Scale-out: two replicas of one provider node on one PostgreSQL database, behind a TCP load
//! balancer (TLS passthrough, connections dealt out in turn). Both serve exchanges; the message
//! log stays one unbroken chain; a request answered by one replica is a replay at the other;
//! an access rule added through one replica's database applies at the other; checkpoints of
//! both verify.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use once_node::db::{self, log, rules};
use once_node::exchange::checkpoint;
use once_node::exchange::transport::Sealed;
use once_node::server::RunningNode;
use once_tests::exchange::{
    LEGAL_BASIS, PROCEDURE, PROVIDER, REQUESTER, RESIDENCE, add_requester, api_key,
    bremen_provider, browser, juergen_request, member_client, member_signer, residence_query, seal,
    start_provider,
};
use once_tests::{Backend, TestFederation};
use once_xml::multipart;
use once_xml::response::Response;

/// A TCP load balancer on loopback: each new connection goes to the next backend in turn; bytes
/// are copied both ways untouched (the TLS session is between client and replica).
async fn load_balancer(backends: Vec<SocketAddr>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let backend = backends[next.fetch_add(1, Ordering::Relaxed) % backends.len()];
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    addr
}

/// Posts a sealed request straight to one replica's peer endpoint.
async fn post(client: &reqwest::Client, peer: SocketAddr, sealed: Sealed) -> Response {
    let answer = client
        .post(format!("https://localhost:{}/v1/exchange", peer.port()))
        .header("content-type", sealed.content_type)
        .body(sealed.body)
        .send()
        .await
        .expect("replica answers");
    let content_type = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = answer.bytes().await.expect("body");
    let parsed = multipart::parse(&content_type, &bytes, &Default::default()).expect("multipart");
    let root = once_xml::tree::parse(parsed.root().body, &Default::default()).expect("xml");
    Response::from_element(&root).expect("ebRS answer")
}

fn exception(response: &Response) -> (String, Option<String>) {
    match response {
        Response::Error(e) => (
            e.exception.code.code().to_owned(),
            e.exception.reason.clone(),
        ),
        other => panic!("expected an exception, got {other:?}"),
    }
}

/// Exchanges the provider replica answered, from its metrics.
async fn provider_exchanges(replica: &RunningNode, http: &reqwest::Client, key: &str) -> f64 {
    let text = http
        .get(format!("http://{}/metrics", replica.app_addr))
        .bearer_auth(key)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    text.lines()
        .filter(|l| l.starts_with("once_exchanges_total{role=\"provider\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[actix_rt::test]
async fn two_replicas_share_one_postgresql_database() {
    let mut fed = start_provider(TestFederation::builder().backend(Backend::Postgres))
        .await
        .expect("replica a");
    let pool = fed.node(0).pool();
    // Replica B: the same configuration, database and certificates, other ports.
    let mut config_b = fed.node(0).config.clone();
    config_b.peer.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config_b.application.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let replica_b = RunningNode::start(config_b).await.expect("replica b");
    let replica_a_peer = fed.node(0).peer_addr();
    let balancer = load_balancer(vec![replica_a_peer, replica_b.peer_addr]).await;

    let balanced = bremen_provider(format!("https://localhost:{}", balancer.port()));
    let requester_key = add_requester(&mut fed, vec![balanced], |_| {})
        .await
        .expect("requester");
    let ops_key = api_key(&pool, "ops").await.expect("key");
    let http = browser(&fed.ca_pem_path()).expect("client");
    let url = format!("{}/v1/evidence-requests", fed.node(1).app_url());
    let ask = |procedure: &'static str| {
        http.post(&url)
            .bearer_auth(&requester_key)
            .json(&residence_query(procedure))
            .send()
    };

    // 40 exchanges, 8 at a time, through the balancer: all succeed, both replicas serve.
    for _ in 0..5 {
        let batch: Vec<_> = (0..8).map(|_| ask(PROCEDURE)).collect();
        for answer in futures_util::future::join_all(batch).await {
            let answer = answer.expect("requester answers");
            assert_eq!(answer.status().as_u16(), 200, "{:?}", answer.text().await);
        }
    }
    let served_a = provider_exchanges(fed.node(0).running(), &http, &ops_key).await;
    let served_b = provider_exchanges(&replica_b, &http, &ops_key).await;
    assert_eq!(served_a + served_b, 40.0);
    assert!(
        served_a > 0.0 && served_b > 0.0,
        "both replicas serve: {served_a} and {served_b}"
    );
    println!("replicas: a answered {served_a}, b answered {served_b}");

    // Replay protection is shared: a request answered by A is a replay at B.
    let requester_dir = fed.node(1).dir.clone();
    let client = member_client(&requester_dir).expect("client");
    let signer = member_signer(&requester_dir).expect("signer");
    let once = seal(&signer, REQUESTER, &juergen_request(REQUESTER, PROVIDER));
    let first = post(&client, replica_a_peer, once.clone()).await;
    assert!(matches!(first, Response::Evidence(_)), "{first:?}");
    let second = post(&client, replica_b.peer_addr, once).await;
    assert_eq!(
        exception(&second),
        ("EDM:ERR:0003".to_owned(), Some("Replay".to_owned()))
    );

    // The same new request sent to both replicas at once, eight times: exactly one answer
    // carries evidence; every other is refused as a replay or, if it raced the first to the
    // commit, not answered (503).
    let twin = seal(&signer, REQUESTER, &juergen_request(REQUESTER, PROVIDER));
    let sends = (0..8).map(|i| {
        let peer = if i % 2 == 0 {
            replica_a_peer
        } else {
            replica_b.peer_addr
        };
        client
            .post(format!("https://localhost:{}/v1/exchange", peer.port()))
            .header("content-type", twin.content_type.clone())
            .body(twin.body.clone())
            .send()
    });
    let mut evidence = 0;
    for answer in futures_util::future::join_all(sends).await {
        let answer = answer.expect("answer");
        let status = answer.status().as_u16();
        let content_type = answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = answer.bytes().await.expect("body");
        if status == 503 {
            continue;
        }
        let parsed =
            multipart::parse(&content_type, &bytes, &Default::default()).expect("multipart");
        let root = once_xml::tree::parse(parsed.root().body, &Default::default()).expect("xml");
        match Response::from_element(&root).expect("ebRS") {
            Response::Evidence(_) => evidence += 1,
            other => assert_eq!(
                exception(&other),
                ("EDM:ERR:0003".to_owned(), Some("Replay".to_owned()))
            ),
        }
    }
    assert_eq!(
        evidence, 1,
        "one of eight simultaneous copies is answered with evidence"
    );

    // Access rules are shared: a rule added through A's database applies at both.
    let audit = "Prüfung Elterngeld";
    let refused = ask(audit).await.expect("answer");
    assert_eq!(refused.status().as_u16(), 403);
    db::run(&pool, move |conn| {
        rules::add(conn, REQUESTER, RESIDENCE, audit, LEGAL_BASIS)
            .map_err(|e| db::DbError::Conflict(e.to_string()))
    })
    .await
    .expect("rule");
    for _ in 0..4 {
        let answer = ask(audit).await.expect("answer");
        assert_eq!(answer.status().as_u16(), 200);
    }

    // One log, one chain: 2 entries per exchange (40 + 2 direct + 1 refused + 4), checkpoints
    // by both replicas verify.
    fed.node(0)
        .running()
        .state()
        .logbook
        .checkpoint()
        .await
        .expect("checkpoint a");
    let more = ask(PROCEDURE).await.expect("answer");
    assert_eq!(more.status().as_u16(), 200);
    replica_b
        .state()
        .logbook
        .checkpoint()
        .await
        .expect("checkpoint b");
    let member = PROVIDER.parse().expect("member");
    let roots = replica_b.state().credentials.load().ca_certs.clone();
    let report = db::run(&pool, move |conn| {
        log::verify(conn, &|c| checkpoint::verify(c, &member, &roots))
    })
    .await
    .expect("verify");
    assert_eq!(report.broken, None, "{report:?}");
    // 2 entries per answered exchange: 40 + 2 direct + the simultaneous copies not refused with
    // 503 + 1 refused + 4 + 1.
    assert_eq!(report.entries % 2, 0, "{report:?}");
    assert!(report.entries >= 2 * (40 + 2 + 1 + 1 + 4 + 1), "{report:?}");
    assert!(report.checkpoints >= 2, "{report:?}");

    replica_b.stop(true).await;
    fed.stop().await;
}
