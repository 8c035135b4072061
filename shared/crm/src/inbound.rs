//! CRM → acebridge: Salesforce Change Data Capture and platform events (as Salesforce Event Relay
//! delivers them to EventBridge) and HubSpot webhook calls (through a Lambda Function URL, v3
//! signature checked) become `CRM Opportunity Changed` events on acebridge's bus, for the
//! crm-outbound function.
//!
//! Events name records, not their content: each changed record is read from the CRM (one read per
//! record, however many events name it), mapped to canonical form with the configuration's
//! fallbacks, and compared with the mirror. Changes acebridge itself wrote (Salesforce
//! `changeOrigin` `client=acebridge`, HubSpot `sourceId` = the app's id) and changes that touch no
//! field sent to AWS are dropped, so AWS → CRM writes do not echo back to AWS.

use crate::config::{MappingConfig, ObjectMapping};
use crate::paths::{self, Kind};
use crate::remote::RemoteCrm;
use crate::signature::{self, SignatureError};
use crate::transform;
use acebridge_sync::PortError;
use acebridge_sync::crm_side::crm_queue::{
    LEAD_CHANGED, OPPORTUNITY_CHANGED, REFERRAL_DECISION, SOURCE as CRM_SOURCE,
};
use acebridge_sync::crm_side::outbound::{OpportunityChanged, ReferralDecision};
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::partner_central::Submission;
use acebridge_sync::partner_central::engagements::LeadChanged;
use acebridge_sync::ports::crm::Crm;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::future::Future;
use tracing::{info, warn};

