//! Salesforce: OAuth 2.0 (client credentials or JWT bearer), the token cached and refreshed once on
//! 401; upsert by external id (`PATCH /services/data/vNN.N/sobjects/<Object>/<ExternalIdField>/<value>`),
//! update by record id, sObject Collections (`/composite/sobjects`) for batches of up to 200, SOQL for
//! reads. 429/503 (and other 5xx) are retried with backoff by [`HttpClient`]; per-field errors come
//! back as a permanent error naming each field and code.
//!
//! Every write carries `Sforce-Call-Options: client=acebridge`, so that Change Data Capture events of
//! acebridge's own writes (`changeOrigin` `…;client=acebridge`) are recognised and not sent back to AWS.

use crate::config::{MappingConfig, ObjectMapping};
use crate::http::{self, HttpClient, Request, Response};
use crate::paths::Kind;
use crate::remote::{Push, Pushed, RemoteCrm};
use crate::secrets::{SalesforceAuth, SalesforceSecret};
use crate::transform;
use ::http::{Method, StatusCode};
use acebridge_sync::PortError;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;
use tracing::info;

/// The client id Salesforce records in `changeOrigin` for acebridge's writes.
pub const CALL_OPTIONS: &str = "client=acebridge";
/// sObject Collections take at most 200 records a request.
pub const COLLECTION_LIMIT: usize = 200;
const SYSTEM: &str = "salesforce";

#[derive(Clone)]
struct Token {
    access: SecretString,
    instance_url: String,
}

/// The Salesforce adapter.
pub struct Salesforce {
    http: HttpClient,
    auth: SalesforceAuth,
    version: String,
    mapping: MappingConfig,
    token: Mutex<Option<Token>>,
}

/// One error Salesforce reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfError {
    /// `REQUIRED_FIELD_MISSING`, `INVALID_FIELD`, …
    pub code: String,
    /// The fields it is about.
    pub fields: Vec<String>,
    /// Salesforce's message (redacted of emails and phone numbers).
    pub message: String,
}

