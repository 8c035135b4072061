//! HubSpot: a private app's token; CRM v3 objects — batch upsert by a unique property
//! (`POST /crm/v3/objects/<object>/batch/upsert`, `idProperty` = the AWS id property), batch update by
//! record id, reads with the associated company; the deal's company found by domain (else name) or
//! created, and associated (`PUT /crm/v4/objects/deals/<id>/associations/default/companies/<id>`).
//! 429 is retried after its `Retry-After` (else with backoff) by [`HttpClient`].

use crate::config::{MappingConfig, ObjectMapping};
use crate::http::{self, HttpClient, Request, Response};
use crate::paths::Kind;
use crate::remote::{Push, Pushed, RemoteCrm};
use crate::secrets::HubspotSecret;
use crate::transform;
use ::http::{Method, StatusCode};
use acebridge_sync::PortError;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

const SYSTEM: &str = "hubspot";
/// Batch endpoints take at most 100 inputs.
pub const BATCH_LIMIT: usize = 100;
/// Mapped CRM fields under this prefix belong to the associated company.
pub const COMPANY: &str = "company.";

/// The HubSpot adapter.
pub struct Hubspot {
    http: HttpClient,
    token: SecretString,
    base: String,
    mapping: MappingConfig,
}

/// An id HubSpot sends as a string or (associations) as a number.
fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `objectWriteTraceId` of a batch's `i`-th input (unique within the batch).
fn trace_id(i: usize) -> String {
    format!("acebridge-{i}")
}

