//! The Partner Central channel: the real SDK client against the emulator, the ledger and CRM store on
//! moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::model::policy::InvitationPolicy;
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::partner_central::{self, PartnerCentral, accept_token};
use acebridge_sync::pc_events::{Parsed, PcEvent, parse};
use acebridge_sync::ports::ledger::{Ledger, RecordKey};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use common::{api_opportunity, pc_stack, referral};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/partner-central/events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn event(v: &Value) -> EventBridgeEvent<Value> {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn every_documented_event_fixture_parses_to_its_type() {
    let cases = [
        ("opportunity_created.clean.json", "OpportunityCreated"),
        ("opportunity_updated.clean.json", "OpportunityUpdated"),
        (
            "engagement_invitation_created.clean.json",
            "InvitationCreated",
        ),
        (
            "engagement_invitation_accepted.clean.json",
            "InvitationAccepted",
        ),
        (
            "engagement_invitation_rejected.clean.json",
            "InvitationRejected",
        ),
        (
            "engagement_invitation_expired.clean.json",
            "InvitationExpired",
        ),
        ("engagement_created.docs.json", "Engagement"),
        ("engagement_updated.docs.json", "Engagement"),
        ("engagement_member_added.docs.json", "Engagement"),
        (
            "engagement_resource_snapshot_created.docs.json",
            "Engagement",
        ),
    ];
    for (file, kind) in cases {
        let parsed = parse(&event(&fixture(file))).unwrap();
        let Parsed::Event(e) = parsed else {
            panic!("{file}: {parsed:?}")
        };
        assert!(format!("{e:?}").starts_with(kind), "{file}: {e:?}");
        assert!(["AWS", "Sandbox"].contains(&e.catalog()), "{file}");
    }
    let Parsed::Event(PcEvent::OpportunityCreated(d)) =
        parse(&event(&fixture("opportunity_created.clean.json"))).unwrap()
    else {
        panic!()
    };
    assert!(d.opportunity.identifier.starts_with('O'));
}

#[test]
fn a_malformed_event_is_a_clear_error_naming_the_field() {
    let mut e = fixture("opportunity_updated.clean.json");
    e["detail"]["opportunity"] = json!({ "id": "O1" });
    let err = parse(&event(&e)).unwrap_err();
    assert_eq!(err.detail_type, "Opportunity Updated");
    assert!(err.field.starts_with("detail.opportunity"), "{err}");
    assert!(err.to_string().contains("identifier"), "{err}");
}

#[tokio::test]
async fn unknown_detail_types_other_sources_and_other_catalogs_are_acknowledged_without_calls() {
    let s = pc_stack(InvitationPolicy::Accept).await;
    let mut unknown = fixture("opportunity_created.clean.json");
    unknown["detail-type"] = json!("Opportunity Accepted");
    let mut other_source = fixture("opportunity_created.clean.json");
    other_source["source"] = json!("aws.s3");
    let other_catalog = fixture("opportunity_created.clean.json"); // catalog AWS; the stack syncs Sandbox
    for e in [
        unknown,
        other_source,
        other_catalog,
        fixture("engagement_member_added.docs.json"),
    ] {
        let out = s.handle(&e).await;
        assert!(out.get("ignored").is_some(), "{out}");
    }
    assert_eq!(s.calls(), 0);
}

#[tokio::test]
async fn an_invitation_under_the_manual_policy_waits_in_the_crm_as_a_pending_referral() {
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    let id = s.invite(&referral("Migration to AWS", "US", "5000"));
    let out = s.deliver().await;
    assert_eq!(out[0]["handled"]["decision"], json!("wait"));
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("PENDING"));
    assert_eq!(rec.summary.title.as_deref(), Some("Migration to AWS"));
    assert!(
        rec.accept_by.unwrap()
            > acebridge_clock::TestClock::suite().now() + chrono::Duration::days(14)
    );
    assert_eq!(
        s.emulator
            .state()
            .stats
            .calls
            .get("StartEngagementByAcceptingInvitationTask"),
        None
    );

    // It expires in Partner Central: the CRM follows.
    s.emulator.state().expire("Sandbox", &id).unwrap();
    s.deliver().await;
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("EXPIRED"));
}

#[tokio::test]
async fn an_accepted_invitation_becomes_an_opportunity_in_the_crm_and_an_aws_update_flows_through()
{
    let mut s = pc_stack(InvitationPolicy::Accept).await;
    let id = s.invite(&referral("Data platform", "US", "5000"));
    let out = s.deliver().await;
    assert_eq!(out[0]["handled"]["decision"], json!("accept"));
    let opportunity = out[0]["handled"]["task"]["opportunity_id"]
        .as_str()
        .unwrap()
        .to_string();
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("ACCEPTED"));

    // The accept emitted Invitation Accepted, Member Added, Opportunity Created, Updated, Snapshot.
    s.deliver().await;
    let opp = s.record(RecordKind::Opportunity, &opportunity).await;
    assert_eq!(opp.summary.origin.as_deref(), Some("AWS Referral"));
    let published = s.published().await;
    let received: Vec<&Value> = published
        .iter()
        .filter(|e| e["detail-type"] == json!("Referral Received"))
        .collect();
    assert_eq!(received.len(), 1, "{published:?}");
    assert_eq!(received[0]["detail"]["invitationId"], json!(id));
    assert_eq!(received[0]["detail"]["policyDecision"], json!("accept"));
    assert_eq!(received[0]["detail"]["title"], json!("Data platform"));
    assert_eq!(opp.summary.title.as_deref(), Some("Data platform"));
    assert_eq!(
        opp.record["customer"]["contacts"][0]["email"],
        json!("testnamelast09@test.com")
    );

    // AWS moves the stage: Opportunity Updated → the CRM has it.
    s.aws_moves_stage(&opportunity, "Qualified").await;
    let opp = s.record(RecordKind::Opportunity, &opportunity).await;
    assert_eq!(opp.summary.stage.as_deref(), Some("Qualified"));
}

