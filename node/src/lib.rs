//! The `once` node: the peer-facing endpoint (mutual TLS between federation members), the
//! application endpoint for the authority's own services, the evidence exchange as provider and
//! requester, and storage on SQLite or PostgreSQL.
//!
//! A node is started with [`server::RunningNode::start`] from a [`config::Config`]; several
//! nodes can run in one process (the integration tests do). The `once` program (crate
//! `once-cli`) is its command line.
#![forbid(unsafe_code)]

pub mod assemble;
pub mod config;
pub mod db;
pub mod error;
pub mod exchange;
pub mod handlers;
pub mod middleware;
pub mod operations;
pub mod routes;
pub mod server;
pub mod state;
