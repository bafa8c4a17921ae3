//! Thin HTTP handlers: extract, call one `service::` function, map the result.

pub mod app;
pub mod as4;
pub mod exchange;
pub mod extract;
pub mod peer;
pub mod preview;
