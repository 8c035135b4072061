//! A record's timeline (`LedgerEntry::history`): every step the sync takes with a record is kept on its
//! ledger entry with the fields it changed, through the real paths (SDK client on the emulator, ledger and
//! CRM store on moto); an API refusal shows with the failures, with a fix hint, until a change goes through.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::crm_side::outbound::{OpportunityChanged, Pushed, push_opportunity};
use acebridge_sync::model::history::{Step, StepKind};
use acebridge_sync::operations;
use acebridge_sync::partner_central::Submission;
use acebridge_sync::partner_central::validation::fix_hint;
use common::{PcStack, crm_opportunity, opportunity_change, outbound_stack};
use serde_json::{Value, json};

async fn stack(crm_id: &str, opportunity: &Value) -> PcStack {
    let s = outbound_stack().await;
    s.in_crm(crm_id, opportunity).await;
    s
}

async fn push(s: &PcStack, c: &OpportunityChanged) -> Pushed {
    push_opportunity(
        &s.pc,
        &s.ledger,
        &s.crm,
        Catalog::Sandbox,
        c,
        &s.clock.clock(),
    )
    .await
    .unwrap()
}

/// The change of `field` in `step`, as (from, to).
fn changed<'a>(step: &'a Step, field: &str) -> Option<(Option<&'a str>, Option<&'a str>)> {
    step.changes
        .iter()
        .find(|c| c.field == field)
        .map(|c| (c.from.as_deref(), c.to.as_deref()))
}

#[tokio::test]
async fn each_write_to_aws_and_each_aws_version_is_a_step_with_its_field_changes() {
    let opp = crm_opportunity("Timeline");
    let mut s = stack("OP-TL", &opp).await;
    let Pushed::Created { id, .. } = push(&s, &opportunity_change("OP-TL", opp.clone())).await
    else {
        panic!("not created")
    };
    let e = s.opportunity_entry(&id).await;
    let created = e.history.last().unwrap();
    assert_eq!(created.kind, StepKind::CrmToAws);
    assert_eq!(created.source.as_deref(), Some("CreateOpportunity"));
    assert!(created.ok);
    assert_eq!(
        changed(created, "project.title"),
        Some((None, Some("Timeline")))
    );

    // An update names the fields it changed on AWS's side, from AWS's value to the CRM's.
    let mut qualified = opp.clone();
    qualified["life_cycle"]["stage"] = json!("Qualified");
    let Pushed::Updated { .. } = push(&s, &opportunity_change("OP-TL", qualified.clone())).await
    else {
        panic!("not updated")
    };
    let e = s.opportunity_entry(&id).await;
    let updated = e.history.last().unwrap();
    assert_eq!(updated.source.as_deref(), Some("UpdateOpportunity"));
    assert_eq!(
        changed(updated, "life_cycle.stage"),
        Some((Some("Prospect"), Some("Qualified"))),
        "{:?}",
        updated.changes
    );
    assert!(
        updated
            .changes
            .iter()
            .all(|c| c.field.starts_with("life_cycle.stage")),
        "only the stage changed: {:?}",
        updated.changes
    );

    // A refusal (here our pre-flight: a target close date in the past) is a failed step, the record
    // shows with the failures with its fix hint, and nothing was sent.
    let mut past = qualified.clone();
    past["life_cycle"]["target_close_date"] = json!("2001-01-01");
    let Pushed::Refused { errors } = push(&s, &opportunity_change("OP-TL", past)).await else {
        panic!("not refused")
    };
    let e = s.opportunity_entry(&id).await;
    let refused = e.history.last().unwrap();
    assert!(!refused.ok);
    assert_eq!(
        refused.source.as_deref(),
        Some("pre-flight check (not sent)")
    );
    assert_eq!(refused.errors, errors);
    assert_eq!(
        changed(refused, "life_cycle.target_close_date").and_then(|c| c.1),
        Some("2001-01-01")
    );
    assert!(e.has_failed());
    let attention = operations::needs_attention(&s.ledger).await.unwrap();
    let failed = attention.iter().find(|f| f.key == e.key).unwrap();
    assert!(
        fix_hint(&failed.failure_reason()).is_some(),
        "{}",
        failed.failure_reason()
    );

    // The CRM fixes the date: the update goes through and the record no longer needs attention.
    let mut fixed = qualified.clone();
    fixed["life_cycle"]["next_steps"] = json!("Workshop booked");
    let Pushed::Updated { .. } = push(&s, &opportunity_change("OP-TL", fixed)).await else {
        panic!("not updated")
    };
    assert!(!s.opportunity_entry(&id).await.has_failed());

    // AWS changes the opportunity: its first version written to the CRM sets every field, the next
    // names only what AWS changed.
    s.skip_events();
    s.emulator
        .state()
        .aws_update(
            "Sandbox",
            &id,
            &json!({ "LifeCycle": { "NextSteps": "AWS call" } }),
        )
        .unwrap();
    s.deliver().await;
    s.emulator
        .state()
        .aws_update(
            "Sandbox",
            &id,
            &json!({ "LifeCycle": { "NextSteps": "AWS call on Friday" } }),
        )
        .unwrap();
    s.deliver().await;
    let e = s.opportunity_entry(&id).await;
    let from_aws: Vec<&Step> = e
        .history
        .iter()
        .filter(|h| h.kind == StepKind::AwsToCrm)
        .collect();
    assert_eq!(from_aws.len(), 2, "{:?}", e.history);
    assert!(
        from_aws[0].changes.len() > 5,
        "a first version sets every field"
    );
    let last = from_aws[1];
    assert!(last.ok);
    let next: Vec<_> = last
        .changes
        .iter()
        .filter(|c| c.field.contains("next_step"))
        .collect();
    assert_eq!(next.len(), 1, "{:?}", last.changes);
    assert_eq!(next[0].from.as_deref(), Some("AWS call"));
    assert_eq!(next[0].to.as_deref(), Some("AWS call on Friday"));
    // Oldest first, on the stack's clock.
    assert!(e.history.windows(2).all(|w| w[0].at <= w[1].at));
}

#[tokio::test]
async fn held_changes_and_their_drop_are_steps() {
    let opp = crm_opportunity("Held timeline");
    let s = stack("OP-TH", &opp).await;
    let mut c = opportunity_change("OP-TH", opp.clone());
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
        panic!("not submitted")
    };
    let mut moved = opp.clone();
    moved["life_cycle"]["stage"] = json!("Business Validation");
    let Pushed::Held { .. } = push(&s, &opportunity_change("OP-TH", moved)).await else {
        panic!("not held")
    };
    let e = s.opportunity_entry(&id).await;
    let held = e.history.iter().find(|h| h.kind == StepKind::Held).unwrap();
    assert_eq!(
        changed(held, "life_cycle.stage"),
        Some((None, Some("Business Validation")))
    );
    assert!(e.history.iter().any(|h| h.summary == "Submitted to AWS"));

    assert!(
        operations::drop_held(&s.ledger, Catalog::Sandbox, &id, &s.clock.clock())
            .await
            .unwrap()
    );
    let e = s.opportunity_entry(&id).await;
    let dropped = e.history.last().unwrap();
    assert_eq!(dropped.kind, StepKind::Dropped);
    assert_eq!(
        changed(dropped, "life_cycle.stage").and_then(|c| c.1),
        Some("Business Validation")
    );
    assert!(e.held.is_none());
}
