//! Faults on the local stack (issue 16), each with counts before and after: a function killed between
//! its CRM write and its ledger entry, moto gone mid-batch and back, Partner Central slower than the
//! SDK's timeout, and a deadline in the middle of a CRM push.
//!
//! A kill is the invocation's future dropped at a chosen await (what Lambda's timeout does to the
//! process); the store itself is never mocked: a thin wrapper around the real DynamoDB store only
//! chooses the moment.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::model::record::{RecordKind, SyncRecord};
use acebridge_sync::ports::crm::{Crm, CrmRecord, Upsert};
use acebridge_sync::ports::error::PortError;
use acebridge_sync::ports::ledger::{AwsResult, Ledger, RecordKey, RecordStatus};
use acebridge_sync::s3_exchange::ingest::{self, FileOutcome};
use chrono::{DateTime, Utc};
use common::{opportunity_file, sample_opportunity, stack};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The real store, with a hook after each CRM write: the test decides what happens at that moment.
struct AfterWrite<C, F> {
    inner: C,
    writes: AtomicUsize,
    hook: F,
}

impl<C: Crm, F: Fn(usize) -> bool + Send + Sync> Crm for AfterWrite<C, F> {
    /// Writes through; then, when the hook says so, never returns (the invocation dies here).
    async fn upsert(
        &self,
        catalog: Catalog,
        record: &SyncRecord,
        crm_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Upsert, PortError> {
        let done = self.inner.upsert(catalog, record, crm_id, now).await?;
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        if (self.hook)(n) {
            std::future::pending::<()>().await;
        }
        Ok(done)
    }
    async fn record_aws_result(
        &self,
        kind: RecordKind,
        crm_id: &str,
        ace_id: Option<&str>,
        result: &AwsResult,
    ) -> Result<bool, PortError> {
        self.inner
            .record_aws_result(kind, crm_id, ace_id, result)
            .await
    }
    async fn get(&self, kind: RecordKind, crm_id: &str) -> Result<Option<CrmRecord>, PortError> {
        self.inner.get(kind, crm_id).await
    }
    async fn find_by_ace_id(
        &self,
        kind: RecordKind,
        ace_id: &str,
    ) -> Result<Option<CrmRecord>, PortError> {
        self.inner.find_by_ace_id(kind, ace_id).await
    }
}

fn referrals(prefix: &str, n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let mut r = sample_opportunity();
            r["apnCrmUniqueIdentifier"] = json!(format!("{prefix}{i:05}"));
            r["partnerCrmUniqueIdentifier"] = json!(null);
            r["opportunityOwnership"] = json!("AWS Referral");
            r
        })
        .collect()
}

async fn crm_count(crm: &DynamoCrmStore) -> usize {
    crm.all().await.unwrap().len()
}

/// Killed after the CRM write of the second record, before its ledger entry is finished. The redelivered
/// file applies every record once: one CRM record each (none twice), every ledger entry synced, and the
/// file's entry counts both attempts.
#[tokio::test]
async fn the_ingest_killed_between_crm_write_and_ledger_finish_applies_each_record_once() {
    let s = stack().await;
    let key = "opportunity-outbound/killed_11302026100000.json";
    let body = opportunity_file(referrals("O71", 5));
    let etag = s.put_landing(key, &body).await;
    let at_second_write = Arc::new(AtomicBool::new(false));
    let flag = at_second_write.clone();
    let dying = AfterWrite {
        inner: s.crm.clone(),
        writes: AtomicUsize::new(0),
        hook: move |n| {
            flag.store(n == 2, Ordering::SeqCst);
            n == 2
        },
    };
    let killed = async {
        while !at_second_write.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    };
    // Lambda's timeout: the invocation is dropped where it stands.
    tokio::select! {
        out = ingest::ingest_file(&s.landing, &s.ledger, &dying, &s.outcomes, &s.config, key, Some(&etag)) => {
            panic!("the first attempt finished: {out:?}")
        }
        () = killed => {}
    }
    let before = (crm_count(&s.crm).await, s.ledger.records().await.unwrap());
    println!(
        "before the redelivery: {} CRM records, ledger {:?}",
        before.0,
        before.1.iter().map(|e| e.status).collect::<Vec<_>>()
    );
    assert_eq!(before.0, 2, "two CRM writes happened");
    assert!(
        before
            .1
            .iter()
            .any(|e| e.status == Some(RecordStatus::Applying)),
        "the second record is claimed, not finished"
    );

    let again = s.ingest_event(&[(key, &etag, body.len() as u64)]).await;
    let FileOutcome::Processed(counts) = &again[0] else {
        panic!("{again:?}")
    };
    let entries = s.ledger.records().await.unwrap();
    let file = s.ledger.file(key, &etag).await.unwrap().unwrap();
    println!(
        "after: {} CRM records, file counts {counts:?}, attempts {}",
        crm_count(&s.crm).await,
        file.attempts
    );
    assert_eq!(crm_count(&s.crm).await, 5, "one CRM record per AWS record");
    assert_eq!(entries.len(), 5);
    assert!(
        entries
            .iter()
            .all(|e| e.status == Some(RecordStatus::Synced))
    );
    // The record whose ledger entry was left Applying is applied again (to the same CRM record); the
    // one already finished is a duplicate.
    assert_eq!((counts.applied, counts.duplicate), (4, 1), "{counts:?}");
    assert_eq!(
        file.attempts, 2,
        "the file's entry counts the killed attempt"
    );
}

