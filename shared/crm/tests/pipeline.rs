//! The real CRMs in the sync: acebridge's store on moto (DynamoDB), acebridge's bus on moto
//! (EventBridge → SQS), Secrets Manager on moto, and Salesforce / HubSpot as local HTTP servers.
//! Needs the local stack (`make test` starts it).
#![allow(clippy::unwrap_used)]

mod common;
#[path = "support/hubspot_portal.rs"]
mod hubspot_portal;
#[path = "support/work_queue.rs"]
mod work_queue;

use acebridge_crm::config::MappingConfig;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::hubspot::Hubspot;
use acebridge_crm::inbound::{self, Inbound};
use acebridge_crm::mirror::MirroredCrm;
use acebridge_crm::salesforce::Salesforce;
use acebridge_crm::secrets::CrmSecret;
use acebridge_mapping::Catalog;
use acebridge_sync::adapters::dynamodb::DynamoCrmStore;
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::local;
use acebridge_sync::model::record::{RecordKind, SyncRecord};
use acebridge_sync::ports::crm::{Crm, Upsert};
use acebridge_sync::ports::ledger::AwsResult;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = acebridge_clock::TestClock::suite()
        .now()
        .timestamp_nanos_opt()
        .unwrap_or_default()
        % 1_000_000_000_000;
    format!("{prefix}-{t}-{n}-{}", std::process::id())
}

struct Local {
    sdk: aws_config::SdkConfig,
    store: DynamoCrmStore,
    bus: EventBus,
    bus_name: String,
    queue: String,
}

impl Local {
    fn bus_name(&self) -> &str {
        &self.bus_name
    }

    /// What reached acebridge's bus (the `acebridge.crm` events routed to the test queue).
    async fn sent(&self) -> Vec<Value> {
        local::drain_queue(&self.sdk, &self.queue).await.unwrap()
    }

    /// The inbound context on this bus for the test HubSpot app (client secret `hs-client-secret`, app id
    /// 54321), with `queue` as its work queue.
    fn hubspot_inbound<'a, R, C>(
        &'a self,
        remote: &'a R,
        mapping: &'a MappingConfig,
        mirror: &'a C,
        queue: Option<&'a acebridge_sync::adapters::sqs::WorkQueue>,
    ) -> Inbound<'a, R, C, EventBus> {
        Inbound {
            hubspot_client_secret: Some(b"hs-client-secret"),
            hubspot_app_id: Some("54321"),
            queue,
            ..self.inbound(remote, mapping, mirror)
        }
    }

    /// The inbound context on this bus, with no HubSpot app (Salesforce events only).
    fn inbound<'a, R, C>(
        &'a self,
        remote: &'a R,
        mapping: &'a MappingConfig,
        mirror: &'a C,
    ) -> Inbound<'a, R, C, EventBus> {
        Inbound {
            remote,
            mapping,
            mirror,
            sink: &self.bus,
            hubspot_client_secret: None,
            hubspot_app_id: None,
            salesforce_user_id: None,
            replay: None,
            queue: None,
        }
    }
}

async fn local() -> Local {
    let (ledger, crm) = (unique("ledger"), unique("crm"));
    local::init(
        &unique("ace"),
        &unique("landing"),
        &ledger,
        &crm,
        "us-east-1",
    )
    .await
    .expect("the local stack (moto) must be running: make local-up");
    let sdk = local::sdk_config("us-east-1").await;
    let bus_name = unique("bus");
    let queue = local::route_to_queue(&sdk, &bus_name, "acebridge.crm", "crm-changes")
        .await
        .unwrap();
    Local {
        store: DynamoCrmStore::new(aws_sdk_dynamodb::Client::new(&sdk), crm),
        bus: EventBus::new(aws_sdk_eventbridge::Client::new(&sdk), bus_name.clone()),
        bus_name,
        queue,
        sdk,
    }
}

