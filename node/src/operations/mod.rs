//! Operating a node: authentication of application callers, readiness, metrics, publishing to
//! and reporting to the register map, register import, log export and backups.

pub mod auth;
pub mod backup;
pub mod health;
pub mod import;
pub mod log_export;
pub mod metrics;
pub mod publish;
pub mod report;
