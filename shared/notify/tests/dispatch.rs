//! A notice goes to each target once per underlying event, on the real ledger (DynamoDB on moto, through
//! the SDK) and local servers answering as Slack's Web API and a Teams workflow do; a target that fails
//! is recorded and tried again on the event's redelivery without posting twice to the one that worked;
//! a crashed delivery's claim is taken over once its lease ends (the clock moved, not slept).
#![allow(clippy::unwrap_used)]

use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_notify::deliver::{SlackWebApi, TeamsWorkflow};
use acebridge_notify::dispatch::{Delivery, LEASE_SECONDS, SlackTarget, Targets, failed};
use acebridge_notify::examples;
use acebridge_notify::notice::Switches;
use acebridge_sync::adapters::dynamodb::{DynamoLedger, ensure_tables};
use acebridge_sync::ports::ledger::{Ledger, NoticeClaim, NoticeMark, claim_notice};
use chrono::Duration;
use serde_json::json;
use std::collections::BTreeMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn ledger() -> DynamoLedger {
    let sdk = acebridge_sync::local::sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let n: u64 = std::collections::hash_map::RandomState::new().hash_one(
        std::time::SystemTime::UNIX_EPOCH
            .elapsed()
            .unwrap()
            .as_nanos(),
    );
    let table = format!("ledger-notify-{n:x}");
    ensure_tables(&ddb, &table, &format!("{table}-crm"))
        .await
        .expect("the local stack (moto) must be running: make local-up");
    DynamoLedger::new(ddb, table)
}

use std::hash::BuildHasher;

fn http(system: &'static str) -> HttpClient {
    HttpClient::new(
        system,
        RetryPolicy::fast(),
        acebridge_clock::TestClock::suite().clock(),
    )
    .unwrap()
}

fn targets(slack: &MockServer, teams: &MockServer) -> Targets {
    Targets {
        slack: Some(SlackTarget::Api {
            api: SlackWebApi {
                http: http("slack"),
                base_url: format!("{}/api", slack.uri()),
                token: "xoxb-test".into(),
            },
            channel: "C0DEFAULT".into(),
            routes: BTreeMap::new(),
        }),
        teams: Some((
            TeamsWorkflow {
                http: http("teams"),
                url: format!("{}/workflows/w/triggers/manual/paths/invoke", teams.uri()),
            },
            BTreeMap::new(),
        )),
        switches: Switches::default(),
    }
}

async fn slack_server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users.lookupByEmail"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "user": { "id": "W1" } })),
        )
        .mount(&s)
        .await;
    s
}

#[tokio::test]
async fn a_redelivered_event_is_notified_once_and_a_failed_target_is_retried_alone() {
    let ledger = ledger().await;
    // This test moves its clock: its own, from the suite's start.
    let clock = acebridge_clock::TestClock::at(acebridge_clock::TestClock::suite().now());
    let slack = slack_server().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "ts": "1.2" })))
        .expect(1)
        .named("one Slack post for the notice, whatever is redelivered")
        .mount(&slack)
        .await;
    let teams = MockServer::start().await;
    // The workflow fails (5xx, every retry of the first delivery), then takes the card.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(RetryPolicy::fast().attempts as u64)
        .mount(&teams)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .named("one Teams post once the workflow is back")
        .mount(&teams)
        .await;
    let t = targets(&slack, &teams);
    let notice = examples::notices(clock.now())[0].clone();

    let first = t.send(&ledger, &notice, clock.now()).await.unwrap();
    assert_eq!(first[0], ("slack", Delivery::Sent(1)));
    assert!(matches!(&first[1], ("teams", Delivery::Failed(e)) if e.retryable));
    let e = failed(&first).unwrap();
    assert!(e.retryable && e.message.contains("HTTP 502"), "{e:?}");
    let mark = ledger
        .notice_mark(&NoticeMark::storage_key(&notice.key, "teams"))
        .await
        .unwrap()
        .unwrap();
    assert!(mark.sent_at.is_none() && mark.lease_until.is_none());
    assert!(mark.last_error.as_deref().unwrap().contains("HTTP 502"));
    assert!(
        ledger
            .notice_marks()
            .await
            .unwrap()
            .iter()
            .any(|m| m.pk == mark.pk),
        "the console can list it"
    );

    // EventBridge/SQS deliver the event again: Slack is not posted twice, Teams is tried again.
    clock.advance(Duration::seconds(30));
    let again = t.send(&ledger, &notice, clock.now()).await.unwrap();
    assert_eq!(
        again,
        vec![
            ("slack", Delivery::AlreadySent),
            ("teams", Delivery::Sent(1))
        ]
    );
    assert!(failed(&again).is_none());
    let third = t.send(&ledger, &notice, clock.now()).await.unwrap();
    assert_eq!(
        third,
        vec![
            ("slack", Delivery::AlreadySent),
            ("teams", Delivery::AlreadySent)
        ]
    );
}

#[tokio::test]
async fn a_crashed_delivery_is_taken_over_when_its_lease_ends() {
    let ledger = ledger().await;
    let clock = acebridge_clock::TestClock::suite();
    let lease = Duration::seconds(LEASE_SECONDS);
    let now = clock.now();
    // An invocation claims the notice and dies before it posts.
    let first = claim_notice(&ledger, "k#1", "sync-failed", "slack", now, lease)
        .await
        .unwrap();
    assert!(matches!(first, NoticeClaim::Claimed(_)));
    let during = claim_notice(
        &ledger,
        "k#1",
        "sync-failed",
        "slack",
        now + Duration::seconds(60),
        lease,
    )
    .await
    .unwrap();
    assert_eq!(during, NoticeClaim::InFlight);
    let after = claim_notice(
        &ledger,
        "k#1",
        "sync-failed",
        "slack",
        now + lease + Duration::seconds(1),
        lease,
    )
    .await
    .unwrap();
    let NoticeClaim::Claimed(m) = after else {
        panic!("{after:?}")
    };
    assert_eq!(m.attempts, 2);
}

#[tokio::test]
async fn a_kind_switched_off_is_not_sent_and_one_routed_goes_to_its_channel() {
    let ledger = ledger().await;
    let clock = acebridge_clock::TestClock::suite();
    let slack = slack_server().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(|r: &wiremock::Request| {
            serde_json::from_slice::<serde_json::Value>(&r.body)
                .is_ok_and(|b| b["channel"] == "C0FAILURES")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "ts": "1" })))
        .expect(1)
        .mount(&slack)
        .await;
    let teams = MockServer::start().await;
    let mut t = targets(&slack, &teams);
    t.teams = None;
    t.switches = Switches::parse("-invitation-received").unwrap();
    if let Some(SlackTarget::Api { routes, .. }) = &mut t.slack {
        routes.insert(
            acebridge_notify::notice::NoticeKind::SyncFailed,
            "C0FAILURES".into(),
        );
    }
    let notices = examples::notices(clock.now());
    let off = t.send(&ledger, &notices[0], clock.now()).await.unwrap();
    assert!(off.is_empty(), "invitation-received is switched off");
    let failure = notices
        .iter()
        .find(|n| n.key.starts_with("sync-failed#"))
        .unwrap();
    let sent = t.send(&ledger, failure, clock.now()).await.unwrap();
    assert_eq!(sent, vec![("slack", Delivery::Sent(1))]);
}
