//! The node assembled from its configuration: the parts every way of running it needs (the
//! server, `once request`, `once node publish`), each given exactly its own dependencies.

use std::sync::Arc;
use std::time::Duration;

use once_runtime::client::PeerClient;
use once_runtime::credentials::Credentials;
use once_runtime::listen::StartError;
use once_runtime::material::LoadedCrl;
use once_runtime::metrics::Metrics;
use once_runtime::signed::SignedMessages;
use once_runtime::telemetry::Tracer;
use once_xml::Limits;

use crate::config::{Config, CrlExpiredPolicy};
use crate::db::DbPool;
use crate::exchange::checkpoint::CheckpointSigner;
use crate::exchange::dialect::Dialect;
use crate::exchange::discovery::Discovery;
use crate::exchange::logbook::Logbook;
use crate::exchange::metrics::ExchangeMetrics;
use crate::exchange::preview::PreviewPage;
use crate::exchange::provider::{Provider, ProviderParts};
use crate::exchange::requester::{Requester, RequesterParts};
use crate::exchange::transport::as4::As4Transport;
use crate::exchange::transport::mtls::MtlsTransport;
use crate::exchange::{Identity, transport::Transport};

/// Attempts at the one-time code of a preview when no preview is configured (never used then).
const DEFAULT_PREVIEW_ATTEMPTS: i32 = 5;

/// The shared parts of a node.
#[derive(Debug)]
pub struct Parts {
    /// This node in messages.
    pub identity: Identity,
    /// What this node calls things in each profile.
    pub dialect: Dialect,
    /// Signs this node's messages and checks other members'.
    pub signed: SignedMessages,
    /// The message log.
    pub logbook: Arc<Logbook>,
    /// The mutual-TLS client for providers and the register map.
    pub client: PeerClient,
    /// The national transport.
    pub transport: Arc<MtlsTransport>,
    /// eDelivery AS4, if `[as4]` is configured.
    pub as4: Option<Arc<As4Transport>>,
    /// The node's counters and histograms.
    pub metrics: Arc<Metrics>,
    /// The exchange's counters, registered in `metrics` (the provider and requester share them).
    pub exchange_metrics: ExchangeMetrics,
    /// Exports spans, if `[telemetry]` is configured.
    pub tracer: Option<Arc<Tracer>>,
}

impl Parts {
    /// Builds the shared parts from the configuration, the credentials in force, the CRL and
    /// the database.
    pub async fn assemble(
        config: &Config,
        credentials: &Credentials,
        crl: &LoadedCrl,
        pool: &DbPool,
    ) -> Result<Parts, StartError> {
        let material = credentials.load();
        let enforce = config.tls.crl_expired == CrlExpiredPolicy::Refuse;
        let signed = SignedMessages::new(
            credentials.signer.clone(),
            material.signer_verifier(crl, enforce)?,
            xml_limits(config),
        );
        let logbook = Arc::new(
            Logbook::open(
                pool.clone(),
                CheckpointSigner::from_material(&config.member_id, &material)?,
            )
            .await?,
        );
        let timeout_ms = config.exchange.request_timeout_ms;
        let client = PeerClient::new(
            material.ca_certs.clone(),
            crl,
            credentials.tls_slot.clone(),
            Duration::from_millis(timeout_ms),
        )?;
        let transport = Arc::new(MtlsTransport::new(
            client.clone(),
            signed.clone(),
            config.exchange.max_message_bytes,
            timeout_ms,
        ));
        let as4 = As4Transport::configured(config, &material.ca_certs, pool, logbook.clone())
            .await?
            .map(Arc::new);
        let tracer = Tracer::configured(config.telemetry.as_ref(), config.member_id.as_str())?;
        let metrics = Arc::new(Metrics::node());
        let exchange_metrics = ExchangeMetrics::new(&metrics);
        let identity = Identity {
            member: config.member_id.clone(),
            name: config.display_name().to_owned(),
        };
        Ok(Parts {
            dialect: Dialect::new(
                identity.clone(),
                config.oots.clone(),
                config.exchange.profile,
            ),
            identity,
            signed,
            logbook,
            client,
            transport,
            as4,
            metrics,
            exchange_metrics,
            tracer,
        })
    }

    /// The provider side.
    pub fn provider(&self, config: &Config, pool: &DbPool) -> Provider {
        Provider::new(ProviderParts {
            identity: self.identity.clone(),
            dialect: self.dialect.clone(),
            signed: self.signed.clone(),
            logbook: self.logbook.clone(),
            pool: pool.clone(),
            issue_window_seconds: config.exchange.issue_window_seconds,
            preview: config.preview.clone(),
            metrics: self.exchange_metrics.clone(),
        })
    }

    /// The requester side, with discovery through the register map if one is configured.
    pub fn requester(&self, config: &Config) -> Requester {
        let discovery = config.map.as_ref().map(|map| {
            Arc::new(Discovery::new(
                map,
                self.client.clone(),
                self.signed.clone(),
                Duration::from_millis(config.exchange.request_timeout_ms),
            ))
        });
        let transport: Arc<dyn Transport> = self.transport.clone();
        Requester::new(RequesterParts {
            identity: self.identity.clone(),
            dialect: self.dialect.clone(),
            signed: self.signed.clone(),
            transport,
            as4: self.as4.clone(),
            logbook: self.logbook.clone(),
            providers: config.providers.clone(),
            discovery,
            metrics: self.exchange_metrics.clone(),
            tracer: self.tracer.clone(),
        })
    }

    /// The person's side of previews.
    pub fn preview_page(&self, config: &Config, pool: &DbPool) -> PreviewPage {
        let attempts = config
            .preview
            .as_ref()
            .map_or(DEFAULT_PREVIEW_ATTEMPTS, |p| p.max_attempts);
        PreviewPage::new(pool.clone(), attempts, xml_limits(config))
    }
}

/// The limits within which this node reads XML from others.
fn xml_limits(config: &Config) -> Limits {
    Limits {
        max_bytes: config.exchange.max_message_bytes,
        max_depth: config.exchange.max_depth,
        ..Limits::default()
    }
}
