//! Starting and stopping a node: load and check the configuration's material, open the
//! database, bind the peer and application endpoints, watch the CRL.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, web};
use arc_swap::ArcSwap;
use once_pki::tls::{PeerRequirement, PeerVerifier, server_config_with};
use once_runtime::credentials::Credentials;
use once_runtime::crl::{self, CrlReloadError, CrlState};
pub use once_runtime::listen::StartError;
use once_runtime::listen::{ClientCertificate, Endpoint, Servers, no_client_auth};
use once_runtime::material::LoadedCrl;
use once_runtime::metrics::HttpMetrics;
use once_runtime::middleware::{Admission, request_span};

use crate::assemble::Parts;
use crate::config::{ApplicationAuth, Config, ConfigError, CrlExpiredPolicy};
use crate::db;
use crate::exchange::checkpoint::CheckpointSigner;
use crate::exchange::provider::PRUNE_SECONDS;
use crate::operations::publish::PublishError;
use crate::routes;
use crate::state::NodeState;

/// A running node.
#[derive(Debug)]
pub struct RunningNode {
    /// Where the peer endpoint listens.
    pub peer_addr: SocketAddr,
    /// Where the application endpoint listens.
    pub app_addr: SocketAddr,
    /// Where the preview page listens, if configured.
    pub preview_addr: Option<SocketAddr>,
    /// Where the AS4 endpoint listens, if configured.
    pub as4_addr: Option<SocketAddr>,
    state: Arc<NodeState>,
    servers: Servers,
}

