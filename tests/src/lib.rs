//! Test support: a [`TestFederation`] with a fresh CA and real nodes on loopback (port 0, real
//! TLS), on SQLite or on PostgreSQL (a fresh database per node, dropped afterwards), and raw TLS
//! clients that show what a handshake refusal looks like.
#![forbid(unsafe_code)]
// Test fixtures hold nodes, temporary directories and closures; printing them is of no use.
#![allow(missing_debug_implementations)]

pub mod as4;
pub mod client;
pub mod exchange;
pub mod fake;
pub mod postgres;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Once;

use once_node::config::{
    ApplicationConfig, Config, ExchangeConfig, HealthConfig, ListenConfig, ServerConfig,
    SigningConfig, TlsConfig,
};
use once_node::server::RunningNode;
use once_pki::MemberId;
use once_pki::ca::{Ca, NodeCredentials, Validity, node_files};
use once_registry_map::config::{MapConfig, WebConfig};
use once_registry_map::server::RunningMap;

/// The storage backend a test federation runs on: a SQLite file per node in the federation's
/// temporary directory, or a fresh PostgreSQL database per node, dropped with the federation.
pub use once_store::testing::Backend;
pub use postgres::TestDatabase;

/// Logs to the test output once per process (level from `ONCE_LOG`, default warn) and installs
/// the crypto provider.
pub fn init_test_logging() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        once_runtime::logging::init_with_default(once_runtime::logging::LogFormat::Human, "warn");
        once_pki::install_crypto_provider();
    });
}

/// A federation CA and a set of running nodes.
pub struct TestFederation {
    dir: tempfile::TempDir,
    ca: Ca,
    backend: Backend,
    nodes: Vec<TestNode>,
    map: Option<TestMap>,
}

/// The register map of a [`TestFederation`].
pub struct TestMap {
    /// The map's member id.
    pub member: MemberId,
    /// Its configuration.
    pub config: MapConfig,
    /// The running map, if running.
    pub map: Option<RunningMap>,
    _database: Option<TestDatabase>,
}

impl TestMap {
    /// The running map (panics in tests if it was stopped).
    pub fn running(&self) -> &RunningMap {
        self.map.as_ref().expect("map is running")
    }

    /// `https://localhost:<port>` of the API for nodes.
    pub fn api_url(&self) -> String {
        format!("https://localhost:{}", self.config.api.listen.port())
    }

    /// `http://127.0.0.1:<port>` of the web page.
    pub fn web_url(&self) -> String {
        format!("http://{}", self.running().web_addr)
    }
}

/// One running node of a [`TestFederation`].
pub struct TestNode {
    /// The node's member id.
    pub member: MemberId,
    /// Its directory (certificates, keys, node.toml-equivalent files).
    pub dir: PathBuf,
    /// The configuration it runs with.
    pub config: Config,
    /// The running node.
    pub node: Option<RunningNode>,
    /// Its credentials as issued.
    pub credentials: NodeCredentials,
    _database: Option<TestDatabase>,
}

impl TestNode {
    /// The running node (panics in tests if it was stopped).
    pub fn running(&self) -> &RunningNode {
        self.node.as_ref().expect("node is running")
    }

    /// `https://localhost:<port>` of the peer endpoint.
    pub fn peer_url(&self) -> String {
        format!("https://localhost:{}", self.running().peer_addr.port())
    }

    /// `http://127.0.0.1:<port>` of the application endpoint.
    pub fn app_url(&self) -> String {
        format!("http://{}", self.running().app_addr)
    }

    /// The peer endpoint's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.running().peer_addr
    }

    /// The running node's database pool.
    pub fn pool(&self) -> once_node::db::DbPool {
        self.running().state().pool.clone()
    }
}

/// A change to a node's configuration before it starts.
type Customise = Box<dyn Fn(&mut Config)>;

