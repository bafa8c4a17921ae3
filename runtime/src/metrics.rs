//! Prometheus metrics of a node or register map, in the text exposition format (version 0.0.4).
//!
//! Counters and histograms are updated on the request path (one map lookup and a few atomic
//! additions); gauges that describe state (certificate expiry, message-log length, pool use) are
//! read when `/metrics` is scraped, so they are never stale.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

/// Upper bounds of the latency histograms, in seconds.
pub const LATENCY_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// What a metric family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up.
    Counter,
    /// Any value, read when scraped.
    Gauge,
    /// Observations counted into [`LATENCY_BUCKETS`].
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A metric family: name, help text, kind.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// The metric name.
    pub name: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// Its kind.
    pub kind: Kind,
}

/// Evidence exchanges, by role, peer, evidence type and outcome.
pub const EXCHANGES: Family = Family {
    name: "once_exchanges_total",
    help: "Evidence exchanges by role (provider answered, requester asked), peer member, evidence type and outcome (evidence, an EDM error code, or the requester's error code).",
    kind: Kind::Counter,
};
/// Exchange latency.
pub const EXCHANGE_SECONDS: Family = Family {
    name: "once_exchange_duration_seconds",
    help: "Time to complete an evidence exchange (provider: request read to answer logged; requester: query to checked answer).",
    kind: Kind::Histogram,
};
/// HTTP requests.
pub const HTTP_REQUESTS: Family = Family {
    name: "once_http_requests_total",
    help: "HTTP requests by endpoint, route pattern and status code.",
    kind: Kind::Counter,
};
/// HTTP latency.
pub const HTTP_SECONDS: Family = Family {
    name: "once_http_request_duration_seconds",
    help: "Time from request received to response headers, by endpoint.",
    kind: Kind::Histogram,
};
/// TLS handshakes refused.
pub const TLS_REFUSED: Family = Family {
    name: "once_tls_handshake_failures_total",
    help: "TLS handshakes refused because of the client certificate, by endpoint and reason.",
    kind: Kind::Counter,
};
/// Requests shed under overload.
pub const SHED: Family = Family {
    name: "once_requests_shed_total",
    help: "Exchange requests answered 503 at once because server.max_in_flight were in progress, by endpoint.",
    kind: Kind::Counter,
};
/// Certificate expiry.
pub const CERT_DAYS: Family = Family {
    name: "once_certificate_expiry_days",
    help: "Days until a certificate in use expires (tls, signing, ca).",
    kind: Kind::Gauge,
};
/// CRL nextUpdate.
pub const CRL_NEXT_UPDATE: Family = Family {
    name: "once_crl_next_update_timestamp_seconds",
    help: "nextUpdate of the CRL in force, as a Unix time.",
    kind: Kind::Gauge,
};
/// Message-log length.
pub const LOG_ENTRIES: Family = Family {
    name: "once_message_log_entries",
    help: "Entries in the message log (its last sequence number).",
    kind: Kind::Gauge,
};
/// Last checkpoint time.
pub const LOG_CHECKPOINT_TIME: Family = Family {
    name: "once_message_log_last_checkpoint_timestamp_seconds",
    help: "When the message log's chain head was last signed, as a Unix time (0: never).",
    kind: Kind::Gauge,
};
/// Last checkpoint sequence.
pub const LOG_CHECKPOINT_SEQ: Family = Family {
    name: "once_message_log_last_checkpoint_entry",
    help: "The log entry the last checkpoint covers.",
    kind: Kind::Gauge,
};
/// Pool connections.
pub const POOL_CONNECTIONS: Family = Family {
    name: "once_db_pool_connections",
    help: "Database pool connections by state (idle, in_use).",
    kind: Kind::Gauge,
};
/// Pool size.
pub const POOL_MAX: Family = Family {
    name: "once_db_pool_max_connections",
    help: "The database pool's configured size.",
    kind: Kind::Gauge,
};
/// Scrape-time database problems.
pub const DB_UP: Family = Family {
    name: "once_db_up",
    help: "1 if the database answered the scrape's queries, 0 if not.",
    kind: Kind::Gauge,
};
/// Build information.
pub const BUILD_INFO: Family = Family {
    name: "once_build_info",
    help: "Always 1; labels say the version and the member this server runs as.",
    kind: Kind::Gauge,
};
/// Start time.
pub const START_TIME: Family = Family {
    name: "once_process_start_time_seconds",
    help: "When this server started, as a Unix time.",
    kind: Kind::Gauge,
};
/// Registers in the map.
pub const MAP_REGISTERS: Family = Family {
    name: "once_map_registers",
    help: "Registers in the register map, by whether a node serves them (connected true/false).",
    kind: Kind::Gauge,
};
/// Members in the map.
pub const MAP_MEMBERS: Family = Family {
    name: "once_map_members",
    help: "Members known to the register map.",
    kind: Kind::Gauge,
};

