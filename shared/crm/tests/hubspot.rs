//! The HubSpot adapter against a local HTTP server that checks HubSpot's documented request shapes
//! (CRM v3 batch upsert by a unique property, batch update, company search/create, v4 default
//! association, object reads) and serves its documented errors (429 with Retry-After, validation
//! errors, an invalid token).

mod common;

use acebridge_crm::config::MappingConfig;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::hubspot::Hubspot;
use acebridge_crm::paths::Kind;
use acebridge_crm::remote::{Push, RemoteCrm};
use acebridge_crm::transform::SyncFields;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn adapter(server: &MockServer) -> Hubspot {
    let secret = common::hubspot_secret(
        &json!({"kind": "hubspot", "access_token": "pat-na1-test", "base_url": server.uri()})
            .to_string(),
    );
    let mapping = MappingConfig::load("hubspot-deals").expect("mapping");
    Hubspot::new(
        HttpClient::new("hubspot", RetryPolicy::fast()).expect("client"),
        &secret,
        mapping.clone(),
    )
}

fn record(id: &str) -> Value {
    json!({
        "id": id,
        "project": {"title": "Data lake"},
        "life_cycle": {"stage": "Committed", "review_status": "Approved", "target_close_date": "2027-01-31"},
    })
}

fn push<'a>(record: &'a Value, crm_id: &'a str, native: bool, ace: Option<&'a str>) -> Push<'a> {
    Push {
        kind: Kind::Opportunity,
        crm_id,
        native,
        ace_id: ace,
        record,
        sync: SyncFields {
            status: Some("Succeeded".into()),
            message: None,
        },
        previous: None,
    }
}

/// Pushes a new deal for AWS opportunity O1, which the server is set up to refuse.
async fn refused_push(server: &MockServer) -> acebridge_sync::error::PortError {
    let r = record("O1");
    adapter(server)
        .push(&push(&r, "ACB-O1", false, Some("O1")))
        .await
        .expect_err("refused")
}

fn props(id: &str) -> Value {
    json!({"dealname": "Data lake", "dealstage": "contractsent", "closedate": "2027-01-31",
           "aws_review_status": "Approved", "aws_sync_status": "Succeeded", "aws_opportunity_id": id})
}

#[tokio::test]
async fn batch_upsert_by_the_aws_id_property() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/upsert"))
        .and(header("authorization", "Bearer pat-na1-test"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"inputs": [
            {"idProperty": "aws_opportunity_id", "id": "O1", "properties": props("O1")},
            {"idProperty": "aws_opportunity_id", "id": "O2", "properties": props("O2")}
        ]})))
        // Results are not in input order.
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE",
            "results": [
                {"id": "902", "properties": {"aws_opportunity_id": "O2"}, "new": false},
                {"id": "901", "properties": {"aws_opportunity_id": "O1"}, "new": true}
            ]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (a, b) = (record("O1"), record("O2"));
    let out = adapter(&server)
        .push_many(&[
            push(&a, "ACB-O1", false, Some("O1")),
            push(&b, "ACB-O2", false, Some("O2")),
        ])
        .await
        .expect("batch");
    let ids: Vec<_> = out
        .iter()
        .map(|r| r.as_ref().ok().and_then(|p| p.remote_id.clone()))
        .collect();
    assert_eq!(ids, vec![Some("901".to_string()), Some("902".to_string())]);
    assert!(out[0].as_ref().is_ok_and(|p| p.created));
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/update"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"status": "error", "message": "You have reached your ten_secondly_rolling limit.",
                                      "errorType": "RATE_LIMIT", "correlationId": "c-1", "policyName": "TEN_SECONDLY_ROLLING"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/update"))
        .and(body_json(json!({"inputs": [{"id": "12345", "properties": {
            "dealname": "Data lake", "dealstage": "contractsent", "closedate": "2027-01-31",
            "aws_review_status": "Approved", "aws_sync_status": "Succeeded", "aws_opportunity_id": "O1"}}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "COMPLETE", "results": [{"id": "12345", "properties": {}}]}),
        ))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let r = record("O1");
    let started = Instant::now();
    let done = adapter(&server)
        .push(&push(&r, "12345", true, Some("O1")))
        .await
        .expect("after the wait");
    // The fast test policy backs off in milliseconds; only Retry-After explains a second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(done.remote_id.as_deref(), Some("12345"));
}

