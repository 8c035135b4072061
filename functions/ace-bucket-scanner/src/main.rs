//! Scheduled: moves new files from the AWS-owned ACE bucket (no S3 notifications) into the landing bucket.
//! Environment: `ACE_BUCKET`, `ACE_BUCKET_REGION` (default us-west-2), `ACE_KMS_KEY_ARN` (optional),
//! `LANDING_BUCKET`, `DEADLINE_MARGIN_MS` (default 15000).

use acebridge_sync::adapters::config;
use acebridge_sync::scanner::{self, ScanConfig};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    let ace = config::ace_bucket().await?;
    let landing = config::landing_bucket(&sdk).await?;
    let margin = config::env_opt("DEADLINE_MARGIN_MS")
        .and_then(|m| m.parse().ok())
        .map_or(Duration::from_secs(15), Duration::from_millis);
    let settings = ScanConfig::default();
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (ace, landing, settings) = (&ace, &landing, &settings);
        async move {
            let deadline = deadline(event.context.deadline);
            let budget = deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .saturating_sub(margin);
            tracing::info!(budget_ms = budget.as_millis() as u64, "scan starting");
            let report = scanner::scan(ace, landing, settings, || {
                SystemTime::now() + margin < deadline
            })
            .await;
            tracing::info!(
                moved = report.moved,
                already_landed = report.already_landed,
                vanished = report.vanished,
                failed = report.failed.len(),
                stopped_early = report.stopped_early,
                "scan finished"
            );
            if let Some((key, reason)) = report.failed.first() {
                for (key, reason) in &report.failed {
                    tracing::error!(key = %key, %reason, "object left in the ACE bucket");
                }
                return Err(Error::from(format!(
                    "{} object(s) could not be moved; first: {key}: {reason}",
                    report.failed.len()
                )));
            }
            Ok::<_, Error>(serde_json::to_value(&report)?)
        }
    }))
    .await
}

/// The invocation's deadline. Lambda sends epoch milliseconds; `cargo lambda watch` sends the timeout
/// itself (e.g. 600000), which is read as "from now".
fn deadline(ms: u64) -> SystemTime {
    const YEAR_2001_MS: u64 = 1_000_000_000_000;
    if ms < YEAR_2001_MS {
        SystemTime::now() + Duration::from_millis(ms)
    } else {
        UNIX_EPOCH + Duration::from_millis(ms)
    }
}
