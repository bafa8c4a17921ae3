//! Starting and stopping a node: load and check the configuration's material, open the
//! database, bind the peer and application endpoints, watch the CRL.

use std::any::Any;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::{Extensions, Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpServer, web};
use arc_swap::ArcSwap;
use once_pki::tls::{PeerRequirement, PeerVerifier, server_config_with};
use once_pki::{PeerIdentity, sha256_hex};

use crate::config::{ApplicationAuth, Config, ConfigError, CrlExpiredPolicy};
use crate::db::{self, DbError};
use crate::material::{LoadedCrl, NodeMaterial};
use crate::metrics::HttpMetrics;
use crate::middleware::{Admission, request_span};
use crate::peer::client as peer_client;
use crate::routes;
use crate::service::auth::AppClientCertificate;
use crate::service::credentials::Credentials;
use crate::service::crl::{self, CrlReloadError, CrlState};
use crate::service::exchange::Exchange;
use crate::service::logbook::Logbook;
use crate::state::NodeState;

/// Why a node did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is wrong (exit code 64).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated (exit code 69).
    #[error("database_url: {0}")]
    Database(#[from] DbError),
    /// An address could not be bound (exit code 69).
    #[error("cannot listen on {address} ({field}): {source}")]
    Bind {
        /// The configuration field.
        field: &'static str,
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// A running node.
#[derive(Debug)]
pub struct RunningNode {
    /// Where the peer endpoint listens.
    pub peer_addr: SocketAddr,
    /// Where the application endpoint listens.
    pub app_addr: SocketAddr,
    /// Where the preview page listens, if configured.
    pub preview_addr: Option<SocketAddr>,
    state: Arc<NodeState>,
    handles: Vec<ServerHandle>,
    servers: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningNode {
    /// Loads everything, binds both endpoints and starts serving. Must be called inside a tokio
    /// runtime.
    pub async fn start(config: Config) -> Result<RunningNode, StartError> {
        let started = once_store::now_unix();
        let (material, crl) = NodeMaterial::load(&config)?;
        let credentials =
            Credentials::new(&config.member_id, &config.tls, &config.signing, material)?;
        let material = credentials.load();
        let slot = credentials.tls_slot.clone();
        let pool_timeout = Duration::from_millis(config.server.pool_timeout_ms);
        let (url, size) = (config.database_url.clone(), config.server.pool_size);
        let pool = tokio::task::spawn_blocking(move || db::open(&url, size, pool_timeout))
            .await
            .map_err(|e| DbError::Task(e.to_string()))??;

        let enforce = config.tls.crl_expired == CrlExpiredPolicy::Refuse;
        let peer_verifier = material.peer_verifier(&crl, enforce)?;
        let mut crl_verifiers = vec![("peer", peer_verifier.clone())];
        let peer_tls = server_config_with(slot.clone(), peer_verifier)
            .map_err(|e| ConfigError::new("tls.cert", e))?;

        let app_tls = if config.application.tls {
            let tls = match config.application.auth {
                ApplicationAuth::Mtls => {
                    let client_ca = config.application_client_ca();
                    let roots = once_pki::files::read_certs(client_ca)
                        .map_err(|e| ConfigError::new("application.client_ca", e))?;
                    // The federation CRL applies when application clients hold federation
                    // certificates; a separate client CA has no CRL here.
                    let same_ca = client_ca == config.tls.ca;
                    let crls = if same_ca {
                        vec![crl.der.clone()]
                    } else {
                        Vec::new()
                    };
                    let verifier = PeerVerifier::new(
                        roots,
                        crls,
                        PeerRequirement::ChainOnly,
                        enforce && same_ca,
                    )
                    .map_err(|e| ConfigError::new("application.client_ca", e))?;
                    if same_ca {
                        crl_verifiers.push(("application", verifier.clone()));
                    }
                    server_config_with(slot.clone(), verifier)
                }
                ApplicationAuth::ApiKey => server_config_with(slot.clone(), no_client_auth()),
            };
            Some(tls.map_err(|e| ConfigError::new("application.tls", e))?)
        } else {
            None
        };

        let exchange = exchange_context(&config, &credentials, &crl, &pool).await?;
        let preview_tls = match &config.preview {
            Some(_) => Some(
                server_config_with(slot.clone(), no_client_auth())
                    .map_err(|e| ConfigError::new("preview", e))?,
            ),
            None => None,
        };

        crl::warn_if_expired(&crl, config.tls.crl_expired);
        let client_slot = exchange.client.clone();
        let roots = material.ca_certs.clone();
        let client_cert = slot.clone();
        let timeout = Duration::from_millis(config.exchange.request_timeout_ms);
        let crl_state = Arc::new(CrlState {
            path: config.tls.crl.clone(),
            policy: config.tls.crl_expired,
            interval: Duration::from_secs(config.tls.crl_reload_seconds),
            current: ArcSwap::from_pointee(crl),
            tls_verifiers: crl_verifiers,
            signer_verifiers: vec![exchange.signer_verifier.clone()],
            // The peer client checks providers' certificates against the new CRL too.
            on_reload: Some(Box::new(move |crl| {
                match peer_client::build(roots.clone(), crl, client_cert.clone(), timeout) {
                    Ok(client) => client_slot.store(Arc::new(client)),
                    Err(e) => {
                        tracing::error!(error = %e, "peer client not rebuilt with the new CRL")
                    }
                }
            })),
        });
        let exchange = Arc::new(exchange);
        let logbook = exchange.logbook.clone();
        let member = config.member_id.clone();
        credentials.on_rotate(Box::new(move |material| {
            match material.checkpoint_signer(&member) {
                Ok(signer) => logbook.set_signer(signer),
                Err(e) => tracing::error!(error = %e, "checkpoint signer not replaced"),
            }
        }));
        let state = Arc::new(NodeState {
            config,
            credentials: credentials.clone(),
            pool,
            crl: crl_state,
            metrics: exchange.metrics.clone(),
            exchange,
            started,
        });
        if state.config.map.as_ref().is_some_and(|m| m.publish) {
            // The map publishes each node's TLS fingerprint, which requesters pin.
            let weak = Arc::downgrade(&state);
            credentials.on_rotate(Box::new(move |_| {
                if let Some(state) = weak.upgrade() {
                    tokio::spawn(publish_until_accepted(state));
                }
            }));
        }
        let data = web::Data::from(state.clone());
        let workers = state.config.server.worker_count();
        let grace = state.config.server.shutdown_grace_seconds;

        let peer_listener = bind("peer.listen", state.config.peer.listen)?;
        let peer_addr = local_addr("peer.listen", &peer_listener)?;
        let peer_data = data.clone();
        let peer_metrics = HttpMetrics::data(&state.metrics, &state.exchange.tracer, "peer");
        let peer_admission = Admission::new(state.config.server.max_in_flight);
        let peer_server = HttpServer::new(move || {
            App::new()
                .app_data(peer_data.clone())
                .app_data(peer_admission.clone())
                .app_data(peer_metrics.clone())
                .wrap(from_fn(request_span))
                .configure(routes::peer)
        })
        .workers(workers)
        .shutdown_timeout(grace)
        .disable_signals()
        .on_connect(record_peer_identity)
        .listen_rustls_0_23(peer_listener, peer_tls)
        .map_err(|source| StartError::Bind {
            field: "peer.listen",
            address: peer_addr,
            source,
        })?
        .run();

        let app_listener = bind("application.listen", state.config.application.listen)?;
        let app_addr = local_addr("application.listen", &app_listener)?;
        let app_data = data.clone();
        let app_metrics = HttpMetrics::data(&state.metrics, &state.exchange.tracer, "application");
        let app_admission = Admission::new(state.config.server.max_in_flight);
        let app_builder = HttpServer::new(move || {
            App::new()
                .app_data(app_data.clone())
                .app_data(app_admission.clone())
                .app_data(app_metrics.clone())
                .wrap(from_fn(request_span))
                .configure(routes::application)
        })
        .workers(workers)
        .shutdown_timeout(grace)
        .disable_signals();
        let app_bound = match app_tls {
            Some(tls) => app_builder
                .on_connect(record_app_client)
                .listen_rustls_0_23(app_listener, tls),
            None => app_builder.listen(app_listener),
        };
        let app_server = app_bound
            .map_err(|source| StartError::Bind {
                field: "application.listen",
                address: app_addr,
                source,
            })?
            .run();

        let mut servers = vec![("peer", peer_server), ("application", app_server)];
        let mut preview_addr = None;
        if let (Some(preview), Some(tls)) = (&state.config.preview, preview_tls) {
            let listener = bind("preview.listen", preview.listen)?;
            let addr = local_addr("preview.listen", &listener)?;
            let preview_data = data.clone();
            let preview_metrics =
                HttpMetrics::data(&state.metrics, &state.exchange.tracer, "preview");
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(preview_data.clone())
                    .app_data(preview_metrics.clone())
                    .wrap(from_fn(request_span))
                    .configure(routes::preview)
            })
            .workers(workers.min(2))
            .shutdown_timeout(grace)
            .disable_signals()
            .listen_rustls_0_23(listener, tls)
            .map_err(|source| StartError::Bind {
                field: "preview.listen",
                address: addr,
                source,
            })?
            .run();
            servers.push(("preview", server));
            preview_addr = Some(addr);
        }
        let handles = servers.iter().map(|(_, s)| s.handle()).collect();
        let servers = tokio::spawn(serve_all(servers));
        let checkpoints = state
            .exchange
            .logbook
            .spawn_checkpoints(Duration::from_secs(
                state.config.exchange.checkpoint_seconds,
            ));
        let pruned = state.exchange.clone();
        let mut background = vec![
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(
                    crate::service::provider::PRUNE_SECONDS,
                ));
                loop {
                    tick.tick().await;
                    if let Err(e) = crate::service::provider::prune(&pruned).await {
                        tracing::warn!(error = %e, "pruning old request ids and previews failed");
                    }
                }
            }),
            tokio::spawn(state.crl.clone().watch()),
            tokio::spawn(
                credentials
                    .clone()
                    .watch(Duration::from_secs(state.config.tls.crl_reload_seconds)),
            ),
            checkpoints,
        ];
        if let Some(map) = &state.config.map {
            if map.publish {
                background.push(tokio::spawn(keep_published(
                    state.clone(),
                    Duration::from_secs(map.republish_seconds),
                )));
            }
            if map.report_seconds > 0 {
                background.push(crate::service::report::spawn(
                    state.exchange.clone(),
                    map.url.clone(),
                    Duration::from_secs(map.report_seconds),
                ));
            }
        }
        tracing::info!(
            node.member_id = %state.config.member_id,
            peer.addr = %peer_addr,
            app.addr = %app_addr,
            app.tls = state.config.application.tls,
            preview.addr = ?preview_addr,
            "node listening"
        );
        Ok(RunningNode {
            peer_addr,
            app_addr,
            preview_addr,
            state,
            handles,
            servers,
            background,
        })
    }

    /// The node's shared state.
    pub fn state(&self) -> &Arc<NodeState> {
        &self.state
    }

    /// Publishes this node's registers to the register map now.
    pub async fn publish(&self) -> Result<usize, crate::service::publish::PublishError> {
        crate::service::publish::publish(
            &self.state.config,
            &self.state.credentials.load(),
            &self.state.exchange,
        )
        .await
    }

    /// Reports the exchange counts to the register map now.
    pub async fn report(&self) -> Result<(), String> {
        let map = self
            .state
            .config
            .map
            .as_ref()
            .ok_or("no register map is configured")?;
        crate::service::report::report(&self.state.exchange, &map.url).await
    }

    /// Reads the CRL file now (what SIGHUP does).
    pub async fn reload_crl(&self) -> Result<(), CrlReloadError> {
        self.state.crl.reload_now().await
    }

    /// Reads the certificate and key files now and puts them in force if they changed and pass
    /// the start-up checks (what SIGHUP does). Returns whether they changed.
    pub async fn reload_credentials(&self) -> Result<bool, ConfigError> {
        self.state.credentials.reload_now().await
    }

    /// Stops accepting connections, lets in-flight requests finish within the grace period
    /// (`graceful`) or drops them, and waits until both endpoints are closed.
    pub async fn stop(self, graceful: bool) {
        for task in &self.background {
            task.abort();
        }
        futures_util::future::join_all(self.handles.iter().map(|h| h.stop(graceful))).await;
        let _ = self.servers.await;
        // Flush: sign the final chain head, so the log ends on a checkpoint.
        if let Err(e) = self.state.exchange.logbook.checkpoint().await {
            tracing::warn!(error = %e, "final message log checkpoint failed");
        }
        tracing::info!(node.member_id = %self.state.config.member_id, "node stopped");
    }
}

