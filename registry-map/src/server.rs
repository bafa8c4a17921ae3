//! Starting and stopping the register map: the API for nodes (mutual TLS) and the web page, built
//! on the same runtime as the node (credentials, CRL watching, listeners, middleware, metrics).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{App, web};
use arc_swap::ArcSwap;
use once_pki::tls::server_config_with;
use once_runtime::config::{ConfigError, CrlExpiredPolicy};
use once_runtime::credentials::Credentials;
use once_runtime::crl::{self, CrlState};
pub use once_runtime::listen::StartError;
use once_runtime::listen::{ClientCertificate, Endpoint, Servers, no_client_auth};
use once_runtime::material::{LoadedCrl, Material};
use once_runtime::metrics::{self, HttpMetrics, Metrics, ServerState};
use once_runtime::middleware::request_span;
use once_runtime::signed::SignedMessages;
use once_runtime::telemetry::Tracer;
use once_xml::Limits;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Registry;

use crate::catalogue::Catalogue;
use crate::config::MapConfig;
use crate::state::MapState;

/// A running register map.
#[derive(Debug)]
pub struct RunningMap {
    /// Where the API for nodes listens.
    pub api_addr: SocketAddr,
    /// Where the web page listens.
    pub web_addr: SocketAddr,
    state: Arc<MapState>,
    crl: Arc<CrlState>,
    credentials: Arc<Credentials>,
    servers: Servers,
}

impl RunningMap {
    /// Loads everything, binds both endpoints and starts serving.
    pub async fn start(config: MapConfig) -> Result<RunningMap, StartError> {
        let started = once_store::now_unix();
        let (material, crl) = Material::load(&config.member_id, &config.tls, &config.signing)?;
        let credentials =
            Credentials::new(&config.member_id, &config.tls, &config.signing, material)?;
        let metrics = Arc::new(Metrics::map());
        let tracer = Tracer::configured(config.telemetry.as_ref(), config.member_id.as_str())?;
        let pool = config
            .server
            .open_pool(&config.database_url, &crate::db::MIGRATIONS)
            .await?;
        let (state, crl_state, api_tls) = map_state(&config, &credentials, crl, pool)?;
        state.reload().await?;
        let scrape = web::Data::new(MapScrape {
            metrics: metrics.clone(),
            credentials: credentials.clone(),
            crl: crl_state.clone(),
            started,
        });
        let mut servers = Servers::new();
        let data = web::Data::from(state.clone());
        let (api_data, api_metrics) = (data.clone(), HttpMetrics::data(&metrics, &tracer, "api"));
        let api = Endpoint::new("api", "api.listen", config.api.listen, &config.server)
            .with_tls(api_tls, ClientCertificate::Member);
        let api_addr = servers.serve(api, move || {
            App::new()
                .app_data(api_data.clone())
                .app_data(api_metrics.clone())
                .wrap(from_fn(request_span))
                .configure(crate::api::routes)
        })?;
        let (web_data, web_metrics) = (data.clone(), HttpMetrics::data(&metrics, &tracer, "web"));
        let web_endpoint = web_endpoint(&config, &credentials)?;
        let web_addr = servers.serve(web_endpoint, move || {
            App::new()
                .app_data(web_data.clone())
                .app_data(web_metrics.clone())
                .app_data(scrape.clone())
                .wrap(from_fn(request_span))
                .route("/metrics", web::get().to(map_metrics))
                .configure(crate::web::routes)
        })?;
        servers.spawn(crl_state.clone().watch());
        servers.spawn(
            credentials
                .clone()
                .watch(Duration::from_secs(config.tls.crl_reload_seconds)),
        );
        servers.start();
        tracing::info!(
            map.member_id = %config.member_id,
            api.addr = %api_addr,
            web.addr = %web_addr,
            "map listening"
        );
        Ok(RunningMap {
            api_addr,
            web_addr,
            state,
            crl: crl_state,
            credentials,
            servers,
        })
    }

    /// The map's state.
    pub fn state(&self) -> &Arc<MapState> {
        &self.state
    }

    /// Reads the CRL file now (what SIGHUP does).
    pub async fn reload_crl(&self) -> Result<(), crl::CrlReloadError> {
        self.crl.reload_now().await
    }

    /// Reads the certificate and key files now and puts them in force if they changed and pass
    /// the start-up checks (what SIGHUP does). Returns whether they changed.
    pub async fn reload_credentials(&self) -> Result<bool, ConfigError> {
        self.credentials.reload_now().await
    }

    /// Stops both endpoints.
    pub async fn stop(self, graceful: bool) {
        self.servers.stop(graceful).await;
        tracing::info!("map stopped");
    }
}

