//! Reconcile of 300 opportunities against the emulator with the service's quotas enforced (10 reads/s)
//! and 5 injected HTTP 500s, timed against the quota bound of the reads AWS counts (pages and gets at
//! 10/s); then the steady state: the same 300 listed again once applied, which must read only pages.
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

#[tokio::main]
async fn main() {
    let emulator = Emulator::start("127.0.0.1:0").await.unwrap();
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
    emulator.fail_next(5);

    let sdk = local::sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let stamp = std::process::id();
    let (lt, ct) = (
        format!("bench-ledger-{stamp}"),
        format!("bench-crm-{stamp}"),
    );
    ensure_tables(&ddb, &lt, &ct)
        .await
        .expect("moto must be running: make local-up");
    let pc = SdkPartnerCentral::new(&sdk, Some(&emulator.url()));
    let (ddb_admin, ledger_table) = (ddb.clone(), lt.clone());
    let (ledger, crm) = (
        DynamoLedger::new(ddb.clone(), lt),
        DynamoCrmStore::new(ddb, ct),
    );

    let start = Instant::now();
    let report = partner_central::reconcile(&pc, &ledger, &crm, Catalog::Sandbox, || true)
        .await
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    let stats = emulator.state().stats.clone();
    let count = |op: &str| stats.calls.get(op).copied().unwrap_or(0);
    // The reads AWS counts: every page, every GetOpportunity, every summary (drafts have none). The
    // injected 500s are retried and counted by the emulator too.
    let reads =
        count("ListOpportunities") + count("GetOpportunity") + count("GetAwsOpportunitySummary");
    let bound = reads as f64 / 10.0;
    println!(
        "backfill: {} listed, {} written, {} failed; {} pages; {} injected 500s, {} throttled",
        report.listed,
        report.written,
        report.failed,
        report.pages,
        stats.faults_served,
        stats.throttled
    );
    println!(
        "  {reads} reads ({:.3} per synced opportunity); wall time {wall:.2} s vs quota bound {bound:.1} s ({reads} reads at 10/s): ratio {:.3}",
        reads as f64 / report.written.max(1) as f64,
        wall / bound
    );
    assert_eq!(report.written, N, "none lost");

    // Steady state: the same opportunities listed again (the events function applied them already).
    // As an operator re-syncs everything (docs/operations.md): the watermark item deleted.
    ddb_admin
        .delete_item()
        .table_name(&ledger_table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(acebridge_sync::ledger::watermark_key(
                Catalog::Sandbox,
            )),
        )
        .send()
        .await
        .unwrap();
    let start = Instant::now();
    let steady = partner_central::reconcile(&pc, &ledger, &crm, Catalog::Sandbox, || true)
        .await
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    let after = emulator.state().stats.clone();
    let count_after = |op: &str| after.calls.get(op).copied().unwrap_or(0);
    let steady_reads = count_after("ListOpportunities")
        + count_after("GetOpportunity")
        + count_after("GetAwsOpportunitySummary")
        - reads;
    println!(
        "steady state: {} listed, {} read again, {} unread; {steady_reads} reads ({:.3} per listed opportunity), {wall:.2} s",
        steady.listed,
        steady.listed - steady.unread,
        steady.unread,
        steady_reads as f64 / steady.listed.max(1) as f64
    );
    assert_eq!(steady.unread, N, "an applied version was read again");
}