#[tokio::test]
async fn validation_errors_name_the_property() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/upsert"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "status": "error",
            "message": "Property values were not valid: [{\"isValid\":false,\"message\":\"contractsent was not one of the allowed options\",\"error\":\"INVALID_OPTION\",\"name\":\"dealstage\"}]",
            "correlationId": "c-2", "category": "VALIDATION_ERROR",
            "errors": [{"message": "contractsent was not one of the allowed options", "code": "INVALID_OPTION",
                        "context": {"propertyName": ["dealstage"]}}]
        })))
        .mount(&server)
        .await;
    let e = refused_push(&server).await;
    assert!(!e.retryable);
    assert!(e.message.contains("INVALID_OPTION [dealstage]"), "{e}");
}

#[tokio::test]
async fn an_invalid_token_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error", "message": "Authentication credentials not found.",
            "correlationId": "c-3", "category": "INVALID_AUTHENTICATION"})))
        .expect(1)
        .mount(&server)
        .await;
    let e = refused_push(&server).await;
    assert!(!e.retryable);
    assert!(e.message.contains("401"), "{e}");
}

#[tokio::test]
async fn the_deal_is_associated_with_its_company_found_or_created() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/upsert"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE", "results": [{"id": "901", "properties": {"aws_opportunity_id": "O1"}, "new": true}]})))
        .mount(&server)
        .await;
    // No company with that domain, nor that name: it is created.
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/companies/search"))
        .and(body_json(json!({"filterGroups": [{"filters": [{"propertyName": "domain", "operator": "EQ", "value": "example.com"}]}],
                              "properties": ["name", "domain"], "limit": 1})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "results": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/companies/search"))
        .and(body_json(json!({"filterGroups": [{"filters": [{"propertyName": "name", "operator": "EQ", "value": "Example Corp"}]}],
                              "properties": ["name", "domain"], "limit": 1})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"total": 0, "results": []})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/companies"))
        .and(body_json(
            json!({"properties": {"name": "Example Corp", "domain": "example.com"}}),
        ))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"id": "555", "properties": {}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(
            "/crm/v4/objects/deals/901/associations/default/companies/555",
        ))
        .and(header("authorization", "Bearer pat-na1-test"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETE", "results": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut r = record("O1");
    r["customer"] = json!({"company_name": "Example Corp", "website": "example.com"});
    adapter(&server)
        .push(&push(&r, "ACB-O1", false, Some("O1")))
        .await
        .expect("pushed and associated");
}

#[tokio::test]
async fn fetch_reads_the_deal_and_its_company() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/deals/901"))
        .and(query_param("associations", "companies"))
        .and(wiremock::matchers::query_param_contains("properties", "dealname"))
        .and(wiremock::matchers::query_param_contains("properties", "submit_to_aws"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "901", "properties": {"dealname": "Data lake", "dealstage": "qualifiedtobuy", "amount": "1500"},
            "associations": {"companies": {"results": [{"id": "555", "type": "deal_to_company"}]}}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/companies/555"))
        .and(wiremock::matchers::query_param_contains("properties", "domain"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "555", "properties": {"name": "Example Corp", "domain": "example.com", "country": "US"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/crm/v3/objects/deals/404"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"status": "error", "message": "Object not found"})),
        )
        .mount(&server)
        .await;
    let hs = adapter(&server);
    let got = hs
        .fetch(Kind::Opportunity, "901")
        .await
        .expect("fetch")
        .expect("deal");
    assert_eq!(got["dealname"], "Data lake");
    assert_eq!(got["company"]["domain"], "example.com");
    assert_eq!(
        hs.fetch(Kind::Opportunity, "404").await.expect("fetch"),
        None
    );
}

#[tokio::test]
async fn aws_leads_become_contacts_upserted_by_the_aws_lead_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/batch/upsert"))
        .and(body_json(json!({"inputs": [{"idProperty": "aws_lead_id", "id": "L1234567", "properties": {
            "aws_lead_id": "L1234567", "firstname": "Ana", "lastname": "Lopez", "company": "Example Corp",
            "country": "US"}}]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "COMPLETE", "results": [{"id": "77", "properties": {"aws_lead_id": "L1234567"}, "new": true}]})))
        .expect(1)
        .mount(&server)
        .await;
    let lead = json!({"id": "L1234567", "company": "Example Corp",
                      "contact": {"first_name": "Ana", "last_name": "Lopez", "email": {"masked": true}},
                      "address": {"country": {"code": "US"}}});
    let p = Push {
        kind: Kind::Lead,
        crm_id: "ACB-L1234567",
        native: false,
        ace_id: Some("L1234567"),
        record: &lead,
        sync: SyncFields::default(),
        previous: None,
    };
    let done = adapter(&server).push(&p).await.expect("contact");
    assert_eq!(done.remote_id.as_deref(), Some("77"));
}
