//! The peer endpoint admits federation members only, and knows who they are.

use std::path::{Path, PathBuf};
use std::time::Duration;

use once_pki::ca::{Ca, Validity};
use once_tests::client::{body, get, tls_client};
use once_tests::{Backend, TestFederation};
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256, SanType};
use time::OffsetDateTime;

const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const REQUESTER: &str = "DE-HB:LAND:elterngeld";

/// Signs a certificate of an unusual shape with the federation CA and writes it with its key.
fn custom_cert(
    ca: &mut Ca,
    dir: &Path,
    name: &str,
    member_uri: bool,
    validity: Validity,
) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    if member_uri {
        params.subject_alt_names.push(SanType::URI(
            "urn:once:member:DE:BUND:odd".try_into().expect("uri"),
        ));
    }
    params.extended_key_usages = vec![
        rcgen::ExtendedKeyUsagePurpose::ServerAuth,
        rcgen::ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    let (pem, _) = ca.sign_custom(params, &key).expect("sign");
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}.key"));
    std::fs::write(&cert_path, pem).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (cert_path, key_path)
}

fn assert_refused(result: Result<String, String>, alert: &str, case: &str) {
    match result {
        Ok(response) => panic!("{case}: expected a refused handshake, got {response:?}"),
        Err(error) => assert!(
            error.contains(alert),
            "{case}: expected the alert {alert}, got {error:?}"
        ),
    }
}

async fn peer_endpoint_admits_members_only(backend: Backend) {
    let mut fed = TestFederation::builder()
        .backend(backend)
        .member(PROVIDER)
        .member(REQUESTER)
        .start()
        .await
        .expect("federation");
    let ca_pem = fed.ca_pem_path();
    let provider = fed.node(0).peer_addr();
    let requester_dir = fed.node(1).dir.clone();
    let requester_cert = (requester_dir.join("tls.pem"), requester_dir.join("tls.key"));
    let as_requester =
        || tls_client(&ca_pem, Some((&requester_cert.0, &requester_cert.1))).expect("client");

    // A valid peer gets 200 and is known by its member id.
    let response = get(as_requester(), provider, "/v1/identity")
        .await
        .expect("valid peer");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let answer: serde_json::Value = serde_json::from_str(body(&response)).expect("json");
    assert_eq!(answer["peer"]["member_id"], REQUESTER);
    assert_eq!(answer["node"]["member_id"], PROVIDER);

    // No client certificate.
    let anonymous = tls_client(&ca_pem, None).expect("client");
    assert_refused(
        get(anonymous, provider, "/v1/identity").await,
        "CertificateRequired",
        "no certificate",
    );

    // A certificate of another CA.
    let foreign_dir = fed.dir().join("foreign");
    let mut foreign = Ca::init(&foreign_dir.join("ca"), "Foreign", 30).expect("foreign ca");
    let member = REQUESTER.parse().expect("id");
    let creds = foreign
        .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))
        .expect("issue");
    creds
        .write_to(&foreign_dir.join("node"), foreign.cert_pem())
        .expect("write");
    let foreign_client = tls_client(
        &ca_pem,
        Some((
            &foreign_dir.join("node/tls.pem"),
            &foreign_dir.join("node/tls.key"),
        )),
    )
    .expect("client");
    assert_refused(
        get(foreign_client, provider, "/v1/identity").await,
        "UnknownCA",
        "foreign CA",
    );

    // Expired, and not yet valid.
    let now = OffsetDateTime::now_utc();
    let dir = fed.dir().to_owned();
    let expired = custom_cert(
        fed.ca(),
        &dir,
        "expired",
        true,
        Validity {
            not_before: now - time::Duration::days(10),
            not_after: now - time::Duration::days(1),
        },
    );
    let client = tls_client(&ca_pem, Some((&expired.0, &expired.1))).expect("client");
    assert_refused(
        get(client, provider, "/v1/identity").await,
        "CertificateExpired",
        "expired",
    );
    let future = custom_cert(
        fed.ca(),
        &dir,
        "future",
        true,
        Validity {
            not_before: now + time::Duration::days(1),
            not_after: now + time::Duration::days(10),
        },
    );
    let client = tls_client(&ca_pem, Some((&future.0, &future.1))).expect("client");
    assert_refused(
        get(client, provider, "/v1/identity").await,
        "CertificateExpired",
        "not yet valid",
    );

    // A valid certificate of the federation CA without a member URI SAN.
    let anonymous_member = custom_cert(
        fed.ca(),
        &dir,
        "no-member",
        false,
        Validity::days_from_now(5),
    );
    let client =
        tls_client(&ca_pem, Some((&anonymous_member.0, &anonymous_member.1))).expect("client");
    assert_refused(
        get(client, provider, "/v1/identity").await,
        "AccessDenied",
        "no member id",
    );

    // The signing certificate is not a TLS client certificate.
    let signing = (
        requester_dir.join("signing.pem"),
        requester_dir.join("signing.key"),
    );
    let client = tls_client(&ca_pem, Some((&signing.0, &signing.1))).expect("client");
    assert!(
        get(client, provider, "/v1/identity").await.is_err(),
        "signing certificate used for TLS"
    );

    // Revoked: accepted before, refused after the CRL file changes, without a restart.
    let serial = fed.node(1).credentials.tls_serial.clone();
    fed.ca().revoke(&serial).expect("revoke");
    fed.publish_crl().expect("crl");
    let mut refused = None;
    for _ in 0..100 {
        match get(as_requester(), provider, "/v1/identity").await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused =
        refused.expect("the revoked certificate was still accepted 10 s after the CRL changed");
    assert!(refused.contains("CertificateRevoked"), "revoked: {refused}");
    // Another member is still admitted under the new CRL.
    let other = fed.issue("DE:BUND:bva", "bva").expect("issue");
    let client = tls_client(
        &ca_pem,
        Some((&other.join("tls.pem"), &other.join("tls.key"))),
    )
    .expect("client");
    let response = get(client, provider, "/v1/identity")
        .await
        .expect("other member");
    assert!(body(&response).contains("DE:BUND:bva"), "{response}");
    fed.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_endpoint_admits_members_only_sqlite() {
    peer_endpoint_admits_members_only(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_endpoint_admits_members_only_postgres() {
    peer_endpoint_admits_members_only(Backend::Postgres).await;
}