#[tokio::test]
async fn a_rejecting_policy_rejects_with_a_valid_reason_and_the_crm_shows_it() {
    let mut s = pc_stack(InvitationPolicy::parse("reject:Unable to support", None).unwrap()).await;
    let id = s.invite(&referral("Mainframe", "US", "100"));
    let out = s.deliver().await;
    assert_eq!(out[0]["handled"]["decision"], json!("reject"));
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("REJECTED"));
    assert_eq!(rec.record["rejection_reason"], json!("Unable to support"));
}

#[tokio::test]
async fn rules_accept_and_reject_by_country_spend_and_title_and_leave_the_rest_to_the_crm() {
    let rules = r#"[
        {"when": {"countries": ["US"], "min_monthly_spend": 1000, "title_keywords": ["migration"]}, "then": "accept"},
        {"when": {"countries": ["AQ"]}, "then": "reject", "reason": "Unable to support"}
    ]"#;
    let mut s = pc_stack(InvitationPolicy::parse("rules", Some(rules)).unwrap()).await;
    let accept = s.invite(&referral("SAP Migration", "US", "2500"));
    let reject = s.invite(&referral("Anything", "AQ", "90000"));
    let wait = s.invite(&referral("SAP Migration", "US", "500"));
    let out = s.deliver().await;
    let decision = |id: &str| {
        out.iter()
            .find(|o| o["invitation"] == json!(id))
            .map(|o| o["handled"]["decision"].clone())
            .unwrap()
    };
    assert_eq!(decision(&accept), json!("accept"));
    assert_eq!(decision(&reject), json!("reject"));
    assert_eq!(decision(&wait), json!("wait"));
}

#[tokio::test]
async fn a_retried_accept_creates_one_opportunity() {
    let s = pc_stack(InvitationPolicy::Accept).await;
    let id = s.invite(&referral("Retry me", "US", "5000"));
    let created = |s: &common::PcStack| {
        s.emulator
            .events()
            .iter()
            .filter(|e| e["detail-type"] == json!("Opportunity Created"))
            .count()
    };
    // The invocation accepted, then died before recording anything; Lambda retries it.
    let first =
        s.pc.accept(Catalog::Sandbox, &id, &accept_token(&id))
            .await
            .unwrap();
    let again =
        s.pc.accept(Catalog::Sandbox, &id, &accept_token(&id))
            .await
            .unwrap();
    // The same ClientToken answers the same task (as it is by then), never a second one.
    assert_eq!(first.task_id, again.task_id);
    let done = acebridge_sync::partner_central::tasks::follow(
        &s.pc,
        Catalog::Sandbox,
        acebridge_sync::partner_central::TaskKind::AcceptInvitation,
        again,
        acebridge_sync::partner_central::tasks::Follow::default(),
    )
    .await
    .unwrap();
    assert!(done.is_complete(), "{done:?}");
    assert_eq!(created(&s), 1);
    // And the full handler on a redelivered Invitation Created accepts nothing twice.
    let invited = s.emulator.events()[0].clone();
    s.handle(&invited).await;
    s.handle(&invited).await;
    assert_eq!(created(&s), 1);
}

#[tokio::test]
async fn duplicate_and_out_of_order_opportunity_updated_events_end_at_the_newest_version_applied_once()
 {
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    s.seed(vec![
        json!({"Id": "O7000001", "Catalog": "Sandbox"})
            .as_object()
            .unwrap()
            .clone()
            .into_iter()
            .chain(api_opportunity("v1").as_object().unwrap().clone())
            .collect(),
    ]);
    let updated = |stage: &str| json!({ "LifeCycle": { "Stage": stage } });
    let v2 = s
        .emulator
        .state()
        .aws_update("Sandbox", "O7000001", &updated("Qualified"))
        .unwrap();
    s.emulator
        .state()
        .aws_update("Sandbox", "O7000001", &updated("Committed"))
        .unwrap();
    let events = s.emulator.events();
    s.skip_events();
    // EventBridge delivers the newest first, then the older one twice.
    let outs = [
        s.handle(&events[1]).await,
        s.handle(&events[0]).await,
        s.handle(&events[0]).await,
        s.handle(&events[1]).await,
    ];
    let written = outs
        .iter()
        .filter(|o| o["sync"]["outcome"] == json!("written"))
        .count();
    assert_eq!(written, 1, "{outs:?}");
    let rec = s.record(RecordKind::Opportunity, "O7000001").await;
    assert_eq!(rec.summary.stage.as_deref(), Some("Committed"));
    assert!(rec.aws_last_modified.unwrap().to_rfc3339() > v2);
    let entry = s
        .ledger
        .get(&RecordKey::ace(
            RecordKind::Opportunity,
            Catalog::Sandbox,
            "O7000001",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        entry.version.unwrap().aws_last_modified,
        rec.aws_last_modified
    );
    s.deliver().await;
}

fn drafts(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut o = api_opportunity(&format!("Draft {i:03}"));
            o["Id"] = json!(format!("O8{i:06}"));
            o
        })
        .collect()
}

