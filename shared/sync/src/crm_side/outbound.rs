//! CRM → Partner Central over the API: share a partner opportunity (create, associate, submit), update
//! it (read, apply only what the CRM changed onto the full record, write with the `LastModifiedDate`
//! just read, retry on conflict), hold what Partner Central will not take yet, and decide on AWS
//! referrals. Every outcome goes back to the CRM record and the ledger.

use crate::model::field_times::{FieldTimes, leaves};
use crate::model::history::{Step, StepKind};
use crate::model::record::RecordKind;
use crate::partner_central::tasks::{self, Follow};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{self, AwsResult, Held, Ledger, RecordKey, ResultTarget};
use crate::ports::partner_central::{FieldError, PartnerCentral, Refusal, Submission, TaskKind};
use acebridge_clock::Clock;
use acebridge_mapping::validate::{self, Format, Intent};
use acebridge_mapping::{Catalog, Opportunity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use tracing::{info, warn};

/// `CRM Opportunity Changed`: a partner opportunity created or changed in the CRM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityChanged {
    /// The CRM's id (`partnerCrmUniqueIdentifier` / `PartnerOpportunityIdentifier`).
    pub crm_id: String,
    /// The opportunity in canonical form, as the CRM has it. Fields it leaves out are left as they are.
    pub opportunity: Value,
    /// Partner solutions to associate (`S-…`).
    #[serde(default)]
    pub solutions: Vec<String>,
    /// AWS products to associate.
    #[serde(default)]
    pub aws_products: Vec<String>,
    /// AWS Marketplace offer sets, solutions and products to associate (ARNs).
    #[serde(flatten, default)]
    pub marketplace: MarketplaceEntities,
    /// Submit to AWS (StartEngagementFromOpportunityTask) once shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submit: Option<Submission>,
}

/// AWS Marketplace entities a CRM change associates (AssociateOpportunity's `AwsMarketplaceOfferSets`,
/// `AwsMarketplaceSolutions`, `AwsMarketplaceProducts`; each an ARN, as the model says).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketplaceEntities {
    /// Offer sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_marketplace_offer_sets: Vec<String>,
    /// Solutions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_marketplace_solutions: Vec<String>,
    /// Products.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_marketplace_products: Vec<String>,
}

