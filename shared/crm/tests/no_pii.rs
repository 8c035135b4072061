//! No PII in the CRM adapters' logs: records with contact data go to Salesforce, HubSpot and a webhook
//! (with refusals quoting an email), and CRM events come back (a HubSpot contact event carrying an
//! email), all with the functions' JSON log format captured at debug; then every email, phone and
//! name used is looked for in what was logged. Needs the local stack (moto) for the mirror and the bus.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_crm::config::MappingConfig;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::hubspot::Hubspot;
use acebridge_crm::inbound::{self, Inbound};
use acebridge_crm::mirror::{AnyRemote, MirroredCrm};
use acebridge_crm::salesforce::Salesforce;
use acebridge_crm::secrets::CrmSecret;
use acebridge_crm::webhook::Webhook;
use acebridge_mapping::Catalog;
use acebridge_sync::adapters::dynamodb::DynamoCrmStore;
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::local;
use acebridge_sync::model::record::{RecordKind, SyncRecord};
use acebridge_sync::ports::crm::Crm;
use acebridge_sync::telemetry::CapturedLogs;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PII: [&str; 6] = [
    "maria.garcia@example.com",
    "+1 206 555 0100",
    "Garcia",
    "jane.doe@example.com",
    "someone@example.com",
    "Maria",
];

fn secret(v: Value) -> CrmSecret {
    CrmSecret::parse(&v.to_string()).unwrap()
}

fn record(id: &str) -> SyncRecord {
    SyncRecord::from_json(
        RecordKind::Opportunity,
        &json!({
            "id": id,
            "project": {"title": "Leak check", "business_problem": "Reports take a day to build"},
            "customer": {"company_name": "Example Corp",
                         "contacts": [{"first_name": "Maria", "last_name": "Garcia",
                                       "email": "maria.garcia@example.com", "phone": "+1 206 555 0100"}]},
            "life_cycle": {"stage": "Prospect"},
            "audit": {"last_modified_at": "2026-11-20T10:00:00Z"}
        }),
    )
    .unwrap()
}

#[test]
fn crm_adapters_and_inbound_events_log_no_email_phone_or_name() {
    let out = CapturedLogs::default();
    out.run(flows()).unwrap();
    let logs = out.text();
    assert!(logs.lines().count() >= 5, "the flows logged: {logs}");
    let leaked: Vec<_> = PII.iter().filter(|p| logs.contains(*p)).collect();
    assert!(leaked.is_empty(), "PII in logs: {leaked:?}\n{logs}");
    // A refused HubSpot call is logged with its reason and where it came from (the fixture's address).
    assert!(
        logs.lines().any(|l| l.contains("HubSpot call refused")
            && l.contains("54.174.60.10")
            && l.contains("signature")),
        "{logs}"
    );
    // The check itself would catch a careless line.
    let probe = CapturedLogs::default();
    tracing::subscriber::with_default(probe.subscriber(), || {
        tracing::info!(email = "jane.doe@example.com", "careless")
    });
    assert!(probe.text().contains("jane.doe@example.com"));
}

