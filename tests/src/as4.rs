//! AS4 access points for test nodes: a stand-in eDelivery PKI, `[as4]` with a port known before
//! the node starts, and partner rows.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use once_as4::demo_pki::{DemoPki, IssuedAccessPoint};
use once_node::config::As4Config;
use once_node::db::as4::{self as store, Partner};
use once_node::db::{self, DbPool};

use crate::free_port;

/// The stand-in eDelivery PKI of a test, its CA in `dir/edelivery-ca.pem`.
pub struct As4Pki {
    pki: DemoPki,
    dir: PathBuf,
}

/// One access point: its party id, keys in files, and where it listens.
#[derive(Clone)]
pub struct AccessPoint {
    /// `eb:PartyId`.
    pub party_id: String,
    /// Key and certificate, PEM.
    pub issued: IssuedAccessPoint,
    /// The key file.
    pub key: PathBuf,
    /// The certificate file.
    pub certificate: PathBuf,
    /// The port of its AS4 endpoint.
    pub port: u16,
}

impl AccessPoint {
    /// Its AS4 endpoint.
    pub fn url(&self) -> String {
        format!("https://localhost:{}/as4", self.port)
    }
}

impl As4Pki {
    /// A fresh CA, its certificate written into `dir`.
    pub fn new(dir: &Path) -> anyhow::Result<As4Pki> {
        let pki = DemoPki::new("once test eDelivery CA")?;
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("edelivery-ca.pem"), pki.ca_pem())?;
        Ok(As4Pki {
            pki,
            dir: dir.to_owned(),
        })
    }

    /// The trust store file.
    pub fn trust_store(&self) -> PathBuf {
        self.dir.join("edelivery-ca.pem")
    }

    /// The CA certificate.
    pub fn ca_pem(&self) -> &str {
        self.pki.ca_pem()
    }

    /// An access point `party_id` with a fresh RSA key (eDelivery AS4 1.15), on a free port.
    pub fn access_point(&self, party_id: &str) -> anyhow::Result<AccessPoint> {
        self.files(party_id, "rsa", self.pki.issue(party_id)?)
    }

    /// An access point `party_id` with a fresh EC P-256 key (eDelivery AS4 2.0 EC profile), on
    /// a free port.
    pub fn access_point_ec(&self, party_id: &str) -> anyhow::Result<AccessPoint> {
        self.files(party_id, "ec", self.pki.issue_ec(party_id)?)
    }

    fn files(
        &self,
        party_id: &str,
        kind: &str,
        issued: IssuedAccessPoint,
    ) -> anyhow::Result<AccessPoint> {
        let key = self.dir.join(format!("{party_id}.{kind}.key.pem"));
        let certificate = self.dir.join(format!("{party_id}.{kind}.cert.pem"));
        std::fs::write(&key, &issued.key_pem)?;
        std::fs::write(&certificate, &issued.certificate_pem)?;
        Ok(AccessPoint {
            party_id: party_id.to_owned(),
            issued,
            key,
            certificate,
            port: free_port(),
        })
    }

    /// `[as4]` of a node that is `ap`.
    pub fn config(&self, ap: &AccessPoint) -> As4Config {
        As4Config {
            listen: SocketAddr::from(([127, 0, 0, 1], ap.port)),
            public_url: ap.url(),
            party_id: ap.party_id.clone(),
            key: ap.key.clone(),
            certificate: ap.certificate.clone(),
            ec_key: None,
            ec_certificate: None,
            trust_store: self.trust_store(),
            tls_certificate: None,
            tls_key: None,
            tls_roots: None,
            attempts: 3,
            retry_ms: 200,
            duplicate_window_seconds: 3600,
        }
    }
}

/// Adds `partner` (known as `member`) to the partner table in `pool`, with the suite its
/// certificate's key is for.
pub async fn add_partner(
    pool: &DbPool,
    partner: &AccessPoint,
    member: &str,
    url: &str,
) -> anyhow::Result<()> {
    let row = Partner {
        party_id: partner.party_id.clone(),
        member: member.to_owned(),
        url: url.to_owned(),
        certificate: partner.issued.certificate_pem.clone(),
        suite: once_as4::Certificate::from_pem(&partner.issued.certificate_pem)?
            .suite()
            .name()
            .to_owned(),
        added_at: 0,
    };
    let added = db::run(pool, move |conn| store::add_partner(conn, &row)).await?;
    anyhow::ensure!(added, "partner added");
    Ok(())
}
