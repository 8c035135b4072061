//! Reconcile of 300 opportunities against the emulator with the service's quotas enforced (10 reads/s)
//! and 5 injected HTTP 500s, timed against the quota bound of the reads AWS counts (pages and gets at
//! 10/s); then the steady state: the same 300 listed again once applied, which must read only pages.
//!
//! The backfill runs twice, each on a fresh emulator and fresh tables: with the 500s sporadic (one call
//! in 60 fails, as a service's faults come), then with all five on the first call, one after another,
//! where the retry's backoff (50 ms doubling) is the whole difference.
//! Needs moto (the ledger and store tables): `make bench-reconcile` starts it.
#![allow(clippy::unwrap_used)]

use acebridge_mapping::Catalog;
use acebridge_pc_emulator::Emulator;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger, ensure_tables};
use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
use acebridge_sync::{local, partner_central};
use serde_json::json;
use std::time::Instant;

const N: usize = 300;
const FAULTS: u32 = 5;

/// Partner Central reads as the emulator counted them (failed attempts not included).
fn reads(emulator: &Emulator) -> u64 {
    emulator.state().stats.of(&[
        "ListOpportunities",
        "GetOpportunity",
        "GetAwsOpportunitySummary",
    ])
}

struct Stack {
    emulator: Emulator,
    pc: SdkPartnerCentral,
    ledger: DynamoLedger,
    crm: DynamoCrmStore,
    ddb: aws_sdk_dynamodb::Client,
    ledger_table: String,
}

async fn stack(name: &str) -> Stack {
    let emulator = Emulator::start("127.0.0.1:0", acebridge_clock::TestClock::suite().clock())
        .await
        .unwrap();
    let mut base: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/partner-central/requests/create_opportunity.sandbox.aws-samples.json"
    ))
    .unwrap();
    base.as_object_mut().unwrap().remove("ClientToken");
    let opportunities: Vec<_> = (0..N)
        .map(|i| {
            let mut o = base.clone();
            o["Id"] = json!(format!("O9{i:06}"));
            o
        })
        .collect();
    emulator
        .state()
        .seed(&json!({ "opportunities": opportunities }))
        .unwrap();
    emulator.enforce_quotas(true);

    let sdk = local::sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let stamp = std::process::id();
    let (lt, ct) = (
        format!("bench-ledger-{name}-{stamp}"),
        format!("bench-crm-{name}-{stamp}"),
    );
    ensure_tables(&ddb, &lt, &ct)
        .await
        .expect("moto must be running: make local-up");
    Stack {
        pc: SdkPartnerCentral::new(&sdk, Some(&emulator.url())),
        emulator,
        ledger: DynamoLedger::new(ddb.clone(), lt.clone()),
        crm: DynamoCrmStore::new(ddb.clone(), ct),
        ddb,
        ledger_table: lt,
    }
}

/// The backfill of the N opportunities; prints its line and returns the reads it made.
async fn backfill(s: &Stack, what: &str) -> u64 {
    let start = Instant::now();
    let report = partner_central::reconcile(
        &s.pc,
        &s.ledger,
        &s.crm,
        Catalog::Sandbox,
        || true,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    let wall = start.elapsed().as_secs_f64();
    let stats = s.emulator.state().stats.clone();
    // The reads AWS counts: every page, every GetOpportunity, every summary (drafts have none).
    let reads = reads(&s.emulator);
    let bound = reads as f64 / 10.0;
    let attempts = reads + stats.faults_served + stats.throttled;
    println!(
        "backfill, {what}: {} listed, {} written, {} failed; {} pages; {} injected 500s, {} throttled",
        report.listed,
        report.written,
        report.failed,
        report.pages,
        stats.faults_served,
        stats.throttled
    );
    println!(
        "  {reads} reads ({:.3} per synced opportunity); wall time {wall:.2} s vs quota bound {bound:.1} s \
         ({reads} reads at 10/s): ratio {:.3}; {:.3} to the {attempts} attempts AWS answered",
        reads as f64 / report.written.max(1) as f64,
        wall / bound,
        wall / (attempts as f64 / 10.0)
    );
    assert_eq!(report.written, N, "none lost");
    assert_eq!(stats.faults_served, u64::from(FAULTS));
    reads
}

#[tokio::main]
async fn main() {
    let s = stack("spread").await;
    s.emulator.fail_spaced(FAULTS, 60);
    let before = backfill(&s, "5 sporadic 500s (one call in 60)").await;

    // Steady state: the same opportunities listed again (the events function applied them already).
    // As an operator re-syncs everything (docs/operations.md): the watermark item deleted.
    s.ddb
        .delete_item()
        .table_name(&s.ledger_table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(
                acebridge_sync::ports::ledger::watermark_key(Catalog::Sandbox),
            ),
        )
        .send()
        .await
        .unwrap();
    let start = Instant::now();
    let steady = partner_central::reconcile(
        &s.pc,
        &s.ledger,
        &s.crm,
        Catalog::Sandbox,
        || true,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    let wall = start.elapsed().as_secs_f64();
    let steady_reads = reads(&s.emulator) - before;
    println!(
        "steady state: {} listed, {} read again, {} unread; {steady_reads} reads ({:.3} per listed opportunity), {wall:.2} s",
        steady.listed,
        steady.listed - steady.unread,
        steady.unread,
        steady_reads as f64 / steady.listed.max(1) as f64
    );
    assert_eq!(steady.unread, N, "an applied version was read again");

    let s = stack("burst").await;
    s.emulator.fail_next(FAULTS);
    backfill(&s, "5 500s in a row on the first call").await;
}
