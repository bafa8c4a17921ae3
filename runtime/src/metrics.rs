//! Prometheus metrics of a node or register map, on `prometheus-client`, exposed in the text
//! exposition format (version 0.0.4).
//!
//! Every server has a [`Metrics`] of its own (one test process runs several nodes and a map, so
//! there is no global registry). The component that owns a counter or histogram registers it at
//! start-up and keeps a handle to it: the runtime the HTTP and load-shedding families
//! ([`HttpMetrics`]), the node's exchange its exchange families. Updating one on the request path
//! is a label-set lookup under a read lock and an atomic addition.
//!
//! Values that describe state (certificate expiry, CRL, database pool, TLS refusals counted by the
//! verifiers, the message log, the map's landscape) are read when `/metrics` is scraped, so they
//! are never stale: the scrape handler registers them, freshly read, into a registry of that
//! scrape ([`ServerState::register`] for what every server reports), and [`Metrics::encode`]
//! writes both registries.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Metric, Registry};

/// The `Content-Type` of the exposition (the Prometheus text format, version 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds of the latency histograms, in seconds.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A histogram of durations in seconds, in [`LATENCY_BUCKETS`].
pub type LatencyFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// A new, empty [`LatencyFamily`].
pub fn latency_family<L: EncodeLabelSet + Clone + std::hash::Hash + Eq>() -> LatencyFamily<L> {
    Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS))
}

/// The registry of one server, with the families every server has.
#[derive(Debug)]
pub struct Metrics {
    /// Registration happens at start-up, through shared references; a scrape locks it to encode.
    registry: Mutex<Registered>,
    http: HttpFamilies,
}

/// The registry and the names in it.
#[derive(Debug, Default)]
struct Registered {
    registry: Registry,
    names: Vec<String>,
}

impl Metrics {
    /// The metrics of a node: HTTP requests and requests shed under overload.
    pub fn node() -> Metrics {
        let metrics = Metrics::new();
        metrics.register(
            "once_requests_shed",
            "Exchange requests answered 503 at once because server.max_in_flight were in progress, by endpoint",
            metrics.http.shed.clone(),
        );
        metrics
    }

    /// The metrics of a register map: HTTP requests (it sheds no load).
    pub fn map() -> Metrics {
        Metrics::new()
    }

    fn new() -> Metrics {
        let metrics = Metrics {
            registry: Mutex::default(),
            http: HttpFamilies::default(),
        };
        metrics.register(
            "once_http_requests",
            "HTTP requests by endpoint, route pattern and status code",
            metrics.http.requests.clone(),
        );
        metrics.register(
            "once_http_request_duration_seconds",
            "Time from request received to response headers, by endpoint",
            metrics.http.duration.clone(),
        );
        metrics
    }

    /// Registers a family (or a single metric) its owner keeps a handle to. `name` is the name
    /// without the `_total` a counter gets in the exposition; `help` one line without a final
    /// full stop (one is added). The family is reported, with HELP and TYPE, even before its
    /// first sample. A name registered twice is refused: its series would be reported twice.
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let mut registered = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if registered.names.iter().any(|n| n == name) {
            debug_assert!(false, "metric {name} registered twice");
            tracing::error!(metric.name = name, "metric registered twice; ignored");
            return;
        }
        registered.names.push(name.to_owned());
        registered.registry.register(name, help, Described(metric));
    }

    /// The exposition text: the server's families, then what was read for this scrape.
    pub fn encode(&self, scraped: &Registry) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let registered = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        let written = prometheus_text::encode(&mut out, &registered.registry)
            .and_then(|()| prometheus_text::encode(&mut out, scraped));
        if written.is_err() {
            // Writing to a String does not fail; a metric's encoder could.
            tracing::error!("metrics: the exposition could not be written");
        }
        out
    }
}

/// Reports a family with HELP and TYPE even while it has no series, as Prometheus clients
/// usually do for counters and histograms (`prometheus-client` leaves empty families out).
#[derive(Debug)]
struct Described<M>(M);

impl<M: EncodeMetric> EncodeMetric for Described<M> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

/// The families the request middleware counts into.
#[derive(Debug, Clone)]
struct HttpFamilies {
    requests: Family<RequestLabels, Counter>,
    duration: LatencyFamily<EndpointLabels>,
    shed: Family<EndpointLabels, Counter>,
}

impl Default for HttpFamilies {
    fn default() -> HttpFamilies {
        HttpFamilies {
            requests: Family::default(),
            duration: latency_family(),
            shed: Family::default(),
        }
    }
}

