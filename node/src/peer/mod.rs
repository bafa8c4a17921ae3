//! Talking to other nodes.

pub mod client;