/// Label names and values of one series.
pub type Labels = Vec<(&'static str, String)>;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Series {
    name: &'static str,
    labels: Labels,
}

#[derive(Debug, Default)]
struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

/// A gauge value read at scrape time.
#[derive(Debug, Clone)]
pub struct Gauge {
    /// Its family.
    pub family: Family,
    /// Its labels.
    pub labels: Labels,
    /// Its value.
    pub value: f64,
}

impl Gauge {
    /// A gauge without labels.
    pub fn new(family: Family, value: f64) -> Gauge {
        Gauge {
            family,
            labels: Vec::new(),
            value,
        }
    }

    /// A gauge with labels.
    pub fn labelled(family: Family, labels: &[(&'static str, &str)], value: f64) -> Gauge {
        Gauge {
            family,
            labels: own(labels),
            value,
        }
    }
}

/// The counters and histograms of one server.
#[derive(Debug)]
pub struct Metrics {
    families: Vec<Family>,
    counters: DashMap<Series, AtomicU64>,
    histograms: DashMap<Series, Histogram>,
}

impl Metrics {
    /// A registry that reports these counter and histogram families (with HELP and TYPE even
    /// before the first observation).
    pub fn new(families: &[Family]) -> Metrics {
        Metrics {
            families: families.to_vec(),
            counters: DashMap::new(),
            histograms: DashMap::new(),
        }
    }

    /// The families of a node.
    pub fn node() -> Metrics {
        Metrics::new(&[
            EXCHANGES,
            EXCHANGE_SECONDS,
            HTTP_REQUESTS,
            HTTP_SECONDS,
            TLS_REFUSED,
            SHED,
        ])
    }

    /// The families of a register map.
    pub fn map() -> Metrics {
        Metrics::new(&[HTTP_REQUESTS, HTTP_SECONDS, TLS_REFUSED])
    }

    /// Adds one to a counter.
    pub fn inc(&self, family: Family, labels: &[(&'static str, &str)]) {
        self.add(family, labels, 1);
    }

    /// Adds `n` to a counter.
    pub fn add(&self, family: Family, labels: &[(&'static str, &str)], n: u64) {
        let series = Series {
            name: family.name,
            labels: own(labels),
        };
        if let Some(counter) = self.counters.get(&series) {
            counter.fetch_add(n, Ordering::Relaxed);
            return;
        }
        self.counters
            .entry(series)
            .or_default()
            .fetch_add(n, Ordering::Relaxed);
    }

    /// Sets a counter that is kept elsewhere (e.g. the TLS verifiers' refusal counts).
    pub fn set_counter(&self, family: Family, labels: &[(&'static str, &str)], value: u64) {
        let series = Series {
            name: family.name,
            labels: own(labels),
        };
        self.counters
            .entry(series)
            .or_default()
            .store(value, Ordering::Relaxed);
    }

    /// Records one observation of a duration.
    pub fn observe(
        &self,
        family: Family,
        labels: &[(&'static str, &str)],
        elapsed: std::time::Duration,
    ) {
        let series = Series {
            name: family.name,
            labels: own(labels),
        };
        let record = |h: &Histogram| {
            let seconds = elapsed.as_secs_f64();
            for (bucket, bound) in h.buckets.iter().zip(LATENCY_BUCKETS) {
                if seconds <= bound {
                    bucket.fetch_add(1, Ordering::Relaxed);
                }
            }
            h.count.fetch_add(1, Ordering::Relaxed);
            let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
            h.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        };
        if let Some(h) = self.histograms.get(&series) {
            record(&h);
            return;
        }
        record(&self.histograms.entry(series).or_default());
    }

    /// The exposition text: every family (counters, histograms, then the gauges given),
    /// series sorted by labels.
    pub fn render(&self, gauges: &[Gauge]) -> String {
        let mut out = String::with_capacity(8192);
        for family in &self.families {
            header(&mut out, family);
            match family.kind {
                Kind::Counter => {
                    let mut series: Vec<(Labels, u64)> = self
                        .counters
                        .iter()
                        .filter(|e| e.key().name == family.name)
                        .map(|e| (e.key().labels.clone(), e.value().load(Ordering::Relaxed)))
                        .collect();
                    series.sort();
                    for (labels, value) in series {
                        sample(&mut out, family.name, &labels, None, value as f64);
                    }
                }
                Kind::Histogram => {
                    let mut series: Vec<(Labels, Vec<u64>, u64, u64)> = self
                        .histograms
                        .iter()
                        .filter(|e| e.key().name == family.name)
                        .map(|e| {
                            let h = e.value();
                            (
                                e.key().labels.clone(),
                                h.buckets
                                    .iter()
                                    .map(|b| b.load(Ordering::Relaxed))
                                    .collect(),
                                h.count.load(Ordering::Relaxed),
                                h.sum_nanos.load(Ordering::Relaxed),
                            )
                        })
                        .collect();
                    series.sort();
                    for (labels, buckets, count, sum_nanos) in series {
                        let bucket_name = format!("{}_bucket", family.name);
                        for (value, bound) in buckets.iter().zip(LATENCY_BUCKETS) {
                            let le = bound.to_string();
                            sample(&mut out, &bucket_name, &labels, Some(&le), *value as f64);
                        }
                        sample(&mut out, &bucket_name, &labels, Some("+Inf"), count as f64);
                        sample(
                            &mut out,
                            &format!("{}_sum", family.name),
                            &labels,
                            None,
                            sum_nanos as f64 / 1e9,
                        );
                        sample(
                            &mut out,
                            &format!("{}_count", family.name),
                            &labels,
                            None,
                            count as f64,
                        );
                    }
                }
                Kind::Gauge => {}
            }
        }
        let mut seen: Vec<&'static str> = Vec::new();
        for gauge in gauges {
            if !seen.contains(&gauge.family.name) {
                seen.push(gauge.family.name);
                header(&mut out, &gauge.family);
                for g in gauges.iter().filter(|g| g.family.name == gauge.family.name) {
                    sample(&mut out, g.family.name, &g.labels, None, g.value);
                }
            }
        }
        out
    }
}

fn own(labels: &[(&'static str, &str)]) -> Labels {
    labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

fn header(out: &mut String, family: &Family) {
    let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
    let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
}

fn sample(out: &mut String, name: &str, labels: &Labels, le: Option<&str>, value: f64) {
    out.push_str(name);
    if !labels.is_empty() || le.is_some() {
        out.push('{');
        let mut first = true;
        let all = labels
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(le.map(|le| ("le", le)));
        for (key, value) in all {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(key);
            out.push_str("=\"");
            escape_into(out, value);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        let _ = write!(out, "{}", value as i64);
    } else if value.is_nan() {
        out.push_str("NaN");
    } else {
        let _ = write!(out, "{value}");
    }
    out.push('\n');
}

/// Label values escape backslash, double quote and line feed.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// The gauges every server reports: build, start time, certificates, CRL, database pool.
pub fn common_gauges(
    member: &str,
    started: i64,
    material: &crate::material::Material,
    crl: &crate::material::LoadedCrl,
    pool: &once_store::DbPool,
) -> Vec<Gauge> {
    let now = time::OffsetDateTime::now_utc();
    let days = |not_after: time::OffsetDateTime| (not_after - now).as_seconds_f64() / 86_400.0;
    let mut gauges = vec![
        Gauge::labelled(
            BUILD_INFO,
            &[("version", env!("CARGO_PKG_VERSION")), ("member", member)],
            1.0,
        ),
        Gauge::new(START_TIME, started as f64),
        Gauge::labelled(
            CERT_DAYS,
            &[("certificate", "tls")],
            days(material.tls_info.not_after),
        ),
        Gauge::labelled(
            CERT_DAYS,
            &[("certificate", "signing")],
            days(material.signing_info.not_after),
        ),
    ];
    if let Some(ca) = material
        .ca_certs
        .first()
        .and_then(|c| once_pki::inspect::CertInfo::from_der(c).ok())
    {
        gauges.push(Gauge::labelled(
            CERT_DAYS,
            &[("certificate", "ca")],
            days(ca.not_after),
        ));
    }
    if let Some(next) = crl.info.next_update {
        gauges.push(Gauge::new(CRL_NEXT_UPDATE, next.unix_timestamp() as f64));
    }
    let state = pool.state();
    gauges.push(Gauge::labelled(
        POOL_CONNECTIONS,
        &[("state", "idle")],
        f64::from(state.idle_connections),
    ));
    gauges.push(Gauge::labelled(
        POOL_CONNECTIONS,
        &[("state", "in_use")],
        f64::from(state.connections - state.idle_connections),
    ));
    gauges.push(Gauge::new(POOL_MAX, f64::from(pool.max_size())));
    gauges
}

/// What the request middleware of one endpoint records into: the server's metrics and, if
/// configured, the span exporter.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    /// The server's metrics.
    pub metrics: Arc<Metrics>,
    /// The endpoint's name (`peer`, `application`, `preview`, `api`, `web`).
    pub endpoint: &'static str,
    /// Exports the requests' server spans.
    pub tracer: Option<Arc<crate::telemetry::Tracer>>,
}

impl HttpMetrics {
    /// App data for an endpoint's `App`.
    pub fn data(
        metrics: &Arc<Metrics>,
        tracer: &Option<Arc<crate::telemetry::Tracer>>,
        endpoint: &'static str,
    ) -> actix_web::web::Data<HttpMetrics> {
        actix_web::web::Data::new(HttpMetrics {
            metrics: metrics.clone(),
            endpoint,
            tracer: tracer.clone(),
        })
    }

    /// Records one request.
    pub fn record(&self, route: &str, status: u16, elapsed: std::time::Duration) {
        let status = status.to_string();
        self.metrics.inc(
            HTTP_REQUESTS,
            &[
                ("endpoint", self.endpoint),
                ("route", route),
                ("status", &status),
            ],
        );
        self.metrics
            .observe(HTTP_SECONDS, &[("endpoint", self.endpoint)], elapsed);
    }
}

/// Copies the TLS verifiers' refusal counts into the metrics (they are counted inside the
/// verifiers, which know nothing of metrics).
pub fn record_tls_refusals(
    metrics: &Metrics,
    verifiers: &[(&'static str, Arc<once_pki::tls::PeerVerifier>)],
) {
    for (endpoint, verifier) in verifiers {
        for (reason, n) in verifier.refusals() {
            if n > 0 {
                metrics.set_counter(
                    TLS_REFUSED,
                    &[("endpoint", endpoint), ("reason", reason)],
                    n,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges_in_the_exposition_format() {
        let m = Metrics::node();
        m.inc(EXCHANGES, &[("role", "provider"), ("outcome", "evidence")]);
        m.inc(EXCHANGES, &[("role", "provider"), ("outcome", "evidence")]);
        m.inc(
            EXCHANGES,
            &[("role", "provider"), ("outcome", "a\"b\\c\nd")],
        );
        m.observe(
            EXCHANGE_SECONDS,
            &[("role", "provider")],
            std::time::Duration::from_millis(3),
        );
        let text = m.render(&[Gauge::labelled(CERT_DAYS, &[("certificate", "tls")], 1.5)]);
        assert!(
            text.contains("# TYPE once_exchanges_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("once_exchanges_total{role=\"provider\",outcome=\"evidence\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"outcome="a\"b\\c\nd"} 1"#),
            "label values are escaped: {text}"
        );
        assert!(
            text.contains(
                "once_exchange_duration_seconds_bucket{role=\"provider\",le=\"0.0025\"} 0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "once_exchange_duration_seconds_bucket{role=\"provider\",le=\"0.005\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "once_exchange_duration_seconds_bucket{role=\"provider\",le=\"+Inf\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("once_exchange_duration_seconds_sum{role=\"provider\"} 0.003\n"),
            "{text}"
        );
        assert!(
            text.contains("once_certificate_expiry_days{certificate=\"tls\"} 1.5\n"),
            "{text}"
        );
        // Families without samples still say what they are.
        assert!(text.contains("# TYPE once_tls_handshake_failures_total counter\n"));
    }
}
