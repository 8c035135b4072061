//! The notifier under its own role (rendered from template.yaml by SAM's transform, for a stack with
//! `NotifySecretArn` set): it starts (reads its secret), and a batch of outcome events becomes notices
//! whose marks it claims and finishes in the ledger table, every AWS call through the IAM gate in front of
//! moto. A call the role does not allow fails the test, naming the action and the resource.
#![allow(clippy::unwrap_used)]

use acebridge_notify::function::Notifier;
use acebridge_pc_emulator::roles::{refused, rendered_roles, through_gate};
use acebridge_sync::adapters::dynamodb::ensure_tables;
use acebridge_sync::local;
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use serde_json::json;
use std::collections::BTreeMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn unique(prefix: &str) -> String {
    use std::hash::BuildHasher;
    let n = std::collections::hash_map::RandomState::new().hash_one(std::process::id());
    format!("{prefix}-{n:x}")
}

fn message(id: &str, body: serde_json::Value) -> SqsMessage {
    let mut m = SqsMessage::default();
    m.message_id = Some(id.to_string());
    m.body = Some(body.to_string());
    m
}

#[tokio::test]
async fn the_notifier_starts_and_sends_within_its_role() {
    let sdk = local::sdk_config("us-east-1").await;
    let slack = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "ts": "1" })))
        .expect(1)
        .mount(&slack)
        .await;
    let teams = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&teams)
        .await;
    let arn = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(unique("acebridge-notify"))
        .secret_string(
            json!({ "slack_bot_token": "xoxb-test",
                    "teams_workflow_url": format!("{}/workflows/w/triggers/manual/paths/invoke", teams.uri()) })
            .to_string(),
        )
        .send()
        .await
        .expect("the local stack (moto) must be running: make local-up")
        .arn
        .unwrap();
    // Tables named as the stack names them (<stack>-LedgerTable-<random>), so the role's resources match.
    let ledger_table = unique("t-LedgerTable");
    ensure_tables(
        &aws_sdk_dynamodb::Client::new(&sdk),
        &ledger_table,
        &unique("t-CrmStoreTable"),
    )
    .await
    .unwrap();
    let roles = rendered_roles(&[
        format!("NotifySecretArn={arn}"),
        "NotifySlackChannel=C0123456789".to_string(),
    ]);
    let policies = roles["notifier"]["policies"].as_array().unwrap().clone();
    let (gate, gated) = through_gate(&sdk, "notifier", &policies).await;

    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("LEDGER_TABLE", ledger_table),
        ("NOTIFY_SECRET_ARN", arn),
        ("NOTIFY_SLACK_CHANNEL", "C0123456789".to_string()),
        ("SLACK_API_URL", format!("{}/api", slack.uri())),
    ]);
    let clock = acebridge_clock::TestClock::suite();
    let notifier = Notifier::from_vars(&gated, |k| vars.get(k).cloned(), clock.clock())
        .await
        .unwrap_or_else(|e| panic!("{e}; refused: {:?}", refused(&gate)));
    let put_at = (clock.now() - chrono::Duration::minutes(5)).to_rfc3339();
    let failed = json!({
        "version": "0", "id": "ev-1", "detail-type": "ACE Sync Failed", "source": "acebridge",
        "account": "123456789012", "time": put_at, "region": "us-east-1", "resources": [],
        "detail": { "crmId": "006A", "aceId": "O1234567", "channel": "api",
                    "errors": ["Customer.Account.WebsiteUrl: must be a valid URL (INVALID_STRING_FORMAT)"] }
    });
    let mut event = SqsEvent::default();
    event.records = vec![
        message("m-1", failed.clone()),
        // The same event delivered twice in one batch (EventBridge is at least once): one notice.
        message("m-2", failed),
        message("m-3", json!({ "not": "an outcome event" })),
    ];
    let response = notifier.handle(event).await;
    let handed_back: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(
        handed_back,
        vec!["m-3"],
        "only the unreadable event comes back"
    );
    assert!(refused(&gate).is_empty(), "{:?}", refused(&gate));
}
