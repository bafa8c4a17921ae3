//! The preview flow on the provider: the person opens the PreviewLocation, proves who they are
//! with a one-time code (delivered out of band; simulated by a mailbox in demo and tests), sees
//! the evidence exactly as it would be sent, and approves or refuses. The requester's re-sent
//! request is then answered accordingly (see [`crate::exchange::provider`]).

use once_xml::evidence::EvidenceDocument;

use crate::db::previews::{self, Preview, PreviewState};
use crate::db::{self, DbError};
use once_xml::Limits;

use crate::db::DbPool;
use crate::exchange::sha256;

/// What the preview page shows.
#[derive(Debug)]
pub enum View {
    /// No such preview.
    Unknown,
    /// Past its time.
    Expired,
    /// Too many wrong codes.
    Locked,
    /// Waiting for the one-time code; `wrong` after a wrong one, with the attempts left.
    EnterCode {
        /// Attempts left after a wrong code.
        wrong: Option<i32>,
    },
    /// The evidence, for the person to decide.
    Decide {
        /// Evidence type classification.
        evidence_type: String,
        /// The requester.
        requester: String,
        /// The evidence's fields.
        fields: Vec<(String, String)>,
    },
    /// Decided.
    Decided {
        /// Approved (or delivered) or refused.
        approved: bool,
    },
}

/// Why a preview step failed for technical reasons.
pub type PreviewError = DbError;

fn session_digest(secret: &str) -> String {
    hex::encode(sha256(secret.as_bytes()))
}

/// The person's side of previews on this node.
#[derive(Debug, Clone)]
pub struct PreviewPage {
    pool: DbPool,
    max_attempts: i32,
    limits: Limits,
}

impl PreviewPage {
    /// Previews stored in `pool`, with at most `max_attempts` one-time codes tried, evidence
    /// read within `limits`.
    pub fn new(pool: DbPool, max_attempts: i32, limits: Limits) -> PreviewPage {
        PreviewPage {
            pool,
            max_attempts,
            limits,
        }
    }

    async fn load(&self, id: &str) -> Result<Option<Preview>, DbError> {
        let id = id.to_owned();
        db::run(&self.pool, move |conn| previews::find(conn, &id)).await
    }

    /// The page for `id`, for a browser holding `session` (if any).
    pub async fn view(&self, id: &str, session: Option<&str>) -> Result<View, DbError> {
        let Some(preview) = self.load(id).await? else {
            return Ok(View::Unknown);
        };
        self.state_view(&preview, session, None)
    }

    fn state_view(
        &self,
        preview: &Preview,
        session: Option<&str>,
        wrong: Option<i32>,
    ) -> Result<View, DbError> {
        let max_attempts = self.max_attempts;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Ok(match preview.state()? {
            PreviewState::Approved | PreviewState::Delivered => View::Decided { approved: true },
            PreviewState::Refused => View::Decided { approved: false },
            _ if preview.expires_at <= now => View::Expired,
            PreviewState::Pending if preview.attempts >= max_attempts => View::Locked,
            PreviewState::Pending => View::EnterCode { wrong },
            PreviewState::Verified => {
                let holds_session = session.is_some_and(|s| {
                    preview.session_sha256.as_deref() == Some(session_digest(s).as_str())
                });
                if !holds_session {
                    // Another browser: it must not see the evidence.
                    return Ok(View::Locked);
                }
                let fields = EvidenceDocument::from_xml(&preview.evidence, &self.limits)
                    .map(|d| d.fields())
                    .map_err(|e| {
                        DbError::Corrupt(format!("stored preview evidence: {}", e.detail))
                    })?;
                View::Decide {
                    evidence_type: preview.evidence_type.clone(),
                    requester: preview.requester.clone(),
                    fields,
                }
            }
        })
    }

    /// The person enters the one-time code. Right: returns the new session secret (for a cookie)
    /// and the page; wrong: counts the attempt.
    pub async fn enter_code(
        &self,
        id: &str,
        code: &str,
    ) -> Result<(Option<String>, View), DbError> {
        let Some(preview) = self.load(id).await? else {
            return Ok((None, View::Unknown));
        };
        match self.state_view(&preview, None, None)? {
            View::EnterCode { .. } => {}
            other => return Ok((None, other)),
        }
        let max_attempts = self.max_attempts;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let owned = id.to_owned();
        let granted = db::run(&self.pool, move |conn| {
            previews::take_attempt(conn, &owned, max_attempts, now)
        })
        .await?;
        if !granted {
            return Ok((None, View::Locked));
        }
        let given = hex::encode(sha256(code.trim().as_bytes()));
        // Compared in constant time over the digests.
        let right = given.len() == preview.code_sha256.len()
            && given
                .bytes()
                .zip(preview.code_sha256.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        let id = id.to_owned();
        if !right {
            let left = max_attempts - preview.attempts - 1;
            return Ok((
                None,
                if left <= 0 {
                    View::Locked
                } else {
                    View::EnterCode { wrong: Some(left) }
                },
            ));
        }
        use base64::Engine;
        let secret =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let digest = session_digest(&secret);
        let moved = db::run(&self.pool, {
            let id = id.clone();
            move |conn| previews::verify_code(conn, &id, &digest, now)
        })
        .await?;
        if !moved {
            return Ok((None, View::Locked));
        }
        let preview = self
            .load(&id)
            .await?
            .ok_or_else(|| DbError::Corrupt("preview vanished".into()))?;
        let page = self.state_view(&preview, Some(&secret), None)?;
        Ok((Some(secret), page))
    }

    /// The person approves or refuses.
    pub async fn decide(
        &self,
        id: &str,
        session: Option<&str>,
        approve: bool,
    ) -> Result<View, DbError> {
        let Some(session) = session else {
            return Ok(View::Locked);
        };
        let digest = session_digest(session);
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let owned = id.to_owned();
        let recorded = db::run(&self.pool, move |conn| {
            previews::decide(conn, &owned, &digest, approve, now)
        })
        .await?;
        if recorded {
            tracing::info!(preview.approved = approve, "preview decided");
            return Ok(View::Decided { approved: approve });
        }
        self.view(id, Some(session)).await
    }
}