async fn salesforce(server: &MockServer) -> Salesforce {
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "00Dt", "instance_url": server.uri(), "token_type": "Bearer"}),
        ))
        .mount(server)
        .await;
    let secret = common::salesforce_secret(
        &json!({"kind": "salesforce", "auth": "client_credentials", "login_url": server.uri(),
                "client_id": "id", "client_secret": "secret"})
        .to_string(),
    );
    let m = MappingConfig::load("salesforce-standard").unwrap();
    Salesforce::new(
        HttpClient::new(
            "salesforce",
            RetryPolicy::fast(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap(),
        secret,
        m.clone(),
    )
}

/// An AWS referral: contact masked until accepted.
fn referral(stage: &str, modified: &str) -> SyncRecord {
    SyncRecord::from_json(
        RecordKind::Opportunity,
        &json!({
            "id": "O1234567",
            "origin": "AWS Referral",
            "project": {"title": "Data lake", "business_problem": "Reports take a day to build"},
            "customer": {"company_name": "Example Corp",
                         "contacts": [{"first_name": {"masked": true}, "email": {"masked": true}}]},
            "life_cycle": {"stage": stage, "target_close_date": "2027-01-31"},
            "audit": {"last_modified_at": modified}
        }),
    )
    .unwrap()
}

fn patches(requests: &[wiremock::Request]) -> Vec<Value> {
    requests
        .iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect()
}

#[tokio::test]
async fn aws_records_reach_salesforce_once_and_only_what_changed_is_written() {
    let l = local().await;
    let server = MockServer::start().await;
    let upsert_path = "/services/data/v62.0/sobjects/Opportunity/AWS_Opportunity_Id__c/O1234567";
    Mock::given(method("PATCH"))
        .and(path(upsert_path))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": "006000000000001AAA", "success": true, "errors": [], "created": true}),
        ))
        .mount(&server)
        .await;
    let crm = MirroredCrm::new(l.store.clone(), Some(salesforce(&server).await));
    let now = acebridge_clock::TestClock::suite().now();

    // A new referral: the whole mapped record goes out, upserted by AWS id.
    let first = crm
        .upsert(
            Catalog::Sandbox,
            &referral("Prospect", "2026-11-20T10:00:00Z"),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(matches!(first, Upsert::Created { .. }));
    let sent = patches(&server.received_requests().await.unwrap());
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0],
        json!({"Name": "Data lake", "Description": "Reports take a day to build",
               "StageName": "Prospecting", "CloseDate": "2027-01-31"})
    );

    // The same version again (a duplicate delivery): no API call.
    crm.upsert(
        Catalog::Sandbox,
        &referral("Prospect", "2026-11-20T10:00:00Z"),
        None,
        now,
    )
    .await
    .unwrap();
    assert_eq!(patches(&server.received_requests().await.unwrap()).len(), 1);

    // A newer version with a new stage: only the stage is written (a CRM user's edit of another
    // field since is not overwritten).
    crm.upsert(
        Catalog::Sandbox,
        &referral("Qualified", "2026-11-21T10:00:00Z"),
        None,
        now,
    )
    .await
    .unwrap();
    let sent = patches(&server.received_requests().await.unwrap());
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1], json!({"StageName": "Qualification"}));

    // An older version: stale in the mirror, nothing written anywhere.
    let stale = crm
        .upsert(
            Catalog::Sandbox,
            &referral("Prospect", "2026-11-19T10:00:00Z"),
            None,
            now,
        )
        .await
        .unwrap();
    assert!(matches!(stale, Upsert::Stale { .. }));
    assert_eq!(patches(&server.received_requests().await.unwrap()).len(), 2);

    // AWS's answer to the partner's last change reaches the CRM's status fields.
    let crm_id = first.crm_id().to_string();
    let answer = AwsResult {
        success: false,
        errors: vec!["Customer.Account.WebsiteUrl: invalid URL".into()],
        source: "test".into(),
        at: now,
    };
    assert!(
        crm.record_aws_result(RecordKind::Opportunity, &crm_id, Some("O1234567"), &answer)
            .await
            .unwrap()
    );
    let sent = patches(&server.received_requests().await.unwrap());
    assert_eq!(
        sent.last().unwrap(),
        &json!({"AWS_Sync_Status__c": "Failed",
                "AWS_Sync_Message__c": "Customer.Account.WebsiteUrl: invalid URL"})
    );
}

#[tokio::test]
async fn aws_refusing_a_crm_created_opportunity_reaches_the_crm_record() {
    let l = local().await;
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(
            "/services/data/v62.0/sobjects/Opportunity/006000000000009AAA",
        ))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let crm = MirroredCrm::new(l.store.clone(), Some(salesforce(&server).await));
    // crm-outbound tells the CRM that AWS refused the create of a record born in Salesforce: the mirror
    // has never seen it, the CRM record still shows why.
    let answer = AwsResult {
        success: false,
        errors: vec!["Customer.Account.WebsiteUrl: REQUIRED_FIELD_MISSING".into()],
        source: "partner-central-api".into(),
        at: acebridge_clock::TestClock::suite().now(),
    };
    assert!(
        crm.record_aws_result(RecordKind::Opportunity, "006000000000009AAA", None, &answer)
            .await
            .unwrap()
    );
    let sent = patches(&server.received_requests().await.unwrap());
    assert_eq!(
        sent,
        vec![json!({"AWS_Sync_Status__c": "Failed",
                     "AWS_Sync_Message__c": "Customer.Account.WebsiteUrl: REQUIRED_FIELD_MISSING"})]
    );
}

