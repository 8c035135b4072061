//! CloudWatch metrics in the Embedded Metric Format (EMF): each function counts what it did while it
//! runs and prints one EMF line per channel and direction when the invocation ends; CloudWatch Logs
//! turns the line into metrics (namespace `acebridge`), no API call, no extra permission.
//!
//! Metrics: `RecordsSynced`, `RecordsSkipped` (stale or duplicate versions, held changes),
//! `RecordsFailed`, and `SyncLagSeconds` (from AWS's `LastModifiedDate` to the CRM write, AWS → CRM;
//! one value per record, so CloudWatch gives percentiles). Dimensions: `Channel` (`s3` | `api`) and
//! `Direction` (`aws_to_crm` | `crm_to_aws`). `CallsRefused` (no dimension) counts calls to the public
//! crm-inbound endpoint refused (bad or replayed signature, stale timestamp, body over the cap).

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The metrics namespace.
pub const NAMESPACE: &str = "acebridge";

/// Which channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Channel {
    /// The ACE S3 file exchange.
    S3,
    /// The Partner Central API.
    Api,
}

/// Which way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// AWS → CRM.
    AwsToCrm,
    /// CRM → AWS.
    CrmToAws,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Written; with the lag from AWS's last change, when known.
    Synced {
        /// Seconds.
        lag_seconds: Option<f64>,
    },
    /// Nothing to write (stale, duplicate, held).
    Skipped,
    /// Could not be written.
    Failed,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Tally {
    synced: u64,
    skipped: u64,
    failed: u64,
    lag: Vec<f64>,
}

static TALLY: Mutex<BTreeMap<(Channel, Direction), Tally>> = Mutex::new(BTreeMap::new());

static REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts one refused call to the public endpoint.
pub fn refused_call() {
    REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Counts one record.
pub fn record(channel: Channel, direction: Direction, outcome: Outcome) {
    let mut tally = TALLY.lock().unwrap_or_else(|p| p.into_inner());
    let t = tally.entry((channel, direction)).or_default();
    match outcome {
        Outcome::Synced { lag_seconds } => {
            t.synced += 1;
            if let Some(l) = lag_seconds.filter(|l| l.is_finite()) {
                t.lag.push(l.max(0.0));
            }
        }
        Outcome::Skipped => t.skipped += 1,
        Outcome::Failed => t.failed += 1,
    }
}

/// The EMF documents of everything counted since the last call (and forgets it).
pub fn take(timestamp_ms: i64) -> Vec<Value> {
    let tally = std::mem::take(&mut *TALLY.lock().unwrap_or_else(|p| p.into_inner()));
    let refused = REFUSED.swap(0, std::sync::atomic::Ordering::Relaxed);
    let refused =
        (refused > 0).then(|| gauge("CallsRefused", refused as f64, "Count", timestamp_ms));
    tally
        .into_iter()
        .map(|((channel, direction), t)| {
            let mut metrics = vec![
                json!({"Name": "RecordsSynced", "Unit": "Count"}),
                json!({"Name": "RecordsSkipped", "Unit": "Count"}),
                json!({"Name": "RecordsFailed", "Unit": "Count"}),
            ];
            let mut doc = Map::new();
            doc.insert(
                "Channel".into(),
                json!(match channel {
                    Channel::S3 => "s3",
                    Channel::Api => "api",
                }),
            );
            doc.insert(
                "Direction".into(),
                json!(match direction {
                    Direction::AwsToCrm => "aws_to_crm",
                    Direction::CrmToAws => "crm_to_aws",
                }),
            );
            doc.insert("RecordsSynced".into(), json!(t.synced));
            doc.insert("RecordsSkipped".into(), json!(t.skipped));
            doc.insert("RecordsFailed".into(), json!(t.failed));
            if !t.lag.is_empty() {
                metrics.push(json!({"Name": "SyncLagSeconds", "Unit": "Seconds"}));
                // EMF takes up to 100 values for one metric in one document.
                let lag: Vec<f64> = t.lag.iter().take(100).copied().collect();
                doc.insert("SyncLagSeconds".into(), json!(lag));
            }
            doc.insert(
                "_aws".into(),
                envelope(timestamp_ms, json!([["Channel", "Direction"]]), metrics),
            );
            Value::Object(doc)
        })
        .chain(refused)
        .collect()
}

/// EMF's `_aws` member: which members of the document are metrics, under which dimensions.
fn envelope(timestamp_ms: i64, dimensions: Value, metrics: Vec<Value>) -> Value {
    json!({
        "Timestamp": timestamp_ms,
        "CloudWatchMetrics": [{
            "Namespace": NAMESPACE,
            "Dimensions": dimensions,
            "Metrics": metrics,
        }]
    })
}

/// An EMF document for one value without dimensions (`OldestAceFileAgeSeconds`).
pub fn gauge(name: &str, value: f64, unit: &str, timestamp_ms: i64) -> Value {
    let mut doc = Map::new();
    doc.insert(name.to_string(), json!(value));
    doc.insert(
        "_aws".into(),
        envelope(
            timestamp_ms,
            json!([[]]),
            vec![json!({"Name": name, "Unit": unit})],
        ),
    );
    Value::Object(doc)
}

/// Prints the EMF lines on stdout (end of an invocation), with `extra` documents, stamped `clock`'s now.
pub fn flush_with(clock: &acebridge_clock::Clock, extra: &[Value]) {
    use std::io::Write;
    let now = clock.now_millis();
    let mut out = std::io::stdout().lock();
    for doc in take(now).iter().chain(extra) {
        let _ = writeln!(out, "{doc}");
    }
}

/// Prints the EMF lines on stdout (end of an invocation).
pub fn flush(clock: &acebridge_clock::Clock) {
    flush_with(clock, &[]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_documents_declare_what_they_carry() {
        record(
            Channel::S3,
            Direction::AwsToCrm,
            Outcome::Synced {
                lag_seconds: Some(42.5),
            },
        );
        record(Channel::S3, Direction::AwsToCrm, Outcome::Skipped);
        record(Channel::Api, Direction::CrmToAws, Outcome::Failed);
        let docs = take(1_795_342_500_000);
        // Other tests in this binary may count too; find ours.
        let s3 = docs
            .iter()
            .find(|d| d["Channel"] == "s3" && d["Direction"] == "aws_to_crm")
            .expect("s3 document");
        assert!(s3["RecordsSynced"].as_u64() >= Some(1));
        assert!(
            s3["SyncLagSeconds"]
                .as_array()
                .is_some_and(|l| l.contains(&json!(42.5)))
        );
        let spec = &s3["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(spec["Namespace"], "acebridge");
        assert_eq!(spec["Dimensions"], json!([["Channel", "Direction"]]));
        for m in spec["Metrics"].as_array().expect("metrics") {
            let name = m["Name"].as_str().expect("name");
            assert!(s3.get(name).is_some(), "{name} declared but not carried");
        }
        assert!(
            docs.iter()
                .any(|d| d["Channel"] == "api" && d["RecordsFailed"].as_u64() >= Some(1))
        );
        assert!(
            take(0)
                .iter()
                .all(|d| d["RecordsSynced"] == 0 || d["Channel"] != "never")
        );
    }
}
