//! The webhook adapter, for partners with their own systems: each record is POSTed as JSON, signed
//! (see [`crate::signature`]), and retried with backoff on network errors, 429 and 5xx. The body:
//!
//! ```json
//! {"type": "acebridge.record", "kind": "opportunity", "crmId": "ACB-O123", "aceId": "O123",
//!  "record": { …canonical… }, "sync": {"status": "…", "message": "…"}}
//! ```
//!
//! `X-Acebridge-Delivery` is the same for the same content, so a receiver can drop repeats. The
//! receiver answers 2xx; 4xx (but 429) is final and reported; its body is not read.

use crate::http::{self, HttpClient, Request};
use crate::paths::Kind;
use crate::remote::{Push, Pushed, RemoteCrm};
use crate::secrets::WebhookSecret;
use crate::signature;
use ::http::Method;
use acebridge_sync::PortError;
use aws_lc_rs::digest;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

const SYSTEM: &str = "webhook";

/// The webhook adapter.
pub struct Webhook {
    http: HttpClient,
    url: String,
    secret: SecretString,
}

impl Webhook {
    /// The adapter.
    pub fn new(http: HttpClient, secret: WebhookSecret) -> Self {
        Webhook {
            http,
            url: secret.url,
            secret: secret.signing_secret,
        }
    }

    /// The body sent for a record.
    pub fn body(push: &Push<'_>) -> Value {
        let sync = push.sync.to_json();
        json!({
            "type": "acebridge.record",
            "kind": push.kind.as_str(),
            "crmId": push.crm_id,
            "aceId": push.ace_id,
            "record": push.record,
            "sync": sync,
        })
    }
}

impl RemoteCrm for Webhook {
    fn maps(&self, kind: Kind) -> bool {
        // The whole canonical record goes out, whatever its kind.
        let _ = kind;
        true
    }

    async fn push(&self, push: &Push<'_>) -> Result<Pushed, PortError> {
        if push.unchanged() {
            return Ok(Pushed {
                remote_id: None,
                created: false,
            });
        }
        let body = serde_json::to_vec(&Self::body(push)).unwrap_or_default();
        let delivery: String = digest::digest(&digest::SHA256, &body)
            .as_ref()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect();
        // The signature is made again for every attempt: a retry later still has a fresh timestamp.
        let signed = || {
            let now = chrono::Utc::now().timestamp();
            let mut req = Request::new(Method::POST, self.url.clone())
                .header("content-type", "application/json")
                .header("x-acebridge-timestamp", now.to_string())
                .header(
                    "x-acebridge-signature",
                    signature::webhook_sign(self.secret.expose_secret().as_bytes(), now, &body),
                )
                .header("x-acebridge-delivery", delivery.clone());
            req.body = body.clone().into();
            req
        };
        let r = self.http.send_each(signed).await?;
        if r.status.is_success() {
            return Ok(Pushed {
                remote_id: None,
                created: false,
            });
        }
        let retryable = http::retryable_status(r.status);
        Err(PortError {
            system: SYSTEM,
            retryable,
            message: if retryable {
                format!("HTTP {} from the receiver", r.status.as_u16())
            } else {
                format!(
                    "the receiver refused {}: HTTP {}",
                    push.crm_id,
                    r.status.as_u16()
                )
            },
        })
    }

    async fn push_many(
        &self,
        pushes: &[Push<'_>],
    ) -> Result<Vec<Result<Pushed, PortError>>, PortError> {
        let mut out = Vec::with_capacity(pushes.len());
        for p in pushes {
            out.push(self.push(p).await);
        }
        Ok(out)
    }

    async fn fetch(&self, _kind: Kind, _native_id: &str) -> Result<Option<Value>, PortError> {
        // A partner's own system sends `acebridge.crm` events itself; nothing to read back.
        Ok(None)
    }
}
