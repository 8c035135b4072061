//! The CRM side under the functions' own roles (rendered from template.yaml by SAM's transform): the
//! CRM secret is read only by the functions whose role grants it, and crm-inbound reads the CRM store
//! and sends changes to acebridge's bus within its role. Calls go through the IAM gate in front of moto;
//! a refused one fails naming the function, the action and the resource.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_crm::inbound::{self, Inbound};
use acebridge_crm::mirror::MirroredCrm;
use acebridge_crm::secrets::CrmSecret;
use acebridge_pc_emulator::roles::{refused, rendered_roles, through_gate};
use acebridge_sync::adapters::dynamodb::DynamoCrmStore;
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::local;
use serde_json::{Value, json};
use wiremock::MockServer;

fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let t = acebridge_clock::TestClock::suite()
        .now()
        .timestamp_nanos_opt()
        .unwrap_or_default()
        % 1_000_000_000_000;
    format!("{prefix}-{t}-{n}-{}", std::process::id())
}

/// A CRM secret in moto, and every function's role for a HubSpot stack reading it.
async fn secret_and_roles() -> (String, Value) {
    let sdk = local::sdk_config("us-east-1").await;
    let arn = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(unique("acebridge-crm"))
        .secret_string(
            json!({"kind": "hubspot", "access_token": "pat-na1-x", "client_secret": "cs"})
                .to_string(),
        )
        .send()
        .await
        .expect("the local stack (moto) must be running: make local-up")
        .arn
        .unwrap();
    let roles = rendered_roles(&["CrmKind=hubspot".to_string(), format!("CrmSecretArn={arn}")]);
    (arn, roles)
}

#[tokio::test]
async fn the_crm_secret_is_read_within_each_role_that_needs_it_and_by_no_other() {
    let (arn, roles) = secret_and_roles().await;
    let sdk = local::sdk_config("us-east-1").await;
    for (function, role) in roles.as_object().unwrap() {
        let policies = role["policies"].as_array().unwrap().clone();
        let (gate, config) = through_gate(&sdk, function, &policies).await;
        let fetched = CrmSecret::fetch(&aws_sdk_secretsmanager::Client::new(&config), &arn).await;
        // The four functions that build the CRM at start-up (acebridge_crm::setup) read the secret.
        let needs = [
            "ace-file-ingest",
            "partner-central-events",
            "crm-outbound",
            "crm-inbound",
        ];
        if needs.contains(&function.as_str()) {
            assert!(
                fetched.is_ok(),
                "{function}: {:?} {:?}",
                fetched.err(),
                refused(&gate)
            );
        } else {
            let e = fetched.expect_err("a function that needs no CRM may not read its secret");
            assert!(
                e.message.contains("secretsmanager:GetSecretValue"),
                "{function}: {e}"
            );
        }
    }
}

#[tokio::test]
async fn crm_inbound_reads_the_store_and_sends_changes_within_its_role() {
    let (_arn, roles) = secret_and_roles().await;
    let sdk = local::sdk_config("us-east-1").await;
    // Named as CloudFormation names the template's table and bus.
    let (ledger, store_table) = (unique("t-LedgerTable"), unique("t-CrmStoreTable"));
    local::init(
        &unique("ace"),
        &unique("landing"),
        &ledger,
        &store_table,
        "us-east-1",
    )
    .await
    .unwrap();
    let bus_name = unique("acebridge-bus");
    let queue = local::route_to_queue(&sdk, &bus_name, "acebridge.crm", "crm-changes")
        .await
        .unwrap();
    let policies = roles["crm-inbound"]["policies"].as_array().unwrap().clone();
    let (gate, config) = through_gate(&sdk, "crm-inbound", &policies).await;
    let store = DynamoCrmStore::new(aws_sdk_dynamodb::Client::new(&config), store_table);
    let bus = EventBus::new(aws_sdk_eventbridge::Client::new(&config), bus_name);
    let replay_table = unique("t-ReplayCacheTable");
    acebridge_sync::adapters::dynamodb::ensure_replay_table(
        &aws_sdk_dynamodb::Client::new(&sdk),
        &replay_table,
    )
    .await
    .unwrap();
    let replay = acebridge_sync::adapters::dynamodb::DynamoReplayCache::new(
        aws_sdk_dynamodb::Client::new(&config),
        replay_table,
    );

    // The work queue, named as CloudFormation names the template's queue.
    let work_url = aws_sdk_sqs::Client::new(&sdk)
        .create_queue()
        .queue_name(unique("t-CrmInboundWorkQueue"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let work = acebridge_sync::adapters::sqs::WorkQueue::new(
        aws_sdk_sqs::Client::new(&config),
        work_url.clone(),
    );

    let server = MockServer::start().await;
    common::mock_deal_901(&server, None, None).await;
    let (hs, mapping) = common::hubspot(&server);
    let mirror = MirroredCrm::<acebridge_crm::hubspot::Hubspot>::new(store, None);
    let cx = Inbound {
        remote: &hs,
        mapping: &mapping,
        mirror: &mirror,
        sink: &bus,
        hubspot_client_secret: Some(b"hs-client-secret"),
        hubspot_app_id: Some("54321"),
        salesforce_user_id: None,
        replay: Some(&replay),
        queue: None,
    };
    let now = acebridge_clock::TestClock::suite().now();
    let answer = inbound::handle(&cx, &common::deal_webhook_call(now), now)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    // With the work queue: the call is queued (SendMessageBatch, granted by sqs:SendMessage).
    let queued = Inbound {
        queue: Some(&work),
        ..cx
    };
    let later = now + chrono::Duration::seconds(1);
    let answer = inbound::handle(&queued, &common::deal_webhook_call(later), later)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let refused = refused(&gate);
    assert!(refused.is_empty(), "the role refused: {refused:?}");
    let actions: std::collections::BTreeSet<String> =
        gate.calls().into_iter().map(|c| c.action).collect();
    assert!(actions.contains("events:PutEvents"), "{actions:?}");
    assert!(actions.contains("sqs:SendMessage"), "{actions:?}");
    assert!(
        actions.iter().any(|a| a.starts_with("dynamodb:")),
        "{actions:?}"
    );
    assert!(
        actions.contains("dynamodb:PutItem"),
        "the replay cache: {actions:?}"
    );
    assert_eq!(local::drain_queue(&sdk, &queue).await.unwrap().len(), 1);
}
