//! The HTTPS client the CRM adapters share: hyper 1 + rustls (aws-lc-rs) with the system's roots — the
//! stack the AWS SDK already builds — with a per-request timeout, and retries with exponential backoff
//! on network errors, 429 and 5xx, honouring `Retry-After`.

use acebridge_sync::PortError;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;
use tracing::warn;

/// How a call is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first included).
    pub attempts: u32,
    /// First backoff; doubled each time.
    pub base: Duration,
    /// Longest backoff between attempts.
    pub max: Duration,
    /// Longest `Retry-After` honoured (a longer one fails the call as retryable: the event or message
    /// is delivered again later, rather than holding a Lambda that long).
    pub max_retry_after: Duration,
    /// One request's time limit.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(250),
            max: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Millisecond waits, for tests against local servers.
    pub fn fast() -> Self {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(5),
            max: Duration::from_millis(200),
            max_retry_after: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A request (built again for each attempt by the caller when headers change, e.g. a new token).
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Full URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Bytes,
}

impl Request {
    /// A request without a body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A JSON body.
    pub fn json(self, body: &serde_json::Value) -> Self {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Request {
            body: Bytes::from(bytes),
            ..self
        }
        .header("content-type", "application/json")
    }

    /// A form body.
    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        Request {
            body: Bytes::from(body),
            ..self
        }
        .header("content-type", "application/x-www-form-urlencoded")
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'*');
    percent_encoding::utf8_percent_encode(s, SET)
        .to_string()
        .replace("%20", "+")
}

/// Percent-encoding of one URL path segment or query value.
pub fn url_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Response {
    /// The body as JSON (`null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// `Retry-After` in seconds, when given.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    }
}

/// The shared client.
#[derive(Clone)]
pub struct HttpClient {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// Its retry policy.
    pub retry: RetryPolicy,
    system: &'static str,
    /// The time signatures and tokens are made at.
    pub clock: acebridge_clock::Clock,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("system", &self.system)
            .field("retry", &self.retry)
            .finish()
    }
}

/// The largest CRM response body read (8 MiB): Salesforce's and HubSpot's largest pages are well under it.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

fn too_large(system: &'static str, req: &Request, bytes: usize) -> PortError {
    PortError::permanent(
        system,
        format!(
            "{} {}: response body of {bytes} bytes or more is over acebridge's cap of {MAX_RESPONSE_BYTES}",
            req.method,
            path(&req.url)
        ),
    )
}

impl HttpClient {
    /// A client for `system` (named in errors: `salesforce`, `hubspot`, `webhook`). HTTPS with the
    /// system's roots; plain HTTP only for loopback servers (tests, the local demo).
    pub fn new(
        system: &'static str,
        retry: RetryPolicy,
        clock: acebridge_clock::Clock,
    ) -> Result<Self, PortError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| PortError::permanent(system, format!("TLS roots: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpClient {
            client: Client::builder(TokioExecutor::new()).build(https),
            retry,
            system,
            clock,
        })
    }

    /// One attempt. A response body larger than [`MAX_RESPONSE_BYTES`] fails the call (permanently).
    pub async fn send_once(&self, req: &Request) -> Result<Response, PortError> {
        let uri: http::Uri = req
            .url
            .parse()
            .map_err(|e| PortError::permanent(self.system, format!("bad URL: {e}")))?;
        if uri.scheme_str() == Some("http")
            && !matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"))
        {
            return Err(PortError::permanent(
                self.system,
                format!("refusing plain HTTP to {}", uri.host().unwrap_or_default()),
            ));
        }
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(uri)
            .header(
                "user-agent",
                concat!("acebridge/", env!("CARGO_PKG_VERSION")),
            );
        for (k, v) in &req.headers {
            let value = HeaderValue::from_str(v)
                .map_err(|_| PortError::permanent(self.system, format!("bad header {k}")))?;
            builder = builder.header(*k, value);
        }
        let request = builder
            .body(Full::new(req.body.clone()))
            .map_err(|e| PortError::permanent(self.system, format!("request: {e}")))?;
        let call = async {
            let response = self.client.request(request).await.map_err(|e| {
                PortError::retryable(
                    self.system,
                    format!("{} {}: {e}", req.method, path(&req.url)),
                )
            })?;
            let (parts, body) = response.into_parts();
            // A CRM answer is a few kilobytes; a body past the cap (a misbehaving or hostile server)
            // is refused, not buffered without bound.
            if let Some(len) = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
                && len > MAX_RESPONSE_BYTES
            {
                return Err(too_large(self.system, req, len));
            }
            let body = http_body_util::Limited::new(body, MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        too_large(self.system, req, MAX_RESPONSE_BYTES + 1)
                    } else {
                        PortError::retryable(self.system, format!("reading response: {e}"))
                    }
                })?
                .to_bytes();
            Ok(Response {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.retry.timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(PortError::retryable(
                self.system,
                format!("{} {}: timed out", req.method, path(&req.url)),
            )),
        }
    }

    /// Sends, retrying network errors, 429 and 5xx with backoff (`Retry-After` honoured). Returns the
    /// last response whatever its status; the caller reads errors from it.
    pub async fn send(&self, req: &Request) -> Result<Response, PortError> {
        self.send_each(|| req.clone()).await
    }

    /// [`HttpClient::send`] with the request built again for each attempt (a signature with a fresh
    /// timestamp).
    pub async fn send_each(&self, build: impl Fn() -> Request) -> Result<Response, PortError> {
        let mut wait = self.retry.base;
        let mut attempt = 1;
        loop {
            let req = build();
            let result = self.send_once(&req).await;
            let retry_in = match &result {
                Err(e) if e.retryable => Some(wait),
                Ok(r) if retryable_status(r.status) => {
                    match rate_limit_policy(r).map(|p| p.pause(attempt)) {
                        // HubSpot's daily limit: nothing to gain before the day rolls over.
                        Some(None) => None,
                        Some(Some(pause)) if pause > self.retry.max_retry_after => None,
                        Some(Some(pause)) => Some(pause),
                        None => match r.retry_after() {
                            Some(after) if after > self.retry.max_retry_after => None,
                            Some(after) => Some(after),
                            None => Some(wait.min(self.retry.max)),
                        },
                    }
                }
                _ => None,
            };
            match retry_in {
                Some(pause) if attempt < self.retry.attempts => {
                    warn!(
                        system = self.system,
                        path = %path(&req.url),
                        attempt,
                        status = result.as_ref().map(|r| r.status.as_u16()).unwrap_or(0),
                        wait_ms = pause.as_millis() as u64,
                        "retrying"
                    );
                    tokio::time::sleep(pause).await;
                    wait = (wait * 2).min(self.retry.max);
                    attempt += 1;
                }
                _ => return result,
            }
        }
    }
}

