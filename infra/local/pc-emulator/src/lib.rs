//! A local AWS Partner Central Selling API for tests and the demo.
//!
//! It speaks the service's wire protocol (awsJson1_0: `POST /`, `X-Amz-Target:
//! AWSPartnerCentralSelling.<Op>`, errors as `{"__type": …, "Message": …}`, an `x-amzn-RequestId` on
//! every answer), so the real `aws-sdk-partnercentralselling` client works against it by endpoint
//! override. It holds itself to AWS's published service model ([`model`], loaded from botocore): every
//! request is validated against the operation's input shape (a violation is the `ValidationException`
//! AWS sends, with the model's codes), and every answer against its output or error shape (a violation
//! is answered as an `InternalServerException` naming it, and counted in `/_emulator/stats`, so the
//! emulator cannot drift from the model unnoticed). Errors are only those the model lists for the
//! operation. IAM is enforced when policies are given ([`iam`]): each caller, by the access key it
//! signs with, gets what its policies allow and `AccessDeniedException` for the rest. `Start…Task`
//! operations answer `IN_PROGRESS` and finish later ([`tasks`]).
//!
//! State is in memory, catalogs `AWS` and `Sandbox` apart. Quota enforcement (reads 10/s, writes 1/s)
//! and fault injection are switchable; every action records the EventBridge events the service emits.
//!
//! Control endpoints (for the demo and tests; the [`Emulator`] handle does the same in-process):
//! `POST /_emulator/seed`, `POST /_emulator/invite` (an opportunity or, with `Payload.LeadInvitation`
//! and `Lead`, a lead), `POST /_emulator/aws-update`, `POST /_emulator/aws-engagement-update`,
//! `POST /_emulator/expire`, `POST /_emulator/quotas`, `POST /_emulator/faults`
//! (`{"fail_next", "spacing", "status", "error", "delay_ms"}`), `POST /_emulator/tasks` (`{"delay_ms",
//! "fail_next", "reason_code", "message"}`), `POST /_emulator/iam` (`{"AccessKeyId", "Policies"}` adds
//! a caller; `{"enforce": false}` turns IAM off), `GET /_emulator/events[?after=N]`,
//! `GET /_emulator/stats`, `POST /_emulator/clock` (`{"now"}` / `{"advance_seconds"}`, on an emulator
//! started on a test's clock: `--clock`, [`Emulator::start_on`]).

pub mod iam;
pub mod iam_gate;
pub mod model;
pub mod roles;
pub mod state;
pub mod tasks;
pub mod timestamps;

use acebridge_clock::{Clock, TestClock};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use model::ServiceModel;
use serde_json::{Value, json};
use state::{ApiError, Faults, Quotas, State};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Starts an emulator on `addr` (port 0: any free port), serving until the runtime ends, its time
    /// read from `clock`. Fails when AWS's service model cannot be loaded ([`ServiceModel::get`]): the
    /// emulator never runs unchecked.
    pub async fn start(addr: &str, clock: Clock) -> std::io::Result<Emulator> {
        Emulator::start_with(addr, clock, None).await
    }

    /// Starts an emulator on a test's clock: `POST /_emulator/clock` (`{"now": RFC 3339}` or
    /// `{"advance_seconds": n}`) moves it, for a test or demo that drives the emulator's binary.
    pub async fn start_on(addr: &str, clock: &TestClock) -> std::io::Result<Emulator> {
        Emulator::start_with(addr, clock.clock(), Some(clock.clone())).await
    }

    async fn start_with(
        addr: &str,
        clock: Clock,
        settable: Option<TestClock>,
    ) -> std::io::Result<Emulator> {
        let model = ServiceModel::get().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut fresh = State::new(clock);
        fresh.settable_clock = settable;
        fresh.model = Some(model.clone());
        let state = Arc::new(Mutex::new(fresh));
        let shared = state.clone();
        // Tasks finish on their own time, whether or not anyone calls.
        let ticking = Arc::downgrade(&state);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                let Some(state) = ticking.upgrade() else {
                    return;
                };
                lock(&state).advance();
            }
        });
        serve(listener, move |req| {
            handle(shared.clone(), model.clone(), req)
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

    /// Enforces scaled quotas (tests that would take minutes at the service's rates).
    pub fn enforce_scaled_quotas(&self, reads_per_second: usize, writes_per_second: usize) {
        self.state().quotas = Some(Quotas::new(reads_per_second, writes_per_second));
    }

    /// The next `n` calls fail with HTTP 500.
    pub fn fail_next(&self, n: u32) {
        self.fail_spaced(n, 0);
    }

    /// `n` calls fail with HTTP 500, each after `spacing` calls that succeed (sporadic faults).
    pub fn fail_spaced(&self, n: u32, spacing: u32) {
        let mut s = self.state();
        s.faults.fail_next = n;
        s.faults.spacing = spacing;
        s.faults.let_through = 0;
        s.faults.status = 500;
        s.faults.error = None;
    }

    /// Enforces IAM: the caller signing with `access_key` gets what `policies` (IAM policy documents)
    /// allow; callers without policies get nothing.
    pub fn allow(&self, access_key: &str, policies: &[Value]) -> Result<(), String> {
        let parsed = iam::Policies::parse(policies)?;
        self.state()
            .iam
            .get_or_insert_with(Default::default)
            .insert(access_key.to_string(), parsed);
        Ok(())
    }

    /// Answers that broke the model so far (each was sent as an `InternalServerException`).
    pub fn model_violations(&self) -> u64 {
        self.state().stats.model_violations
    }
}

/// Serves HTTP/1 on `listener` until the runtime ends, one task per connection, each request answered
/// by `answer` (the emulator and the IAM gate).
pub(crate) fn serve<F, Fut>(listener: TcpListener, answer: F)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<Full<Bytes>>, std::convert::Infallible>>
        + Send
        + 'static,
{
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), hyper::service::service_fn(answer))
                    .await;
            });
        }
    });
}

