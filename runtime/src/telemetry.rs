//! Distributed tracing: one exchange is one trace across nodes, on the OpenTelemetry SDK.
//!
//! Every HTTP request gets a server span whose trace id comes from the caller's W3C
//! `traceparent` header (or is new); the trace id is a field of the request's log span, so every
//! log line of the request carries it. The requester sends `traceparent` to the provider with a
//! client span of its own as the parent, so the provider's server span is that span's child.
//! `traceparent` is read and written by the SDK's [`TraceContextPropagator`].
//!
//! With `[telemetry] otlp_endpoint` set, each server has a tracer provider of its own (its
//! resource names the member it runs as), whose batch span processor exports finished spans to an
//! OpenTelemetry collector over OTLP/HTTP with the JSON encoding (`POST <endpoint>/v1/traces`).
//! Its queue is bounded: when the collector is slow or down, spans are dropped (the SDK counts
//! them and logs the count), and requests never wait for the exporter. Without it, spans are not
//! recorded, but their ids are still made, so logs and the `traceparent` sent onwards carry the
//! trace.
//!
//! Spans are made with the OpenTelemetry API, not through `tracing-opentelemetry`: that layer
//! belongs to the process-wide `tracing` subscriber and exports through one tracer, while one
//! process may run several servers, each with its own resource and collector.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
    Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, IdGenerator, RandomIdGenerator, Sampler, SdkTracer,
    SdkTracerProvider,
};
use serde::{Deserialize, Serialize};

pub use opentelemetry::trace::SpanKind;

/// The HTTP header that carries the trace context.
pub const TRACEPARENT: &str = "traceparent";

/// A position in a trace: the trace id and the id of the current span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: TraceId,
    span_id: SpanId,
    sampled: bool,
}

impl TraceContext {
    /// Reads a `traceparent` header (W3C Trace Context level 1): `00-<32 hex>-<16 hex>-<2 hex>`,
    /// lowercase, ids not all zero. Later versions are read by their first four fields, as the
    /// recommendation asks; version `ff` and anything malformed are ignored (`None`).
    pub fn parse(header: &str) -> Option<TraceContext> {
        if !has_full_length_ids(header) {
            return None;
        }
        let context = TraceContextPropagator::new().extract(&Traceparent(header));
        let span = context.span();
        let span_context = span.span_context();
        span_context
            .is_valid()
            .then(|| TraceContext::of(span_context))
    }

    /// The start of a new trace.
    pub fn new_root() -> TraceContext {
        let ids = RandomIdGenerator::default();
        TraceContext {
            trace_id: ids.new_trace_id(),
            span_id: ids.new_span_id(),
            sampled: true,
        }
    }

    /// A new span in the same trace.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            span_id: RandomIdGenerator::default().new_span_id(),
            ..*self
        }
    }

    /// The `traceparent` header value naming this span as the parent.
    pub fn header(&self) -> String {
        let mut header = Traceparent(String::new());
        let context = Context::new().with_remote_span_context(self.span_context());
        TraceContextPropagator::new().inject_context(&context, &mut header);
        header.0
    }

    /// The trace id, 32 lowercase hex digits.
    pub fn trace_id_hex(&self) -> String {
        self.trace_id.to_string()
    }

    /// The span id, 16 lowercase hex digits.
    pub fn span_id_hex(&self) -> String {
        self.span_id.to_string()
    }

    fn of(span_context: &SpanContext) -> TraceContext {
        TraceContext {
            trace_id: span_context.trace_id(),
            span_id: span_context.span_id(),
            sampled: span_context.is_sampled(),
        }
    }

    fn span_context(&self) -> SpanContext {
        let flags = if self.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        SpanContext::new(self.trace_id, self.span_id, flags, true, TraceState::NONE)
    }
}

/// The propagator reads ids with `from_str_radix`, which takes a shorter id (or one with a `+`)
/// as a zero-padded one; the recommendation says to ignore such a header.
fn has_full_length_ids(header: &str) -> bool {
    let mut fields = header.trim().split('-').skip(1);
    let full = |field: Option<&str>, len: usize| {
        field.is_some_and(|f| f.len() == len && f.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    full(fields.next(), 32) && full(fields.next(), 16)
}

/// One `traceparent` value, read or written by the propagator.
struct Traceparent<T>(T);

impl<T: AsRef<str>> Extractor for Traceparent<T> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == TRACEPARENT).then(|| self.0.as_ref())
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT]
    }
}

impl Injector for Traceparent<String> {
    fn set(&mut self, key: &str, value: String) {
        if key == TRACEPARENT {
            self.0 = value;
        }
    }
}

/// The server span of an HTTP request, kept in the request's extensions so handlers can
/// continue the trace.
#[derive(Debug, Clone, Copy)]
pub struct ServerSpan(pub TraceContext);

/// A span in progress. It is recorded (and exported when it ends) only if a tracer is
/// configured; its ids exist either way.
#[derive(Debug)]
pub struct Span {
    context: TraceContext,
    recorded: Option<opentelemetry_sdk::trace::Span>,
}

impl Span {
    /// Starts a span of `kind` as a child of `parent` (a new trace if there is none).
    pub fn start(
        tracer: Option<&Tracer>,
        kind: SpanKind,
        name: impl Into<Cow<'static, str>>,
        parent: Option<TraceContext>,
    ) -> Span {
        let Some(tracer) = tracer else {
            return Span {
                context: parent.map_or_else(TraceContext::new_root, |p| p.child()),
                recorded: None,
            };
        };
        let parent = parent.map_or_else(Context::new, |p| {
            Context::new().with_remote_span_context(p.span_context())
        });
        let span = tracer
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .start_with_context(&tracer.tracer, &parent);
        Span {
            context: TraceContext::of(span.span_context()),
            recorded: Some(span),
        }
    }