/// Where `CRM Opportunity Changed` events go (acebridge's bus).
pub trait ChangeSink: Send + Sync {
    /// Puts the events.
    fn send(
        &self,
        changes: &[OpportunityChanged],
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Puts `CRM Referral Decision` events.
    fn decide(
        &self,
        decisions: &[ReferralDecision],
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Puts `CRM Lead Changed` events (leads AWS sent over the API, qualified or converted in the CRM).
    fn leads(&self, changes: &[LeadChanged]) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Tells operators (an outcome event, `CRM Change Not Sent`) about CRM changes that could not be
    /// read, with the reason.
    fn not_sent(
        &self,
        crm: &str,
        crm_ids: &[String],
        reason: &str,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Puts `items` on the bus as `acebridge.crm` events of `detail_type`.
async fn put_crm_events<T: Serialize>(
    bus: &acebridge_sync::adapters::eventbridge::EventBus,
    detail_type: &str,
    items: &[T],
) -> Result<(), PortError> {
    let entries: Vec<(&str, Value)> = items
        .iter()
        .map(|i| (detail_type, serde_json::to_value(i).unwrap_or(Value::Null)))
        .collect();
    bus.put(CRM_SOURCE, &entries).await
}

impl ChangeSink for acebridge_sync::adapters::eventbridge::EventBus {
    async fn send(&self, changes: &[OpportunityChanged]) -> Result<(), PortError> {
        put_crm_events(self, OPPORTUNITY_CHANGED, changes).await
    }

    async fn decide(&self, decisions: &[ReferralDecision]) -> Result<(), PortError> {
        put_crm_events(self, REFERRAL_DECISION, decisions).await
    }

    async fn leads(&self, changes: &[LeadChanged]) -> Result<(), PortError> {
        put_crm_events(self, LEAD_CHANGED, changes).await
    }

    async fn not_sent(&self, crm: &str, crm_ids: &[String], reason: &str) -> Result<(), PortError> {
        use acebridge_sync::ports::outcomes::{Outcome, Outcomes};
        self.publish(&[Outcome::crm_change_not_sent(crm, crm_ids, reason)])
            .await
    }
}

/// A record the CRM says changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct Changed {
    /// The kind.
    pub kind: Kind,
    /// The CRM's id.
    pub id: String,
}

/// What an inbound call did, for logs and the HTTP answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Records named by the call.
    pub named: usize,
    /// `CRM Opportunity Changed` events put on the bus.
    pub sent: usize,
    /// Changes acebridge made itself.
    pub own_writes: usize,
    /// Records whose fields sent to AWS did not change.
    pub unchanged: usize,
    /// Records gone from the CRM (deleted).
    pub gone: usize,
    /// Events of objects or kinds the mapping does not cover, and deletions.
    pub ignored: usize,
    /// Salesforce changes that name no record one by one (a `006*` wildcard, `GAP_OVERFLOW`): reported
    /// to operators (`CRM Change Not Sent`), since the records cannot be read from the event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// Records put on the work queue to be read and sent by a later invocation: a HubSpot call is
    /// acknowledged at once, and what is left when the deadline comes near is finished later.
    #[serde(skip_serializing_if = "is_zero")]
    pub deferred: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Changed records put aside for a later invocation (one message on crm-inbound's work queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deferred {
    /// The CRM that named them (`hubspot`, `salesforce`).
    pub crm: String,
    /// The records, at most [`SEND_CHUNK`].
    pub changes: Vec<Changed>,
}

/// A malformed inbound message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

/// Salesforce: the records an Event Relay event names. CDC (`detail.payload.ChangeEventHeader`) for
/// the mapped opportunity object; or a platform event whose payload has `Record_Id__c` (and
/// optionally `Object__c`).
///
/// As Salesforce's Change Data Capture guide documents: gap events (`GAP_CREATE`, `GAP_UPDATE`, …) carry
/// ids but no fields, so the records are read like any other change; a `recordIds` wildcard (`006*`,
/// every record of the object, after a field type conversion) and overflow events (`GAP_OVERFLOW`, more
/// than 100,000 changes in one transaction) name no record that can be read, so they are reported in
/// [`Report::unreadable`] instead of failing the invocation. A change committed by `own_user` (the
/// integration user, `commitUser`) is acebridge's own, whatever API wrote it: sObject Collections do not
/// always carry `Sforce-Call-Options` into `changeOrigin`.
pub fn salesforce_changes(
    event: &Value,
    mapping: &MappingConfig,
    own_user: Option<&str>,
    report: &mut Report,
) -> Result<Vec<Changed>, Malformed> {
    let source = event
        .get("source")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !source.starts_with("aws.partner/salesforce.com") {
        return Err(Malformed(format!(
            "source `{source}` is not Salesforce Event Relay"
        )));
    }
    let payload = event
        .pointer("/detail/payload")
        .ok_or_else(|| Malformed("detail.payload is missing".into()))?;
    let Some(opp) = mapping.opportunity.as_ref() else {
        report.ignored += 1;
        return Ok(Vec::new());
    };
    let referral = mapping.referral.as_ref().map(|r| r.object.as_str());
    let lead = mapping.lead.as_ref().map(|l| l.object.as_str());
    if let Some(header) = payload.get("ChangeEventHeader") {
        let entity = header
            .get("entityName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let change = header
            .get("changeType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let origin = header
            .get("changeOrigin")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (wildcards, ids): (Vec<String>, Vec<String>) = header
            .get("recordIds")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                Malformed("detail.payload.ChangeEventHeader.recordIds is missing".into())
            })?
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .partition(|id| id.ends_with('*'));
        report.named += ids.len() + wildcards.len();
        let commit_user = header
            .get("commitUser")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = if entity == opp.object {
            Kind::Opportunity
        } else if Some(entity) == referral {
            Kind::Referral
        } else if Some(entity) == lead {
            Kind::Lead
        } else {
            report.ignored += ids.len();
            return Ok(Vec::new());
        };
        if matches!(change, "DELETE" | "GAP_DELETE") {
            report.ignored += ids.len();
            return Ok(Vec::new());
        }
        if origin.contains(crate::salesforce::CALL_OPTIONS)
            || own_user.is_some_and(|u| !u.is_empty() && same_salesforce_id(u, commit_user))
        {
            report.own_writes += ids.len() + wildcards.len();
            return Ok(Vec::new());
        }
        if change == "GAP_OVERFLOW" || !wildcards.is_empty() {
            let what = if change == "GAP_OVERFLOW" {
                format!("{entity} {change} (more than 100,000 changes in one transaction)")
            } else {
                format!(
                    "{entity} {} ({change} of every record, e.g. a field type conversion)",
                    wildcards.join(" ")
                )
            };
            warn!(
                entity,
                change, "Salesforce change names no readable record: {what}"
            );
            report.unreadable.push(what);
            if change == "GAP_OVERFLOW" {
                report.ignored += ids.len();
                return Ok(Vec::new());
            }
        }
        return Ok(ids.into_iter().map(|id| Changed { kind, id }).collect());
    }
    let id = payload
        .get("Record_Id__c")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Malformed("a platform event needs Record_Id__c (or a CDC ChangeEventHeader)".into())
        })?;
    report.named += 1;
    let object = payload
        .get("Object__c")
        .and_then(Value::as_str)
        .unwrap_or(&opp.object);
    let kind = if object == opp.object {
        Kind::Opportunity
    } else if Some(object) == referral {
        Kind::Referral
    } else if Some(object) == lead {
        Kind::Lead
    } else {
        report.ignored += 1;
        return Ok(Vec::new());
    };
    Ok(vec![Changed {
        kind,
        id: id.to_string(),
    }])
}

/// Salesforce ids compare by their first 15 characters (the 18-character form adds a case checksum).
fn same_salesforce_id(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    a.len() >= 15 && b.len() >= 15 && a.get(..15) == b.get(..15)
}

/// An HTTP request as a Lambda Function URL delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// `POST`.
    pub method: String,
    /// The full URL HubSpot called (`https://<domain><path>?<query>`).
    pub uri: String,
    /// Headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Vec<u8>,
}

