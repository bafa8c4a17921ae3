//! `once as4 partner add/list/remove` as an operator runs them: a partner whose certificate
//! chains to the eDelivery trust store is added and listed; one from another PKI, a taken party
//! id, a plain-HTTP URL and a node without `[as4]` are refused with the reason and exit code. A
//! partner on the eDelivery AS4 2.0 EC profile is accepted once the node has an EC key too.

mod common;

use std::path::Path;

use common::*;
use once_as4::demo_pki::DemoPki;

const MEMBER: &str = "DE-HB:KOMMUNE:04011000";

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).expect("written");
}

#[test]
fn partners_are_added_listed_and_removed_against_the_trust_store() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    ca_init(&ca);
    let dir = tmp.path().join("node");
    init_node(&ca, &dir, MEMBER);
    let config = dir.join("node.toml");
    let cert = tmp.path().join("partner.pem");

    // Without [as4] the node is no access point.
    let pki = DemoPki::new("eDelivery test CA").expect("pki");
    let partner = pki.issue("AT-AP").expect("issued");
    write(&cert, &partner.certificate_pem);
    let add = |party: &str, url: &str| {
        vec![
            "as4".to_owned(),
            "partner".into(),
            "add".into(),
            "--config".into(),
            path(&config).into(),
            "--party-id".into(),
            party.into(),
            "--member".into(),
            "AT:BUND:familienbeihilfe".into(),
            "--url".into(),
            url.into(),
            "--certificate".into(),
            path(&cert).into(),
        ]
    };
    let first = add("AT-AP", "https://as4.example.at/as4");
    fails(&args(&first), 64, "[as4] is not configured");

    // An access point: [oots] and [as4] with its own key of the same PKI.
    let own = pki.issue("DE-AP").expect("issued");
    write(&dir.join("as4-key.pem"), &own.key_pem);
    write(&dir.join("as4-cert.pem"), &own.certificate_pem);
    write(&dir.join("edelivery-ca.pem"), pki.ca_pem());
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(
        "\n[oots]\nagent_scheme = \"urn:cef.eu:names:identifier:EAS:0204\"\nagent_id = \"04011000-ap\"\ncountry = \"DE\"\n\n\
         [as4]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://as4.example.de/as4\"\nparty_id = \"DE-AP\"\n\
         key = \"as4-key.pem\"\ncertificate = \"as4-cert.pem\"\ntrust_store = \"edelivery-ca.pem\"\n",
    );
    write(&config, &text);

    let out = ok(&args(&first));
    assert!(
        out.contains("partner AT-AP (AT:BUND:familienbeihilfe) added"),
        "{out}"
    );
    let list = ok(&["as4", "partner", "list", "--config", path(&config)]);
    assert!(
        list.contains(
            "AT-AP  AT:BUND:familienbeihilfe  https://as4.example.at/as4  edelivery-1.15  CN=AT-AP"
        ),
        "{list}"
    );
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "as4",
        "partner",
        "list",
        "--config",
        path(&config),
        "--json",
    ]))
    .expect("JSON");
    assert_eq!(json[0]["party_id"], "AT-AP");

    fails(&args(&first), 1, "exists");
    fails(
        &args(&add("AT-AP2", "http://as4.example.at/as4")),
        64,
        "https://",
    );

    // A certificate of another PKI.
    let other = DemoPki::new("another CA").expect("pki");
    write(
        &cert,
        &other.issue("XX-AP").expect("issued").certificate_pem,
    );
    fails(
        &args(&add("XX-AP", "https://xx.example/as4")),
        1,
        "does not chain to the trust store",
    );

    let removed = ok(&[
        "as4",
        "partner",
        "remove",
        "--config",
        path(&config),
        "--party-id",
        "AT-AP",
    ]);
    assert!(removed.contains("partner AT-AP removed"), "{removed}");
    fails(
        &[
            "as4",
            "partner",
            "remove",
            "--config",
            path(&config),
            "--party-id",
            "AT-AP",
        ],
        64,
        "there is no partner AT-AP",
    );
    assert!(ok(&["as4", "partner", "list", "--config", path(&config)]).contains("no AS4 partners"));

    // A partner on the eDelivery AS4 2.0 EC profile (an EC P-256 certificate) needs an EC key
    // of this node; a suite named that does not fit the certificate is refused.
    write(
        &cert,
        &pki.issue_ec("FR-AP").expect("issued").certificate_pem,
    );
    let ec_partner = add("FR-AP", "https://as4.example.fr/as4");
    fails(
        &args(&ec_partner),
        1,
        "this node has no EC P-256 key for it",
    );
    let mut wrong_suite = ec_partner.clone();
    wrong_suite.extend(["--suite".to_owned(), "edelivery-1.15".to_owned()]);
    fails(&args(&wrong_suite), 64, "does not fit the certificate");
    let own_ec = pki.issue_ec("DE-AP").expect("issued");
    write(&dir.join("as4-ec-key.pem"), &own_ec.key_pem);
    write(&dir.join("as4-ec-cert.pem"), &own_ec.certificate_pem);
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("ec_key = \"as4-ec-key.pem\"\nec_certificate = \"as4-ec-cert.pem\"\n");
    write(&config, &text);
    ok(&args(&ec_partner));
    let list = ok(&["as4", "partner", "list", "--config", path(&config)]);
    assert!(list.contains("FR-AP  AT:BUND:familienbeihilfe  https://as4.example.fr/as4  edelivery-2.0-ec  CN=FR-AP"), "{list}");

    // The configuration with [as4] passes the node's own check, both AS4 certificates included.
    let checked = ok(&["node", "check", "--config", path(&config)]);
    assert!(
        checked.contains("AS4 access point DE-AP: edelivery-1.15 certificate CN=DE-AP")
            && checked.contains("edelivery-2.0-ec certificate CN=DE-AP")
            && checked.contains("1 partners"),
        "{checked}"
    );
    // An AS4 certificate of another PKI than the trust store's.
    write(&dir.join("edelivery-ca.pem"), other.ca_pem());
    fails(
        &["node", "check", "--config", path(&config)],
        1,
        "as4.certificate is not accepted",
    );
}
