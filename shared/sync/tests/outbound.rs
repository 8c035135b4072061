//! CRM → Partner Central over the API: the real SDK client against the emulator, ledger and CRM store
//! on moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::crm_side::outbound::{
    OpportunityChanged, Pushed, ReferralDecision, create_token, push_opportunity,
};
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::operations::decide_referral;
use acebridge_sync::partner_central::{PartnerCentral, Submission};
use acebridge_sync::ports::crm::Crm;
use common::{
    PcStack, api_opportunity, crm_opportunity, opportunity_change, outbound_stack, referral,
    refused,
};
use serde_json::{Value, json};

fn opportunities(s: &PcStack, crm_id: &str) -> Vec<Value> {
    let created = s.emulator.events();
    let ids: Vec<String> = created
        .iter()
        .filter(|e| e["detail-type"] == json!("Opportunity Created"))
        .map(|e| {
            e["detail"]["opportunity"]["identifier"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let state = s.emulator.state();
    ids.into_iter()
        .filter_map(|id| state.opportunity("Sandbox", &id))
        .filter(|o| o["PartnerOpportunityIdentifier"] == json!(crm_id))
        .collect()
}

/// crm-outbound's push of change `c` on the stack `s`, on the suite's clock.
async fn push(s: &PcStack, c: &OpportunityChanged) -> Pushed {
    push_opportunity(
        &s.pc,
        &s.ledger,
        &s.crm,
        Catalog::Sandbox,
        c,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn create_associate_submit_retried_midway_yields_exactly_one_opportunity() {
    let s = outbound_stack().await;
    let crm_opp = crm_opportunity("Shared once");
    s.in_crm("OP-42", &crm_opp).await;
    let mut c = opportunity_change("OP-42", crm_opp);
    c.submit = Some(Submission {
        involvement_type: "Co-Sell".into(),
        visibility: Some("Full".into()),
    });

    // A first invocation created the opportunity, then died before recording anything.
    let mut sent: acebridge_mapping::Opportunity =
        serde_json::from_value(c.opportunity.clone()).unwrap();
    sent.crm_id =
        acebridge_mapping::Field::Value(acebridge_mapping::CrmId::parse("OP-42").unwrap());
    let first =
        s.pc.create(Catalog::Sandbox, &create_token("OP-42"), &sent)
            .await
            .unwrap()
            .unwrap();
    // Lambda retries it: same token, same body → the same opportunity, then associate and submit.
    let retried = push(&s, &c).await;
    assert_eq!(
        retried,
        Pushed::Created {
            id: first.id.clone(),
            submitted: true,
            errors: vec![]
        }
    );
    // And once more (a duplicate event): the ledger knows the id; nothing is created.
    let again = push(&s, &c).await;
    assert!(
        matches!(again, Pushed::Unchanged { .. } | Pushed::Held { .. }),
        "{again:?}"
    );

    let found = opportunities(&s, "OP-42");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["LifeCycle"]["ReviewStatus"], json!("Submitted"));
    assert_eq!(
        found[0]["RelatedEntityIdentifiers"]["Solutions"],
        json!(["S-1234567"])
    );
    let rec = s
        .crm
        .get(RecordKind::Opportunity, "OP-42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rec.ace_id.as_deref(), Some(first.id.as_str()));
}

#[tokio::test]
async fn an_update_racing_an_aws_side_update_ends_with_both_changes_applied() {
    let s = outbound_stack().await;
    let crm_opp = crm_opportunity("Race");
    let c = opportunity_change("OP-7", crm_opp.clone());
    let Pushed::Created { id, .. } = push(&s, &c).await else {
        panic!()
    };
    // The CRM moves the stage; AWS edits the next steps right after acebridge read the record.
    let mut moved = crm_opp.clone();
    moved["life_cycle"]["stage"] = json!("Technical Validation");
    s.emulator.state().race = Some((
        "Sandbox".into(),
        id.clone(),
        json!({ "LifeCycle": { "NextSteps": "AWS: schedule the architecture review" } }),
    ));
    let pushed = push(&s, &opportunity_change("OP-7", moved)).await;
    assert!(matches!(pushed, Pushed::Updated { .. }), "{pushed:?}");
    let o = s.emulator.state().opportunity("Sandbox", &id).unwrap();
    assert_eq!(o["LifeCycle"]["Stage"], json!("Technical Validation"));
    assert_eq!(
        o["LifeCycle"]["NextSteps"],
        json!("AWS: schedule the architecture review")
    );
    assert!(
        s.emulator.state().stats.calls["UpdateOpportunity"] >= 2,
        "the first write hit the conflict"
    );
}

#[tokio::test]
async fn an_update_during_review_is_held_and_applied_after_approval() {
    let mut s = outbound_stack().await;
    let crm_opp = crm_opportunity("Review");
    s.in_crm("OP-9", &crm_opp).await;
    let mut c = opportunity_change("OP-9", crm_opp.clone());
    c.submit = Some(Submission {
        involvement_type: "Co-Sell".into(),
        visibility: None,
    });
    let Pushed::Created {
        id,
        submitted: true,
        ..
    } = push(&s, &c).await
    else {
        panic!()
    };
    let mut moved = crm_opp.clone();
    moved["life_cycle"]["stage"] = json!("Business Validation");
    let pushed = push(&s, &opportunity_change("OP-9", moved)).await;
    let Pushed::Held { reason, .. } = pushed else {
        panic!("{pushed:?}")
    };
    assert!(reason.contains("Submitted"), "{reason}");
    let rec = s
        .crm
        .get(RecordKind::Opportunity, "OP-9")
        .await
        .unwrap()
        .unwrap();
    assert!(
        rec.aws_sync.unwrap().errors[0].contains("held"),
        "the CRM is told why it waits"
    );
    assert_eq!(
        s.emulator.state().opportunity("Sandbox", &id).unwrap()["LifeCycle"]["Stage"],
        json!("Prospect")
    );

    // AWS approves; its Opportunity Updated reaches the events function, which releases the held change.
    s.skip_events();
    s.emulator
        .state()
        .aws_update(
            "Sandbox",
            &id,
            &json!({ "LifeCycle": { "ReviewStatus": "Approved" } }),
        )
        .unwrap();
    let out = s.deliver().await;
    assert_eq!(out[0]["released"]["outcome"], json!("updated"), "{out:?}");
    assert_eq!(
        s.emulator.state().opportunity("Sandbox", &id).unwrap()["LifeCycle"]["Stage"],
        json!("Business Validation")
    );
    let rec = s
        .crm
        .get(RecordKind::Opportunity, "OP-9")
        .await
        .unwrap()
        .unwrap();
    assert!(rec.aws_sync.unwrap().success);
}

#[tokio::test]
async fn a_burst_of_20_changes_is_sent_within_the_write_quota_with_none_lost() {
    let s = outbound_stack().await;
    // 20 opportunities shared earlier: in Partner Central, and in the ledger under their CRM ids.
    let mut ids = Vec::new();
    for i in 0..20 {
        let id = format!("O66{i:05}");
        let mut o = api_opportunity(&format!("Burst {i}"));
        o["Id"] = json!(id);
        o["PartnerOpportunityIdentifier"] = json!(format!("OP-B{i:02}"));
        s.seed(vec![o]);
        let target = acebridge_sync::ports::ledger::ResultTarget {
            kind: RecordKind::Opportunity,
            catalog: Catalog::Sandbox,
            ace_id: Some(&id),
            crm_id: Some(&format!("OP-B{i:02}")),
        };
        let shared = acebridge_sync::ports::ledger::AwsResult {
            success: true,
            errors: vec![],
            source: "test".into(),
            at: acebridge_clock::TestClock::suite().now(),
        };
        acebridge_sync::ports::ledger::attach_result(
            &s.ledger,
            target,
            shared,
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .unwrap();
        ids.push(id);
    }
    s.emulator.enforce_quotas(true);
    let changes: Vec<OpportunityChanged> = (0..20)
        .map(|i| {
            let mut o = crm_opportunity(&format!("Burst {i}"));
            o["life_cycle"]["stage"] = json!("Committed");
            OpportunityChanged {
                solutions: vec![],
                ..opportunity_change(&format!("OP-B{i:02}"), o)
            }
        })
        .collect();
    let clock = s.clock.clock();
    let results = futures_util::future::join_all(
        changes
            .iter()
            .map(|c| push_opportunity(&s.pc, &s.ledger, &s.crm, Catalog::Sandbox, c, &clock)),
    )
    .await;
    for r in &results {
        assert!(matches!(r, Ok(Pushed::Updated { .. })), "{r:?}");
    }
    for id in &ids {
        assert_eq!(
            s.emulator.state().opportunity("Sandbox", id).unwrap()["LifeCycle"]["Stage"],
            json!("Committed")
        );
    }
    let stats = s.emulator.state().stats.clone();
    println!(
        "burst of 20: {} throttled by the emulator, 0 unrecovered",
        stats.throttled
    );
}

#[tokio::test]
async fn referral_decisions_from_the_crm_accept_or_reject_before_expiry() {
    let s = outbound_stack().await;
    let a = s.invite(&referral("Accept from CRM", "US", "100"));
    let r = s.invite(&referral("Reject from CRM", "US", "100"));
    let decide = |id: &str, d: &str, reason: Option<&str>| {
        let decision = ReferralDecision {
            invitation_id: id.to_string(),
            opportunity_id: None,
            decision: d.to_string(),
            reason: reason.map(str::to_string),
        };
        let (pc, ledger, crm) = (&s.pc, &s.ledger, &s.crm);
        async move {
            decide_referral(
                pc,
                ledger,
                crm,
                Catalog::Sandbox,
                &decision,
                &acebridge_clock::TestClock::suite().clock(),
            )
            .await
            .unwrap()
        }
    };
    assert!(
        decide(&a, "accept", None)
            .await
            .unwrap()
            .starts_with("accepted")
    );
    let bad = decide(&r, "reject", Some(&"x".repeat(81))).await;
    assert!(bad.unwrap_err().contains("rejection reason"));
    assert_eq!(
        decide(&r, "reject", Some("Other")).await.unwrap(),
        "rejected: Other"
    );
    let late = decide(&a, "reject", Some("Other")).await;
    assert!(late.unwrap_err().contains("already ACCEPTED"));
}

#[tokio::test]
async fn over_s3_120_changed_opportunities_become_3_valid_inbound_files_with_the_owner_acl() {
    use acebridge_sync::ports::store::{ObjectStore, list_all};
    let s = common::stack().await;
    let ace = acebridge_sync::adapters::s3::S3Bucket::new(s.ace.client().clone(), s.ace.bucket())
        .with_owner_full_control();
    let changes: Vec<OpportunityChanged> = (0..120)
        .map(|i| {
            opportunity_change(
                &format!("OP-S{i:03}"),
                crm_opportunity(&format!("Over S3 {i}")),
            )
        })
        .collect();
    let decision = ReferralDecision {
        invitation_id: String::new(),
        opportunity_id: Some("O5550001".into()),
        decision: "reject".into(),
        reason: Some("Customer problem unclear".into()),
    };
    let partner = acebridge_mapping::PartnerId::parse("1588143").unwrap();
    let up = acebridge_sync::s3_exchange::outbound_s3::upload(
        &ace,
        &s.ledger,
        &partner,
        Catalog::Sandbox,
        &changes,
        &[("O5550001".into(), decision)],
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    assert_eq!((up.files.len(), up.records), (3, 121));
    assert!(up.not_sent.is_empty());
    let keys: Vec<String> = list_all(&ace, "opportunity-inbound/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), 3);
    let mut seen = 0;
    for key in &keys {
        assert!(
            key.starts_with("opportunity-inbound/acebridge") && key.ends_with(".json"),
            "{key}"
        );
        let o = ace.get(key).await.unwrap().unwrap();
        assert!(o.body.len() <= 1_000_000);
        let acebridge_mapping::ace::AceFile::Opportunities(f) =
            acebridge_mapping::ace::parse(&o.body).unwrap()
        else {
            panic!("{key}")
        };
        assert!(f.records.len() <= 50);
        assert_eq!(f.version.as_value().map(String::as_str), Some("2.0"));
        assert_eq!(f.spms_id.as_value().map(String::as_str), Some("1588143"));
        seen += f.records.len();
        let acl =
            s.s3.get_object_acl()
                .bucket(ace.bucket())
                .key(key)
                .send()
                .await
                .unwrap();
        assert!(
            acl.grants()
                .iter()
                .any(|g| g.permission().map(|p| p.as_str()) == Some("FULL_CONTROL"))
        );
    }
    assert_eq!(seen, 121);
    // The decision is the minimal accept/reject record AWS documents.
    let all: Vec<Value> = {
        let mut v = Vec::new();
        for key in &keys {
            let body: Value =
                serde_json::from_slice(&ace.get(key).await.unwrap().unwrap().body).unwrap();
            v.extend(body["opportunities"].as_array().unwrap().clone());
        }
        v
    };
    let d = all
        .iter()
        .find(|r| r["apnCrmUniqueIdentifier"] == json!("O5550001"))
        .unwrap();
    assert_eq!(d["partnerAcceptanceStatus"], json!("Rejected"));
    assert_eq!(d["rejectionReason"], json!("Customer problem unclear"));
    let created = all
        .iter()
        .find(|r| r["partnerCrmUniqueIdentifier"] == json!("OP-S007"))
        .unwrap();
    assert_eq!(created["partnerProjectTitle"], json!("Over S3 7"));
    assert!(
        created
            .get("apnCrmUniqueIdentifier")
            .is_none_or(Value::is_null)
    );
}

#[tokio::test]
async fn the_queue_handler_sends_each_crm_event_and_keeps_unreadable_ones_for_the_dead_letter_queue()
 {
    use acebridge_sync::crm_side::crm_queue::handle_batch;
    let s = outbound_stack().await;
    let mut changed = common::crm_opportunity_changed(
        "1",
        "2026-11-22T10:00:00Z",
        "OP-Q1",
        crm_opportunity("Queued"),
    );
    changed["detail"]["solutions"] = json!(["S-1234567"]);
    let mut broken = changed.clone();
    broken["detail"]["opportunity"] = json!("not an object");
    broken["detail"]["crmId"] = json!(7);
    let messages = vec![
        ("m1".to_string(), changed.to_string()),
        ("m2".to_string(), broken.to_string()),
        ("m3".to_string(), "{}".to_string()),
    ];
    let cx = s.outbound_cx();
    let out = handle_batch(&cx, &messages).await;
    assert_eq!(out.retry, vec!["m2", "m3"]);
    assert_eq!(out.results[0].1["outcome"], json!("created"));
    assert!(
        out.results[1].1["error"]
            .as_str()
            .unwrap()
            .contains("detail.crmId"),
        "{:?}",
        out.results[1]
    );
    assert_eq!(opportunities(&s, "OP-Q1").len(), 1);
    let published = s.published().await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["detail-type"], json!("ACE Sync Succeeded"));
    assert_eq!(published[0]["detail"]["crmId"], json!("OP-Q1"));
    assert_eq!(published[0]["detail"]["operation"], json!("created"));
}

#[tokio::test]
async fn ten_quick_edits_of_each_record_become_one_write_each_and_no_edit_is_lost() {
    use acebridge_sync::crm_side::crm_queue::handle_batch;
    let s = outbound_stack().await;
    // 10 opportunities AWS already has (shared earlier), each edited ten times in a burst; the bursts
    // interleave and reach the queue out of order. Every edit names only what it changed.
    let mut messages = Vec::new();
    for i in 0..10 {
        let crm_id = format!("OP-C{i}");
        let opp = crm_opportunity(&format!("Record {i}"));
        s.in_crm(&crm_id, &opp).await;
        push(&s, &opportunity_change(&crm_id, opp)).await;
    }
    let writes = |s: &PcStack| s.calls_of(&["UpdateOpportunity", "CreateOpportunity"]);
    let before = writes(&s);
    for edit in 0..10 {
        for i in 0..10 {
            // Even edits change the title, odd ones the next steps; the last of each wins.
            let opportunity = if edit % 2 == 0 {
                json!({"project": {"title": format!("Record {i} v{edit}")}})
            } else {
                json!({"life_cycle": {"next_steps": format!("Step {edit} of record {i}")}})
            };
            let body = common::crm_opportunity_changed(
                &format!("e{i}-{edit}"),
                &format!("2026-11-30T10:00:{:02}Z", edit * 2),
                &format!("OP-C{i}"),
                opportunity,
            );
            messages.push((format!("m{i}-{edit}"), body.to_string()));
        }
    }
    messages.reverse(); // SQS keeps no order; the bus's time does.
    let cx = s.outbound_cx();
    let out = handle_batch(&cx, &messages).await;
    assert!(out.retry.is_empty(), "{:?}", out.results);
    assert_eq!(out.results.len(), 100);
    assert_eq!(writes(&s) - before, 10, "one write per record");
    for i in 0..10 {
        let aws = &opportunities(&s, &format!("OP-C{i}"))[0];
        assert_eq!(aws["Project"]["Title"], json!(format!("Record {i} v8")));
        assert_eq!(
            aws["LifeCycle"]["NextSteps"],
            json!(format!("Step 9 of record {i}"))
        );
    }
}

#[tokio::test]
async fn a_change_delivered_after_a_newer_one_does_not_put_the_older_values_back() {
    use acebridge_sync::crm_side::crm_queue::handle_batch;
    let s = outbound_stack().await;
    let opp = crm_opportunity("Record");
    s.in_crm("OP-LATE", &opp).await;
    push(&s, &opportunity_change("OP-LATE", opp)).await;
    // The seller renames the record twice. The first change also sets the next steps; its message
    // failed once, so SQS brings it back after the second change was written.
    let older = common::crm_opportunity_changed(
        "e1",
        "2026-11-30T10:00:10Z",
        "OP-LATE",
        json!({"project": {"title": "Renamed once"}, "life_cycle": {"next_steps": "Call the CFO"}}),
    );
    let newer = common::crm_opportunity_changed(
        "e2",
        "2026-11-30T10:00:20Z",
        "OP-LATE",
        json!({"project": {"title": "Renamed twice"}}),
    );
    let cx = s.outbound_cx();
    let before = writes(&s);
    for (n, event) in [&newer, &older, &older].into_iter().enumerate() {
        let out = handle_batch(&cx, &[(format!("m{n}"), event.to_string())]).await;
        assert!(out.retry.is_empty(), "{:?}", out.results);
    }
    let aws = &opportunities(&s, "OP-LATE")[0];
    assert_eq!(
        aws["Project"]["Title"],
        json!("Renamed twice"),
        "the older title came back"
    );
    assert_eq!(
        aws["LifeCycle"]["NextSteps"],
        json!("Call the CFO"),
        "an edit was lost"
    );
    // The newer change, then the older one's next steps; its second delivery has nothing left to send.
    assert_eq!(writes(&s) - before, 2);
}

#[tokio::test]
async fn a_refused_create_comes_back_to_the_crm_record_field_by_field() {
    let s = outbound_stack().await;
    let mut incomplete = crm_opportunity("placeholder");
    incomplete["project"]["title"] = Value::Null;
    incomplete["customer"]["company_name"] = Value::Null;
    s.in_crm("OP-BAD", &crm_opportunity("In the CRM")).await;
    let pushed = push(&s, &opportunity_change("OP-BAD", incomplete)).await;
    let Pushed::Refused { errors } = pushed else {
        panic!("{pushed:?}")
    };
    assert_eq!(errors.len(), 2, "{errors:?}");
    let rec = s
        .crm
        .get(RecordKind::Opportunity, "OP-BAD")
        .await
        .unwrap()
        .unwrap();
    let shown = rec.aws_sync.unwrap();
    assert!(!shown.success);
    assert!(
        shown.errors.iter().any(|e| e.starts_with("Project.Title:")),
        "{:?}",
        shown.errors
    );
    assert!(
        shown
            .errors
            .iter()
            .any(|e| e.starts_with("Customer.Account.CompanyName:")),
        "{:?}",
        shown.errors
    );
    assert!(opportunities(&s, "OP-BAD").is_empty());
}

#[tokio::test]
async fn two_functions_writing_at_once_share_one_write_per_second_through_the_ledger_table() {
    use acebridge_sync::adapters::dynamodb::SharedRate;
    use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
    let s = outbound_stack().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let id = format!("O67{i:05}");
        let mut o = api_opportunity(&format!("Shared {i}"));
        o["Id"] = json!(id);
        s.seed(vec![o]);
        ids.push(id);
    }
    s.emulator.enforce_quotas(true);
    // Two "Lambda containers" (the events function and crm-outbound), each with its own process
    // limiter, and one gate in the ledger table.
    let sdk = acebridge_sync::local::sdk_config("us-east-1").await;
    let gate = || {
        SharedRate::new(
            aws_sdk_dynamodb::Client::new(&sdk),
            s.ledger_table(),
            "pc-writes",
            1,
            acebridge_clock::TestClock::suite().clock(),
        )
    };
    // Two writers with their own process limiters (two crm-outbound instances, or crm-outbound and the
    // events function: the gate does not care who), each signing under crm-outbound's role, which is the
    // one that may associate.
    let outbound = common::signing_as(&sdk, "crm-outbound");
    let a = SdkPartnerCentral::new(&outbound, Some(&s.emulator.url())).with_shared_writes(gate());
    let b = SdkPartnerCentral::new(&outbound, Some(&s.emulator.url())).with_shared_writes(gate());
    let read = |pc: &SdkPartnerCentral, id: &str| {
        let (client, id) = (pc.client().clone(), id.to_string());
        async move {
            client
                .get_opportunity()
                .catalog("Sandbox")
                .identifier(&id)
                .send()
                .await
                .unwrap()
        }
    };
    // Reads and writes through the adapters; a and b interleave.
    let work = ids.iter().enumerate().map(|(i, id)| {
        let pc = if i % 2 == 0 { &a } else { &b };
        async move {
            read(pc, id).await;
            pc.associate(Catalog::Sandbox, id, "AwsProducts", "AmazonS3")
                .await
                .unwrap()
                .unwrap();
        }
    });
    futures_util::future::join_all(work).await;
    // Without the shared gate the two limiters together run at 2 writes/s: 20 throttled calls (measured
    // by taking `with_shared_writes` out). With it, a write delayed after its claim holds the next one back
    // (the slot is a lease; `a_late_write_never_brings_the_next_one_under_the_quota` requires 0 of 160).
    // What the lease cannot see is the request's own way to the server after it left: with every test of
    // this binary running at once on 2 cores, one arrival can be more than the 5% margin late; it is tried
    // again in the next slot (every association above succeeded). At most one is tolerated here. (When the
    // SDK retried it on its own, outside the gate, the retry could land in the next writer's second: up to
    // 6 throttled were seen.)
    let throttled = s.emulator.state().stats.throttled;
    assert!(
        throttled <= 1,
        "{throttled} writes throttled: the shared gate did not keep the two functions at 1 write/s"
    );
    assert_eq!(s.emulator.state().stats.calls["AssociateOpportunity"], 6);
}

#[tokio::test]
async fn a_late_write_never_brings_the_next_one_under_the_quota() {
    use acebridge_sync::adapters::dynamodb::SharedRate;
    use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
    let s = outbound_stack().await;
    // Scaled ten times (10 writes/s at the emulator and at the gate) so that 160 writes take seconds.
    s.emulator.enforce_scaled_quotas(100, 10);
    let sdk = acebridge_sync::local::sdk_config("us-east-1").await;
    let outbound = common::signing_as(&sdk, "crm-outbound");
    let client = SdkPartnerCentral::new(&outbound, Some(&s.emulator.url()))
        .client()
        .clone();
    let table = s.ledger_table();
    // 8 writers (8 containers, each with its own gate client), 20 rounds. Each writer is held up after
    // its claim for a different 0–60 ms, as a paused container or a loaded core holds a write up; the
    // writer after it must keep its distance from when the write really left, not from its slot.
    for round in 0..20u64 {
        let writes = (0..8u64).map(|w| {
            let (client, sdk, table) = (client.clone(), sdk.clone(), table.clone());
            async move {
                let gate = SharedRate::new(
                    aws_sdk_dynamodb::Client::new(&sdk),
                    table,
                    "lease",
                    10,
                    acebridge_clock::TestClock::suite().clock(),
                );
                let slot = gate.claim().await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis((round * 8 + w) * 37 % 61))
                    .await;
                slot.depart().await.unwrap();
                // A write the emulator counts against the quota (no such invitation: not found).
                let answer = client
                    .reject_engagement_invitation()
                    .catalog("Sandbox")
                    .identifier("engi-0000000000000")
                    .send()
                    .await;
                assert!(answer.is_err());
            }
        });
        futures_util::future::join_all(writes).await;
    }
    let stats = s.emulator.state().stats.clone();
    assert_eq!(
        stats.throttled, 0,
        "writes throttled: a write left less than the interval after a late one"
    );
    assert_eq!(stats.calls["RejectEngagementInvitation"], 160);
}

/// A CRM change that creates and submits, with the emulator's tasks taking 400 ms and the given
/// failures planned: what push_opportunity did, and the CRM record's AWS result.
async fn submit_with_tasks(
    crm_id: &str,
    failures: &[(&str, &str)],
) -> (PcStack, Pushed, acebridge_sync::ports::ledger::AwsResult) {
    let s = outbound_stack().await;
    s.slow_tasks(failures);
    let crm_opp = crm_opportunity(crm_id);
    s.in_crm(crm_id, &crm_opp).await;
    let mut c = opportunity_change(crm_id, crm_opp);
    c.submit = Some(Submission {
        involvement_type: "Co-Sell".into(),
        visibility: Some("Full".into()),
    });
    let pushed = push(&s, &c).await;
    let rec = s
        .crm
        .get(RecordKind::Opportunity, crm_id)
        .await
        .unwrap()
        .unwrap();
    (s, pushed, rec.aws_sync.unwrap())
}

#[tokio::test]
async fn a_submission_in_progress_is_followed_to_complete_before_the_crm_is_told() {
    let (s, pushed, aws) = submit_with_tasks("OP-T1", &[]).await;
    assert!(aws.success, "{aws:?}");
    let Pushed::Created { id, submitted, .. } = pushed else {
        panic!("{pushed:?}")
    };
    assert!(submitted);
    assert_eq!(
        opportunities(&s, "OP-T1")[0]["LifeCycle"]["ReviewStatus"],
        json!("Submitted")
    );
    let calls = s.emulator.state().stats.calls.clone();
    assert!(
        calls["ListEngagementFromOpportunityTasks"] >= 1,
        "{calls:?} {id}"
    );
}

#[tokio::test]
async fn a_failed_submission_reaches_the_crm_record_with_aws_reason() {
    let (s, pushed, aws) = submit_with_tasks(
        "OP-T2",
        &[(
            "OpportunityValidationFailed",
            "Customer.Account.Duns is not valid",
        )],
    )
    .await;
    assert!(
        matches!(
            pushed,
            Pushed::Created {
                submitted: false,
                ..
            }
        ),
        "{pushed:?}"
    );
    assert!(!aws.success);
    assert!(
        aws.errors[0].contains("OpportunityValidationFailed")
            && aws.errors[0].contains("Duns is not valid"),
        "{:?}",
        aws.errors
    );
    assert_eq!(
        opportunities(&s, "OP-T2")[0]["LifeCycle"]["ReviewStatus"],
        json!("Pending Submission")
    );
}

/// The 2025–26 members go out on create (the emulator checks the CreateOpportunity request against AWS's
/// model) and AssociateOpportunity carries a Marketplace offer set; AWS's AI insights, co-sell motion and
/// partition come back to the CRM record from GetAwsOpportunitySummary.
#[tokio::test]
async fn the_2025_26_members_go_out_on_create_and_aws_insights_come_back_to_the_crm() {
    let s = outbound_stack().await;
    let offer_set =
        "arn:aws:aws-marketplace:us-east-1:999999999999:AWSMarketplace/OfferSet/offerset-abc";
    let mut opp = crm_opportunity("Sovereign data platform");
    opp["project"]["expected_contract_duration_months"] = json!(36);
    opp["project"]["aws_partition"] = json!("aws-eusc");
    opp["tags"] = json!([{ "key": "Source", "value": "acebridge" }]);
    s.in_crm("OP-2026", &opp).await;
    let mut c = opportunity_change("OP-2026", opp);
    c.marketplace.aws_marketplace_offer_sets = vec![offer_set.to_string()];
    push(&s, &c).await;
    let stored = opportunities(&s, "OP-2026");
    assert_eq!(stored.len(), 1, "{stored:?}");
    let o = &stored[0];
    assert_eq!(
        o["Project"]["ExpectedContractDuration"],
        json!({ "Term": "Months", "Value": "36" })
    );
    assert_eq!(o["Project"]["AwsPartition"], json!("aws-eusc"));
    assert_eq!(
        o["RelatedEntityIdentifiers"]["AwsMarketplaceOfferSets"],
        json!([offer_set])
    );
    let id = o["Id"].as_str().unwrap().to_string();
    assert_eq!(s.emulator.model_violations(), 0);

    // A contract of 145 months is refused before a write is spent, with the model's code.
    let mut too_long = crm_opportunity("Too long a contract");
    too_long["project"]["expected_contract_duration_months"] = json!(145);
    s.in_crm("OP-2027", &too_long).await;
    let creates = s
        .emulator
        .state()
        .stats
        .calls
        .get("CreateOpportunity")
        .copied();
    let refused = push(&s, &opportunity_change("OP-2027", too_long)).await;
    assert!(
        format!("{refused:?}").contains("VALUE_OUT_OF_RANGE"),
        "{refused:?}"
    );
    assert_eq!(
        s.emulator
            .state()
            .stats
            .calls
            .get("CreateOpportunity")
            .copied(),
        creates
    );

    // AWS approves it, and its side has quality, recommendations, co-sell motion, partition (acebridge
    // reads AWS's summary once an opportunity is past Pending Submission).
    s.emulator
        .state()
        .aws_update(
            "Sandbox",
            &id,
            &json!({ "LifeCycle": { "ReviewStatus": "Approved" } }),
        )
        .unwrap();
    s.emulator
        .state()
        .aws_summary_update(
            "Sandbox",
            &id,
            &json!({ "CosellMotion": "Partner-led", "Project": { "AwsPartition": "aws-eusc" },
                "Insights": { "OpportunityQuality": { "Score": 82, "Trend": "Improving" },
                    "Recommendations": [{ "Type": "OpportunityQuality", "Details": "Add the expected spend" }] } }),
        )
        .unwrap();
    acebridge_sync::partner_central::sync_opportunity(
        &s.pc,
        &s.ledger,
        &s.crm,
        Catalog::Sandbox,
        &id,
        "test",
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    let rec = s.record(RecordKind::Opportunity, &id).await;
    let r = &rec.record;
    assert_eq!(r["project"]["expected_contract_duration_months"], json!(36));
    assert_eq!(r["project"]["aws_partition"], json!("aws-eusc"));
    assert_eq!(r["aws"]["quality_score"], json!(82));
    assert_eq!(r["aws"]["quality_trend"], json!("Improving"));
    assert_eq!(r["aws"]["cosell_motion"], json!("Partner-led"));
    assert_eq!(r["aws"]["aws_partition"], json!("aws-eusc"));
    assert_eq!(
        r["aws"]["recommendations"][0]["details"],
        json!("Add the expected spend")
    );
    assert_eq!(r["marketplace_offer_sets"], json!([offer_set]));
    assert_eq!(s.emulator.model_violations(), 0);
}

/// Records AWS already has (shared earlier), each in the CRM.
async fn known_to_aws(s: &PcStack, crm_ids: &[&str]) {
    for crm_id in crm_ids {
        let opp = crm_opportunity(&format!("Record {crm_id}"));
        s.in_crm(crm_id, &opp).await;
        push(s, &opportunity_change(crm_id, opp)).await;
    }
}

/// The UpdateOpportunity calls Partner Central (the emulator) has received so far.
fn writes(s: &PcStack) -> u64 {
    s.calls_of(&["UpdateOpportunity"])
}

/// The ids of the messages a batch handed back to the queue.
fn handed_back(response: &aws_lambda_events::sqs::SqsBatchResponse) -> Vec<String> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

/// The start of a hold test: the stack, its records known to AWS, the CRM changes queue.
async fn records_and_their_queue(crm_ids: &[&str]) -> (PcStack, ChangesQueue) {
    let s = outbound_stack().await;
    known_to_aws(&s, crm_ids).await;
    let q = ChangesQueue::new(&s).await;
    (s, q)
}

/// The CRM changes queue on moto, named as CloudFormation names the template's: crm-outbound reaches it
/// under its own role (`gate`, the IAM gate), Lambda's event source and the CRM with the test's
/// credentials.
struct ChangesQueue {
    sqs: aws_sdk_sqs::Client,
    url: String,
    gate: acebridge_pc_emulator::iam_gate::Gate,
    queue: acebridge_sync::adapters::sqs::WorkQueue,
}

impl ChangesQueue {
    async fn new(s: &PcStack) -> Self {
        let sqs = aws_sdk_sqs::Client::new(&s.sdk);
        let url = sqs
            .create_queue()
            .queue_name(common::unique("pc-CrmChangesQueue"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let (gate, gated) = common::through_gate(
            &s.sdk,
            "crm-outbound",
            &common::role_policies("crm-outbound"),
        )
        .await;
        let queue = acebridge_sync::adapters::sqs::WorkQueue::new(
            aws_sdk_sqs::Client::new(&gated),
            url.clone(),
        );
        ChangesQueue {
            sqs,
            url,
            gate,
            queue,
        }
    }

    /// A `CRM Opportunity Changed` put on the bus at `at`, as the rule queues it: its message id.
    async fn send(
        &self,
        crm_id: &str,
        opportunity: Value,
        at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        let body = common::crm_opportunity_changed(
            &common::unique("ev"),
            &at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            crm_id,
            opportunity,
        );
        self.sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body.to_string())
            .send()
            .await
            .unwrap()
            .message_id
            .unwrap()
    }

    /// What Lambda's SQS event source would hand crm-outbound: `want` messages (no more, fewer if they do
    /// not come within 15 s), with their receive counts.
    async fn received(&self, want: usize) -> aws_lambda_events::sqs::SqsEvent {
        use aws_sdk_sqs::types::MessageSystemAttributeName;
        let mut event = aws_lambda_events::sqs::SqsEvent::default();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while event.records.len() < want && std::time::Instant::now() < until {
            let got = self
                .sqs
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(i32::try_from(want - event.records.len()).unwrap().min(10))
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
                .send()
                .await
                .unwrap();
            for m in got.messages.unwrap_or_default() {
                let mut r = aws_lambda_events::sqs::SqsMessage::default();
                r.message_id = m.message_id;
                r.receipt_handle = m.receipt_handle;
                r.body = m.body;
                for (k, v) in m.attributes.unwrap_or_default() {
                    r.attributes.insert(k.as_str().to_string(), v);
                }
                event.records.push(r);
            }
        }
        event
    }
}

/// crm-outbound handles `batch`: nothing fails or is held, one UpdateOpportunity more than `before`
/// goes out, AWS ends with the record's `(title, next steps)`, and IAM refused nothing.
async fn in_one_write(
    s: &PcStack,
    q: &ChangesQueue,
    batch: aws_lambda_events::sqs::SqsEvent,
    settle: i32,
    before: u64,
    crm_id: &str,
    (title, steps): (&str, &str),
) {
    let response = acebridge_sync::crm_side::crm_queue::handle_sqs_event(
        &s.outbound_cx(),
        batch,
        Some(&q.queue),
        settle,
    )
    .await;
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    assert_eq!(writes(s) - before, 1, "one write for all the changes");
    let aws = &opportunities(s, crm_id)[0];
    assert_eq!(aws["Project"]["Title"], json!(title));
    assert_eq!(aws["LifeCycle"]["NextSteps"], json!(steps));
    assert!(refused(&q.gate).is_empty(), "{:?}", refused(&q.gate));
    assert!(refused(&s.gate).is_empty(), "{:?}", refused(&s.gate));
}

#[tokio::test]
async fn a_record_still_being_edited_is_held_at_most_holds_times_and_written_with_the_rest_of_its_burst()
 {
    use acebridge_sync::crm_side::crm_queue::{HOLDS, handle_sqs_event};
    let (s, q) = records_and_their_queue(&["OP-H1", "OP-H2"]).await;
    let send = |crm_id, opportunity, at| q.send(crm_id, opportunity, at);
    const SETTLE: i32 = 4;
    let now = acebridge_clock::TestClock::suite().now();
    // OP-H1 was just edited (its seller is still at it); OP-H2 two minutes ago. The hold is 4 s: long
    // enough that OP-H1 is still young when the batch is handled on a loaded machine.
    let first = send("OP-H1", json!({"project": {"title": "Held v1"}}), now).await;
    send(
        "OP-H2",
        json!({"project": {"title": "Quiet v1"}}),
        now - chrono::Duration::seconds(120),
    )
    .await;
    let cx = s.outbound_cx();
    let before = writes(&s);
    let response = handle_sqs_event(&cx, q.received(2).await, Some(&q.queue), SETTLE).await;
    let failed = handed_back(&response);
    assert_eq!(
        failed,
        std::slice::from_ref(&first),
        "OP-H1 held, OP-H2 written"
    );
    assert_eq!(writes(&s) - before, 1);

    // The seller goes on: once the held changes are back (after their 4 s, not the queue's timeout), the
    // next edit comes, young again: all are held again, until the first change has been held HOLDS
    // times; then they all go out in one write.
    let receive_counts = |event: &aws_lambda_events::sqs::SqsEvent| {
        let mut counts: Vec<u32> = event
            .records
            .iter()
            .map(|m| m.attributes["ApproximateReceiveCount"].parse().unwrap())
            .collect();
        counts.sort();
        counts
    };
    let back = std::time::Duration::from_secs(SETTLE as u64);
    let edits = HOLDS + 1;
    for k in 2..=edits {
        tokio::time::sleep(back).await;
        let edit = if k % 2 == 1 {
            json!({"project": {"title": format!("Held v{k}")}})
        } else {
            json!({"life_cycle": {"next_steps": format!("Held v{k}")}})
        };
        send("OP-H1", edit, acebridge_clock::TestClock::suite().now()).await;
        let batch = q.received(k as usize).await;
        assert_eq!(receive_counts(&batch), (1..=k).collect::<Vec<_>>());
        let response = handle_sqs_event(&cx, batch, Some(&q.queue), SETTLE).await;
        if k <= HOLDS {
            assert_eq!(
                response.batch_item_failures.len(),
                k as usize,
                "held again ({k})"
            );
            assert_eq!(writes(&s) - before, 1);
        } else {
            assert!(
                response.batch_item_failures.is_empty(),
                "held at most {HOLDS} times: {:?}",
                response.batch_item_failures
            );
        }
    }
    assert_eq!(writes(&s) - before, 2, "one write for OP-H1's edits");
    let last = |odd: u32| (1..=edits).filter(|k| k % 2 == odd).max().unwrap();
    let aws = &opportunities(&s, "OP-H1")[0];
    assert_eq!(aws["Project"]["Title"], json!(format!("Held v{}", last(1))));
    assert_eq!(
        aws["LifeCycle"]["NextSteps"],
        json!(format!("Held v{}", last(0)))
    );
    assert!(refused(&q.gate).is_empty(), "{:?}", refused(&q.gate));
    let actions: Vec<String> = q.gate.calls().into_iter().map(|c| c.action).collect();
    assert!(
        actions.contains(&"sqs:ChangeMessageVisibility".to_string()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_change_arriving_while_its_record_is_held_joins_the_hold_and_goes_out_in_the_same_write()
{
    use acebridge_sync::crm_side::crm_queue::handle_sqs_event;
    let crm_id = "OP-J1";
    let (s, q) = records_and_their_queue(&[crm_id]).await;
    let send = |opportunity, at| q.send(crm_id, opportunity, at);
    const SETTLE: i32 = 6;
    let cx = s.outbound_cx();
    let before = writes(&s);
    // A fresh edit: the record is held for 6 s.
    let first = send(
        json!({"project": {"title": "Joined v1"}}),
        acebridge_clock::TestClock::suite().now(),
    )
    .await;
    let response = handle_sqs_event(&cx, q.received(1).await, Some(&q.queue), SETTLE).await;
    assert_eq!(response.batch_item_failures.len(), 1, "held");
    // Another change of the record comes while the first is away, in a batch of its own. It is not young
    // (SQS delivered it late), so on its own it would go out now, and the first change in a second
    // write later. It joins the record's hold instead.
    let second = send(
        json!({"life_cycle": {"next_steps": "Joined v2"}}),
        acebridge_clock::TestClock::suite().now() - chrono::Duration::seconds(60),
    )
    .await;
    let alone = q.received(1).await;
    assert_eq!(alone.records.len(), 1);
    let response = handle_sqs_event(&cx, alone, Some(&q.queue), SETTLE).await;
    let failed = handed_back(&response);
    assert_eq!(failed, std::slice::from_ref(&second), "joined the hold");
    assert_eq!(writes(&s) - before, 0);
    // When the hold ends both come back, together, and go out in one write.
    let together = q.received(2).await;
    let mut ids: Vec<_> = together
        .records
        .iter()
        .filter_map(|m| m.message_id.clone())
        .collect();
    ids.sort();
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(ids, both);
    in_one_write(
        &s,
        &q,
        together,
        SETTLE,
        before,
        crm_id,
        ("Joined v1", "Joined v2"),
    )
    .await;
    // The hold is kept in the ledger table, under crm-outbound's role.
    let actions: Vec<String> = s.gate.calls().into_iter().map(|c| c.action).collect();
    for action in ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"] {
        assert!(actions.contains(&action.to_string()), "{actions:?}");
    }
}

#[tokio::test]
async fn a_change_back_from_its_hold_without_the_others_waits_for_them_and_they_go_out_in_one_write()
 {
    use acebridge_sync::crm_side::crm_queue::handle_sqs_event;
    let crm_id = "OP-S1";
    let (s, q) = records_and_their_queue(&[crm_id]).await;
    const SETTLE: i32 = 4;
    let cx = s.outbound_cx();
    let before = writes(&s);
    let now = acebridge_clock::TestClock::suite().now();
    let title = q
        .send(crm_id, json!({"project": {"title": "Regrouped v1"}}), now)
        .await;
    let steps = q
        .send(
            crm_id,
            json!({"life_cycle": {"next_steps": "Regrouped v2"}}),
            now,
        )
        .await;
    let response = handle_sqs_event(&cx, q.received(2).await, Some(&q.queue), SETTLE).await;
    assert_eq!(response.batch_item_failures.len(), 2, "both held");
    // The hold ends, but Lambda's event source hands crm-outbound only one of the two (a batch cut by
    // size splits messages that became visible in the same second).
    tokio::time::sleep(std::time::Duration::from_secs(SETTLE as u64)).await;
    let one = q.received(1).await;
    let alone = one.records[0].message_id.clone().unwrap();
    assert!(alone == title || alone == steps);
    // On its own it is quiet, and would go out now, the other in a second write later. It waits for
    // the other instead, handed back at once.
    let response = handle_sqs_event(&cx, one, Some(&q.queue), SETTLE).await;
    let failed = handed_back(&response);
    assert_eq!(failed, [alone], "waits for the rest of its hold");
    assert_eq!(writes(&s) - before, 0);
    let together = q.received(2).await;
    assert_eq!(together.records.len(), 2);
    in_one_write(
        &s,
        &q,
        together,
        SETTLE,
        before,
        crm_id,
        ("Regrouped v1", "Regrouped v2"),
    )
    .await;
}

#[tokio::test]
async fn changes_the_day_s_writes_no_longer_allow_wait_in_the_queue_without_calling_aws() {
    use acebridge_sync::adapters::dynamodb::DynamoCallCounter;
    use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
    use acebridge_sync::crm_side::crm_queue::handle_batch;
    let mut s = outbound_stack().await;
    let records = ["OP-B0", "OP-B1", "OP-B2", "OP-B3", "OP-B4"];
    known_to_aws(&s, &records).await;
    // From now on writes are counted in the ledger table (under crm-outbound's role), against a day's
    // quota scaled down to 3, on a clock the test moves.
    let now = acebridge_clock::TestClock::at(acebridge_clock::TestClock::suite().now());
    let (gate, gated) = common::through_gate(
        &s.sdk,
        "crm-outbound",
        &common::role_policies("crm-outbound"),
    )
    .await;
    let counter = DynamoCallCounter::new(
        aws_sdk_dynamodb::Client::new(&gated),
        s.ledger_table(),
        now.clock(),
    );
    let pc = std::mem::replace(&mut s.pc, SdkPartnerCentral::new(&s.sdk, None));
    s.pc = pc.with_counter(counter).with_writes_per_day(3);
    let before = writes(&s);
    let messages: Vec<(String, String)> = records
        .iter()
        .map(|crm_id| {
            let body = common::crm_opportunity_changed(
                &common::unique("ev"),
                "2026-11-30T10:00:00Z",
                crm_id,
                json!({"project": {"title": format!("{crm_id} renamed")}}),
            );
            (format!("m-{crm_id}"), body.to_string())
        })
        .collect();
    let cx = s.outbound_cx();
    let out = handle_batch(&cx, &messages).await;
    assert!(out.retry.is_empty(), "{:?}", out.results);
    assert_eq!(writes(&s) - before, 3, "the day's 3 writes");
    assert_eq!(out.held.len(), 2, "{:?}", out.results);
    let held = &out
        .results
        .iter()
        .find(|(id, _)| *id == out.held[0].0)
        .unwrap()
        .1;
    assert_eq!(
        held["held"],
        json!("the day's Partner Central writes are spent")
    );
    // They come back before the window has moved: they wait again, and AWS is not called.
    let waiting: Vec<(String, String)> = messages
        .iter()
        .filter(|(id, _)| out.held.iter().any(|(h, _)| h == id))
        .cloned()
        .collect();
    let again = handle_batch(&s.outbound_cx(), &waiting).await;
    assert_eq!(again.held.len(), 2);
    assert_eq!(writes(&s) - before, 3);
    // The window is the last 24 hours in whole hours (the hour a write was made in and the 24 after it):
    // a millisecond before the 25th hour from its hour's start, the writes still count; at it they have
    // left the window, and the waiting changes go out.
    use chrono::{DurationRound, TimeDelta};
    let hour = now.now().duration_trunc(TimeDelta::hours(1)).unwrap();
    now.set(hour + TimeDelta::hours(25) - TimeDelta::milliseconds(1));
    let still = handle_batch(&s.outbound_cx(), &waiting).await;
    assert_eq!(still.held.len(), 2, "{:?}", still.results);
    assert_eq!(writes(&s) - before, 3);
    now.set(hour + TimeDelta::hours(25));
    let later = handle_batch(&s.outbound_cx(), &waiting).await;
    assert!(
        later.held.is_empty() && later.retry.is_empty(),
        "{:?}",
        later.results
    );
    assert_eq!(writes(&s) - before, 5);
    for crm_id in &records {
        let aws = &opportunities(&s, crm_id)[0];
        assert_eq!(aws["Project"]["Title"], json!(format!("{crm_id} renamed")));
    }
    assert!(refused(&gate).is_empty(), "{:?}", refused(&gate));
}

/// Held edits as an operator sees and drops them (`operations::held_edits`, `drop_held`): listed the
/// longest-waiting first; dropped once (the second time there is nothing to drop), and the rest of the
/// entry is kept.
#[tokio::test]
async fn held_edits_are_listed_longest_waiting_first_and_dropped_once() {
    use acebridge_sync::ports::ledger::{Held, Ledger, LedgerEntry, RecordKey};
    let s = common::stack().await;
    let test = acebridge_clock::TestClock::suite();
    let clock = test.clock();
    for (id, minutes_ago) in [("O8800001", 5), ("O8800002", 90), ("O8800003", 0)] {
        let key = RecordKey::ace(
            acebridge_sync::model::record::RecordKind::Opportunity,
            acebridge_mapping::Catalog::Sandbox,
            id,
        );
        let mut e = LedgerEntry::new(key, clock.now());
        e.crm_id = Some(format!("CRM-{id}"));
        if minutes_ago > 0 {
            e.held = Some(Held {
                change: serde_json::json!({"project": {"title": "new"}}),
                reason: "In review: AWS is reviewing the opportunity".into(),
                since: clock.now() - chrono::Duration::minutes(minutes_ago),
            });
        }
        s.ledger.put(&e, None).await.unwrap().unwrap();
    }
    let held: Vec<String> = acebridge_sync::operations::held_edits(&s.ledger)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.ace_id)
        .collect();
    assert_eq!(held, ["O8800002", "O8800001"]);
    let sandbox = acebridge_mapping::Catalog::Sandbox;
    assert!(
        acebridge_sync::operations::drop_held(&s.ledger, sandbox, "O8800002", &clock)
            .await
            .unwrap()
    );
    assert!(
        !acebridge_sync::operations::drop_held(&s.ledger, sandbox, "O8800002", &clock)
            .await
            .unwrap(),
        "nothing left to drop"
    );
    assert!(
        !acebridge_sync::operations::drop_held(&s.ledger, sandbox, "O8800003", &clock)
            .await
            .unwrap()
    );
    let kept = s
        .ledger
        .find_by_crm_id(
            acebridge_sync::model::record::RecordKind::Opportunity,
            sandbox,
            "CRM-O8800002",
        )
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].held.is_none());
    assert!(
        kept[0].updated_at > kept[0].first_seen,
        "the drop is a write of its own"
    );
}
