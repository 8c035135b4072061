//! Sending: Slack's Web API (`chat.postMessage` with a bot token, `users.lookupByEmail` for mentions), a
//! Slack incoming webhook, and a Teams Workflows webhook. All go through acebridge's shared HTTPS client,
//! which retries network errors, `429` and `5xx` and honours `Retry-After` (bounded by its policy: a longer
//! wait fails the delivery as retryable, and the queue delivers it again later rather than holding a
//! Lambda).
//!
//! What each answers (cited where the answer is read):
//! - Web API: HTTP 200 with `{"ok": true}` or `{"ok": false, "error": "…"}`; HTTP 429 with `Retry-After`
//!   in seconds when rate limited (Slack, "Rate limits", docs.slack.dev/apis/web-api/rate-limits;
//!   `chat.postMessage` allows about one message a second per channel).
//! - Incoming webhook: HTTP 200 with body `ok`; errors as HTTP 400 `invalid_payload` / `invalid_blocks`,
//!   403 `action_prohibited`, 404 `no_service` / `channel_not_found`, 410 `channel_is_archived`
//!   (Slack, "Sending messages using incoming webhooks", handling errors).
//! - Teams Workflows: HTTP 202 Accepted when the flow takes the request; 429 with `Retry-After` when the
//!   flow is throttled (Power Automate request limits); 400 for a body the trigger's schema refuses.

use acebridge_crm::http::{HttpClient, Request};
use acebridge_sync::PortError;
use http::{Method, StatusCode};
use serde_json::Value;

/// Slack's Web API errors worth sending again later (the rest are configuration: token, scope, channel).
const SLACK_RETRYABLE: [&str; 5] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// Slack through the Web API with a bot token (scopes `chat:write`, and `users:read.email` for mentions).
#[derive(Debug, Clone)]
pub struct SlackWebApi {
    /// The client.
    pub http: HttpClient,
    /// `https://slack.com/api` (a local server in tests).
    pub base_url: String,
    /// The bot token (`xoxb-…`), from Secrets Manager.
    pub token: String,
}

impl SlackWebApi {
    fn call(&self, method: &str) -> Request {
        Request::new(
            Method::POST,
            format!("{}/{method}", self.base_url.trim_end_matches('/')),
        )
        .header("authorization", format!("Bearer {}", self.token))
    }

    fn answer(method: &str, status: StatusCode, body: &Value) -> Result<(), PortError> {
        if !status.is_success() {
            let m = format!("{method}: HTTP {}", status.as_u16());
            return Err(if acebridge_crm::http::retryable_status(status) {
                PortError::retryable("slack", m)
            } else {
                PortError::permanent("slack", m)
            });
        }
        if body["ok"] == Value::Bool(true) {
            return Ok(());
        }
        let error = body["error"].as_str().unwrap_or("no ok in the answer");
        let m = format!("{method}: {error}");
        Err(if SLACK_RETRYABLE.contains(&error) {
            PortError::retryable("slack", m)
        } else {
            PortError::permanent("slack", m)
        })
    }

    /// The Slack user id of `email`; `None` when Slack knows no such user (`users_not_found`), or the
    /// token lacks `users:read.email` (the notice is then sent without a mention, and the reason logged).
    pub async fn user_id(&self, email: &str) -> Result<Option<String>, PortError> {
        // GET with the address in the query (the method's documented form); the client logs paths only.
        let url = format!(
            "{}/users.lookupByEmail?email={}",
            self.base_url.trim_end_matches('/'),
            acebridge_crm::http::url_encode(email)
        );
        let r = self
            .http
            .send(
                &Request::new(Method::GET, url)
                    .header("authorization", format!("Bearer {}", self.token)),
            )
            .await?;
        let body = r.json();
        match body["error"].as_str() {
            Some("users_not_found") => return Ok(None),
            Some("missing_scope") => {
                tracing::warn!(
                    "slack: users.lookupByEmail needs the users:read.email scope; notices go without mentions"
                );
                return Ok(None);
            }
            _ => {}
        }
        Self::answer("users.lookupByEmail", r.status, &body)?;
        Ok(body["user"]["id"].as_str().map(str::to_string))
    }

    /// Posts `message` to `channel`; returns the message's `ts`.
    pub async fn post(
        &self,
        channel: &str,
        message: &crate::slack::Message,
    ) -> Result<String, PortError> {
        // Slack wants the charset named on a JSON body (else the answer carries a `missing_charset`
        // warning): "Using the Slack Web API", JSON-encoded bodies.
        let mut req = self.call("chat.postMessage");
        req.body = serde_json::to_vec(&message.body(Some(channel)))
            .unwrap_or_default()
            .into();
        let req = req.header("content-type", "application/json; charset=utf-8");
        let r = self.http.send(&req).await?;
        let body = r.json();
        Self::answer("chat.postMessage", r.status, &body)?;
        Ok(body["ts"].as_str().unwrap_or_default().to_string())
    }
}

/// A Slack incoming webhook (one channel, no mentions by email: a webhook cannot look users up).
#[derive(Debug, Clone)]
pub struct SlackWebhook {
    /// The client.
    pub http: HttpClient,
    /// The webhook URL (`https://hooks.slack.com/services/…`), from Secrets Manager.
    pub url: String,
}

impl SlackWebhook {
    /// Posts `message`.
    pub async fn post(&self, message: &crate::slack::Message) -> Result<(), PortError> {
        let r = self
            .http
            .send(&Request::new(Method::POST, &self.url).json(&message.body(None)))
            .await?;
        if r.status == StatusCode::OK {
            return Ok(());
        }
        let why = String::from_utf8_lossy(&r.body)
            .chars()
            .take(100)
            .collect::<String>();
        let m = format!("incoming webhook: HTTP {} {why}", r.status.as_u16());
        Err(if acebridge_crm::http::retryable_status(r.status) {
            PortError::retryable("slack", m)
        } else {
            PortError::permanent("slack", m)
        })
    }
}

/// A Teams Workflows webhook ("Post to a channel when a webhook request is received").
#[derive(Debug, Clone)]
pub struct TeamsWorkflow {
    /// The client.
    pub http: HttpClient,
    /// The workflow's HTTP POST URL (it carries its signature: a secret, from Secrets Manager).
    pub url: String,
}

impl TeamsWorkflow {
    /// Posts one body of [`crate::teams::notice`] or [`crate::teams::digest`].
    pub async fn post(&self, body: &Value) -> Result<(), PortError> {
        let r = self
            .http
            .send(&Request::new(Method::POST, &self.url).json(body))
            .await?;
        if r.status.is_success() {
            return Ok(());
        }
        let m = format!("workflow webhook: HTTP {}", r.status.as_u16());
        Err(if acebridge_crm::http::retryable_status(r.status) {
            PortError::retryable("teams", m)
        } else {
            PortError::permanent("teams", m)
        })
    }
}
