//! The partner table as the AS4 transport reads it: a snapshot of `as4_partners`, refreshed in
//! the background and whenever a message names a partner the snapshot does not hold (so
//! `once as4 partner add` takes effect at once, and `remove` within [`REFRESH_SECONDS`]).

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use once_as4::{Certificate, Party, SignerCheck, Suite};
use once_pki::MemberId;

use crate::db::{self, DbError, DbPool, as4};

/// How often the snapshot is read again.
pub const REFRESH_SECONDS: u64 = 5;

/// The algorithm suite OOTS partners use today: eDelivery AS4 1.15 (RSA-SHA256 signatures,
/// RSA-OAEP key transport, AES-128-GCM).
pub const SUITE_EDELIVERY: &str = "edelivery-1.15";

/// The eDelivery AS4 2.0 EC profile (ECDSA-SHA256 on P-256, ECDH-ES with HKDF and AES-128 key
/// wrap, AES-128-GCM).
pub const SUITE_EDELIVERY_EC: &str = "edelivery-2.0-ec";

/// A partner, ready to use.
#[derive(Debug, Clone)]
pub struct Partner {
    /// Its `eb:PartyId`.
    pub party_id: String,
    /// The member id this node knows its authority by.
    pub member: MemberId,
    /// Its AS4 endpoint.
    pub url: String,
    /// Its signing and encryption certificate.
    pub certificate: Certificate,
}

/// Why a partner row cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("partner {party_id}: {detail}")]
pub struct PartnerError {
    /// The partner.
    pub party_id: String,
    /// What is wrong.
    pub detail: String,
}

impl Partner {
    /// A partner from its stored row.
    pub fn from_row(row: &as4::Partner) -> Result<Partner, PartnerError> {
        let error = |detail: String| PartnerError {
            party_id: row.party_id.clone(),
            detail,
        };
        let suite = Suite::parse(&row.suite)
            .ok_or_else(|| error(format!("unknown algorithm suite {:?}", row.suite)))?;
        let member = row
            .member
            .parse()
            .map_err(|e| error(format!("member: {e}")))?;
        let certificate = leaf(&row.certificate).map_err(error)?;
        if certificate.suite() != suite {
            return Err(error(format!(
                "the suite is {suite}, but its certificate has a key for {}",
                certificate.suite()
            )));
        }
        let info = once_pki::inspect::CertInfo::from_der(certificate.der())
            .map_err(|e| error(e.to_string()))?;
        let now = time::OffsetDateTime::now_utc();
        if info.not_after < now || info.not_before > now {
            return Err(error(format!(
                "its certificate is valid from {} to {}, not now; add its new one",
                info.not_before, info.not_after
            )));
        }
        Ok(Partner {
            party_id: row.party_id.clone(),
            member,
            url: row.url.clone(),
            certificate,
        })
    }
}

/// The first certificate of a PEM chain, as AS4 uses it.
fn leaf(pem: &str) -> Result<Certificate, String> {
    let chain = once_pki::files::read_certs_from_pem(pem).map_err(|e| e.to_string())?;
    let first = chain
        .first()
        .ok_or_else(|| "the PEM holds no certificate".to_owned())?;
    Certificate::from_der(first).map_err(|e| e.to_string())
}

/// Checks a partner's certificate (PEM, the certificate first, then any intermediates)
/// against the trust store file, and that AS4 can use it (an RSA or EC P-256 key): the suite
/// its key is for.
pub fn check_certificate(pem: &str, trust_store: &Path) -> Result<Suite, String> {
    let chain = once_pki::files::read_certs_from_pem(pem).map_err(|e| e.to_string())?;
    let roots = once_pki::files::read_certs(trust_store)
        .map_err(|e| format!("the trust store {}: {e}", trust_store.display()))?;
    once_pki::signing::verify_partner_chain(&chain, &roots)?;
    leaf(pem).map(|c| c.suite())
}

/// The snapshot of the partner table.
#[derive(Debug)]
pub struct Partners {
    pool: DbPool,
    snapshot: ArcSwap<Vec<Partner>>,
}

impl Partners {
    /// Reads the table once.
    pub async fn load(pool: DbPool) -> Result<Partners, DbError> {
        let partners = Partners {
            pool,
            snapshot: ArcSwap::from_pointee(Vec::new()),
        };
        partners.refresh().await?;
        Ok(partners)
    }

    /// Reads the table again. A row that cannot be used is left out, with a warning.
    pub async fn refresh(&self) -> Result<(), DbError> {
        let rows = db::run(&self.pool, as4::partners).await?;
        let usable = rows
            .iter()
            .filter_map(|row| match Partner::from_row(row) {
                Ok(partner) => Some(partner),
                Err(e) => {
                    tracing::warn!(error = %e, "AS4 partner left out");
                    None
                }
            })
            .collect();
        self.snapshot.store(Arc::new(usable));
        Ok(())
    }

    /// The partner with this party id.
    pub fn by_party(&self, party_id: &str) -> Option<Partner> {
        self.snapshot
            .load()
            .iter()
            .find(|p| p.party_id == party_id)
            .cloned()
    }

    /// The partner whose authority is `member`.
    pub fn by_member(&self, member: &MemberId) -> Option<Partner> {
        self.snapshot
            .load()
            .iter()
            .find(|p| &p.member == member)
            .cloned()
    }

    /// The partner with this party id, reading the table again if the snapshot lacks it.
    pub async fn find_party(&self, party_id: &str) -> Option<Partner> {
        if let Some(partner) = self.by_party(party_id) {
            return Some(partner);
        }
        if let Err(e) = self.refresh().await {
            tracing::warn!(error = %e, "AS4 partners could not be read");
        }
        self.by_party(party_id)
    }
}

/// Accepts exactly the certificate configured for the sending party.
pub(super) struct PartnerSigner<'a>(pub &'a Partner);

impl SignerCheck for PartnerSigner<'_> {
    fn check(&self, from: &Party, certificate: &Certificate) -> Result<(), String> {
        if from.id != self.0.party_id {
            return Err(format!(
                "the message is from {}, not from {}",
                from.id, self.0.party_id
            ));
        }
        if certificate.der() != self.0.certificate.der() {
            return Err(format!(
                "{} is not the certificate configured for {}",
                certificate.subject(),
                from.id
            ));
        }
        Ok(())
    }
}
