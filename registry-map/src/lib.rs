//! The register map: which registers exist in the federation, who keeps them, where and on what
//! legal basis, and which are connected.
//!
//! - [`model`]: what the map knows (register types, jurisdictions, members, registers, flows).
//! - [`seed`]: the seed catalogue (register types in Germany, the official municipality list) and
//!   its registers, instanced as they exist (one population register per municipality, …).
//! - [`db`]: storage (SQLite or PostgreSQL), descriptor version history.
//! - [`catalogue`]: the map in memory: search with facets, discovery.
//! - [`service`]: publish, discover, flows, free of HTTP; [`api`]: the mTLS API for nodes;
//!   [`error`]: the one error surface of its HTTP answers (the JSON envelope).
//! - [`state`]: what the handlers share.
//! - [`config`] (`map.toml`) and [`server`]: the map as a service, started by `once map run` on
//!   the same runtime as the node (`once-runtime`).
#![forbid(unsafe_code)]

pub mod api;
pub mod catalogue;
pub mod config;
pub mod db;
pub mod error;
pub mod export;
pub mod model;
pub mod schema;
pub mod seed;
pub mod server;
pub mod service;
pub mod state;
pub mod web;