/// Issue 28: the reconcile's "changed since" cursor (its watermark: AWS's `LastModifiedDate`, sent as
/// `AfterLastModifiedDate`) across a day, month and year boundary, on the one clock moved by milliseconds:
/// what changed just before midnight UTC is synced once, what changed just after is found by the next run,
/// and nothing is read twice.
#[tokio::test]
async fn the_reconcile_cursor_crosses_midnight_at_a_year_end_losing_and_repeating_nothing() {
    use chrono::TimeZone;
    let before_midnight = chrono::Utc
        .with_ymd_and_hms(2027, 12, 31, 23, 59, 59)
        .unwrap()
        + chrono::Duration::milliseconds(998);
    let clock = acebridge_clock::TestClock::at(before_midnight);
    let mut s = common::pc_stack_on(
        "partner-central-events",
        InvitationPolicy::Manual,
        clock.clone(),
    )
    .await;
    let mut ids = Vec::new();
    for (i, o) in drafts(3).into_iter().enumerate() {
        // 23:59:59.998, .999, and 00:00:00.000 on 1 January.
        clock.set(before_midnight + chrono::Duration::milliseconds(i as i64));
        ids.push(o["Id"].as_str().unwrap().to_string());
        s.seed(vec![o]);
    }
    s.skip_events();
    let reads = |s: &common::PcStack| s.calls_of(&["GetOpportunity", "GetAwsOpportunitySummary"]);
    let first = s.reconcile().await;
    assert_eq!((first.listed, first.written), (3, 3), "{first:?}");
    let new_year = chrono::Utc.with_ymd_and_hms(2028, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        first.to,
        Some(new_year),
        "the newest LastModifiedDate listed"
    );

    // The first opportunity changes a millisecond into the year, unseen by its event.
    clock.set(new_year + chrono::Duration::milliseconds(1));
    s.aws_stage(&[ids[0].as_str()], "Technical Validation");
    s.skip_events();
    let before = reads(&s);
    let second = s.reconcile().await;
    assert_eq!(second.from, Some(new_year));
    assert_eq!(second.written, 1, "{second:?}");
    assert_eq!(
        reads(&s) - before,
        1,
        "only the changed one read (a draft: GetOpportunity alone)"
    );
    assert_eq!(
        second.to,
        Some(new_year + chrono::Duration::milliseconds(1))
    );
    let rec = s.record(RecordKind::Opportunity, &ids[0]).await;
    assert_eq!(rec.summary.stage.as_deref(), Some("Technical Validation"));

    // A day later, nothing new: the run lists at most what sits on its watermark and reads nothing.
    clock.advance(chrono::Duration::days(1));
    let before = reads(&s);
    let third = s.reconcile().await;
    assert_eq!(third.written, 0, "{third:?}");
    assert_eq!(reads(&s), before);
    assert_eq!(third.to, second.to);
}

/// The S3 copy of opportunity `id` (the ACE sample, AWS-referred: no partner CRM id), last modified at
/// `lmd` with the title `title`, through the ingest's path: parsed by the ACE reader, canonical, applied.
async fn apply_s3_opportunity(
    s: &common::PcStack,
    id: &str,
    lmd: &str,
    title: &str,
) -> acebridge_sync::apply::Applied {
    let mut r = common::sample_opportunity();
    r["apnCrmUniqueIdentifier"] = json!(id);
    r["partnerCrmUniqueIdentifier"] = Value::Null;
    r["opportunityOwnership"] = json!("AWS Referral");
    r["partnerProjectTitle"] = json!(title);
    r["lastModifiedDate"] = json!(lmd);
    let acebridge_mapping::ace::AceFile::Opportunities(f) =
        acebridge_mapping::ace::parse(&common::opportunity_file(vec![r])).unwrap()
    else {
        panic!("an opportunity file")
    };
    let opportunity = f.records[0].as_ref().unwrap().to_canonical().unwrap();
    acebridge_sync::apply::apply_record(
        &s.ledger,
        &s.crm,
        Catalog::Sandbox,
        &acebridge_sync::model::record::SyncRecord::from(opportunity),
        "opportunity-outbound/both_channels.json",
        &s.clock.clock(),
        acebridge_sync::metrics::Channel::S3,
    )
    .await
    .unwrap()
    .unwrap()
}

/// Issue 28, the linking rule for opportunities (docs/reliability.md): an opportunity has one id on both
/// channels, so whichever copy arrives first (an S3 file or the API's, here by the reconcile) and whichever
/// is newer, the CRM has one record, linked to the id in the ledger, holding the newer copy's data; and a
/// later S3 update lands on that record. The API copy is stamped with the stack's clock; the S3 copy's
/// `lastModifiedDate` is an hour before or after it.
#[tokio::test]
async fn an_opportunity_from_both_channels_is_one_crm_record_in_all_four_orders_and_the_newer_copy_wins()
 {
    use chrono::TimeZone;
    let t0 = chrono::Utc.with_ymd_and_hms(2027, 6, 1, 9, 0, 0).unwrap();
    let at = |hours: i64| (t0 + chrono::Duration::hours(hours)).to_rfc3339();
    let id = "O7700001";
    for (s3_first, s3_newer) in [(true, true), (true, false), (false, true), (false, false)] {
        let case = format!("S3 first: {s3_first}, S3 newer: {s3_newer}");
        let clock = acebridge_clock::TestClock::at(t0);
        let mut s =
            common::pc_stack_on("partner-central-events", InvitationPolicy::Manual, clock).await;
        let s3_lmd = at(if s3_newer { 1 } else { -1 });
        for step in 0..2 {
            if (step == 0) == s3_first {
                let applied = apply_s3_opportunity(&s, id, &s3_lmd, "S3 copy").await;
                let written = matches!(applied, acebridge_sync::apply::Applied::Written { .. });
                assert_eq!(written, s3_first || s3_newer, "{case}: {applied:?}");
            } else {
                let mut o = api_opportunity("API copy");
                o["Id"] = json!(id);
                o["PartnerOpportunityIdentifier"] = Value::Null;
                s.seed(vec![o]);
                s.skip_events();
                let report = s.reconcile().await;
                assert_eq!(
                    report.written,
                    usize::from(!s3_first || !s3_newer),
                    "{case}: {report:?}"
                );
            }
        }
        let records: Vec<_> = s
            .crm
            .all()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == RecordKind::Opportunity)
            .collect();
        assert_eq!(records.len(), 1, "{case}: {records:?}");
        let rec = &records[0];
        let newer = if s3_newer { "S3 copy" } else { "API copy" };
        assert_eq!(rec.summary.title.as_deref(), Some(newer), "{case}");
        let key = RecordKey::ace(RecordKind::Opportunity, Catalog::Sandbox, id);
        let entry = s.ledger.get(&key).await.unwrap().unwrap();
        assert_eq!(entry.crm_id.as_deref(), Some(rec.crm_id.as_str()), "{case}");
        // A later S3 update: onto the same record, never a second one.
        let later = apply_s3_opportunity(&s, id, &at(2), "S3 later").await;
        assert_eq!(
            later,
            acebridge_sync::apply::Applied::Written {
                crm_id: rec.crm_id.clone(),
                new_referral: false
            },
            "{case}"
        );
        let again = s.record(RecordKind::Opportunity, id).await;
        assert_eq!(again.crm_id, rec.crm_id);
        assert_eq!(again.summary.title.as_deref(), Some("S3 later"), "{case}");
    }
}

