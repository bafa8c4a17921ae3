//! The two baselines measured in the same run: the crypto limit (ECDSA P-256 signatures with
//! ring, the library the node uses) and the transport ceiling (nginx serving a static 2 KB XML
//! answer over TLS 1.3 with client certificates, driven by the same generator).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair,
};

/// Median costs of one ECDSA P-256/SHA-256 signature and verification.
#[derive(Debug, Clone, Copy)]
pub struct Crypto {
    pub sign_us: f64,
    pub verify_us: f64,
}

impl Crypto {
    /// The cost of what one exchange needs.
    pub fn cost_us(&self, signs: u32, verifies: u32) -> f64 {
        f64::from(signs) * self.sign_us + f64::from(verifies) * self.verify_us
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Measures sign and verify of a 32-byte digest's worth of message, as the exchange signs
/// SignedInfo (a few hundred bytes).
pub fn crypto() -> anyhow::Result<Crypto> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
        .map_err(|_| anyhow::anyhow!("key generation failed"))?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
        .map_err(|_| anyhow::anyhow!("key"))?;
    let public = ring::signature::UnparsedPublicKey::new(
        &ECDSA_P256_SHA256_ASN1,
        key.public_key().as_ref().to_vec(),
    );
    let message = vec![0x5au8; 600];
    let batch = 200;
    let mut signs = Vec::new();
    let mut verifies = Vec::new();
    let mut signature = key
        .sign(&rng, &message)
        .map_err(|_| anyhow::anyhow!("sign"))?;
    for _ in 0..15 {
        let started = Instant::now();
        for _ in 0..batch {
            signature = key
                .sign(&rng, &message)
                .map_err(|_| anyhow::anyhow!("sign"))?;
        }
        signs.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(batch));
        let started = Instant::now();
        for _ in 0..batch {
            public
                .verify(&message, signature.as_ref())
                .map_err(|_| anyhow::anyhow!("verify"))?;
        }
        verifies.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(batch));
    }
    Ok(Crypto {
        sign_us: median(signs),
        verify_us: median(verifies),
    })
}

/// nginx with one worker, TLS 1.3 only, client certificates required and checked against the
/// federation CA, answering every request on `/v1/exchange` with a static 2 KB XML document.
pub struct Nginx {
    child: Child,
    pub port: u16,
    pub pid: u32,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The nginx binary, if installed.
pub fn nginx_bin() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Starts nginx on the CPUs given with the provider's TLS certificate and the federation CA.
pub fn nginx(bin: &Path, dir: &Path, node_dir: &Path, cpus: Option<&str>) -> anyhow::Result<Nginx> {
    std::fs::create_dir_all(dir.join("logs"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let answer = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><answer>{}</answer>",
        "x".repeat(2048 - 57)
    );
    std::fs::write(dir.join("answer.xml"), &answer)?;
    let conf = format!(
        r#"daemon off;
master_process off;
worker_processes 1;
error_log {dir}/logs/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_protocols TLSv1.3;
        ssl_certificate {node}/tls.pem;
        ssl_certificate_key {node}/tls.key;
        ssl_client_certificate {node}/ca.pem;
        ssl_verify_client on;
        client_max_body_size 1m;
        location = /v1/exchange {{
            default_type application/xml;
            alias {dir}/answer.xml;
            error_page 405 =200 $uri;
        }}
    }}
}}
"#,
        dir = dir.display(),
        node = node_dir.display(),
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let mut command = match cpus {
        Some(cpus) => {
            let mut c = Command::new("taskset");
            c.args(["-c", cpus]).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let child = command
        .arg("-c")
        .arg(&conf_path)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting nginx")?;
    let pid = child.id();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(10) {
            bail!(
                "nginx did not start: {}",
                std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(Nginx { child, port, pid })
}
