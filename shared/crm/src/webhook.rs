//! The webhook adapter, for partners with their own systems: each record is POSTed as JSON, signed
//! (see [`crate::signature`]), and retried with backoff on network errors, 429 and 5xx. The body:
//!
//! ```json
//! {"type": "acebridge.record", "kind": "opportunity", "crmId": "ACB-O123", "aceId": "O123",
//!  "record": { …canonical… }, "sync": {"status": "…", "message": "…"}}
//! ```
//!
//! Signed as Standard Webhooks (see [`crate::signature`]): `webhook-id` (`msg_…`) is the same for the
//! same content, so a receiver can drop repeats; `webhook-timestamp` and `webhook-signature` are made
//! again for each attempt. The former headers (`X-Acebridge-Delivery`, `-Timestamp`, `-Signature`) are
//! sent too, for one release. The receiver answers 2xx; 4xx (but 429) is final and reported; its body is
//! not read.

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
    /// Standard Webhooks keys: the current secret's, then the one being retired.
    keys: Vec<Vec<u8>>,
}

impl Webhook {
    /// The adapter.
    pub fn new(http: HttpClient, secret: WebhookSecret) -> Self {
        let keys = std::iter::once(&secret.signing_secret)
            .chain(secret.previous_signing_secret.as_ref())
            .filter_map(|s| signature::standard_webhooks_key(s.expose_secret()))
            .collect::<Vec<_>>();
        if keys.is_empty() {
            tracing::warn!(
                "the webhook signing secret is not a Standard Webhooks secret (whsec_<base64>): \
                 deliveries carry only the former X-Acebridge-Signature"
            );
        }
        Webhook {
            http,
            url: secret.url,
            secret: secret.signing_secret,
            keys,
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
            let now = self.http.clock.now().timestamp();
            let id = format!("msg_{delivery}");
            let signatures = self
                .keys
                .iter()
                .map(|k| signature::standard_webhooks_sign(k, &id, now, &body))
                .collect::<Vec<_>>()
                .join(" ");
            let mut req = Request::new(Method::POST, self.url.clone())
                .header("content-type", "application/json");
            if !signatures.is_empty() {
                req = req
                    .header("webhook-id", id)
                    .header("webhook-timestamp", now.to_string())
                    .header("webhook-signature", signatures);
            }
            let mut req = req
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