/// The map's state (with an empty catalogue), the CRL in force with the verifiers that check
/// against it, and the API's TLS configuration (client certificates of members required).
fn map_state(
    config: &MapConfig,
    credentials: &Credentials,
    crl: LoadedCrl,
    pool: once_store::DbPool,
) -> Result<(Arc<MapState>, Arc<CrlState>, rustls::ServerConfig), ConfigError> {
    let material = credentials.load();
    let enforce = config.tls.crl_expired == CrlExpiredPolicy::Refuse;
    let peer_verifier = material.peer_verifier(&crl, enforce)?;
    let api_tls = server_config_with(credentials.tls_slot.clone(), peer_verifier.clone())
        .map_err(|e| ConfigError::new("tls.cert", e))?;
    let signer_verifier = material.signer_verifier(&crl, enforce)?;
    crl::warn_if_expired(&crl, config.tls.crl_expired);
    let crl_state = Arc::new(CrlState {
        path: config.tls.crl.clone(),
        policy: config.tls.crl_expired,
        interval: Duration::from_secs(config.tls.crl_reload_seconds),
        current: ArcSwap::from_pointee(crl),
        tls_verifiers: vec![("api", peer_verifier)],
        signer_verifiers: vec![signer_verifier.clone()],
        on_reload: None,
    });
    let state = Arc::new(MapState {
        member: config.member_id.clone(),
        catalogue: ArcSwap::from_pointee(Catalogue::default()),
        pool,
        signed: SignedMessages::new(
            credentials.signer.clone(),
            signer_verifier,
            Limits {
                max_bytes: crate::api::MAX_DESCRIPTOR_BYTES,
                max_elements: 1_000_000,
                ..Limits::default()
            },
        ),
        stale_after_seconds: config.stale_after_seconds,
        reload_lock: tokio::sync::Mutex::new(()),
    });
    Ok((state, crl_state, api_tls))
}

/// The web page's endpoint: plain HTTP, or HTTPS with the map's certificate (no client
/// certificate).
fn web_endpoint(config: &MapConfig, credentials: &Credentials) -> Result<Endpoint, ConfigError> {
    let endpoint = Endpoint::new("web", "web.listen", config.web.listen, &config.server);
    if !config.web.tls {
        return Ok(endpoint);
    }
    let tls = server_config_with(credentials.tls_slot.clone(), no_client_auth())
        .map_err(|e| ConfigError::new("web.tls", e))?;
    Ok(endpoint.with_tls(tls, ClientCertificate::Ignore))
}

/// What the map's `/metrics` reads besides the map state.
struct MapScrape {
    metrics: Arc<Metrics>,
    credentials: Arc<Credentials>,
    crl: Arc<CrlState>,
    started: i64,
}

/// `GET /metrics` on the web endpoint: HTTP counters of both endpoints, TLS refusals of the API,
/// certificates, CRL, pool, and the size of the landscape. The map's data is public; the metrics
/// say nothing more than its pages do.
async fn map_metrics(
    state: web::Data<MapState>,
    scrape: web::Data<MapScrape>,
) -> actix_web::HttpResponse {
    let mut scraped = Registry::default();
    ServerState {
        member: state.member.as_str(),
        started: scrape.started,
        material: &scrape.credentials.load(),
        crl: &scrape.crl.load(),
        pool: &state.pool,
        tls_verifiers: &scrape.crl.tls_verifiers,
    }
    .register(&mut scraped);
    register_landscape(&mut scraped, &state.catalogue.load());
    actix_web::HttpResponse::Ok()
        .content_type(metrics::CONTENT_TYPE)
        .body(scrape.metrics.encode(&scraped))
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ConnectedLabels {
    connected: &'static str,
}

/// The map's own gauges: registers by whether a node serves them, and members.
fn register_landscape(scraped: &mut Registry, catalogue: &Catalogue) {
    let connected = catalogue.registers().iter().filter(|r| r.connected).count();
    let all = catalogue.registers().len();
    let registers = Family::<ConnectedLabels, Gauge>::default();
    for (label, n) in [("true", connected), ("false", all - connected)] {
        registers
            .get_or_create(&ConnectedLabels { connected: label })
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    scraped.register(
        "once_map_registers",
        "Registers in the register map, by whether a node serves them (connected true/false)",
        registers,
    );
    let members = i64::try_from(catalogue.members().len()).unwrap_or(i64::MAX);
    scraped.register(
        "once_map_members",
        "Members known to the register map",
        ConstGauge::new(members),
    );
}
