//! What the exchange's unit tests stand on: a fresh federation CA with members' signing
//! credentials, and a SQLite database with the node's migrations, registers, records and access
//! rules.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use once_pki::ca::{Ca, Validity};
use once_pki::signing::SignerVerifier;
use once_runtime::signed::SignedMessages;
use once_xml::Limits;
use once_xml::dsig::Signer;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;
use time::OffsetDateTime;

use crate::db::registers::{self, ImportMode, Level, Register};
use crate::db::{self, DbPool, rules};
use crate::exchange::checkpoint::CheckpointSigner;
use crate::exchange::logbook::Logbook;
use crate::exchange::transport::{
    Destination, OpenError, Opened, Outgoing, Received, SealError, Sealed, SendError, Transport,
    envelope,
};
use crate::operations::import::{self, Format};
use futures_util::future::BoxFuture;
use once_xml::multipart::MultipartLimits;

/// A CA, a database and a message log in a temporary directory.
pub(crate) struct Kit {
    /// Removed when the kit is dropped.
    _dir: tempfile::TempDir,
    ca: Ca,
    /// The node's database (SQLite, migrated).
    pub pool: DbPool,
}

impl Kit {
    /// A fresh CA and database.
    pub fn new() -> Kit {
        let dir = tempfile::tempdir().expect("temporary directory");
        let ca = Ca::init(&dir.path().join("ca"), "Test Federation", 30).expect("CA");
        let url = dir.path().join("node.db").display().to_string();
        let pool = db::open(&url, 2, Duration::from_secs(5)).expect("database");
        Kit {
            _dir: dir,
            ca,
            pool,
        }
    }

    /// A member with credentials issued now by the kit's CA: it signs as itself and checks
    /// signatures against the kit's CA.
    pub fn member(&mut self, member: &str) -> Member {
        let member_id = member.parse().expect("member id");
        let issued = self
            .ca
            .issue_node(
                &member_id,
                &["localhost".into()],
                Validity::days_from_now(30),
            )
            .expect("credentials");
        let chain = once_pki::files::read_certs_from_pem(&issued.signing_cert_pem).expect("chain");
        let key = PrivateKeyDer::from_pem_slice(issued.signing_key_pem.as_bytes()).expect("key");
        let signer =
            Signer::from_pkcs8_der(key.secret_der(), chain.iter().map(|c| c.to_vec()).collect())
                .expect("signer");
        let checkpoints =
            CheckpointSigner::new(member_id, key.secret_der(), issued.signing_cert_pem)
                .expect("checkpoint signer");
        let roots = once_pki::files::read_certs_from_pem(self.ca.cert_pem()).expect("root");
        let crl_path = self.ca.write_crl(7).expect("CRL");
        let crl = once_pki::files::read_crl(&crl_path).expect("CRL");
        let verifier = SignerVerifier::new(roots, &[crl], true).expect("verifier");
        let tls = once_pki::files::read_certs_from_pem(&issued.tls_cert_pem).expect("TLS");
        Member {
            signed: SignedMessages::new(
                Arc::new(ArcSwap::from_pointee(signer)),
                verifier,
                Limits::default(),
            ),
            tls_certificate: tls[0].to_vec(),
            checkpoints: Some(checkpoints),
        }
    }

    /// The message log of the node, checkpoints signed by `member`.
    pub async fn logbook(&self, member: &mut Member) -> Arc<Logbook> {
        let signer = member.checkpoints.take().expect("one logbook per member");
        Arc::new(
            Logbook::open(self.pool.clone(), signer)
                .await
                .expect("logbook"),
        )
    }

