//! The analysts' web page of the register map in a real browser (headless Chromium through
//! chromedriver), against a map loaded with the full seed, two municipalities connected and
//! exchange counts reported: search, a facet, a register's, a type's and a member's page, the
//! graph and the map. Screenshots of each go to `<target>/tmp/browser-screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`, `/usr/bin/chromedriver`;
//! other paths through `ONCE_CHROMIUM` and `ONCE_CHROMEDRIVER`). Without them the test fails and
//! says so: CI installs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use once_registry_map::model::AreaLevel;
use once_registry_map::{db, seed};
use once_tests::{TestFederation, free_port};
use once_xml::descriptor::{NodeDescriptor, RegisterDescriptor};
use once_xml::level::Level;
use serde_json::{Value, json};

const BREMEN: &str = "DE-HB:KOMMUNE:04011000";
const BREMERHAVEN: &str = "DE-HB:KOMMUNE:04012000";
const REQUESTER: &str = "DE-HB:LAND:elterngeld";
const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";
/// The fill of a state without connected registers (`web::map::EMPTY_FILL`).
const EMPTY_FILL: &str = "#e6e9ee";
const WAIT: Duration = Duration::from_secs(20);

/// chromedriver as a child process, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tool(variable: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} not found: the browser test needs Chromium and its WebDriver. Install them with \
         `apt-get install -y chromium chromium-driver` (Debian package {package}; CI installs \
         them), or point {variable} at the program.",
        path.display()
    );
    path
}

async fn start_driver() -> Driver {
    let program = tool(
        "ONCE_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromium-driver",
    );
    let port = free_port();
    let child = Command::new(&program)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    driver
}

async fn browser(driver: &Driver) -> Client {
    let chromium = tool("ONCE_CHROMIUM", "/usr/bin/chromium", "chromium");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,900", "--lang=de-DE", "--no-first-run"],
        }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session through chromedriver")
}

fn descriptor(member: &str, name: &str, key: &str, records: u64, sequence: u64) -> NodeDescriptor {
    NodeDescriptor {
        member: member.into(),
        name: name.into(),
        peer_endpoint: format!("https://{}.example.invalid:8443", &key[..5]),
        tls_certificate_sha256: "ab".repeat(32),
        contact: Some("it@example.invalid".into()),
        issue_date_time: time::OffsetDateTime::now_utc(),
        sequence,
        registers: vec![RegisterDescriptor {
            id: "melderegister".into(),
            name: format!("Melderegister {}", name.trim_start_matches("Stadt ")),
            register_type: Some("melderegister".into()),
            level: Level::Municipality,
            jurisdictions: vec![key.into()],
            evidence_types: vec![RESIDENCE.into()],
            legal_basis: "Bundesmeldegesetz (BMG)".into(),
            standards: vec!["XMeld".into()],
            record_count: Some(records),
            contact: None,
        }],
    }
}

/// The full seed, Bremen and Bremerhaven connected (Bremerhaven published ten days ago, so it is
/// stale), and exchange counts of a parental-allowance office with both.
async fn seeded_map(fed: &mut TestFederation) {
    fed.start_map().await.expect("map");
    let state = fed.map().running().state().clone();
    let seed = tokio::task::spawn_blocking(seed::load)
        .await
        .expect("task")
        .expect("the seed");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    once_store::run(&state.pool, move |c| {
        db::replace_seed(
            c,
            &seed.types,
            &seed.jurisdictions,
            &seed.members,
            &seed.registers,
        )?;
        for (d, at) in [
            (
                descriptor(BREMEN, "Stadt Bremen", "04011000", 567_559, 1),
                now,
            ),
            (
                descriptor(BREMERHAVEN, "Stadt Bremerhaven", "04012000", 113_643, 1),
                now - 10 * 86_400,
            ),
        ] {
            db::accept_descriptor(c, &d, b"<descriptor/>", at)
                .map_err(|e| once_store::DbError::Task(e.to_string()))?;
        }
        let residence =
            |provider: &str, count: u64| (provider.to_owned(), RESIDENCE.to_owned(), count);
        db::record_flows(
            c,
            REQUESTER,
            "2026-11-20",
            &[residence(BREMEN, 12), residence(BREMERHAVEN, 5)],
        )?;
        db::record_flows(c, REQUESTER, "2026-11-21", &[residence(BREMEN, 30)])
    })
    .await
    .expect("seed and descriptors stored");
    state.reload().await.expect("catalogue");
}

