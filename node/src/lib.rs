//! The `once` node: the peer-facing endpoint (mutual TLS between federation members), the
//! application endpoint for the authority's own services, storage on SQLite or PostgreSQL, and
//! the `once` command-line program.
//!
//! A node is started with [`server::RunningNode::start`] from a [`config::Config`]; several
//! nodes can run in one process (the integration tests do).
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod db;
pub mod error;
pub mod handlers;
pub mod logging;
pub mod map;
pub mod material;
pub mod metrics;
pub mod middleware;
pub mod peer;
pub mod routes;
pub mod server;
pub mod service;
pub mod state;
pub mod telemetry;
