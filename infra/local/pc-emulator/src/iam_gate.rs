//! IAM in front of moto. moto does not enforce IAM; AWS does. The gate is a local HTTP proxy the tests
//! point the real SDK clients at: it reads each request as AWS's authorizer would (the action from the
//! protocol — `X-Amz-Target` for the JSON services, the method and path for S3 — the resource's ARN, and
//! the caller's access key from the SigV4 `Authorization` header), decides it under the caller's
//! identity-based policies with the same evaluator as the emulator ([`crate::iam`]), and either answers
//! AccessDenied in the service's own error format or forwards the request to moto unchanged.
//!
//! Callers without registered policies (test setup) pass unchecked. S3's bucket-owner condition is
//! enforced too: a request whose `x-amz-expected-bucket-owner` names another account than the bucket's
//! owner is refused with 403, as S3 does, and `s3:ResourceAccount` is in the policy context.

use crate::iam::{Decision, Policies};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::{TcpListener, TcpStream};

/// The account moto creates everything in.
pub const LOCAL_ACCOUNT: &str = "123456789012";

/// One request the gate decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The access key id it was signed with.
    pub caller: String,
    /// `s3:GetObject`, `dynamodb:PutItem`, …
    pub action: String,
    /// The resource's ARN.
    pub resource: String,
    /// The `x-amz-expected-bucket-owner` it carried (S3).
    pub expected_owner: Option<String>,
    /// Whether it was allowed.
    pub allowed: bool,
    /// The HTTP method (S3's HeadObject and GetObject are both `s3:GetObject`; only GET reads the body).
    pub method: String,
}

#[derive(Debug, Default)]
struct Gatekeeping {
    roles: BTreeMap<String, Policies>,
    owners: BTreeMap<String, String>,
    calls: Vec<Call>,
}

/// A running gate.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<Mutex<Gatekeeping>>,
}

fn lock(m: &Mutex<Gatekeeping>) -> MutexGuard<'_, Gatekeeping> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Gate {
    /// Starts a gate on 127.0.0.1 (any free port) forwarding to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> std::io::Result<Gate> {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(Gatekeeping::default()));
        let shared = state.clone();
        crate::serve(listener, move |req| {
            pass(shared.clone(), upstream.clone(), req)
        });
        Ok(Gate { addr, state })
    }

    /// The endpoint URL for the SDK clients.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Enforces `policies` (IAM policy documents) on every request signed with `access_key`.
    pub fn allow(&self, access_key: &str, policies: &[Value]) -> Result<(), String> {
        let parsed = Policies::parse(policies)?;
        lock(&self.state)
            .roles
            .insert(access_key.to_string(), parsed);
        Ok(())
    }

    /// `bucket` belongs to `account` (default: moto's account).
    pub fn bucket_owner(&self, bucket: &str, account: &str) {
        lock(&self.state)
            .owners
            .insert(bucket.to_string(), account.to_string());
    }

    /// Every call the gate decided (those of registered callers), in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.state).calls.clone()
    }
}

type Parts = hyper::http::request::Parts;

/// The access key and the service of a SigV4 `Authorization` header.
fn credential(req: &Parts) -> Option<(String, String)> {
    let auth = req.headers.get("authorization")?.to_str().ok()?;
    let scope = auth.split("Credential=").nth(1)?.split(',').next()?;
    let parts: Vec<&str> = scope.split('/').collect();
    Some((parts.first()?.to_string(), parts.get(3)?.to_string()))
}

fn header<'a>(req: &'a Parts, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Percent-decoding of a path segment (or query value).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// What a request asks for: (action, resource) pairs, and the bucket for S3.
struct Asked {
    wants: Vec<(String, String)>,
    bucket: Option<String>,
}

fn region_arn(service: &str, rest: &str) -> String {
    format!("arn:aws:{service}:us-east-1:{LOCAL_ACCOUNT}:{rest}")
}

