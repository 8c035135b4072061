//! The ingest function's logic on the local stack: real S3 and DynamoDB adapters against moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::model::record::{RecordKind, SyncRecord};
use acebridge_sync::ports::crm::Crm;
use acebridge_sync::ports::ledger::{FileStatus, Ledger, RecordKey, RecordStatus};
use acebridge_sync::s3_exchange::ingest::{FileOutcome, error_report_key};
use common::{opportunity_file, sample_opportunity, stack};
use serde_json::json;

const MASK: &str = "Accept to View";

/// An AWS referral as AWS first sends it: no CRM id, customer contact masked.
fn referral(id: &str, modified: &str, masked: bool) -> serde_json::Value {
    let mut r = sample_opportunity();
    r["apnCrmUniqueIdentifier"] = json!(id);
    r["partnerCrmUniqueIdentifier"] = json!(null);
    r["opportunityOwnership"] = json!("AWS Referral");
    r["lastModifiedDate"] = json!(modified);
    r["acceptBy"] = json!("2026-12-01T17:00:00.000Z");
    for (field, real) in [
        ("customerFirstName", "Maria"),
        ("customerLastName", "Garcia"),
        ("customerEmail", "maria.garcia@example.com"),
        ("customerPhone", "+12065550100"),
        ("customerTitle", "CTO"),
    ] {
        r[field] = json!(if masked { MASK } else { real });
    }
    r
}

fn processed(outcome: &FileOutcome) -> &acebridge_sync::ports::ledger::FileCounts {
    match outcome {
        FileOutcome::Processed(c) => c,
        other => panic!("expected processed, got {other:?}"),
    }
}