fn describe(body: &Value) -> String {
    let mut out = vec![http::redact(
        body.get("message")
            .and_then(Value::as_str)
            .unwrap_or("no detail"),
    )];
    for e in body
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let code = e.get("code").and_then(Value::as_str).unwrap_or("ERROR");
        let props = e
            .get("context")
            .and_then(|c| c.get("propertyName"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        out.push(format!(
            "{code} [{props}]: {}",
            http::redact(e.get("message").and_then(Value::as_str).unwrap_or_default())
        ));
    }
    out.join("; ")
}

impl Hubspot {
    /// The adapter.
    pub fn new(http: HttpClient, secret: &HubspotSecret, mapping: MappingConfig) -> Self {
        Hubspot {
            http,
            token: secret.access_token.clone(),
            base: secret
                .base_url
                .clone()
                .unwrap_or_else(|| "https://api.hubapi.com".to_string())
                .trim_end_matches('/')
                .to_string(),
            mapping,
        }
    }

    fn mapping(&self, kind: Kind) -> Result<&ObjectMapping, PortError> {
        crate::remote::object_mapping(SYSTEM, &self.mapping, kind)
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, PortError> {
        let mut req = Request::new(method, format!("{}{path}", self.base))
            .header(
                "authorization",
                format!("Bearer {}", self.token.expose_secret()),
            )
            .header("accept", "application/json");
        if let Some(b) = body {
            req = req.json(b);
        }
        self.http.send(&req).await
    }

    /// The first associated company of each deal (v4 associations batch read).
    async fn first_companies<'a>(
        &self,
        object: &str,
        deals: impl Iterator<Item = &'a String>,
    ) -> Result<Vec<(String, String)>, PortError> {
        let inputs: Vec<Value> = deals.map(|id| json!({"id": id})).collect();
        let r = self
            .post_batch(
                &format!("/crm/v4/associations/{object}/companies/batch/read"),
                &json!({ "inputs": inputs }),
                "batch read company associations",
            )
            .await??;
        Ok(r.json()["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some((
                    id_text(&a["from"]["id"])?,
                    id_text(&a["to"][0]["toObjectId"])?,
                ))
            })
            .collect())
    }

    /// Companies' properties by id (v3 batch read).
    async fn companies(
        &self,
        deal_company: &[(String, String)],
        names: &[&str],
    ) -> Result<std::collections::BTreeMap<String, Value>, PortError> {
        let unique: std::collections::BTreeSet<&String> =
            deal_company.iter().map(|(_, c)| c).collect();
        let mut out = std::collections::BTreeMap::new();
        let unique: Vec<&String> = unique.into_iter().collect();
        for chunk in unique.chunks(BATCH_LIMIT) {
            let inputs: Vec<Value> = chunk.iter().map(|id| json!({"id": id})).collect();
            let r = self
                .post_batch(
                    "/crm/v3/objects/companies/batch/read",
                    &json!({"inputs": inputs, "properties": names, "propertiesWithHistory": []}),
                    "batch read companies",
                )
                .await??;
            for res in r.json()["results"].as_array().into_iter().flatten() {
                if let Some(id) = id_text(&res["id"]) {
                    out.insert(id, res["properties"].clone());
                }
            }
        }
        Ok(out)
    }

    /// POSTs a batch call: the answer if HubSpot took it (200, or 207 with per-record errors), its refusal
    /// otherwise; the outer error is a call that did not get an answer.
    async fn post_batch(
        &self,
        path: &str,
        body: &Value,
        what: &str,
    ) -> Result<Result<Response, PortError>, PortError> {
        let r = self.call(Method::POST, path, Some(body)).await?;
        if r.status == StatusCode::OK || r.status == StatusCode::MULTI_STATUS {
            Ok(Ok(r))
        } else {
            Ok(Err(Self::refusal(what, &r)))
        }
    }

    fn refusal(what: &str, response: &Response) -> PortError {
        let limit = match http::rate_limit_policy(response) {
            Some(http::RateLimitPolicy::Daily) => {
                " (HubSpot's daily API limit for the portal is used up: the change is delivered again \
                 later and goes through once the limit resets at midnight in the portal's time zone)"
            }
            Some(_) => " (HubSpot's rate limit: delivered again later)",
            None => "",
        };
        PortError {
            system: SYSTEM,
            retryable: http::retryable_status(response.status),
            message: format!(
                "{what}: HTTP {}: {}{limit}",
                response.status.as_u16(),
                describe(&response.json())
            ),
        }
    }

    /// Splits mapped fields into the record's own properties and its company's.
    fn split(fields: Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
        let mut own = Map::new();
        let mut company = Map::new();
        for (k, v) in fields {
            match k.strip_prefix(COMPANY) {
                Some(c) => {
                    company.insert(c.to_string(), v);
                }
                None => {
                    own.insert(k, v);
                }
            }
        }
        // HubSpot property values are strings.
        for v in own.values_mut().chain(company.values_mut()) {
            if let Value::Number(n) = v {
                *v = Value::String(n.to_string());
            }
        }
        (own, company)
    }

    /// The company for these properties: found by domain, else by name, else created.
    async fn company(&self, props: &Map<String, Value>) -> Result<Option<String>, PortError> {
        for key in ["domain", "name"] {
            let Some(Value::String(value)) = props.get(key) else {
                continue;
            };
            let body = json!({
                "filterGroups": [{"filters": [{"propertyName": key, "operator": "EQ", "value": value}]}],
                "properties": ["name", "domain"],
                "limit": 1
            });
            let r = self
                .call(
                    Method::POST,
                    "/crm/v3/objects/companies/search",
                    Some(&body),
                )
                .await?;
            if !r.status.is_success() {
                return Err(Self::refusal("search companies", &r));
            }
            if let Some(id) = r.json()["results"][0]["id"].as_str() {
                return Ok(Some(id.to_string()));
            }
        }
        if props.is_empty() {
            return Ok(None);
        }
        let r = self
            .call(
                Method::POST,
                "/crm/v3/objects/companies",
                Some(&json!({"properties": props})),
            )
            .await?;
        if !r.status.is_success() {
            return Err(Self::refusal("create company", &r));
        }
        Ok(r.json()["id"].as_str().map(String::from))
    }

    async fn associate(&self, object: &str, id: &str, company: &str) -> Result<(), PortError> {
        let path = format!(
            "/crm/v4/objects/{object}/{}/associations/default/companies/{}",
            http::url_encode(id),
            http::url_encode(company)
        );
        let r = self.call(Method::PUT, &path, None).await?;
        if !r.status.is_success() {
            return Err(Self::refusal("associate company", &r));
        }
        Ok(())
    }

    /// Writes a batch of one kind; one result per input.
    async fn batch(
        &self,
        pushes: &[Push<'_>],
    ) -> Result<Vec<Result<Pushed, PortError>>, PortError> {
        let Some(first) = pushes.first() else {
            return Ok(Vec::new());
        };
        let mapping = self.mapping(first.kind)?;
        let object = mapping.object.as_str();
        let mut upserts = Vec::new();
        let mut updates = Vec::new();
        let mut companies = Vec::new();
        for (i, p) in pushes.iter().enumerate() {
            if p.kind != first.kind {
                return Err(PortError::permanent(
                    SYSTEM,
                    "a batch holds one kind of record",
                ));
            }
            let (mut own, company) = Self::split(transform::to_crm_changes(
                mapping,
                p.record,
                &p.sync,
                p.previous.as_ref().map(|(r, s)| (*r, s)),
            ));
            let nothing = own.is_empty() && company.is_empty();
            companies.push(company);
            if nothing {
                continue;
            }
            // HubSpot answers per input, keyed by this id (multi-status, 207), instead of failing the
            // whole batch for one invalid record (HubSpot's OpenAPI: `objectWriteTraceId` on
            // SimplePublicObjectBatchInput(Upsert); docs, "Error handling", multi-status errors).
            let trace = trace_id(i);
            if p.native {
                updates.push((
                    i,
                    json!({"id": p.crm_id, "properties": own, "objectWriteTraceId": trace}),
                ));
            } else {
                let Some(ace) = p.ace_id else {
                    return Err(PortError::permanent(
                        SYSTEM,
                        format!("{}: no AWS id to upsert by", p.crm_id),
                    ));
                };
                own.insert(mapping.aws_id_field.clone(), Value::String(ace.to_string()));
                upserts.push((
                    i,
                    json!({"idProperty": mapping.aws_id_field, "id": ace, "properties": own,
                           "objectWriteTraceId": trace}),
                ));
            }
        }
        let mut out: Vec<Option<Result<Pushed, PortError>>> = vec![None; pushes.len()];
        for (verb, group) in [("upsert", upserts), ("update", updates)] {
            for chunk in group.chunks(BATCH_LIMIT) {
                let inputs: Vec<Value> = chunk.iter().map(|(_, v)| v.clone()).collect();
                let r = match self
                    .post_batch(
                        &format!("/crm/v3/objects/{object}/batch/{verb}"),
                        &json!({"inputs": inputs}),
                        &format!("batch {verb} {object}"),
                    )
                    .await?
                {
                    Ok(r) => r,
                    Err(e) => {
                        for (i, _) in chunk {
                            out[*i] = Some(Err(e.clone()));
                        }
                        continue;
                    }
                };
                let body = r.json();
                // Results come back in any order, each with its input's objectWriteTraceId; a 207 lists
                // the inputs it refused under `errors`, each naming its trace id in `context`.
                let results = body["results"].as_array().cloned().unwrap_or_default();
                let errors = body["errors"].as_array().cloned().unwrap_or_default();
                for (i, input) in chunk {
                    let trace = input["objectWriteTraceId"].as_str().unwrap_or_default();
                    let refused = errors.iter().find(|e| {
                        e["context"]["objectWriteTraceId"]
                            .as_array()
                            .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(trace)))
                    });
                    if let Some(e) = refused {
                        out[*i] = Some(Err(PortError::permanent(
                            SYSTEM,
                            format!("batch {verb} {object}: {}", describe(e)),
                        )));
                        continue;
                    }
                    let key = input["id"].as_str().unwrap_or_default();
                    let found = results
                        .iter()
                        .find(|res| res["objectWriteTraceId"].as_str() == Some(trace))
                        // Answers without trace ids: by the upsert key (or id) echoed back.
                        .or_else(|| {
                            results.iter().find(|res| match verb {
                                "upsert" => {
                                    res["properties"][&mapping.aws_id_field].as_str() == Some(key)
                                }
                                _ => res["id"].as_str() == Some(key),
                            })
                        })
                        .or((chunk.len() == 1 && results.len() == 1).then(|| &results[0]));
                    out[*i] = Some(match found {
                        Some(res) => Ok(Pushed {
                            remote_id: res["id"].as_str().map(String::from),
                            created: res["new"] == Value::Bool(true),
                        }),
                        None => Err(PortError::permanent(
                            SYSTEM,
                            format!(
                                "batch {verb} {object}: HubSpot answered no result for this record: {}",
                                describe(&body)
                            ),
                        )),
                    });
                }
            }
        }
        let mut results = Vec::with_capacity(pushes.len());
        for (i, r) in out.into_iter().enumerate() {
            // No input: nothing had changed.
            let r = r.unwrap_or(Ok(Pushed {
                remote_id: None,
                created: false,
            }));
            // Associate the deal with its company once the deal exists.
            let r = match (r, first.kind) {
                (Ok(p), Kind::Opportunity) if !companies[i].is_empty() => {
                    match (&p.remote_id, self.company(&companies[i]).await?) {
                        (Some(deal), Some(company)) => {
                            self.associate(object, deal, &company).await?;
                            Ok(p)
                        }
                        _ => Ok(p),
                    }
                }
                (r, _) => r,
            };
            results.push(r);
        }
        Ok(results)
    }
}

