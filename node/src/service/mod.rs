//! What the node does, free of HTTP types: handlers call one function here.

pub mod auth;
pub mod crl;
pub mod health;
