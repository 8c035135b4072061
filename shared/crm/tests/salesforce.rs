//! The Salesforce adapter against a local HTTP server that checks Salesforce's documented request
//! shapes (OAuth token endpoint, sObject upsert by external id, sObject Collections, SOQL query) and
//! serves its documented errors (expired session, 503, 429, field errors).

mod common;

use acebridge_crm::config::MappingConfig;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::paths::Kind;
use acebridge_crm::remote::{Push, RemoteCrm};
use acebridge_crm::salesforce::Salesforce;
use acebridge_crm::secrets::SalesforceSecret;
use acebridge_crm::transform::SyncFields;
use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const OBJ: &str = "/services/data/v62.0/sobjects/Opportunity";

fn secret(json: Value) -> SalesforceSecret {
    common::salesforce_secret(&json.to_string())
}

fn adapter(server: &MockServer) -> Salesforce {
    adapter_with(
        server,
        json!({"kind": "salesforce", "auth": "client_credentials", "login_url": server.uri(),
               "client_id": "3MVG9-consumer-key", "client_secret": "consumer secret&="}),
    )
}

fn adapter_with(_server: &MockServer, s: Value) -> Salesforce {
    let mapping = MappingConfig::load("salesforce-standard").expect("mapping");
    Salesforce::new(
        HttpClient::new(
            "salesforce",
            RetryPolicy::fast(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .expect("client"),
        secret(s),
        mapping.clone(),
    )
}

async fn token_endpoint(server: &MockServer, token: &str, times: Option<u64>) {
    let mut m = Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains("client_id=3MVG9-consumer-key"))
        // The secret is form-encoded: space → '+', '&' → %26, '=' → %3D.
        .and(body_string_contains("client_secret=consumer+secret%26%3D"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": token, "instance_url": server.uri(), "token_type": "Bearer",
            "issued_at": "1764000000000", "signature": "c2ln"
        })));
    if let Some(n) = times {
        m = m.up_to_n_times(n);
    }
    m.expect(1..).mount(server).await;
}

fn record() -> Value {
    json!({
        "id": "O1234567",
        "project": {"title": "Data lake"},
        "life_cycle": {"stage": "Qualified", "review_status": "Approved", "target_close_date": "2027-01-31"},
        "customer": {"company_name": "Example Corp", "contacts": [{"email": {"masked": true}}]}
    })
}

fn push<'a>(record: &'a Value, crm_id: &'a str, native: bool, ace: Option<&'a str>) -> Push<'a> {
    Push {
        kind: Kind::Opportunity,
        crm_id,
        native,
        ace_id: ace,
        record,
        sync: SyncFields::default(),
        previous: None,
    }
}

/// What the standard mapping writes for [`record`] (the external id goes in the URL, not the body).
fn expected_body() -> Value {
    json!({"Name": "Data lake", "StageName": "Qualification", "CloseDate": "2027-01-31",
           "AWS_Review_Status__c": "Approved"})
}