impl RemoteCrm for Hubspot {
    fn maps(&self, kind: Kind) -> bool {
        self.mapping.object(kind).is_some()
    }

    async fn push(&self, push: &Push<'_>) -> Result<Pushed, PortError> {
        let mut results = self.batch(std::slice::from_ref(push)).await?;
        results
            .pop()
            .unwrap_or_else(|| Err(PortError::retryable(SYSTEM, "no answer")))
    }

    async fn push_many(
        &self,
        pushes: &[Push<'_>],
    ) -> Result<Vec<Result<Pushed, PortError>>, PortError> {
        let mut out = Vec::with_capacity(pushes.len());
        let mut start = 0;
        while start < pushes.len() {
            let kind = pushes[start].kind;
            let end = pushes[start..]
                .iter()
                .position(|p| p.kind != kind)
                .map_or(pushes.len(), |n| start + n);
            out.extend(self.batch(&pushes[start..end]).await?);
            start = end;
        }
        Ok(out)
    }

    /// HubSpot's batch reads (HubSpot OpenAPI, CRM objects v3 and associations v4): 100 deals a call,
    /// their company associations in one more, the companies in one more. A deal HubSpot does not
    /// have (a 207 error, or no result) is `None`, as `fetch`'s 404.
    async fn fetch_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, PortError> {
        let mapping = self.mapping(kind)?;
        let object = mapping.object.as_str();
        let (company_props, own): (Vec<&str>, Vec<&str>) = mapping
            .crm_fields_read()
            .into_iter()
            .partition(|f| f.starts_with(COMPANY));
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(BATCH_LIMIT) {
            let inputs: Vec<Value> = chunk.iter().map(|id| json!({"id": id})).collect();
            let r = self
                .call(
                    Method::POST,
                    &format!("/crm/v3/objects/{object}/batch/read"),
                    Some(
                        &json!({"inputs": inputs, "properties": own, "propertiesWithHistory": []}),
                    ),
                )
                .await?;
            if !(r.status == StatusCode::OK || r.status == StatusCode::MULTI_STATUS) {
                return Err(Self::refusal(&format!("batch read {object}"), &r));
            }
            let mut found: std::collections::BTreeMap<String, Map<String, Value>> =
                r.json()["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|res| {
                        let id = id_text(&res["id"])?;
                        let mut record = res["properties"].as_object().cloned().unwrap_or_default();
                        record.insert("hs_object_id".into(), Value::String(id.clone()));
                        Some((id, record))
                    })
                    .collect();
            if !company_props.is_empty() && !found.is_empty() {
                let deal_company = self.first_companies(object, found.keys()).await?;
                let names: Vec<&str> = company_props.iter().map(|f| &f[COMPANY.len()..]).collect();
                let companies = self.companies(&deal_company, &names).await?;
                for (deal, company) in deal_company {
                    if let (Some(record), Some(props)) =
                        (found.get_mut(&deal), companies.get(&company))
                    {
                        record.insert("company".into(), props.clone());
                    }
                }
            }
            out.extend(
                chunk
                    .iter()
                    .map(|id| found.remove(id.as_str()).map(Value::Object)),
            );
        }
        Ok(out)
    }

