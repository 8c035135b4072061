//! Latency on the local stack, p50 and p99: an AWS event to the CRM write (the events function's work
//! for `Opportunity Updated`: GetOpportunity, the ledger, the CRM store) and a CRM change to the Partner
//! Central write (crm-outbound's work for one `CRM Opportunity Changed`: the ledger, GetOpportunity,
//! UpdateOpportunity under the shared 1 write/s gate). Partner Central is the emulator, AWS services are
//! moto, every call through the real SDK clients. Samples of the second kind are spaced 1.1 s apart so
//! that each measures a write that did not queue behind the previous one.
//! Needs moto: `make bench-latency` starts it.
#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use acebridge_sync::crm_side::crm_queue::handle_batch;
use acebridge_sync::model::policy::InvitationPolicy;
use serde_json::json;
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "  {what}: {} samples, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        percentile(&samples, 1.0)
    );
}

#[tokio::main]
async fn main() {
    const N: usize = 100;
    let mut s = common::pc_stack_as("crm-outbound", InvitationPolicy::Manual).await;
    let opportunities: Vec<_> = (0..N)
        .map(|i| {
            let mut o = common::api_opportunity(&format!("Latency {i}"));
            o["Id"] = json!(format!("O5{i:06}"));
            o
        })
        .collect();
    s.seed(opportunities);

    // AWS → CRM: each AWS change's event handled as the events function does.
    s.skip_events();
    let mut aws_to_crm = Vec::new();
    for i in 0..N {
        let id = format!("O5{i:06}");
        s.emulator
            .state()
            .aws_update(
                "Sandbox",
                &id,
                &json!({ "LifeCycle": { "NextSteps": format!("AWS step {i}") } }),
            )
            .unwrap();
        let started = Instant::now();
        s.deliver().await;
        aws_to_crm.push(started.elapsed());
    }

    // CRM → AWS: one change per message, as crm-outbound receives it.
    let cx = s.outbound_cx();
    let mut crm_to_aws = Vec::new();
    for i in 0..30 {
        let id = format!("O5{i:06}");
        let body = common::crm_opportunity_changed(
            &format!("lat-{i}"),
            "2026-11-30T10:00:00Z",
            &format!("ACB-{id}"),
            json!({"id": id, "life_cycle": {"next_steps": format!("CRM step {i}")}}),
        );
        let started = Instant::now();
        let out = handle_batch(&cx, &[(format!("m{i}"), body.to_string())]).await;
        crm_to_aws.push(started.elapsed());
        assert!(out.retry.is_empty(), "{:?}", out.results);
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    println!("latency on the local stack (emulator + moto):");
    report("AWS event → CRM write", aws_to_crm);
    report("CRM change → Partner Central write", crm_to_aws);
}
