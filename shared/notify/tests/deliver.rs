//! The Slack and Teams adapters against local servers that answer as the vendors document: Slack's Web API
//! (HTTP 200 with `ok`/`error`, HTTP 429 with `Retry-After`; docs.slack.dev/apis/web-api/rate-limits,
//! docs.slack.dev/reference/methods/chat.postMessage, …/users.lookupByEmail), Slack's incoming webhooks
//! (200 `ok`, 404 `no_service`, …; "Sending messages using incoming webhooks"), and a Teams Workflows
//! webhook (202 Accepted, 429 with `Retry-After` when throttled, 400 for a body its trigger refuses).
//! The servers check the request as the vendor requires it: method, path, bearer token, content type, the
//! body's shape.
#![allow(clippy::unwrap_used)]

use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_notify::deliver::{SlackWebApi, SlackWebhook, TeamsWorkflow};
use acebridge_notify::{examples, slack, teams};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

fn client(system: &'static str) -> HttpClient {
    HttpClient::new(
        system,
        RetryPolicy::fast(),
        acebridge_clock::TestClock::suite().clock(),
    )
    .unwrap()
}

fn web_api(server: &MockServer) -> SlackWebApi {
    SlackWebApi {
        http: client("slack"),
        base_url: format!("{}/api", server.uri()),
        token: "xoxb-test-token".into(),
    }
}

fn a_message() -> slack::Message {
    slack::notice(
        &examples::notices(acebridge_clock::TestClock::suite().now())[0],
        Some("U0EXAMPLE1"),
    )
    .remove(0)
}

/// A chat.postMessage body as Slack reads it: JSON with channel, text and blocks.
fn is_post_message(r: &Request) -> bool {
    let Ok(body) = serde_json::from_slice::<Value>(&r.body) else {
        return false;
    };
    body["channel"].is_string()
        && body["text"].as_str().is_some_and(|t| !t.is_empty())
        && body["blocks"]
            .as_array()
            .is_some_and(|b| !b.is_empty() && b.len() <= 50)
}

#[tokio::test]
async fn chat_post_message_is_sent_as_slack_requires_and_its_ts_returned() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .and(header("authorization", "Bearer xoxb-test-token"))
        .and(header("content-type", "application/json; charset=utf-8"))
        .and(is_post_message)
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "ok": true, "channel": "C0EXAMPLE1", "ts": "1503435956.000247" }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let ts = web_api(&server)
        .post("C0EXAMPLE1", &a_message())
        .await
        .unwrap();
    assert_eq!(ts, "1503435956.000247");
}

/// The error of a chat.postMessage Slack answers with `answer`, after exactly one request.
async fn post_refused_with(answer: ResponseTemplate) -> acebridge_sync::PortError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    web_api(&server)
        .post("C0EXAMPLE1", &a_message())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_slack_configuration_error_is_permanent_and_named() {
    let e = post_refused_with(
        ResponseTemplate::new(200)
            .set_body_json(json!({ "ok": false, "error": "channel_not_found" })),
    )
    .await;
    assert!(!e.retryable);
    assert!(e.message.contains("channel_not_found"), "{e:?}");
}

#[tokio::test]
async fn slack_rate_limit_longer_than_the_client_waits_fails_as_retryable_without_calling_again() {
    // Slack: HTTP 429 and `Retry-After: <seconds>`; calling again before then is what it asks apps not to
    // do. Two minutes is more than a Lambda should hold: the delivery fails as retryable (the queue brings
    // it back later) after exactly one request.
    let e = post_refused_with(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "120")
            .set_body_json(json!({ "ok": false, "error": "ratelimited" })),
    )
    .await;
    assert!(e.retryable, "{e:?}");
}

#[tokio::test]
async fn the_owner_is_found_by_email_and_an_unknown_address_is_no_mention() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/users.lookupByEmail"))
        .and(header("authorization", "Bearer xoxb-test-token"))
        .and(query_param("email", "pat.lee@example.com"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "ok": true, "user": { "id": "W012A3CDE", "team_id": "T012AB3C4" } }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/users.lookupByEmail"))
        .and(query_param("email", "nobody@example.com"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "ok": false, "error": "users_not_found" })),
        )
        .mount(&server)
        .await;
    let api = web_api(&server);
    assert_eq!(
        api.user_id("pat.lee@example.com").await.unwrap().as_deref(),
        Some("W012A3CDE")
    );
    assert_eq!(api.user_id("nobody@example.com").await.unwrap(), None);
}

#[tokio::test]
async fn an_incoming_webhook_takes_the_message_and_a_removed_one_is_permanent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T000/B000/ok"))
        .and(header("content-type", "application/json"))
        .and(|r: &Request| {
            serde_json::from_slice::<Value>(&r.body)
                .is_ok_and(|b| b["blocks"].is_array() && b.get("channel").is_none())
        })
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/services/T000/B000/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let hook = |p: &str| SlackWebhook {
        http: client("slack"),
        url: format!("{}/services/T000/B000/{p}", server.uri()),
    };
    hook("ok").post(&a_message()).await.unwrap();
    let e = hook("gone").post(&a_message()).await.unwrap_err();
    assert!(
        !e.retryable && e.message.contains("404 no_service"),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_teams_workflow_takes_the_card_and_throttling_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/workflows/ok/triggers/manual/paths/invoke"))
        .and(header("content-type", "application/json"))
        .and(|r: &Request| {
            serde_json::from_slice::<Value>(&r.body).is_ok_and(|b| {
                b["type"] == "message"
                    && b["attachments"][0]["contentType"]
                        == "application/vnd.microsoft.card.adaptive"
                    && b["attachments"][0]["content"]["type"] == "AdaptiveCard"
            })
        })
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/workflows/busy/triggers/manual/paths/invoke"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "300"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/workflows/bad/triggers/manual/paths/invoke"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    let flow = |p: &str| TeamsWorkflow {
        http: client("teams"),
        url: format!(
            "{}/workflows/{p}/triggers/manual/paths/invoke",
            server.uri()
        ),
    };
    let body = teams::notice(
        &examples::notices(acebridge_clock::TestClock::suite().now())[0],
        None,
    )
    .remove(0);
    flow("ok").post(&body).await.unwrap();
    let busy = flow("busy").post(&body).await.unwrap_err();
    assert!(busy.retryable, "{busy:?}");
    let bad = flow("bad").post(&body).await.unwrap_err();
    assert!(!bad.retryable, "{bad:?}");
}