/// Which of HubSpot's rate limits a 429 names, as HubSpot's own client reads it
/// (`@hubspot/api-client`, `RetryDecorator`: `policyName` `TEN_SECONDLY_ROLLING` waits 10 s per attempt,
/// the message "You have reached your secondly limit." 1 s per attempt; `DAILY` is not retried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimitPolicy {
    /// The per-second limit (search endpoints).
    Secondly,
    /// The rolling ten-second limit (100–190 calls per app by tier).
    TenSecondlyRolling,
    /// The daily limit of the portal.
    Daily,
}

impl RateLimitPolicy {
    /// How long to wait before attempt `attempt + 1`; `None`: do not retry.
    pub fn pause(self, attempt: u32) -> Option<Duration> {
        match self {
            RateLimitPolicy::Secondly => Some(Duration::from_secs(1) * attempt),
            RateLimitPolicy::TenSecondlyRolling => Some(Duration::from_secs(10) * attempt),
            RateLimitPolicy::Daily => None,
        }
    }
}

/// The rate limit a 429's body names (HubSpot's `policyName`), if any.
pub fn rate_limit_policy(r: &Response) -> Option<RateLimitPolicy> {
    if r.status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let body = r.json();
    match body.get("policyName").and_then(serde_json::Value::as_str) {
        Some("DAILY") => Some(RateLimitPolicy::Daily),
        Some("TEN_SECONDLY_ROLLING") => Some(RateLimitPolicy::TenSecondlyRolling),
        Some("SECONDLY") => Some(RateLimitPolicy::Secondly),
        _ if body.get("message").and_then(serde_json::Value::as_str)
            == Some("You have reached your secondly limit.") =>
        {
            Some(RateLimitPolicy::Secondly)
        }
        _ => None,
    }
}

/// 429 and 5xx.
pub fn retryable_status(s: StatusCode) -> bool {
    s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error()
}

/// The path of a URL, for logs (no query string: it may carry record data).
pub fn path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let p = rest.find('/').map_or("/", |i| &rest[i..]);
    p.split('?').next().unwrap_or(p)
}

/// Replaces what looks like an email address or a phone number in a vendor's error message (they
/// sometimes quote the value they refused) so that it can be logged.
pub fn redact(message: &str) -> String {
    let words: String = message
        .split(' ')
        .map(|w| if w.contains('@') { "<redacted>" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    // A run of digits, spaces and + - ( ) . holding seven digits or more is a phone number.
    let chars: Vec<char> = words.chars().collect();
    let phoneish = |c: char| c.is_ascii_digit() || " +-().".contains(c);
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() || chars[i] == '+' || chars[i] == '(' {
            let mut j = i;
            while j < chars.len() && phoneish(chars[j]) {
                j += 1;
            }
            let run: String = chars[i..j].iter().collect();
            if run.chars().filter(char::is_ascii_digit).count() >= 7 {
                out.push_str("<redacted>");
                if run.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push_str(&run);
            }
            i = j.max(i + 1);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_and_redaction() {
        assert_eq!(form_encode("a b&c=d"), "a+b%26c%3Dd");
        assert_eq!(url_encode("O 1/2"), "O%201%2F2");
        assert_eq!(
            path("https://x.example/services/data?q=1"),
            "/services/data"
        );
        assert_eq!(
            redact("invalid email address: bob@example.com phone +1 206 555 0100 x"),
            "invalid email address: <redacted> phone <redacted> x"
        );
        assert_eq!(redact("call 2065550100 now"), "call <redacted> now");
    }
}