#[tokio::test]
async fn reconcile_of_300_opportunities_under_quotas_and_injected_500s_loses_none() {
    let s = pc_stack(InvitationPolicy::Manual).await;
    s.seed(drafts(300));
    s.emulator.enforce_quotas(true);
    s.emulator.fail_next(5);
    let report = s.reconcile().await;
    assert_eq!(
        (report.listed, report.written, report.failed),
        (300, 300, 0),
        "{report:?}"
    );
    assert_eq!(s.crm.all().await.unwrap().len(), 300);
    let stats = s.emulator.state().stats.clone();
    assert_eq!(stats.faults_served, 5);
    // Every failed (and any throttled) call was retried: 300 gets and 3 list pages got through.
    assert_eq!(
        (
            stats.calls["GetOpportunity"],
            stats.calls["ListOpportunities"]
        ),
        (300, 3)
    );
    assert!(report.to.is_some());
}

#[tokio::test]
async fn events_dropped_on_purpose_are_repaired_by_the_next_reconcile() {
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    s.seed(drafts(25));
    let first = s.reconcile().await;
    assert_eq!((first.from, first.written), (None, 25));
    s.aws_stage(
        &["O8000003", "O8000011", "O8000020"],
        "Technical Validation",
    );
    s.skip_events(); // EventBridge lost them
    let second = s.reconcile().await;
    assert_eq!(second.from, first.to);
    assert_eq!(second.written, 3, "{second:?}");
    for id in ["O8000003", "O8000011", "O8000020"] {
        let rec = s.record(RecordKind::Opportunity, id).await;
        assert_eq!(rec.summary.stage.as_deref(), Some("Technical Validation"));
    }
    assert_eq!(
        s.ledger.watermark(Catalog::Sandbox).await.unwrap(),
        second.to
    );
    s.deliver().await;
}

#[tokio::test]
async fn in_the_steady_state_a_reconcile_reads_only_pages() {
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    s.seed(drafts(25));
    let first = s.reconcile().await;
    assert_eq!((first.written, first.unread), (25, 0));
    s.skip_events();
    // AWS changes four opportunities; the events function reads and applies each (as it does live).
    s.aws_stage(
        &["O8000002", "O8000009", "O8000016", "O8000024"],
        "Technical Validation",
    );
    s.deliver().await;
    let reads = |s: &common::PcStack| s.calls_of(&["GetOpportunity", "GetAwsOpportunitySummary"]);
    let before = reads(&s);
    // The reconcile lists them again (changed since its watermark) and reads none: the ledger has
    // applied the LastModifiedDate the list gives.
    let second = s.reconcile().await;
    assert_eq!(
        (second.listed, second.unread, second.written),
        (4, 4, 0),
        "{second:?}"
    );
    assert_eq!(reads(&s), before, "a reconcile read an applied version");
    assert_eq!(
        s.ledger.watermark(Catalog::Sandbox).await.unwrap(),
        second.to
    );
    // A change whose event was lost is read (once) and applied by the next reconcile.
    s.aws_stage(&["O8000005"], "Business Validation");
    s.skip_events();
    let third = s.reconcile().await;
    assert_eq!(third.written, 1, "{third:?}");
    assert_eq!(reads(&s), before + 1);
    let rec = s.record(RecordKind::Opportunity, "O8000005").await;
    assert_eq!(rec.summary.stage.as_deref(), Some("Business Validation"));
}

#[tokio::test]
async fn a_change_of_aws_s_side_whose_event_was_lost_reaches_the_crm_by_the_slow_refresh() {
    use acebridge_sync::guards::budget::Uncounted;
    use acebridge_sync::partner_central::{Budgeted, Refresh, refresh_aws_side};
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    let mut approved = drafts(3);
    for o in &mut approved {
        o["LifeCycle"]["ReviewStatus"] = json!("Approved");
    }
    s.seed(approved);
    let ids = ["O8000000", "O8000001", "O8000002"];
    for id in ids {
        s.emulator
            .state()
            .aws_summary_update(
                "Sandbox",
                id,
                &json!({ "LifeCycle": { "Stage": "Prospect" } }),
            )
            .unwrap();
    }
    assert_eq!(s.reconcile().await.written, 3);
    s.skip_events();
    // AWS moves its own stage of one opportunity; the event is lost, and the partner opportunity's
    // LastModifiedDate does not move: the reconcile alone cannot see it.
    s.emulator
        .state()
        .aws_summary_update(
            "Sandbox",
            "O8000001",
            &json!({ "LifeCycle": { "Stage": "Qualified" } }),
        )
        .unwrap();
    s.skip_events();
    assert_eq!(s.reconcile().await.written, 0);
    let clock = s.clock.clock();
    let refresh = |every: chrono::Duration, per_run: usize| {
        refresh_aws_side(
            &s.pc,
            &s.ledger,
            &s.crm,
            Catalog::Sandbox,
            Refresh { every, per_run },
            || true,
            None::<Budgeted<'_, Uncounted>>,
            &clock,
        )
    };
    // Read within the day: not due, nothing read.
    let quiet = refresh(chrono::Duration::hours(24), 10).await.unwrap();
    assert_eq!((quiet.due, quiet.refreshed), (0, 0));
    // Due: two a run, oldest first; over two runs each is read again once and the change arrives.
    let first = refresh(chrono::Duration::zero(), 2).await.unwrap();
    let second = refresh(chrono::Duration::zero(), 2).await.unwrap();
    assert_eq!((first.due, first.refreshed), (3, 2), "{first:?}");
    assert_eq!(first.changed + second.changed, 1, "{first:?} {second:?}");
    let rec = s.record(RecordKind::Opportunity, "O8000001").await;
    assert_eq!(
        rec.record.pointer("/aws/stage").and_then(Value::as_str),
        Some("Qualified")
    );
}