static REQUEST: AtomicU64 = AtomicU64::new(1);

/// A request id in the shape AWS's look like.
fn request_id() -> String {
    let n = REQUEST.fetch_add(1, Ordering::Relaxed);
    format!("{:08x}-0000-4000-8000-{:012x}", std::process::id(), n)
}

/// The access key id of a SigV4 `Authorization` header (`… Credential=<key>/<date>/…`).
fn access_key(req: &Request<Incoming>) -> Option<String> {
    let auth = req.headers().get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    credential.split('/').next().map(str::to_string)
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
    if let Ok(id) = hyper::header::HeaderValue::from_str(&request_id()) {
        r.headers_mut().insert("x-amzn-requestid", id);
    }
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
    model: Arc<ServiceModel>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let caller = access_key(&req);
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
                return Ok(error_response(&ApiError::new(
                    400,
                    "SerializationException",
                    format!("body is not JSON: {e}"),
                )));
            }
        }
    };
    if let Some(control) = path.strip_prefix("/_emulator/") {
        return Ok(match control_call(&state, control, &query, &json) {
            Ok(v) => json_response(200, &v, None),
            Err(e) => error_response(&e),
        });
    }
    let Some(name) = target.as_deref().and_then(|t| {
        t.strip_prefix(&model.target_prefix)
            .and_then(|t| t.strip_prefix('.'))
    }) else {
        return Ok(error_response(&ApiError::new(
            400,
            "UnknownOperationException",
            "missing X-Amz-Target: AWSPartnerCentralSelling.<Operation>",
        )));
    };
    let Some(op) = model.operation(name) else {
        return Ok(error_response(&ApiError::new(
            400,
            "UnknownOperationException",
            format!("unknown operation {name}"),
        )));
    };
    let delay = lock(&state).faults.delay_ms;
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let result = {
        let mut s = lock(&state);
        s.advance();
        let violations = op
            .input
            .as_deref()
            .map(|shape| model.validate(shape, &json))
            .unwrap_or_default();
        if !violations.is_empty() {
            Err(request_invalid(&violations))
        } else {
            s.authorize(name, caller.as_deref(), &json).and_then(|()| {
                match s.take_fault(|e| op.errors.contains(e)) {
                    Some(e) => Err(e),
                    None => s.admit(name).and_then(|()| {
                        s.caller = caller.clone();
                        s.call(name, &json)
                    }),
                }
            })
        }
    };
    let answer = result.map(strip_nulls);
    let broken = check_answer(&model, op, &answer);
    Ok(match (answer, broken) {
        (_, Some(why)) => {
            eprintln!("pc-emulator: {name}: answer breaks the service model: {why}");
            lock(&state).stats.model_violations += 1;
            error_response(&ApiError::new(
                500,
                "InternalServerException",
                format!("emulator bug: the {name} answer breaks the service model: {why}"),
            ))
        }
        (Ok(v), None) => json_response(200, &v, None),
        (Err(e), None) => error_response(&e),
    })
}