/// Publishes at start-up (retrying until the map accepts), then again every `period`, so the map
/// sees the node alive and never shows it as stale.
async fn keep_published(state: Arc<NodeState>, period: Duration) {
    publish_until_accepted(state.clone()).await;
    loop {
        tokio::time::sleep(period).await;
        publish_until_accepted(state.clone()).await;
    }
}

/// Publishes now, retrying every 30 seconds until the map accepts.
async fn publish_until_accepted(state: Arc<NodeState>) {
    loop {
        match crate::service::publish::publish(
            &state.config,
            &state.credentials.load(),
            &state.exchange,
        )
        .await
        {
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "registers not published yet; retrying in 30 s");
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    }
}

async fn serve_all(servers: Vec<(&'static str, Server)>) {
    let names: Vec<&str> = servers.iter().map(|(name, _)| *name).collect();
    let results = futures_util::future::join_all(servers.into_iter().map(|(_, s)| s)).await;
    for (name, result) in names.into_iter().zip(results) {
        if let Err(e) = result {
            tracing::error!(endpoint = name, error = %e, "endpoint stopped with an error");
        }
    }
}

/// The exchange context: message signer, signer verifier, message log, peer client (also used
/// by `once request`, which runs the requester side without a server).
pub async fn exchange_context(
    config: &Config,
    credentials: &Credentials,
    crl: &LoadedCrl,
    pool: &db::DbPool,
) -> Result<Exchange, StartError> {
    let material = credentials.load();
    let signer = credentials.signer.clone();
    let signer_verifier =
        material.signer_verifier(crl, config.tls.crl_expired == CrlExpiredPolicy::Refuse)?;
    let logbook = Arc::new(
        Logbook::open(pool.clone(), material.checkpoint_signer(&config.member_id)?).await?,
    );
    let client = peer_client::build(
        material.ca_certs.clone(),
        crl,
        credentials.tls_slot.clone(),
        Duration::from_millis(config.exchange.request_timeout_ms),
    )?;
    let mut exchange = Exchange::new(
        config,
        signer,
        signer_verifier,
        logbook,
        client,
        pool.clone(),
    );
    if let Some(telemetry) = &config.telemetry {
        exchange.tracer = Some(
            crate::telemetry::Tracer::start(telemetry, config.member_id.as_str())
                .map_err(|e| ConfigError::new("telemetry", e))?,
        );
    }
    Ok(exchange)
}

/// A server configuration that asks for no client certificate (API keys, browsers).
fn no_client_auth() -> Arc<dyn rustls::server::danger::ClientCertVerifier> {
    rustls::server::WebPkiClientVerifier::no_client_auth()
}

pub(crate) fn bind(field: &'static str, address: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(address).map_err(|source| StartError::Bind {
        field,
        address,
        source,
    })
}