#[tokio::test]
async fn a_failed_push_is_retried_by_the_next_delivery() {
    let l = local().await;
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(4)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(2)
        .mount(&server)
        .await;
    let crm = MirroredCrm::new(l.store.clone(), Some(salesforce(&server).await));
    let record = referral("Prospect", "2026-11-20T10:00:00Z");
    let e = crm
        .upsert(
            Catalog::Sandbox,
            &record,
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .expect_err("Salesforce is down");
    assert!(e.retryable, "{e}");
    // The ledger did not finish the record, so it is applied again: the mirror already has it, but
    // it was never written to Salesforce, so it is written now.
    crm.upsert(
        Catalog::Sandbox,
        &record,
        None,
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    let sent = patches(&server.received_requests().await.unwrap());
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[4]["StageName"], "Prospecting");
}

#[tokio::test]
async fn crm_changes_from_salesforce_become_crm_opportunity_changed_events() {
    let l = local().await;
    let server = MockServer::start().await;
    let sf = salesforce(&server).await;
    // The opportunity as SOQL returns it: sparse; the mapping's fallbacks fill what AWS requires.
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"attributes": {"type": "Opportunity"}, "Id": "006000000000001AAA",
                         "AWS_Opportunity_Id__c": null, "Name": "Data lake for the reporting team",
                         "StageName": "Qualification", "CloseDate": null, "Amount": 5000,
                         "Submit_to_AWS__c": true,
                         "Account": {"Name": "Example Corp", "Website": "https://example.com",
                                     "Industry": "Banking", "BillingCountryCode": "US",
                                     "BillingPostalCode": "98101", "BillingState": "Washington"}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mapping = MappingConfig::load("salesforce-standard").unwrap();
    let mirror = MirroredCrm::<Salesforce>::new(l.store.clone(), None);
    let cx = l.inbound(&sf, &mapping, &mirror);
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 15, 30).unwrap();
    let event: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/salesforce/opportunity-change-event.eventbridge.json"
    ))
    .unwrap();
    let report = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(report["sent"], 1, "{report}");
    let events = l.sent().await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["source"], "acebridge.crm");
    assert_eq!(e["detail-type"], "CRM Opportunity Changed");
    let d = &e["detail"];
    assert_eq!(d["crmId"], "006000000000001AAA");
    assert_eq!(
        d["submit"],
        json!({"involvementType": "Co-Sell", "visibility": "Full"})
    );
    let o = &d["opportunity"];
    assert_eq!(o["life_cycle"]["stage"], "Qualified");
    assert_eq!(
        o["life_cycle"]["target_close_date"], "2027-02-20",
        "fallback today+90d"
    );
    assert_eq!(o["customer"]["industry"], "Financial Services");
    assert_eq!(o["project"]["expected_spend"][0]["amount"], "5000");
    // crm-outbound reads it as it reads any CRM change.
    let change: acebridge_sync::crm_side::outbound::OpportunityChanged =
        serde_json::from_value(d.clone()).unwrap();
    assert_eq!(change.crm_id, "006000000000001AAA");

    // Once AWS has the opportunity (its id in the CRM), fallbacks no longer apply: a CRM change with
    // no close date does not move AWS's date.
    server.reset().await;
    let _ = salesforce(&server).await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"Id": "006000000000001AAA", "AWS_Opportunity_Id__c": "O7777777",
                         "Name": "Data lake for the reporting team", "StageName": "Needs Analysis",
                         "CloseDate": null, "Submit_to_AWS__c": false}]
        })))
        .mount(&server)
        .await;
    let report = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(report["sent"], 1, "{report}");
    let events = l.sent().await;
    let o = &events[0]["detail"]["opportunity"];
    assert_eq!(o["id"], "O7777777");
    assert_eq!(o["life_cycle"]["stage"], "Technical Validation");
    assert_eq!(
        o["life_cycle"]["target_close_date"],
        Value::Null,
        "the CRM's empty date, no fallback"
    );
    assert!(o.get("opportunity_type").is_none(), "{o}");

    // acebridge's own write comes back as a CDC event with client=acebridge: dropped, no read.
    let mut own = event.clone();
    own["detail"]["payload"]["ChangeEventHeader"]["changeOrigin"] =
        json!("com/salesforce/api/rest/62.0;client=acebridge");
    let report = inbound::handle(&cx, &own, now).await.unwrap();
    assert_eq!(report["own_writes"], 1, "{report}");
    // Deletions and other objects are not for AWS.
    let mut other = event.clone();
    other["detail"]["payload"]["ChangeEventHeader"]["entityName"] = json!("Account");
    assert_eq!(
        inbound::handle(&cx, &other, now).await.unwrap()["ignored"],
        1
    );
    // An event that is not from Event Relay fails the invocation (kept in the DLQ), naming why.
    let err = inbound::handle(&cx, &json!({"source": "aws.s3", "detail": {}}), now)
        .await
        .expect_err("malformed");
    assert!(
        err.to_string().contains("not Salesforce Event Relay"),
        "{err}"
    );
    assert!(l.sent().await.is_empty());
}

#[tokio::test]
async fn an_unchanged_record_sends_nothing_and_a_platform_event_names_its_record() {
    let l = local().await;
    let server = MockServer::start().await;
    let sf = salesforce(&server).await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"Id": "006000000000001AAA", "AWS_Opportunity_Id__c": "O1234567",
                         "Name": "Data lake", "Description": "Reports take a day to build",
                         "StageName": "Prospecting", "CloseDate": "2027-01-31"}]
        })))
        .mount(&server)
        .await;
    let mapping = MappingConfig::load("salesforce-standard").unwrap();
    // The mirror holds what AWS sent; Salesforce shows the same values (acebridge wrote them).
    let mirror = MirroredCrm::<Salesforce>::new(l.store.clone(), None);
    mirror
        .upsert(
            Catalog::Sandbox,
            &referral("Prospect", "2026-11-20T10:00:00Z"),
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .unwrap();
    let cx = l.inbound(&sf, &mapping, &mirror);
    let event: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/salesforce/platform-event.eventbridge.json"
    ))
    .unwrap();
    let report = inbound::handle(&cx, &event, acebridge_clock::TestClock::suite().now())
        .await
        .unwrap();
    assert_eq!(report["unchanged"], 1, "{report}");
    assert!(l.sent().await.is_empty());
}