/// A request that breaks the model: `ValidationException` with one `ErrorList` entry per violation.
fn request_invalid(violations: &[model::Violation]) -> ApiError {
    ApiError::validation(
        "REQUEST_VALIDATION_FAILED",
        violations
            .iter()
            .map(|v| {
                (
                    (!v.field.is_empty()).then_some(v.field.as_str()),
                    v.code,
                    v.message.clone(),
                )
            })
            .collect(),
    )
}

/// Why an answer breaks the model, if it does: an output that does not validate against the output
/// shape, or an error the operation does not list (or whose body breaks its shape).
fn check_answer(
    model: &ServiceModel,
    op: &model::Operation,
    answer: &Result<Value, ApiError>,
) -> Option<String> {
    let violations = match answer {
        Ok(v) => match op.output.as_deref() {
            Some(shape) => model.validate(shape, v),
            None if v.as_object().is_some_and(|m| m.is_empty()) => Vec::new(),
            None => return Some(format!("the operation has no output, but {v} was built")),
        },
        Err(e) => {
            if !op.errors.contains(e.kind) {
                return Some(format!("{} is not one of the operation's errors", e.kind));
            }
            let mut body = e.body();
            if let Some(m) = body.as_object_mut() {
                m.remove("__type");
            }
            model.validate(e.kind, &body)
        }
    };
    (!violations.is_empty()).then(|| {
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
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
    s.advance();
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
        "aws-engagement-update" => s
            .aws_engagement_update(&text("Catalog"), &text("Identifier"), &body["Patch"])
            .map(|at| json!({ "ModifiedAt": at })),
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
                spacing: body["spacing"].as_u64().unwrap_or(0) as u32,
                let_through: 0,
                status: body["status"].as_u64().unwrap_or(500) as u16,
                error: body["error"].as_str().map(str::to_string),
                delay_ms: body["delay_ms"].as_u64().unwrap_or(0),
            };
            Ok(json!({}))
        }
        "tasks" => {
            if let Some(ms) = body["delay_ms"].as_u64() {
                s.task_plan.delay_ms = ms;
            }
            let reason = body["reason_code"]
                .as_str()
                .unwrap_or("OpportunityValidationFailed");
            let message = body["message"].as_str().unwrap_or("injected task failure");
            for _ in 0..body["fail_next"].as_u64().unwrap_or(0) {
                s.task_plan
                    .failures
                    .push_back((reason.to_string(), message.to_string()));
            }
            Ok(json!({}))
        }
        "iam" => {
            if body["enforce"] == json!(false) {
                s.iam = None;
                return Ok(json!({}));
            }
            let key = text("AccessKeyId");
            let docs = body["Policies"].as_array().cloned().unwrap_or_default();
            let parsed = iam::Policies::parse(&docs).map_err(|e| bad_request(&e))?;
            s.iam
                .get_or_insert_with(Default::default)
                .insert(key, parsed);
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
        "clock" => {
            let Some(clock) = s.settable_clock.clone() else {
                return Err(bad_request(
                    "this emulator runs on the system clock (start it with --clock to set its time)",
                ));
            };
            if let Some(at) = body["now"].as_str() {
                let at = chrono::DateTime::parse_from_rfc3339(at)
                    .map_err(|e| bad_request(&format!("now: {e}")))?;
                clock.set(at.with_timezone(&chrono::Utc));
            }
            if let Some(secs) = body["advance_seconds"].as_i64() {
                clock.advance(chrono::Duration::seconds(secs));
            }
            // Invitations whose time has come lapse at once, as the next call would see them.
            s.advance();
            Ok(json!({ "now": clock.now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true) }))
        }
        "stats" => Ok(
            json!({ "calls": s.stats.calls, "throttled": s.stats.throttled, "faults_served": s.stats.faults_served,
                "model_violations": s.stats.model_violations }),
        ),
        other => Err(ApiError {
            status: 404,
            kind: "ResourceNotFoundException",
            message: format!("no control endpoint {other}"),
            extra: Default::default(),
        }),
    }
}
