//! Certificate rotation without downtime: while a requester keeps asking a provider for
//! evidence (found through the register map, which pins the provider's TLS certificate), the
//! provider's and then the requester's TLS and signing certificates are replaced on disk. The
//! nodes pick them up by themselves (file watch), new handshakes present the new certificates,
//! evidence is signed with the new key, the map learns the new fingerprint, and no request
//! fails. A broken set of files is refused and the old certificates stay in force.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use once_node::config::MapClientConfig;
use once_node::db::{self, log};
use once_pki::ca::{NodeCredentials, Validity, node_files};
use once_pki::files::read_certs_from_pem;
use once_tests::client::{server_certificate, tls_client};
use once_tests::exchange::{
    PROCEDURE, PROVIDER, REQUESTER, api_key, browser, population_register, residence_query,
};
use once_tests::{TestFederation, free_port};

/// Puts new credentials in place the way an operator would: each file written beside and
/// renamed over the old one.
fn install(dir: &Path, credentials: &NodeCredentials) {
    for (name, pem) in [
        (node_files::TLS_CERT, &credentials.tls_cert_pem),
        (node_files::TLS_KEY, &credentials.tls_key_pem),
        (node_files::SIGNING_CERT, &credentials.signing_cert_pem),
        (node_files::SIGNING_KEY, &credentials.signing_key_pem),
    ] {
        let staging = dir.join(format!("{name}.new"));
        std::fs::write(&staging, pem).expect("write");
        std::fs::rename(&staging, dir.join(name)).expect("rename");
    }
}

/// The base64 body of a PEM certificate, as it appears in an XML signature's KeyInfo.
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

