//! What the node does, free of HTTP types: handlers call one function here.

pub mod auth;
pub mod checkpoint;
pub mod crl;
pub mod health;
pub mod import;
pub mod logbook;
pub mod matching;
