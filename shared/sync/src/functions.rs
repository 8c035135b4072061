//! The ace-bucket-scanner function wired from its environment (the other four write to the CRM, and are
//! wired in `acebridge_crm::functions`). Its `main.rs` picks the clock, builds it and hands each
//! invocation to it.

use crate::adapters::config;
use crate::adapters::s3::S3Bucket;
use crate::guards::deadline;
use crate::metrics;
use crate::s3_exchange::scanner::{self, ScanConfig};
use acebridge_clock::Clock;
use aws_config::SdkConfig;
use serde_json::Value;
use std::time::Duration;

/// ace-bucket-scanner (scheduled): new files of the AWS-owned ACE bucket (no S3 notifications) into
/// the landing bucket. Environment: `ACE_BUCKET`, `ACE_BUCKET_REGION` (default us-west-2),
/// `ACE_KMS_KEY_ARN` (optional), `LANDING_BUCKET`, `DEADLINE_MARGIN_MS` (default 15000).
pub struct AceBucketScanner {
    ace: S3Bucket,
    landing: S3Bucket,
    margin: Duration,
    settings: ScanConfig,
}

impl AceBucketScanner {
    /// The function from its environment.
    pub async fn from_env(sdk: &SdkConfig, clock: Clock) -> Result<Self, String> {
        Ok(AceBucketScanner {
            ace: config::ace_bucket().await?,
            landing: config::landing_bucket(sdk).await?,
            margin: deadline::margin_from_env(),
            settings: ScanConfig::new(clock),
        })
    }

    /// One scheduled run, until the invocation's deadline (`deadline_ms`, epoch milliseconds): the
    /// report, or an error naming the objects left in the ACE bucket (the next run tries them again).
    pub async fn handle(&self, deadline_ms: u64) -> Result<Value, String> {
        let clock = &self.settings.clock;
        let time_left = deadline::time_left(deadline_ms, self.margin, clock);
        let report = scanner::scan(&self.ace, &self.landing, &self.settings, time_left).await;
        tracing::info!(
            moved = report.moved,
            already_landed = report.already_landed,
            vanished = report.vanished,
            failed = report.failed.len(),
            stopped_early = report.stopped_early,
            oldest_left_seconds = report.oldest_left_seconds,
            "scan finished"
        );
        let now = clock.now_millis();
        metrics::flush_with(
            clock,
            &[
                metrics::gauge(
                    "OldestAceFileAgeSeconds",
                    report.oldest_left_seconds as f64,
                    "Seconds",
                    now,
                ),
                metrics::gauge("FilesMoved", report.moved as f64, "Count", now),
            ],
        );
        if let Some((key, reason)) = report.failed.first() {
            for (key, reason) in &report.failed {
                tracing::error!(key = %key, %reason, "object left in the ACE bucket");
            }
            return Err(format!(
                "{} object(s) could not be moved; first: {key}: {reason}",
                report.failed.len()
            ));
        }
        serde_json::to_value(&report).map_err(|e| e.to_string())
    }
}