#[tokio::test]
async fn a_backfill_larger_than_a_day_s_reads_goes_on_across_days_and_never_starves_live_events() {
    use acebridge_sync::adapters::dynamodb::DynamoCallCounter;
    use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
    use acebridge_sync::guards::budget::DailyBudget;
    use acebridge_sync::partner_central::Budgeted;
    use chrono::TimeZone;
    // 300 opportunities, or `BACKFILL_OPPORTUNITIES` for a run at a larger scale by hand (docs/performance.md):
    // the day's reads scale with it, so the proportions, and the bounds below, stay the same.
    let n: usize = std::env::var("BACKFILL_OPPORTUNITIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 300)
        .unwrap_or(300);
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    s.seed(drafts(n));
    // Quotas scaled down (for 300: 150 reads a day, 1,000 times less than AWS's; 30% kept for live work,
    // so the backfill may use 105), and a simulated clock: hourly reconciles over simulated days.
    let budget = DailyBudget {
        reads_per_day: n as u64 / 2,
        writes_per_day: 10,
        reserved_percent: 30,
    };
    // The budget's hours on a clock the test moves (an hour per reconcile), pinned to a day of its own.
    let now =
        acebridge_clock::TestClock::at(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    let counter = DynamoCallCounter::new(
        aws_sdk_dynamodb::Client::new(&s.sdk),
        s.ledger_table(),
        now.clock(),
    );
    // Every Partner Central call of the events function (live events and the reconcile) is counted.
    // `BACKFILL_READS_PER_SECOND` scales the read rate too, for a run at 50,000 by hand (10 a second,
    // AWS's, otherwise).
    let rate: u32 = std::env::var("BACKFILL_READS_PER_SECOND")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let pc = std::mem::replace(&mut s.pc, SdkPartnerCentral::new(&s.sdk, None));
    s.pc = pc.with_counter(counter.clone()).with_read_rate(rate);
    s.skip_events();
    let live = ["O8000000", "O8000001", "O8000002"];
    // Reads as Partner Central counts them (the emulator's own call counts, not acebridge's counter):
    // per simulated hour, those of the backfill and those of live work.
    let reads_so_far = |s: &common::PcStack| {
        s.calls_of(&[
            "ListOpportunities",
            "GetOpportunity",
            "GetAwsOpportunitySummary",
        ])
    };
    let (mut backfill_reads, mut live_reads) = (Vec::new(), Vec::new());
    let mut finished_at = None;
    let mut paused_runs = 0;
    for hour in 0..(24 * 6) {
        let before_live = reads_so_far(&s);
        // A live change every hour, on an opportunity the backfill may or may not have reached yet.
        let id = live[hour % live.len()];
        let stage = format!("Stage of hour {hour}");
        s.emulator
            .state()
            .aws_update(
                "Sandbox",
                id,
                &json!({ "LifeCycle": { "NextSteps": stage } }),
            )
            .unwrap();
        s.deliver().await;
        assert_eq!(
            s.record(RecordKind::Opportunity, id)
                .await
                .record
                .pointer("/life_cycle/next_steps")
                .and_then(Value::as_str),
            Some(stage.as_str()),
            "hour {hour}: a live event was not served"
        );
        let before_backfill = reads_so_far(&s);
        live_reads.push(before_backfill - before_live);
        let report = partner_central::reconcile_within(
            &s.pc,
            &s.ledger,
            &s.crm,
            Catalog::Sandbox,
            || true,
            Some(Budgeted {
                budget,
                counter: &counter,
            }),
            &acebridge_clock::TestClock::suite().clock(),
        )
        .await
        .unwrap();
        backfill_reads.push(reads_so_far(&s) - before_backfill);
        // In every rolling 24 hours, as Partner Central counts: the backfill never takes more than its
        // share (the reserve stays for live work), and all reads stay within the day's quota.
        let day = |reads: &[u64]| reads.iter().rev().take(24).sum::<u64>();
        let (backfill, all) = (
            day(&backfill_reads),
            day(&backfill_reads) + day(&live_reads),
        );
        assert!(
            backfill <= budget.backfill_reads(),
            "hour {hour}: the backfill read {backfill} times in the last 24 hours, over its share of {} \
             ({} kept for live work)",
            budget.backfill_reads(),
            budget.reads_per_day - budget.backfill_reads()
        );
        assert!(
            all <= budget.reads_per_day,
            "hour {hour}: {all} reads in the last 24 hours, over the quota"
        );
        if n > 300 {
            // A run by hand at scale: one line a simulated hour.
            eprintln!(
                "hour {hour}: {} backfill reads, {} live; paused: {}",
                backfill_reads[hour], live_reads[hour], report.paused_for_budget
            );
        }
        if report.paused_for_budget {
            paused_runs += 1;
        } else {
            // Not paused: the listing reached its end within the budget (that every opportunity is in
            // the CRM is checked below, one read each: a full table scan is slow on moto at 10,000).
            finished_at = Some(hour);
            break;
        }
        now.advance(chrono::Duration::hours(1));
    }
    // n gets and n/100 pages (for 300: 300 and 3): at least two full days of the backfill's share (0.35 n
    // reads), finishing on the third at the earliest. The live reads (one an hour) count in the same
    // window and come off the backfill's share (about 25 per window of 25 hourly buckets), so at most four
    // such windows: before hour 100.
    let finished_at = finished_at.expect("the backfill never finished");
    assert!(
        (48..100).contains(&finished_at),
        "finished at hour {finished_at}"
    );
    assert!(paused_runs > 24, "{paused_runs} paused runs");
    // Every opportunity is in the CRM store: its items read a hundred at a time (BatchGetItem, keys only).
    let ddb = aws_sdk_dynamodb::Client::new(&s.sdk);
    let ids: Vec<String> = (0..n).map(|i| format!("O8{i:06}")).collect();
    let pk = |id: &str| {
        let crm_id = acebridge_sync::adapters::dynamodb::DynamoCrmStore::new_crm_id(id);
        format!("{}#{crm_id}", RecordKind::Opportunity)
    };
    let mut stored = std::collections::HashSet::new();
    for chunk in ids.chunks(100) {
        let mut wanted =
            aws_sdk_dynamodb::types::KeysAndAttributes::builder().projection_expression("pk");
        for id in chunk {
            wanted = wanted.keys(std::collections::HashMap::from([(
                "pk".to_string(),
                aws_sdk_dynamodb::types::AttributeValue::S(pk(id)),
            )]));
        }
        let out = ddb
            .batch_get_item()
            .request_items(&s.crm_table, wanted.build().unwrap())
            .send()
            .await
            .unwrap();
        assert!(out.unprocessed_keys.unwrap_or_default().is_empty());
        for item in out.responses.unwrap_or_default().into_values().flatten() {
            if let Some(aws_sdk_dynamodb::types::AttributeValue::S(k)) = item.get("pk") {
                stored.insert(k.clone());
            }
        }
    }
    let lost: Vec<&String> = ids.iter().filter(|id| !stored.contains(&pk(id))).collect();
    assert!(lost.is_empty(), "opportunities lost: {lost:?}");
    eprintln!(
        "backfill of {n} opportunities against {} reads a day: finished at simulated hour {finished_at}, \
         {paused_runs} runs paused for the budget, every live change served within its hour",
        budget.reads_per_day
    );
    s.deliver().await;
}

#[tokio::test]
async fn a_pending_referral_close_to_expiry_raises_referral_expiring_once() {
    let s = pc_stack(InvitationPolicy::Manual).await;
    let mut soon = referral("Expiring soon", "US", "100");
    let in_a_day =
        (acebridge_clock::TestClock::suite().now() + chrono::Duration::hours(24)).to_rfc3339();
    soon["Invitation"]["ExpirationDate"] = json!(in_a_day);
    let soon = s.invite(&soon);
    s.invite(&referral("Plenty of time", "US", "100"));
    let schedule = fixture_schedule();
    let out = s.handle(&schedule).await;
    assert_eq!(out["expiring_alerts"], json!(1), "{out}");
    let again = s.handle(&schedule).await;
    assert_eq!(again["expiring_alerts"], json!(0));
    let published = s.published().await;
    let expiring: Vec<&Value> = published
        .iter()
        .filter(|e| e["detail-type"] == json!("Referral Expiring"))
        .collect();
    assert_eq!(expiring.len(), 1);
    assert_eq!(expiring[0]["detail"]["invitationId"], json!(soon));
}

/// Issue 28, by moving the one clock (acebridge's and the emulator's): an opportunity invitation and a lead
/// invitation sent at 10:00 UTC on 20 December 2027 expire 15 days later, across the year end. Until 48 hours
/// before (`expiring_within`) no alert; from then `Referral Expiring` once each; at `ExpirationDate` Partner
/// Central lets both lapse (`EXPIRED`, with their `Engagement Invitation Expired` events), the CRM referrals
/// follow, and a CRM user's accept after it is refused with the reason, spending no write.
#[tokio::test]
async fn an_opportunity_and_a_lead_invitation_warn_once_before_expiry_then_lapse_across_a_year_end()
{
    use chrono::TimeZone;
    let sent = chrono::Utc
        .with_ymd_and_hms(2027, 12, 20, 10, 0, 0)
        .unwrap();
    let clock = acebridge_clock::TestClock::at(sent);
    let mut s = common::pc_stack_on(
        "partner-central-events",
        InvitationPolicy::Manual,
        clock.clone(),
    )
    .await;
    let opportunity = s.invite(&referral("Expires in January", "US", "100"));
    let lead: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/partner-central/lead-invitation.json"
    ))
    .unwrap();
    let lead = s.invite(&lead);
    s.deliver().await;
    // Each ExpirationDate is its own send time plus 15 days (the emulator's sends are a millisecond apart).
    let mut expiry = Vec::new();
    for id in [&opportunity, &lead] {
        let rec = s.record(RecordKind::Invitation, id).await;
        assert_eq!(rec.summary.status.as_deref(), Some("PENDING"), "{id}");
        let accept_by = rec.accept_by.unwrap();
        let after_send = accept_by - (sent + chrono::Duration::days(15));
        assert!(
            after_send >= chrono::Duration::zero() && after_send < chrono::Duration::seconds(1),
            "{id}: {accept_by}"
        );
        assert_eq!(accept_by.format("%Y-%m-%d").to_string(), "2028-01-04");
        expiry.push(accept_by);
    }
    let (first, last) = (expiry[0].min(expiry[1]), expiry[0].max(expiry[1]));
    let schedule = fixture_schedule();
    let alerts = |out: Value| out["expiring_alerts"].as_u64().unwrap();
    let within = s.cx().expiring_within;
    clock.set(first - within - chrono::Duration::milliseconds(1));
    assert_eq!(alerts(s.handle(&schedule).await), 0);
    clock.set(last - within);
    assert_eq!(alerts(s.handle(&schedule).await), 2);
    clock.advance(chrono::Duration::hours(47));
    assert_eq!(alerts(s.handle(&schedule).await), 0, "once each");
    let mut warned: Vec<String> = s
        .published()
        .await
        .iter()
        .filter(|e| e["detail-type"] == json!("Referral Expiring"))
        .map(|e| e["detail"]["invitationId"].as_str().unwrap().to_string())
        .collect();
    warned.sort();
    let mut both = vec![opportunity.clone(), lead.clone()];
    both.sort();
    assert_eq!(warned, both);

    // A millisecond before the first ExpirationDate both are pending; at the last both have lapsed.
    clock.set(first - chrono::Duration::milliseconds(1));
    s.handle(&schedule).await;
    assert_eq!(s.deliver().await.len(), 0, "nothing lapsed early");
    clock.set(last);
    s.handle(&schedule).await;
    let lapsed = s.deliver().await;
    assert_eq!(lapsed.len(), 2, "{lapsed:?}");
    for id in [&opportunity, &lead] {
        let rec = s.record(RecordKind::Invitation, id).await;
        assert_eq!(rec.summary.status.as_deref(), Some("EXPIRED"), "{id}");
    }
    let expired_events = s
        .emulator
        .events()
        .iter()
        .filter(|e| e["detail-type"] == json!("Engagement Invitation Expired"))
        .count();
    assert_eq!(expired_events, 2);

    // The CRM user accepts both after it: refused with the reason, no accept sent to Partner Central.
    let outbound = s.pc_as("crm-outbound");
    let decisions: Vec<(String, String)> = [&opportunity, &lead]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                format!("m{i}"),
                json!({ "version": "0", "id": format!("late-{i}"), "detail-type": "CRM Referral Decision",
                    "source": "acebridge.crm", "account": "123456789012",
                    "time": clock.now().to_rfc3339(), "region": "us-east-1", "resources": [],
                    "detail": { "invitationId": id, "decision": "accept" } })
                .to_string(),
            )
        })
        .collect();
    let out =
        acebridge_sync::crm_side::crm_queue::handle_batch(&s.outbound_cx_as(&outbound), &decisions)
            .await;
    assert!(out.retry.is_empty(), "{out:?}");
    for (_, result) in &out.results {
        let refused = result["refused"].as_str().unwrap_or_default();
        assert!(refused.ends_with("is already EXPIRED"), "{result}");
    }
    assert_eq!(
        s.calls_of(&[
            "AcceptEngagementInvitation",
            "StartEngagementByAcceptingInvitationTask"
        ]),
        0
    );
    s.published().await;
}

