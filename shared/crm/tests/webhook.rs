//! The webhook adapter against a local receiver that verifies acebridge's signature the way a
//! partner's receiver must (see `docs/mapping.md`), and answers with errors to retry or not.

mod common;

use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::paths::Kind;
use acebridge_crm::remote::{Push, RemoteCrm};
use acebridge_crm::transform::SyncFields;
use acebridge_crm::webhook::Webhook;
use serde_json::{Value, json};
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A Standard Webhooks secret: `whsec_` + base64 of the key (here 32 bytes).
const SECRET: &str = "whsec_YWNlYnJpZGdlLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
/// The secret being retired during a rotation.
const OLD_SECRET: &str = "whsec_b2xkLWtleS1iZWluZy1yZXRpcmVkLTAxMjM0NTY3ODk=";

/// Accepts only requests signed with [`SECRET`] as docs/mapping.md documents it, within five minutes:
/// the expected signature is computed here, independently (RustCrypto's HMAC), never by acebridge's
/// own verifier, so a change to what acebridge signs fails this matcher.
struct Signed;

impl wiremock::Match for Signed {
    fn matches(&self, r: &Request) -> bool {
        let h = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok());
        let (Some(ts), Some(sig)) = (h("x-acebridge-timestamp"), h("x-acebridge-signature")) else {
            return false;
        };
        let fresh = ts
            .parse::<i64>()
            .is_ok_and(|t| (acebridge_clock::Clock::system().now().timestamp() - t).abs() <= 300);
        fresh && sig == common::webhook_v1_independent(SECRET.as_bytes(), ts, &r.body)
    }
}

fn adapter(server: &MockServer, secret: &str) -> Webhook {
    rotating(server, secret, None)
}

fn rotating(server: &MockServer, secret: &str, previous: Option<&str>) -> Webhook {
    let mut j = json!({"kind": "webhook", "url": format!("{}/acebridge", server.uri()), "signing_secret": secret});
    if let Some(p) = previous {
        j["previous_signing_secret"] = json!(p);
    }
    let s = common::webhook_secret(&j.to_string());
    Webhook::new(
        HttpClient::new(
            "webhook",
            RetryPolicy::fast(),
            acebridge_clock::Clock::system(),
        )
        .expect("client"),
        s,
    )
}

fn record() -> Value {
    json!({"id": "O1234567", "project": {"title": "Data lake"}, "life_cycle": {"stage": "Qualified"}})
}

fn push(record: &Value) -> Push<'_> {
    Push {
        kind: Kind::Opportunity,
        crm_id: "ACB-O1234567",
        native: false,
        ace_id: Some("O1234567"),
        record,
        sync: SyncFields::default(),
        previous: None,
    }
}

#[tokio::test]
async fn posts_the_signed_canonical_record() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/acebridge"))
        .and(Signed)
        .and(header_exists("x-acebridge-delivery"))
        // The whole body, as docs/mapping.md documents the delivery (nothing more, nothing less).
        .and(wiremock::matchers::body_json(json!({
            "type": "acebridge.record", "kind": "opportunity", "crmId": "ACB-O1234567", "aceId": "O1234567",
            "record": {"id": "O1234567", "project": {"title": "Data lake"}, "life_cycle": {"stage": "Qualified"}},
            "sync": {}})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let r = record();
    let delivered = adapter(&server, SECRET).push(&push(&r)).await;
    let got = server.received_requests().await.unwrap();
    assert!(
        delivered.is_ok(),
        "{delivered:?}: {}",
        String::from_utf8_lossy(&got[0].body)
    );
}

#[tokio::test]
async fn a_receiver_with_another_secret_refuses_and_the_error_is_final() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(Signed)
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let r = record();
    let e = adapter(&server, "a-wrong-secret")
        .push(&push(&r))
        .await
        .expect_err("refused");
    assert!(!e.retryable);
    assert!(e.message.contains("401"), "{e}");
}

#[tokio::test]
async fn server_errors_are_retried_with_a_fresh_signature_and_the_same_delivery_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(Signed)
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let r = record();
    adapter(&server, SECRET)
        .push(&push(&r))
        .await
        .expect("third attempt");
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 3);
    let ids: Vec<_> = requests
        .iter()
        .filter_map(|q| {
            q.headers
                .get("x-acebridge-delivery")
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "one delivery id for every attempt: {ids:?}"
    );
}