/// Builds a [`TestFederation`].
#[derive(Default)]
pub struct TestFederationBuilder {
    members: Vec<String>,
    backend: Option<Backend>,
    customise: Vec<Customise>,
}

impl TestFederationBuilder {
    /// Adds a member node.
    pub fn member(mut self, id: &str) -> Self {
        self.members.push(id.to_owned());
        self
    }

    /// Chooses the storage backend (SQLite by default).
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Changes every node's configuration before it starts.
    pub fn configure(mut self, f: impl Fn(&mut Config) + 'static) -> Self {
        self.customise.push(Box::new(f));
        self
    }

    /// Creates the CA and starts every node.
    pub async fn start(self) -> anyhow::Result<TestFederation> {
        init_test_logging();
        let dir = tempfile::tempdir()?;
        let ca = Ca::init(&dir.path().join("ca"), "Test Federation", 30)?;
        let mut federation = TestFederation {
            dir,
            ca,
            backend: self.backend.unwrap_or(Backend::Sqlite),
            nodes: Vec::new(),
            map: None,
        };
        for member in &self.members {
            let member: MemberId = member.parse()?;
            federation.add_node(member, &self.customise).await?;
        }
        Ok(federation)
    }
}

impl TestFederation {
    /// A builder.
    pub fn builder() -> TestFederationBuilder {
        TestFederationBuilder::default()
    }

    /// The CA (to issue, revoke and write CRLs in tests).
    pub fn ca(&mut self) -> &mut Ca {
        &mut self.ca
    }