async fn css(c: &Client, selector: &str) -> Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
}

async fn text(c: &Client, selector: &str) -> String {
    css(c, selector).await.text().await.expect("text")
}

async fn attr(c: &Client, selector: &str, name: &str) -> String {
    css(c, selector)
        .await
        .attr(name)
        .await
        .expect("attribute")
        .unwrap_or_else(|| panic!("{selector} has no {name}"))
}

async fn count(c: &Client, selector: &str) -> usize {
    c.find_all(Locator::Css(selector))
        .await
        .expect("elements")
        .len()
}

async fn total(c: &Client) -> usize {
    attr(c, "#total", "data-total")
        .await
        .parse()
        .expect("a number")
}

/// Waits until the page is a new one (the marker set on the old one is gone) and loaded.
async fn wait_for_new_page(c: &Client) {
    let deadline = Instant::now() + WAIT;
    loop {
        let state = c
            .execute(
                "return [window.__old === true, document.readyState];",
                vec![],
            )
            .await
            .expect("script");
        if state == json!([false, "complete"]) {
            return;
        }
        assert!(Instant::now() < deadline, "no new page: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn mark_page(c: &Client) {
    c.execute("window.__old = true;", vec![])
        .await
        .expect("script");
}

async fn click_and_wait(c: &Client, selector: &str) {
    mark_page(c).await;
    css(c, selector)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    wait_for_new_page(c).await;
}

async fn screenshot(c: &Client, dir: &Path, name: &str) {
    // The whole page: the window as tall as the document (up to a limit), then back.
    let height = c
        .execute(
            "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900)
        .clamp(600, 5000);
    c.set_window_size(1366, u32::try_from(height).unwrap_or(900))
        .await
        .expect("resize");
    let png = c.screenshot().await.expect("screenshot");
    c.set_window_size(1366, 900).await.expect("resize");
    assert!(png.starts_with(b"\x89PNG"), "{name} is a PNG");
    std::fs::write(dir.join(name), png).expect("screenshot written");
}

/// Links and sources that leave this origin (the page must work without internet).
async fn external_references(c: &Client) -> Value {
    c.execute(
        "return Array.from(document.querySelectorAll('[src],[href]'))
            .map(e => e.getAttribute('src') || e.getAttribute('href'))
            .concat(performance.getEntriesByType('resource').map(r => r.name))
            .filter(u => /^([a-z]+:)?\\/\\//i.test(u) && !u.startsWith(location.origin));",
        vec![],
    )
    .await
    .expect("script")
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_page_in_a_browser() {
    // Fail early, before the slow seeding, when the browser is missing.
    tool("ONCE_CHROMIUM", "/usr/bin/chromium", "chromium");
    tool(
        "ONCE_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromium-driver",
    );
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot directory");

    let mut fed = TestFederation::builder().start().await.expect("federation");
    let started = Instant::now();
    seeded_map(&mut fed).await;
    eprintln!("seeded in {:?}", started.elapsed());
    let base = fed.map().web_url();
    let catalogue = fed.map().running().state().catalogue.load_full();
    let all = catalogue.registers().len();
    assert!(all > 50_000, "the full seed: {all} registers");
    let population = catalogue.registers_of_type("melderegister").count();
    let bavarian_districts = catalogue
        .areas()
        .filter(|a| a.level == AreaLevel::District && a.state == "09")
        .count();
    let bavarian_cities = catalogue
        .areas()
        .filter(|a| a.level == AreaLevel::Municipality && a.state == "09" && a.key.ends_with("000"))
        .count();

    // Plain HTTP: headers, static files, exports, and how long a search takes.
    let http = reqwest::Client::new();
    let response = http.get(format!("{base}/")).send().await.expect("page");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let css_file = http
        .get(format!("{base}/static/style.css"))
        .send()
        .await
        .expect("css");
    assert_eq!(
        css_file.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert!(
        css_file.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("max-age")
    );
    // Words, words with facets, facets alone (which count over every register) and paging.
    let queries = [
        "q=Melderegister+Bremen",
        "q=bremen",
        "q=gewerbe&level=municipality",
        "q=Bundesmeldegesetz&page=3",
        "q=x",
        "",
        "connected=false&state=09",
        "level=district&type=oertliches-fahrzeugregister",
    ];
    let mut samples = Vec::new();
    for _ in 0..10 {
        for query in queries {
            let url = format!("{base}/?{query}");
            let t = Instant::now();
            let response = http.get(&url).send().await.expect("search");
            assert!(response.status().is_success(), "{url}");
            response.bytes().await.expect("body");
            samples.push(t.elapsed());
        }
    }
    let (p50, p99) = (
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    );
    eprintln!(
        "search page over HTTP ({} requests): p50 {p50:?}, p99 {p99:?}",
        samples.len()
    );
    // Reported, not asserted: timing targets are checked by `cargo bench --bench map` on a quiet
    // machine, never by tests on shared, noisy ones.

    let driver = start_driver().await;
    let c = browser(&driver).await;

    // The search page: everything, then the population registers, connected ones first.
    c.goto(&format!("{base}/")).await.expect("search page");
    assert_eq!(total(&c).await, all);
    assert!(
        text(&c, "#attribution").await.contains("Destatis"),
        "attribution in the footer"
    );
    assert_eq!(external_references(&c).await, json!([]));
    screenshot(&c, &shots, "01-search.png").await;
    let q = css(&c, "#q").await;
    q.send_keys("Melderegister").await.expect("typing");
    mark_page(&c).await;
    css(&c, "form.searchbar button[type=submit]")
        .await
        .click()
        .await
        .expect("search");
    wait_for_new_page(&c).await;
    assert_eq!(total(&c).await, population);
    assert_eq!(text(&c, "tr.hit:first-child .badge").await, "angeschlossen");

    // The state facet: Bremen (behind "more", as a small state).
    let bremen = "section.facet[data-facet=state] a[data-value='04']";
    if !css(&c, bremen)
        .await
        .is_displayed()
        .await
        .expect("displayed")
    {
        css(&c, "section.facet[data-facet=state] details summary")
            .await
            .click()
            .await
            .expect("more");
    }
    let facet_count = text(&c, &format!("{bremen} .count")).await;
    click_and_wait(&c, bremen).await;
    assert_eq!(total(&c).await, 2);
    assert_eq!(facet_count, "2");
    let chip = text(&c, ".chip[data-facet=state]").await;
    assert!(chip.contains("Land") && chip.contains("Bremen"), "{chip}");
    assert_eq!(count(&c, "tr.hit .badge.on").await, 2);
    assert_eq!(
        text(&c, "section.facet[data-facet=level] a.facet-value .count").await,
        "2"
    );
    screenshot(&c, &shots, "02-facet.png").await;

    // Narrower words keep the facet; removing the facet keeps the words.
    let q = css(&c, "#q").await;
    q.clear().await.expect("clear");
    q.send_keys("Melderegister Bremen").await.expect("typing");
    mark_page(&c).await;
    css(&c, "form.searchbar button[type=submit]")
        .await
        .click()
        .await
        .expect("search");
    wait_for_new_page(&c).await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .as_str()
            .contains("state=04")
    );
    assert_eq!(total(&c).await, 1);
    assert_eq!(
        text(&c, "tr.hit:first-child a.hit-name").await,
        "Melderegister Bremen"
    );
    click_and_wait(&c, ".chip[data-facet=state]").await;
    assert_eq!(count(&c, ".chip").await, 0);
    assert_eq!(total(&c).await, 1);

    // The register's page.
    click_and_wait(&c, "tr.hit:first-child a.hit-name").await;
    let url = c.current_url().await.expect("url");
    assert!(
        url.as_str()
            .ends_with("/registers?id=DE-HB%3AKOMMUNE%3A04011000%2Fmelderegister"),
        "{url}"
    );
    assert_eq!(
        text(&c, "#register-id").await,
        format!("{BREMEN}/melderegister")
    );
    assert_eq!(text(&c, "#register-type").await, "Melderegister");
    assert_eq!(text(&c, "#register-member").await, "Stadt Bremen");
    assert_eq!(text(&c, "#register-level").await, "Gemeinde");
    assert_eq!(text(&c, "#register-records").await, "567.559");
    assert!(
        text(&c, "#register-evidence")
            .await
            .contains("Meldebescheinigung")
    );
    assert!(
        text(&c, "#register-connected")
            .await
            .contains("https://04011.example.invalid:8443")
    );
    assert!(text(&c, "#register-areas").await.contains("Bremen"));
    let flows = text(&c, "table.flows").await;
    assert!(
        flows.contains("42") && flows.contains("2026-11-20 bis 2026-11-21"),
        "{flows}"
    );
    screenshot(&c, &shots, "03-register.png").await;

    // The type's page.
    click_and_wait(&c, "#register-type a").await;
    assert_eq!(
        text(&c, "h1")
            .await
            .lines()
            .next()
            .unwrap_or_default()
            .trim(),
        "Melderegister Population register"
    );
    let registers: usize = text(&c, "#type-registers")
        .await
        .replace('.', "")
        .parse()
        .expect("number");
    assert_eq!(registers, population);
    assert_eq!(text(&c, "#type-connected").await, "2");
    assert_eq!(count(&c, "ul.registers li .badge.on").await, 2);
    screenshot(&c, &shots, "04-type.png").await;

    // A member's page: Bremerhaven has not published for ten days.
    c.goto(&format!("{base}/members/DE-HB%3AKOMMUNE%3A04012000"))
        .await
        .expect("member");
    assert_eq!(text(&c, "#member-id").await, BREMERHAVEN);
    assert!(
        text(&c, "#member-endpoint")
            .await
            .contains("https://04012.example.invalid:8443")
    );
    assert_eq!(text(&c, "#member-stale").await, "veraltet");
    assert!(text(&c, "#member-published").await.contains("veraltet"));
    assert!(text(&c, "#flows-out").await.contains('5'));
    screenshot(&c, &shots, "05-member.png").await;

    // The graph: three members, two connected registers, two flows, the rest per type.
    c.goto(&format!("{base}/graph")).await.expect("graph");
    css(&c, "#graph[data-interactive=true]").await; // graph.js ran and read /api/graph
    assert_eq!(count(&c, "#graph a.node.member").await, 3);
    assert_eq!(count(&c, "#graph a.node.register").await, 2);
    assert_eq!(count(&c, "#graph path.edge.flow").await, 2);
    let labels: Vec<String> = {
        let mut labels = Vec::new();
        for label in c
            .find_all(Locator::Css("#graph text.edge-label"))
            .await
            .expect("labels")
        {
            labels.push(label.text().await.expect("text"));
        }
        labels.sort();
        labels
    };
    assert_eq!(labels, ["42", "5"]);
    let types_waiting = catalogue.types().len();
    let aggregates = count(&c, "#graph a.aggregate").await;
    assert!(
        aggregates > types_waiting / 2 && aggregates <= types_waiting,
        "{aggregates}"
    );
    let requester = css(&c, &format!("#graph a.node[data-id='{REQUESTER}'] circle")).await;
    assert!(
        requester.rectangle().await.expect("box").2 > 5.0,
        "the requester is drawn"
    );
    screenshot(&c, &shots, "06-graph.png").await;

    // The map: 16 states filled by connected registers; Bremen has them.
    c.goto(&format!("{base}/map")).await.expect("map");
    assert_eq!(count(&c, "#germany a.state path[fill]").await, 16);
    for shape in c
        .find_all(Locator::Css("#germany a.state path"))
        .await
        .expect("shapes")
    {
        let key = shape
            .attr("data-state")
            .await
            .expect("attr")
            .expect("state key");
        let fill = shape.attr("fill").await.expect("attr").expect("fill");
        let connected = shape
            .attr("data-connected")
            .await
            .expect("attr")
            .expect("count");
        assert!(fill.len() == 7 && fill.starts_with('#'), "{key}: {fill}");
        if key == "04" {
            assert_eq!(connected, "2");
            assert_ne!(fill, EMPTY_FILL, "Bremen is filled");
        } else {
            assert_eq!(
                (connected.as_str(), fill.as_str()),
                ("0", EMPTY_FILL),
                "state {key}"
            );
        }
    }
    // A click on Bavaria shows its districts in place (no new page).
    mark_page(&c).await;
    css(&c, "#state-by path")
        .await
        .click()
        .await
        .expect("click on Bavaria");
    css(&c, "#state-name[data-state='09']").await;
    assert_eq!(text(&c, "#state-name").await, "Bayern");
    assert_eq!(count(&c, "#district-list li").await, bavarian_districts);
    assert!(bavarian_districts > 90, "{bavarian_districts}");
    let mut cities = 0;
    for kind in c
        .find_all(Locator::Css("#district-list li .kind"))
        .await
        .expect("kinds")
    {
        cities += usize::from(kind.text().await.expect("text") == "kreisfreie Stadt");
    }
    assert_eq!(
        cities, bavarian_cities,
        "district-free cities told apart from Kreise"
    );
    assert!(
        c.current_url()
            .await
            .expect("url")
            .as_str()
            .ends_with("/map?state=09")
    );
    let same_page = c
        .execute("return window.__old === true;", vec![])
        .await
        .expect("script");
    assert_eq!(
        same_page,
        json!(true),
        "the districts came without reloading the page"
    );
    assert!(attr(&c, "#state-by", "class").await.contains("selected"));
    screenshot(&c, &shots, "07-map-bayern.png").await;
    // Bremen by address: its two cities, each with one connected register.
    c.goto(&format!("{base}/map?state=04"))
        .await
        .expect("map of Bremen");
    assert_eq!(text(&c, "#state-name").await, "Bremen");
    assert_eq!(count(&c, "#district-list li").await, 2);
    for key in ["04011", "04012"] {
        let row = format!("#district-list li[data-key='{key}']");
        assert_eq!(attr(&c, &row, "data-connected").await, "1");
        assert_eq!(text(&c, &format!("{row} .kind")).await, "kreisfreie Stadt");
    }
    assert!(text(&c, "#map-legend").await.contains("keine"));
    assert!(text(&c, "footer").await.contains("CC BY 4.0"));
    assert_eq!(external_references(&c).await, json!([]));
    screenshot(&c, &shots, "08-map-bremen.png").await;

    c.close().await.expect("browser closed");
    drop(driver);

    // The exports: the whole catalogue, as downloads.
    let csv = http
        .get(format!("{base}/export/registers.csv"))
        .send()
        .await
        .expect("csv");
    let headers = csv.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/csv")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .expect("ascii")
            .contains("registers.csv")
    );
    let csv = csv.text().await.expect("body");
    assert!(csv.lines().count() > all, "one row per register");
    assert!(
        csv.contains("Melderegister Bremen"),
        "the published register is in it"
    );
    let ttl = http
        .get(format!("{base}/export/dcat.ttl"))
        .send()
        .await
        .expect("dcat");
    assert!(
        ttl.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/turtle")
    );
    let ttl = ttl.text().await.expect("body");
    assert!(ttl.contains("dcat:Dataset"), "DCAT datasets");
    assert!(
        ttl.contains(&format!("<{base}/")),
        "URIs below the page's address"
    );
    eprintln!("screenshots in {}", shots.display());
    fed.stop().await;
}
