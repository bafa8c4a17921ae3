//! A node's `/metrics`: the exchange and HTTP counters kept while serving, plus what is read at
//! scrape time (certificates, CRL, database pool, TLS refusals, and the message log, whose
//! gauges this module owns).

use once_runtime::metrics::ServerState;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::db::{self, log};
use crate::state::NodeState;

/// The exposition text.
pub async fn render(state: &NodeState) -> String {
    let mut scrape = Registry::default();
    ServerState {
        member: state.config.member_id.as_str(),
        started: state.started,
        material: &state.credentials.load(),
        crl: &state.crl.load(),
        pool: &state.pool,
        tls_verifiers: &state.crl.tls_verifiers,
    }
    .register(&mut scrape);
    let read = db::run(&state.pool, |conn| {
        Ok((log::head(conn)?, log::last_checkpoint(conn)?))
    })
    .await;
    let up = match read {
        Ok((head, checkpoint)) => {
            let entries = head.map_or(0, |(seq, _)| seq);
            let (at, seq) = checkpoint.map_or((0, 0), |c| (c.signed_at, c.seq));
            register_log(&mut scrape, entries, at, seq);
            1
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the message log could not be read");
            0
        }
    };
    scrape.register(
        "once_db_up",
        "1 if the database answered the scrape's queries, 0 if not",
        ConstGauge::new(up),
    );
    state.metrics.encode(&scrape)
}

/// The message log's gauges, as read now.
fn register_log(scrape: &mut Registry, entries: i64, checkpoint_at: i64, checkpoint_seq: i64) {
    scrape.register(
        "once_message_log_entries",
        "Entries in the message log (its last sequence number)",
        ConstGauge::new(entries),
    );
    scrape.register(
        "once_message_log_last_checkpoint_timestamp_seconds",
        "When the message log's chain head was last signed, as a Unix time (0: never)",
        ConstGauge::new(checkpoint_at),
    );
    scrape.register(
        "once_message_log_last_checkpoint_entry",
        "The log entry the last checkpoint covers",
        ConstGauge::new(checkpoint_seq),
    );
}
