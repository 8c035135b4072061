//! Peak memory of the ingest: the process's high-water mark (`VmHWM`, Linux) after start-up, after a
//! 1 MB outbound file is ingested (636 opportunities, the ACE sample with distinct ids, parsed, mapped and
//! written to the ledger and the CRM store on moto), and after a 60 MiB file is refused by its size (which
//! must not move it: the size is checked before the body is read). One process, as a Lambda container.
//! Needs moto: `make bench-ingest-memory` starts it.
#![allow(clippy::unwrap_used)]

use acebridge_mapping::Catalog;
use acebridge_sync::adapters::config::s3_client;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::local;
use acebridge_sync::ports::store::ObjectStore;
use acebridge_sync::s3_exchange::ingest::{self, FileOutcome, IngestConfig};
use serde_json::Value;

const SAMPLE: &str =
    include_str!("../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json");

/// Peak resident memory so far, in KiB.
fn high_water_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A ~1 MB outbound file: the AWS sample record repeated with distinct ids.
fn file() -> (Vec<u8>, usize) {
    let v: Value = serde_json::from_str(SAMPLE.trim_start_matches('\u{feff}')).unwrap();
    let rec = v["opportunities"][0].clone();
    let (mut records, mut size, mut i) = (vec![], 0, 0u64);
    while size < 990_000 {
        let mut r = rec.clone();
        r["apnCrmUniqueIdentifier"] = Value::String(format!("O{}", 1_000_000 + i));
        r["partnerCrmUniqueIdentifier"] = Value::String(format!("crm-{i}"));
        size += serde_json::to_vec(&r).unwrap().len();
        records.push(r);
        i += 1;
    }
    let n = records.len();
    let body = serde_json::json!({"version": "2.0", "spmsId": "1588143", "opportunities": records});
    (serde_json::to_vec(&body).unwrap(), n)
}

#[tokio::main]
async fn main() {
    let stamp = std::process::id();
    let names = (
        format!("bench-mem-ace-{stamp}"),
        format!("bench-mem-landing-{stamp}"),
        format!("bench-mem-ledger-{stamp}"),
        format!("bench-mem-crm-{stamp}"),
    );
    local::init(&names.0, &names.1, &names.2, &names.3, "us-east-1")
        .await
        .expect("moto must be running: make bench-ingest-memory");
    let sdk = local::sdk_config("us-east-1").await;
    let bus = format!("bench-mem-bus-{stamp}");
    local::create_outcome_bus(&sdk, &bus).await.unwrap();
    let landing = S3Bucket::new(s3_client(&sdk), &names.1);
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let (ledger, crm) = (
        DynamoLedger::new(ddb.clone(), names.2.clone()),
        DynamoCrmStore::new(ddb, names.3.clone()),
    );
    let outcomes = EventBus::new(aws_sdk_eventbridge::Client::new(&sdk), bus);
    // AWS's outbound files are not held to the 50 records of the partner's inbound ones.
    let config = IngestConfig::new(
        Catalog::Sandbox,
        acebridge_clock::TestClock::suite().clock(),
    )
    .with_limits(None, Some(1_000));

    let (body, n) = file();
    let size = body.len();
    let small = landing
        .put("opportunity-outbound/one-mb.json", body, Default::default())
        .await
        .unwrap();
    // The 60 MiB file is streamed from disk, so this process never holds it before the ingest runs.
    let path = std::env::temp_dir().join(format!("bench-mem-{stamp}.json"));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&path).unwrap();
        let mib = vec![b' '; 1024 * 1024];
        for _ in 0..60 {
            f.write_all(&mib).unwrap();
        }
    }
    let big_etag = s3_client(&sdk)
        .put_object()
        .bucket(&names.1)
        .key("opportunity-outbound/sixty-mib.json")
        .body(
            aws_sdk_s3::primitives::ByteStream::from_path(&path)
                .await
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .e_tag
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    let _ = std::fs::remove_file(&path);
    let before = high_water_kib();
    let ingest = |key: &'static str, etag: String| {
        let (landing, ledger, crm, outcomes, config) =
            (&landing, &ledger, &crm, &outcomes, &config);
        async move {
            ingest::ingest_file(landing, ledger, crm, outcomes, config, key, Some(&etag))
                .await
                .unwrap()
        }
    };
    let refused = ingest("opportunity-outbound/sixty-mib.json", big_etag).await;
    assert!(
        matches!(refused, FileOutcome::Quarantined(_)),
        "{refused:?}"
    );
    let after_refused = high_water_kib();
    let started = std::time::Instant::now();
    let done = ingest("opportunity-outbound/one-mb.json", small.etag).await;
    let took = started.elapsed();
    let FileOutcome::Processed(counts) = &done else {
        panic!("{done:?}")
    };
    let after = high_water_kib();
    println!("ingest memory (VmHWM of this process, KiB):");
    println!("  before any ingest: {before}");
    println!("  after refusing a 60 MiB file by its size: {after_refused}");
    println!(
        "  after ingesting a {size}-byte file of {n} opportunities ({} applied) in {:.1} s: {after} ({:.1} MiB)",
        counts.applied,
        took.as_secs_f64(),
        after as f64 / 1024.0
    );
}
