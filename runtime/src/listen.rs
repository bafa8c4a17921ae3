//! Listeners: binding an endpoint (plain or TLS), reading the client's certificate when a TLS
//! connection is established, and the set of servers and background tasks of one running service
//! that stop together.

use std::any::Any;
use std::fmt::Debug;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_http::{Request, Response};
use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Extensions, Server, ServerHandle, ServiceFactory};
use actix_web::rt::net::TcpStream;
use actix_web::{Error, HttpServer};
use once_pki::PeerIdentity;
use rustls_pki_types::CertificateDer;

use crate::config::{ConfigError, ServerConfig};

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration is wrong (exit code 64).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated (exit code 69).
    #[error("database_url: {0}")]
    Database(#[from] once_store::DbError),
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

/// What to read from a client's certificate when a TLS connection is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCertificate {
    /// Nothing (plain HTTP, browsers, API keys).
    Ignore,
    /// The federation member: a [`PeerIdentity`] in the connection data.
    Member,
    /// Any client certificate: a [`ClientCertificateInfo`] in the connection data.
    Info,
}

/// A client certificate presented on a connection, as read when it was established.
#[derive(Debug, Clone)]
pub struct ClientCertificateInfo {
    /// Its subject.
    pub subject: String,
    /// Its SHA-256 fingerprint.
    pub fingerprint: String,
}

/// One endpoint of a service: its name (in metrics and logs), the configuration field of its
/// address, and how it is served.
#[derive(Debug)]
pub struct Endpoint {
    /// The endpoint's name: `peer`, `application`, `preview`, `api`, `web`.
    pub name: &'static str,
    /// The configuration field of `listen`, e.g. `peer.listen`.
    pub field: &'static str,
    /// Where to listen.
    pub listen: SocketAddr,
    /// TLS, or plain HTTP when `None`.
    pub tls: Option<rustls::ServerConfig>,
    /// What to read from the client's certificate.
    pub client_certificate: ClientCertificate,
    /// Worker threads.
    pub workers: usize,
    /// How long in-flight requests may take to finish at shutdown, in seconds.
    pub shutdown_grace_seconds: u64,
}

impl Endpoint {
    /// An endpoint with the server tuning of `server`.
    pub fn new(
        name: &'static str,
        field: &'static str,
        listen: SocketAddr,
        server: &ServerConfig,
    ) -> Endpoint {
        Endpoint {
            name,
            field,
            listen,
            tls: None,
            client_certificate: ClientCertificate::Ignore,
            workers: server.worker_count(),
            shutdown_grace_seconds: server.shutdown_grace_seconds,
        }
    }

    /// Served over TLS with `tls`, reading `client_certificate` at connection time.
    pub fn with_tls(
        mut self,
        tls: rustls::ServerConfig,
        client_certificate: ClientCertificate,
    ) -> Endpoint {
        self.tls = Some(tls);
        self.client_certificate = client_certificate;
        self
    }

    /// At most `workers` worker threads.
    pub fn max_workers(mut self, workers: usize) -> Endpoint {
        self.workers = self.workers.min(workers);
        self
    }
}

/// The servers and background tasks of one running service; they stop together.
#[derive(Default)]
pub struct Servers {
    running: Vec<(&'static str, Server)>,
    handles: Vec<ServerHandle>,
    joined: Option<tokio::task::JoinHandle<()>>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Servers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Servers")
            .field("endpoints", &self.handles.len())
            .field("background", &self.background.len())
            .finish_non_exhaustive()
    }
}

impl Servers {
    /// No servers yet.
    pub fn new() -> Servers {
        Servers::default()
    }

    /// Binds `endpoint` and starts serving the apps `factory` makes (one per worker). Returns
    /// the bound address (the real port when the configuration said 0).
    pub fn serve<F, I, S, B>(
        &mut self,
        endpoint: Endpoint,
        factory: F,
    ) -> Result<SocketAddr, StartError>
    where
        F: Fn() -> I + Send + Clone + 'static,
        I: actix_service::IntoServiceFactory<S, Request>,
        S: ServiceFactory<Request, Config = AppConfig> + 'static,
        S::Error: Into<Error> + 'static,
        S::InitError: Debug,
        S::Response: Into<Response<B>> + 'static,
        B: MessageBody + 'static,
    {
        let bind_error = |address, source| StartError::Bind {
            field: endpoint.field,
            address,
            source,
        };
        let listener =
            TcpListener::bind(endpoint.listen).map_err(|e| bind_error(endpoint.listen, e))?;
        let address = listener
            .local_addr()
            .map_err(|e| bind_error(endpoint.listen, e))?;
        let builder = HttpServer::new(factory)
            .workers(endpoint.workers)
            .shutdown_timeout(endpoint.shutdown_grace_seconds)
            .disable_signals();
        let bound = match endpoint.tls {
            Some(tls) => {
                let builder = match endpoint.client_certificate {
                    ClientCertificate::Ignore => builder,
                    ClientCertificate::Member => builder.on_connect(record_peer_identity),
                    ClientCertificate::Info => builder.on_connect(record_client_certificate),
                };
                builder.listen_rustls_0_23(listener, tls)
            }
            None => builder.listen(listener),
        };
        let server = bound.map_err(|e| bind_error(address, e))?.run();
        self.handles.push(server.handle());
        self.running.push((endpoint.name, server));
        Ok(address)
    }

    /// Runs `task` until the servers stop.
    pub fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        self.background.push(tokio::spawn(task));
    }

    /// Adds a task already spawned; it is aborted when the servers stop.
    pub fn adopt(&mut self, task: tokio::task::JoinHandle<()>) {
        self.background.push(task);
    }

    /// Starts driving the servers bound so far (they accept connections from now on).
    pub fn start(&mut self) {
        let servers = std::mem::take(&mut self.running);
        self.joined = Some(tokio::spawn(serve_all(servers)));
    }

    /// Stops the background tasks and every endpoint: in-flight requests finish within the
    /// grace period (`graceful`) or are dropped. Returns when every endpoint is closed.
    pub async fn stop(self, graceful: bool) {
        for task in &self.background {
            task.abort();
        }
        futures_util::future::join_all(self.handles.iter().map(|h| h.stop(graceful))).await;
        if let Some(joined) = self.joined {
            let _ = joined.await;
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

/// A server configuration that asks for no client certificate (API keys, browsers).
pub fn no_client_auth() -> Arc<dyn rustls::server::danger::ClientCertVerifier> {
    rustls::server::WebPkiClientVerifier::no_client_auth()
}

/// Reads the peer's member id from its verified end-entity certificate (the first of the
/// chain) when the TLS connection is established.
fn record_peer_identity(connection: &dyn Any, extensions: &mut Extensions) {
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

/// Records the subject and fingerprint of a client certificate.
fn record_client_certificate(connection: &dyn Any, extensions: &mut Extensions) {
    let Some(end_entity) = client_end_entity(connection) else {
        return;
    };
    if let Ok(info) = once_pki::inspect::CertInfo::from_der(end_entity) {
        extensions.insert(ClientCertificateInfo {
            subject: info.subject,
            fingerprint: once_pki::sha256_hex(end_entity),
        });
    }
}

/// The client's end-entity certificate (the first of the chain it presented) on a TLS
/// connection; `None` on plain connections or without a client certificate.
fn client_end_entity(connection: &dyn Any) -> Option<&CertificateDer<'static>> {
    let tls = connection.downcast_ref::<TlsStream<TcpStream>>()?;
    tls.get_ref().1.peer_certificates()?.first()
}
