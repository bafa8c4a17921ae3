//! A full disk under the message log: the provider's and then the requester's SQLite database
//! live on a small tmpfs that is filled up. New exchanges are refused with a clear error, nothing
//! is half-written (both logs verify), the nodes keep serving, and exchanges succeed again as
//! soon as there is space (needs root to mount the tmpfs; elsewhere it says so and does nothing).
//! Overload: beyond `server.max_in_flight` exchanges in progress the provider answers 503 with
//! Retry-After at once, stays healthy, and admits requests again when the load drops.

use std::path::{Path, PathBuf};
use std::process::Command;

use once_node::db::{self, DbPool, log};
use once_node::exchange::checkpoint;
use once_tests::TestFederation;
use once_tests::exchange::{
    PROCEDURE, PROVIDER, REQUESTER, add_requester, api_key, bremen_provider, browser,
    residence_query, start_provider,
};
use serde_json::Value;

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(parent: &Path, name: &str, size: &str) -> Option<SmallDisk> {
        let dir = parent.join(name);
        std::fs::create_dir_all(&dir).ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .ok()?;
        status.success().then_some(SmallDisk { dir })
    }

    /// Fills the disk (a file that takes all free space).
    fn fill(&self) {
        let filler = self.dir.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        use std::io::Write;
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.dir.join("filler")).expect("free the disk");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

async fn verify(node: &once_node::server::RunningNode) -> log::Report {
    let state = node.state();
    let member = state.config.member_id.clone();
    let roots = state.credentials.load().ca_certs.clone();
    db::run(&state.pool, move |conn| {
        log::verify(conn, &|c| checkpoint::verify(c, &member, &roots))
    })
    .await
    .expect("verify")
}

#[actix_rt::test]
async fn a_full_disk_refuses_new_exchanges_and_loses_nothing() {
    let scratch = tempfile::tempdir().expect("tmp");
    let Some(provider_disk) = SmallDisk::mount(scratch.path(), "provider-disk", "8m") else {
        println!("SKIPPED: mounting a tmpfs needs root; run the test as root to check a full disk");
        return;
    };
    let Some(requester_disk) = SmallDisk::mount(scratch.path(), "requester-disk", "8m") else {
        println!("SKIPPED: mounting a tmpfs needs root");
        return;
    };
    let provider_db = provider_disk.dir.join("node.db").display().to_string();
    let mut fed = start_provider(
        TestFederation::builder().configure(move |c| c.database_url = provider_db.clone()),
    )
    .await
    .expect("provider");
    let provider_pool = fed.node(0).pool();
    let provider_url = fed.node(0).peer_url();
    let requester_db = requester_disk.dir.join("node.db").display().to_string();
    let key = add_requester(&mut fed, vec![bremen_provider(provider_url)], move |c| {
        c.database_url = requester_db.clone();
    })
    .await
    .expect("requester");
    let http = browser(&fed.ca_pem_path()).expect("client");
    let url = format!("{}/v1/evidence-requests", fed.node(1).app_url());
    let ask = || async {
        let answer = http
            .post(&url)
            .bearer_auth(&key)
            .json(&residence_query(PROCEDURE))
            .send()
            .await
            .expect("the requester answers");
        let status = answer.status().as_u16();
        (status, answer.json::<Value>().await.expect("json"))
    };
    let (status, _) = ask().await;
    assert_eq!(status, 200);
    let entries = |pool: DbPool| async move {
        db::run(&pool, |conn| Ok(log::head(conn)?.map_or(0, |(seq, _)| seq)))
            .await
            .expect("head")
    };
    let provider_before = entries(provider_pool.clone()).await;

    // The provider's disk is full: it cannot log, so it answers nothing but a 503.
    provider_disk.fill();
    for _ in 0..3 {
        let (status, answer) = ask().await;
        assert_eq!(status, 502, "{answer}");
        assert_eq!(answer["error"]["code"], "provider_unreachable", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("HTTP 503") && message.contains("cannot record the exchange"),
            "{message}"
        );
    }
    provider_disk.free();
    assert_eq!(
        entries(provider_pool.clone()).await,
        provider_before,
        "nothing was logged while the disk was full"
    );
    let (status, answer) = ask().await;
    assert_eq!(status, 200, "the provider recovers by itself: {answer}");

    // The requester's disk is full: it cannot log its request, so it sends nothing.
    let provider_before = entries(provider_pool.clone()).await;
    requester_disk.fill();
    let (status, answer) = ask().await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(answer["error"]["code"], "log_unavailable", "{answer}");
    assert_eq!(
        entries(provider_pool.clone()).await,
        provider_before,
        "nothing reached the provider"
    );
    requester_disk.free();
    let (status, answer) = ask().await;
    assert_eq!(status, 200, "the requester recovers by itself: {answer}");

    // Nothing half-written on either side.
    for index in 0..2 {
        let report = verify(fed.node(index).running()).await;
        assert_eq!(report.broken, None, "node {index}: {report:?}");
    }
    fed.stop().await;
    drop(provider_disk);
    drop(requester_disk);
}