/// The JSON protocols: the action from `X-Amz-Target`, the resource from the body.
fn json_request(target: &str, body: &Value) -> Asked {
    let (prefix, op) = target.split_once('.').unwrap_or((target, ""));
    let service = match prefix {
        "DynamoDB_20120810" => "dynamodb",
        "AWSEvents" => "events",
        "AmazonSQS" => "sqs",
        "secretsmanager" => "secretsmanager",
        "TrentService" => "kms",
        other => other,
    };
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_string();
    let resources: Vec<String> = match service {
        "dynamodb" => {
            let table = region_arn("dynamodb", &format!("table/{}", text("TableName")));
            match body["IndexName"].as_str() {
                Some(index) => vec![format!("{table}/index/{index}")],
                None if op == "BatchWriteItem" || op == "BatchGetItem" => body["RequestItems"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(t, _)| region_arn("dynamodb", &format!("table/{t}")))
                    .collect(),
                None if op == "TransactWriteItems" => body["TransactItems"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i.as_object()?.values().next()?["TableName"].as_str())
                    .map(|t| region_arn("dynamodb", &format!("table/{t}")))
                    .collect(),
                None => vec![table],
            }
        }
        "events" if op == "PutEvents" => body["Entries"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let bus = e["EventBusName"].as_str().unwrap_or("default");
                let name = bus.rsplit('/').next().unwrap_or(bus);
                region_arn("events", &format!("event-bus/{name}"))
            })
            .collect(),
        "sqs" => {
            let url = text("QueueUrl");
            let name = url.rsplit('/').next().unwrap_or_default();
            vec![region_arn("sqs", name)]
        }
        "secretsmanager" => {
            let id = text("SecretId");
            vec![if id.starts_with("arn:") {
                id
            } else {
                region_arn("secretsmanager", &format!("secret:{id}"))
            }]
        }
        "kms" => vec![text("KeyId")],
        _ => vec!["*".to_string()],
    };
    let resources = if resources.is_empty() {
        vec!["*".to_string()]
    } else {
        resources
    };
    // IAM has no action for SQS's batch calls: SendMessage, DeleteMessage and ChangeMessageVisibility
    // grant their batch versions ("Amazon SQS batch actions", SQS Developer Guide).
    let op = match (service, op) {
        ("sqs", "SendMessageBatch") => "SendMessage",
        ("sqs", "DeleteMessageBatch") => "DeleteMessage",
        ("sqs", "ChangeMessageVisibilityBatch") => "ChangeMessageVisibility",
        _ => op,
    };
    Asked {
        wants: resources
            .into_iter()
            .map(|r| (format!("{service}:{op}"), r))
            .collect(),
        bucket: None,
    }
}

/// S3's REST protocol (path style): the actions a request needs from its method, path, query and headers.
fn s3_request(req: &Parts) -> Asked {
    let path = req.uri.path().trim_start_matches('/');
    let query = req.uri.query().unwrap_or_default();
    let has = |k: &str| {
        query
            .split('&')
            .any(|p| p == k || p.starts_with(&format!("{k}=")))
    };
    let (bucket, key) = match path.split_once('/') {
        Some((b, k)) if !k.is_empty() => (decode(b), Some(decode(k))),
        Some((b, _)) => (decode(b), None),
        None => (decode(path), None),
    };
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let object_arn = |k: &str| format!("arn:aws:s3:::{bucket}/{k}");
    let method = req.method.as_str();
    let mut wants: Vec<(&str, String)> = Vec::new();
    match (method, &key) {
        ("GET" | "HEAD", None) => {
            if has("location") {
                wants.push(("s3:GetBucketLocation", bucket_arn.clone()));
            } else if has("versions") {
                wants.push(("s3:ListBucketVersions", bucket_arn.clone()));
            } else {
                wants.push(("s3:ListBucket", bucket_arn.clone()));
            }
        }
        ("GET" | "HEAD", Some(k)) => {
            let action = if has("tagging") {
                "s3:GetObjectTagging"
            } else if has("versionId") {
                "s3:GetObjectVersion"
            } else {
                "s3:GetObject"
            };
            wants.push((action, object_arn(k)));
        }
        ("PUT", Some(k)) => {
            if has("tagging") {
                wants.push(("s3:PutObjectTagging", object_arn(k)));
            } else if has("acl") {
                wants.push(("s3:PutObjectAcl", object_arn(k)));
            } else {
                wants.push(("s3:PutObject", object_arn(k)));
                if header(req, "x-amz-acl").is_some() {
                    wants.push(("s3:PutObjectAcl", object_arn(k)));
                }
                if header(req, "x-amz-tagging").is_some() {
                    wants.push(("s3:PutObjectTagging", object_arn(k)));
                }
                if let Some(src) = header(req, "x-amz-copy-source") {
                    let src = decode(src.trim_start_matches('/'));
                    wants.push(("s3:GetObject", format!("arn:aws:s3:::{src}")));
                }
            }
        }
        ("DELETE", Some(k)) => wants.push((
            if has("versionId") {
                "s3:DeleteObjectVersion"
            } else {
                "s3:DeleteObject"
            },
            object_arn(k),
        )),
        ("POST", None) if has("delete") => wants.push(("s3:DeleteObject", object_arn("*"))),
        ("PUT", None) => wants.push(("s3:CreateBucket", bucket_arn.clone())),
        (m, _) => wants.push((
            if m == "DELETE" {
                "s3:DeleteBucket"
            } else {
                "s3:UnknownBucketOperation"
            },
            bucket_arn.clone(),
        )),
    }
    // SSE-KMS: S3 asks KMS for a data key on the caller's behalf, under the caller's permissions.
    if method == "PUT"
        && header(req, "x-amz-server-side-encryption") == Some("aws:kms")
        && let Some(k) = header(req, "x-amz-server-side-encryption-aws-kms-key-id")
    {
        wants.push(("kms:GenerateDataKey", k.to_string()));
    }
    Asked {
        wants: wants.into_iter().map(|(a, r)| (a.to_string(), r)).collect(),
        bucket: Some(bucket),
    }
}

