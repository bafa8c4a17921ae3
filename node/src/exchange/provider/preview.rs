//! The provider's side of a preview: a first request that offers one stores the signed evidence
//! with a one-time code and answers PreviewRequired with the PreviewLocation (the request sent
//! again with that location is decided on in [`super::decide`]). The person's side is
//! [`crate::exchange::preview`].

use once_pki::MemberId;
use once_xml::evidence::EvidenceKind;
use once_xml::request::EvidenceRequest;
use time::OffsetDateTime;

use super::Provider;
use crate::config::PreviewConfig;
use crate::db::previews::{self, Preview, PreviewState};
use crate::db::{self, DbError};
use crate::exchange::sha256;

impl Provider {
    /// `<preview.public_url>/preview/`, if this node offers previews.
    pub(super) fn preview_prefix(&self) -> Option<String> {
        self.preview
            .as_ref()
            .map(|p| format!("{}/preview/", p.public_url.trim_end_matches('/')))
    }

    /// Stores a new preview of the signed `evidence` for the person `subject_digest`, with a
    /// one-time code; returns the PreviewLocation.
    pub(super) async fn create_preview(
        &self,
        config: &PreviewConfig,
        request: &EvidenceRequest,
        peer: &MemberId,
        kind: EvidenceKind,
        subject_digest: &str,
        evidence: Vec<u8>,
    ) -> Result<String, DbError> {
        use base64::Engine;
        let id =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let code = format!("{:08}", rand::random_range(0..100_000_000u32));
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let preview = Preview {
            id: id.clone(),
            request_id: request.id.clone(),
            requester: peer.as_str().to_owned(),
            // This node's name of the type, whatever the request called it (a Semantic
            // Repository URI on an OOTS exchange): the resumed request is compared by it.
            evidence_type: kind.classification().to_owned(),
            subject_digest: subject_digest.to_owned(),
            evidence,
            code_sha256: hex::encode(sha256(code.as_bytes())),
            attempts: 0,
            session_sha256: None,
            state: PreviewState::Pending.as_str().to_owned(),
            created_at: now,
            expires_at: now + config.ttl_seconds,
            decided_at: None,
        };
        let mailbox = config.simulated_mailbox.then_some(code);
        db::run(&self.pool, move |conn| {
            previews::create(conn, &preview, mailbox.as_deref())
        })
        .await?;
        Ok(format!(
            "{}/preview/{id}",
            config.public_url.trim_end_matches('/')
        ))
    }
}