#[tokio::test]
async fn hubspot_webhooks_are_verified_then_become_crm_events() {
    let l = local().await;
    let server = MockServer::start().await;
    common::mock_deal_901(&server, Some("555"), Some(1)).await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/companies/batch/read"))
        // Exactly: the company the deal is associated with, and the company properties the shipped
        // mapping (mappings/hubspot-deals.yaml) names, in its order.
        .and(wiremock::matchers::body_json(json!({"inputs": [{"id": "555"}],
            "properties": ["name", "domain", "industry", "country", "zip", "state", "city"],
            "propertiesWithHistory": []})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE", "startedAt": "2026-11-30T10:00:00Z", "completedAt": "2026-11-30T10:00:01Z",
            "results": [{"id": "555", "properties": {"name": "Example Corp", "domain": "example.com", "country": "US",
                                        "zip": "98101", "state": "Washington", "industry": "COMPUTER_SOFTWARE"}}]})))
        .expect(1)
        .mount(&server)
        .await;
    let (hs, mapping) = common::hubspot(&server);
    // As deployed: crm-inbound holds the CRM as an `AnyRemote` (its batch read must reach HubSpot's).
    let hs = acebridge_crm::mirror::AnyRemote::Hubspot(Box::new(hs));
    let mirror = MirroredCrm::<Hubspot>::new(l.store.clone(), None);
    let cx = l.hubspot_inbound(&hs, &mapping, &mirror, None);
    let body = include_str!("../../../tests/fixtures/crm/hubspot/deal-webhook.body.json").trim();
    let now = acebridge_clock::TestClock::suite().now();

    // Tampered body: 401, nothing read, nothing sent.
    let mut tampered = common::hubspot_call(body, b"hs-client-secret", now.timestamp_millis());
    tampered["body"] = json!(body.replace("qualifiedtobuy", "closedwon"));
    let answer = inbound::handle(&cx, &tampered, now).await.unwrap();
    assert_eq!(answer["statusCode"], 401, "{answer}");
    // Signed seven minutes ago: a replay, 401.
    let stale = common::hubspot_call(body, b"hs-client-secret", now.timestamp_millis() - 420_000);
    let answer = inbound::handle(&cx, &stale, now).await.unwrap();
    assert_eq!(answer["statusCode"], 401, "{answer}");
    // Which check failed (here the timestamp) is logged, never told to the caller.
    assert_eq!(
        answer["body"],
        json!(r#"{"error":"unauthorized"}"#),
        "{answer}"
    );

    // Genuine: two events on deal 901 (one read), one by acebridge's own app on 902 (dropped), one
    // on a contact (not mapped).
    let answer = inbound::handle(&cx, &common::deal_webhook_call(now), now)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let report: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        report,
        json!({"named": 4, "sent": 1, "own_writes": 1, "unchanged": 0, "gone": 0, "ignored": 1})
    );
    let events = l.sent().await;
    assert_eq!(events.len(), 1);
    let d = &events[0]["detail"];
    assert_eq!(d["crmId"], "901");
    assert!(d.get("submit").is_none(), "submit_to_aws is false");
    assert_eq!(d["opportunity"]["life_cycle"]["stage"], "Qualified");
    assert_eq!(
        d["opportunity"]["life_cycle"]["target_close_date"],
        "2027-03-01"
    );
    assert_eq!(d["opportunity"]["customer"]["website"], "example.com");
    assert_eq!(
        d["opportunity"]["customer"]["industry"],
        "Software and Internet"
    );
}

/// A signed HubSpot call naming deals `ids` (one `deal.propertyChange` each, by a user).
fn deals_call(ids: impl Iterator<Item = u64>, now: chrono::DateTime<Utc>) -> Value {
    let events: Vec<Value> = ids
        .enumerate()
        .map(|(n, id)| {
            json!({"eventId": n, "subscriptionType": "deal.propertyChange", "objectId": id,
                              "propertyName": "dealstage", "sourceId": "userId:1"})
        })
        .collect();
    common::hubspot_call(
        &serde_json::to_string(&events).unwrap(),
        b"hs-client-secret",
        now.timestamp_millis(),
    )
}

