//! Reporting exchange counts to the register map (requester side): per provider, evidence type
//! and day, no personal data. The map shows them as data flows.

use std::time::Duration;

use serde_json::json;
use time::{OffsetDateTime, Time};

use crate::db::{self, log};
use once_runtime::client::PeerClient;

use crate::db::DbPool;

/// Reports today's and yesterday's counts (a report replaces the earlier one for its day).
pub async fn report(pool: &DbPool, client: &PeerClient, map_url: &str) -> Result<(), String> {
    let today = OffsetDateTime::now_utc().date();
    for day in [today.previous_day().unwrap_or(today), today] {
        let start = OffsetDateTime::new_utc(day, Time::MIDNIGHT);
        let from = i64::try_from(start.unix_timestamp_nanos() / 1000).unwrap_or(0);
        let until = from + 86_400_000_000;
        let counts = db::run(pool, move |conn| log::received_counts(conn, from, until))
            .await
            .map_err(|e| e.to_string())?;
        let body = json!({
            "day": crate::exchange::matching::iso_date(day),
            "counts": counts
                .iter()
                .map(|(provider, evidence_type, count)| json!({
                    "provider": provider, "evidence_type": evidence_type, "count": count,
                }))
                .collect::<Vec<_>>(),
        });
        let response = client
            .current()
            .post(format!("{}/v1/stats", map_url.trim_end_matches('/')))
            .timeout(super::publish::MAP_UPDATE_TIMEOUT)
            .json(&body)
            .send()
            .await
            .map_err(|e| once_runtime::client::describe(&e))?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
    }
    Ok(())
}

/// Reports every `period` until the task is dropped.
pub fn spawn(
    pool: DbPool,
    client: PeerClient,
    map_url: String,
    period: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = report(&pool, &client, &map_url).await {
                tracing::warn!(error = %e, "exchange counts not reported to the register map");
            }
        }
    })
}