/// A TCP forwarder in front of moto that can be switched off (connections refused and cut).
struct Flaky {
    url: String,
    down: Arc<AtomicBool>,
    open: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Flaky {
    async fn start() -> Flaky {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let target = std::env::var("AWS_ENDPOINT_URL")
            .unwrap_or_else(|_| acebridge_sync::local::DEFAULT_ENDPOINT.to_string());
        let target = target.trim_start_matches("http://").to_string();
        let down = Arc::new(AtomicBool::new(false));
        let open = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (d, o) = (down.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                o.lock().unwrap().push(task);
            }
        });
        Flaky { url, down, open }
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
        if down {
            for t in self.open.lock().unwrap().drain(..) {
                t.abort();
            }
        }
    }
}

/// DynamoDB (moto) goes away after the third CRM write of a ten-record file and comes back. The attempt
/// fails as retryable (Lambda delivers the file again); the next attempt applies the rest, and every
/// record is in the CRM once.
#[tokio::test]
async fn moto_unavailable_mid_batch_then_back_loses_nothing_and_duplicates_nothing() {
    let mut s = stack().await;
    let flaky = Arc::new(Flaky::start().await);
    let through = s.sdk.to_builder().endpoint_url(&flaky.url).build();
    let ddb = aws_sdk_dynamodb::Client::new(&through);
    s.ledger = DynamoLedger::new(ddb.clone(), s.ledger_table.clone());
    s.crm = DynamoCrmStore::new(ddb, s.crm_table.clone());
    let key = "opportunity-outbound/flaky_11302026100000.json";
    let body = opportunity_file(referrals("O72", 10));
    let etag = s.put_landing(key, &body).await;
    let f = flaky.clone();
    let cutting = AfterWrite {
        inner: s.crm.clone(),
        writes: AtomicUsize::new(0),
        hook: move |n| {
            if n == 3 {
                f.set_down(true);
            }
            false
        },
    };
    let first = ingest::ingest_file(
        &s.landing,
        &s.ledger,
        &cutting,
        &s.outcomes,
        &s.config,
        key,
        Some(&etag),
    )
    .await;
    let e = first.expect_err("DynamoDB is unreachable");
    assert!(e.retryable, "{e}");
    flaky.set_down(false);
    let before = crm_count(&s.crm).await;
    println!("before: {before} CRM records after the failed attempt ({e})");
    assert_eq!(before, 3);

    let again = s.ingest_event(&[(key, &etag, body.len() as u64)]).await;
    let FileOutcome::Processed(counts) = &again[0] else {
        panic!("{again:?}")
    };
    println!(
        "after: {} CRM records, counts {counts:?}",
        crm_count(&s.crm).await
    );
    assert_eq!(crm_count(&s.crm).await, 10);
    assert_eq!(counts.applied + counts.duplicate, 10, "{counts:?}");
    let entries = s.ledger.records().await.unwrap();
    assert!(
        entries.len() == 10
            && entries
                .iter()
                .all(|e| e.status == Some(RecordStatus::Synced))
    );
    for i in 0..10 {
        let key = RecordKey::ace(
            RecordKind::Opportunity,
            Catalog::Sandbox,
            &format!("O72{i:05}"),
        );
        assert!(s.ledger.get(&key).await.unwrap().is_some());
    }
}

