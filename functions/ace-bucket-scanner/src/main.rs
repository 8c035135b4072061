//! Scheduled: moves new files from the AWS-owned ACE bucket (no S3 notifications) into the landing bucket.
//! Environment: `ACE_BUCKET`, `ACE_BUCKET_REGION` (default us-west-2), `ACE_KMS_KEY_ARN` (optional),
//! `LANDING_BUCKET`, `DEADLINE_MARGIN_MS` (default 15000).

use acebridge_sync::adapters::config;
use acebridge_sync::deadline;
use acebridge_sync::scanner::{self, ScanConfig};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let ace = config::ace_bucket().await?;
    let landing = config::landing_bucket(&sdk).await?;
    let margin = deadline::margin_from_env();
    let settings = ScanConfig::new(clock);
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (ace, landing, settings) = (&ace, &landing, &settings);
        async move {
            let time_left = deadline::time_left(event.context.deadline, margin, &settings.clock);
            let report = scanner::scan(ace, landing, settings, time_left).await;
            tracing::info!(
                moved = report.moved,
                already_landed = report.already_landed,
                vanished = report.vanished,
                failed = report.failed.len(),
                stopped_early = report.stopped_early,
                oldest_left_seconds = report.oldest_left_seconds,
                "scan finished"
            );
            let now = settings.clock.now_millis();
            acebridge_sync::metrics::flush_with(
                &settings.clock,
                &[
                    acebridge_sync::metrics::gauge(
                        "OldestAceFileAgeSeconds",
                        report.oldest_left_seconds as f64,
                        "Seconds",
                        now,
                    ),
                    acebridge_sync::metrics::gauge("FilesMoved", report.moved as f64, "Count", now),
                ],
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
