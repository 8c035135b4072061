//! Logging for the functions: JSON lines (CloudWatch reads them as structured logs), level from
//! `RUST_LOG` (default `info`). Handlers log ids and counts, never record contents.

/// Installs the JSON subscriber once per process.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .try_init();
}
