//! Starting and stopping the register map: the API for nodes (mutual TLS) and the web page.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use arc_swap::ArcSwap;
use once_pki::tls::server_config_with;
use once_registry_map::catalogue::Catalogue;
use once_registry_map::state::MapState;
use once_xml::Limits;

use super::config::MapConfig;
use crate::config::{ConfigError, CrlExpiredPolicy};
use crate::db::DbError;
use crate::material::NodeMaterial;
use crate::metrics::{self, Gauge, HttpMetrics, Metrics};
use crate::middleware::request_span;
use crate::server::{StartError, bind, local_addr, record_peer_identity};
use crate::service::credentials::Credentials;
use crate::service::crl::{self, CrlState};

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
    handles: Vec<ServerHandle>,
    servers: tokio::task::JoinHandle<()>,
    watcher: tokio::task::JoinHandle<()>,
}

impl RunningMap {
    /// Loads everything, binds both endpoints and starts serving.
    pub async fn start(config: MapConfig) -> Result<RunningMap, StartError> {
        let started = once_store::now_unix();
        let (material, crl) =
            NodeMaterial::load_parts(&config.member_id, &config.tls, &config.signing)?;
        let credentials =
            Credentials::new(&config.member_id, &config.tls, &config.signing, material)?;
        let material = credentials.load();
        let slot = credentials.tls_slot.clone();
        let metrics = Arc::new(Metrics::map());
        let tracer = match &config.telemetry {
            Some(t) => Some(
                crate::telemetry::Tracer::start(t, config.member_id.as_str())
                    .map_err(|e| ConfigError::new("telemetry", e))?,
            ),
            None => None,
        };
        let timeout = Duration::from_millis(config.server.pool_timeout_ms);
        let (url, size) = (config.database_url.clone(), config.server.pool_size);
        let pool =
            tokio::task::spawn_blocking(move || once_registry_map::db::open(&url, size, timeout))
                .await
                .map_err(|e| DbError::Task(e.to_string()))??;

        let enforce = config.tls.crl_expired == CrlExpiredPolicy::Refuse;
        let peer_verifier = material.peer_verifier(&crl, enforce)?;
        let api_tls = server_config_with(slot.clone(), peer_verifier.clone())
            .map_err(|e| ConfigError::new("tls.cert", e))?;
        let web_tls = if config.web.tls {
            Some(
                server_config_with(
                    slot.clone(),
                    rustls::server::WebPkiClientVerifier::no_client_auth(),
                )
                .map_err(|e| ConfigError::new("web.tls", e))?,
            )
        } else {
            None
        };
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
            signer: credentials.signer.clone(),
            signer_verifier,
            limits: Limits {
                max_bytes: once_registry_map::api::MAX_DESCRIPTOR_BYTES,
                max_elements: 1_000_000,
                ..Limits::default()
            },
            stale_after_seconds: config.stale_after_seconds,
            reload_lock: tokio::sync::Mutex::new(()),
        });
        state.reload().await?;
        let data = web::Data::from(state.clone());
        let workers = config.server.worker_count();
        let grace = config.server.shutdown_grace_seconds;

        let api_listener = bind("api.listen", config.api.listen)?;
        let api_addr = local_addr("api.listen", &api_listener)?;
        let api_data = data.clone();
        let api_metrics = HttpMetrics::data(&metrics, &tracer, "api");
        let api = HttpServer::new(move || {
            App::new()
                .app_data(api_data.clone())
                .app_data(api_metrics.clone())
                .wrap(from_fn(request_span))
                .configure(once_registry_map::api::routes)
        })
        .workers(workers)
        .shutdown_timeout(grace)
        .disable_signals()
        .on_connect(record_peer_identity)
        .listen_rustls_0_23(api_listener, api_tls)
        .map_err(|source| StartError::Bind {
            field: "api.listen",
            address: api_addr,
            source,
        })?
        .run();

        let web_listener = bind("web.listen", config.web.listen)?;
        let web_addr = local_addr("web.listen", &web_listener)?;
        let web_data = data.clone();
        let web_metrics = HttpMetrics::data(&metrics, &tracer, "web");
        let scrape = web::Data::new(MapScrape {
            metrics: metrics.clone(),
            credentials: credentials.clone(),
            crl: crl_state.clone(),
            started,
        });
        let web_builder = HttpServer::new(move || {
            App::new()
                .app_data(web_data.clone())
                .app_data(web_metrics.clone())
                .app_data(scrape.clone())
                .wrap(from_fn(request_span))
                .route("/metrics", web::get().to(map_metrics))
                .configure(once_registry_map::web::routes)
        })
        .workers(workers)
        .shutdown_timeout(grace)
        .disable_signals();
        let web_bound = match web_tls {
            Some(tls) => web_builder.listen_rustls_0_23(web_listener, tls),
            None => web_builder.listen(web_listener),
        };
        let web_server = web_bound
            .map_err(|source| StartError::Bind {
                field: "web.listen",
                address: web_addr,
                source,
            })?
            .run();
        let handles = vec![api.handle(), web_server.handle()];
        let servers = tokio::spawn(async move {
            let (a, w) = tokio::join!(api, web_server);
            for (name, result) in [("api", a), ("web", w)] {
                if let Err(e) = result {
                    tracing::error!(endpoint = name, error = %e, "endpoint stopped with an error");
                }
            }
        });
        let crl_watch = crl_state.clone();
        let credentials_watch = credentials.clone();
        let interval = Duration::from_secs(config.tls.crl_reload_seconds);
        let watcher = tokio::spawn(async move {
            tokio::join!(crl_watch.watch(), credentials_watch.watch(interval));
        });
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
            handles,
            servers,
            watcher,
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
        self.watcher.abort();
        futures_util::future::join_all(self.handles.iter().map(|h| h.stop(graceful))).await;
        let _ = self.servers.await;
        tracing::info!("map stopped");
    }
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
    metrics::record_tls_refusals(&scrape.metrics, &scrape.crl.tls_verifiers);
    let mut gauges = metrics::common_gauges(
        state.member.as_str(),
        scrape.started,
        &scrape.credentials.load(),
        &scrape.crl.load(),
        &state.pool,
    );
    let catalogue = state.catalogue.load();
    let connected = catalogue.registers().iter().filter(|r| r.connected).count();
    let all = catalogue.registers().len();
    gauges.push(Gauge::labelled(
        metrics::MAP_REGISTERS,
        &[("connected", "true")],
        connected as f64,
    ));
    gauges.push(Gauge::labelled(
        metrics::MAP_REGISTERS,
        &[("connected", "false")],
        (all - connected) as f64,
    ));
    gauges.push(Gauge::new(
        metrics::MAP_MEMBERS,
        catalogue.members().len() as f64,
    ));
    actix_web::HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(scrape.metrics.render(&gauges))
}