/// Opens a TLS connection as the member whose files are in `dir` and starts a request whose
/// body never arrives: it holds one place in the provider's admission limit.
async fn stalled_exchange(
    ca: &Path,
    dir: &Path,
    addr: std::net::SocketAddr,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let config =
        once_tests::client::tls_client(ca, Some((&dir.join("tls.pem"), &dir.join("tls.key"))))
            .expect("client");
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls_pki_types::ServerName::try_from("localhost").expect("name");
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    tls.write_all(
        b"POST /v1/exchange HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/xml\r\nContent-Length: 1000\r\n\r\n<",
    )
    .await
    .expect("write");
    tls.flush().await.expect("flush");
    tls
}

#[actix_rt::test]
async fn overload_is_refused_at_once_and_service_resumes() {
    let mut fed = TestFederation::builder()
        .member(PROVIDER)
        .configure(|c| {
            c.server.max_in_flight = 2;
            c.exchange.body_timeout_ms = 30_000;
        })
        .start()
        .await
        .expect("provider");
    let client_dir = fed.issue(REQUESTER, "requester").expect("issue");
    let ca = fed.ca_pem_path();
    let peer = fed.node(0).peer_addr();
    let first = stalled_exchange(&ca, &client_dir, peer).await;
    let second = stalled_exchange(&ca, &client_dir, peer).await;
    // Let the provider take both requests in.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let client = once_tests::exchange::member_client(&client_dir).expect("client");
    let url = format!("{}/v1/exchange", fed.node(0).peer_url());
    let shed = client
        .post(&url)
        .header("content-type", "application/xml")
        .body("<x/>")
        .send()
        .await
        .expect("answer");
    assert_eq!(shed.status().as_u16(), 503);
    assert_eq!(
        shed.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let said = shed.text().await.expect("text");
    assert!(said.contains("limit of 2 exchanges in progress"), "{said}");
    // Health stays reachable during overload.
    let health = browser(&ca)
        .expect("client")
        .get(format!("{}/readyz", fed.node(0).app_url()))
        .send()
        .await
        .expect("readyz");
    assert_eq!(health.status().as_u16(), 200);
    // The load drops: the next request is admitted (and answered with an ebRS error, since
    // "<x/>" is no request).
    drop(first);
    drop(second);
    let mut admitted = false;
    for _ in 0..50 {
        let answer = client
            .post(&url)
            .header("content-type", "application/xml")
            .body("<x/>")
            .send()
            .await
            .expect("answer");
        if answer.status().as_u16() == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        admitted,
        "the provider admits requests again once the load is gone"
    );
    let key = api_key(&fed.node(0).pool(), "ops").await.expect("key");
    let metrics = browser(&ca)
        .expect("client")
        .get(format!("{}/metrics", fed.node(0).app_url()))
        .bearer_auth(key)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("once_requests_shed_total{endpoint=\"peer\"} 1"),
        "{metrics}"
    );
    fed.stop().await;
}