fn sf_errors(v: &Value) -> Vec<SfError> {
    let list = match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    list.iter()
        .map(|e| SfError {
            code: e
                .get("errorCode")
                .or_else(|| e.get("statusCode"))
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN")
                .to_string(),
            fields: e
                .get("fields")
                .and_then(Value::as_array)
                .map(|f| {
                    f.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
            message: http::redact(e.get("message").and_then(Value::as_str).unwrap_or_default()),
        })
        .collect()
}

fn describe(errors: &[SfError]) -> String {
    errors
        .iter()
        .map(|e| {
            if e.fields.is_empty() {
                format!("{}: {}", e.code, e.message)
            } else {
                format!("{} [{}]: {}", e.code, e.fields.join(", "), e.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Codes worth trying again later.
fn retryable_code(code: &str) -> bool {
    matches!(
        code,
        "REQUEST_LIMIT_EXCEEDED"
            | "UNABLE_TO_LOCK_ROW"
            | "SERVER_UNAVAILABLE"
            | "API_CURRENTLY_DISABLED"
    )
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The RS256-signed assertion of the JWT bearer flow.
fn jwt_assertion(
    client_id: &str,
    username: &str,
    audience: &str,
    private_key_pem: &str,
    now: i64,
) -> Result<String, PortError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};
    let bad = |what: &str| PortError::permanent(SYSTEM, format!("JWT private key: {what}"));
    let key = if let Ok(der) = PrivatePkcs8KeyDer::from_pem_slice(private_key_pem.as_bytes()) {
        aws_lc_rs::rsa::KeyPair::from_pkcs8(der.secret_pkcs8_der())
            .map_err(|_| bad("not an RSA PKCS#8 key"))?
    } else if let Ok(der) = PrivatePkcs1KeyDer::from_pem_slice(private_key_pem.as_bytes()) {
        aws_lc_rs::rsa::KeyPair::from_der(der.secret_pkcs1_der())
            .map_err(|_| bad("not an RSA PKCS#1 key"))?
    } else {
        return Err(bad("no PEM private key found"));
    };
    let header = b64url(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = b64url(
        json!({"iss": client_id, "sub": username, "aud": audience, "exp": now + 180})
            .to_string()
            .as_bytes(),
    );
    let signing_input = format!("{header}.{claims}");
    let mut sig = vec![0; key.public_modulus_len()];
    key.sign(
        &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut sig,
    )
    .map_err(|_| bad("signing failed"))?;
    Ok(format!("{signing_input}.{}", b64url(&sig)))
}

/// The JWT bearer flow's `aud` when the secret names none. Salesforce documents it as the authorization
/// server, `https://login.salesforce.com` (production) or `https://test.salesforce.com` (sandboxes),
/// not the org's My Domain (Salesforce Help, "OAuth 2.0 JWT Bearer Flow for Server-to-Server
/// Integration"); a sandbox is told by its login URL. An Experience Cloud site sets `audience`.
pub fn default_audience(login_url: &str) -> &'static str {
    let host = login_url
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com") {
        "https://test.salesforce.com"
    } else {
        "https://login.salesforce.com"
    }
}

impl Salesforce {
    /// The adapter, with the configuration's object mappings.
    pub fn new(http: HttpClient, secret: SalesforceSecret, mapping: MappingConfig) -> Self {
        Salesforce {
            http,
            auth: secret.auth,
            version: secret.api_version.unwrap_or_else(|| "v62.0".to_string()),
            mapping,
            token: Mutex::new(None),
        }
    }

    fn mapping(&self, kind: Kind) -> Result<&ObjectMapping, PortError> {
        crate::remote::object_mapping(SYSTEM, &self.mapping, kind)
    }

    /// Signs in (the token endpoint of the configured flow).
    async fn sign_in(&self) -> Result<Token, PortError> {
        let (login_url, form): (&str, Vec<(&str, String)>) = match &self.auth {
            SalesforceAuth::ClientCredentials {
                login_url,
                client_id,
                client_secret,
            } => (
                login_url,
                vec![
                    ("grant_type", "client_credentials".into()),
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.expose_secret().to_string()),
                ],
            ),
            SalesforceAuth::JwtBearer {
                login_url,
                client_id,
                username,
                private_key,
                audience,
            } => {
                let aud = audience
                    .as_deref()
                    .unwrap_or_else(|| default_audience(login_url));
                let assertion = jwt_assertion(
                    client_id,
                    username,
                    aud.trim_end_matches('/'),
                    private_key.expose_secret(),
                    self.http.clock.now().timestamp(),
                )?;
                (
                    login_url,
                    vec![
                        (
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
                        ),
                        ("assertion", assertion),
                    ],
                )
            }
        };
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = format!("{}/services/oauth2/token", login_url.trim_end_matches('/'));
        let response = self
            .http
            .send(
                &Request::new(Method::POST, url)
                    .form(&pairs)
                    .header("accept", "application/json"),
            )
            .await?;
        let body = response.json();
        if !response.status.is_success() {
            // {"error":"invalid_grant","error_description":"…"}
            let code = body.get("error").and_then(Value::as_str).unwrap_or("error");
            let text = body
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(PortError {
                system: SYSTEM,
                retryable: http::retryable_status(response.status),
                message: format!(
                    "sign-in refused ({}): {code}: {text}",
                    response.status.as_u16()
                ),
            });
        }
        match (
            body.get("access_token").and_then(Value::as_str),
            body.get("instance_url").and_then(Value::as_str),
        ) {
            (Some(t), Some(u)) => {
                info!(system = SYSTEM, "signed in");
                Ok(Token {
                    access: SecretString::from(t.to_string()),
                    instance_url: u.trim_end_matches('/').to_string(),
                })
            }
            _ => Err(PortError::permanent(
                SYSTEM,
                "token response without access_token/instance_url",
            )),
        }
    }

    async fn token(&self, renew: bool) -> Result<Token, PortError> {
        let mut slot = self.token.lock().await;
        if renew || slot.is_none() {
            *slot = Some(self.sign_in().await?);
        }
        slot.clone()
            .ok_or_else(|| PortError::retryable(SYSTEM, "no token"))
    }

    /// Sends an API call (`path` after `/services/data/<version>`), signing in first if needed and
    /// again once on 401 (`INVALID_SESSION_ID`: the token expired or was revoked).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, PortError> {
        let mut renewed = false;
        loop {
            let token = self.token(false).await?;
            let url = format!(
                "{}/services/data/{}{path}",
                token.instance_url, self.version
            );
            let mut req = Request::new(method.clone(), url)
                .header(
                    "authorization",
                    format!("Bearer {}", token.access.expose_secret()),
                )
                .header("accept", "application/json")
                .header("sforce-call-options", CALL_OPTIONS);
            if let Some(b) = body {
                req = req.json(b);
            }
            let response = self.http.send(&req).await?;
            if response.status == StatusCode::UNAUTHORIZED && !renewed {
                info!(system = SYSTEM, "token refused (401); signing in again");
                self.token(true).await?;
                renewed = true;
                continue;
            }
            return Ok(response);
        }
    }

    fn refusal(&self, what: &str, response: &Response) -> PortError {
        let errors = sf_errors(&response.json());
        PortError {
            system: SYSTEM,
            retryable: http::retryable_status(response.status)
                || errors.iter().any(|e| retryable_code(&e.code)),
            message: format!(
                "{what}: HTTP {}: {}",
                response.status.as_u16(),
                if errors.is_empty() {
                    "no detail".to_string()
                } else {
                    describe(&errors)
                }
            ),
        }
    }

    fn body_for(&self, push: &Push<'_>) -> Result<(String, Map<String, Value>), PortError> {
        let mapping = self.mapping(push.kind)?;
        let fields = transform::to_crm_changes(
            mapping,
            push.record,
            &push.sync,
            push.previous.as_ref().map(|(r, s)| (*r, s)),
        );
        Ok((mapping.object.clone(), fields))
    }
}

impl RemoteCrm for Salesforce {
    fn maps(&self, kind: Kind) -> bool {
        self.mapping.object(kind).is_some()
    }

    async fn push(&self, push: &Push<'_>) -> Result<Pushed, PortError> {
        let mapping = self.mapping(push.kind)?;
        let (object, mut fields) = self.body_for(push)?;
        if fields.is_empty() {
            return Ok(Pushed {
                remote_id: None,
                created: false,
            });
        }
        let response = if push.native {
            let path = format!("/sobjects/{object}/{}", http::url_encode(push.crm_id));
            self.call(Method::PATCH, &path, Some(&Value::Object(fields)))
                .await?
        } else {
            let ace_id = push.ace_id.ok_or_else(|| {
                PortError::permanent(SYSTEM, format!("{}: no AWS id to upsert by", push.crm_id))
            })?;
            // The external id is in the URL; Salesforce refuses it in the body too.
            fields.remove(&mapping.aws_id_field);
            let path = format!(
                "/sobjects/{object}/{}/{}",
                mapping.aws_id_field,
                http::url_encode(ace_id)
            );
            self.call(Method::PATCH, &path, Some(&Value::Object(fields)))
                .await?
        };
        let what = format!("upsert {object} {}", push.crm_id);
        match response.status {
            StatusCode::CREATED | StatusCode::OK | StatusCode::NO_CONTENT => {
                let body = response.json();
                Ok(Pushed {
                    remote_id: body
                        .get("id")
                        .and_then(Value::as_str)
                        .map(String::from)
                        .or_else(|| push.native.then(|| push.crm_id.to_string())),
                    created: response.status == StatusCode::CREATED
                        || body.get("created") == Some(&Value::Bool(true)),
                })
            }
            _ => Err(self.refusal(&what, &response)),
        }
    }

    async fn push_many(
        &self,
        pushes: &[Push<'_>],
    ) -> Result<Vec<Result<Pushed, PortError>>, PortError> {
        let mut results = Vec::with_capacity(pushes.len());
        // Records AWS referred are upserted by AWS id in collections; records the CRM owns are updated
        // by their id in collections too.
        for chunk in pushes.chunks(COLLECTION_LIMIT) {
            let kind = chunk[0].kind;
            if chunk.iter().any(|p| p.kind != kind) {
                return Err(PortError::permanent(
                    SYSTEM,
                    "a batch holds one kind of record",
                ));
            }
            let mapping = self.mapping(kind)?;
            let mut by_ext = Vec::new();
            let mut by_id = Vec::new();
            for (i, p) in chunk.iter().enumerate() {
                let (object, mut fields) = self.body_for(p)?;
                fields.insert("attributes".into(), json!({"type": object}));
                if p.native {
                    fields.insert("id".into(), Value::String(p.crm_id.to_string()));
                    by_id.push((i, Value::Object(fields)));
                } else {
                    by_ext.push((i, Value::Object(fields)));
                }
            }
            let mut slot: Vec<Option<Result<Pushed, PortError>>> = vec![None; chunk.len()];
            let groups: [(String, Vec<(usize, Value)>); 2] = [
                (
                    format!(
                        "/composite/sobjects/{}/{}",
                        mapping.object, mapping.aws_id_field
                    ),
                    by_ext,
                ),
                ("/composite/sobjects".to_string(), by_id),
            ];
            for (path, group) in groups {
                if group.is_empty() {
                    continue;
                }
                let records: Vec<Value> = group.iter().map(|(_, r)| r.clone()).collect();
                let body = json!({"allOrNone": false, "records": records});
                let response = self.call(Method::PATCH, &path, Some(&body)).await?;
                if !response.status.is_success() {
                    return Err(self.refusal(&format!("collection of {}", group.len()), &response));
                }
                let answers = response.json();
                let answers = answers.as_array().cloned().unwrap_or_default();
                for (n, (i, _)) in group.iter().enumerate() {
                    let a = answers.get(n).cloned().unwrap_or(Value::Null);
                    slot[*i] = Some(if a.get("success") == Some(&Value::Bool(true)) {
                        Ok(Pushed {
                            remote_id: a.get("id").and_then(Value::as_str).map(String::from),
                            created: a.get("created") == Some(&Value::Bool(true)),
                        })
                    } else {
                        let errors = sf_errors(&a);
                        Err(PortError {
                            system: SYSTEM,
                            retryable: errors.iter().any(|e| retryable_code(&e.code)),
                            message: format!("record {}: {}", chunk[*i].crm_id, describe(&errors)),
                        })
                    });
                }
            }
            results.extend(slot.into_iter().map(|r| {
                r.unwrap_or_else(|| Err(PortError::retryable(SYSTEM, "no answer for the record")))
            }));
        }
        Ok(results)
    }

    async fn fetch(&self, kind: Kind, native_id: &str) -> Result<Option<Value>, PortError> {
        let mapping = self.mapping(kind)?;
        if !native_id.chars().all(|c| c.is_ascii_alphanumeric())
            || !(15..=18).contains(&native_id.len())
        {
            return Err(PortError::permanent(
                SYSTEM,
                format!("`{native_id}` is not a Salesforce id"),
            ));
        }
        let mut fields = vec!["Id".to_string()];
        for f in mapping.crm_fields_read() {
            if !fields.iter().any(|x| x == f) {
                fields.push(f.to_string());
            }
        }
        let soql = format!(
            "SELECT {} FROM {} WHERE Id = '{native_id}'",
            fields.join(", "),
            mapping.object
        );
        let response = self
            .call(
                Method::GET,
                &format!("/query?q={}", http::url_encode(&soql)),
                None,
            )
            .await?;
        if !response.status.is_success() {
            return Err(self.refusal(&format!("query {}", mapping.object), &response));
        }
        let mut body = response.json();
        Ok(body
            .get_mut("records")
            .and_then(Value::as_array_mut)
            .and_then(|r| r.pop()))
    }
}