impl HttpCall {
    /// From a Function URL event (payload format 2.0).
    pub fn from_function_url(event: &Value) -> Result<Self, Malformed> {
        let http = event
            .pointer("/requestContext/http")
            .ok_or_else(|| Malformed("requestContext.http is missing".into()))?;
        let domain = event
            .pointer("/requestContext/domainName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let path = event.get("rawPath").and_then(Value::as_str).unwrap_or("/");
        let query = event
            .get("rawQueryString")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let uri = if query.is_empty() {
            format!("https://{domain}{path}")
        } else {
            format!("https://{domain}{path}?{query}")
        };
        let headers = event
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .filter_map(|(k, v)| Some((k.to_ascii_lowercase(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let raw = event
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let body = if event.get("isBase64Encoded") == Some(&Value::Bool(true)) {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|_| Malformed("body is not base64".into()))?
        } else {
            raw.as_bytes().to_vec()
        };
        Ok(HttpCall {
            method: http
                .get("method")
                .and_then(Value::as_str)
                .unwrap_or("POST")
                .to_string(),
            uri,
            headers,
            body,
        })
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Checks HubSpot's v3 signature.
    pub fn verify_hubspot(
        &self,
        client_secret: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        signature::hubspot_v3_verify(
            client_secret,
            &self.method,
            &self.uri,
            &self.body,
            self.header("x-hubspot-request-timestamp"),
            self.header("x-hubspot-signature-v3"),
            now,
        )
    }
}

/// HubSpot: the records a webhook call names (deal creation and property changes). Events caused by
/// acebridge's own app (`sourceId` = `app_id`) are dropped.
pub fn hubspot_changes(
    body: &[u8],
    mapping: &MappingConfig,
    app_id: Option<&str>,
    report: &mut Report,
) -> Result<Vec<Changed>, Malformed> {
    let events: Vec<Value> = serde_json::from_slice(body).map_err(|e| {
        Malformed(format!(
            "HubSpot webhook body is not a JSON list of events: {e}"
        ))
    })?;
    let object = mapping.opportunity.as_ref().map(|o| o.object.as_str());
    let lead_object = mapping.lead.as_ref().map(|o| o.object.as_str());
    let lead_properties: Vec<&str> = mapping
        .lead
        .as_ref()
        .map(|l| {
            l.crm_fields_read()
                .into_iter()
                .filter(|f| *f != l.aws_id_field)
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for (n, e) in events.iter().enumerate() {
        report.named += 1;
        let kind = e
            .get("subscriptionType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let id = match e.get("objectId") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => return Err(Malformed(format!("event {n}: objectId is missing"))),
        };
        // `deal.creation`, `deal.propertyChange`, or the generic `object.*` with objectTypeId 0-3.
        let is_deal = kind.starts_with("deal.")
            || (kind.starts_with("object.")
                && e.get("objectTypeId").and_then(Value::as_str) == Some("0-3"));
        // A referral custom object: `object.*` events whose objectTypeId is the mapping's object.
        let referral = mapping.referral.as_ref().is_some_and(|r| {
            kind.starts_with("object.")
                && e.get("objectTypeId").and_then(Value::as_str) == Some(r.object.as_str())
        });
        // AWS's leads are contacts in the shipped mapping. Contacts change all the time; only a change
        // of a property the lead part sends AWS (or its convert checkbox) is read.
        let is_contact = (kind == "contact.propertyChange"
            || (kind == "object.propertyChange"
                && e.get("objectTypeId").and_then(Value::as_str) == Some("0-1")))
            && e.get("propertyName")
                .and_then(Value::as_str)
                .is_some_and(|p| lead_properties.contains(&p));
        let live = !kind.ends_with(".deletion") && !kind.ends_with(".associationChange");
        let target = if referral && live {
            Some(Kind::Referral)
        } else if is_deal && object == Some("deals") && live {
            Some(Kind::Opportunity)
        } else if is_contact && lead_object == Some("contacts") && live {
            Some(Kind::Lead)
        } else {
            None
        };
        let Some(target) = target else {
            report.ignored += 1;
            continue;
        };
        let source = e.get("sourceId").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        if let (Some(app), Some(src)) = (app_id, source.as_deref())
            && (src == app || src == format!("appId:{app}").as_str())
        {
            report.own_writes += 1;
            continue;
        }
        out.push(Changed { kind: target, id });
    }
    Ok(out)
}

/// True when a field the CRM sends AWS holds something other than the mirror: a value it has that
/// differs (a field the CRM record does not carry at all tells nothing).
fn differs_from_mirror(map: &ObjectMapping, crm_raw: &Value, mirror: &Value) -> bool {
    map.fields
        .iter()
        .filter(|f| f.direction.to_aws() && f.crm.is_some())
        .any(|f| match paths::get(crm_raw, &f.canonical) {
            None => false,
            Some(v) => {
                let m = paths::get(mirror, &f.canonical);
                !(m == Some(v) || (paths::is_blank(Some(v)) && paths::is_blank(m)))
            }
        })
}

/// Records read and their changes sent per step: HubSpot's batch read takes 100.
pub const SEND_CHUNK: usize = 100;

/// Mirror lookups in flight at once.
const MIRROR_CONCURRENCY: usize = 16;

/// Reads each changed record from the CRM, maps it, compares it with the mirror, and sends a
/// `CRM Opportunity Changed` for each that changed. Retryable CRM/bus errors fail the call (the
/// caller answers 5xx or fails the invocation, so the event is delivered again).
async fn process<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    changed: Vec<Changed>,
    today: NaiveDate,
    report: &mut Report,
    time_left: &mut (dyn FnMut() -> bool + Send),
) -> Result<Vec<Changed>, PortError>
where
    R: RemoteCrm,
    C: Crm,
    S: ChangeSink,
{
    let (remote, mapping, mirror, sink) = (cx.remote, cx.mapping, cx.mirror, cx.sink);
    let unique: BTreeSet<Changed> = changed.into_iter().collect();
    // Chunks not started when the deadline comes near are returned to the caller, which puts them on
    // the work queue; the first chunk is always done, so every invocation moves the work on.
    let mut left = Vec::new();
    let mut started = false;
    // Read per kind with the CRM's batch read (HubSpot: 100 records a call) or a few reads at a time, and
    // send each chunk of changes as soon as it is ready instead of after the last read.
    for kind in [Kind::Opportunity, Kind::Lead, Kind::Referral] {
        let ids: Vec<String> = unique
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.id.clone())
            .collect();
        if ids.is_empty() {
            continue;
        }
        let Some(map) = mapping.object(kind) else {
            report.ignored += ids.len();
            continue;
        };
        for chunk in ids.chunks(SEND_CHUNK) {
            if started && (!left.is_empty() || !time_left()) {
                left.extend(chunk.iter().map(|id| Changed {
                    kind,
                    id: id.clone(),
                }));
                continue;
            }
            started = true;
            let records = remote.fetch_many(kind, chunk).await?;
            let mut out = Vec::new();
            let mut decisions = Vec::new();
            let mut leads = Vec::new();
            let read: Vec<(&String, Value)> = chunk
                .iter()
                .zip(records)
                .filter_map(|(id, r)| r.map(|r| (id, r)))
                .collect();
            report.gone += chunk.len() - read.len();
            // The mirror is looked up for several records at a time (one DynamoDB read each).
            for group in read.chunks(MIRROR_CONCURRENCY) {
                if kind == Kind::Referral {
                    let mut lookups = Vec::with_capacity(group.len());
                    for (_, record) in group {
                        lookups.push(referral_decision(map, record, mirror));
                    }
                    for d in futures_util::future::try_join_all(lookups).await? {
                        match d {
                            Some(d) => decisions.push(d),
                            None => report.unchanged += 1,
                        }
                    }
                    continue;
                }
                if kind == Kind::Lead {
                    let mut lookups = Vec::with_capacity(group.len());
                    for (id, record) in group {
                        lookups.push(lead_change(map, record, id, mirror));
                    }
                    for c in futures_util::future::try_join_all(lookups).await? {
                        match c {
                            Some(c) => leads.push(c),
                            None => report.unchanged += 1,
                        }
                    }
                    continue;
                }
                let mut lookups = Vec::with_capacity(group.len());
                for (id, record) in group {
                    lookups.push(opportunity_change(map, record, id, mirror, today));
                }
                for change in futures_util::future::try_join_all(lookups).await? {
                    match change {
                        Some(change) => out.push(change),
                        None => report.unchanged += 1,
                    }
                }
            }
            // The bus adapter puts them ten a call (PutEvents' limit).
            sink.send(&out).await?;
            sink.decide(&decisions).await?;
            sink.leads(&leads).await?;
            report.sent += out.len() + decisions.len() + leads.len();
        }
    }
    Ok(left)
}

/// [`process`], and what it left at the deadline onto the work queue.
async fn process_or_defer<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    crm: &str,
    changed: Vec<Changed>,
    today: NaiveDate,
    report: &mut Report,
    time_left: &mut (dyn FnMut() -> bool + Send),
) -> Result<(), PortError>
where
    R: RemoteCrm,
    C: Crm,
    S: ChangeSink,
{
    let left = process(cx, changed, today, report, time_left).await?;
    defer(cx, crm, &left, report).await.map(|_| ())
}

/// Puts `changes` on the work queue, [`SEND_CHUNK`] records a message. False when there is no queue
/// (the caller does the work itself).
async fn defer<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    crm: &str,
    changes: &[Changed],
    report: &mut Report,
) -> Result<bool, PortError> {
    let Some(queue) = cx.queue else {
        return Ok(false);
    };
    let bodies: Vec<String> = changes
        .chunks(SEND_CHUNK)
        .map(|c| {
            serde_json::to_string(&Deferred {
                crm: crm.to_string(),
                changes: c.to_vec(),
            })
            .unwrap_or_default()
        })
        .collect();
    queue.send_all(&bodies).await?;
    report.deferred += changes.len();
    Ok(true)
}

/// The `CRM Lead Changed` for a CRM lead, if it is one AWS sent over the API (the mirror holds its
/// engagement) and the CRM changed what it sends AWS (its qualification status, customer) or asks to
/// convert it. An S3 lead's changes are not sent: AWS takes no lead updates but for the lead's own
/// status, and those go as files.
async fn lead_change<C: Crm>(
    map: &ObjectMapping,
    record: &Value,
    id: &str,
    mirror: &C,
) -> Result<Option<LeadChanged>, PortError> {
    let mut canonical = transform::to_canonical_raw(map, record, id);
    let Some(m) = (match canonical.get("id").and_then(Value::as_str) {
        Some(ace) => mirror.find_by_ace_id(RecordKind::Lead, ace).await?,
        None => mirror.get(RecordKind::Lead, id).await?,
    }) else {
        return Ok(None);
    };
    let Some(engagement) = m
        .record
        .pointer("/engagement/engagement_id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Ok(None);
    };
    let convert = transform::wants_convert(map, record)
        && m.record.pointer("/engagement/opportunity_id").is_none();
    if !convert && !differs_from_mirror(map, &canonical, &m.record) {
        return Ok(None);
    }
    // AWS's ids are the mirror's, not the CRM's to change.
    if let Value::Object(o) = &mut canonical {
        o.remove("id");
        o.remove("crm_id");
    }
    let lead: acebridge_mapping::Lead = serde_json::from_value(canonical).map_err(|e| {
        PortError::permanent("crm", format!("lead {id} is not a canonical lead: {e}"))
    })?;
    info!(crm_id = %id, %engagement, convert, "CRM lead change for AWS");
    Ok(Some(LeadChanged {
        engagement_id: engagement,
        lead: Some(Box::new(lead)),
        convert,
    }))
}

/// The `CRM Opportunity Changed` for a CRM record, unless nothing sent to AWS differs from the mirror.
async fn opportunity_change<C: Crm>(
    map: &ObjectMapping,
    record: &Value,
    id: &str,
    mirror: &C,
    today: NaiveDate,
) -> Result<Option<OpportunityChanged>, PortError> {
    let mut canonical = transform::to_canonical_raw(map, record, id);
    // The mirror knows the record by AWS id (an AWS referral: `ACB-…`) or by the CRM's id.
    let mirror_record = match canonical.get("id").and_then(Value::as_str) {
        Some(ace) => mirror.find_by_ace_id(RecordKind::Opportunity, ace).await?,
        None => None,
    };
    let mirror_record = match mirror_record {
        Some(r) => Some(r),
        None => mirror.get(RecordKind::Opportunity, id).await?,
    };
    let submit = transform::wants_submit(map, record);
    if let Some(m) = &mirror_record
        && !submit
        && !differs_from_mirror(map, &canonical, &m.record)
    {
        return Ok(None);
    }
    // Fallbacks fill what AWS requires of a new opportunity. Once AWS has it, AWS's values stand:
    // a fallback such as `today+90d` would otherwise move AWS's date on every CRM change.
    let shared =
        canonical.get("id").is_some() || mirror_record.as_ref().is_some_and(|m| m.ace_id.is_some());
    if !shared {
        transform::fill_fallbacks(map, &mut canonical, today);
    }
    let crm_id = mirror_record.map_or(id.to_string(), |r| r.crm_id);
    let _ = paths::set(&mut canonical, "crm_id", Value::String(crm_id.clone()));
    let list = |k: &str| -> Vec<String> {
        canonical
            .get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (solutions, aws_products) = (list("solutions"), list("aws_products"));
    let marketplace = acebridge_sync::crm_side::outbound::MarketplaceEntities {
        aws_marketplace_offer_sets: list("marketplace_offer_sets"),
        aws_marketplace_solutions: list("marketplace_solutions"),
        aws_marketplace_products: list("marketplace_products"),
    };
    info!(crm_id = %crm_id, submit, "CRM change for AWS");
    Ok(Some(OpportunityChanged {
        crm_id,
        solutions,
        aws_products,
        marketplace,
        submit: map
            .submit
            .as_ref()
            .filter(|_| submit)
            .map(|rule| Submission {
                involvement_type: rule.involvement_type.clone(),
                visibility: rule.visibility.clone(),
            }),
        opportunity: canonical,
    }))
}

/// The decision a CRM user made on a referral record, if it is one acebridge should send: the
/// decision field says accept or reject, and the referral is still pending in the mirror (a decision
/// already sent, or a referral AWS has expired, is not sent again).
async fn referral_decision<C: Crm>(
    map: &ObjectMapping,
    record: &Value,
    mirror: &C,
) -> Result<Option<ReferralDecision>, PortError> {
    let Some(rule) = &map.decision else {
        return Ok(None);
    };
    let Some(invitation) = transform::crm_field(record, &map.aws_id_field).and_then(Value::as_str)
    else {
        return Ok(None);
    };
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    };
    let decision = match text(transform::crm_field(record, &rule.crm)) {
        Some(v) if v.eq_ignore_ascii_case(&rule.accept) => "accept",
        Some(v) if v.eq_ignore_ascii_case(&rule.reject) => "reject",
        _ => return Ok(None),
    };
    let pending = mirror
        .find_by_ace_id(RecordKind::Invitation, invitation)
        .await?
        .is_some_and(|r| r.summary.status.as_deref() == Some("PENDING"));
    if !pending {
        return Ok(None);
    }
    let reason = rule
        .reason
        .as_ref()
        .and_then(|f| text(transform::crm_field(record, f)))
        .filter(|r| !r.is_empty());
    info!(invitation, decision, "CRM referral decision for AWS");
    Ok(Some(ReferralDecision {
        invitation_id: invitation.to_string(),
        opportunity_id: None,
        decision: decision.to_string(),
        reason,
    }))
}

/// The answer to a HubSpot webhook call.
pub fn http_answer(status: u16, body: &Value) -> Value {
    json!({
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": body.to_string(),
    })
}

/// What the inbound function needs.
pub struct Inbound<'a, R, C, S> {
    /// The real CRM (reads).
    pub remote: &'a R,
    /// The field mapping.
    pub mapping: &'a MappingConfig,
    /// The mirror (acebridge's store).
    pub mirror: &'a C,
    /// acebridge's bus.
    pub sink: &'a S,
    /// HubSpot's app client secret: without it HubSpot calls are refused.
    pub hubspot_client_secret: Option<&'a [u8]>,
    /// HubSpot's app id.
    pub hubspot_app_id: Option<&'a str>,
    /// Salesforce's integration user (`integration_user_id` in the secret): its CDC events are own writes.
    pub salesforce_user_id: Option<&'a str>,
    /// Signatures already seen (`REPLAY_TABLE`): a HubSpot call replayed within its five minutes is
    /// refused. Without it, only the timestamp limits a replay.
    pub replay: Option<&'a acebridge_sync::adapters::dynamodb::DynamoReplayCache>,
    /// The work queue (`INBOUND_QUEUE`): with it, a HubSpot call is answered as soon as it is verified
    /// and its records are read by the invocation that drains the queue, and work left at the deadline
    /// waits there. Without it, everything is done in the invocation that got the call.
    pub queue: Option<&'a acebridge_sync::adapters::sqs::WorkQueue>,
}

/// The largest HubSpot call body read (1 MiB). HubSpot sends at most 100 events a call, each well under
/// a kilobyte; a larger body is refused before it is decoded or its signature computed.
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// How long a HubSpot signature is remembered: its timestamp is accepted for five minutes.
const REPLAY_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

/// A refused call to the public endpoint: logged with its reason and source address (never the body or
/// a secret), counted (`CallsRefused`, alarmed), and answered with nothing but its status.
fn refuse(event: &Value, status: u16, reason: &str) -> Value {
    let source_ip = event
        .pointer("/requestContext/http/sourceIp")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    warn!(reason, source_ip, status, "HubSpot call refused");
    acebridge_sync::metrics::refused_call();
    let error = if status == 413 {
        "payload too large"
    } else {
        "unauthorized"
    };
    http_answer(status, &json!({ "error": error }))
}

/// Why an invocation failed (the event is delivered again, then kept in the DLQ).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// The event cannot be read: retrying will not help; it goes to the DLQ with this reason.
    #[error("malformed CRM event: {0}")]
    Malformed(String),
    /// The CRM or the bus failed.
    #[error("{0}")]
    Port(#[from] PortError),
}

/// Handles one invocation with all the time it needs; see [`handle_until`].
pub async fn handle<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    event: &Value,
    now: DateTime<Utc>,
) -> Result<Value, InboundError>
where
    R: RemoteCrm,
    C: Crm,
    S: ChangeSink,
{
    handle_until(cx, event, now, &mut || true).await
}

/// Handles one invocation: a Function URL call (HubSpot webhooks) answered with an HTTP response, a
/// Salesforce Event Relay event from EventBridge, or a batch of the work queue's messages (answered with
/// SQS's partial batch response). `time_left` says whether there is time to start more work before the
/// invocation's deadline; with a work queue, what is not started in time goes on the queue.
pub async fn handle_until<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    event: &Value,
    now: DateTime<Utc>,
    time_left: &mut (dyn FnMut() -> bool + Send),
) -> Result<Value, InboundError>
where
    R: RemoteCrm,
    C: Crm,
    S: ChangeSink,
{
    // Without a queue there is nowhere to leave work: it is all done here.
    let queued = cx.queue.is_some();
    let mut time_left = move || !queued || time_left();
    let mut report = Report::default();
    let today = now.date_naive();
    if let Some(records) = sqs_records(event) {
        return Ok(handle_queued(cx, &records, today, &mut time_left).await);
    }
    if event.pointer("/requestContext/http").is_some() {
        return hubspot_call(cx, event, now, &mut report, &mut time_left).await;
    }
    let changed = salesforce_changes(event, cx.mapping, cx.salesforce_user_id, &mut report)
        .map_err(|e| InboundError::Malformed(e.0))?;
    if !report.unreadable.is_empty() {
        // Operators learn of it (CRM Change Not Sent on acebridge's bus, alarmed): saving the records
        // again in Salesforce sends them.
        cx.sink
            .not_sent(
                "salesforce",
                &report.unreadable,
                "Salesforce reported changes without naming the records; save the affected records \
                 again (or touch them with a mass update) to send them to AWS",
            )
            .await?;
    }
    process_or_defer(
        cx,
        "salesforce",
        changed,
        today,
        &mut report,
        &mut time_left,
    )
    .await?;
    info!(?report, "Salesforce event handled");
    Ok(serde_json::to_value(&report).unwrap_or(Value::Null))
}

