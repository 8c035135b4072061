//! Request signatures: HubSpot's v3 webhook signature (verified on what HubSpot sends us) and
//! acebridge's own webhook signature (made on what we send a partner's system, and verified by the
//! reference receiver).
//!
//! acebridge's webhook deliveries are signed as **Standard Webhooks** (<https://www.standardwebhooks.com/>):
//! `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`, a space-separated list of
//! `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` (one per signing key: two during a key
//! rotation), the key being the base64 after the `whsec_` prefix of the secret. Any Standard Webhooks
//! library verifies them.
//!
//! The scheme before it (`X-Acebridge-Timestamp`, `X-Acebridge-Signature: v1=<hex HMAC-SHA256(secret,
//! "<timestamp>.<body>")>`, keyed with the secret's text) is still sent alongside for one release
//! (docs/mapping.md, "Migrating a receiver").

use aws_lc_rs::{constant_time, hmac};
use base64::Engine;
use chrono::{DateTime, Utc};

/// How far a signed timestamp may be from now: five minutes. HubSpot: "Reject the request if the timestamp
/// is older than 5 minutes" (<https://developers.hubspot.com/changelog/introducing-version-3-of-webhook-signatures>);
/// Standard Webhooks: a tolerance of five minutes either way (<https://www.standardwebhooks.com/>).
pub const TOLERANCE_SECS: i64 = 300;
const TOLERANCE_MS: i64 = TOLERANCE_SECS * 1000;

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is missing.
    #[error("missing header {0}")]
    Missing(&'static str),
    /// The timestamp is unreadable.
    #[error("unreadable timestamp")]
    BadTimestamp,
    /// The timestamp is too old (or in the future): a replay, or a clock problem.
    #[error(
        "timestamp {age_ms} ms before now (negative: ahead), outside the {TOLERANCE_SECS} s window"
    )]
    Stale {
        /// Milliseconds from the timestamp to now (negative: the timestamp is ahead of now).
        age_ms: i64,
    },
    /// The signature does not match the request.
    #[error("signature does not match")]
    Mismatch,
}

fn mac(secret: &[u8], message: &[u8]) -> hmac::Tag {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), message)
}

/// A timestamp in whole seconds (Standard Webhooks' `webhook-timestamp`, acebridge's former
/// `X-Acebridge-Timestamp`), as the Standard Webhooks library judges it: refused when it is more than five
/// minutes before or after now, to the millisecond; exactly five minutes is still in.
fn fresh_secs(ts_secs: i64, now: DateTime<Utc>) -> Result<(), SignatureError> {
    // Saturating: a timestamp of i64::MIN (or any extreme) is stale, never an overflow.
    let age_ms = now
        .timestamp_millis()
        .saturating_sub(ts_secs.saturating_mul(1000));
    if age_ms.saturating_abs() > TOLERANCE_MS {
        return Err(stale(age_ms));
    }
    Ok(())
}

/// HubSpot's `X-HubSpot-Request-Timestamp` (milliseconds), as HubSpot's official client judges it
/// (hubspot-api-client `Signature`): the age is counted from the timestamp's whole second, and a request
/// five minutes old or older is refused. HubSpot's client takes any timestamp ahead of now; acebridge also
/// refuses one more than five minutes ahead (a clock that far off is not HubSpot's).
fn fresh_hubspot_ms(ts_ms: i64, now: DateTime<Utc>) -> Result<(), SignatureError> {
    let now_ms = now.timestamp_millis();
    let from_its_second = now_ms.saturating_sub(ts_ms.div_euclid(1000).saturating_mul(1000));
    if from_its_second >= TOLERANCE_MS || ts_ms.saturating_sub(now_ms) > TOLERANCE_MS {
        return Err(stale(now_ms.saturating_sub(ts_ms)));
    }
    Ok(())
}

fn stale(age_ms: i64) -> SignatureError {
    SignatureError::Stale { age_ms }
}

/// HubSpot's URI rule for v3: these escapes are decoded before signing; others stay encoded.
fn hubspot_uri(uri: &str) -> String {
    const DECODE: [(&str, &str); 12] = [
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ];
    let mut out = uri.to_string();
    for (from, to) in DECODE {
        out = out.replace(from, to).replace(&from.to_lowercase(), to);
    }
    out
}

/// The v3 signature HubSpot puts in `X-HubSpot-Signature-v3`: base64 of HMAC-SHA256 with the app's
/// client secret over `method + uri + body + timestamp`.
pub fn hubspot_v3_sign(
    client_secret: &[u8],
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp_ms: &str,
) -> String {
    let mut message =
        Vec::with_capacity(method.len() + uri.len() + body.len() + timestamp_ms.len());
    message.extend_from_slice(method.as_bytes());
    message.extend_from_slice(hubspot_uri(uri).as_bytes());
    message.extend_from_slice(body);
    message.extend_from_slice(timestamp_ms.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac(client_secret, &message).as_ref())
}

/// Verifies a HubSpot v3 request: the timestamp (`X-HubSpot-Request-Timestamp`, milliseconds) within
/// five minutes, and the signature over the request exactly as received.
pub fn hubspot_v3_verify(
    client_secret: &[u8],
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp_ms: Option<&str>,
    signature: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let ts = timestamp_ms.ok_or(SignatureError::Missing("X-HubSpot-Request-Timestamp"))?;
    let sig = signature.ok_or(SignatureError::Missing("X-HubSpot-Signature-v3"))?;
    let ms = parse_timestamp(ts)?;
    fresh_hubspot_ms(ms, now)?;
    same(
        &hubspot_v3_sign(client_secret, method, uri, body, ts.trim()),
        sig,
    )
}

/// The Standard Webhooks key of a `whsec_<base64>` secret; `None` for a secret of another form.
pub fn standard_webhooks_key(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.trim().strip_prefix("whsec_")?;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .filter(|k| !k.is_empty())
}

/// One `v1,<base64>` entry of a Standard Webhooks `webhook-signature` header.
pub fn standard_webhooks_sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{id}.{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let tag = mac(key, &message);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    )
}

/// acebridge's former webhook signature header value (`X-Acebridge-Signature`) for a body sent at
/// `timestamp` (unix seconds); sent beside the Standard Webhooks headers for one release.
pub fn webhook_sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    let tag = mac(secret, &message);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// Verifies an acebridge webhook call (what a partner's receiver does).
pub fn webhook_verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let ts = timestamp.ok_or(SignatureError::Missing("X-Acebridge-Timestamp"))?;
    let sig = signature.ok_or(SignatureError::Missing("X-Acebridge-Signature"))?;
    let secs = parse_timestamp(ts)?;
    fresh_secs(secs, now)?;
    same(&webhook_sign(secret, secs, body), sig)
}

/// A timestamp header's number.
fn parse_timestamp(header: &str) -> Result<i64, SignatureError> {
    header
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)
}

/// The received signature is the expected one (compared in constant time).
fn same(expected: &str, received: &str) -> Result<(), SignatureError> {
    constant_time::verify_slices_are_equal(expected.as_bytes(), received.trim().as_bytes())
        .map_err(|_| SignatureError::Mismatch)
}
