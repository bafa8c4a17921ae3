//! What the map's handlers share.

use std::sync::Arc;

use arc_swap::ArcSwap;
use once_pki::MemberId;
use once_runtime::signed::SignedMessages;
use once_store::{DbError, DbPool};

use crate::catalogue::Catalogue;
use crate::db;

/// The running map's state.
pub struct MapState {
    /// The map's own member id (it signs discovery answers as this member).
    pub member: MemberId,
    /// The catalogue in force; replaced after every change.
    pub catalogue: ArcSwap<Catalogue>,
    /// The database.
    pub pool: DbPool,
    /// Signs discovery answers (with the certificate in force) and checks the signers of
    /// descriptors (federation root, CRL, documentSigning), reading them within the limits for
    /// descriptors.
    pub signed: SignedMessages,
    /// A node that has not published for this long is shown as stale (seconds).
    pub stale_after_seconds: i64,
    /// Held while the catalogue is rebuilt, so concurrent rebuilds cannot store an older one.
    pub reload_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for MapState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapState")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

impl MapState {
    /// Rebuilds the catalogue from the database and puts it in force.
    pub async fn reload(&self) -> Result<(), DbError> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let snapshot = once_store::run(&self.pool, db::load).await?;
        let catalogue = tokio::task::spawn_blocking(move || Catalogue::build(snapshot))
            .await
            .map_err(|e| DbError::Task(e.to_string()))?;
        self.catalogue.store(Arc::new(catalogue));
        Ok(())
    }
}