#[tokio::test]
async fn client_credentials_then_upsert_by_external_id() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dtoken1", None).await;
    Mock::given(method("PATCH"))
        .and(path(format!("{OBJ}/AWS_Opportunity_Id__c/O1234567")))
        .and(header("authorization", "Bearer 00Dtoken1"))
        .and(header("sforce-call-options", "client=acebridge"))
        .and(header("content-type", "application/json"))
        .and(body_json(expected_body()))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": "006000000000001AAA", "success": true, "errors": [], "created": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let sf = adapter(&server);
    let r = record();
    let done = sf
        .push(&push(&r, "ACB-O1234567", false, Some("O1234567")))
        .await
        .expect("push");
    assert_eq!(done.remote_id.as_deref(), Some("006000000000001AAA"));
    assert!(done.created);
    // The token is cached: a second push signs in no more.
    Mock::given(method("PATCH"))
        .and(path(format!("{OBJ}/006000000000002AAA")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let done = sf
        .push(&push(&r, "006000000000002AAA", true, None))
        .await
        .expect("update by id");
    assert_eq!(done.remote_id.as_deref(), Some("006000000000002AAA"));
    let signins = common::requests(&server, "POST", Some("/services/oauth2/token"))
        .await
        .len();
    assert_eq!(signins, 1);
}

#[tokio::test]
async fn an_expired_session_signs_in_again_once() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dold", Some(1)).await;
    token_endpoint(&server, "00Dnew", None).await;
    Mock::given(method("PATCH"))
        .and(header("authorization", "Bearer 00Dold"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(header("authorization", "Bearer 00Dnew"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": "006000000000001AAA", "success": true, "errors": [], "created": false}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let r = record();
    let done = adapter(&server)
        .push(&push(&r, "ACB-O1234567", false, Some("O1234567")))
        .await
        .expect("push after a new sign-in");
    assert!(!done.created);
}

#[tokio::test]
async fn a_session_refused_twice_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dx", None).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let r = record();
    let e = adapter(&server)
        .push(&push(&r, "ACB-O1234567", false, Some("O1234567")))
        .await
        .expect_err("refused");
    assert!(e.message.contains("INVALID_SESSION_ID"), "{e}");
}

/// Matches a JWT bearer assertion signed by `public_key` with the right claims.
struct JwtAssertion {
    public_key: Vec<u8>,
    audience: String,
}

impl wiremock::Match for JwtAssertion {
    fn matches(&self, request: &Request) -> bool {
        let body = String::from_utf8_lossy(&request.body).to_string();
        let mut grant = None;
        let mut assertion = None;
        for pair in body.split('&') {
            match pair.split_once('=') {
                Some(("grant_type", v)) => grant = Some(v.to_string()),
                Some(("assertion", v)) => assertion = Some(v.to_string()),
                _ => {}
            }
        }
        if grant.as_deref() != Some("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") {
            return false;
        }
        let Some(jwt) = assertion else { return false };
        let parts: Vec<&str> = jwt.split('.').collect();
        let [h, c, s] = parts[..] else { return false };
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (Ok(header), Ok(claims), Ok(sig)) = (b64.decode(h), b64.decode(c), b64.decode(s))
        else {
            return false;
        };
        let key = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            &self.public_key,
        );
        let header: Value = serde_json::from_slice(&header).unwrap_or_default();
        let claims: Value = serde_json::from_slice(&claims).unwrap_or_default();
        let now = acebridge_clock::TestClock::suite().now().timestamp();
        key.verify(format!("{h}.{c}").as_bytes(), &sig).is_ok()
            && header["alg"] == "RS256"
            && claims["iss"] == "3MVG9-consumer-key"
            && claims["sub"] == "integration@example.com"
            && claims["aud"] == self.audience.as_str()
            && claims["exp"]
                .as_i64()
                .is_some_and(|e| e > now && e <= now + 300)
    }
}

#[tokio::test]
async fn jwt_bearer_flow_signs_a_valid_assertion() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::KeyPair;
    let server = MockServer::start().await;
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let der: aws_lc_rs::encoding::Pkcs8V1Der = key.as_der().expect("pkcs8");
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        b64.as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .and(JwtAssertion {
            public_key: key.public_key().as_ref().to_vec(),
            audience: "https://login.salesforce.com".into(),
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "00Djwt", "instance_url": server.uri(), "token_type": "Bearer"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(header("authorization", "Bearer 00Djwt"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let sf = adapter_with(
        &server,
        // No `audience`: the default must be Salesforce's authorization server, not the login URL.
        json!({"kind": "salesforce", "auth": "jwt_bearer", "login_url": server.uri(),
               "client_id": "3MVG9-consumer-key",
               "username": "integration@example.com", "private_key": pem}),
    );
    let r = record();
    sf.push(&push(&r, "006000000000002AAA", true, None))
        .await
        .expect("push");
}

#[tokio::test]
async fn a_refused_sign_in_is_a_permanent_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": "invalid_client", "error_description": "invalid client credentials"}),
        ))
        .mount(&server)
        .await;
    let r = record();
    let e = adapter(&server)
        .push(&push(&r, "006000000000002AAA", true, None))
        .await
        .expect_err("refused");
    assert!(!e.retryable);
    assert!(e.message.contains("invalid_client"), "{e}");
}

#[tokio::test]
async fn unavailable_and_throttled_calls_are_retried_with_backoff() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dt", None).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(503).set_body_json(
            json!([{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}]),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(429).set_body_json(
            json!([{"message": "Too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
        ))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(204))
        .with_priority(3)
        .mount(&server)
        .await;
    let r = record();
    adapter(&server)
        .push(&push(&r, "006000000000002AAA", true, None))
        .await
        .expect("third attempt succeeds");
    let patches = common::requests(&server, "PATCH", None).await.len();
    assert_eq!(patches, 3);
}

/// Salesforce's REST API answers an org over its API request limits with HTTP 403 and
/// `REQUEST_LIMIT_EXCEEDED` ("Status Codes and Error Responses", REST API Developer Guide): not a
/// permission error, and not worth retrying within the invocation (the allocation is per rolling 24 h).
#[tokio::test]
async fn request_limit_exceeded_is_a_403_retried_later_not_now() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dt", None).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!([{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]),
        ))
        .mount(&server)
        .await;
    let r = record();
    let e = adapter(&server)
        .push(&push(&r, "006000000000002AAA", true, None))
        .await
        .expect_err("over the org's limit");
    assert!(e.retryable, "the event comes back later: {e}");
    assert!(e.message.contains("REQUEST_LIMIT_EXCEEDED"), "{e}");
    assert_eq!(common::requests(&server, "PATCH", None).await.len(), 1);
}