pub(crate) fn local_addr(
    field: &'static str,
    listener: &TcpListener,
) -> Result<SocketAddr, StartError> {
    listener.local_addr().map_err(|source| StartError::Bind {
        field,
        address: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })
}

/// Reads the peer's member id from its verified end-entity certificate (the first of the
/// chain) when the TLS connection is established.
pub(crate) fn record_peer_identity(connection: &dyn Any, extensions: &mut Extensions) {
    let Some(end_entity) = client_end_entity(connection) else {
        return;
    };
    match PeerIdentity::from_certificate(end_entity) {
        Ok(identity) => {
            tracing::debug!(peer.member_id = %identity.member_id, "peer connected");
            extensions.insert(identity);
        }
        // The verifier already refused such certificates; this is a second line of defence.
        Err(e) => tracing::warn!(error = %e, "peer certificate without a member id"),
    }
}

/// Records the client certificate of an application-endpoint connection.
fn record_app_client(connection: &dyn Any, extensions: &mut Extensions) {
    let Some(end_entity) = client_end_entity(connection) else {
        return;
    };
    if let Ok(info) = once_pki::inspect::CertInfo::from_der(end_entity) {
        extensions.insert(AppClientCertificate {
            subject: info.subject,
            fingerprint: sha256_hex(end_entity),
        });
    }
}

/// The client's end-entity certificate (the first of the chain it presented) on a TLS
/// connection; `None` on plain connections or without a client certificate.
fn client_end_entity(connection: &dyn Any) -> Option<&rustls_pki_types::CertificateDer<'static>> {
    let tls = connection.downcast_ref::<TlsStream<TcpStream>>()?;
    tls.get_ref().1.peer_certificates()?.first()
}
