//! A local AWS Partner Central Selling API for tests and the demo.
//!
//! It speaks the service's wire protocol (awsJson1_0: `POST /`, `X-Amz-Target:
//! AWSPartnerCentralSelling.<Op>`, errors as `{"__type": …, "Message": …}` with the service's status
//! codes), so the real `aws-sdk-partnercentralselling` client works against it by endpoint override.
//! State is in memory, catalogs `AWS` and `Sandbox` apart. Quota enforcement (reads 10/s, writes 1/s)
//! and fault injection are switchable; every action records the EventBridge events the service emits.
//!
//! Control endpoints (for the demo and tests; the [`Emulator`] handle does the same in-process):
//! `POST /_emulator/seed`, `POST /_emulator/invite`, `POST /_emulator/aws-update`,
//! `POST /_emulator/expire`, `POST /_emulator/quotas`, `POST /_emulator/faults`,
//! `GET /_emulator/events[?after=N]`, `GET /_emulator/stats`.

pub mod state;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use state::{ApiError, Faults, Quotas, State};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;

/// The `X-Amz-Target` prefix of every operation.
pub const TARGET_PREFIX: &str = "AWSPartnerCentralSelling.";

/// A running emulator: its address, and in-process control of its state.
#[derive(Clone, Debug)]
pub struct Emulator {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Emulator {
    /// Starts an emulator on `addr` (port 0: any free port), serving until the runtime ends.
    pub async fn start(addr: &str) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::new()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Emulator { addr, state })
    }

    /// The endpoint URL for the SDK.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The state, locked.
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Every event emitted so far.
    pub fn events(&self) -> Vec<Value> {
        self.state().events().to_vec()
    }

    /// Turns quota enforcement on (the service's 10 reads/s, 1 write/s) or off.
    pub fn enforce_quotas(&self, on: bool) {
        self.state().quotas = on.then(Quotas::service);
    }

    /// The next `n` calls fail with HTTP 500.
    pub fn fail_next(&self, n: u32) {
        let mut s = self.state();
        s.faults.fail_next = n;
        s.faults.status = 500;
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn json_response(status: u16, body: &Value, error_type: Option<&str>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    if let Some(t) = error_type.and_then(|t| hyper::header::HeaderValue::from_str(t).ok()) {
        r.headers_mut().insert("x-amzn-errortype", t);
    }
    r
}

fn error_response(e: &ApiError) -> Response<Full<Bytes>> {
    json_response(e.status, &e.body(), Some(e.kind))
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(error_response(&bad_request(&e.to_string()))),
    };
    let json: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                return Ok(error_response(&bad_request(&format!(
                    "body is not JSON: {e}"
                ))));
            }
        }
    };
    if let Some(control) = path.strip_prefix("/_emulator/") {
        return Ok(match control_call(&state, control, &query, &json) {
            Ok(v) => json_response(200, &v, None),
            Err(e) => error_response(&e),
        });
    }
    let Some(op) = target
        .as_deref()
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
    else {
        return Ok(error_response(&bad_request(
            "missing X-Amz-Target: AWSPartnerCentralSelling.<Operation>",
        )));
    };
    let delay = lock(&state).faults.delay_ms;
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let result = {
        let mut s = lock(&state);
        match s.take_fault() {
            Some(e) => Err(e),
            None => s.admit(op).and_then(|()| s.call(op, &json)),
        }
    };
    Ok(match result {
        Ok(v) => json_response(200, &strip_nulls(v), None),
        Err(e) => error_response(&e),
    })
}

fn bad_request(message: &str) -> ApiError {
    ApiError {
        status: 400,
        kind: "ValidationException",
        message: message.to_string(),
        extra: Default::default(),
    }
}

/// Absent members are left out of responses, as the service does.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

fn control_call(
    state: &Mutex<State>,
    what: &str,
    query: &str,
    body: &Value,
) -> Result<Value, ApiError> {
    let mut s = lock(state);
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    match what {
        "seed" => s.seed(body).map(|()| json!({})),
        "invite" => s.invite(body).map(|id| json!({ "Id": id })),
        "aws-update" => s
            .aws_update(&text("Catalog"), &text("Identifier"), &body["Patch"])
            .map(|lmd| json!({ "LastModifiedDate": lmd })),
        "expire" => s
            .expire(&text("Catalog"), &text("Identifier"))
            .map(|()| json!({})),
        "quotas" => {
            s.quotas = body["enforce"].as_bool().unwrap_or(true).then(|| {
                Quotas::new(
                    body["reads_per_second"].as_u64().unwrap_or(10) as usize,
                    body["writes_per_second"].as_u64().unwrap_or(1) as usize,
                )
            });
            Ok(json!({}))
        }
        "faults" => {
            s.faults = Faults {
                fail_next: body["fail_next"].as_u64().unwrap_or(0) as u32,
                status: body["status"].as_u64().unwrap_or(500) as u16,
                delay_ms: body["delay_ms"].as_u64().unwrap_or(0),
            };
            Ok(json!({}))
        }
        "events" => {
            let after: usize = query
                .strip_prefix("after=")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let events = s.events();
            Ok(json!({ "events": events.get(after..).unwrap_or_default(), "next": events.len() }))
        }
        "stats" => Ok(
            json!({ "calls": s.stats.calls, "throttled": s.stats.throttled, "faults_served": s.stats.faults_served }),
        ),
        other => Err(ApiError {
            status: 404,
            kind: "ResourceNotFoundException",
            message: format!("no control endpoint {other}"),
            extra: Default::default(),
        }),
    }
}
