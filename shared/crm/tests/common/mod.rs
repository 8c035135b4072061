//! Helpers shared by the CRM tests.
#![allow(dead_code, clippy::unwrap_used)]

use acebridge_crm::config::MappingConfig;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::hubspot::Hubspot;
use acebridge_crm::secrets::{CrmSecret, HubspotSecret, SalesforceSecret, WebhookSecret};
use serde_json::Value;
use wiremock::{MockServer, Request};

pub fn salesforce_secret(json: &str) -> SalesforceSecret {
    match CrmSecret::parse(json).expect("secret") {
        CrmSecret::Salesforce(s) => s,
        other => panic!("{other:?}"),
    }
}

pub fn hubspot_secret(json: &str) -> HubspotSecret {
    match CrmSecret::parse(json).expect("secret") {
        CrmSecret::Hubspot(s) => s,
        other => panic!("{other:?}"),
    }
}

pub fn webhook_secret(json: &str) -> WebhookSecret {
    match CrmSecret::parse(json).expect("secret") {
        CrmSecret::Webhook(s) => s,
        other => panic!("{other:?}"),
    }
}

/// The requests the server received with this method (and path, if given).
pub async fn requests(server: &MockServer, method: &str, path: Option<&str>) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && path.is_none_or(|p| r.url.path() == p))
        .collect()
}

/// HMAC-SHA256 by the RustCrypto `hmac` crate: signatures in tests are computed by code acebridge did
/// not write, from the vendors' documented constructions, never by acebridge's own signer.
pub fn independent_hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
    m.update(message);
    m.finalize().into_bytes().to_vec()
}

/// HubSpot's v3 signature as HubSpot documents it: base64(HMAC-SHA256(client secret, method + URI +
/// body + timestamp)), over the URI as HubSpot signs it.
pub fn hubspot_v3_independent(
    secret: &[u8],
    method: &str,
    uri: &str,
    body: &[u8],
    ts: &str,
) -> String {
    use base64::Engine;
    let message = [method.as_bytes(), uri.as_bytes(), body, ts.as_bytes()].concat();
    base64::engine::general_purpose::STANDARD.encode(independent_hmac(secret, &message))
}