#[tokio::test]
async fn with_a_work_queue_a_hubspot_call_is_answered_before_any_read_and_finished_from_the_queue()
{
    let l = local().await;
    let (work, url) = work_queue::create(&l.sdk, &unique("inbound-work")).await;
    let server = MockServer::start().await;
    hubspot_portal::mount(&server, std::time::Duration::ZERO).await;
    let (hs, mapping) = common::hubspot(&server);
    let hs = acebridge_crm::mirror::AnyRemote::Hubspot(Box::new(hs));
    let mirror = MirroredCrm::<Hubspot>::new(l.store.clone(), None);
    let cx = l.hubspot_inbound(&hs, &mapping, &mirror, Some(&work));
    let now = acebridge_clock::TestClock::suite().now();

    // Answered once verified and queued: HubSpot has not been read, nothing is on the bus yet.
    let answer = inbound::handle(&cx, &deals_call(1..=150, now), now)
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let report: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(report["deferred"], 150, "{report}");
    assert_eq!(report["sent"], 0, "{report}");
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(l.sent().await.is_empty());
    // A tampered call is still refused before anything is queued.
    let mut tampered = deals_call(1..=2, now);
    tampered["body"] = json!("[]");
    let answer = inbound::handle(&cx, &tampered, now).await.unwrap();
    assert_eq!(answer["statusCode"], 401, "{answer}");

    // The queue's delivery (two messages: 100 + 50 records) reads and sends every deal once.
    let (event, receipts) = work_queue::receive(&l.sdk, &url).await.unwrap();
    assert_eq!(receipts.len(), 2, "{event}");
    let answer = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(work_queue::ack(&l.sdk, &url, &receipts, &answer).await, 0);
    assert!(work_queue::receive(&l.sdk, &url).await.is_none());
    let mut sent: Vec<String> = l
        .sent()
        .await
        .iter()
        .map(|e| e["detail"]["crmId"].as_str().unwrap().to_string())
        .collect();
    sent.sort_by_key(|id| id.parse::<u64>().unwrap());
    let expected: Vec<String> = (1..=150).map(|n| n.to_string()).collect();
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn work_left_at_the_deadline_goes_back_on_the_queue_and_every_change_is_sent_once() {
    let l = local().await;
    let (work, url) = work_queue::create(&l.sdk, &unique("inbound-work")).await;
    let server = MockServer::start().await;
    hubspot_portal::mount(&server, std::time::Duration::ZERO).await;
    let (hs, mapping) = common::hubspot(&server);
    let mirror = MirroredCrm::<Hubspot>::new(l.store.clone(), None);
    let cx = l.hubspot_inbound(&hs, &mapping, &mirror, Some(&work));
    // One message of 250 records (written as an older acebridge or an operator's replay could), and a
    // second message behind it.
    let body = |ids: std::ops::RangeInclusive<u64>| {
        json!({"crm": "hubspot", "changes": ids.map(|n| json!({"kind": "opportunity", "id": n.to_string()})).collect::<Vec<_>>()})
            .to_string()
    };
    work.send_all(&[body(1..=250), body(251..=260)])
        .await
        .unwrap();
    let now = acebridge_clock::TestClock::suite().now();

    // The deadline comes near after the first chunk: the rest of the first message goes back on the
    // queue as new messages and the first message is done; the second is not started, so it is failed
    // back to SQS for redelivery.
    let (event, receipts) = work_queue::receive(&l.sdk, &url).await.unwrap();
    assert_eq!(receipts.len(), 2);
    let answer = inbound::handle_until(&cx, &event, now, &mut || false)
        .await
        .unwrap();
    assert_eq!(
        answer["batchItemFailures"],
        json!([{"itemIdentifier": receipts[1].0}]),
        "{answer}"
    );
    work_queue::ack(&l.sdk, &url, &receipts, &answer).await;
    let ids = |events: Vec<Value>| -> Vec<u64> {
        events
            .iter()
            .map(|e| e["detail"]["crmId"].as_str().unwrap().parse().unwrap())
            .collect()
    };
    let mut sent = ids(l.sent().await);
    assert_eq!(sent.len(), 100, "one chunk read and sent");

    // Later invocations with time to spare finish the rest; no change is sent twice.
    let mut rounds = 0;
    while let Some((event, receipts)) = work_queue::receive(&l.sdk, &url).await {
        let answer = inbound::handle(&cx, &event, now).await.unwrap();
        assert_eq!(work_queue::ack(&l.sdk, &url, &receipts, &answer).await, 0);
        rounds += 1;
        assert!(rounds < 10, "the queue does not empty");
    }
    sent.extend(ids(l.sent().await));
    sent.sort_unstable();
    assert_eq!(sent, (1..=260).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_hubspot_change_that_cannot_be_read_is_published_for_operators() {
    let l = local().await;
    let outcomes = local::create_outcome_bus(&l.sdk, l.bus_name())
        .await
        .unwrap();
    let server = MockServer::start().await;
    // The mapping names a property this portal does not have: HubSpot refuses the read.
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/read"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "error", "message": "Property aws_use_case does not exist", "category": "VALIDATION_ERROR"})))
        .mount(&server)
        .await;
    let (hs, mapping) = common::hubspot(&server);
    let mirror = MirroredCrm::<Hubspot>::new(l.store.clone(), None);
    let cx = l.hubspot_inbound(&hs, &mapping, &mirror, None);
    let body = r#"[{"eventId":1,"subscriptionType":"deal.propertyChange","objectId":901,"propertyName":"dealname","sourceId":"userId:1"}]"#;
    let now = acebridge_clock::TestClock::suite().now();
    let call = common::hubspot_call(body, b"hs-client-secret", now.timestamp_millis());
    let answer = inbound::handle(&cx, &call, now).await.unwrap();
    // Answered 200 (HubSpot would retry a permanent error for days), and told.
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let told = local::drain_queue(&l.sdk, &outcomes).await.unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["detail-type"], "CRM Change Not Sent");
    assert_eq!(told[0]["detail"]["crmIds"], json!(["901"]));
    assert!(
        told[0]["detail"]["reason"]
            .as_str()
            .unwrap()
            .contains("aws_use_case does not exist")
    );
    assert!(l.sent().await.is_empty());
}

fn invitation(status: &str) -> SyncRecord {
    SyncRecord::from_json(
        RecordKind::Invitation,
        &json!({
            "catalog": "Sandbox", "id": "engi-v7p8z56whnauo", "status": status,
            "expires_at": "2026-12-07T10:00:00Z", "sender_company_name": "AWS",
            "project": {"title": "Claims processing on AWS"},
            "customer": {"company_name": "Example Corp", "country": {"code": "US"}}
        }),
    )
    .unwrap()
}

fn referral_event() -> Value {
    let mut e: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/salesforce/opportunity-change-event.eventbridge.json"
    ))
    .unwrap();
    e["detail-type"] = json!("AWS_Referral__ChangeEvent");
    e["detail"]["payload"] = json!({
        "ChangeEventHeader": {"entityName": "AWS_Referral__c", "recordIds": ["a0B000000000001AAA"],
                              "changeType": "UPDATE", "changeOrigin": "com/salesforce/api/soap/62.0",
                              "changedFields": ["Decision__c", "Rejection_Reason__c"]},
        "Decision__c": "Reject"
    });
    e
}