/// What the request middleware of one endpoint records into: the server's HTTP families and, if
/// configured, the span exporter.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    http: HttpFamilies,
    /// The endpoint's name (`peer`, `application`, `preview`, `api`, `web`).
    pub endpoint: &'static str,
    /// Exports the requests' server spans.
    pub tracer: Option<Arc<crate::telemetry::Tracer>>,
}

impl HttpMetrics {
    /// App data for an endpoint's `App`.
    pub fn data(
        metrics: &Metrics,
        tracer: &Option<Arc<crate::telemetry::Tracer>>,
        endpoint: &'static str,
    ) -> actix_web::web::Data<HttpMetrics> {
        actix_web::web::Data::new(HttpMetrics {
            http: metrics.http.clone(),
            endpoint,
            tracer: tracer.clone(),
        })
    }

    /// Records one request to the route pattern `route` (taken, not copied).
    pub fn record(&self, route: String, status: u16, elapsed: Duration) {
        let endpoint = self.endpoint;
        self.http
            .requests
            .get_or_create(&RequestLabels {
                endpoint,
                route,
                status,
            })
            .inc();
        self.http
            .duration
            .get_or_create(&EndpointLabels { endpoint })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a request refused because too many were in progress.
    pub fn shed(&self) {
        let endpoint = self.endpoint;
        self.http
            .shed
            .get_or_create(&EndpointLabels { endpoint })
            .inc();
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
    member: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CertificateLabels {
    certificate: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RefusalLabels {
    endpoint: &'static str,
    reason: &'static str,
}

/// What every server reports about itself when scraped: build, start time, certificates, CRL,
/// database pool, and the handshakes its TLS verifiers refused.
#[derive(Debug)]
pub struct ServerState<'a> {
    /// The member this server runs as.
    pub member: &'a str,
    /// When it started (Unix time).
    pub started: i64,
    /// The certificates in force.
    pub material: &'a crate::material::Material,
    /// The CRL in force.
    pub crl: &'a crate::material::LoadedCrl,
    /// The database pool.
    pub pool: &'a once_store::DbPool,
    /// The client-certificate verifiers, by the endpoint they guard (they count refusals).
    pub tls_verifiers: &'a [(&'static str, Arc<once_pki::tls::PeerVerifier>)],
}

impl ServerState<'_> {
    /// Registers what it reads now into the registry of a scrape.
    pub fn register(&self, scrape: &mut Registry) {
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                member: self.member.to_owned(),
            })
            .set(1);
        scrape.register(
            "once_build_info",
            "Always 1; labels say the version and the member this server runs as",
            build,
        );
        scrape.register(
            "once_process_start_time_seconds",
            "When this server started, as a Unix time",
            ConstGauge::new(self.started),
        );
        scrape.register(
            "once_certificate_expiry_days",
            "Days until a certificate in use expires (tls, signing, ca)",
            self.certificate_days(),
        );
        if let Some(next) = self.crl.info.next_update {
            scrape.register(
                "once_crl_next_update_timestamp_seconds",
                "nextUpdate of the CRL in force, as a Unix time",
                ConstGauge::new(next.unix_timestamp()),
            );
        }
        let state = self.pool.state();
        let connections = Family::<PoolLabels, Gauge>::default();
        let idle = i64::from(state.idle_connections);
        let in_use = i64::from(state.connections) - idle;
        connections
            .get_or_create(&PoolLabels { state: "idle" })
            .set(idle);
        connections
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(in_use);
        scrape.register(
            "once_db_pool_connections",
            "Database pool connections by state (idle, in_use)",
            connections,
        );
        scrape.register(
            "once_db_pool_max_connections",
            "The database pool's configured size",
            ConstGauge::new(i64::from(self.pool.max_size())),
        );
        scrape.register(
            "once_tls_handshake_failures",
            "TLS handshakes refused because of the client certificate, by endpoint and reason",
            Described(self.tls_refusals()),
        );
    }

    fn certificate_days(&self) -> Family<CertificateLabels, Gauge<f64, AtomicU64>> {
        let now = time::OffsetDateTime::now_utc();
        let days = |not_after: time::OffsetDateTime| (not_after - now).as_seconds_f64() / 86_400.0;
        let family = Family::<CertificateLabels, Gauge<f64, AtomicU64>>::default();
        let ca = self
            .material
            .ca_certs
            .first()
            .and_then(|c| once_pki::inspect::CertInfo::from_der(c).ok());
        let certificates = [
            ("tls", Some(self.material.tls_info.not_after)),
            ("signing", Some(self.material.signing_info.not_after)),
            ("ca", ca.map(|ca| ca.not_after)),
        ];
        for (certificate, not_after) in certificates {
            if let Some(not_after) = not_after {
                family
                    .get_or_create(&CertificateLabels { certificate })
                    .set(days(not_after));
            }
        }
        family
    }

    /// The verifiers count refusals themselves (once-pki knows nothing of metrics); reasons
    /// that never happened are left out.
    fn tls_refusals(&self) -> Family<RefusalLabels, Counter> {
        let family = Family::<RefusalLabels, Counter>::default();
        for (endpoint, verifier) in self.tls_verifiers {
            for (reason, n) in verifier.refusals() {
                if n > 0 {
                    family
                        .get_or_create(&RefusalLabels { endpoint, reason })
                        .inc_by(n);
                }
            }
        }
        family
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
    struct Outcome {
        role: &'static str,
        outcome: String,
    }

    #[test]
    fn writes_counters_histograms_and_scraped_gauges_as_before() {
        let metrics = Metrics::node();
        let exchanges = Family::<Outcome, Counter>::default();
        let latency = latency_family::<EndpointLabels>();
        metrics.register("once_exchanges", "Exchanges", exchanges.clone());
        metrics.register("once_exchange_duration_seconds", "Time", latency.clone());
        metrics.register(
            "once_never",
            "Never counted",
            Family::<Outcome, Counter>::default(),
        );
        let evidence = Outcome {
            role: "provider",
            outcome: "evidence".into(),
        };
        exchanges.get_or_create(&evidence).inc();
        exchanges.get_or_create(&evidence).inc();
        let odd = Outcome {
            role: "provider",
            outcome: "a\"b\\c\nd".into(),
        };
        exchanges.get_or_create(&odd).inc();
        let provider = EndpointLabels {
            endpoint: "provider",
        };
        latency.get_or_create(&provider).observe(0.003);
        let http = HttpMetrics::data(&metrics, &None, "peer");
        http.record("/v1/exchange".into(), 200, Duration::from_millis(1));
        http.shed();
        let mut scrape = Registry::default();
        let days = Family::<CertificateLabels, Gauge<f64, AtomicU64>>::default();
        days.get_or_create(&CertificateLabels { certificate: "tls" })
            .set(1.5);
        scrape.register("once_certificate_expiry_days", "Days", days);
        let text = metrics.encode(&scrape);

        for line in [
            "# HELP once_exchanges_total Exchanges.\n",
            "# TYPE once_exchanges_total counter\n",
            "once_exchanges_total{role=\"provider\",outcome=\"evidence\"} 2\n",
            r#"outcome="a\"b\\c\nd"} 1"#,
            "# TYPE once_exchange_duration_seconds histogram\n",
            "once_exchange_duration_seconds_bucket{endpoint=\"provider\",le=\"0.0025\"} 0\n",
            "once_exchange_duration_seconds_bucket{endpoint=\"provider\",le=\"0.005\"} 1\n",
            "once_exchange_duration_seconds_bucket{endpoint=\"provider\",le=\"1\"} 1\n",
            "once_exchange_duration_seconds_bucket{endpoint=\"provider\",le=\"+Inf\"} 1\n",
            "once_exchange_duration_seconds_sum{endpoint=\"provider\"} 0.003\n",
            "once_exchange_duration_seconds_count{endpoint=\"provider\"} 1\n",
            "once_http_requests_total{endpoint=\"peer\",route=\"/v1/exchange\",status=\"200\"} 1\n",
            "once_http_request_duration_seconds_count{endpoint=\"peer\"} 1\n",
            "once_requests_shed_total{endpoint=\"peer\"} 1\n",
            "# TYPE once_certificate_expiry_days gauge\n",
            "once_certificate_expiry_days{certificate=\"tls\"} 1.5\n",
            // A family without samples still says what it is.
            "# TYPE once_never_total counter\n",
        ] {
            assert!(text.contains(line), "{line:?} missing in:\n{text}");
        }
        assert!(!text.contains("_total_total"), "{text}");
        let map = Metrics::map().encode(&Registry::default());
        assert!(!map.contains("once_requests_shed"), "{map}");
    }

    #[test]
    fn each_server_has_its_own_registry() {
        let (one, two) = (Metrics::node(), Metrics::node());
        HttpMetrics::data(&one, &None, "peer").record("/".into(), 200, Duration::ZERO);
        let empty = Registry::default();
        assert!(one.encode(&empty).contains("once_http_requests_total{"));
        assert!(!two.encode(&empty).contains("once_http_requests_total{"));
    }
}
