//! A node's `/metrics`: the exchange and HTTP counters kept while serving, plus what is read at
//! scrape time (certificates, CRL, message log, database pool, TLS refusals).

use crate::db::{self, log};
use crate::state::NodeState;
use once_runtime::metrics::{
    DB_UP, Gauge, LOG_CHECKPOINT_SEQ, LOG_CHECKPOINT_TIME, LOG_ENTRIES, common_gauges,
    record_tls_refusals,
};

/// The exposition text.
pub async fn render(state: &NodeState) -> String {
    record_tls_refusals(&state.metrics, &state.crl.tls_verifiers);
    let mut gauges = common_gauges(
        state.config.member_id.as_str(),
        state.started,
        &state.credentials.load(),
        &state.crl.load(),
        &state.pool,
    );
    let read = db::run(&state.pool, |conn| {
        Ok((log::head(conn)?, log::last_checkpoint(conn)?))
    })
    .await;
    match read {
        Ok((head, checkpoint)) => {
            gauges.push(Gauge::new(DB_UP, 1.0));
            gauges.push(Gauge::new(
                LOG_ENTRIES,
                head.map_or(0.0, |(seq, _)| seq as f64),
            ));
            let (at, seq) = checkpoint.map_or((0.0, 0.0), |c| (c.signed_at as f64, c.seq as f64));
            gauges.push(Gauge::new(LOG_CHECKPOINT_TIME, at));
            gauges.push(Gauge::new(LOG_CHECKPOINT_SEQ, seq));
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the message log could not be read");
            gauges.push(Gauge::new(DB_UP, 0.0));
        }
    }
    state.metrics.render(&gauges)
}