#[tokio::test]
async fn an_aws_referral_arriving_masked_then_unmasked_ends_with_the_real_contact() {
    let s = stack().await;
    let first = s
        .land_and_ingest(
            "opportunity-outbound/ref-1.json",
            &opportunity_file(vec![referral("O9000001", "2026-11-20T10:00:00.000Z", true)]),
        )
        .await;
    let c = processed(&first);
    assert_eq!((c.applied, c.new_referrals), (1, 1));
    let rec = s.record(RecordKind::Opportunity, "O9000001").await;
    assert_eq!(
        rec.record["customer"]["contacts"][0]["email"],
        json!({"masked": true})
    );
    assert_eq!(
        rec.accept_by.unwrap().to_rfc3339(),
        "2026-12-01T17:00:00+00:00"
    );
    assert_eq!(rec.summary.origin.as_deref(), Some("AWS Referral"));

    let second = s
        .land_and_ingest(
            "opportunity-outbound/ref-2.json",
            &opportunity_file(vec![referral(
                "O9000001",
                "2026-11-20T11:00:00.000Z",
                false,
            )]),
        )
        .await;
    let c = processed(&second);
    assert_eq!((c.applied, c.new_referrals), (1, 0));
    let rec = s.by_crm_id(&rec.crm_id).await;
    assert_eq!(
        rec.record["customer"]["contacts"][0]["email"],
        json!("maria.garcia@example.com")
    );

    // A later masked copy (AWS re-exports before acceptance registers) never hides the real values.
    s.land_and_ingest(
        "opportunity-outbound/ref-3.json",
        &opportunity_file(vec![referral("O9000001", "2026-11-20T12:00:00.000Z", true)]),
    )
    .await;
    let rec = s.by_crm_id(&rec.crm_id).await;
    assert_eq!(
        rec.record["customer"]["contacts"][0]["email"],
        json!("maria.garcia@example.com")
    );
    assert_eq!(
        rec.record["customer"]["contacts"][0]["phone"],
        json!("+12065550100")
    );
    let entry = s
        .ledger
        .get(&RecordKey::ace(
            RecordKind::Opportunity,
            Catalog::Sandbox,
            "O9000001",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.status, Some(RecordStatus::Synced));
    assert_eq!(entry.crm_id.as_deref(), Some(rec.crm_id.as_str()));
    assert_eq!(
        entry.source.as_deref(),
        Some("opportunity-outbound/ref-3.json")
    );
}

#[tokio::test]
async fn an_update_older_than_the_stored_version_is_skipped_and_counted() {
    let s = stack().await;
    let mut newer = referral("O9000002", "2026-11-20T12:00:00.000Z", false);
    newer["partnerProjectTitle"] = json!("Newer title");
    s.land_and_ingest(
        "opportunity-outbound/new.json",
        &opportunity_file(vec![newer]),
    )
    .await;
    let mut older = referral("O9000002", "2026-11-20T09:00:00.000Z", false);
    older["partnerProjectTitle"] = json!("Older title");
    let out = s
        .land_and_ingest(
            "opportunity-outbound/old.json",
            &opportunity_file(vec![older]),
        )
        .await;
    let c = processed(&out);
    assert_eq!((c.applied, c.stale), (0, 1));
    let rec = s.record(RecordKind::Opportunity, "O9000002").await;
    assert_eq!(rec.summary.title.as_deref(), Some("Newer title"));
    assert_eq!(
        rec.aws_last_modified.unwrap().to_rfc3339(),
        "2026-11-20T12:00:00+00:00"
    );
}

#[tokio::test]
async fn the_same_file_delivered_twice_changes_nothing_the_second_time() {
    let s = stack().await;
    let key = "opportunity-outbound/twice.json";
    let body = opportunity_file(vec![referral(
        "O9000003",
        "2026-11-20T10:00:00.000Z",
        false,
    )]);
    let etag = s.put_landing(key, &body).await;
    let event = [(key, etag.as_str(), body.len() as u64)];
    let first = s.ingest_event(&event).await;
    assert_eq!(processed(&first[0]).applied, 1);
    let key_of = RecordKey::ace(RecordKind::Opportunity, Catalog::Sandbox, "O9000003");
    let entry = s.ledger.get(&key_of).await.unwrap().unwrap();
    let rec = s.record(RecordKind::Opportunity, "O9000003").await;

    // The notification again (S3 delivers at least once).
    let again = s.ingest_event(&event).await;
    assert_eq!(again[0], FileOutcome::AlreadyProcessed);
    // The same bytes landed again (a replay by copy): every record is a duplicate.
    let replay = s.land_and_ingest(key, &body).await;
    let c = processed(&replay);
    assert_eq!((c.applied, c.duplicate), (0, 1));

    assert_eq!(s.ledger.get(&key_of).await.unwrap().unwrap(), entry);
    assert_eq!(s.by_crm_id(&rec.crm_id).await, rec);
}

#[tokio::test]
async fn a_file_of_50_records_is_fully_applied_and_moved_to_processed() {
    let s = stack().await;
    let records = (0..50)
        .map(|i| {
            referral(
                &format!("O91{i:05}"),
                "2026-11-20T10:00:00.000Z",
                i % 2 == 0,
            )
        })
        .collect();
    let out = s
        .land_and_ingest(
            "opportunity-outbound/fifty.json",
            &opportunity_file(records),
        )
        .await;
    let c = processed(&out);
    assert_eq!(
        (c.records, c.applied, c.new_referrals, c.failed),
        (50, 50, 50, 0)
    );
    assert_eq!(s.crm.all().await.unwrap().len(), 50);
    assert_eq!(s.ledger.records().await.unwrap().len(), 50);
    assert!(s.landing_keys("opportunity-outbound/").await.is_empty());
    assert_eq!(
        s.landing_keys("processed/").await,
        vec!["processed/opportunity-outbound/fifty.json"]
    );
    assert!(s.landing_keys("failed/").await.is_empty());
}

#[tokio::test]
async fn a_malformed_file_is_quarantined_with_a_readable_reason_and_nothing_else_is_affected() {
    let s = stack().await;
    let good = opportunity_file(vec![referral(
        "O9000004",
        "2026-11-20T10:00:00.000Z",
        false,
    )]);
    let bad = br#"[{"apnCrmUniqueIdentifier": "O1"}]"#.to_vec();
    let too_many = opportunity_file(
        (0..51)
            .map(|i| referral(&format!("O92{i:05}"), "2026-11-20T10:00:00.000Z", false))
            .collect(),
    );
    let files = [
        ("opportunity-outbound/good.json", good),
        ("opportunity-outbound/broken file.json", bad),
        ("lead-outbound/too-many.json", too_many),
    ];
    let mut event = Vec::new();
    for (key, body) in &files {
        event.push((*key, s.put_landing(key, body).await, body.len() as u64));
    }
    let event: Vec<(&str, &str, u64)> =
        event.iter().map(|(k, e, n)| (*k, e.as_str(), *n)).collect();
    let out = s.ingest_event(&event).await;

    assert_eq!(processed(&out[0]).applied, 1);
    match &out[1] {
        FileOutcome::Quarantined(reason) => assert!(reason.contains("not an object"), "{reason}"),
        other => panic!("{other:?}"),
    }
    match &out[2] {
        FileOutcome::Quarantined(reason) => assert!(reason.contains("51 records"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let why = s
        .landing_json("quarantine/opportunity-outbound/broken file.json.reason.json")
        .await;
    assert_eq!(why["file"], json!("opportunity-outbound/broken file.json"));
    assert!(
        why["reason"]
            .as_str()
            .unwrap()
            .contains("is not of type 'object'")
    );
    let mut quarantined = s.landing_keys("quarantine/").await;
    quarantined.sort();
    assert_eq!(quarantined.len(), 4);
    assert!(s.landing_keys("opportunity-outbound/").await.is_empty());
    assert_eq!(s.crm.all().await.unwrap().len(), 1);
    let files = s.ledger.files().await.unwrap();
    assert_eq!(
        files
            .iter()
            .filter(|f| f.status == FileStatus::Quarantined)
            .count(),
        2
    );
    assert_eq!(
        files
            .iter()
            .filter(|f| f.status == FileStatus::Done)
            .count(),
        1
    );
}

#[tokio::test]
async fn a_bad_record_is_reported_with_its_field_and_kept_for_replay_while_the_others_apply() {
    let s = stack().await;
    let mut bad_date = referral("O9000006", "2026-11-20T10:00:00.000Z", false);
    bad_date["targetCloseDate"] = json!("next tuesday");
    let mut no_id = referral("O9000007", "2026-11-20T10:00:00.000Z", false);
    no_id["apnCrmUniqueIdentifier"] = json!(null);
    let good = referral("O9000005", "2026-11-20T10:00:00.000Z", false);
    let out = s
        .land_and_ingest(
            "opportunity-outbound/mixed.json",
            &opportunity_file(vec![good, bad_date, no_id]),
        )
        .await;
    let c = processed(&out);
    assert_eq!((c.applied, c.failed), (1, 2));
    let report = s
        .landing_json(&error_report_key("opportunity-outbound/mixed.json"))
        .await;
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed[0]["index"], json!(1));
    assert_eq!(failed[0]["id"], json!("O9000006"));
    assert_eq!(failed[0]["field"], json!("targetCloseDate"));
    assert_eq!(
        failed[0]["record"]["targetCloseDate"],
        json!("next tuesday")
    );
    assert_eq!(failed[1]["index"], json!(2));
    assert_eq!(failed[1]["field"], json!("apnCrmUniqueIdentifier"));
    assert_eq!(report["records_key"], json!("opportunities"));
}

#[tokio::test]
async fn a_results_file_updates_the_ledger_and_crm_status_of_exactly_the_right_records() {
    let s = stack().await;
    // Three partner opportunities in the CRM, as AWS knows them (one still without an AWS id).
    let mut known = Vec::new();
    for (ace, crm) in [
        ("O9100001", "OP-1"),
        ("O9100002", "OP-2"),
        ("O9100003", "OP-3"),
    ] {
        let mut r = sample_opportunity();
        r["apnCrmUniqueIdentifier"] = json!(ace);
        r["partnerCrmUniqueIdentifier"] = json!(crm);
        r["lastModifiedDate"] = json!("2026-11-19T10:00:00.000Z");
        known.push(r);
    }
    s.land_and_ingest("opportunity-outbound/po.json", &opportunity_file(known))
        .await;

    let results = json!({
        "success": "PARTIAL", "spmsId": "1588143", "isApiError": false,
        "fileName": "opportunity-inbound/crm_11222026101500.json",
        "fileApnProcessedDT": "2026-11-22T10:16:00.000Z", "apiErrors": null,
        "inboundApiResults": [
            {"partnerCrmUniqueIdentifier": "OP-1", "apnCrmUniqueIdentifier": "O9100001",
             "isSuccess": true, "errors": null, "warnings": null},
            {"partnerCrmUniqueIdentifier": "OP-2", "apnCrmUniqueIdentifier": "O9100002",
             "isSuccess": false, "errors": ["Record not editable"], "warnings": null},
            {"partnerCrmUniqueIdentifier": "OP-404", "apnCrmUniqueIdentifier": null,
             "isSuccess": false, "errors": ["Required: Use Case"], "warnings": null},
            {"partnerCrmUniqueIdentifier": "OP-405", "apnCrmUniqueIdentifier": "O9100405",
             "isSuccess": true, "errors": null, "warnings": null}
        ]
    });
    let out = s
        .land_and_ingest(
            "opportunity-inbound-processed-results/crm_11222026101500_result.json",
            &serde_json::to_vec(&results).unwrap(),
        )
        .await;
    let c = processed(&out);
    assert_eq!((c.records, c.results, c.failed), (4, 2, 2));

    let ok = s.by_crm_id("OP-1").await;
    let sync = ok.aws_sync.unwrap();
    assert!(sync.success && sync.errors.is_empty());
    let refused = s.by_crm_id("OP-2").await;
    assert_eq!(
        refused.aws_sync.unwrap().errors,
        vec!["Record not editable"]
    );
    let untouched = s.by_crm_id("OP-3").await;
    assert!(untouched.aws_sync.is_none());

    let entry = |id: &'static str| {
        let ledger = &s.ledger;
        async move {
            ledger
                .get(&RecordKey::ace(
                    RecordKind::Opportunity,
                    Catalog::Sandbox,
                    id,
                ))
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert!(entry("O9100001").await.aws_result.unwrap().success);
    assert_eq!(
        entry("O9100002").await.aws_result.unwrap().errors,
        vec!["Record not editable"]
    );
    assert!(entry("O9100003").await.aws_result.is_none());
    // And the partner's rules hear about it: one event per result, errors included.
    let published = s.published().await;
    let kinds: Vec<(&str, &str)> = published
        .iter()
        .map(|e| {
            (
                e["detail-type"].as_str().unwrap(),
                e["detail"]["crmId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("ACE Sync Succeeded", "OP-1"),
            ("ACE Sync Failed", "OP-2"),
            ("ACE Sync Failed", "OP-404"),
            // AWS accepted it, but no CRM record holds it: never reported as a success.
            ("ACE Sync Failed", "OP-405")
        ]
    );
    assert!(
        published[3]["detail"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("OP-405"),
        "{published:?}"
    );
    assert_eq!(
        published[1]["detail"]["errors"],
        json!(["Record not editable"])
    );
    // The result for a record the CRM does not hold is kept, with its reason.
    let report = s
        .landing_json(&error_report_key(
            "opportunity-inbound-processed-results/crm_11222026101500_result.json",
        ))
        .await;
    assert_eq!(report["failed"][0]["id"], json!("OP-404"));
    assert!(
        report["failed"][0]["message"]
            .as_str()
            .unwrap()
            .contains("OP-404")
    );
}

#[tokio::test]
async fn a_create_result_stores_the_id_aws_assigned_on_the_crm_record_and_moves_the_ledger_entry() {
    let s = stack().await;
    // A partner opportunity sent to AWS: the CRM holds it, the ledger knows it by CRM id only.
    let mut r = sample_opportunity();
    r["apnCrmUniqueIdentifier"] = json!(null);
    r["partnerCrmUniqueIdentifier"] = json!("OP-NEW");
    let wire: acebridge_mapping::ace::AceOpportunity = serde_json::from_value(r).unwrap();
    let record = SyncRecord::from(wire.to_canonical().unwrap());
    s.crm
        .upsert(
            Catalog::Sandbox,
            &record,
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .unwrap();
    let pending = RecordKey::crm(RecordKind::Opportunity, Catalog::Sandbox, "OP-NEW");
    let mut entry = acebridge_sync::ports::ledger::LedgerEntry::new(
        pending.clone(),
        acebridge_clock::TestClock::suite().now(),
    );
    entry.revision = 1;
    assert!(s.ledger.put(&entry, None).await.unwrap().is_ok());

    let results = json!({"success": "ALL", "isApiError": false, "inboundApiResults": [
        {"partnerCrmUniqueIdentifier": "OP-NEW", "apnCrmUniqueIdentifier": "O7777777", "isSuccess": true}
    ]});
    s.land_and_ingest(
        "opportunity-inbound-processed-results/new_result.json",
        &serde_json::to_vec(&results).unwrap(),
    )
    .await;
    let rec = s.by_crm_id("OP-NEW").await;
    assert_eq!(rec.ace_id.as_deref(), Some("O7777777"));
    assert!(s.ledger.get(&pending).await.unwrap().is_none());
    let moved = s
        .ledger
        .get(&RecordKey::ace(
            RecordKind::Opportunity,
            Catalog::Sandbox,
            "O7777777",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.crm_id.as_deref(), Some("OP-NEW"));
    assert_eq!(
        s.ledger
            .find_by_crm_id(RecordKind::Opportunity, Catalog::Sandbox, "OP-NEW")
            .await
            .unwrap()
            .len(),
        1,
        "the GSI finds the one entry of OP-NEW"
    );
}

#[tokio::test]
async fn concurrent_deliveries_of_two_versions_end_at_the_newer_one() {
    let s = stack().await;
    for round in 0..5 {
        let id = format!("O95{round:05}");
        let mut old = referral(&id, "2026-11-20T10:00:00.000Z", false);
        old["partnerProjectTitle"] = json!("old");
        let mut new = referral(&id, "2026-11-20T11:00:00.000Z", false);
        new["partnerProjectTitle"] = json!("new");
        let (a, b) = (
            format!("opportunity-outbound/{id}-a.json"),
            format!("opportunity-outbound/{id}-b.json"),
        );
        let (fa, fb) = (opportunity_file(vec![old]), opportunity_file(vec![new]));
        let ea = s.put_landing(&a, &fa).await;
        let eb = s.put_landing(&b, &fb).await;
        let ev_a = [(a.as_str(), ea.as_str(), fa.len() as u64)];
        let ev_b = [(b.as_str(), eb.as_str(), fb.len() as u64)];
        tokio::join!(s.ingest_event(&ev_a), s.ingest_event(&ev_b));
        let rec = s.record(RecordKind::Opportunity, &id).await;
        assert_eq!(rec.summary.title.as_deref(), Some("new"), "round {round}");
        let e = s
            .ledger
            .get(&RecordKey::ace(
                RecordKind::Opportunity,
                Catalog::Sandbox,
                &id,
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.status, Some(RecordStatus::Synced));
        assert_eq!(
            e.version.unwrap().aws_last_modified.unwrap().to_rfc3339(),
            "2026-11-20T11:00:00+00:00"
        );
    }
}

#[tokio::test]
async fn a_failed_record_is_replayed_from_its_report_and_a_quarantined_file_is_put_back() {
    use acebridge_sync::s3_exchange::replay::{ReplayError, replay};
    let s = stack().await;
    let mut bad = referral("O9000008", "2026-11-20T10:00:00.000Z", false);
    bad["targetCloseDate"] = json!("2026-02-30");
    let good = referral("O9000009", "2026-11-20T10:00:00.000Z", false);
    s.land_and_ingest(
        "opportunity-outbound/r.json",
        &opportunity_file(vec![good, bad]),
    )
    .await;
    let report_key = error_report_key("opportunity-outbound/r.json");

    let err = replay(
        &s.landing,
        &report_key,
        &[0],
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, ReplayError::NoSuchRecord { index: 0, .. }),
        "{err}"
    );
    // Replayed as is, the record fails again, with the same reason: nothing is lost either way.
    let again = replay(
        &s.landing,
        &report_key,
        &[1],
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    assert!(again.key.starts_with("opportunity-outbound/replay-"));
    let body = s.landing_json(&again.key).await;
    assert_eq!(
        body["opportunities"][0]["apnCrmUniqueIdentifier"],
        json!("O9000008")
    );
    assert_eq!(body["version"], json!("2.0"));
    let out = s
        .ingest_event(&[(again.key.as_str(), again.etag.as_str(), again.size)])
        .await;
    assert_eq!(processed(&out[0]).failed, 1);

    // A quarantined file goes back to its folder and is read again.
    s.land_and_ingest("lead-outbound/empty.json", b"  ").await;
    let back = replay(
        &s.landing,
        "quarantine/lead-outbound/empty.json",
        &[],
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    assert_eq!(back.key, "lead-outbound/empty.json");
    assert!(s.landing_keys("quarantine/lead-outbound/").await.is_empty());
    let out = s
        .ingest_event(&[(back.key.as_str(), back.etag.as_str(), back.size)])
        .await;
    assert!(matches!(&out[0], FileOutcome::Quarantined(r) if r.contains("empty")));
}

/// Fix and resend (the console's, `operations::resend_edited`): a correction that still fails the
/// ingest's checks is refused naming the field, and nothing is written; the corrected record lands beside
/// the original and the ingest applies it like any replayed file.
#[tokio::test]
async fn a_failed_record_corrected_by_an_operator_is_checked_first_then_resent_and_applied() {
    let s = stack().await;
    let clock = acebridge_clock::TestClock::suite().clock();
    // AWS changed it a day before the test clock's now.
    let modified = (clock.now() - chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut bad = referral("O7700001", &modified, false);
    bad["targetCloseDate"] = json!("24/09/2022");
    let key = "opportunity-outbound/fix-me.json";
    s.land_and_ingest(key, &opportunity_file(vec![bad.clone()]))
        .await;
    let report = error_report_key(key);
    assert_eq!(s.landing_keys("failed/").await, vec![report.clone()]);

    let mut still_bad = bad.clone();
    still_bad["targetCloseDate"] = json!("2022-13-45");
    let refused =
        acebridge_sync::operations::resend_edited(&s.landing, &report, 0, still_bad, &clock)
            .await
            .unwrap()
            .unwrap_err();
    assert!(
        refused
            .iter()
            .any(|p| p.starts_with("targetCloseDate:") && p.contains("2022-13-45")),
        "{refused:?}"
    );
    assert!(
        s.landing_keys("opportunity-outbound/replay-")
            .await
            .is_empty(),
        "nothing written for a refused correction"
    );
    assert!(matches!(
        acebridge_sync::operations::resend_edited(&s.landing, &report, 3, bad.clone(), &clock)
            .await,
        Err(acebridge_sync::s3_exchange::replay::ReplayError::NoSuchRecord { index: 3, .. })
    ));

    let mut fixed = bad;
    fixed["targetCloseDate"] = json!("2022-09-24");
    let written = acebridge_sync::operations::resend_edited(&s.landing, &report, 0, fixed, &clock)
        .await
        .unwrap()
        .unwrap();
    assert!(
        written.key.starts_with("opportunity-outbound/replay-"),
        "{}",
        written.key
    );
    let outcomes = s
        .ingest_event(&[(&written.key, &written.etag, written.size)])
        .await;
    assert!(
        matches!(&outcomes[..], [FileOutcome::Processed(c)] if c.applied == 1 && c.failed == 0),
        "{outcomes:?}"
    );
    let stored = s.record(RecordKind::Opportunity, "O7700001").await;
    assert!(
        stored.record.to_string().contains("\"2022-09-24\""),
        "the corrected date is in the CRM record: {}",
        stored.record
    );
}