fn denied(service: &str, message: &str) -> Response<Full<Bytes>> {
    let (status, content_type, body) = if service == "s3" {
        (
            403,
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>{message}</Message><RequestId>iam-gate</RequestId></Error>"
            ),
        )
    } else {
        let kind = if service == "dynamodb" {
            "com.amazonaws.dynamodb.v20120810#AccessDeniedException"
        } else {
            "AccessDeniedException"
        };
        (
            400,
            "application/x-amz-json-1.1",
            serde_json::json!({ "__type": kind, "message": message, "Message": message })
                .to_string(),
        )
    };
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert("content-type", v);
    }
    if service != "s3"
        && let Ok(v) = hyper::header::HeaderValue::from_str("AccessDeniedException")
    {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

async fn pass(
    state: Arc<Mutex<Gatekeeping>>,
    upstream: String,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = req.into_parts();
    let checked = credential(&parts).filter(|(key, _)| lock(&state).roles.contains_key(key));
    let bytes = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some((caller, service)) = checked {
        let asked = match header(&parts, "x-amz-target") {
            Some(target) => {
                let json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                json_request(target, &json)
            }
            None if service == "s3" => s3_request(&parts),
            None => Asked {
                wants: vec![(format!("{service}:Unknown"), "*".into())],
                bucket: None,
            },
        };
        let expected = header(&parts, "x-amz-expected-bucket-owner").map(str::to_string);
        let mut st = lock(&state);
        let owner = asked.bucket.as_ref().map(|b| {
            st.owners
                .get(b)
                .cloned()
                .unwrap_or_else(|| LOCAL_ACCOUNT.to_string())
        });
        if let (Some(want), Some(owner)) = (&expected, &owner)
            && want != owner
        {
            return Ok(denied(
                "s3",
                &format!("the bucket is owned by {owner}, not the expected owner {want}"),
            ));
        }
        let mut context = BTreeMap::new();
        if let Some(owner) = &owner {
            context.insert("s3:ResourceAccount".to_string(), owner.clone());
        }
        // ListObjects' prefix, for the `s3:prefix` condition key.
        if let Some(prefix) = parts
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|p| p.strip_prefix("prefix="))
        {
            context.insert("s3:prefix".to_string(), decode(&prefix.replace('+', " ")));
        }
        for (action, resource) in &asked.wants {
            let decision = st.roles.get(&caller).map_or(Decision::ImplicitDeny, |p| {
                p.decide(action, resource, &context)
            });
            let allowed = decision == Decision::Allow;
            st.calls.push(Call {
                caller: caller.clone(),
                action: action.clone(),
                resource: resource.clone(),
                expected_owner: expected.clone(),
                allowed,
                method: parts.method.to_string(),
            });
            if !allowed {
                return Ok(denied(
                    &service,
                    &format!(
                        "User: {caller} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
                    ),
                ));
            }
        }
    }
    Ok(forward(&upstream, parts, bytes).await.unwrap_or_else(|e| {
        let mut r = Response::new(Full::new(Bytes::from(format!("iam gate: upstream: {e}"))));
        *r.status_mut() = StatusCode::BAD_GATEWAY;
        r
    }))
}

async fn forward(
    upstream: &str,
    mut parts: Parts,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, String> {
    let stream = TcpStream::connect(upstream)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    if let Ok(host) = hyper::header::HeaderValue::from_str(upstream) {
        parts.headers.insert("host", host);
    }
    let out = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = out.into_parts();
    let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Response::from_parts(parts, Full::new(bytes)))
}
