//! The register map as an operator runs it: `once map init`, `once map seed` (the full seed),
//! `once map run`; a node configured with `[map]` publishes when a register is added; the web page
//! and the API answer.

mod common;

use common::*;

const PROVIDER: &str = "DE-HB:KOMMUNE:04011000";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

#[test]
fn map_is_set_up_seeded_and_run_and_a_node_publishes_to_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let ca = tmp.path().join("ca");
    ok(&[
        "pki",
        "init",
        "--dir",
        path(&ca),
        "--name",
        "Test Federation",
    ]);
    let map_dir = tmp.path().join("map");
    let api_port = free_port();
    let api = format!("127.0.0.1:{api_port}");
    let out = ok(&[
        "map",
        "init",
        "--dir",
        path(&map_dir),
        "--ca",
        path(&ca),
        "--api-listen",
        &api,
        "--web-listen",
        "127.0.0.1:0",
    ]);
    assert!(out.contains("once map seed"), "{out}");
    fails(
        &["map", "init", "--dir", path(&map_dir), "--ca", path(&ca)],
        64,
        "exists already",
    );
    let map_toml = map_dir.join("map.toml");
    let out = ok(&["map", "seed", "--config", path(&map_toml)]);
    assert!(out.contains("seeded 127"), "{out}");
    assert!(
        out.contains("dl-de/by-2-0"),
        "the attribution is shown: {out}"
    );

    let map = start_map(&map_toml);
    let web = format!("http://{}/", map.app);
    let page = curl(&["-f", &web]);
    assert!(
        page.status.success(),
        "{}",
        String::from_utf8_lossy(&page.stderr)
    );

    // A node with [map] publishes when a register is added.
    let node_dir = tmp.path().join("node");
    ok(&[
        "node",
        "init",
        "--dir",
        path(&node_dir),
        "--member",
        PROVIDER,
        "--ca",
        path(&ca),
        "--peer-listen",
        "127.0.0.1:0",
        "--app-listen",
        "127.0.0.1:0",
    ]);
    let node_toml = node_dir.join("node.toml");
    let mut toml = std::fs::read_to_string(&node_toml).expect("read");
    toml.push_str(&format!(
        "\n[map]\nurl = \"https://localhost:{api_port}\"\nmember = \"DE:BUND:registerlandkarte\"\npeer_url = \"https://localhost:8443\"\n"
    ));
    std::fs::write(&node_toml, toml).expect("write");
    let added = once(&[
        "register",
        "add",
        "--config",
        path(&node_toml),
        "--id",
        "melderegister-bremen",
        "--name",
        "Melderegister Bremen",
        "--evidence-type",
        RESIDENCE,
        "--level",
        "municipality",
        "--jurisdiction",
        "04011000",
        "--legal-basis",
        "Bundesmeldegesetz (BMG)",
        "--register-type",
        "melderegister",
        "--standard",
        "XMeld",
    ]);
    let out = stdout(&added);
    assert!(
        out.contains("1 registers published to the register map"),
        "{out} {}",
        stderr(&added)
    );
    let out = ok(&["node", "publish", "--config", path(&node_toml)]);
    assert!(out.contains("1 registers published"), "{out}");
    let accepted = map
        .events()
        .iter()
        .filter(|e| e["message"] == "descriptor accepted")
        .count();
    assert_eq!(accepted, 2, "{:?}", map.events());

    // The node's published register replaced the seed instance of its type.
    let search = curl(&["-f", &format!("{web}?q=Melderegister+Bremen")]);
    let html = String::from_utf8_lossy(&search.stdout);
    assert!(search.status.success(), "{html}");

    signal(&map.child, "TERM");
    let mut child = map.child;
    assert!(child.wait().expect("stopped").success());
}
