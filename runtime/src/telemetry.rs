//! Distributed tracing: one exchange is one trace across nodes.
//!
//! Every HTTP request gets a server span whose trace id comes from the caller's W3C
//! `traceparent` header (or is new); the trace id is a field of the request's log span, so every
//! log line of the request carries it. The requester sends `traceparent` to the provider with a
//! client span of its own as the parent, so the provider's server span is that span's child.
//!
//! With `[telemetry] otlp_endpoint` set, finished spans are exported in batches to an
//! OpenTelemetry collector over OTLP/HTTP with the JSON encoding (`POST <endpoint>/v1/traces`).
//! The queue is bounded: when the collector is slow or down, spans are dropped and counted, and
//! requests never wait for the exporter.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The HTTP header that carries the trace context.
pub const TRACEPARENT: &str = "traceparent";

/// A position in a trace: the trace id and the id of the current span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    /// 16 bytes, never all zero.
    pub trace_id: [u8; 16],
    /// 8 bytes, never all zero.
    pub span_id: [u8; 8],
    /// The caller's sampled flag.
    pub sampled: bool,
}

impl TraceContext {
    /// Reads a `traceparent` header (W3C Trace Context level 1): `00-<32 hex>-<16 hex>-<2 hex>`,
    /// lowercase, ids not all zero. Later versions are read by their first four fields, as the
    /// recommendation asks; version `ff` and anything malformed are ignored (`None`).
    pub fn parse(header: &str) -> Option<TraceContext> {
        let header = header.trim();
        let mut fields = header.split('-');
        let version = fields.next()?;
        let (trace, span, flags) = (fields.next()?, fields.next()?, fields.next()?);
        if version.len() != 2 || !is_lower_hex(version) || version == "ff" {
            return None;
        }
        if version == "00" && (fields.next().is_some() || header.len() != 55) {
            return None;
        }
        if trace.len() != 32 || span.len() != 16 || flags.len() != 2 {
            return None;
        }
        if !is_lower_hex(trace) || !is_lower_hex(span) || !is_lower_hex(flags) {
            return None;
        }
        let mut trace_id = [0u8; 16];
        let mut span_id = [0u8; 8];
        hex::decode_to_slice(trace, &mut trace_id).ok()?;
        hex::decode_to_slice(span, &mut span_id).ok()?;
        let flags = u8::from_str_radix(flags, 16).ok()?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            sampled: flags & 1 == 1,
        })
    }

    /// The start of a new trace.
    pub fn new_root() -> TraceContext {
        TraceContext {
            trace_id: nonzero(),
            span_id: nonzero(),
            sampled: true,
        }
    }

    /// A new span in the same trace.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            span_id: nonzero(),
            ..*self
        }
    }

    /// The `traceparent` header value naming this span as the parent.
    pub fn header(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id_hex(),
            hex::encode(self.span_id),
            u8::from(self.sampled)
        )
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        hex::encode(self.trace_id)
    }

    /// The span id, 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        hex::encode(self.span_id)
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn nonzero<const N: usize>() -> [u8; N] {
    loop {
        let id: [u8; N] = rand::random();
        if id != [0; N] {
            return id;
        }
    }
}

/// The server span of an HTTP request, kept in the request's extensions so handlers can
/// continue the trace.
#[derive(Debug, Clone, Copy)]
pub struct ServerSpan(pub TraceContext);

/// The kind of a span (OTLP `SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpanKind {
    /// Handles a request.
    Server,
    /// Makes a request.
    Client,
}

/// A finished span.
#[derive(Debug, Clone)]
pub struct SpanData {
    /// Its trace and id.
    pub context: TraceContext,
    /// The parent span's id, if any.
    pub parent: Option<[u8; 8]>,
    /// Its name, e.g. `POST /v1/exchange`.
    pub name: String,
    /// Server or client.
    pub kind: SpanKind,
    /// When it started.
    pub start: SystemTime,
    /// When it ended.
    pub end: SystemTime,
    /// Attributes (string values).
    pub attributes: Vec<(&'static str, String)>,
    /// Whether it failed.
    pub error: bool,
}

/// `[telemetry]`: OpenTelemetry export.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// The collector's OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318`; spans go to
    /// `<otlp_endpoint>/v1/traces` as JSON.
    pub otlp_endpoint: String,
    /// `service.name` of the exported spans.
    #[serde(default = "default_service_name")]
    pub service_name: String,
    /// How often a batch is sent (milliseconds).
    #[serde(default = "default_export_interval_ms")]
    pub export_interval_ms: u64,
    /// Spans kept while waiting for export; more are dropped (and counted).
    #[serde(default = "default_max_queue")]
    pub max_queue: usize,
}

fn default_service_name() -> String {
    "once".into()
}

fn default_export_interval_ms() -> u64 {
    2000
}

fn default_max_queue() -> usize {
    4096
}

/// Exports finished spans to an OTLP collector.
#[derive(Debug)]
pub struct Tracer {
    queue: tokio::sync::mpsc::Sender<SpanData>,
    dropped: AtomicU64,
}

