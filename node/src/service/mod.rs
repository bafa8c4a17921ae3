//! What the node does, free of HTTP types: handlers call one function here.

pub mod auth;
pub mod backup;
pub mod checkpoint;
pub mod discovery;
pub mod evidence;
pub mod exchange;
pub mod health;
pub mod import;
pub mod log_export;
pub mod logbook;
pub mod matching;
pub mod node_metrics;
pub mod preview;
pub mod provider;
pub mod publish;
pub mod report;
pub mod requester;