/// The TLS configurations of the node's endpoints, and the client-certificate verifiers that
/// check against the CRL.
struct EndpointTls {
    peer: rustls::ServerConfig,
    application: Option<(rustls::ServerConfig, ClientCertificate)>,
    preview: Option<rustls::ServerConfig>,
    as4: Option<rustls::ServerConfig>,
    crl_verifiers: Vec<(&'static str, Arc<PeerVerifier>)>,
}

impl RunningNode {
    /// Loads everything, binds both endpoints and starts serving. Must be called inside a tokio
    /// runtime.
    pub async fn start(config: Config) -> Result<RunningNode, StartError> {
        let started = once_store::now_unix();
        let (material, crl) = config.load_material()?;
        let credentials =
            Credentials::new(&config.member_id, &config.tls, &config.signing, material)?;
        let pool = config
            .server
            .open_pool(&config.database_url, &db::MIGRATIONS)
            .await?;
        let tls = endpoint_tls(&config, &credentials, &crl)?;
        let parts = Parts::assemble(&config, &credentials, &crl, &pool).await?;
        crl::warn_if_expired(&crl, config.tls.crl_expired);
        let crl_state = crl_state(&config, crl, &tls, &parts);
        let logbook = parts.logbook.clone();
        let member = config.member_id.clone();
        credentials.on_rotate(Box::new(
            move |material| match CheckpointSigner::from_material(&member, material) {
                Ok(signer) => logbook.set_signer(signer),
                Err(e) => tracing::error!(error = %e, "checkpoint signer not replaced"),
            },
        ));
        let state = Arc::new(NodeState {
            provider: parts.provider(&config, &pool),
            requester: parts.requester(&config),
            preview: parts.preview_page(&config, &pool),
            credentials: credentials.clone(),
            pool,
            crl: crl_state,
            metrics: parts.metrics,
            started,
            signed: parts.signed,
            logbook: parts.logbook,
            client: parts.client,
            transport: parts.transport,
            as4: parts.as4,
            tracer: parts.tracer,
            config,
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
        let mut servers = Servers::new();
        let Addresses {
            peer: peer_addr,
            application: app_addr,
            preview: preview_addr,
            as4: as4_addr,
        } = serve(&state, tls, &mut servers)?;
        background(&state, &mut servers);
        servers.start();
        tracing::info!(
            node.member_id = %state.config.member_id,
            peer.addr = %peer_addr,
            app.addr = %app_addr,
            app.tls = state.config.application.tls,
            preview.addr = ?preview_addr,
            as4.addr = ?as4_addr,
            "node listening"
        );
        Ok(RunningNode {
            peer_addr,
            app_addr,
            preview_addr,
            as4_addr,
            state,
            servers,
        })
    }

    /// The node's shared state.
    pub fn state(&self) -> &Arc<NodeState> {
        &self.state
    }

    /// Publishes this node's registers to the register map now.
    pub async fn publish(&self) -> Result<usize, PublishError> {
        publish(&self.state).await
    }

    /// Reports the exchange counts to the register map now.
    pub async fn report(&self) -> Result<(), String> {
        let map = self
            .state
            .config
            .map
            .as_ref()
            .ok_or("no register map is configured")?;
        crate::operations::report::report(&self.state.pool, &self.state.client, &map.url).await
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
        self.servers.stop(graceful).await;
        // Flush: sign the final chain head, so the log ends on a checkpoint.
        if let Err(e) = self.state.logbook.checkpoint().await {
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
        match publish(&state).await {
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(error = %e, "registers not published yet; retrying in 30 s");
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    }
}

/// Publishes this node's registers to the register map.
async fn publish(state: &NodeState) -> Result<usize, PublishError> {
    crate::operations::publish::publish(
        &state.config,
        &state.credentials.load(),
        &state.pool,
        &state.signed,
        &state.client,
    )
    .await
}

/// The TLS configurations of the peer, application and preview endpoints.
fn endpoint_tls(
    config: &Config,
    credentials: &Credentials,
    crl: &LoadedCrl,
) -> Result<EndpointTls, ConfigError> {
    let material = credentials.load();
    let slot = &credentials.tls_slot;
    let enforce = config.tls.crl_expired == CrlExpiredPolicy::Refuse;
    let peer_verifier = material.peer_verifier(crl, enforce)?;
    let mut crl_verifiers = vec![("peer", peer_verifier.clone())];
    let peer = server_config_with(slot.clone(), peer_verifier)
        .map_err(|e| ConfigError::new("tls.cert", e))?;
    let application = match (config.application.tls, config.application.auth) {
        (false, _) => None,
        (true, ApplicationAuth::ApiKey) => Some((
            server_config_with(slot.clone(), no_client_auth())
                .map_err(|e| ConfigError::new("application.tls", e))?,
            ClientCertificate::Ignore,
        )),
        (true, ApplicationAuth::Mtls) => {
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
            let verifier =
                PeerVerifier::new(roots, crls, PeerRequirement::ChainOnly, enforce && same_ca)
                    .map_err(|e| ConfigError::new("application.client_ca", e))?;
            if same_ca {
                crl_verifiers.push(("application", verifier.clone()));
            }
            Some((
                server_config_with(slot.clone(), verifier)
                    .map_err(|e| ConfigError::new("application.tls", e))?,
                ClientCertificate::Info,
            ))
        }
    };
    let preview = match &config.preview {
        Some(_) => Some(
            server_config_with(slot.clone(), no_client_auth())
                .map_err(|e| ConfigError::new("preview", e))?,
        ),
        None => None,
    };
    let as4 = match &config.as4 {
        Some(as4) => Some(crate::exchange::transport::as4::setup::server_tls(
            as4,
            || {
                server_config_with(slot.clone(), no_client_auth())
                    .map_err(|e| ConfigError::new("as4", e))
            },
        )?),
        None => None,
    };
    Ok(EndpointTls {
        peer,
        application,
        preview,
        as4,
        crl_verifiers,
    })
}

/// The CRL in force and everything that checks against it: the endpoints' client-certificate
/// verifiers, the message-signer verifier, and the peer client (rebuilt on reload).
fn crl_state(config: &Config, crl: LoadedCrl, tls: &EndpointTls, parts: &Parts) -> Arc<CrlState> {
    let client = parts.client.clone();
    Arc::new(CrlState {
        path: config.tls.crl.clone(),
        policy: config.tls.crl_expired,
        interval: Duration::from_secs(config.tls.crl_reload_seconds),
        current: ArcSwap::from_pointee(crl),
        tls_verifiers: tls.crl_verifiers.clone(),
        signer_verifiers: vec![parts.signed.verifier().clone()],
        // The peer client checks providers' certificates against the new CRL too.
        on_reload: Some(Box::new(move |crl| client.rebuild(crl))),
    })
}

/// Where the endpoints listen.
struct Addresses {
    peer: SocketAddr,
    application: SocketAddr,
    preview: Option<SocketAddr>,
    as4: Option<SocketAddr>,
}

/// Binds the peer, application and (if configured) preview and AS4 endpoints.
fn serve(
    state: &Arc<NodeState>,
    tls: EndpointTls,
    servers: &mut Servers,
) -> Result<Addresses, StartError> {
    let config = &state.config;
    let data = web::Data::from(state.clone());
    let metrics = |endpoint| HttpMetrics::data(&state.metrics, &state.tracer, endpoint);

    let (peer_data, peer_metrics) = (data.clone(), metrics("peer"));
    let peer_admission = Admission::new(config.server.max_in_flight);
    let peer = Endpoint::new("peer", "peer.listen", config.peer.listen, &config.server)
        .with_tls(tls.peer, ClientCertificate::Member);
    let peer_addr = servers.serve(peer, move || {
        App::new()
            .app_data(peer_data.clone())
            .app_data(peer_admission.clone())
            .app_data(peer_metrics.clone())
            .wrap(from_fn(request_span))
            .configure(routes::peer)
    })?;

    let (app_data, app_metrics) = (data.clone(), metrics("application"));
    let app_admission = Admission::new(config.server.max_in_flight);
    let mut application = Endpoint::new(
        "application",
        "application.listen",
        config.application.listen,
        &config.server,
    );
    if let Some((tls, client_certificate)) = tls.application {
        application = application.with_tls(tls, client_certificate);
    }
    let app_addr = servers.serve(application, move || {
        App::new()
            .app_data(app_data.clone())
            .app_data(app_admission.clone())
            .app_data(app_metrics.clone())
            .wrap(from_fn(request_span))
            .configure(routes::application)
    })?;

    let preview_addr = match (&config.preview, tls.preview) {
        (Some(preview), Some(tls)) => {
            let (preview_data, preview_metrics) = (data.clone(), metrics("preview"));
            let endpoint =
                Endpoint::new("preview", "preview.listen", preview.listen, &config.server)
                    .with_tls(tls, ClientCertificate::Ignore)
                    .max_workers(2);
            Some(servers.serve(endpoint, move || {
                App::new()
                    .app_data(preview_data.clone())
                    .app_data(preview_metrics.clone())
                    .wrap(from_fn(request_span))
                    .configure(routes::preview)
            })?)
        }
        _ => None,
    };
    let as4_addr = match (&config.as4, tls.as4) {
        (Some(as4), Some(tls)) => {
            let (as4_data, as4_metrics) = (data.clone(), metrics("as4"));
            let as4_admission = Admission::new(config.server.max_in_flight);
            let endpoint = Endpoint::new("as4", "as4.listen", as4.listen, &config.server)
                .with_tls(tls, ClientCertificate::Ignore);
            Some(servers.serve(endpoint, move || {
                App::new()
                    .app_data(as4_data.clone())
                    .app_data(as4_admission.clone())
                    .app_data(as4_metrics.clone())
                    .wrap(from_fn(request_span))
                    .configure(routes::as4)
            })?)
        }
        _ => None,
    };
    Ok(Addresses {
        peer: peer_addr,
        application: app_addr,
        preview: preview_addr,
        as4: as4_addr,
    })
}

/// The node's background tasks: pruning, CRL and certificate watching, log checkpoints,
/// publishing to and reporting to the register map.
fn background(state: &Arc<NodeState>, servers: &mut Servers) {
    let config = &state.config;
    servers.adopt(
        state
            .logbook
            .spawn_checkpoints(Duration::from_secs(config.exchange.checkpoint_seconds)),
    );
    let pruned = state.clone();
    servers.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(PRUNE_SECONDS));
        loop {
            tick.tick().await;
            if let Err(e) = pruned.provider.prune().await {
                tracing::warn!(error = %e, "pruning old request ids and previews failed");
            }
        }
    });
    if let Some(as4) = &state.as4 {
        servers.spawn(crate::exchange::transport::as4::maintain(
            as4.clone(),
            config
                .as4
                .as_ref()
                .map_or(1, |c| c.duplicate_window_seconds),
        ));
    }
    servers.spawn(state.crl.clone().watch());
    servers.spawn(
        state
            .credentials
            .clone()
            .watch(Duration::from_secs(config.tls.crl_reload_seconds)),
    );
    if let Some(map) = &config.map {
        if map.publish {
            servers.spawn(keep_published(
                state.clone(),
                Duration::from_secs(map.republish_seconds),
            ));
        }
        if map.report_seconds > 0 {
            servers.adopt(crate::operations::report::spawn(
                state.pool.clone(),
                state.client.clone(),
                map.url.clone(),
                Duration::from_secs(map.report_seconds),
            ));
        }
    }
}