    /// Its trace and id.
    pub fn context(&self) -> TraceContext {
        self.context
    }

    /// Whether it is recorded (if not, names and attributes are not worth making).
    pub fn is_recorded(&self) -> bool {
        self.recorded.is_some()
    }

    /// Names it (e.g. once the route is known).
    pub fn rename(&mut self, name: String) {
        if let Some(span) = &mut self.recorded {
            span.update_name(name);
        }
    }

    /// Sets an attribute.
    pub fn set_attribute(&mut self, key: &'static str, value: impl Into<opentelemetry::Value>) {
        if let Some(span) = &mut self.recorded {
            span.set_attribute(KeyValue::new(key, value));
        }
    }

    /// Ends it now, with the status error if it `failed`, ok otherwise.
    pub fn end(self, failed: bool) {
        if let Some(mut span) = self.recorded {
            span.set_status(if failed {
                Status::error("")
            } else {
                Status::Ok
            });
            span.end();
        }
    }
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
    /// How often a batch is sent (milliseconds): the batch span processor's schedule delay.
    #[serde(default = "default_export_interval_ms")]
    pub export_interval_ms: u64,
    /// Spans kept while waiting for export (the batch span processor's queue); more are
    /// dropped (and counted).
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

/// The tracer of one server: its own provider, resource and exporter.
#[derive(Debug)]
pub struct Tracer {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Tracer {
    /// The tracer `[telemetry]` asks for, if any; a wrong section is an error naming it.
    pub fn configured(
        config: Option<&TelemetryConfig>,
        member: &str,
    ) -> Result<Option<Arc<Tracer>>, crate::config::ConfigError> {
        config
            .map(|config| Tracer::start(config, member))
            .transpose()
            .map_err(|e| crate::config::ConfigError::new("telemetry", e))
    }

    /// Starts exporting; `member` becomes the resource attribute `once.member_id`. Must be called
    /// on the async runtime, which the exports then run on.
    pub fn start(config: &TelemetryConfig, member: &str) -> Result<Arc<Tracer>, String> {
        let url = format!("{}/v1/traces", config.otlp_endpoint.trim_end_matches('/'));
        if !url.starts_with("http://") && !url.starts_with("https://") {
            return Err(format!(
                "telemetry.otlp_endpoint must be an http:// or https:// URL, not {:?}",
                config.otlp_endpoint
            ));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| format!("telemetry: no async runtime to export on: {e}"))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("telemetry: cannot build the OTLP client: {e}"))?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpJson)
            .with_endpoint(url)
            .with_http_client(OnRuntime { client, runtime })
            .build()
            .map_err(|e| format!("telemetry: cannot build the OTLP exporter: {e}"))?;
        let batch = BatchConfigBuilder::default()
            .with_max_queue_size(config.max_queue.max(1))
            .with_scheduled_delay(Duration::from_millis(config.export_interval_ms.max(10)))
            .build();
        let resource = Resource::builder()
            .with_service_name(config.service_name.clone())
            .with_attributes([
                KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
                KeyValue::new("once.member_id", member.to_owned()),
            ])
            .build();
        let provider = SdkTracerProvider::builder()
            .with_span_processor(
                BatchSpanProcessor::builder(exporter)
                    .with_batch_config(batch)
                    .build(),
            )
            .with_resource(resource)
            // Every request is traced, whatever the caller's sampled flag says.
            .with_sampler(Sampler::AlwaysOn)
            .build();
        let scope = InstrumentationScope::builder("once")
            .with_version(env!("CARGO_PKG_VERSION"))
            .build();
        let tracer = provider.tracer_with_scope(scope);
        Ok(Arc::new(Tracer { provider, tracer }))
    }
}

impl Drop for Tracer {
    /// Shuts the provider down (exporting what is queued) on a thread of its own: the export
    /// runs on the async runtime, whose only thread may be the one dropping the tracer.
    fn drop(&mut self) {
        let provider = self.provider.clone();
        let shutdown = move || {
            if let Err(e) = provider.shutdown() {
                tracing::debug!(error = %e, "telemetry: shutting down the exporter");
            }
        };
        if let Err(e) = std::thread::Builder::new()
            .name("once-otlp-shutdown".into())
            .spawn(shutdown)
        {
            tracing::warn!(error = %e, "telemetry: no thread to shut the exporter down on");
        }
    }
}

/// The exporter's HTTP client: the workspace's reqwest, run on the server's async runtime (the
/// batch span processor exports from a thread of its own, where reqwest has no runtime).
#[derive(Debug)]
struct OnRuntime {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

#[async_trait::async_trait]
impl HttpClient for OnRuntime {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        self.runtime
            .spawn(async move { client.send_bytes(request).await })
            .await?
    }
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
            "00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
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
    fn spans_without_a_tracer_still_continue_the_trace() {
        let parent = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .expect("valid");
        let span = Span::start(None, SpanKind::Server, "GET /", Some(parent));
        assert!(!span.is_recorded());
        assert_eq!(span.context().trace_id, parent.trace_id);
        assert_ne!(span.context().span_id, parent.span_id);
        let root = Span::start(None, SpanKind::Client, "GET /", None).context();
        assert_ne!(root.trace_id, parent.trace_id);
        assert!(root.header().starts_with("00-") && root.header().ends_with("-01"));
    }
}
