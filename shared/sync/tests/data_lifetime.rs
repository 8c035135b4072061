//! Customer data has a lifetime (issue 16): closed records carry DynamoDB's TTL attribute, and
//! `acebridge forget` erases one customer from the store, the ledger and the landing bucket, on moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger, TTL_ATTRIBUTE};
use acebridge_sync::forget::{FileAction, Subject, forget};
use acebridge_sync::ledger::{Ledger, RecordKey};
use acebridge_sync::record::RecordKind;
use acebridge_sync::store::ObjectStore;
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
    use acebridge_sync::crm::Crm;
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
