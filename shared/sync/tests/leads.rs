//! Leads over the Selling API, end to end on the local stack: the real SDK client against the emulator
//! (held to AWS's service model), the ledger and CRM store on moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::{Field, Lead};
use acebridge_sync::crm_side::crm_queue;
use acebridge_sync::model::policy::InvitationPolicy;
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::partner_central::engagements::{self, LeadChanged, LeadPushed};
use common::{PcStack, pc_stack};
use serde_json::{Value, json};

/// AWS's lead invitation (the fixture: its payload and the engagement's Lead context).
fn lead_spec() -> Value {
    let path = format!(
        "{}/../../tests/fixtures/partner-central/lead-invitation.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn calls(s: &PcStack, op: &str) -> u64 {
    s.calls_of(&[op])
}

async fn stack(leads: InvitationPolicy, opportunities: InvitationPolicy) -> PcStack {
    let mut s = pc_stack(opportunities).await;
    s.lead_policy = leads;
    s
}

/// The engagement of an invitation.
fn engagement_of(s: &PcStack, invitation: &str) -> String {
    s.emulator
        .events()
        .iter()
        .find(|e| e["detail"]["engagementInvitation"]["id"] == json!(invitation))
        .and_then(|e| e["detail"]["engagementInvitation"]["engagementId"].as_str())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_lead_invitation_reaches_the_crm_with_every_customer_and_interaction_field_and_waits() {
    let mut s = stack(InvitationPolicy::Manual, InvitationPolicy::Accept).await;
    let id = s.invite(&lead_spec());
    let out = s.deliver().await;
    assert_eq!(out[0]["handled"]["decision"], json!("wait"), "{out:?}");
    let rec = s.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("PENDING"));
    assert_eq!(rec.summary.title.as_deref(), Some("Example Lead Corp"));
    assert!(
        rec.accept_by.unwrap()
            > acebridge_clock::TestClock::suite().now() + chrono::Duration::days(14)
    );
    let r = &rec.record;
    // Every member of AWS's LeadInvitationCustomer and LeadInvitationInteraction.
    assert_eq!(r["payload_type"], json!("LeadInvitation"));
    assert_eq!(r["customer"]["company_name"], json!("Example Lead Corp"));
    assert_eq!(r["customer"]["website"], json!("https://lead.example.com"));
    assert_eq!(r["customer"]["country"], json!({ "code": "US" }));
    assert_eq!(r["lead"]["industry"], json!("Software and Internet"));
    assert_eq!(r["lead"]["aws_maturity"], json!("Evaluating"));
    assert_eq!(r["lead"]["market_segment"], json!("Enterprise"));
    let i = &r["lead"]["interaction"];
    assert_eq!(i["source_type"], json!("Campaign"));
    assert_eq!(i["source_id"], json!("CAMP-0001"));
    assert_eq!(i["source_name"], json!("Data modernization webinar 2026"));
    assert_eq!(i["usecase"], json!("Database"));
    assert_eq!(i["contact"]["title"], json!("Head of Data Platform"));
    // The opportunity policy (accept) did not touch the lead: nothing was called to decide it.
    for op in [
        "AcceptEngagementInvitation",
        "StartEngagementByAcceptingInvitationTask",
        "RejectEngagementInvitation",
    ] {
        assert_eq!(calls(&s, op), 0, "{op}");
    }

    // The CRM user accepts it (CRM Referral Decision, crm-outbound under its role):
    // AcceptEngagementInvitation, and the lead.
    let outbound = s.pc_as("crm-outbound");
    let decision = crm_queue::handle_batch(
        &s.outbound_cx_as(&outbound),
        &[(
            "m1".into(),
            json!({ "version": "0", "id": "e1", "detail-type": "CRM Referral Decision",
                "source": "acebridge.crm", "account": "123456789012", "time": "2026-11-30T10:00:00Z",
                "region": "us-east-1", "resources": [],
                "detail": { "invitationId": id, "decision": "accept" } })
            .to_string(),
        )],
    )
    .await;
    assert!(decision.retry.is_empty(), "{decision:?}");
    assert_eq!(calls(&s, "AcceptEngagementInvitation"), 1);
    assert_eq!(calls(&s, "StartEngagementByAcceptingInvitationTask"), 0);
    let engagement = engagement_of(&s, &id);
    let lead = s.record(RecordKind::Lead, &engagement).await;
    let l = &lead.record;
    assert_eq!(l["company"], json!("Example Lead Corp"));
    assert_eq!(l["contact"]["email"], json!("data.lead@lead.example.com"));
    assert_eq!(l["address"]["city"], json!("Seattle"));
    assert_eq!(l["engagement"]["qualification_status"], json!("New"));
    assert_eq!(l["engagement"]["readiness_score"], json!("Medium"));
    assert_eq!(l["engagement"]["invitation_id"], json!(id));
    assert_eq!(
        l["engagement"]["interactions"][0]["business_problem"],
        json!("Move an on-premises database estate to managed services")
    );
}

#[tokio::test]
async fn lead_policies_accept_and_reject_once_apart_from_the_opportunity_policy() {
    // Leads accepted by policy, opportunities left to the CRM.
    let mut s = stack(InvitationPolicy::Accept, InvitationPolicy::Manual).await;
    let id = s.invite(&lead_spec());
    let created = s.emulator.events().last().cloned().unwrap();
    let out = s.deliver().await;
    assert_eq!(out[0]["handled"]["decision"], json!("accept"));
    assert_eq!(out[0]["handled"]["lead"]["done"], json!("accepted"));
    let engagement = engagement_of(&s, &id);
    assert_eq!(
        s.record(RecordKind::Lead, &engagement).await.record["company"],
        json!("Example Lead Corp")
    );
    // A redelivered Invitation Created accepts nothing twice.
    s.handle(&created).await;
    s.handle(&created).await;
    assert_eq!(calls(&s, "AcceptEngagementInvitation"), 1);
    assert_eq!(calls(&s, "StartEngagementByAcceptingInvitationTask"), 0);
    // Its own events (Invitation Accepted, Member Added, Engagement Updated) change nothing.
    s.deliver().await;
    assert_eq!(calls(&s, "AcceptEngagementInvitation"), 1);

    // Leads rejected by policy with a reason in the model's shape.
    let reason =
        acebridge_sync::model::policy::RejectionReason::parse("Unable to support").unwrap();
    let mut r = stack(InvitationPolicy::Reject(reason), InvitationPolicy::Accept).await;
    let id = r.invite(&lead_spec());
    let created = r.emulator.events().last().cloned().unwrap();
    let out = r.deliver().await;
    assert_eq!(out[0]["handled"]["lead"]["done"], json!("rejected"));
    r.handle(&created).await;
    assert_eq!(calls(&r, "RejectEngagementInvitation"), 1);
    r.deliver().await;
    let rec = r.record(RecordKind::Invitation, &id).await;
    assert_eq!(rec.summary.status.as_deref(), Some("REJECTED"));
    assert_eq!(rec.record["rejection_reason"], json!("Unable to support"));
}

fn qualified(status: &str, action: &str) -> Lead {
    let mut lead: Lead = serde_json::from_value(json!({
        "company": "Example Lead Corp",
        "address": { "city": "Bellevue", "country": { "code": "US" } },
        "engagement": { "qualification_status": status, "interactions": [{
            "source_type": "Partner", "source_id": "CRM-L-1", "source_name": "Partner call",
            "customer_action": action, "business_problem": "Wants a migration plan for 40 databases",
            "date": "2026-11-29T15:00:00Z",
            "contact": { "first_name": "Alex", "last_name": "Example", "email": "data.lead@lead.example.com",
                "title": "Head of Data Platform" } }] }
    }))
    .unwrap();
    lead.website = Field::Absent;
    lead
}

#[tokio::test]
async fn a_lead_qualified_in_the_crm_is_updated_in_partner_central_through_a_conflict_and_converted()
 {
    let mut s = stack(InvitationPolicy::Accept, InvitationPolicy::Manual).await;
    let id = s.invite(&lead_spec());
    s.deliver().await;
    s.deliver().await;
    let engagement = engagement_of(&s, &id);

    // AWS changes the lead right after acebridge reads it: the first update conflicts, is read again
    // and applied again, and both changes stand.
    s.emulator.state().race = Some((
        "Sandbox".into(),
        engagement.clone(),
        json!({ "Insights": { "LeadReadinessScore": "High" } }),
    ));
    let outbound = s.pc_as("crm-outbound");
    let change = LeadChanged {
        engagement_id: engagement.clone(),
        lead: Some(Box::new(qualified("Qualified", "Call"))),
        convert: false,
    };
    let done = engagements::push_from_crm(
        &outbound,
        &s.ledger,
        &s.crm,
        acebridge_mapping::Catalog::Sandbox,
        &change,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    assert!(
        matches!(done[0], LeadPushed::Updated { conflicts: 1, .. }),
        "{done:?}"
    );
    assert_eq!(calls(&s, "UpdateEngagementContext"), 2);
    let lead = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(
        lead.record["engagement"]["qualification_status"],
        json!("Qualified")
    );
    assert_eq!(lead.record["engagement"]["readiness_score"], json!("High"));
    assert_eq!(lead.record["address"]["city"], json!("Bellevue"));
    let interactions = lead.record["engagement"]["interactions"]
        .as_array()
        .unwrap();
    assert_eq!(interactions.len(), 2);
    assert_eq!(interactions[1]["customer_action"], json!("Call"));
    // What AWS would refuse is refused before a write, with the model's codes: a new interaction
    // without its contact's email, a qualification status of 256 characters.
    let updates = calls(&s, "UpdateEngagementContext");
    let mut no_email = qualified("Qualified", "Email sent");
    if let Field::Value(list) = &mut no_email.engagement.interactions {
        list[0].contact.email = Field::Absent;
    }
    let too_long = qualified(&"x".repeat(256), "Call");
    for (lead, code) in [
        (no_email, "REQUIRED_FIELD_MISSING"),
        (too_long, "VALUE_OUT_OF_RANGE"),
    ] {
        let done = engagements::update_from_crm(
            &outbound,
            &s.ledger,
            &s.crm,
            acebridge_mapping::Catalog::Sandbox,
            &engagement,
            &lead,
            &acebridge_clock::TestClock::suite().clock(),
        )
        .await
        .unwrap();
        assert!(
            matches!(&done, LeadPushed::Refused { errors } if errors.iter().any(|e| e.contains(code))),
            "{done:?}"
        );
    }
    assert_eq!(calls(&s, "UpdateEngagementContext"), updates);

    // The same change again adds no second interaction (AWS holds it already).
    engagements::push_from_crm(
        &outbound,
        &s.ledger,
        &s.crm,
        acebridge_mapping::Catalog::Sandbox,
        &change,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    let lead = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(
        lead.record["engagement"]["interactions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Convert (CRM Lead Changed with convert) through crm-outbound's handler, twice: one task.
    let body = json!({ "version": "0", "id": "e2", "detail-type": "CRM Lead Changed",
        "source": "acebridge.crm", "account": "123456789012", "time": "2026-11-30T10:05:00Z",
        "region": "us-east-1", "resources": [], "detail": { "engagementId": engagement, "convert": true } })
    .to_string();
    let first =
        crm_queue::handle_batch(&s.outbound_cx_as(&outbound), &[("m2".into(), body.clone())]).await;
    assert!(first.retry.is_empty(), "{first:?}");
    crm_queue::handle_batch(&s.outbound_cx_as(&outbound), &[("m3".into(), body)]).await;
    let tasks = s
        .emulator
        .state()
        .stats
        .calls
        .get("StartOpportunityFromEngagementTask")
        .copied();
    assert_eq!(tasks, Some(2));
    let listed = outbound
        .client()
        .list_opportunity_from_engagement_tasks()
        .catalog("Sandbox")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.task_summaries().len(),
        1,
        "one conversion, however many asks"
    );
    let opportunity = listed.task_summaries()[0]
        .opportunity_id()
        .unwrap()
        .to_string();
    let lead = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(
        lead.record["engagement"]["opportunity_id"],
        json!(opportunity)
    );
    let opp = s.record(RecordKind::Opportunity, &opportunity).await;
    assert_eq!(opp.summary.title.as_deref(), Some("Example Lead Corp"));
    assert_eq!(
        opp.record["project"]["business_problem"],
        json!("Wants a migration plan for 40 databases")
    );
    // The lead keeps its link through later AWS changes.
    s.deliver().await;
    let lead = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(
        lead.record["engagement"]["opportunity_id"],
        json!(opportunity)
    );
}

#[tokio::test]
async fn aws_side_lead_changes_arrive_by_event_and_by_reconcile_and_old_events_change_nothing() {
    let mut s = stack(InvitationPolicy::Accept, InvitationPolicy::Manual).await;
    let id = s.invite(&lead_spec());
    s.deliver().await;
    s.deliver().await;
    let engagement = engagement_of(&s, &id);

    // AWS scores the lead: Engagement Updated → the CRM has it.
    s.emulator
        .state()
        .aws_engagement_update(
            "Sandbox",
            &engagement,
            &json!({ "Insights": { "LeadReadinessScore": "High" } }),
        )
        .unwrap();
    let older = s.emulator.events().last().cloned().unwrap();
    s.deliver().await;
    let lead = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(lead.record["engagement"]["readiness_score"], json!("High"));

    // A later change whose event is lost: the reconcile brings it, reading only that lead.
    s.emulator
        .state()
        .aws_engagement_update(
            "Sandbox",
            &engagement,
            &json!({ "QualificationStatus": "Nurturing" }),
        )
        .unwrap();
    s.skip_events();
    let reads = calls(&s, "GetEngagement");
    let report = engagements::reconcile_leads(
        &s.pc,
        &s.ledger,
        &s.crm,
        acebridge_mapping::Catalog::Sandbox,
        || true,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    assert_eq!((report.listed, report.written), (1, 1), "{report:?}");
    assert_eq!(calls(&s, "GetEngagement"), reads + 1);
    let lead = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(
        lead.record["engagement"]["qualification_status"],
        json!("Nurturing")
    );

    // Steady state: a second reconcile lists and reads nothing.
    let report = engagements::reconcile_leads(
        &s.pc,
        &s.ledger,
        &s.crm,
        acebridge_mapping::Catalog::Sandbox,
        || true,
        &acebridge_clock::TestClock::suite().clock(),
    )
    .await
    .unwrap();
    assert_eq!((report.unread, report.written), (1, 0), "{report:?}");
    assert_eq!(calls(&s, "GetEngagement"), reads + 1);

    // The older event delivered late (twice): no read, nothing changes.
    let before = s.record(RecordKind::Lead, &engagement).await;
    s.handle(&older).await;
    s.handle(&older).await;
    assert_eq!(calls(&s, "GetEngagement"), reads + 1);
    let after = s.record(RecordKind::Lead, &engagement).await;
    assert_eq!(before.record, after.record);
    assert_eq!(
        after.record["engagement"]["qualification_status"],
        json!("Nurturing")
    );
    assert_eq!(s.emulator.model_violations(), 0);
}

/// An S3 lead as AWS sends it once the partner accepted it (the aws-samples outbound lead, with the
/// company and the contact's email unmasked), through the ingest's path: parsed by the ACE reader,
/// canonical, applied.
async fn s3_lead(s: &PcStack, lmd: &str) -> String {
    match apply_s3_lead(s, lmd).await {
        acebridge_sync::apply::Applied::Written { crm_id, .. } => crm_id,
        other => panic!("{other:?}"),
    }
}

/// [`s3_lead`]'s record applied, whatever becomes of it.
async fn apply_s3_lead(s: &PcStack, lmd: &str) -> acebridge_sync::apply::Applied {
    let mut file = common::sample_lead_file("L1234567");
    let l = &mut file["leads"][0];
    l["company"] = json!("EXAMPLE LEAD CORP.");
    l["email"] = json!("Data.Lead@lead.example.com");
    l["lastModifiedDate"] = json!(lmd);
    let acebridge_mapping::ace::AceFile::Leads(f) =
        acebridge_mapping::ace::parse(&serde_json::to_vec(&file).unwrap()).unwrap()
    else {
        panic!("a lead file")
    };
    let lead = f.records[0].as_ref().unwrap().to_canonical().unwrap();
    let record = acebridge_sync::model::record::SyncRecord::from(lead);
    acebridge_sync::apply::apply_record(
        &s.ledger,
        &s.crm,
        acebridge_mapping::Catalog::Sandbox,
        &record,
        "lead-outbound/leads.json",
        &s.clock.clock(),
        acebridge_sync::metrics::Channel::S3,
    )
    .await
    .unwrap()
    .unwrap()
}

async fn crm_leads(s: &PcStack) -> Vec<acebridge_sync::ports::crm::CrmRecord> {
    s.crm
        .all()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == RecordKind::Lead)
        .collect()
}

#[tokio::test]
async fn an_s3_lead_and_the_same_lead_over_the_api_end_as_one_crm_lead_in_either_order() {
    // S3 first, then the API.
    let mut s = stack(InvitationPolicy::Accept, InvitationPolicy::Manual).await;
    let crm_id = s3_lead(&s, "2026-11-01T10:00:00Z").await;
    let id = s.invite(&lead_spec());
    s.deliver().await;
    s.deliver().await;
    let engagement = engagement_of(&s, &id);
    let leads = crm_leads(&s).await;
    assert_eq!(leads.len(), 1, "{leads:?}");
    assert_eq!(leads[0].crm_id, crm_id);
    assert_eq!(leads[0].record["id"], json!("L1234567"));
    assert_eq!(
        leads[0].record["engagement"]["engagement_id"],
        json!(engagement)
    );
    // Both AWS ids lead to the one record.
    for ace in ["L1234567", engagement.as_str()] {
        let key = acebridge_sync::ports::ledger::RecordKey::ace(
            RecordKind::Lead,
            acebridge_mapping::Catalog::Sandbox,
            ace,
        );
        let entry = acebridge_sync::ports::ledger::Ledger::get(&s.ledger, &key)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.crm_id.as_deref(), Some(crm_id.as_str()), "{ace}");
    }

    // The API first, then S3.
    let mut t = stack(InvitationPolicy::Accept, InvitationPolicy::Manual).await;
    t.invite(&lead_spec());
    t.deliver().await;
    let api = crm_leads(&t).await;
    assert_eq!(api.len(), 1);
    let crm_id = s3_lead(&t, "2026-12-01T10:00:00Z").await;
    assert_eq!(crm_id, api[0].crm_id);
    assert_eq!(crm_leads(&t).await.len(), 1);

    // Two S3 leads are AWS's two leads, even with the same contact: never merged.
    let other = {
        let mut file = common::sample_lead_file("L7654321");
        let l = &mut file["leads"][0];
        l["company"] = json!("Example Lead Corp");
        l["email"] = json!("data.lead@lead.example.com");
        file
    };
    let acebridge_mapping::ace::AceFile::Leads(f) =
        acebridge_mapping::ace::parse(&serde_json::to_vec(&other).unwrap()).unwrap()
    else {
        panic!()
    };
    let record = acebridge_sync::model::record::SyncRecord::from(
        f.records[0].as_ref().unwrap().to_canonical().unwrap(),
    );
    acebridge_sync::apply::apply_record(
        &t.ledger,
        &t.crm,
        acebridge_mapping::Catalog::Sandbox,
        &record,
        "lead-outbound/other.json",
        &acebridge_clock::TestClock::suite().clock(),
        acebridge_sync::metrics::Channel::S3,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(crm_leads(&t).await.len(), 2);
}

/// The CRM id the ledger links AWS lead id `ace` to.
async fn linked_to(s: &PcStack, ace: &str) -> Option<String> {
    let key = acebridge_sync::ports::ledger::RecordKey::ace(
        RecordKind::Lead,
        acebridge_mapping::Catalog::Sandbox,
        ace,
    );
    acebridge_sync::ports::ledger::Ledger::get(&s.ledger, &key)
        .await
        .unwrap()
        .and_then(|e| e.crm_id)
}

/// The linking rule (docs/reliability.md): whichever channel's copy of a lead arrives first and whichever
/// is newer, the CRM has one lead, both AWS ids (`L…` of the S3 file, `eng-…` of the API) are linked to
/// it, the newer copy's data is what it holds, and a later S3 update of the lead lands on the same record.
/// The API copy is stamped by the emulator with the stack's clock; the S3 copy's `lastModifiedDate` is a
/// day before or after it.
#[tokio::test]
async fn a_lead_from_both_channels_is_one_crm_lead_in_all_four_orders_and_the_newer_copy_wins() {
    use chrono::TimeZone;
    let t0 = chrono::Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    let at = |days: i64| (t0 + chrono::Duration::days(days)).to_rfc3339();
    // The S3 file writes the company as "EXAMPLE LEAD CORP."; AWS's API as "Example Lead Corp".
    let s3_company = json!("EXAMPLE LEAD CORP.");
    for (s3_first, s3_newer) in [(true, true), (true, false), (false, true), (false, false)] {
        let case = format!("S3 first: {s3_first}, S3 newer: {s3_newer}");
        let clock = acebridge_clock::TestClock::running_from(t0);
        let mut s =
            common::pc_stack_on("partner-central-events", InvitationPolicy::Manual, clock).await;
        s.lead_policy = InvitationPolicy::Accept;
        let s3_lmd = at(if s3_newer { 1 } else { -1 });
        let mut engagement = String::new();
        for step in 0..2 {
            if (step == 0) == s3_first {
                let applied = apply_s3_lead(&s, &s3_lmd).await;
                // The S3 copy is written unless the API's newer copy is already in the CRM.
                let written = matches!(applied, acebridge_sync::apply::Applied::Written { .. });
                assert_eq!(written, s3_first || s3_newer, "{case}: {applied:?}");
            } else {
                let id = s.invite(&lead_spec());
                s.deliver().await;
                s.deliver().await;
                engagement = engagement_of(&s, &id);
            }
        }
        let leads = crm_leads(&s).await;
        assert_eq!(leads.len(), 1, "{case}: {leads:?}");
        let lead = &leads[0];
        assert_eq!(
            lead.record["company"] == s3_company,
            s3_newer,
            "{case}: the newer copy's data is kept: {}",
            lead.record
        );
        for ace in ["L1234567", engagement.as_str()] {
            assert_eq!(
                linked_to(&s, ace).await.as_deref(),
                Some(lead.crm_id.as_str()),
                "{case}: {ace} linked"
            );
        }
        // A later S3 update of the same lead: onto the same record, never a second lead.
        let later = apply_s3_lead(&s, &at(2)).await;
        assert_eq!(
            later,
            acebridge_sync::apply::Applied::Written {
                crm_id: lead.crm_id.clone(),
                new_referral: false
            },
            "{case}"
        );
        let leads = crm_leads(&s).await;
        assert_eq!(leads.len(), 1, "{case}: {leads:?}");
        assert_eq!(leads[0].record["company"], s3_company, "{case}");
    }
}
