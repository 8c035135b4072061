//! Customer data has a lifetime (issue 16): closed records carry DynamoDB's TTL attribute, and
//! `acebridge forget` erases one customer from the store, the ledger and the landing bucket, on moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger, TTL_ATTRIBUTE};
use acebridge_sync::forget::{FileAction, Subject, forget};
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::ports::ledger::{Ledger, RecordKey};
use acebridge_sync::ports::store::ObjectStore;
use common::{opportunity_file, sample_opportunity, stack};
use serde_json::{Value, json};

fn customer(id: &str, company: &str, email: &str, stage: &str) -> Value {
    let mut r = sample_opportunity();
    r["apnCrmUniqueIdentifier"] = json!(id);
    r["partnerCrmUniqueIdentifier"] = json!(format!("crm-{id}"));
    r["customerCompanyName"] = json!(company);
    r["customerEmail"] = json!(email);
    r["stage"] = json!(stage);
    r
}

async fn item(
    s: &common::Stack,
    table: &str,
    pk: &str,
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    aws_sdk_dynamodb::Client::new(&s.sdk)
        .get_item()
        .table_name(table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
        .send()
        .await
        .unwrap()
        .item
}

/// A closed opportunity's ledger entry and store record carry `expires_at` = closed + retention; an open
/// one carries none (it must never expire: its ids link AWS and the CRM).
#[tokio::test]
async fn closed_records_expire_after_the_retention_period_and_open_ones_never() {
    let mut s = stack().await;
    let retention = chrono::Duration::days(30);
    let ddb = aws_sdk_dynamodb::Client::new(&s.sdk);
    let (ledger_table, crm_table) = (s.ledger_table.clone(), s.crm_table.clone());
    s.ledger = DynamoLedger::new(ddb.clone(), &ledger_table).with_retention(Some(retention));
    s.crm = DynamoCrmStore::new(ddb, &crm_table).with_retention(Some(retention));
    let before = acebridge_clock::TestClock::suite().now().timestamp();
    s.land_and_ingest(
        "opportunity-outbound/lifetime_11302026100000.json",
        &opportunity_file(vec![
            customer("O9000001", "Open Corp", "open@open.example", "Qualified"),
            customer("O9000002", "Lost Corp", "lost@lost.example", "Closed Lost"),
            customer("O9000003", "Won Corp", "won@won.example", "Launched"),
        ]),
    )
    .await;
    let after = acebridge_clock::TestClock::suite().now().timestamp();
    let expires =
        |i: Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>| {
            i.unwrap()
                .get(TTL_ATTRIBUTE)
                .map(|v| v.as_n().unwrap().parse::<i64>().unwrap())
        };
    for (id, closed) in [("O9000001", false), ("O9000002", true), ("O9000003", true)] {
        let key = RecordKey::ace(RecordKind::Opportunity, Catalog::Sandbox, id);
        let ledger_ttl = expires(item(&s, &ledger_table, &key.storage_key()).await);
        let store_ttl = expires(item(&s, &crm_table, &format!("opportunity#crm-{id}")).await);
        for ttl in [ledger_ttl, store_ttl] {
            match (closed, ttl) {
                (false, None) => {}
                (true, Some(t)) => assert!(
                    (before + retention.num_seconds()..=after + retention.num_seconds())
                        .contains(&t),
                    "{id}: expires_at {t}"
                ),
                other => panic!("{id}: closed and TTL {other:?}"),
            }
        }
    }
}

/// Issue 28: every kind of item that expires gets its `expires_at` from the clock acebridge is handed, and
/// the values are exact, so the clock is pinned (`TestClock::at`) half an hour before a year end and moved:
/// - closed records (an opportunity, a lead): closed + retention, in the ledger and the store; a later
///   version of a closed record keeps the time it closed; one that reopens loses its TTL;
/// - the daily budget's hourly counters: two days after the hour they count, in the hour's own bucket;
/// - a settle hold: a day after it ends;
/// - the HubSpot replay cache: a signature is refused until its window ends and taken again after it.
#[tokio::test]
async fn every_kind_of_record_gets_its_lifetime_from_the_clock_and_a_reopened_one_loses_it() {
    use acebridge_sync::guards::budget::{Call, CallCounter};
    use chrono::TimeZone;
    let t0 = chrono::Utc
        .with_ymd_and_hms(2027, 12, 31, 23, 30, 0)
        .unwrap();
    let clock = acebridge_clock::TestClock::at(t0);
    let mut s = stack().await;
    let retention = chrono::Duration::days(30);
    let ddb = aws_sdk_dynamodb::Client::new(&s.sdk);
    let (ledger_table, crm_table) = (s.ledger_table.clone(), s.crm_table.clone());
    s.ledger = DynamoLedger::new(ddb.clone(), &ledger_table).with_retention(Some(retention));
    s.crm = DynamoCrmStore::new(ddb.clone(), &crm_table).with_retention(Some(retention));
    s.config =
        acebridge_sync::s3_exchange::ingest::IngestConfig::new(Catalog::Sandbox, clock.clock());
    let ttl =
        |i: Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>| {
            i.unwrap()
                .get(TTL_ATTRIBUTE)
                .map(|v| v.as_n().unwrap().parse::<i64>().unwrap())
        };
    let lead_file = |status: &str, modified: &str| {
        let mut file = common::sample_lead_file("L9200001");
        let l = &mut file["leads"][0];
        l["status"] = json!(status);
        l["lastModifiedDate"] = json!(modified);
        serde_json::to_vec(&file).unwrap()
    };
    let versioned = |id: &str, stage: &str, modified: &str| {
        let mut r = customer(id, "Lifetime Corp", "life@lifetime.example", stage);
        r["lastModifiedDate"] = json!(modified);
        r
    };
    // Each item's TTL: (ledger, store).
    let opportunity_ttl = async |id: &str| {
        let key = RecordKey::ace(RecordKind::Opportunity, Catalog::Sandbox, id);
        (
            ttl(item(&s, &ledger_table, &key.storage_key()).await),
            ttl(item(&s, &crm_table, &format!("opportunity#crm-{id}")).await),
        )
    };
    let lead_ttl = async || {
        let key = RecordKey::ace(RecordKind::Lead, Catalog::Sandbox, "L9200001");
        let crm_id = s.ledger.get(&key).await.unwrap().unwrap().crm_id.unwrap();
        (
            ttl(item(&s, &ledger_table, &key.storage_key()).await),
            ttl(item(&s, &crm_table, &format!("lead#{crm_id}")).await),
        )
    };

    s.land_and_ingest(
        "opportunity-outbound/lifetime_12312027233000.json",
        &opportunity_file(vec![
            versioned("O9200001", "Qualified", "2027-12-31T23:00:00Z"),
            versioned("O9200002", "Closed Lost", "2027-12-31T23:00:00Z"),
        ]),
    )
    .await;
    s.land_and_ingest(
        "lead-outbound/lifetime_12312027233000.json",
        &lead_file("Disqualified", "2027-12-31T23:00:00Z"),
    )
    .await;
    let closed_at_t0 = Some((t0 + retention).timestamp());
    assert_eq!(
        opportunity_ttl("O9200001").await,
        (None, None),
        "open: never"
    );
    assert_eq!(
        opportunity_ttl("O9200002").await,
        (closed_at_t0, closed_at_t0)
    );
    assert_eq!(lead_ttl().await, (closed_at_t0, closed_at_t0));

    // Ten days on (into 2028): the lost one changes again and stays lost, the open one is launched, the
    // lead is opened again.
    clock.advance(chrono::Duration::days(10));
    let t1 = clock.now();
    s.land_and_ingest(
        "opportunity-outbound/lifetime_01102028233000.json",
        &opportunity_file(vec![
            versioned("O9200001", "Launched", "2028-01-10T23:00:00Z"),
            versioned("O9200002", "Closed Lost", "2028-01-10T23:00:00Z"),
        ]),
    )
    .await;
    s.land_and_ingest(
        "lead-outbound/lifetime_01102028233000.json",
        &lead_file("Open", "2028-01-10T23:00:00Z"),
    )
    .await;
    let closed_at_t1 = Some((t1 + retention).timestamp());
    assert_eq!(
        opportunity_ttl("O9200001").await,
        (closed_at_t1, closed_at_t1)
    );
    assert_eq!(
        opportunity_ttl("O9200002").await,
        (closed_at_t0, closed_at_t0),
        "closed since t0: its lifetime still counts from then"
    );
    assert_eq!(lead_ttl().await, (None, None), "reopened: never");

    // The daily budget's counters: one item an hour, named by the hour, kept two days.
    let counter = acebridge_sync::adapters::dynamodb::DynamoCallCounter::new(
        ddb.clone(),
        &ledger_table,
        clock.clock(),
    );
    clock.set(t0);
    counter.spend(Call::Read, 3).await.unwrap();
    clock.set(t0 + chrono::Duration::minutes(30));
    counter.spend(Call::Read, 2).await.unwrap();
    for (bucket, at) in [
        ("BUDGET#reads#2027-12-31T23", t0),
        (
            "BUDGET#reads#2028-01-01T00",
            t0 + chrono::Duration::minutes(30),
        ),
    ] {
        assert_eq!(
            ttl(item(&s, &ledger_table, bucket).await),
            Some((at + chrono::Duration::days(2)).timestamp()),
            "{bucket}"
        );
    }

    // A settle hold: a day after it ends, if nothing removed it first.
    use acebridge_sync::ports::ledger::SettleHold;
    let until = clock.now() + chrono::Duration::seconds(90);
    s.ledger
        .save_holds(
            Catalog::Sandbox,
            &[(
                "crm-O9200001".into(),
                SettleHold {
                    until,
                    messages: vec!["m1".into()],
                },
            )],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        ttl(item(
            &s,
            &ledger_table,
            &acebridge_sync::ports::ledger::hold_key(Catalog::Sandbox, "crm-O9200001")
        )
        .await),
        Some((until + chrono::Duration::days(1)).timestamp())
    );

    // The replay cache: a HubSpot signature is used once within its window, and may be again after it.
    let replay_table = common::unique("replay");
    acebridge_sync::adapters::dynamodb::ensure_replay_table(&ddb, &replay_table)
        .await
        .unwrap();
    let cache =
        acebridge_sync::adapters::dynamodb::DynamoReplayCache::new(ddb.clone(), &replay_table);
    let seen = clock.now();
    let window = chrono::Duration::minutes(5);
    let first_use = async |at: chrono::DateTime<chrono::Utc>| {
        cache
            .first_use("HUBSPOT#sig-1", seen + window, at)
            .await
            .unwrap()
    };
    assert!(first_use(seen).await);
    assert_eq!(
        ttl(item(&s, &replay_table, "HUBSPOT#sig-1").await),
        Some((seen + window).timestamp())
    );
    assert!(
        !first_use(seen + window - chrono::Duration::seconds(1)).await,
        "a replay"
    );
    assert!(
        !first_use(seen + window).await,
        "a replay, at the window's last second"
    );
    assert!(
        first_use(seen + window + chrono::Duration::seconds(1)).await,
        "expired: new again"
    );
}

/// `forget` by email and company: the customer's store records go, the ledger entry keeps its ids and
/// version but loses its snapshot, the processed file loses the record (the other customer's stays) and
/// its old versions, the error report goes; a redelivered file does not bring the customer back.
#[tokio::test]
async fn forget_erases_one_customer_everywhere_and_keeps_the_others() {
    let s = stack().await;
    let mut broken = customer(
        "O9100003",
        "Forget Me LLC",
        "jane@forgetme.example",
        "Qualified",
    );
    broken["targetCloseDate"] = json!("not a date");
    let file = opportunity_file(vec![
        customer(
            "O9100001",
            "Forget Me LLC",
            "jane@forgetme.example",
            "Qualified",
        ),
        customer("O9100002", "Keep Corp", "joe@keep.example", "Qualified"),
        broken,
    ]);
    let key = "opportunity-outbound/forget_11302026100000.json";
    s.land_and_ingest(key, &file).await;
    let processed = format!("processed/{key}");
    let report = format!("failed/{key}.errors.json");
    assert!(s.landing_keys("processed/").await.contains(&processed));
    assert!(s.landing_keys("failed/").await.contains(&report));
    let forgotten_key = RecordKey::ace(RecordKind::Opportunity, Catalog::Sandbox, "O9100001");
    // The ledger holds a CRM snapshot for the record (what acebridge last sent), with the customer in it.
    let mut e = s.ledger.get(&forgotten_key).await.unwrap().unwrap();
    let rev = e.revision;
    e.crm_snapshot = Some(json!({"customer": {"email": "jane@forgetme.example"}}));
    e.revision += 1;
    s.ledger.put(&e, Some(rev)).await.unwrap().unwrap();

    let subject = Subject::new(&["JANE@forgetme.example".into(), "Forget Me LLC".into()]).unwrap();
    let run = async |dry_run: bool| {
        forget(
            &subject,
            &s.crm,
            &s.ledger,
            Some(&s.landing),
            dry_run,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .unwrap()
    };
    let dry = run(true).await;
    assert_eq!(dry.store_records, vec!["opportunity/crm-O9100001"]);
    assert!(
        s.by_crm_id("crm-O9100001").await.crm_id == "crm-O9100001",
        "a dry run changes nothing"
    );

    let done = run(false).await;
    assert_eq!(done.store_records, vec!["opportunity/crm-O9100001"]);
    assert_eq!(done.ledger_entries, vec!["O9100001"]);
    assert!(
        done.files
            .contains(&(processed.clone(), FileAction::Rewritten { records: 2 })),
        "{done:?}"
    );
    assert!(
        done.files
            .contains(&(report.clone(), FileAction::Rewritten { records: 1 }))
            || done.files.contains(&(report.clone(), FileAction::Deleted)),
        "{done:?}"
    );
    assert!(done.old_versions >= 1, "{done:?}");

    // The store: gone; the other customer stays.
    use acebridge_sync::ports::crm::Crm;
    assert!(
        s.crm
            .get(RecordKind::Opportunity, "crm-O9100001")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.crm
            .get(RecordKind::Opportunity, "crm-O9100002")
            .await
            .unwrap()
            .is_some()
    );
    // The ledger: ids and version kept, no customer data.
    let e = s.ledger.get(&forgotten_key).await.unwrap().unwrap();
    assert!(e.crm_snapshot.is_none() && e.version.is_some());
    // The bucket: no object and no version holds the customer.
    let s3 = &s.s3;
    let versions = s3
        .list_object_versions()
        .bucket(s.landing.bucket())
        .send()
        .await
        .unwrap();
    for v in versions.versions() {
        let body = s3
            .get_object()
            .bucket(s.landing.bucket())
            .key(v.key().unwrap())
            .version_id(v.version_id().unwrap())
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        let text = String::from_utf8_lossy(&body).to_lowercase();
        assert!(
            !text.contains("forgetme"),
            "{} still names the customer",
            v.key().unwrap()
        );
    }
    let kept = s.landing_json(&processed).await;
    assert_eq!(kept["opportunities"].as_array().unwrap().len(), 1);
    assert_eq!(kept["opportunities"][0]["customerCompanyName"], "Keep Corp");

    // AWS redelivers the same version: the ledger knows it, the customer does not come back.
    s.land_and_ingest(
        "opportunity-outbound/forget_11302026100001.json",
        &opportunity_file(vec![customer(
            "O9100001",
            "Forget Me LLC",
            "jane@forgetme.example",
            "Qualified",
        )]),
    )
    .await;
    assert!(
        s.crm
            .get(RecordKind::Opportunity, "crm-O9100001")
            .await
            .unwrap()
            .is_none()
    );
}
