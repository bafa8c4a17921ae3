//! The application endpoint: API keys stored hashed, mTLS for application clients, health and
//! readiness, and clear answers when the database is gone. On SQLite and on PostgreSQL.

use std::time::Duration;

use once_node::config::{ApplicationAuth, CrlExpiredPolicy};
use once_node::db::{self, api_keys};
use once_tests::client::{body, get, tls_client};
use once_tests::{Backend, TestFederation};
use time::OffsetDateTime;

const MEMBER: &str = "DE-HB:KOMMUNE:04011000";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(
            rustls::ClientConfig::builder_with_provider(once_pki::tls::provider())
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        )
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn api_keys_guard_the_application_endpoint(backend: Backend) {
    let fed = TestFederation::builder()
        .backend(backend)
        .member(MEMBER)
        .start()
        .await
        .expect("federation");
    let node = fed.node(0);
    let pool = node.running().state().pool.clone();
    let (key, secret) = db::run(&pool, |conn| {
        Ok(api_keys::create(conn, "antrag-online").map_err(|e| e.to_string()))
    })
    .await
    .expect("db")
    .expect("create");
    assert!(secret.starts_with("once_") && secret.len() > 40, "{secret}");
    assert!(secret.starts_with(&key.prefix));

    let duplicate = db::run(&pool, |conn| {
        Ok(api_keys::create(conn, "antrag-online").is_err())
    })
    .await
    .expect("db");
    assert!(duplicate, "a second key with the same name was created");
    let bad_name = db::run(&pool, |conn| {
        Ok(api_keys::create(conn, "has space").is_err())
    })
    .await
    .expect("db");
    assert!(bad_name);

    let client = http();
    let url = format!("{}/v1/node", node.app_url());
    let status = |key: Option<String>| {
        let mut request = client.get(&url);
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move { request.send().await.expect("send") }
    };
    let missing = status(None).await;
    assert_eq!(missing.status(), 401);
    assert!(missing.headers().contains_key("x-request-id"));
    let error: serde_json::Value = missing.json().await.expect("json");
    assert_eq!(error["error"]["code"], "unauthorized");
    assert_eq!(status(Some("once_wrong".into())).await.status(), 401);
    let ok = status(Some(secret.clone())).await;
    assert_eq!(ok.status(), 200);
    let info: serde_json::Value = ok.json().await.expect("json");
    assert_eq!(info["member_id"], MEMBER);
    assert_eq!(info["caller"]["api_key"], "antrag-online");
    assert_eq!(
        info["tls_certificate"]["serial"],
        node.credentials.tls_serial
    );

    let listed = db::run(&pool, api_keys::list).await.expect("list");
    let used = listed
        .iter()
        .find(|k| k.name == "antrag-online")
        .expect("listed");
    assert!(used.last_used_at.is_some(), "use is recorded");
    db::run(&pool, |conn| {
        Ok(api_keys::revoke(conn, "antrag-online").map_err(|e| e.to_string()))
    })
    .await
    .expect("db")
    .expect("revoke");
    assert_eq!(status(Some(secret)).await.status(), 401);

    let ready = client
        .get(format!("{}/readyz", node.app_url()))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let readiness: serde_json::Value = ready.json().await.expect("json");
    let names: Vec<_> = readiness["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        ["database", "tls_certificate", "signing_certificate", "crl"]
    );
    let live = client
        .get(format!("{}/healthz", node.app_url()))
        .send()
        .await
        .expect("healthz");
    assert_eq!(live.status(), 200);
    fed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_guard_the_application_endpoint_sqlite() {
    api_keys_guard_the_application_endpoint(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_guard_the_application_endpoint_postgres() {
    api_keys_guard_the_application_endpoint(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_clients_can_authenticate_with_certificates() {
    let mut fed = TestFederation::builder()
        .member(MEMBER)
        .configure(|c| {
            c.application.tls = true;
            c.application.auth = ApplicationAuth::Mtls;
        })
        .start()
        .await
        .expect("federation");
    let app = fed.node(0).running().app_addr;
    let ca = fed.ca_pem_path();
    let client_dir = fed
        .issue("DE-HB:KOMMUNE:04011000", "antrag-online")
        .expect("issue");
    let with_cert = tls_client(
        &ca,
        Some((&client_dir.join("tls.pem"), &client_dir.join("tls.key"))),
    )
    .expect("client");
    let response = get(with_cert, app, "/v1/node")
        .await
        .expect("with certificate");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let info: serde_json::Value = serde_json::from_str(body(&response)).expect("json");
    assert!(
        info["caller"]["certificate"]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("DE-HB:KOMMUNE:04011000")),
        "{info}"
    );
    let without = tls_client(&ca, None).expect("client");
    let refused = get(without, app, "/v1/node").await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("CertificateRequired")),
        "{refused:?}"
    );
    fed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_crl_is_refused_or_reported_as_configured() {
    // "warn": peers are still admitted, but the node reports itself not ready.
    let mut fed = TestFederation::builder()
        .member(MEMBER)
        .member("DE:BUND:bva")
        .configure(|c| c.tls.crl_expired = CrlExpiredPolicy::Warn)
        .start()
        .await
        .expect("federation");
    let now = OffsetDateTime::now_utc();
    let expired_crl = fed
        .ca()
        .write_crl_window(now - time::Duration::days(2), now - time::Duration::days(1))
        .expect("crl");
    let node_crl = fed.node(0).config.tls.crl.clone();
    std::fs::copy(&expired_crl, &node_crl).expect("copy");
    fed.node(0).running().reload_crl().await.expect("reload");
    let ready = http()
        .get(format!("{}/readyz", fed.node(0).app_url()))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    let readiness: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(readiness["status"], "not_ready");
    let crl = &readiness["checks"][3];
    assert_eq!(
        (crl["name"].as_str(), crl["ok"].as_bool()),
        (Some("crl"), Some(false)),
        "{readiness}"
    );
    let peer_dir = fed.node(1).dir.clone();
    let as_peer = || {
        tls_client(
            &fed.ca_pem_path(),
            Some((&peer_dir.join("tls.pem"), &peer_dir.join("tls.key"))),
        )
        .expect("client")
    };
    assert!(
        get(as_peer(), fed.node(0).peer_addr(), "/v1/identity")
            .await
            .is_ok()
    );
    fed.stop().await;

    // "refuse" (the default): every peer is refused until a current CRL is loaded.
    let mut fed = TestFederation::builder()
        .member(MEMBER)
        .member("DE:BUND:bva")
        .start()
        .await
        .expect("federation");
    let expired_crl = fed
        .ca()
        .write_crl_window(now - time::Duration::days(2), now - time::Duration::days(1))
        .expect("crl");
    std::fs::copy(&expired_crl, &fed.node(0).config.tls.crl).expect("copy");
    fed.node(0).running().reload_crl().await.expect("reload");
    let peer_dir = fed.node(1).dir.clone();
    let client = tls_client(
        &fed.ca_pem_path(),
        Some((&peer_dir.join("tls.pem"), &peer_dir.join("tls.key"))),
    )
    .expect("client");
    let refused = get(client.clone(), fed.node(0).peer_addr(), "/v1/identity").await;
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("UnknownCA")),
        "{refused:?}"
    );
    fed.publish_crl().expect("fresh crl");
    fed.node(0).running().reload_crl().await.expect("reload");
    assert!(
        get(client, fed.node(0).peer_addr(), "/v1/identity")
            .await
            .is_ok()
    );
    fed.stop().await;
}

fn admin_sql(sql: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut admin =
        diesel::PgConnection::establish(&once_tests::postgres::admin_url()).expect("admin");
    diesel::sql_query(sql).execute(&mut admin).expect(sql);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_gives_503_not_a_hang_and_the_node_recovers() {
    let fed = TestFederation::builder()
        .backend(Backend::Postgres)
        .member(MEMBER)
        .configure(|c| c.server.pool_timeout_ms = 500)
        .start()
        .await
        .expect("federation");
    let node = fed.node(0);
    let pool = node.running().state().pool.clone();
    let (_, secret) = db::run(&pool, |conn| {
        Ok(api_keys::create(conn, "svc").map_err(|e| e.to_string()))
    })
    .await
    .expect("db")
    .expect("create");
    // Take the database away under the running node: no new connections, existing ones ended.
    let name = node
        .config
        .database_url
        .rsplit('/')
        .next()
        .expect("db name")
        .to_owned();
    admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    let client = http();
    let node_info = || {
        client
            .get(format!("{}/v1/node", node.app_url()))
            .bearer_auth(&secret)
            .send()
    };
    let response = node_info().await.expect("answered");
    assert_eq!(response.status(), 503);
    let error: serde_json::Value = response.json().await.expect("json");
    assert_eq!(error["error"]["code"], "database_unavailable");
    let ready = client
        .get(format!("{}/readyz", node.app_url()))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 503);
    let readiness: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(readiness["checks"][0]["ok"], false, "{readiness}");
    // Liveness does not depend on the database.
    let live = client
        .get(format!("{}/healthz", node.app_url()))
        .send()
        .await
        .expect("healthz");
    assert_eq!(live.status(), 200);

    // The database returns: the node serves again by itself, with its data.
    admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let mut recovered = false;
    for _ in 0..100 {
        if node_info().await.expect("answered").status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        recovered,
        "the node did not recover within 10 s of the database returning"
    );
    fed.stop().await;
}