/// acebridge's documented webhook signature (docs/mapping.md): `v1=` + hex(HMAC-SHA256(secret,
/// "<timestamp>.<body>")).
pub fn webhook_v1_independent(secret: &[u8], ts: &str, body: &[u8]) -> String {
    let mac = independent_hmac(secret, &[ts.as_bytes(), b".", body].concat());
    format!(
        "v1={}",
        mac.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Runs `tests/support/vendor_checks.py` in the project's venv (installed by `make setup`): the
/// Standard Webhooks reference library and HubSpot's official client check what the request names.
pub fn verify_with_vendor_libraries(request: &Value) -> Value {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join("../../.venv/bin/python");
    let mut child = std::process::Command::new(&python)
        .arg(root.join("tests/support/vendor_checks.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e} (run make setup)", python.display()));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "vendor_checks.py failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What the Standard Webhooks library says of each request (`null`: verified), with `secret`.
pub fn standard_webhooks_verdicts(secret: &str, requests: &[Request]) -> Vec<Value> {
    let deliveries: Vec<Value> = requests
        .iter()
        .map(|r| {
            let headers: serde_json::Map<String, Value> = r
                .headers
                .iter()
                .filter_map(|(k, v)| Some((k.to_string(), Value::String(v.to_str().ok()?.into()))))
                .collect();
            serde_json::json!({"headers": headers, "body": String::from_utf8_lossy(&r.body)})
        })
        .collect();
    let out = verify_with_vendor_libraries(
        &serde_json::json!({"standard_webhooks": {"secret": secret, "deliveries": deliveries}}),
    );
    out["standard_webhooks"].as_array().unwrap().clone()
}

/// What HubSpot's published OpenAPI schemas (`tests/fixtures/crm/hubspot/openapi-batch.json`, checked by
/// `jsonschema`) say of each `(schema, body)`: `null` when it validates. Used on our requests and on the
/// answers our local HubSpot serves, so that neither is only our idea of HubSpot.
pub fn hubspot_schema_verdicts(bodies: &[(&str, &Value)]) -> Vec<Value> {
    let schema_file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/crm/hubspot/openapi-batch.json");
    let bodies: Vec<Value> = bodies
        .iter()
        .map(|(schema, body)| serde_json::json!({"schema": schema, "body": body}))
        .collect();
    let out = verify_with_vendor_libraries(
        &serde_json::json!({"hubspot_openapi": {"schema_file": schema_file, "bodies": bodies}}),
    );
    out["hubspot_openapi"].as_array().unwrap().clone()
}

/// The HubSpot adapter on `server` (app 54321, client secret `hs-client-secret`) with the shipped mapping.
pub fn hubspot(server: &MockServer) -> (Hubspot, MappingConfig) {
    let secret = hubspot_secret(
        &serde_json::json!({"kind": "hubspot", "access_token": "pat-na1-test", "client_secret": "hs-client-secret",
                "app_id": "54321", "base_url": server.uri()})
        .to_string(),
    );
    let mapping = MappingConfig::load("hubspot-deals").unwrap();
    let hs = Hubspot::new(
        HttpClient::new(
            "hubspot",
            RetryPolicy::fast(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap(),
        &secret,
        mapping.clone(),
    );
    (hs, mapping)
}

pub fn hubspot_call(body: &str, secret: &[u8], signed_at_ms: i64) -> Value {
    let template =
        include_str!("../../../../tests/fixtures/crm/hubspot/function-url.template.json");
    let mut event: Value = serde_json::from_str(template).unwrap();
    let ts = signed_at_ms.to_string();
    let uri = "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/";
    event["headers"]["x-hubspot-request-timestamp"] = serde_json::json!(ts);
    // Signed as HubSpot documents it, by test code (not acebridge's signer).
    event["headers"]["x-hubspot-signature-v3"] = serde_json::json!(hubspot_v3_independent(
        secret,
        "POST",
        uri,
        body.as_bytes(),
        &ts
    ));
    event["body"] = serde_json::json!(body);
    event
}

/// The fixture HubSpot webhook call (deal 901 changed twice, one own write, one contact event) as HubSpot
/// sends it to the function URL, signed with `hs-client-secret` at `now`.
pub fn deal_webhook_call(now: chrono::DateTime<chrono::Utc>) -> Value {
    let body = include_str!("../../../../tests/fixtures/crm/hubspot/deal-webhook.body.json").trim();
    hubspot_call(body, b"hs-client-secret", now.timestamp_millis())
}

/// HubSpot's deal 901 on `server` (the deal the webhook fixture names), answered `times` times at most;
/// `company` adds its association to that company id.
pub async fn mock_deal_901(server: &MockServer, company: Option<&str>, times: Option<u64>) {
    use wiremock::matchers::{method, path};
    let mut deal = serde_json::json!({
        "id": "901",
        "properties": {"dealname": "Data lake for the reporting team", "dealstage": "qualifiedtobuy",
                       "amount": "1500", "closedate": "2027-03-01T00:00:00Z", "submit_to_aws": "false"}
    });
    // crm-inbound reads with HubSpot's batch read (CRM objects v3), answered as HubSpot's published
    // schema has it (checked here, so the answer is not only our idea of HubSpot's).
    let mut read = deal.clone();
    for (k, v) in [
        ("createdAt", "2026-11-01T10:00:00Z"),
        ("updatedAt", "2026-11-30T10:00:00Z"),
    ] {
        read[k] = serde_json::json!(v);
    }
    read["archived"] = serde_json::json!(false);
    let answer = serde_json::json!({
        "status": "COMPLETE", "startedAt": "2026-11-30T10:00:00Z", "completedAt": "2026-11-30T10:00:01Z",
        "results": [read]});
    assert_eq!(
        hubspot_schema_verdicts(&[("BatchResponseSimplePublicObject", &answer)]),
        vec![Value::Null]
    );
    let mock = wiremock::Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals/batch/read"))
        .and(wiremock::matchers::body_partial_json(serde_json::json!({
            "inputs": [{"id": "901"}], "propertiesWithHistory": []})))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(answer));
    match times {
        Some(n) => mock.expect(n).mount(server).await,
        None => mock.mount(server).await,
    }
    // Its company, by the v4 associations batch read (HubSpot sends toObjectId as a number).
    let to = company.map_or_else(Vec::new, |c| {
        vec![
            serde_json::json!({"toObjectId": c.parse::<u64>().unwrap(), "associationTypes": [
            {"category": "HUBSPOT_DEFINED", "typeId": 5, "label": null}]}),
        ]
    });
    wiremock::Mock::given(method("POST"))
        .and(path("/crm/v4/associations/deals/companies/batch/read"))
        .and(wiremock::matchers::body_json(serde_json::json!({"inputs": [{"id": "901"}]})))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": "COMPLETE", "startedAt": "2026-11-30T10:00:00Z", "completedAt": "2026-11-30T10:00:01Z",
            "results": [{"from": {"id": "901"}, "to": to}]})))
        .mount(server)
        .await;
    if let Some(c) = company {
        deal["associations"] =
            serde_json::json!({"companies": {"results": [{"id": c, "type": "deal_to_company"}]}});
    }
    wiremock::Mock::given(method("GET"))
        .and(path("/crm/v3/objects/deals/901"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(deal))
        .mount(server)
        .await;
}

/// A lead AWS sent over the API (canonical, as the store holds it): the CRM tests' shared fixture.
#[allow(dead_code)] // not every test binary that includes this module sends leads
pub fn api_lead() -> Value {
    serde_json::from_str(include_str!(
        "../../../../tests/fixtures/crm/api-lead.canonical.json"
    ))
    .expect("fixture")
}

/// The push of [`api_lead`] (a record that came from AWS: its engagement is the AWS id).
#[allow(dead_code)]
pub fn api_lead_push(lead: &Value) -> acebridge_crm::remote::Push<'_> {
    acebridge_crm::remote::Push {
        kind: acebridge_crm::paths::Kind::Lead,
        crm_id: "ACB-eng-00000000000002",
        native: false,
        ace_id: Some("eng-00000000000002"),
        record: lead,
        sync: acebridge_crm::transform::SyncFields::default(),
        previous: None,
    }
}
