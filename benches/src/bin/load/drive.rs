//! The load generator: `connections` keep-alive HTTPS (or HTTP) connections, each with one
//! request outstanding (closed loop), or paced to a total rate (open loop for soak and
//! overload). Latency of every request is kept (microseconds) for exact percentiles.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One request to send.
pub struct Request {
    pub url: String,
    pub content_type: String,
    pub bearer: Option<String>,
    pub body: Vec<u8>,
}

/// Makes the `n`-th request of a connection.
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Request + Send + Sync>;

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    /// HTTP 503 answers (shed under overload).
    pub shed: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
    /// Latencies of successful requests, microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// Latencies of 503 answers, microseconds, sorted.
    pub shed_latencies_us: Vec<u32>,
}

impl Outcome {
    /// Counts one measured answer (an HTTP status or a transport error) that took `micros`.
    fn count(&mut self, result: Result<u16, String>, micros: u32) {
        match result {
            Ok(200) => {
                self.ok += 1;
                self.latencies_us.push(micros);
            }
            Ok(503) => {
                self.shed += 1;
                self.shed_latencies_us.push(micros);
            }
            Ok(status) => {
                self.errors += 1;
                self.first_error
                    .get_or_insert_with(|| format!("HTTP {status}"));
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    pub fn throughput(&self) -> f64 {
        self.ok as f64 / self.seconds
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies_us, p)
    }
}

pub fn percentile(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted_us.len() - 1) as f64).round() as usize;
    f64::from(sorted_us[rank.min(sorted_us.len() - 1)]) / 1000.0
}

/// Runs `connections` clients for `warmup` (not measured) and then `measure`; with `rate`, the
/// clients together send about that many requests per second.
pub async fn run(
    clients: Vec<reqwest::Client>,
    make: MakeRequest,
    warmup: Duration,
    measure: Duration,
    rate: Option<f64>,
) -> Outcome {
    let measuring = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let connections = clients.len();
    let mut tasks = Vec::new();
    for (index, client) in clients.into_iter().enumerate() {
        let (make, measuring, done, sent) =
            (make.clone(), measuring.clone(), done.clone(), sent.clone());
        let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
        tasks.push(tokio::spawn(async move {
            let mut outcome = Outcome::default();
            let mut next_at = Instant::now();
            while !done.load(Ordering::Relaxed) {
                if let Some(interval) = interval {
                    let now = Instant::now();
                    if next_at > now {
                        tokio::time::sleep(next_at - now).await;
                    }
                    next_at += interval;
                }
                let request = make(index, sent.fetch_add(1, Ordering::Relaxed));
                let started = Instant::now();
                let result = send(&client, request).await;
                let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                if !measuring.load(Ordering::Relaxed) {
                    continue;
                }
                outcome.count(result, micros);
            }
            outcome
        }));
    }
    tokio::time::sleep(warmup).await;
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(measure).await;
    measuring.store(false, Ordering::Relaxed);
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let mut total = Outcome {
        seconds,
        ..Outcome::default()
    };
    for task in tasks {
        if let Ok(o) = task.await {
            total.ok += o.ok;
            total.errors += o.errors;
            total.shed += o.shed;
            if total.first_error.is_none() {
                total.first_error = o.first_error;
            }
            total.latencies_us.extend(o.latencies_us);
            total.shed_latencies_us.extend(o.shed_latencies_us);
        }
    }
    total.latencies_us.sort_unstable();
    total.shed_latencies_us.sort_unstable();
    total
}

/// Sends one request and reads the whole answer; its HTTP status, or the transport error.
async fn send(client: &reqwest::Client, request: Request) -> Result<u16, String> {
    let mut builder = client
        .post(&request.url)
        .header("content-type", &request.content_type)
        .body(request.body);
    if let Some(token) = &request.bearer {
        builder = builder.bearer_auth(token);
    }
    let response = builder.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|e| e.to_string())?;
    Ok(status)
}

/// CPU seconds (user + system) a process has used so far, from `/proc/<pid>/stat`.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident memory now and at its peak (VmRSS, VmHWM), in MiB.
pub fn rss_mib(pid: u32) -> (f64, f64) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (0.0, 0.0);
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