mod partner_central {
    use super::*;
    use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
    use acebridge_sync::crm_side::outbound::{OpportunityChanged, Pushed, push_opportunity};
    use acebridge_sync::model::policy::InvitationPolicy;
    use common::{crm_opportunity, pc_stack_as, signing_as};
    use std::time::Duration;

    fn change(crm_id: &str, title: &str) -> OpportunityChanged {
        OpportunityChanged {
            crm_id: crm_id.to_string(),
            opportunity: crm_opportunity(title),
            solutions: vec![],
            aws_products: vec![],
            marketplace: Default::default(),
            submit: None,
        }
    }

    fn created_for(s: &common::PcStack, crm_id: &str) -> usize {
        let events = s.emulator.events();
        let state = s.emulator.state();
        events
            .iter()
            .filter(|e| e["detail-type"] == json!("Opportunity Created"))
            .filter_map(|e| e["detail"]["opportunity"]["identifier"].as_str())
            .filter_map(|id| state.opportunity("Sandbox", id))
            .filter(|o| o["PartnerOpportunityIdentifier"] == json!(crm_id))
            .count()
    }

    fn calls(s: &common::PcStack, op: &str) -> u64 {
        s.calls_of(&[op])
    }

    /// Partner Central answers after 3 s; the client gives up after its attempt and operation timeouts
    /// (shortened here: the shipped ones are 10 s and 40 s) with a retryable error instead of holding
    /// the invocation. The redelivered change, the service fast again, makes exactly one opportunity
    /// (ClientToken), whether or not the slow attempt was applied.
    #[tokio::test]
    async fn partner_central_slower_than_the_sdk_timeout_fails_retryable_and_the_retry_creates_once()
     {
        let s = pc_stack_as("crm-outbound", InvitationPolicy::Manual).await;
        let impatient =
            SdkPartnerCentral::new(&signing_as(&s.sdk, "crm-outbound"), Some(&s.emulator.url()))
                .with_timeouts(Duration::from_millis(400), Duration::from_millis(1200));
        s.emulator.state().faults.delay_ms = 3000;
        let c = change("OP-SLOW", "Slow service");
        let before = calls(&s, "CreateOpportunity");
        let slow = push_opportunity(
            &impatient,
            &s.ledger,
            &s.crm,
            Catalog::Sandbox,
            &c,
            &acebridge_clock::TestClock::suite().clock(),
        )
        .await;
        let e = slow.expect_err("timed out");
        assert!(e.retryable, "{e}");
        assert!(
            e.message.to_lowercase().contains("timeout") || e.message.contains("timed out"),
            "{e}"
        );

        s.emulator.state().faults.delay_ms = 0;
        // Let any slow attempt the emulator is still sleeping on land first.
        tokio::time::sleep(Duration::from_millis(3200)).await;
        let retried = push_opportunity(
            &s.pc,
            &s.ledger,
            &s.crm,
            Catalog::Sandbox,
            &c,
            &acebridge_clock::TestClock::suite().clock(),
        )
        .await
        .unwrap();
        assert!(matches!(retried, Pushed::Created { .. }), "{retried:?}");
        println!(
            "CreateOpportunity calls: {} (before {before}); opportunities for OP-SLOW: {}",
            calls(&s, "CreateOpportunity"),
            created_for(&s, "OP-SLOW")
        );
        assert_eq!(created_for(&s, "OP-SLOW"), 1);
    }