#[tokio::test]
async fn aws_referrals_reach_salesforce_and_a_users_decision_goes_back_to_aws() {
    let l = local().await;
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(
            "/services/data/v62.0/sobjects/AWS_Referral__c/AWS_Invitation_Id__c/engi-v7p8z56whnauo",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": "a0B000000000001AAA", "success": true, "errors": [], "created": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .and(wiremock::matchers::query_param_contains("q", "FROM AWS_Referral__c"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"Id": "a0B000000000001AAA", "AWS_Invitation_Id__c": "engi-v7p8z56whnauo",
                         "Decision__c": "Reject", "Rejection_Reason__c": "Customer problem unclear"}]
        })))
        .mount(&server)
        .await;
    let crm = MirroredCrm::new(l.store.clone(), Some(salesforce(&server).await));
    // The pending referral reaches Salesforce as a referral record.
    crm.upsert(
        Catalog::Sandbox,
        &invitation("PENDING"),
        None,
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    let sent = patches(&server.received_requests().await.unwrap());
    assert_eq!(
        sent,
        vec![
            json!({"Title__c": "Claims processing on AWS", "Company__c": "Example Corp", "Country__c": "US",
                     "Status__c": "PENDING", "Sent_By__c": "AWS", "Expires_At__c": "2026-12-07T10:00:00Z"})
        ]
    );
    // The user rejects it in Salesforce: crm-outbound gets the decision with its reason.
    let mapping = MappingConfig::load("salesforce-standard").unwrap();
    let sf = salesforce(&server).await;
    let cx = l.inbound(&sf, &mapping, &crm);
    let report = inbound::handle(
        &cx,
        &referral_event(),
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    assert_eq!(report["sent"], 1, "{report}");
    let events = l.sent().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail-type"], "CRM Referral Decision");
    let decision: acebridge_sync::crm_side::outbound::ReferralDecision =
        serde_json::from_value(events[0]["detail"].clone()).unwrap();
    assert_eq!(decision.invitation_id, "engi-v7p8z56whnauo");
    assert_eq!(decision.decision, "reject");
    assert_eq!(decision.reason.as_deref(), Some("Customer problem unclear"));
    // Once AWS has the rejection (the invitation is no longer pending), the same record sends nothing.
    crm.store()
        .upsert(
            Catalog::Sandbox,
            &invitation("REJECTED"),
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .unwrap();
    let report = inbound::handle(
        &cx,
        &referral_event(),
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    assert_eq!(report["sent"], 0, "{report}");
    assert!(l.sent().await.is_empty());
}

#[tokio::test]
async fn credentials_come_from_secrets_manager() {
    let l = local().await;
    let sm = aws_sdk_secretsmanager::Client::new(&l.sdk);
    let name = unique("acebridge-crm");
    let arn = sm
        .create_secret()
        .name(&name)
        .secret_string(
            json!({"kind": "hubspot", "access_token": "pat-na1-from-sm", "client_secret": "cs"})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .arn
        .unwrap();
    let secret = CrmSecret::fetch(&sm, &arn).await.unwrap();
    assert!(matches!(secret, CrmSecret::Hubspot(_)));
    assert!(!format!("{secret:?}").contains("pat-na1"), "never printed");
    let missing = CrmSecret::fetch(
        &sm,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope",
    )
    .await
    .expect_err("missing");
    assert!(!missing.retryable, "{missing}");
}

/// The public endpoint (issue 16): a genuine HubSpot call replayed within its five minutes is refused
/// (the replay cache on DynamoDB, a conditional write), a body over the cap is refused before it is
/// read, each answer is a bare status, and each refusal is counted in `CallsRefused`.
#[tokio::test]
async fn a_replayed_or_oversized_hubspot_call_is_refused_and_counted() {
    let l = local().await;
    let server = MockServer::start().await;
    // Deal 901 is read once: by the genuine call, not by its replay.
    common::mock_deal_901(&server, None, Some(1)).await;
    let (hs, mapping) = common::hubspot(&server);
    let mirror = MirroredCrm::<Hubspot>::new(l.store.clone(), None);
    let ddb = aws_sdk_dynamodb::Client::new(&l.sdk);
    let table = unique("ReplayCacheTable");
    acebridge_sync::adapters::dynamodb::ensure_replay_table(&ddb, &table)
        .await
        .unwrap();
    let cache = acebridge_sync::adapters::dynamodb::DynamoReplayCache::new(ddb, table);
    let cx = Inbound {
        replay: Some(&cache),
        ..l.hubspot_inbound(&hs, &mapping, &mirror, None)
    };
    let now = acebridge_clock::TestClock::suite().now();
    let call = common::deal_webhook_call(now);
    let _ = acebridge_sync::metrics::take(0);

    let first = inbound::handle(&cx, &call, now).await.unwrap();
    assert_eq!(first["statusCode"], 200, "{first}");
    let again = inbound::handle(&cx, &call, now + chrono::Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(again["statusCode"], 401, "{again}");
    assert_eq!(again["body"], json!(r#"{"error":"unauthorized"}"#));

    // Over the cap: 413 before the body is decoded or the signature computed.
    let big = "x".repeat(inbound::MAX_REQUEST_BYTES + 1);
    let oversized = common::hubspot_call(&big, b"hs-client-secret", now.timestamp_millis());
    let answer = inbound::handle(&cx, &oversized, now).await.unwrap();
    assert_eq!(answer["statusCode"], 413, "{answer}");
    assert_eq!(answer["body"], json!(r#"{"error":"payload too large"}"#));

    let refused: f64 = acebridge_sync::metrics::take(0)
        .iter()
        .filter_map(|d| d["CallsRefused"].as_f64())
        .sum();
    assert!(refused >= 2.0, "CallsRefused {refused}");
    assert_eq!(l.sent().await.len(), 1, "only the genuine call was sent on");
}

/// Salesforce's special change events, as its Change Data Capture guide documents them: a gap event
/// (ids, no fields) is read like any change; a `recordIds` wildcard (`006*`) and an overflow event name
/// no readable record, so they are told to operators (`CRM Change Not Sent`) instead of failing the
/// invocation for good; a change committed by the integration user is acebridge's own even when its
/// `changeOrigin` lacks acebridge's client id (sObject Collections), and is neither read nor sent.
#[tokio::test]
async fn salesforce_gap_wildcard_overflow_and_integration_user_events() {
    let l = local().await;
    let outcomes = local::create_outcome_bus(&l.sdk, l.bus_name())
        .await
        .unwrap();
    let server = MockServer::start().await;
    let sf = salesforce(&server).await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"Id": "006000000000001AAA", "AWS_Opportunity_Id__c": "O7777777",
                         "Name": "Data lake", "StageName": "Needs Analysis", "CloseDate": "2027-03-01",
                         "Submit_to_AWS__c": false}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mapping = MappingConfig::load("salesforce-standard").unwrap();
    let mirror = MirroredCrm::<Salesforce>::new(l.store.clone(), None);
    let cx = Inbound {
        salesforce_user_id: Some("005000000000009AAA"),
        ..l.inbound(&sf, &mapping, &mirror)
    };
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 15, 30).unwrap();
    let event: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/salesforce/opportunity-change-event.eventbridge.json"
    ))
    .unwrap();
    let with = |change: &str, ids: Value, user: &str| {
        let mut e = event.clone();
        let h = &mut e["detail"]["payload"]["ChangeEventHeader"];
        h["changeType"] = json!(change);
        h["recordIds"] = ids;
        h["commitUser"] = json!(user);
        e
    };

    // A gap event: read and sent (the one read the mock allows).
    let gap = with(
        "GAP_UPDATE",
        json!(["006000000000001AAA"]),
        "005000000000001AAA",
    );
    let report = inbound::handle(&cx, &gap, now).await.unwrap();
    assert_eq!(report["sent"], 1, "{report}");
    assert_eq!(l.sent().await.len(), 1);

    // A wildcard and an overflow: answered, told to operators, nothing read or sent.
    for e in [
        with("UPDATE", json!(["006*"]), "005000000000001AAA"),
        with("GAP_OVERFLOW", json!(["006*"]), "005000000000001AAA"),
    ] {
        let report = inbound::handle(&cx, &e, now).await.unwrap();
        assert_eq!(report["sent"], 0, "{report}");
        assert_eq!(
            report["unreadable"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
    }
    let told = local::drain_queue(&l.sdk, &outcomes).await.unwrap();
    let not_sent: Vec<&Value> = told
        .iter()
        .filter(|t| t["detail-type"] == "CRM Change Not Sent")
        .collect();
    assert_eq!(not_sent.len(), 2, "{told:?}");
    assert!(
        not_sent[0]["detail"].to_string().contains("006*"),
        "{}",
        not_sent[0]
    );

    // Committed by the integration user (the 15-character form), no client id in changeOrigin: own.
    let own = with("UPDATE", json!(["006000000000001AAA"]), "005000000000009");
    let report = inbound::handle(&cx, &own, now).await.unwrap();
    assert_eq!(report["own_writes"], 1, "{report}");
    assert!(l.sent().await.is_empty());
}

/// The mirror holds a lead AWS sent over the API (engagement `engagement`, qualification status `New`).
async fn mirror_api_lead(l: &Local, engagement: &str) {
    let lead: acebridge_mapping::Lead = serde_json::from_value(json!({
        "company": "Example Lead Corp",
        "engagement": {"engagement_id": engagement, "context_id": "1", "qualification_status": "New"},
        "audit": {"last_modified_at": "2026-11-03T09:30:00Z"}}))
    .unwrap();
    l.store
        .upsert(
            acebridge_mapping::Catalog::Sandbox,
            &acebridge_sync::model::record::SyncRecord::from(lead),
            None,
            acebridge_clock::TestClock::suite().now(),
        )
        .await
        .unwrap();
}

/// A lead AWS sent over the API, qualified and marked for conversion in Salesforce (CDC on Lead through
/// Event Relay), becomes one `CRM Lead Changed` with its engagement (from the mirror), the CRM's
/// qualification status and `convert`, which crm-outbound reads and `acebridge validate` accepts. A
/// Lead change that sends AWS nothing new is not sent.
#[tokio::test]
async fn a_lead_qualified_and_converted_in_salesforce_becomes_crm_lead_changed() {
    let l = local().await;
    let server = MockServer::start().await;
    let sf = salesforce(&server).await;
    mirror_api_lead(&l, "eng-00000000000030").await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"attributes": {"type": "Lead"}, "Id": "00Q000000000001AAA",
                         "AWS_Lead_Id__c": "eng-00000000000030", "AWS_Qualification_Status__c": "Qualified",
                         "Convert_to_AWS_Opportunity__c": true}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mapping = MappingConfig::load("salesforce-standard").unwrap();
    let mirror = MirroredCrm::<Salesforce>::new(l.store.clone(), None);
    let cx = l.inbound(&sf, &mapping, &mirror);
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 15, 30).unwrap();
    let mut event: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/salesforce/opportunity-change-event.eventbridge.json"
    ))
    .unwrap();
    event["detail"]["payload"]["ChangeEventHeader"]["entityName"] = json!("Lead");
    event["detail"]["payload"]["ChangeEventHeader"]["recordIds"] = json!(["00Q000000000001AAA"]);
    let report = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(report["sent"], 1, "{report}");
    let events = l.sent().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail-type"], "CRM Lead Changed");
    let d = &events[0]["detail"];
    assert_eq!(d["engagementId"], "eng-00000000000030");
    assert_eq!(d["convert"], true);
    assert_eq!(d["lead"]["engagement"]["qualification_status"], "Qualified");
    assert!(d["lead"].get("id").is_none(), "{d}");
    // crm-outbound reads it as it reads any CRM event.
    let parsed = acebridge_sync::crm_side::crm_queue::parse(&events[0].to_string()).unwrap();
    assert!(matches!(
        parsed,
        acebridge_sync::crm_side::crm_queue::CrmEvent::Lead(_)
    ));

    // Nothing AWS gets changed: not sent.
    server.reset().await;
    let _ = salesforce(&server).await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"Id": "00Q000000000001AAA", "AWS_Lead_Id__c": "eng-00000000000030",
                         "AWS_Qualification_Status__c": "New", "Convert_to_AWS_Opportunity__c": false}]
        })))
        .mount(&server)
        .await;
    let report = inbound::handle(&cx, &event, now).await.unwrap();
    assert_eq!(report["sent"], 0, "{report}");
    assert_eq!(report["unchanged"], 1, "{report}");
}