impl Tracer {
    /// Starts the exporter task; `member` becomes the resource attribute `once.member_id`.
    pub fn start(config: &TelemetryConfig, member: &str) -> Result<Arc<Tracer>, String> {
        let url = format!("{}/v1/traces", config.otlp_endpoint.trim_end_matches('/'));
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(format!(
                "telemetry.otlp_endpoint must be an http:// or https:// URL, not {:?}",
                config.otlp_endpoint
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("telemetry: cannot build the OTLP client: {e}"))?;
        let (queue, receiver) = tokio::sync::mpsc::channel(config.max_queue.max(1));
        let resource = json!({
            "attributes": [
                attribute("service.name", &config.service_name),
                attribute("service.version", env!("CARGO_PKG_VERSION")),
                attribute("once.member_id", member),
            ]
        });
        let tracer = Arc::new(Tracer {
            queue,
            dropped: AtomicU64::new(0),
        });
        let interval = Duration::from_millis(config.export_interval_ms.max(10));
        tokio::spawn(export(receiver, client, url, resource, interval));
        Ok(tracer)
    }

    /// Queues a finished span; drops it if the queue is full.
    pub fn record(&self, span: SpanData) {
        if self.queue.try_send(span).is_err() {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            if dropped.is_power_of_two() {
                tracing::warn!(
                    telemetry.dropped = dropped,
                    "span queue full: spans are dropped"
                );
            }
        }
    }
}

/// Sends what is queued every `interval`, until every sender is gone.
async fn export(
    mut receiver: tokio::sync::mpsc::Receiver<SpanData>,
    client: reqwest::Client,
    url: String,
    resource: Value,
    interval: Duration,
) {
    let mut batch = Vec::new();
    loop {
        let deadline = tokio::time::sleep(interval);
        tokio::pin!(deadline);
        let open = loop {
            tokio::select! {
                span = receiver.recv() => match span {
                    Some(span) => {
                        batch.push(span);
                        if batch.len() >= 512 {
                            break true;
                        }
                    }
                    None => break false,
                },
                () = &mut deadline => break true,
            }
        };
        if !batch.is_empty() {
            let body = otlp_json(&resource, &batch);
            batch.clear();
            match client
                .post(&url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => {
                    tracing::warn!(http.status = r.status().as_u16(), url = %url, "OTLP export refused")
                }
                Err(e) => tracing::warn!(error = %e, url = %url, "OTLP export failed"),
            }
        }
        if !open {
            return;
        }
    }
}

fn attribute(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

fn unix_nanos(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_string()
}

/// An `ExportTraceServiceRequest` in the OTLP JSON encoding (ids as hex, times as strings of
/// nanoseconds).
pub fn otlp_json(resource: &Value, spans: &[SpanData]) -> String {
    let spans: Vec<Value> = spans
        .iter()
        .map(|s| {
            let mut span = json!({
                "traceId": s.context.trace_id_hex(),
                "spanId": s.context.span_id_hex(),
                "name": s.name,
                "kind": match s.kind { SpanKind::Server => 2, SpanKind::Client => 3 },
                "startTimeUnixNano": unix_nanos(s.start),
                "endTimeUnixNano": unix_nanos(s.end),
                "attributes": s.attributes.iter().map(|(k, v)| attribute(k, v)).collect::<Vec<_>>(),
                "status": { "code": if s.error { 2 } else { 1 } },
            });
            if let Some(parent) = s.parent {
                span["parentSpanId"] = Value::String(hex::encode(parent));
            }
            span
        })
        .collect();
    json!({
        "resourceSpans": [{
            "resource": resource,
            "scopeSpans": [{
                "scope": { "name": "once", "version": env!("CARGO_PKG_VERSION") },
                "spans": spans,
            }],
        }],
    })
    .to_string()
}

/// A short description of a trace context for logs: `<trace id>/<span id>`.
pub fn describe(context: &TraceContext) -> String {
    let mut out = context.trace_id_hex();
    let _ = write!(out, "/{}", context.span_id_hex());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_traceparent_as_the_recommendation_says() {
        let h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let c = TraceContext::parse(h).expect("valid");
        assert_eq!(c.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(c.span_id_hex(), "00f067aa0ba902b7");
        assert!(c.sampled);
        assert_eq!(c.header(), h);
        let child = c.child();
        assert_eq!(child.trace_id, c.trace_id);
        assert_ne!(child.span_id, c.span_id);
        // A later version is read by its first four fields.
        assert!(TraceContext::parse(&format!("01-{}-extra", &h[3..])).is_some());
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        ] {
            assert!(
                TraceContext::parse(bad).is_none(),
                "{bad:?} must be ignored"
            );
        }
    }

    #[test]
    fn otlp_json_names_trace_span_and_parent() {
        let root = TraceContext::new_root();
        let child = root.child();
        let now = SystemTime::now();
        let text = otlp_json(
            &json!({"attributes": []}),
            &[SpanData {
                context: child,
                parent: Some(root.span_id),
                name: "POST /v1/exchange".into(),
                kind: SpanKind::Server,
                start: now,
                end: now,
                attributes: vec![("http.route", "/v1/exchange".into())],
                error: false,
            }],
        );
        let v: Value = serde_json::from_str(&text).expect("json");
        let span = &v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["traceId"], root.trace_id_hex());
        assert_eq!(span["parentSpanId"], root.span_id_hex());
        assert_eq!(span["kind"], 2);
    }
}
