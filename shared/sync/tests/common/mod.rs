//! The local stack for the S3-channel tests: moto (started by `make test` / `make local-up`) reached
//! over HTTP by the real SDK clients. Every test gets its own buckets and tables.
#![allow(dead_code, clippy::unwrap_used)]

use acebridge_mapping::Catalog;
use acebridge_sync::adapters::config::s3_client;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::ingest::{self, FileOutcome, IngestConfig};
use acebridge_sync::local;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Stack {
    pub ace: S3Bucket,
    pub landing: S3Bucket,
    pub ledger: DynamoLedger,
    pub crm: DynamoCrmStore,
    pub config: IngestConfig,
    pub s3: aws_sdk_s3::Client,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!("{prefix}-{t}-{n}-{}", std::process::id())
}

pub async fn stack() -> Stack {
    let ace_name = unique("ace-apn-1588143-beta-us-west-2");
    let landing_name = unique("landing");
    let ledger_table = unique("ledger");
    let crm_table = unique("crm");
    local::init(
        &ace_name,
        &landing_name,
        &ledger_table,
        &crm_table,
        "us-east-1",
    )
    .await
    .expect("the local stack (moto) must be running: make local-up");
    let west = local::sdk_config("us-west-2").await;
    let east = local::sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&east);
    Stack {
        ace: S3Bucket::new(s3_client(&west), ace_name),
        landing: S3Bucket::new(s3_client(&east), landing_name),
        ledger: DynamoLedger::new(ddb.clone(), ledger_table),
        crm: DynamoCrmStore::new(ddb, crm_table),
        config: IngestConfig::new(Catalog::Sandbox),
        s3: s3_client(&east),
    }
}

impl Stack {
    /// Puts a file in the landing bucket (as the scanner would) and runs the ingest on S3's event for it,
    /// through the same event parsing the function uses.
    pub async fn land_and_ingest(&self, key: &str, body: &[u8]) -> FileOutcome {
        let etag = self.put_landing(key, body).await;
        self.ingest_event(&[(key, &etag, body.len() as u64)])
            .await
            .pop()
            .unwrap()
    }

    pub async fn put_landing(&self, key: &str, body: &[u8]) -> String {
        use acebridge_sync::store::ObjectStore;
        self.landing
            .put(key, body.to_vec(), Default::default())
            .await
            .unwrap()
            .etag
    }

    /// Delivers one S3 event naming `objects` to the ingest logic.
    pub async fn ingest_event(&self, objects: &[(&str, &str, u64)]) -> Vec<FileOutcome> {
        use acebridge_sync::store::ObjectStore;
        let json = local::s3_event(self.landing.bucket(), objects);
        let event: aws_lambda_events::s3::S3Event = serde_json::from_value(json).unwrap();
        let mut out = Vec::new();
        for n in ingest::notified_objects(&event) {
            out.push(
                ingest::ingest_file(
                    &self.landing,
                    &self.ledger,
                    &self.crm,
                    &self.config,
                    &n.key,
                    n.etag.as_deref(),
                )
                .await
                .unwrap(),
            );
        }
        out
    }

    pub async fn landing_keys(&self, prefix: &str) -> Vec<String> {
        acebridge_sync::store::list_all(&self.landing, prefix)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect()
    }

    pub async fn landing_json(&self, key: &str) -> serde_json::Value {
        use acebridge_sync::store::ObjectStore;
        let o = self
            .landing
            .get(key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {key}"));
        serde_json::from_slice(&o.body).unwrap()
    }
}

/// The AWS sample outbound opportunity, as a JSON value to vary.
pub fn sample_opportunity() -> serde_json::Value {
    let file: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json"
    ))
    .unwrap();
    file["opportunities"][0].clone()
}

/// An outbound opportunity file of `records`.
pub fn opportunity_file(records: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": "2.0", "spmsId": "1588143", "opportunities": records
    }))
    .unwrap()
}
