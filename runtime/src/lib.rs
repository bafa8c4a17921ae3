//! What every `once` service (the node, the register map) runs on, so that both are built the
//! same way:
//!
//! - [`config`]: the parts of a service's configuration they share, and the TOML reader;
//! - [`material`], [`credentials`], [`crl`]: certificates and keys loaded and cross-checked at
//!   start-up, replaced on rotation, and the CRL in force, watched and reloaded;
//! - [`listen`]: endpoints (plain or TLS) with the client's identity read at connection time,
//!   and the servers of one service that stop together;
//! - [`middleware`]: the request span with metrics and trace context, admission control;
//! - [`metrics`], [`telemetry`], [`logging`]: Prometheus metrics, W3C trace context and OTLP
//!   export, log output;
//! - [`client`]: the mutual-TLS HTTP client for other members' endpoints;
//! - [`body`]: reading a request or response body within a size limit;
//! - [`error`]: the JSON error envelope every JSON endpoint answers with.
#![forbid(unsafe_code)]

pub mod body;
pub mod client;
pub mod config;
pub mod credentials;
pub mod crl;
pub mod error;
pub mod listen;
pub mod logging;
pub mod material;
pub mod metrics;
pub mod middleware;
pub mod signed;
pub mod telemetry;
