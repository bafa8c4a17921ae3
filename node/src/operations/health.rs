//! Liveness and readiness.

use serde::Serialize;
use time::OffsetDateTime;

use once_pki::inspect::rfc3339;

use once_runtime::material::{LoadedCrl, Material};

use crate::db::{self, DbPool};

/// One readiness check.
#[derive(Debug, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
}

/// The readiness report.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// Every check, in a fixed order.
    pub checks: Vec<Check>,
}

impl Readiness {
    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

/// Database reachable; own certificates (`material`) valid for at least `min_days`; the CRL
/// not past its nextUpdate.
pub async fn readiness(
    pool: &DbPool,
    material: &Material,
    crl: &LoadedCrl,
    min_days: i64,
) -> Readiness {
    let mut checks = Vec::with_capacity(4);
    let database = db::run(pool, db::ping).await;
    checks.push(Check {
        name: "database",
        ok: database.is_ok(),
        detail: match database {
            Ok(()) => "reachable".into(),
            Err(e) => e.to_string(),
        },
    });
    let now = OffsetDateTime::now_utc();
    for (name, info) in [
        ("tls_certificate", &material.tls_info),
        ("signing_certificate", &material.signing_info),
    ] {
        let days = info.days_to_expiry(now);
        checks.push(Check {
            name,
            ok: days >= min_days,
            detail: format!("expires in {days} days (minimum {min_days})"),
        });
    }
    checks.push(Check {
        name: "crl",
        ok: !crl.is_expired(now),
        detail: match crl.info.next_update {
            Some(next) if next < now => format!("past its nextUpdate {}", rfc3339(next)),
            Some(next) => format!(
                "{} revoked, next update {}",
                crl.info.revoked_serials.len(),
                rfc3339(next)
            ),
            None => format!("{} revoked, no nextUpdate", crl.info.revoked_serials.len()),
        },
    });
    let ready = checks.iter().all(|c| c.ok);
    Readiness {
        status: if ready { "ready" } else { "not_ready" },
        checks,
    }
}
