//! The register map as the `once` program runs it (`once map …`): its configuration and its
//! servers. What the map does lives in the `once-registry-map` crate; the TLS material, the CRL
//! handling and the server plumbing are the node's.

pub mod config;
pub mod server;