async fn flows() {
    let (crm_table, bus_name) = (
        format!("crm-pii-{}", std::process::id()),
        format!("bus-pii-{}", std::process::id()),
    );
    local::init(
        &format!("ace-pii-{}", std::process::id()),
        &format!("landing-pii-{}", std::process::id()),
        &format!("ledger-pii-{}", std::process::id()),
        &crm_table,
        "us-east-1",
    )
    .await
    .expect("the local stack (moto) must be running: make local-up");
    let sdk = local::sdk_config("us-east-1").await;
    let queue = local::route_to_queue(&sdk, &bus_name, "acebridge.crm", "pii")
        .await
        .unwrap();
    let store = DynamoCrmStore::new(aws_sdk_dynamodb::Client::new(&sdk), &crm_table);
    let bus = EventBus::new(aws_sdk_eventbridge::Client::new(&sdk), &bus_name);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "00Dt", "instance_url": server.uri(), "token_type": "Bearer"}),
        ))
        .mount(&server)
        .await;
    // Salesforce refuses, quoting the email.
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!([
            {"message": "Email: invalid email address: jane.doe@example.com", "errorCode": "INVALID_EMAIL_ADDRESS", "fields": ["Email__c"]}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let sf_mapping = MappingConfig::parse(
        "pii.yaml",
        "crm: salesforce\nopportunity:\n  object: Opportunity\n  aws_id_field: AWS_Opportunity_Id__c\n  fields:\n    - { canonical: project.title, crm: Name }\n    - { canonical: \"customer.contacts[0].email\", crm: Email__c }\n    - { canonical: \"customer.contacts[0].last_name\", crm: Contact_Last__c }\n",
    )
    .unwrap();
    let CrmSecret::Salesforce(sf) =
        secret(json!({"kind": "salesforce", "auth": "client_credentials",
        "login_url": server.uri(), "client_id": "id", "client_secret": "s"}))
    else {
        panic!()
    };
    let sf = Salesforce::new(
        HttpClient::new(
            "salesforce",
            RetryPolicy::fast(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap(),
        sf,
        sf_mapping.clone(),
    );
    let crm = MirroredCrm::new(store.clone(), Some(AnyRemote::Salesforce(Box::new(sf))));
    let e = crm
        .upsert(
            Catalog::Sandbox,
            &record("O1111111"),
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .expect_err("refused");
    tracing::error!(error = %e, "record not applied");

    let CrmSecret::Webhook(wh) = secret(
        json!({"kind": "webhook", "url": format!("{}/hooks", server.uri()), "signing_secret": "x"}),
    ) else {
        panic!()
    };
    let crm = MirroredCrm::new(
        store.clone(),
        Some(AnyRemote::Webhook(Box::new(Webhook::new(
            HttpClient::new(
                "webhook",
                RetryPolicy::fast(),
                acebridge_clock::TestClock::suite().clock(),
            )
            .unwrap(),
            wh,
        )))),
    );
    let e = crm
        .upsert(
            Catalog::Sandbox,
            &record("O2222222"),
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .expect_err("down");
    tracing::error!(error = %e, "record not applied");

    // HubSpot: a signed webhook call whose events carry an email; the deal read carries contact data.
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/deals/901"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "901", "properties": {"dealname": "Leak check", "contact_email": "maria.garcia@example.com"}})))
        .mount(&server)
        .await;
    let CrmSecret::Hubspot(hs) = secret(
        json!({"kind": "hubspot", "access_token": "pat", "client_secret": "cs",
        "app_id": "1", "base_url": server.uri()}),
    ) else {
        panic!()
    };
    let hs_mapping = MappingConfig::load("hubspot-deals").unwrap();
    let hubspot = Hubspot::new(
        HttpClient::new(
            "hubspot",
            RetryPolicy::fast(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap(),
        &hs,
        hs_mapping.clone(),
    );
    let body = include_str!("../../../tests/fixtures/crm/hubspot/deal-webhook.body.json").trim();
    let now = acebridge_clock::TestClock::suite().now();
    let ts = now.timestamp_millis().to_string();
    let uri = "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/";
    let mut event: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/hubspot/function-url.template.json"
    ))
    .unwrap();
    event["headers"]["x-hubspot-request-timestamp"] = json!(ts);
    // Signed as HubSpot documents it, by test code (not acebridge's signer).
    event["headers"]["x-hubspot-signature-v3"] = json!(common::hubspot_v3_independent(
        b"cs",
        "POST",
        uri,
        body.as_bytes(),
        &ts
    ));
    event["body"] = json!(body);
    let mirror = MirroredCrm::<Hubspot>::new(store.clone(), None);
    let cx = Inbound {
        remote: &hubspot,
        mapping: &hs_mapping,
        mirror: &mirror,
        sink: &bus,
        hubspot_client_secret: Some(b"cs"),
        hubspot_app_id: Some("1"),
        salesforce_user_id: None,
        replay: None,
        queue: None,
    };
    let answer = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    // A tampered call is refused and logged.
    event["body"] = json!(body.replace("qualifiedtobuy", "x"));
    let answer = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(answer["statusCode"], 401);
    assert_eq!(
        answer["body"],
        json!(r#"{"error":"unauthorized"}"#),
        "no detail for the caller"
    );
    let _ = local::drain_queue(&sdk, &queue).await.unwrap();
}