fn fixture_schedule() -> Value {
    let path = format!(
        "{}/../../functions/partner-central-events/events/reconcile.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn an_accept_in_progress_is_followed_to_complete_and_the_crm_gets_the_opportunity() {
    let mut s = pc_stack(InvitationPolicy::Accept).await;
    s.slow_tasks(&[]);
    let id = s.invite(&referral("Slow accept", "US", "5000"));
    let out = s.deliver().await;
    let task = &out[0]["handled"]["task"];
    assert_eq!(task["status"], json!("COMPLETE"), "{out:?}");
    let opportunity = task["opportunity_id"].as_str().unwrap().to_string();
    // Partner Central answered IN_PROGRESS first: acebridge read the task until it finished.
    let st = s.emulator.state().stats.calls.clone();
    assert!(
        st["ListEngagementByAcceptingInvitationTasks"] >= 1,
        "{st:?}"
    );
    s.deliver().await;
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("ACCEPTED"));
    let opp = s.record(RecordKind::Opportunity, &opportunity).await;
    assert_eq!(opp.summary.title.as_deref(), Some("Slow accept"));
}

/// The operations a person starts (issue 31; `acebridge pending` and `acebridge show` call them):
/// the referrals waiting for a decision, soonest to expire first, and the records whose last sync failed
/// (here a failed accept), each with AWS's reason.
#[tokio::test]
async fn the_operations_list_waiting_referrals_soonest_first_and_failed_syncs_with_their_reason() {
    use acebridge_sync::operations::{needs_attention, pending_invitations};
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    let soon = acebridge_clock::TestClock::suite().now() + chrono::Duration::days(2);
    let mut first = referral("Expires soon", "US", "100");
    first["Invitation"]["ExpirationDate"] = json!(soon.to_rfc3339());
    let later = s.invite(&referral("Expires later", "US", "100"));
    let first = s.invite(&first);
    let waiting = pending_invitations(&s.pc, Catalog::Sandbox).await.unwrap();
    let ids: Vec<&str> = waiting.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec![first.as_str(), later.as_str()]);
    assert_eq!(waiting[0].title.as_deref(), Some("Expires soon"));
    assert!(needs_attention(&s.ledger).await.unwrap().is_empty());

    // An accept AWS fails: the referral needs attention, with AWS's reason.
    s.skip_events();
    s.policy = InvitationPolicy::Accept;
    s.slow_tasks(&[(
        "InvitationAccessDenied",
        "the invitation cannot be accepted",
    )]);
    let failing = s.invite(&referral("Failing accept", "US", "5000"));
    s.deliver().await;
    let attention = needs_attention(&s.ledger).await.unwrap();
    assert_eq!(attention.len(), 1, "{attention:?}");
    assert_eq!(attention[0].ace_id.as_deref(), Some(failing.as_str()));
    let why = &attention[0].aws_result.as_ref().unwrap().errors[0];
    assert!(why.contains("InvitationAccessDenied"), "{why}");
}