    /// The federation's temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The root certificate file.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.ca.dir().join("ca.pem")
    }

    /// The node at `index`, in the order the members were added.
    pub fn node(&self, index: usize) -> &TestNode {
        &self.nodes[index]
    }

    /// Mutable access to the node at `index`.
    pub fn node_mut(&mut self, index: usize) -> &mut TestNode {
        &mut self.nodes[index]
    }

    /// Issues credentials for a member (not started) into `<dir>/<name>`; for clients of tests.
    pub fn issue(&mut self, member: &str, name: &str) -> anyhow::Result<PathBuf> {
        let member: MemberId = member.parse()?;
        let out = self.dir.path().join(name);
        let creds =
            self.ca
                .issue_node(&member, &["localhost".into()], Validity::days_from_now(5))?;
        creds.write_to(&out, self.ca.cert_pem())?;
        Ok(out)
    }

    /// Writes a new CRL (listing every revoked certificate) to every node's CRL file.
    pub fn publish_crl(&mut self) -> anyhow::Result<()> {
        let path = self.ca.write_crl(1)?;
        for node in &self.nodes {
            std::fs::copy(&path, &node.config.tls.crl)?;
        }
        Ok(())
    }

    /// Starts the register map (member `DE:BUND:registerlandkarte`) on fixed free ports, so that
    /// nodes can be configured with its URL before it starts again after a stop.
    pub async fn start_map(&mut self) -> anyhow::Result<&TestMap> {
        let member: MemberId = "DE:BUND:registerlandkarte".parse()?;
        let dir = self.dir.path().join("map");
        self.member_files(&member, &dir)?;
        let (database_url, database) = self.database(&dir, "map.db")?;
        let node = test_config(&member, &dir, database_url.clone());
        let config = MapConfig {
            member_id: member.clone(),
            database_url,
            api: ListenConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], free_port())),
            },
            web: WebConfig {
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                tls: false,
            },
            tls: node.tls,
            signing: node.signing,
            server: node.server,
            stale_after_seconds: 3600,
            telemetry: None,
        };
        let map = RunningMap::start(config.clone()).await?;
        self.map = Some(TestMap {
            member,
            config,
            map: Some(map),
            _database: database,
        });
        Ok(self.map.as_ref().expect("just started"))
    }

    /// The register map (panics if none was started).
    pub fn map(&self) -> &TestMap {
        self.map.as_ref().expect("a map was started")
    }

    /// Mutable access to the register map.
    pub fn map_mut(&mut self) -> &mut TestMap {
        self.map.as_mut().expect("a map was started")
    }

    /// Adds and starts one more node, configured by the builder's rules and then by `f`.
    pub async fn add_member(
        &mut self,
        member: &str,
        f: impl Fn(&mut Config) + 'static,
    ) -> anyhow::Result<&TestNode> {
        let member: MemberId = member.parse()?;
        self.add_node(member, &[Box::new(f)]).await?;
        Ok(self.nodes.last().expect("just added"))
    }

    async fn add_node(&mut self, member: MemberId, customise: &[Customise]) -> anyhow::Result<()> {
        let dir = self.dir.path().join(member.as_str().replace(':', "_"));
        let credentials = self.member_files(&member, &dir)?;
        let (database_url, database) = self.database(&dir, "node.db")?;
        let mut config = test_config(&member, &dir, database_url);
        for f in customise {
            f(&mut config);
        }
        let node = RunningNode::start(config.clone()).await?;
        self.nodes.push(TestNode {
            member,
            dir,
            config,
            node: Some(node),
            credentials,
            _database: database,
        });
        Ok(())
    }

    /// Issues credentials for `member` (valid for localhost and 127.0.0.1) and writes them, the
    /// root and the current CRL into `dir`.
    fn member_files(&mut self, member: &MemberId, dir: &Path) -> anyhow::Result<NodeCredentials> {
        let credentials = self.ca.issue_node(
            member,
            &["localhost".into(), "127.0.0.1".into()],
            Validity::days_from_now(30),
        )?;
        credentials.write_to(dir, self.ca.cert_pem())?;
        std::fs::copy(self.ca.dir().join("crl.pem"), dir.join("crl.pem"))?;
        Ok(credentials)
    }

    /// A new database on the federation's backend: the SQLite file `dir/file`, or a fresh
    /// PostgreSQL database (dropped when the returned handle is).
    fn database(&self, dir: &Path, file: &str) -> anyhow::Result<(String, Option<TestDatabase>)> {
        Ok(match self.backend {
            Backend::Sqlite => (dir.join(file).display().to_string(), None),
            Backend::Postgres => {
                let db = TestDatabase::create()?;
                (db.url().to_owned(), Some(db))
            }
        })
    }

    /// Stops every node and the map (gracefully) and drops their databases.
    pub async fn stop(mut self) {
        for node in &mut self.nodes {
            if let Some(running) = node.node.take() {
                running.stop(true).await;
            }
        }
        if let Some(map) = self.map.as_mut()
            && let Some(running) = map.map.take()
        {
            running.stop(true).await;
        }
    }
}

/// The configuration of a test node: loopback, port 0, one worker, CRL checked every second.
pub fn test_config(member: &MemberId, dir: &Path, database_url: String) -> Config {
    Config {
        member_id: member.clone(),
        database_url,
        peer: ListenConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        },
        application: ApplicationConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..ApplicationConfig::default()
        },
        tls: TlsConfig {
            ca: dir.join(node_files::CA_CERT),
            crl: dir.join("crl.pem"),
            cert: dir.join(node_files::TLS_CERT),
            key: dir.join(node_files::TLS_KEY),
            crl_reload_seconds: 1,
            crl_expired: Default::default(),
        },
        signing: SigningConfig {
            cert: dir.join(node_files::SIGNING_CERT),
            key: dir.join(node_files::SIGNING_KEY),
        },
        health: HealthConfig::default(),
        server: ServerConfig {
            workers: 1,
            shutdown_grace_seconds: 5,
            pool_size: 4,
            pool_timeout_ms: 2000,
            max_in_flight: 256,
        },
        name: None,
        exchange: ExchangeConfig::default(),
        preview: None,
        providers: Vec::new(),
        map: None,
        contact: None,
        telemetry: None,
        oots: None,
        as4: None,
    }
}

/// A free loopback port (bound and released; for addresses that must be known before start).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