#[tokio::test]
async fn field_errors_name_each_field_and_never_quote_contact_data() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dt", None).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!([
            {"message": "Required fields are missing: [CloseDate]", "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["CloseDate"]},
            {"message": "Email: invalid email address: jane.doe@example.com", "errorCode": "INVALID_EMAIL_ADDRESS", "fields": ["Email__c"]}
        ])))
        .mount(&server)
        .await;
    let r = record();
    let e = adapter(&server)
        .push(&push(&r, "ACB-O1234567", false, Some("O1234567")))
        .await
        .expect_err("refused");
    assert!(!e.retryable, "a field error is not retried");
    assert!(
        e.message.contains("REQUIRED_FIELD_MISSING [CloseDate]"),
        "{e}"
    );
    assert!(
        e.message.contains("INVALID_EMAIL_ADDRESS [Email__c]"),
        "{e}"
    );
    assert!(!e.message.contains("jane.doe"), "{e}");
}

#[tokio::test]
async fn batches_use_sobject_collections_with_per_record_results() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dt", None).await;
    let mut first = expected_body();
    first["attributes"] = json!({"type": "Opportunity"});
    first["AWS_Opportunity_Id__c"] = json!("O1234567");
    let mut second = expected_body();
    second["attributes"] = json!({"type": "Opportunity"});
    second["AWS_Opportunity_Id__c"] = json!("O7654321");
    let mut native = expected_body();
    native["attributes"] = json!({"type": "Opportunity"});
    native["id"] = json!("006000000000003AAA");
    native["AWS_Opportunity_Id__c"] = json!("O5555555");
    Mock::given(method("PATCH"))
        .and(path(
            "/services/data/v62.0/composite/sobjects/Opportunity/AWS_Opportunity_Id__c",
        ))
        .and(body_json(
            json!({"allOrNone": false, "records": [first, second]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "006000000000001AAA", "success": true, "errors": [], "created": true},
            {"success": false, "errors": [{"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
              "message": "Close date must be in the future", "fields": ["CloseDate"]}]}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/services/data/v62.0/composite/sobjects"))
        .and(body_json(json!({"allOrNone": false, "records": [native]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"id": "006000000000003AAA", "success": true, "errors": []}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let (a, b) = (record(), {
        let mut r = record();
        r["id"] = json!("O7654321");
        r
    });
    let n = {
        let mut r = record();
        r["id"] = json!("O5555555");
        r
    };
    let results = adapter(&server)
        .push_many(&[
            push(&a, "ACB-O1234567", false, Some("O1234567")),
            push(&n, "006000000000003AAA", true, Some("O5555555")),
            push(&b, "ACB-O7654321", false, Some("O7654321")),
        ])
        .await
        .expect("batch");
    assert_eq!(results.len(), 3);
    assert!(results[0].as_ref().is_ok_and(|p| p.created));
    assert_eq!(
        results[1]
            .as_ref()
            .ok()
            .and_then(|p| p.remote_id.clone())
            .as_deref(),
        Some("006000000000003AAA")
    );
    let e = results[2].as_ref().expect_err("refused record");
    assert!(
        e.message
            .contains("FIELD_CUSTOM_VALIDATION_EXCEPTION [CloseDate]"),
        "{e}"
    );
}

#[tokio::test]
async fn fetch_reads_mapped_fields_with_soql_including_related_account_fields() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dt", None).await;
    Mock::given(method("GET"))
        .and(path("/services/data/v62.0/query"))
        .and(wiremock::matchers::query_param_contains("q", "FROM Opportunity WHERE Id = '006000000000001AAA'"))
        .and(wiremock::matchers::query_param_contains("q", "Account.Name"))
        .and(wiremock::matchers::query_param_contains("q", "SELECT Id, AWS_Opportunity_Id__c, Name"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalSize": 1, "done": true,
            "records": [{"attributes": {"type": "Opportunity"}, "Id": "006000000000001AAA", "Name": "Data lake",
                         "Account": {"attributes": {"type": "Account"}, "Name": "Example Corp"}}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let sf = adapter(&server);
    let got = sf
        .fetch(Kind::Opportunity, "006000000000001AAA")
        .await
        .expect("fetch")
        .expect("record");
    assert_eq!(got["Account"]["Name"], "Example Corp");
    // Not an id: refused before any call (no SOQL injection).
    let e = sf
        .fetch(Kind::Opportunity, "x' OR Name != '")
        .await
        .expect_err("not an id");
    assert!(!e.retryable);
}

/// The JWT audience Salesforce documents: login.salesforce.com for production (My Domain included),
/// test.salesforce.com for sandboxes, never the My Domain URL itself.
#[test]
fn the_jwt_audience_is_the_authorization_server_salesforce_documents() {
    use acebridge_crm::salesforce::default_audience;
    for (login, aud) in [
        (
            "https://login.salesforce.com",
            "https://login.salesforce.com",
        ),
        (
            "https://acme.my.salesforce.com",
            "https://login.salesforce.com",
        ),
        (
            "https://test.salesforce.com/",
            "https://test.salesforce.com",
        ),
        (
            "https://acme--uat.sandbox.my.salesforce.com",
            "https://test.salesforce.com",
        ),
        (
            "https://ACME--UAT.SANDBOX.MY.SALESFORCE.COM/",
            "https://test.salesforce.com",
        ),
    ] {
        assert_eq!(default_audience(login), aud, "{login}");
    }
}

/// A lead AWS sent over the API reaches Salesforce's standard Lead through the shipped mapping:
/// upserted by `AWS_Lead_Id__c` (its engagement id), with the lead's own members in the custom fields the
/// mapping names.
#[tokio::test]
async fn an_api_lead_is_upserted_as_a_salesforce_lead_with_its_engagement_members() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dtoken1", None).await;
    Mock::given(method("PATCH"))
        .and(path(
            "/services/data/v62.0/sobjects/Lead/AWS_Lead_Id__c/eng-00000000000002",
        ))
        .and(body_json(json!({
            "FirstName": "Alex", "LastName": "Example", "Email": "data.lead@lead.example.com",
            "Title": "Head of Data Platform", "Company": "Example Lead Corp",
            "Website": "https://lead.example.com", "Industry": "Software and Internet",
            "Description": "Move an on-premises database estate to managed services",
            "City": "Seattle", "State": "Washington", "PostalCode": "98101", "CountryCode": "US",
            "AWS_Engagement_Id__c": "eng-00000000000002", "AWS_Qualification_Status__c": "Qualified",
            "AWS_Lead_Readiness__c": "High", "AWS_Market_Segment__c": "Enterprise",
            "AWS_Lead_Source__c": "Data modernization webinar 2026",
            "AWS_Converted_Opportunity_Id__c": "O1000010"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": "00Q000000000001AAA", "success": true, "errors": [], "created": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // The same lead the HubSpot test sends.
    let lead = common::api_lead();
    let p = common::api_lead_push(&lead);
    let done = adapter(&server).push(&p).await.expect("lead");
    assert_eq!(done.remote_id.as_deref(), Some("00Q000000000001AAA"));
}

/// An opportunity with the 2025–26 members reaches Salesforce's Opportunity through the shipped mapping.
#[tokio::test]
async fn the_2025_26_members_reach_the_salesforce_opportunity() {
    let server = MockServer::start().await;
    token_endpoint(&server, "00Dtoken1", None).await;
    let mut body = expected_body();
    for (k, v) in [
        ("AWS_Contract_Duration_Months__c", json!(36)),
        ("AWS_Partition__c", json!("aws-eusc")),
        ("AWS_Opportunity_Quality__c", json!(82)),
        ("AWS_Opportunity_Quality_Trend__c", json!("Improving")),
        ("AWS_Cosell_Motion__c", json!("Partner-led")),
        ("AWS_Recommendation__c", json!("Add the expected spend")),
    ] {
        body[k] = v;
    }
    Mock::given(method("PATCH"))
        .and(path(format!("{OBJ}/AWS_Opportunity_Id__c/O1234567")))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"id": "006000000000009AAA", "success": true, "errors": [], "created": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let mut r = record();
    r["project"]["expected_contract_duration_months"] = json!(36);
    r["project"]["aws_partition"] = json!("aws-eusc");
    r["aws"] = json!({"quality_score": 82, "quality_trend": "Improving", "cosell_motion": "Partner-led",
        "recommendations": [{"kind": "OpportunityQuality", "details": "Add the expected spend"}]});
    let done = adapter(&server)
        .push(&push(&r, "ACB-O1234567", false, Some("O1234567")))
        .await
        .expect("push");
    assert_eq!(done.remote_id.as_deref(), Some("006000000000009AAA"));
}