#[tokio::test]
async fn a_failed_accept_reaches_the_crm_referral_with_aws_reason_and_it_stays_pending() {
    let mut s = pc_stack(InvitationPolicy::Accept).await;
    s.slow_tasks(&[(
        "InvitationAccessDenied",
        "the invitation cannot be accepted",
    )]);
    let id = s.invite(&referral("Failing accept", "US", "5000"));
    let out = s.deliver().await;
    assert_eq!(
        out[0]["handled"]["task"]["status"],
        json!("FAILED"),
        "{out:?}"
    );
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("PENDING"));
    let aws = rec.aws_sync.expect("the referral shows the failed accept");
    assert!(!aws.success);
    assert!(
        aws.errors[0].contains("InvitationAccessDenied")
            && aws.errors[0].contains("the invitation cannot be accepted"),
        "{:?}",
        aws.errors
    );
    let entry = s
        .ledger
        .get(&RecordKey::ace(
            RecordKind::Invitation,
            Catalog::Sandbox,
            &id,
        ))
        .await
        .unwrap()
        .unwrap();
    assert!(
        entry
            .aws_result
            .is_some_and(|r| !r.success && r.errors[0].contains("InvitationAccessDenied"))
    );
    // Nothing was created.
    assert!(
        !s.emulator
            .events()
            .iter()
            .any(|e| e["detail-type"] == json!("Opportunity Created"))
    );
}