/// HubSpot: a change of the lead contact's `aws_qualification_status` (a lead AWS sent over the API) is
/// read (the contact properties the shipped lead part sends AWS, and its convert checkbox) and becomes a
/// `CRM Lead Changed`; a change of another contact property is not read at all.
#[tokio::test]
async fn a_lead_contact_qualified_in_hubspot_becomes_crm_lead_changed() {
    let l = local().await;
    let server = MockServer::start().await;
    mirror_api_lead(&l, "eng-00000000000031").await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/read"))
        .and(wiremock::matchers::body_json(json!({"inputs": [{"id": "77"}],
            "properties": ["aws_lead_id", "aws_qualification_status", "convert_to_aws_opportunity"],
            "propertiesWithHistory": []})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE", "startedAt": "2026-11-30T10:00:00Z", "completedAt": "2026-11-30T10:00:01Z",
            "results": [{"id": "77", "properties": {"aws_lead_id": "eng-00000000000031",
                "aws_qualification_status": "Qualified", "convert_to_aws_opportunity": "false"}}]})))
        .expect(1)
        .mount(&server)
        .await;
    let (hs, mapping) = common::hubspot(&server);
    let hs = acebridge_crm::mirror::AnyRemote::Hubspot(Box::new(hs));
    let mirror = MirroredCrm::<Hubspot>::new(l.store.clone(), None);
    let cx = l.hubspot_inbound(&hs, &mapping, &mirror, None);
    let body = json!([
        {"eventId": 1, "subscriptionId": 9, "portalId": 62515, "appId": 54321, "occurredAt": 1764500000000_i64,
         "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": 77,
         "propertyName": "aws_qualification_status", "propertyValue": "Qualified", "changeSource": "CRM_UI"},
        {"eventId": 2, "subscriptionId": 9, "portalId": 62515, "appId": 54321, "occurredAt": 1764500000000_i64,
         "subscriptionType": "contact.propertyChange", "attemptNumber": 0, "objectId": 78,
         "propertyName": "email", "propertyValue": "someone@example.com", "changeSource": "CRM_UI"}
    ])
    .to_string();
    let now = acebridge_clock::TestClock::suite().now();
    let call = common::hubspot_call(&body, b"hs-client-secret", now.timestamp_millis());
    let answer = inbound::handle(&cx, &call, now).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let report: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (report["sent"].clone(), report["ignored"].clone()),
        (json!(1), json!(1)),
        "{report}"
    );
    let events = l.sent().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail-type"], "CRM Lead Changed");
    let d = &events[0]["detail"];
    assert_eq!(d["engagementId"], "eng-00000000000031");
    assert_eq!(d["convert"], false);
    assert_eq!(d["lead"]["engagement"]["qualification_status"], "Qualified");
}