async fn wait_until_served(ca: &Path, addr: SocketAddr, expected: &[u8]) {
    for _ in 0..100 {
        let client = tls_client(ca, None).expect("client");
        if let Ok(der) = server_certificate(client, addr).await
            && der == expected
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new certificate was not served within 10 s");
}

#[actix_rt::test]
async fn certificates_rotate_while_exchanges_continue() {
    let mut fed = TestFederation::builder().start().await.expect("federation");
    fed.start_map().await.expect("map");
    let map = |fed: &TestFederation, port: u16, publish: bool| MapClientConfig {
        url: fed.map().api_url(),
        member: fed.map().member.clone(),
        peer_url: format!("https://localhost:{port}"),
        publish,
        // Requesters keep the discovery answer (and the pinned fingerprint) for an hour.
        cache_seconds: 3600,
        report_seconds: 0,
        republish_seconds: 3600,
    };
    let provider_port = free_port();
    let provider_map = map(&fed, provider_port, true);
    fed.add_member(PROVIDER, move |c| {
        c.peer.listen = SocketAddr::from(([127, 0, 0, 1], provider_port));
        c.map = Some(provider_map.clone());
    })
    .await
    .expect("provider");
    let requester_port = free_port();
    let requester_map = map(&fed, requester_port, false);
    fed.add_member(REQUESTER, move |c| {
        c.peer.listen = SocketAddr::from(([127, 0, 0, 1], requester_port));
        c.map = Some(requester_map.clone());
    })
    .await
    .expect("requester");
    population_register(&fed.node(0).pool(), REQUESTER)
        .await
        .expect("register");
    fed.node(0).running().publish().await.expect("published");
    let key = api_key(&fed.node(1).pool(), "app").await.expect("key");
    let ca = fed.ca_pem_path();
    let url = format!("{}/v1/evidence-requests", fed.node(1).app_url());

    // Four clients ask continuously until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (stop, ok, failures) = (stop.clone(), ok.clone(), failures.clone());
        let (url, key, http) = (url.clone(), key.clone(), browser(&ca).expect("client"));
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let answer = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&residence_query(PROCEDURE))
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().as_u16() == 200 => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => {
                        let status = r.status();
                        let body = r.text().await.unwrap_or_default();
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("{status}: {body}"));
                    }
                    Err(e) => failures.lock().expect("lock").push(e.to_string()),
                }
            }
        }));
    }
    let wait_for_more = |ok: Arc<AtomicUsize>, more: usize| async move {
        let target = ok.load(Ordering::Relaxed) + more;
        for _ in 0..300 {
            if ok.load(Ordering::Relaxed) >= target {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("exchanges stopped succeeding");
    };
    wait_for_more(ok.clone(), 10).await;

    // The provider's certificates are replaced on disk.
    let provider_member = fed.node(0).member.clone();
    let new_provider = fed
        .ca()
        .issue_node(
            &provider_member,
            &["localhost".into(), "127.0.0.1".into()],
            Validity::days_from_now(60),
        )
        .expect("issue");
    let provider_dir = fed.node(0).dir.clone();
    install(&provider_dir, &new_provider);
    let new_tls = read_certs_from_pem(&new_provider.tls_cert_pem).expect("pem");
    let provider_addr = fed.node(0).peer_addr();
    wait_until_served(&ca, provider_addr, new_tls[0].as_ref()).await;
    let state = fed.node(0).running().state().clone();
    assert_eq!(
        state.credentials.load().signing_info.serial,
        new_provider.signing_serial
    );
    wait_for_more(ok.clone(), 20).await;

    // Evidence is now signed with the new signing key (its certificate is in the signature).
    let last_answer = db::run(&state.pool, |conn| {
        let head = log::head(conn)?.map_or(0, |(seq, _)| seq);
        log::entries_after(conn, head - 1, 1)
    })
    .await
    .expect("log");
    let message = String::from_utf8_lossy(&last_answer[0].message).into_owned();
    assert!(
        message.contains(&pem_body(&new_provider.signing_cert_pem)),
        "the last answer is signed with the new certificate"
    );
    // The map has the new fingerprint (published on rotation).
    let fingerprint = once_pki::sha256_hex(new_tls[0].as_ref());
    let mut published = false;
    for _ in 0..100 {
        let catalogue = fed.map().running().state().catalogue.load();
        if catalogue
            .member(PROVIDER)
            .is_some_and(|m| m.tls_fingerprint.as_deref() == Some(fingerprint.as_str()))
        {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        published,
        "the map shows the provider's new TLS certificate"
    );

    // The requester's certificates are replaced too; its new connections present the new one.
    let requester_member = fed.node(1).member.clone();
    let new_requester = fed
        .ca()
        .issue_node(
            &requester_member,
            &["localhost".into(), "127.0.0.1".into()],
            Validity::days_from_now(60),
        )
        .expect("issue");
    let requester_dir = fed.node(1).dir.clone();
    install(&requester_dir, &new_requester);
    let new_requester_tls = read_certs_from_pem(&new_requester.tls_cert_pem).expect("pem");
    wait_until_served(&ca, fed.node(1).peer_addr(), new_requester_tls[0].as_ref()).await;
    wait_for_more(ok.clone(), 20).await;

    // A broken set (a key that does not belong to the certificate) is refused; the node keeps
    // the certificates in force and keeps serving.
    let other = fed
        .ca()
        .issue_node(
            &provider_member,
            &["localhost".into()],
            Validity::days_from_now(60),
        )
        .expect("issue");
    std::fs::write(provider_dir.join(node_files::TLS_KEY), &other.tls_key_pem).expect("write");
    let refused = fed.node(0).running().reload_credentials().await;
    let message = refused
        .expect_err("a mismatched key is refused")
        .to_string();
    assert!(message.contains("does not match"), "{message}");
    assert_eq!(
        state.credentials.load().tls_info.serial,
        new_provider.tls_serial,
        "the previous certificate stays in force"
    );
    wait_for_more(ok.clone(), 10).await;

    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.expect("load task");
    }
    let failures = failures.lock().expect("lock").clone();
    assert!(
        failures.is_empty(),
        "{} of {} exchanges failed during rotation: {failures:#?}",
        failures.len(),
        ok.load(Ordering::Relaxed) + failures.len()
    );
    println!(
        "rotation: {} exchanges, none failed",
        ok.load(Ordering::Relaxed)
    );
    fed.stop().await;
}