#[tokio::test]
async fn aws_approval_arrives_as_opportunity_accepted_and_the_crm_record_shows_it() {
    let mut s = pc_stack(InvitationPolicy::Manual).await;
    let mut o = api_opportunity("Reviewed by AWS");
    o["LifeCycle"]["ReviewStatus"] = json!("Submitted");
    o["Id"] = json!("O7000001");
    s.seed(vec![o]);
    s.emulator
        .state()
        .aws_update(
            "Sandbox",
            "O7000001",
            &json!({ "LifeCycle": { "ReviewStatus": "Approved" } }),
        )
        .unwrap();
    let out = s.deliver().await;
    let reviewed: Vec<&Value> = out.iter().filter(|o| o.get("reviewed").is_some()).collect();
    assert_eq!(reviewed.len(), 1, "{out:?}");
    assert_eq!(reviewed[0]["reviewed"], json!("accepted"));
    let rec = s.record(RecordKind::Opportunity, "O7000001").await;
    assert_eq!(rec.summary.status.as_deref(), Some("Approved"));
}

#[tokio::test]
async fn every_detail_type_the_emulator_emits_is_handled_or_acknowledged_without_error() {
    let mut s = pc_stack(InvitationPolicy::Accept).await;
    s.invite(&referral("Every event", "US", "5000"));
    let out = s.deliver().await;
    let opportunity = out[0]["handled"]["task"]["opportunity_id"]
        .as_str()
        .unwrap()
        .to_string();
    s.aws_moves_stage(&opportunity, "Qualified").await;
    let seen: std::collections::BTreeSet<String> = s
        .emulator
        .events()
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap().to_string())
        .collect();
    for t in [
        "Engagement Invitation Created",
        "Engagement Invitation Accepted",
        "Engagement Member Added",
        "Engagement Member Joined",
        "Engagement Updated",
        "Opportunity Created",
        "Opportunity Updated",
        "Engagement Resource Snapshot Created",
        "Resource Snapshot Created",
    ] {
        assert!(seen.contains(t), "{t} not emitted: {seen:?}");
    }
}

#[tokio::test]
async fn the_events_function_works_within_its_role_for_every_aws_service_it_calls() {
    // The gate decided each DynamoDB and EventBridge call under the template's role: what it saw is
    // what the function's code calls, and all of it was allowed (a refused one fails the flow).
    let mut s = pc_stack(InvitationPolicy::Accept).await;
    s.invite(&referral("Within the role", "US", "5000"));
    s.deliver().await;
    s.deliver().await;
    let calls = s.gate.calls();
    let actions: std::collections::BTreeSet<&str> =
        calls.iter().map(|c| c.action.as_str()).collect();
    for a in ["dynamodb:GetItem", "dynamodb:PutItem", "events:PutEvents"] {
        assert!(actions.contains(a), "{a} not seen: {actions:?}");
    }
    let refused = common::refused(&s.gate);
    assert!(refused.is_empty(), "the role refused: {refused:?}");
    assert!(calls.iter().all(|c| c.caller == "partner-central-events"));
}

#[tokio::test]
async fn a_quota_exceeded_accept_is_retried_later_and_access_denied_is_not() {
    let mut s = pc_stack(InvitationPolicy::Accept).await;
    s.invite(&referral("Over quota", "US", "5000"));
    let invited = s.emulator.events()[0].clone();
    s.skip_events();
    {
        let mut st = s.emulator.state();
        st.faults.fail_next = 1;
        st.faults.status = 400;
        st.faults.error = Some("ServiceQuotaExceededException".into());
    }
    let e: EventBridgeEvent<Value> = serde_json::from_value(invited.clone()).unwrap();
    let err = acebridge_sync::pc_events::handle(&s.cx(), &e, || true)
        .await
        .unwrap_err();
    assert!(err.retryable(), "{err}");
    assert!(
        err.to_string().contains("ServiceQuotaExceededException"),
        "{err}"
    );
    // The redelivery goes through (the fault is spent): accepted once.
    let out = s.handle(&invited).await;
    assert_eq!(out["handled"]["task"]["status"], json!("COMPLETE"), "{out}");

    // AccessDeniedException (with its Reason) is not retried: it needs a person.
    s.invite(&referral("Denied", "US", "5000"));
    let denied = s.emulator.events().last().unwrap().clone();
    {
        let mut st = s.emulator.state();
        st.faults.fail_next = 1;
        st.faults.status = 400;
        st.faults.error = Some("AccessDeniedException".into());
    }
    let e: EventBridgeEvent<Value> = serde_json::from_value(denied).unwrap();
    let err = acebridge_sync::pc_events::handle(&s.cx(), &e, || true)
        .await
        .unwrap_err();
    assert!(!err.retryable(), "{err}");
    assert!(err.to_string().contains("AccessDeniedException"), "{err}");
}