    /// Adds a register `id` for `evidence_type` with the records of `csv` (as `once register
    /// import` reads them).
    pub async fn register(&self, id: &str, evidence_type: &str, csv: &str) {
        let records = import::parse(csv.as_bytes(), Format::Csv, id, &[evidence_type.to_owned()])
            .expect("records");
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let register = Register {
            id: id.parse().expect("register id"),
            name: format!("Register {id}"),
            evidence_types: vec![evidence_type.to_owned()],
            level: Level::Municipality,
            jurisdictions: vec!["04011000".into()],
            legal_basis: "§ 18 BMG".into(),
            created_at: now,
            updated_at: now,
            register_type: None,
            standards: Vec::new(),
        };
        db::run(&self.pool, move |conn| {
            registers::add(conn, &register).map_err(|e| db::DbError::Corrupt(e.to_string()))?;
            registers::import(conn, &register.id, &records, ImportMode::Append)
                .map_err(|e| db::DbError::Corrupt(e.to_string()))
        })
        .await
        .expect("register");
    }

    /// Allows `requester` to receive `evidence_type` for `procedure` on `legal_basis`.
    pub async fn rule(&self, requester: &str, evidence_type: &str, procedure: &str, basis: &str) {
        let (requester, evidence_type, procedure, basis) = (
            requester.to_owned(),
            evidence_type.to_owned(),
            procedure.to_owned(),
            basis.to_owned(),
        );
        db::run(&self.pool, move |conn| {
            rules::add(conn, &requester, &evidence_type, &procedure, &basis)
                .map(|_| ())
                .map_err(|e| db::DbError::Corrupt(e.to_string()))
        })
        .await
        .expect("rule");
    }
}

/// What `member` (named `name`) calls things, without OOTS participation, national by default.
pub(crate) fn dialect(member: &str, name: &str) -> crate::exchange::dialect::Dialect {
    crate::exchange::dialect::Dialect::new(
        crate::exchange::Identity {
            member: member.parse().expect("member id"),
            name: name.into(),
        },
        None,
        crate::config::Profile::De,
    )
}

/// A member of the kit's federation.
pub(crate) struct Member {
    /// Signs as the member, checks others against the kit's CA.
    pub signed: SignedMessages,
    /// Its TLS certificate (DER), as a peer presents it.
    pub tls_certificate: Vec<u8>,
    checkpoints: Option<CheckpointSigner>,
}

/// The national transport's envelope, without a network: it seals with, and opens checking
/// against, one member's [`SignedMessages`]; `send` is never called.
#[derive(Debug)]
pub(crate) struct Codec(pub SignedMessages);

impl Transport for Codec {
    fn name(&self) -> &'static str {
        "codec"
    }

    fn seal(&self, outgoing: &Outgoing<'_>) -> Result<Sealed, SealError> {
        envelope::seal(&self.0.signer(), outgoing)
    }

    fn open<'b>(
        &self,
        content_type: Option<&str>,
        body: &'b [u8],
    ) -> Result<Opened<'b>, OpenError> {
        envelope::open(&self.0, &MultipartLimits::default(), content_type, body)
    }

    fn send<'a>(
        &'a self,
        to: &'a Destination,
        _request: Sealed,
        _traceparent: String,
    ) -> BoxFuture<'a, Result<Received, SendError>> {
        Box::pin(std::future::ready(Err(SendError::Unreachable {
            url: to.url.clone(),
            detail: "the test codec sends nothing".into(),
        })))
    }
}

/// The residence certificate classification.
pub(crate) const RESIDENCE: &str = "urn:once:evidence-type:residence-certificate";

/// Residents of a test population register. Two "Anna Schmidt" born the same day make matching
/// without an identification number ambiguous.
pub(crate) const RESIDENTS_CSV: &str = "tax_id,family_name,given_name,date_of_birth,street,house_number,postcode,municipality,ags,moved_in\n\
65929970489,Müller-Lüdenscheidt,Jürgen,1985-03-07,Am Markt,1,28195,Bremen,04011000,2010-01-01\n\
36574261809,Schmidt,Anna,1990-12-31,Obernstraße,5a,28195,Bremen,04011000,2015-06-01\n\
47036892816,Schmidt,Anna,1990-12-31,Sögestraße,12,28195,Bremen,04011000,2018-02-01\n";