    /// crm-outbound is killed (its deadline) while a batch of three CRM changes is being pushed, right
    /// after Partner Central accepted the first create. SQS delivers the whole batch again: every change
    /// reaches Partner Central, each CRM record has exactly one opportunity.
    #[tokio::test]
    async fn a_deadline_in_the_middle_of_a_crm_push_then_redelivery_creates_each_opportunity_once()
    {
        use acebridge_sync::crm_side::crm_queue::handle_batch;
        let s = pc_stack_as("crm-outbound", InvitationPolicy::Manual).await;
        let messages: Vec<(String, String)> = (1..=3)
            .map(|i| {
                let event = common::crm_opportunity_changed(
                    &format!("e{i}"),
                    "2026-11-30T10:00:00Z",
                    &format!("OP-D{i}"),
                    crm_opportunity(&format!("Deadline {i}")),
                );
                (format!("m{i}"), event.to_string())
            })
            .collect();
        let cx = s.outbound_cx();
        let first_created = async {
            while calls(&s, "CreateOpportunity") < 1 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::select! {
            out = handle_batch(&cx, &messages) => panic!("the batch finished before the deadline: {out:?}"),
            () = first_created => {}
        }
        let before: Vec<usize> = (1..=3)
            .map(|i| created_for(&s, &format!("OP-D{i}")))
            .collect();
        println!("at the deadline: opportunities per CRM record {before:?}");
        assert_eq!(before.iter().sum::<usize>(), 1);

        let out = handle_batch(&cx, &messages).await;
        assert!(out.retry.is_empty(), "{out:?}");
        let after: Vec<usize> = (1..=3)
            .map(|i| created_for(&s, &format!("OP-D{i}")))
            .collect();
        println!(
            "after the redelivery: {after:?}; CreateOpportunity calls {}",
            calls(&s, "CreateOpportunity")
        );
        assert_eq!(after, vec![1, 1, 1]);
    }
}

/// `ledger::finish` writes on from the entry `claim` stored, without reading it again. Another writer
/// changing the entry in between (an alert, a newer version) makes that write lose its revision check:
/// the entry is read again, the other writer's change kept, and a newer version's claim left alone.
#[tokio::test]
async fn an_entry_changed_between_claim_and_finish_is_read_again_and_nothing_is_overwritten() {
    use acebridge_sync::ports::ledger::{self, Claim, Version};
    let s = stack().await;
    let key = RecordKey::ace(RecordKind::Opportunity, Catalog::Sandbox, "O9900001");
    let now = acebridge_clock::TestClock::suite().now();
    let version = |minute: u32| Version {
        aws_last_modified: Some(
            DateTime::parse_from_rfc3339(&format!("2026-11-20T10:{minute:02}:00Z"))
                .unwrap()
                .with_timezone(&Utc),
        ),
        content_hash: format!("hash-{minute}"),
    };
    let Claim::Claimed(first) = ledger::claim(&s.ledger, &key, &version(1), "test", now)
        .await
        .unwrap()
    else {
        panic!("the first version is claimed");
    };
    ledger::edit(&s.ledger, &key, now, |e| {
        e.alerts.push("Referral Expiring".into())
    })
    .await
    .unwrap();
    assert!(
        ledger::finish(&s.ledger, &first, Some("crm-1"), Ok(()), false, None, now)
            .await
            .unwrap()
    );
    let e = s.ledger.get(&key).await.unwrap().unwrap();
    assert_eq!(e.status, Some(RecordStatus::Synced));
    assert_eq!(e.crm_id.as_deref(), Some("crm-1"));
    assert_eq!(e.alerts, vec!["Referral Expiring".to_string()]);

    // A newer version claimed after the older one: the older one's finish changes nothing.
    let Claim::Claimed(older) = ledger::claim(&s.ledger, &key, &version(2), "test", now)
        .await
        .unwrap()
    else {
        panic!("version 2 is claimed");
    };
    let Claim::Claimed(_) = ledger::claim(&s.ledger, &key, &version(3), "test", now)
        .await
        .unwrap()
    else {
        panic!("version 3 is claimed");
    };
    assert!(
        !ledger::finish(&s.ledger, &older, Some("crm-1"), Ok(()), false, None, now)
            .await
            .unwrap()
    );
    let e = s.ledger.get(&key).await.unwrap().unwrap();
    assert_eq!(e.version, Some(version(3)));
    assert_eq!(e.status, Some(RecordStatus::Applying));
}