    async fn fetch(&self, kind: Kind, native_id: &str) -> Result<Option<Value>, PortError> {
        let mapping = self.mapping(kind)?;
        let (company_props, own): (Vec<&str>, Vec<&str>) = mapping
            .crm_fields_read()
            .into_iter()
            .partition(|f| f.starts_with(COMPANY));
        let path = format!(
            "/crm/v3/objects/{}/{}?properties={}&associations=companies",
            mapping.object,
            http::url_encode(native_id),
            http::url_encode(&own.join(","))
        );
        let r = self.call(Method::GET, &path, None).await?;
        if r.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !r.status.is_success() {
            return Err(Self::refusal(&format!("read {}", mapping.object), &r));
        }
        let body = r.json();
        let mut record = body["properties"].as_object().cloned().unwrap_or_default();
        record.insert("hs_object_id".into(), body["id"].clone());
        let company_id = body["associations"]["companies"]["results"][0]["id"]
            .as_str()
            .map(String::from);
        if let (Some(cid), false) = (company_id, company_props.is_empty()) {
            let names: Vec<&str> = company_props.iter().map(|f| &f[COMPANY.len()..]).collect();
            let path = format!(
                "/crm/v3/objects/companies/{}?properties={}",
                http::url_encode(&cid),
                http::url_encode(&names.join(","))
            );
            let c = self.call(Method::GET, &path, None).await?;
            if !c.status.is_success() {
                return Err(Self::refusal("read company", &c));
            }
            record.insert("company".into(), c.json()["properties"].clone());
        }
        Ok(Some(Value::Object(record)))
    }
}
