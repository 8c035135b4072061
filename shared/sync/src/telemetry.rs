//! Logging for the functions: JSON lines (CloudWatch reads them as structured logs), level from
//! `RUST_LOG` (default `info`), each line inside an invocation carrying the invocation's `requestId`
//! (the runtime's span). Handlers log ids and counts, never record contents.

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Installs the JSON subscriber once per process (call it first in `main`: it also marks the start).
pub fn init() {
    STARTED.get_or_init(Instant::now);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}

/// Logs the time from [`init`] to now (`init_ms`): the function is configured and about to take its
/// first event. `docs/performance.md` reads it.
pub fn ready() {
    let ms = STARTED
        .get()
        .map_or(0.0, |s| s.elapsed().as_secs_f64() * 1000.0);
    tracing::info!(init_ms = format!("{ms:.1}"), "ready");
}

/// Log lines kept in memory: what the functions' JSON format writes, for tests that read the logs
/// (the no-PII checks).
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }

    /// A JSON subscriber (the functions' format) at debug level, writing here.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        let out = self.clone();
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || out.clone())
            .finish()
    }

    /// Runs `flow` to completion on a fresh single-thread runtime, everything it logs landing here.
    pub fn run<F: std::future::Future>(&self, flow: F) -> std::io::Result<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(tracing::subscriber::with_default(self.subscriber(), || {
            runtime.block_on(flow)
        }))
    }
}