impl OpportunityChanged {
    /// Every association the change asks for, by AssociateOpportunity's `RelatedEntityType`.
    pub fn associations(&self) -> [(&'static str, &Vec<String>); 5] {
        let m = &self.marketplace;
        [
            ("Solutions", &self.solutions),
            ("AwsProducts", &self.aws_products),
            ("AwsMarketplaceOfferSets", &m.aws_marketplace_offer_sets),
            ("AwsMarketplaceSolutions", &m.aws_marketplace_solutions),
            ("AwsMarketplaceProducts", &m.aws_marketplace_products),
        ]
    }

    /// Folds a later change of the same record into this one, so that one write carries both: the later
    /// change's fields win, fields only this one names are kept (a change may name only what it changed),
    /// associations add up, and a submission asked by either stands.
    pub fn coalesce(&mut self, later: OpportunityChanged) {
        merge(&mut self.opportunity, later.opportunity);
        let (m, l) = (&mut self.marketplace, later.marketplace);
        for (mine, theirs) in [
            (&mut self.solutions, later.solutions),
            (&mut self.aws_products, later.aws_products),
            (
                &mut m.aws_marketplace_offer_sets,
                l.aws_marketplace_offer_sets,
            ),
            (
                &mut m.aws_marketplace_solutions,
                l.aws_marketplace_solutions,
            ),
            (&mut m.aws_marketplace_products, l.aws_marketplace_products),
        ] {
            for id in theirs {
                if !mine.contains(&id) {
                    mine.push(id);
                }
            }
        }
        if later.submit.is_some() {
            self.submit = later.submit;
        }
    }
}

/// `later` over `base`: objects merged key by key, anything else (lists, values, null) replaced.
fn merge(base: &mut Value, later: Value) {
    match (base, later) {
        (Value::Object(b), Value::Object(l)) => {
            for (k, v) in l {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// `CRM Referral Decision`: the CRM accepted or rejected an AWS referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralDecision {
    /// The invitation (`engi-…`), for the API channel.
    #[serde(default)]
    pub invitation_id: String,
    /// The referral's opportunity (`O…`), for the S3 channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opportunity_id: Option<String>,
    /// `accept` or `reject`.
    pub decision: String,
    /// For a reject: one of the API's rejection reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Pushed {
    /// A new opportunity in Partner Central.
    Created {
        /// Its id.
        id: String,
        /// Submitted to AWS too.
        submitted: bool,
        /// What AWS refused after the create (an association, or the submission's task), as the CRM
        /// record shows it.
        errors: Vec<String>,
    },
    /// Changes written (some may be held: see `held`).
    Updated {
        /// The id.
        id: String,
        /// Fields that wait.
        held: Vec<String>,
    },
    /// Nothing could be written now; everything waits.
    Held {
        /// The id.
        id: String,
        /// Why.
        reason: String,
    },
    /// Partner Central already has it all.
    Unchanged {
        /// The id.
        id: String,
    },
    /// Refused, field by field (told to the CRM).
    Refused {
        /// AWS's errors.
        errors: Vec<String>,
    },
}

/// How many times an update is read and written again after a `ConflictException`.
const CONFLICT_ATTEMPTS: usize = 5;

/// The ClientToken of a create: derived from the CRM id, so a retry never creates a second one
/// (tokens are at most 64 characters: long CRM ids are hashed).
pub fn create_token(crm_id: &str) -> String {
    let token = format!("acebridge-create-{crm_id}");
    if token.len() <= 64 {
        token
    } else {
        format!(
            "acebridge-create-{}",
            &hex::encode(Sha256::digest(crm_id.as_bytes()))[..40]
        )
    }
}

/// The ClientToken of a submission.
pub fn submit_token(id: &str) -> String {
    format!("acebridge-submit-{id}")
}

/// Fields the CRM never writes (AWS's side, ids, audit, AWS's review).
const NOT_THE_CRMS: [&[&str]; 8] = [
    &["aws"],
    &["id"],
    &["audit"],
    &["catalog"],
    &["origin"],
    &["life_cycle", "review_status"],
    &["life_cycle", "review_comments"],
    &["life_cycle", "review_status_reason"],
];

fn starts(path: &[String], prefix: &[&str]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b)
}

/// Whether Partner Central takes a change of `path` now (the mapping crate's review-status rules).
pub use acebridge_mapping::validate::editable;

fn get<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn set(v: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        cur = m.entry(k.clone()).or_insert(Value::Null);
    }
    if !cur.is_object() {
        *cur = Value::Object(Map::new());
    }
    if let Value::Object(m) = cur {
        m.insert(last.clone(), value);
    }
}

/// The leaf paths where `change` says something other than `current` (lists and masked values are
/// leaves; keys the change leaves out are not changes).
pub fn changed_paths(current: &Value, change: &Value) -> Vec<Vec<String>> {
    let mut out = leaves(change);
    out.retain(|p| {
        let (cur, leaf) = (get(current, p), get(change, p));
        leaf.is_some_and(|l| cur != Some(l) && !(cur.is_none() && l.is_null()))
            && !NOT_THE_CRMS.iter().any(|n| starts(p, n))
    });
    out
}

fn parse_opportunity(v: &Value) -> Result<Opportunity, PortError> {
    Opportunity::deserialize(v)
        .map_err(|e| PortError::permanent("crm", format!("not a canonical opportunity: {e}")))
}

async fn tell_crm(
    crm: &impl Crm,
    crm_id: &str,
    ace_id: Option<&str>,
    success: bool,
    errors: Vec<String>,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    let result = AwsResult {
        success,
        errors,
        source: "partner-central-api".into(),
        at: now,
    };
    if !crm
        .record_aws_result(RecordKind::Opportunity, crm_id, ace_id, &result)
        .await?
    {
        warn!(crm_id, "the CRM has no record to show the outcome on");
    }
    Ok(())
}

/// Where a refusal came from: our pre-flight check (nothing was sent) or Partner Central's answer to
/// `operation`.
fn refused_by(
    r: &Refusal,
    preflight: bool,
    operation: &'static str,
) -> (&'static str, Vec<String>) {
    let source = if preflight {
        "pre-flight check (not sent)"
    } else {
        operation
    };
    (source, refusal_errors(r))
}

/// Writes the outcome of a call to Partner Central onto the record's ledger entry (`aws_result`, so a
/// refusal shows with the failures; a success clears it) with the timeline's step for it.
#[allow(clippy::too_many_arguments)]
async fn answered(
    ledger: &impl Ledger,
    catalog: Catalog,
    crm_id: &str,
    ace_id: Option<&str>,
    source: &str,
    errors: Vec<String>,
    step: Step,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    let target = ResultTarget {
        kind: RecordKind::Opportunity,
        catalog,
        ace_id,
        crm_id: Some(crm_id),
    };
    let step = step.from_source(Some(source));
    let step = if errors.is_empty() {
        step
    } else {
        step.failed(errors.clone())
    };
    let result = AwsResult {
        success: errors.is_empty(),
        errors,
        source: source.to_string(),
        at: now,
    };
    ledger::attach_result(ledger, target, result, Some(step), now).await?;
    Ok(())
}

/// Checks a record as Partner Central would before spending a write on it (field by field, API names).
/// `now` is the clock's: "target close date not in the past" is judged on its date (UTC).
fn precheck(
    o: &Opportunity,
    intent: Intent,
    current: Option<&Opportunity>,
    now: DateTime<Utc>,
) -> Option<Refusal> {
    let ctx = validate::Context {
        today: now.date_naive(),
        intent,
        current,
        consulting_partner: false,
    };
    let errors: Vec<FieldError> = validate::opportunity(o, Format::Api, &ctx)
        .into_iter()
        .map(|e| FieldError {
            field: Some(e.field),
            code: e.code.as_str().to_string(),
            message: e.message,
        })
        .collect();
    (!errors.is_empty()).then_some(Refusal::Invalid { errors })
}

fn refusal_errors(r: &Refusal) -> Vec<String> {
    match r {
        Refusal::Conflict { message } => vec![message.clone()],
        Refusal::Invalid { errors } => errors.iter().map(ToString::to_string).collect(),
    }
}

/// Sends a CRM change whose bus time is unknown (see [`push_change`]): nothing in it is ever taken as
/// older than what was written.
pub async fn push_opportunity(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    change: &OpportunityChanged,
    clock: &Clock,
) -> Result<Pushed, PortError> {
    push_change(
        pc,
        ledger,
        crm,
        catalog,
        change,
        &FieldTimes::default(),
        clock,
    )
    .await
}

/// Sends a CRM change to Partner Central: creates the opportunity the first time (then associates and,
/// if asked, submits), updates it afterwards. `times` stamps each field of the change with the bus time
/// of the change that set it; a field a newer change already wrote is left out (see
/// [`crate::model::field_times`]).
pub async fn push_change(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    change: &OpportunityChanged,
    times: &FieldTimes,
    clock: &Clock,
) -> Result<Pushed, PortError> {
    let now = clock.now();
    let known = ledger
        .find_by_crm_id(RecordKind::Opportunity, catalog, &change.crm_id)
        .await?
        .into_iter()
        .find(|e| e.ace_id.is_some());
    let id = known
        .as_ref()
        .and_then(|e| e.ace_id.clone())
        .or_else(|| change.opportunity["id"].as_str().map(str::to_string));
    let Some(id) = id else {
        return create(pc, ledger, crm, catalog, change, times, now).await;
    };
    let (written, previous) = match known {
        Some(e) => (e.crm_times, e.crm_snapshot),
        None => (FieldTimes::default(), None),
    };
    // An older change that SQS delivered late (a retry, or simply out of order) does not put back what
    // a newer change of the same record already wrote.
    let stale = written.stale(&change.opportunity, times);
    let (change, times) = if stale.is_empty() {
        (Cow::Borrowed(change), Cow::Borrowed(times))
    } else {
        info!(
            opportunity = %id,
            fields = stale.len(),
            "fields older than those written are left out"
        );
        let mut fresh = change.clone();
        fresh.opportunity = without(&change.opportunity, &stale);
        let mut fresh_times = times.clone();
        fresh_times.remove(&stale);
        (Cow::Owned(fresh), Cow::Owned(fresh_times))
    };
    let (change, times): (&OpportunityChanged, &FieldTimes) = (&change, &times);
    // Only what the CRM changed since it last sent the record goes out: a field AWS changed meanwhile
    // and the CRM did not is left as AWS has it.
    let previous: Option<OpportunityChanged> =
        previous.and_then(|v| serde_json::from_value(v).ok());
    let delta = match &previous {
        Some(p) => only(
            &change.opportunity,
            &changed_paths(&p.opportunity, &change.opportunity),
        ),
        None => change.opportunity.clone(),
    };
    let pushed = update(pc, ledger, crm, catalog, &id, &change.crm_id, &delta, now).await?;
    let key = RecordKey::ace(RecordKind::Opportunity, catalog, &id);
    // What the CRM has sent so far, all of it: a change may name only what it changed.
    let sent = match &previous {
        Some(p) => {
            let mut all = p.clone();
            all.coalesce(change.clone());
            all
        }
        None => change.clone(),
    };
    remember_snapshot(ledger, &key, &sent, times, now).await?;
    let errors = associate_new(pc, catalog, &id, change, previous.as_ref()).await?;
    if !errors.is_empty() {
        let step = Step::new(
            now,
            StepKind::CrmToAws,
            "Partner Central refused an association",
        );
        answered(
            ledger,
            catalog,
            &change.crm_id,
            Some(&id),
            "AssociateOpportunity",
            errors.clone(),
            step,
            now,
        )
        .await?;
        tell_crm(crm, &change.crm_id, Some(&id), false, errors, now).await?;
    }
    Ok(pushed)
}

async fn create(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    change: &OpportunityChanged,
    times: &FieldTimes,
    now: DateTime<Utc>,
) -> Result<Pushed, PortError> {
    let mut opportunity = parse_opportunity(&change.opportunity)?;
    // The catalog it goes to decides what AWS accepts (an AWS Referral origin only in Sandbox).
    opportunity.catalog = Some(catalog);
    opportunity.crm_id = acebridge_mapping::CrmId::parse(&change.crm_id)
        .map(acebridge_mapping::Field::Value)
        .map_err(|e| PortError::permanent("crm", e.to_string()))?;
    let preflight = precheck(&opportunity, Intent::Create, None, now);
    let refused_before = preflight.is_some();
    let sent = match preflight {
        Some(refused) => Err(refused),
        None => {
            pc.create(catalog, &create_token(&change.crm_id), &opportunity)
                .await?
        }
    };
    let step = |summary: &str| {
        Step::new(now, StepKind::CrmToAws, summary).changing(None, &change.opportunity)
    };
    let created = match sent {
        Ok(c) => c,
        Err(r) => {
            let (source, errors) = refused_by(&r, refused_before, "CreateOpportunity");
            let step = step("The opportunity was not created in Partner Central");
            answered(
                ledger,
                catalog,
                &change.crm_id,
                None,
                source,
                errors.clone(),
                step,
                now,
            )
            .await?;
            tell_crm(crm, &change.crm_id, None, false, errors.clone(), now).await?;
            return Ok(Pushed::Refused { errors });
        }
    };
    let target = ResultTarget {
        kind: RecordKind::Opportunity,
        catalog,
        ace_id: Some(&created.id),
        crm_id: Some(&change.crm_id),
    };
    let ok = AwsResult {
        success: true,
        errors: Vec::new(),
        source: "CreateOpportunity".into(),
        at: now,
    };
    let created_step = step("Created in Partner Central").from_source(Some("CreateOpportunity"));
    ledger::attach_result(ledger, target, ok, Some(created_step), now).await?;
    let key = RecordKey::ace(RecordKind::Opportunity, catalog, &created.id);
    remember_snapshot(ledger, &key, change, times, now).await?;
    let mut errors = associate_new(pc, catalog, &created.id, change, None).await?;
    let mut submitted = false;
    if let Some(s) = &change.submit
        && errors.is_empty()
    {
        match pc
            .submit(catalog, &created.id, &submit_token(&created.id), s)
            .await?
        {
            // The submission is a task: followed to its end, and a failure reaches the CRM record.
            Ok(started) => {
                let task = tasks::follow(
                    pc,
                    catalog,
                    TaskKind::EngagementFromOpportunity,
                    started,
                    Follow::default(),
                )
                .await?;
                if task.is_failed() {
                    errors.push(task.failure());
                } else {
                    submitted = true;
                }
            }
            Err(r) => errors.extend(refusal_errors(&r)),
        }
    }
    info!(crm_id = %change.crm_id, opportunity = %created.id, submitted, "opportunity shared with AWS");
    if change.submit.is_some() || !errors.is_empty() {
        let (summary, source) = if submitted {
            (
                "Submitted to AWS",
                TaskKind::EngagementFromOpportunity.operation(),
            )
        } else if change.submit.is_some() {
            (
                "Not submitted to AWS",
                TaskKind::EngagementFromOpportunity.operation(),
            )
        } else {
            (
                "Partner Central refused an association",
                "AssociateOpportunity",
            )
        };
        let step = Step::new(now, StepKind::CrmToAws, summary);
        answered(
            ledger,
            catalog,
            &change.crm_id,
            Some(&created.id),
            source,
            errors.clone(),
            step,
            now,
        )
        .await?;
    }
    tell_crm(
        crm,
        &change.crm_id,
        Some(&created.id),
        errors.is_empty(),
        errors.clone(),
        now,
    )
    .await?;
    Ok(Pushed::Created {
        id: created.id,
        submitted,
        errors,
    })
}

#[allow(clippy::too_many_arguments)]
async fn update(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    id: &str,
    crm_id: &str,
    change: &Value,
    now: DateTime<Utc>,
) -> Result<Pushed, PortError> {
    for _ in 0..CONFLICT_ATTEMPTS {
        let Some(current) = pc.opportunity(catalog, id).await? else {
            let errors = vec![format!(
                "opportunity {id} is not in Partner Central ({catalog})"
            )];
            let step = Step::new(now, StepKind::CrmToAws, "Not updated in Partner Central");
            answered(
                ledger,
                catalog,
                crm_id,
                Some(id),
                "GetOpportunity",
                errors.clone(),
                step,
                now,
            )
            .await?;
            tell_crm(crm, crm_id, Some(id), false, errors.clone(), now).await?;
            return Ok(Pushed::Refused { errors });
        };
        let status = current
            .life_cycle
            .review_status
            .value()
            .map(|s| s.as_api().to_string());
        let current_json = serde_json::to_value(&current)
            .map_err(|e| PortError::permanent("partner-central", e.to_string()))?;
        let mut wanted = current_json.clone();
        let mut held = Value::Object(Map::new());
        let mut held_paths = Vec::new();
        let mut reason = None;
        let mut sending = 0;
        for path in changed_paths(&current_json, change) {
            let value = get(change, &path).cloned().unwrap_or(Value::Null);
            match editable(status.as_deref(), &path) {
                Ok(()) => {
                    set(&mut wanted, &path, value);
                    sending += 1;
                }
                Err(why) => {
                    set(&mut held, &path, value);
                    held_paths.push(path.join("."));
                    reason = Some(why);
                }
            }
        }
        let key = RecordKey::ace(RecordKind::Opportunity, catalog, id);
        let hold = reason.clone().map(|r| Held {
            change: held.clone(),
            reason: r,
            since: now,
        });
        remember_held(ledger, &key, crm_id, hold, now).await?;
        if sending == 0 {
            return Ok(match reason {
                Some(reason) => {
                    tell_crm(crm, crm_id, Some(id), false, vec![reason.clone()], now).await?;
                    Pushed::Held {
                        id: id.to_string(),
                        reason,
                    }
                }
                None => Pushed::Unchanged { id: id.to_string() },
            });
        }
        let opportunity = parse_opportunity(&wanted)?;
        let preflight = precheck(&opportunity, Intent::Update, Some(&current), now);
        let refused_before = preflight.is_some();
        let sent = match preflight {
            Some(refused) => Err(refused),
            None => pc.update(catalog, &opportunity).await?,
        };
        let step = |summary: String| {
            Step::new(now, StepKind::CrmToAws, summary).changing(Some(&current_json), &wanted)
        };
        match sent {
            Ok(_) => {
                let summary = match held_paths.len() {
                    0 => "Updated in Partner Central".to_string(),
                    n => format!("Updated in Partner Central; {n} field(s) held"),
                };
                answered(
                    ledger,
                    catalog,
                    crm_id,
                    Some(id),
                    "UpdateOpportunity",
                    Vec::new(),
                    step(summary),
                    now,
                )
                .await?;
                let errors = reason.into_iter().collect::<Vec<_>>();
                tell_crm(crm, crm_id, Some(id), errors.is_empty(), errors, now).await?;
                info!(
                    opportunity = id,
                    held = held_paths.len(),
                    "opportunity updated in Partner Central"
                );
                return Ok(Pushed::Updated {
                    id: id.to_string(),
                    held: held_paths,
                });
            }
            Err(Refusal::Conflict { .. }) => continue, // changed meanwhile: read again, apply again
            Err(r) => {
                let (source, errors) = refused_by(&r, refused_before, "UpdateOpportunity");
                let step = step("Not updated in Partner Central".to_string());
                answered(
                    ledger,
                    catalog,
                    crm_id,
                    Some(id),
                    source,
                    errors.clone(),
                    step,
                    now,
                )
                .await?;
                tell_crm(crm, crm_id, Some(id), false, errors.clone(), now).await?;
                return Ok(Pushed::Refused { errors });
            }
        }
    }
    Err(PortError::retryable(
        "partner-central",
        format!("opportunity {id} kept changing ({CONFLICT_ATTEMPTS} conflicts in a row)"),
    ))
}

/// `record` without the values at `paths`.
fn without(record: &Value, paths: &[Vec<String>]) -> Value {
    let mut out = record.clone();
    for p in paths {
        if let Some((last, parents)) = p.split_last()
            && let Some(Value::Object(m)) = parents.iter().try_fold(&mut out, |v, k| v.get_mut(k))
        {
            m.remove(last);
        }
    }
    out
}

/// The parts of `record` at `paths`.
fn only(record: &Value, paths: &[Vec<String>]) -> Value {
    let mut out = Value::Object(Map::new());
    for p in paths {
        set(&mut out, p, get(record, p).cloned().unwrap_or(Value::Null));
    }
    out
}

async fn remember_held(
    ledger: &impl Ledger,
    key: &RecordKey,
    crm_id: &str,
    held: Option<Held>,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    ledger::edit(ledger, key, now, |e| {
        e.crm_id = Some(crm_id.to_string());
        if e.held.as_ref().map(|h| &h.change) != held.as_ref().map(|h| &h.change) {
            if let Some(h) = &held {
                let step = Step::new(now, StepKind::Held, format!("Held: {}", h.reason))
                    .changing(None, &h.change);
                e.record_step(step);
            }
            e.held = held.clone();
        }
    })
    .await
}

async fn remember_snapshot(
    ledger: &impl Ledger,
    key: &RecordKey,
    sent: &OpportunityChanged,
    times: &FieldTimes,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    let snapshot = serde_json::to_value(sent).ok();
    ledger::edit(ledger, key, now, |e| {
        e.crm_snapshot = snapshot.clone();
        e.crm_times.absorb(times);
    })
    .await
}

/// Associates the solutions, AWS products and Marketplace entities the CRM added since `previous`; the
/// refusals.
async fn associate_new(
    pc: &impl PartnerCentral,
    catalog: Catalog,
    id: &str,
    change: &OpportunityChanged,
    previous: Option<&OpportunityChanged>,
) -> Result<Vec<String>, PortError> {
    let mut errors = Vec::new();
    let before = previous.map(OpportunityChanged::associations);
    for (i, (kind, entities)) in change.associations().into_iter().enumerate() {
        let before = before.as_ref().map(|b| b[i].1);
        for e in entities
            .iter()
            .filter(|e| before.is_none_or(|b| !b.contains(e)))
        {
            if let Err(r) = pc.associate(catalog, id, kind, e).await? {
                errors.extend(refusal_errors(&r));
            }
        }
    }
    Ok(errors)
}

/// Sends held changes of an opportunity again (after Partner Central moved it on, e.g. to Approved).
/// `None` when nothing was held.
pub async fn release_held(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    id: &str,
    clock: &Clock,
) -> Result<Option<Pushed>, PortError> {
    let key = RecordKey::ace(RecordKind::Opportunity, catalog, id);
    let Some(entry) = ledger.get(&key).await? else {
        return Ok(None);
    };
    let (Some(held), Some(crm_id)) = (entry.held, entry.crm_id) else {
        return Ok(None);
    };
    let pushed = update(
        pc,
        ledger,
        crm,
        catalog,
        id,
        &crm_id,
        &held.change,
        clock.now(),
    )
    .await?;
    Ok(Some(pushed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(v: Vec<Vec<String>>) -> Vec<String> {
        v.into_iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn only_what_the_crm_says_differently_is_a_change() {
        let current = json!({"project": {"title": "A", "business_problem": "x"}, "aws": {"stage": "Prospect"}, "id": "O1"});
        let change = json!({"project": {"title": "B", "business_problem": "x"}, "aws": {"stage": "Launched"},
            "customer": {"contacts": [{"email": {"masked": true}}]}, "id": "O2"});
        assert_eq!(
            paths(changed_paths(&current, &change)),
            vec!["customer.contacts", "project.title"]
        );
    }

    #[test]
    fn review_status_decides_what_is_editable() {
        let p = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert!(editable(Some("In review"), &p("life_cycle.stage")).is_err());
        assert!(editable(Some("Action Required"), &p("customer.address.city")).is_ok());
        assert!(editable(Some("Action Required"), &p("life_cycle.stage")).is_err());
        assert!(editable(Some("Approved"), &p("project.title")).is_err());
        assert!(editable(Some("Approved"), &p("life_cycle.stage")).is_ok());
        assert!(editable(Some("Pending Submission"), &p("project.title")).is_ok());
    }

    #[test]
    fn client_tokens_are_stable_and_short() {
        assert_eq!(create_token("OP-1"), "acebridge-create-OP-1");
        let long = "x".repeat(64);
        assert_eq!(create_token(&long), create_token(&long));
        assert!(create_token(&long).len() <= 64);
    }
}
