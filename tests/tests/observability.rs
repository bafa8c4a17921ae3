//! Operations: Prometheus `/metrics` on a node and on the register map (their content after real
//! exchanges and refused handshakes), one exchange as one trace across two nodes, exported over
//! OTLP/HTTP to a collector, and requests that do not wait for a collector that never answers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use once_pki::ca::{Ca, Validity};
use once_runtime::telemetry::TelemetryConfig;
use once_tests::client::{get, tls_client};
use once_tests::exchange::{
    PROCEDURE, PROVIDER, REQUESTER, RESIDENCE, add_requester, api_key, bremen_provider, browser,
    residence_query, start_provider,
};
use once_tests::{TestFederation, free_port};
use serde_json::{Value, json};

const UNRULED: &str = "urn:test:procedure:without-access-rule";

/// An OTLP/HTTP collector on loopback that keeps every span it receives.
struct Collector {
    url: String,
    spans: Arc<Mutex<Vec<Value>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Collector {
    fn start() -> Collector {
        let spans: Arc<Mutex<Vec<Value>>> = Arc::default();
        let kept = spans.clone();
        let port = free_port();
        let server = HttpServer::new(move || {
            let kept = kept.clone();
            App::new().route(
                "/v1/traces",
                web::post().to(move |body: web::Bytes| {
                    let kept = kept.clone();
                    async move {
                        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
                            return HttpResponse::BadRequest().finish();
                        };
                        let mut kept = kept.lock().expect("lock");
                        for resource in request["resourceSpans"].as_array().into_iter().flatten() {
                            let member = resource["resource"]["attributes"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .find(|a| a["key"] == "once.member_id")
                                .map(|a| a["value"]["stringValue"].clone())
                                .unwrap_or(Value::Null);
                            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                                for span in scope["spans"].as_array().into_iter().flatten() {
                                    let mut span = span.clone();
                                    span["member"] = member.clone();
                                    kept.push(span);
                                }
                            }
                        }
                        HttpResponse::Ok().json(json!({}))
                    }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", port))
        .expect("bind collector")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Collector {
            url: format!("http://127.0.0.1:{port}"),
            spans,
            handle,
        }
    }

    /// Waits (bounded) until a span matching `f` arrived.
    async fn wait_for(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            if let Some(span) = self.spans.lock().expect("lock").iter().find(|s| f(s)) {
                return span.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no span {what} arrived; got {:#?}",
            self.spans.lock().expect("lock")
        );
    }
}

fn telemetry(url: &str) -> Option<TelemetryConfig> {
    Some(TelemetryConfig {
        otlp_endpoint: url.to_owned(),
        service_name: "once-test".into(),
        export_interval_ms: 100,
        max_queue: 1024,
    })
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)?["value"]["stringValue"]
        .as_str()
}

/// The value of the sample `name{labels}` in an exposition text (labels exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[actix_rt::test]
async fn metrics_and_traces_follow_every_exchange() {
    let collector = Collector::start();
    let otlp = collector.url.clone();
    let mut fed = start_provider(
        TestFederation::builder().configure(move |c| c.telemetry = telemetry(&otlp)),
    )
    .await
    .expect("provider");
    let provider_pool = fed.node(0).pool();
    let provider_url = fed.node(0).peer_url();
    let otlp = collector.url.clone();
    let requester_key = add_requester(&mut fed, vec![bremen_provider(provider_url)], move |c| {
        c.telemetry = telemetry(&otlp);
    })
    .await
    .expect("requester");
    let provider_key = api_key(&provider_pool, "ops").await.expect("key");
    let http = browser(&fed.ca_pem_path()).expect("client");
    let ask = |procedure: &'static str, traceparent: Option<&'static str>| {
        let mut request = http
            .post(format!("{}/v1/evidence-requests", fed.node(1).app_url()))
            .bearer_auth(&requester_key)
            .json(&residence_query(procedure));
        if let Some(tp) = traceparent {
            request = request.header("traceparent", tp);
        }
        request.send()
    };

    // One exchange delivers evidence, under the application's own trace.
    let app_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let app_span = "00f067aa0ba902b7";
    let answer = ask(
        PROCEDURE,
        Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    )
    .await
    .expect("requester answers");
    assert_eq!(answer.status().as_u16(), 200);
    // One is refused by the provider (no access rule for this procedure).
    let refused = ask(UNRULED, None).await.expect("requester answers");
    assert_eq!(refused.status().as_u16(), 403);
    // A stranger with a certificate from another CA is refused at the handshake.
    let foreign_dir = fed.dir().join("foreign");
    let mut foreign = Ca::init(&foreign_dir.join("ca"), "Foreign", 30).expect("foreign ca");
    foreign
        .issue_node(
            &"DE:BUND:fremd".parse().expect("id"),
            &["localhost".into()],
            Validity::days_from_now(2),
        )
        .expect("issue")
        .write_to(&foreign_dir.join("node"), foreign.cert_pem())
        .expect("write");
    let stranger = tls_client(
        &fed.ca_pem_path(),
        Some((
            &foreign_dir.join("node/tls.pem"),
            &foreign_dir.join("node/tls.key"),
        )),
    )
    .expect("client");
    assert!(
        get(stranger, fed.node(0).peer_addr(), "/v1/identity")
            .await
            .is_err()
    );

    // The provider's metrics.
    let scrape = |node: usize, key: Option<String>| {
        let mut request = http.get(format!("{}/metrics", fed.node(node).app_url()));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    let unauthenticated = scrape(0, None).await.expect("answer");
    assert_eq!(
        unauthenticated.status().as_u16(),
        401,
        "metrics need an API key"
    );
    let response = scrape(0, Some(provider_key.clone()))
        .await
        .expect("metrics");
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = response.text().await.expect("text");
    let provider_evidence = format!(
        "once_exchanges_total{{role=\"provider\",peer=\"{REQUESTER}\",evidence_type=\"{RESIDENCE}\",outcome=\"evidence\"}}"
    );
    assert_eq!(sample(&text, &provider_evidence), Some(1.0), "{text}");
    let provider_refused = format!(
        "once_exchanges_total{{role=\"provider\",peer=\"{REQUESTER}\",evidence_type=\"{RESIDENCE}\",outcome=\"EDM:ERR:0002\"}}"
    );
    assert_eq!(sample(&text, &provider_refused), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            &format!(
                "once_exchange_duration_seconds_count{{role=\"provider\",evidence_type=\"{RESIDENCE}\"}}"
            )
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "once_http_requests_total{endpoint=\"peer\",route=\"/v1/exchange\",status=\"200\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "once_tls_handshake_failures_total{endpoint=\"peer\",reason=\"unknown_issuer\"}"
        ),
        Some(1.0),
        "{text}"
    );
    // Two exchanges, request and answer each, on the provider's log.
    assert_eq!(
        sample(&text, "once_message_log_entries"),
        Some(4.0),
        "{text}"
    );
    assert!(text.contains("# TYPE once_message_log_last_checkpoint_timestamp_seconds gauge"));
    let tls_days =
        sample(&text, "once_certificate_expiry_days{certificate=\"tls\"}").expect("tls expiry");
    assert!((29.0..=30.0).contains(&tls_days), "{tls_days}");
    assert!(
        sample(
            &text,
            "once_certificate_expiry_days{certificate=\"signing\"}"
        )
        .is_some()
    );
    assert!(sample(&text, "once_certificate_expiry_days{certificate=\"ca\"}").is_some());
    assert!(sample(&text, "once_crl_next_update_timestamp_seconds").is_some());
    assert_eq!(sample(&text, "once_db_pool_max_connections"), Some(4.0));
    assert!(sample(&text, "once_db_pool_connections{state=\"idle\"}").is_some());
    assert_eq!(sample(&text, "once_db_up"), Some(1.0));
    // Nothing personal: the subject's identification number and names are not in the metrics.
    assert!(!text.contains("65929970489") && !text.contains("Müller"));

    // The requester's metrics.
    let text = scrape(1, Some(requester_key.clone()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let requester_evidence = format!(
        "once_exchanges_total{{role=\"requester\",peer=\"{PROVIDER}\",evidence_type=\"{RESIDENCE}\",outcome=\"evidence\"}}"
    );
    assert_eq!(sample(&text, &requester_evidence), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "once_http_requests_total{endpoint=\"application\",route=\"/v1/evidence-requests\",status=\"403\"}"
        ),
        Some(1.0),
        "{text}"
    );

    // One trace: the application's span → the requester's server span → its client span to
    // the provider → the provider's server span.
    let requester_server = collector
        .wait_for("requester POST /v1/evidence-requests", |s| {
            s["member"] == REQUESTER
                && s["name"] == "POST /v1/evidence-requests"
                && s["traceId"] == app_trace
        })
        .await;
    assert_eq!(requester_server["parentSpanId"], app_span);
    assert_eq!(requester_server["kind"], 2);
    let client = collector
        .wait_for("requester client span", |s| {
            s["member"] == REQUESTER && s["kind"] == 3 && s["traceId"] == app_trace
        })
        .await;
    assert_eq!(client["parentSpanId"], requester_server["spanId"]);
    assert_eq!(attribute(&client, "once.peer.member_id"), Some(PROVIDER));
    let provider_server = collector
        .wait_for("provider POST /v1/exchange", |s| {
            s["member"] == PROVIDER && s["name"] == "POST /v1/exchange" && s["traceId"] == app_trace
        })
        .await;
    assert_eq!(provider_server["parentSpanId"], client["spanId"]);
    assert_eq!(
        attribute(&provider_server, "once.peer.member_id"),
        Some(REQUESTER)
    );
    assert_eq!(
        attribute(&provider_server, "http.response.status_code"),
        Some("200")
    );
    // The exchange without an incoming traceparent starts its own trace, still shared by both
    // nodes.
    let own = collector
        .wait_for("requester span of the refused exchange", |s| {
            s["member"] == REQUESTER && s["kind"] == 3 && s["traceId"] != app_trace
        })
        .await;
    collector
        .wait_for("provider span of the refused exchange", |s| {
            s["member"] == PROVIDER && s["traceId"] == own["traceId"]
        })
        .await;

    // The register map's metrics (public, on the web endpoint).
    fed.start_map().await.expect("map");
    let text = http
        .get(format!("{}/metrics", fed.map().web_url()))
        .send()
        .await
        .expect("map metrics")
        .text()
        .await
        .expect("text");
    assert!(sample(&text, "once_map_members").is_some(), "{text}");
    assert!(
        sample(&text, "once_map_registers{connected=\"false\"}").is_some(),
        "{text}"
    );
    assert!(sample(&text, "once_certificate_expiry_days{certificate=\"tls\"}").is_some());
    assert!(text.contains("# TYPE once_tls_handshake_failures_total counter"));

    collector.handle.stop(false).await;
    fed.stop().await;
}

#[actix_rt::test]
async fn a_collector_that_never_answers_never_makes_a_request_wait() {
    // It accepts connections and never reads or answers: an export hangs until its timeout, the
    // exporter's queue (4 spans) fills, and further spans are dropped.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        let _held: Vec<_> = listener.incoming().collect();
    });
    let fed = TestFederation::builder()
        .member(PROVIDER)
        .configure(move |c| {
            c.telemetry = Some(TelemetryConfig {
                otlp_endpoint: url.clone(),
                service_name: "once-test".into(),
                export_interval_ms: 10,
                max_queue: 4,
            });
        })
        .start()
        .await
        .expect("node");
    let http = browser(&fed.ca_pem_path()).expect("client");
    let all = Instant::now();
    for _ in 0..50 {
        let one = Instant::now();
        let answer = http
            .get(format!("{}/healthz", fed.node(0).app_url()))
            .send()
            .await
            .expect("answer");
        assert_eq!(answer.status().as_u16(), 200);
        assert!(
            one.elapsed() < Duration::from_secs(1),
            "a request waited {:?}",
            one.elapsed()
        );
    }
    assert!(
        all.elapsed() < Duration::from_secs(10),
        "{:?}",
        all.elapsed()
    );
    fed.stop().await;
}