#[tokio::test]
async fn a_receiver_that_stays_down_gives_a_retryable_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&server)
        .await;
    let r = record();
    let e = adapter(&server, SECRET)
        .push(&push(&r))
        .await
        .expect_err("down");
    assert!(
        e.retryable,
        "the record is applied again on the next delivery"
    );
}

#[tokio::test]
async fn an_unchanged_record_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let r = record();
    let mut p = push(&r);
    p.previous = Some((&r, SyncFields::default()));
    adapter(&server, SECRET)
        .push(&p)
        .await
        .expect("nothing to do");
}

/// Deliveries are Standard Webhooks, checked by the Standard Webhooks reference library (Python
/// `standardwebhooks`, installed by `make setup`), not by acebridge: verified with the secret; refused
/// with another secret, with a changed body, with a changed `webhook-id` (the id is signed), and without
/// the headers.
#[tokio::test]
async fn deliveries_verify_with_the_standard_webhooks_library() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/acebridge"))
        .and(header_exists("webhook-id"))
        .and(header_exists("webhook-timestamp"))
        .and(header_exists("webhook-signature"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let r = record();
    adapter(&server, SECRET)
        .push(&push(&r))
        .await
        .expect("delivered");
    let got = server.received_requests().await.unwrap();
    let id = got[0].headers.get("webhook-id").unwrap().to_str().unwrap();
    assert!(id.starts_with("msg_"), "{id}");
    assert_eq!(
        common::standard_webhooks_verdicts(SECRET, &got),
        vec![Value::Null]
    );
    assert!(!common::standard_webhooks_verdicts(OLD_SECRET, &got)[0].is_null());

    let mut tampered = got[0].clone();
    tampered.body = String::from_utf8_lossy(&tampered.body)
        .replace("Data lake", "Data lakes")
        .into_bytes();
    let mut other_id = got[0].clone();
    other_id
        .headers
        .insert("webhook-id", "msg_another".parse().unwrap());
    let mut unsigned = got[0].clone();
    unsigned.headers.remove("webhook-signature");
    let verdicts = common::standard_webhooks_verdicts(SECRET, &[tampered, other_id, unsigned]);
    assert!(verdicts.iter().all(|v| !v.is_null()), "{verdicts:?}");
}

/// During a key rotation each delivery carries two signatures: a receiver still on the old secret and
/// one already on the new both verify it with the library.
#[tokio::test]
async fn during_a_key_rotation_receivers_on_either_secret_verify() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let r = record();
    rotating(&server, SECRET, Some(OLD_SECRET))
        .push(&push(&r))
        .await
        .expect("delivered");
    let got = server.received_requests().await.unwrap();
    let sig = got[0]
        .headers
        .get("webhook-signature")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(sig.split(' ').count(), 2, "{sig}");
    assert_eq!(
        common::standard_webhooks_verdicts(SECRET, &got),
        vec![Value::Null]
    );
    assert_eq!(
        common::standard_webhooks_verdicts(OLD_SECRET, &got),
        vec![Value::Null]
    );
    let stranger = "whsec_c29tZW9uZS1lbHNlcy1rZXktMDEyMzQ1Njc4OWFiY2Q=";
    assert!(!common::standard_webhooks_verdicts(stranger, &got)[0].is_null());
}

/// A lead AWS sent over the API reaches the webhook whole (the shipped webhook mapping has a lead part),
/// signed like any delivery, with its engagement members.
#[tokio::test]
async fn an_api_lead_is_delivered_whole() {
    let mapping = acebridge_crm::config::MappingConfig::load("webhook-canonical").expect("mapping");
    assert!(mapping.lead.is_some(), "the webhook mapping sends leads");
    let server = MockServer::start().await;
    let lead = common::api_lead();
    Mock::given(method("POST"))
        .and(path("/acebridge"))
        .and(Signed)
        .and(wiremock::matchers::body_json(json!({
            "type": "acebridge.record", "kind": "lead", "crmId": "ACB-eng-00000000000002",
            "aceId": "eng-00000000000002", "record": lead, "sync": {}})))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let p = common::api_lead_push(&lead);
    adapter(&server, SECRET).push(&p).await.expect("delivered");
}