/// The `(messageId, body)` of an SQS event's records (read as `aws_lambda_events` models Lambda's SQS
/// event), if the event is one.
fn sqs_records(event: &Value) -> Option<Vec<(String, String)>> {
    let first = event.get("Records")?.as_array()?.first()?;
    if first.get("eventSource").and_then(Value::as_str) != Some("aws:sqs") {
        return None;
    }
    let sqs: SqsEvent = serde_json::from_value(event.clone()).ok()?;
    Some(
        sqs.records
            .into_iter()
            .map(|m| (m.message_id.unwrap_or_default(), m.body.unwrap_or_default()))
            .collect(),
    )
}

/// The work queue's messages: each read, compared and sent like a call's records. A message is
/// answered as failed (SQS delivers it again; after the queue's receive limit it waits in the dead-letter
/// queue) when its work failed in a way worth retrying or when the deadline came before it was started;
/// records left mid-message go back on the queue as a new message, so none is lost or sent twice.
async fn handle_queued<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    messages: &[(String, String)],
    today: NaiveDate,
    time_left: &mut (dyn FnMut() -> bool + Send),
) -> Value
where
    R: RemoteCrm,
    C: Crm,
    S: ChangeSink,
{
    let mut failed = Vec::new();
    let mut report = Report::default();
    for (n, (id, body)) in messages.iter().enumerate() {
        if n > 0 && !time_left() {
            failed.push(id.clone());
            continue;
        }
        let work: Deferred = match serde_json::from_str(body) {
            Ok(w) => w,
            Err(e) => {
                // Only crm-inbound writes this queue; left for the dead-letter queue, where an operator
                // sees it.
                warn!(message_id = %id, error = %e, "work queue message is not acebridge's");
                failed.push(id.clone());
                continue;
            }
        };
        let ids: Vec<String> = work.changes.iter().map(|c| c.id.clone()).collect();
        report.named += ids.len();
        let done =
            process_or_defer(cx, &work.crm, work.changes, today, &mut report, time_left).await;
        match done {
            Ok(()) => {}
            Err(e) if e.retryable => {
                warn!(message_id = %id, error = %e, "deferred CRM changes: will retry");
                failed.push(id.clone());
            }
            Err(e) => {
                if let Err(e) = not_sent(cx, &work.crm, &ids, &e.message).await {
                    warn!(message_id = %id, error = %e, "deferred CRM changes: will retry");
                    failed.push(id.clone());
                }
            }
        }
    }
    info!(
        ?report,
        failed = failed.len(),
        "deferred CRM changes handled"
    );
    // Lambda's partial batch response, as `aws_lambda_events` models it (crm-outbound answers the same).
    let mut response = SqsBatchResponse::default();
    for id in failed {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    serde_json::to_value(response).unwrap_or(Value::Null)
}

/// Records that could not be read for good: counted (the failed-records alarm fires) and published for
/// operators. They stay as they are in the CRM, and saving them again once fixed sends them.
async fn not_sent<R, C, S: ChangeSink>(
    cx: &Inbound<'_, R, C, S>,
    crm: &str,
    ids: &[String],
    reason: &str,
) -> Result<(), PortError> {
    warn!(crm, error = reason, "CRM records could not be read");
    for _ in ids {
        acebridge_sync::metrics::record(
            acebridge_sync::metrics::Channel::Api,
            acebridge_sync::metrics::Direction::CrmToAws,
            acebridge_sync::metrics::Outcome::Failed,
        );
    }
    cx.sink.not_sent(crm, ids, reason).await
}

/// A HubSpot webhook call through the Function URL: size, signature and replay checked before anything
/// is read. With a work queue the call is answered as soon as its records are on the queue (HubSpot
/// retries a call not answered within its timeout), otherwise once they are read and sent.
async fn hubspot_call<R, C, S>(
    cx: &Inbound<'_, R, C, S>,
    event: &Value,
    now: DateTime<Utc>,
    report: &mut Report,
    time_left: &mut (dyn FnMut() -> bool + Send),
) -> Result<Value, InboundError>
where
    R: RemoteCrm,
    C: Crm,
    S: ChangeSink,
{
    let raw_len = event
        .get("body")
        .and_then(Value::as_str)
        .map_or(0, str::len);
    // base64 carries 3 bytes in 4 characters.
    let decoded_len = if event.get("isBase64Encoded") == Some(&Value::Bool(true)) {
        raw_len / 4 * 3
    } else {
        raw_len
    };
    if decoded_len > MAX_REQUEST_BYTES {
        return Ok(refuse(
            event,
            413,
            &format!("body of {decoded_len} bytes is over the cap of {MAX_REQUEST_BYTES}"),
        ));
    }
    let call = match HttpCall::from_function_url(event) {
        Ok(c) => c,
        Err(e) => return Ok(http_answer(400, &json!({"error": e.0}))),
    };
    let Some(secret) = cx.hubspot_client_secret else {
        return Ok(http_answer(
            404,
            &json!({"error": "no HubSpot app configured"}),
        ));
    };
    if let Err(e) = call.verify_hubspot(secret, now) {
        // The caller learns nothing of which check failed or of the server's clock; the log keeps the
        // reason and where the call came from (no body, no secret).
        return Ok(refuse(event, 401, &e.to_string()));
    }
    if let (Some(cache), Some(sig)) = (cx.replay, call.header("x-hubspot-signature-v3")) {
        match cache
            .first_use(&format!("HUBSPOT#{}", sig.trim()), now + REPLAY_WINDOW, now)
            .await
        {
            Ok(true) => {}
            Ok(false) => return Ok(refuse(event, 401, "signature already used (replay)")),
            // Unknown whether it is a replay: HubSpot retries a 5xx answer.
            Err(e) => {
                warn!(error = %e, "replay cache unavailable");
                return Ok(http_answer(503, &json!({"error": "unavailable"})));
            }
        }
    }
    let changed = match hubspot_changes(&call.body, cx.mapping, cx.hubspot_app_id, report) {
        Ok(c) => c,
        Err(e) => return Ok(http_answer(400, &json!({"error": e.0}))),
    };
    let ids: Vec<String> = changed.iter().map(|c| c.id.clone()).collect();
    let done = if cx.queue.is_some() {
        defer(cx, "hubspot", &changed, report).await.map(|_| ())
    } else {
        process_or_defer(cx, "hubspot", changed, now.date_naive(), report, time_left).await
    };
    match done {
        Ok(()) => {
            info!(?report, "HubSpot webhook handled");
            Ok(http_answer(
                200,
                &serde_json::to_value(&*report).unwrap_or(Value::Null),
            ))
        }
        // HubSpot retries a 5xx answer later; a permanent failure is answered 200 so that it is
        // not retried for days, and logged.
        Err(e) if e.retryable => Ok(http_answer(503, &json!({"error": e.message}))),
        Err(e) => {
            not_sent(cx, "hubspot", &ids, &e.message).await?;
            Ok(http_answer(200, &json!({"error": e.message})))
        }
    }
}
