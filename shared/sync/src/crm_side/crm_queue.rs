//! The CRM → AWS queue: acebridge's bus routes `acebridge.crm` events (`CRM Opportunity Changed`,
//! `CRM Referral Decision`) to an SQS queue; one function, one at a time, drains it, so writes stay
//! within Partner Central's 1 write/s. Each message is handled on its own; a message that failed in a
//! way worth retrying is reported back to SQS (partial batch response), the others are done.
//!
//! Event schema (detail, camelCase): see `docs/crm-events.md` and `functions/crm-outbound/events/`.

use crate::crm_side::outbound::{self, OpportunityChanged, Pushed, ReferralDecision};
use crate::metrics;
use crate::model::field_times::FieldTimes;
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{Ledger, SettleHold};
use crate::ports::outcomes::{Outcome, OutcomeKind, Outcomes};
use crate::ports::partner_central::PartnerCentral;
use crate::ports::store::ObjectStore;
use crate::s3_exchange::outbound_s3;
use acebridge_mapping::{Catalog, PartnerId};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::HashMap;
use tracing::{error, info, warn};

/// The events' source.
pub const SOURCE: &str = "acebridge.crm";
/// A partner opportunity created or changed in the CRM.
pub const OPPORTUNITY_CHANGED: &str = "CRM Opportunity Changed";
/// The CRM's accept or reject of an AWS referral.
pub const REFERRAL_DECISION: &str = "CRM Referral Decision";
/// A lead (over the API) qualified, changed or converted in the CRM.
pub const LEAD_CHANGED: &str = "CRM Lead Changed";

/// Which channel carries the partner's changes to AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The Partner Central API.
    Api,
    /// Inbound files in the ACE bucket.
    S3,
}

impl Channel {
    /// `api` or `s3` (`CHANNEL`).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "api" => Ok(Channel::Api),
            "s3" => Ok(Channel::S3),
            other => Err(format!("CHANNEL must be api or s3, not {other:?}")),
        }
    }
}

/// One queued CRM event.
#[derive(Debug, Clone, PartialEq)]
pub enum CrmEvent {
    /// `CRM Opportunity Changed`.
    Changed(OpportunityChanged),
    /// `CRM Referral Decision`.
    Decision(ReferralDecision),
    /// `CRM Lead Changed` (API channel only).
    Lead(crate::partner_central::engagements::LeadChanged),
}

/// Reads a queued EventBridge event; `Err` says what is wrong (not retryable).
pub fn parse(body: &str) -> Result<CrmEvent, String> {
    parse_timed(body).map(|(e, _)| e)
}

/// [`parse`], with the time the event was put on the bus (the order of a record's changes; EventBridge
/// always sets it).
fn parse_timed(body: &str) -> Result<(CrmEvent, Option<chrono::DateTime<Utc>>), String> {
    let e: EventBridgeEvent<Value> =
        serde_json::from_str(body).map_err(|e| format!("not an EventBridge event: {e}"))?;
    let time = e.time;
    parse_event(e).map(|c| (c, time))
}

fn parse_event(e: EventBridgeEvent<Value>) -> Result<CrmEvent, String> {
    if e.source != SOURCE {
        return Err(format!("source {} is not {SOURCE}", e.source));
    }
    let detail = |err: serde_path_to_error::Error<serde_json::Error>| {
        format!("{}: detail.{}: {}", e.detail_type, err.path(), err.inner())
    };
    match e.detail_type.as_str() {
        OPPORTUNITY_CHANGED => serde_path_to_error::deserialize(&e.detail)
            .map(CrmEvent::Changed)
            .map_err(detail),
        REFERRAL_DECISION => serde_path_to_error::deserialize(&e.detail)
            .map(CrmEvent::Decision)
            .map_err(detail),
        LEAD_CHANGED => serde_path_to_error::deserialize(&e.detail)
            .map(CrmEvent::Lead)
            .map_err(detail),
        other => Err(format!(
            "unknown detail-type {}",
            acebridge_mapping::quoted(other)
        )),
    }
}

/// Everything the queue handler works with.
#[derive(Debug)]
pub struct Context<'a, P, L, C, S, O> {
    /// Partner Central (API channel).
    pub pc: &'a P,
    /// The sync ledger.
    pub ledger: &'a L,
    /// The CRM (outcomes are shown on its records).
    pub crm: &'a C,
    /// The ACE bucket (S3 channel), with its ACL and KMS configuration.
    pub ace: Option<&'a S>,
    /// The partner's ACE id (S3 channel file envelopes).
    pub partner: Option<&'a PartnerId>,
    /// The catalog.
    pub catalog: Catalog,
    /// The channel.
    pub channel: Channel,
    /// Outcome events (`ACE Sync Succeeded` / `ACE Sync Failed`).
    pub outcomes: &'a O,
    /// Where "now" comes from (holds, write-budget waits, file names, pre-flight dates).
    pub clock: acebridge_clock::Clock,
}

/// What a batch did: per message an outcome, and the ids SQS should deliver again.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchOutcome {
    /// Per message id, what happened.
    pub results: Vec<(String, Value)>,
    /// Message ids to retry (retryable failures only).
    pub retry: Vec<String>,
    /// Message ids held back, each with the time it may come again: for the rest of their record's burst
    /// (see [`Settle`]), or for the day's write quota. Handed back to the queue until then.
    pub held: Vec<(String, chrono::DateTime<Utc>)>,
}

impl BatchOutcome {
    /// Holds back the messages `ids` until `until`, for `why`.
    fn hold(&mut self, ids: Vec<String>, why: &str, until: chrono::DateTime<Utc>) {
        for id in ids {
            self.results
                .push((id.clone(), json!({ "held": why, "until": until })));
            self.held.push((id, until));
        }
    }
}

/// Holding back a record whose changes are still coming.
///
/// Changes are coalesced within one batch only, and a batch is cut by size or time (the event source's
/// `BatchSize`, `MaximumBatchingWindowInSeconds`), wherever a seller's burst of edits happens to be. A
/// record whose newest change in the batch is younger than `quiet` is held back: its messages go back to
/// the queue for a short while (crm-outbound sets their visibility) and come again with the rest of the
/// burst, so the burst costs one write instead of one per batch it spans.
///
/// The hold is the record's, not the messages': it is kept in the ledger ([`Ledger::save_holds`]) with
/// the changes it holds, and a change of the record that arrives while it runs joins it, handed back
/// until the same time, so that all of the record's changes come back together (without that, a change
/// arriving while the others are away was written on its own, and the burst cost two writes). See
/// [`Settle::wait`]. A message is held at most [`HOLDS`] times (SQS's receive count): a record edited
/// without pause is written once one of its messages was held that often.
#[derive(Debug, Clone)]
pub struct Settle {
    /// How long a record's changes must have been quiet for it to be written now.
    pub quiet: chrono::Duration,
    /// The time the batch is handled at.
    pub now: chrono::DateTime<Utc>,
    /// Per message id, how often SQS delivered it before this batch (its `ApproximateReceiveCount` − 1);
    /// a message not listed was not delivered before.
    pub delivered_before: HashMap<String, u32>,
}

/// How many times a message may be held back. Each hold is one receive: a held message keeps at least 3
/// of the CRM changes queue's 6 receives (`maxReceiveCount` in the template) for real failures. Three,
/// not two: a record edited for a minute spans about three batches (`make bench-coalesce`: 115 writes
/// for 100 such records with two, 107 with three).
pub const HOLDS: u32 = 3;

impl Settle {
    /// Until when a record whose changes in the batch are `ids` (SQS message ids), the newest put on
    /// the bus at `newest`, with its `hold` if it had one, waits; `None`: it is written now.
    ///
    /// - Its hold still runs: it joins it.
    /// - Its hold has ended, but changes held with it are not in this batch (a batch cut by size splits
    ///   changes that came back at the same moment): it waits for them, handed back at once, so that
    ///   it comes again with them.
    /// - Its newest change is younger than `quiet`: a new hold.
    ///
    /// Never when one of its messages was held [`HOLDS`] times.
    fn wait(
        &self,
        ids: &[String],
        newest: Option<chrono::DateTime<Utc>>,
        hold: Option<&SettleHold>,
    ) -> Option<chrono::DateTime<Utc>> {
        if ids
            .iter()
            .any(|id| self.delivered_before.get(id).copied().unwrap_or(0) >= HOLDS)
        {
            return None;
        }
        if let Some(h) = hold {
            if h.until > self.now {
                return Some(h.until);
            }
            if h.messages.iter().any(|m| !ids.contains(m)) {
                return Some(self.now);
            }
        }
        newest
            .is_some_and(|t| self.now - t < self.quiet)
            .then(|| self.now + self.quiet)
    }
}

/// One record's changes in a batch, coalesced in the order they were put on the bus.
struct RecordChanges {
    /// Their messages.
    ids: Vec<String>,
    /// The newest one's bus time.
    newest: Option<chrono::DateTime<Utc>>,
    /// All of them as one change.
    change: OpportunityChanged,
    /// When each field was set (see [`crate::model::field_times`]).
    times: FieldTimes,
}

/// Handles a batch of `(message id, body)`.
pub async fn handle_batch<P, L, C, S, O>(
    cx: &Context<'_, P, L, C, S, O>,
    messages: &[(String, String)],
) -> BatchOutcome
where
    P: PartnerCentral,
    L: Ledger,
    C: Crm,
    S: ObjectStore,
    O: Outcomes,
{
    handle_batch_settling(cx, messages, None).await
}

/// crm-outbound's work for one SQS event: the batch handled with `settle_seconds` of [`Settle`] (0: off;
/// only with `queue`, the CRM changes queue itself), the held messages handed back to `queue` for that
/// long, and the answer to Lambda: every message to retry or held, as a batch item failure.
pub async fn handle_sqs_event<P, L, C, S, O>(
    cx: &Context<'_, P, L, C, S, O>,
    event: aws_lambda_events::sqs::SqsEvent,
    queue: Option<&crate::adapters::sqs::WorkQueue>,
    settle_seconds: i32,
) -> aws_lambda_events::sqs::SqsBatchResponse
where
    P: PartnerCentral,
    L: Ledger,
    C: Crm,
    S: ObjectStore,
    O: Outcomes,
{
    use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse};
    let records = event.records;
    let settle = (settle_seconds > 0 && queue.is_some()).then(|| Settle {
        quiet: chrono::Duration::seconds(i64::from(settle_seconds)),
        now: cx.clock.now(),
        delivered_before: records
            .iter()
            .filter_map(|m| {
                let received = m
                    .attributes
                    .get("ApproximateReceiveCount")
                    .and_then(|c| c.parse::<u32>().ok())?;
                Some((m.message_id.clone()?, received.saturating_sub(1)))
            })
            .collect(),
    });
    let messages: Vec<(String, String)> = records
        .iter()
        .filter_map(|m| Some((m.message_id.clone()?, m.body.clone()?)))
        .collect();
    let outcome = handle_batch_settling(cx, &messages, settle.as_ref()).await;
    if let Some(queue) = queue
        && !outcome.held.is_empty()
    {
        // Each message comes back when its record's hold ends, counted from now (the batch's work took
        // time since the hold was decided).
        let now = cx.clock.now();
        let mut by_time: std::collections::BTreeMap<i32, Vec<String>> = Default::default();
        for (id, until) in &outcome.held {
            let receipt = records
                .iter()
                .find(|m| m.message_id.as_ref() == Some(id))
                .and_then(|m| m.receipt_handle.clone());
            // Rounded up: a message back a moment early would find its record's hold still running. At
            // most 12 hours, SQS's limit.
            let ms = (*until - now).num_milliseconds();
            let seconds = (ms + 999).div_euclid(1000).clamp(0, 43_200);
            if let (Some(receipt), Ok(seconds)) = (receipt, i32::try_from(seconds)) {
                by_time.entry(seconds).or_default().push(receipt);
            }
        }
        for (seconds, receipts) in by_time {
            // If this fails they still come again, after the queue's own visibility timeout.
            if let Err(e) = queue.hand_back(&receipts, seconds).await {
                tracing::warn!(error = %e, held = receipts.len(), "held changes not handed back early");
            }
        }
    }
    let mut response = SqsBatchResponse::default();
    for id in outcome
        .retry
        .into_iter()
        .chain(outcome.held.into_iter().map(|(id, _)| id))
    {
        let mut failure = BatchItemFailure::default();
        failure.item_identifier = id;
        response.batch_item_failures.push(failure);
    }
    response
}

/// [`handle_batch`], holding back the records whose changes are still coming (see [`Settle`]).
pub async fn handle_batch_settling<P, L, C, S, O>(
    cx: &Context<'_, P, L, C, S, O>,
    messages: &[(String, String)],
    settle: Option<&Settle>,
) -> BatchOutcome
where
    P: PartnerCentral,
    L: Ledger,
    C: Crm,
    S: ObjectStore,
    O: Outcomes,
{
    let mut published = Vec::new();
    let mut out = BatchOutcome::default();
    let mut files = Vec::new();
    // API channel: a record's changes in this batch are coalesced (in the order they were put on the bus)
    // into one push, so ten quick edits of one opportunity spend one of the day's writes, not ten.
    // Each field of a coalesced change carries the bus time of the change that set it (see
    // `field_times`): none for decisions and leads.
    let mut work: Vec<(Vec<String>, CrmEvent, FieldTimes)> = Vec::new();
    let mut timed: Vec<(
        Option<chrono::DateTime<Utc>>,
        usize,
        String,
        OpportunityChanged,
    )> = Vec::new();
    for (n, (id, body)) in messages.iter().enumerate() {
        let (event, time) = match parse_timed(body) {
            Ok(e) => e,
            Err(why) => {
                // Retrying cannot fix it, but nothing is dropped: reported as failed, SQS moves it to
                // the dead-letter queue after its receive count, where an operator sees and redrives it.
                error!(message = %id, %why, "unreadable CRM event");
                out.retry.push(id.clone());
                out.results.push((id.clone(), json!({ "error": why })));
                continue;
            }
        };
        match (cx.channel, event) {
            (Channel::S3, CrmEvent::Lead(l)) => {
                // AWS sends leads over the API only: kept (dead-letter queue), never dropped.
                error!(message = %id, engagement = %l.engagement_id, "a lead change needs the API channel");
                out.retry.push(id.clone());
                out.results.push((
                    id.clone(),
                    json!({ "error": "CRM Lead Changed needs CHANNEL=api: leads move over the Selling API only" }),
                ));
            }
            (Channel::S3, event) => files.push((id.clone(), event)),
            (Channel::Api, CrmEvent::Changed(c)) => timed.push((time, n, id.clone(), c)),
            (Channel::Api, other) => work.push((vec![id.clone()], other, FieldTimes::default())),
        }
    }
    timed.sort_by_key(|(time, n, _, _)| (*time, *n));
    let mut by_record: Vec<RecordChanges> = Vec::new();
    for (time, _, id, c) in timed {
        let stamped = time.map_or_else(FieldTimes::default, |t| FieldTimes::of(&c.opportunity, t));
        match by_record.iter_mut().find(|r| r.change.crm_id == c.crm_id) {
            Some(r) => {
                r.ids.push(id);
                r.newest = r.newest.max(time);
                r.change.coalesce(c);
                r.times.absorb(&stamped);
            }
            None => by_record.push(RecordChanges {
                ids: vec![id],
                newest: time,
                change: c,
                times: stamped,
            }),
        }
    }
    // The holds of the batch's records, kept in the ledger: without them a record's changes are still
    // held, but each batch's on its own clock.
    let running = match settle {
        Some(_) if !by_record.is_empty() => {
            let ids: Vec<String> = by_record.iter().map(|r| r.change.crm_id.clone()).collect();
            cx.ledger.holds(cx.catalog, &ids).await.unwrap_or_else(|e| {
                warn!(error = %e, "settle holds not read");
                HashMap::new()
            })
        }
        _ => HashMap::new(),
    };
    let (mut holding, mut ended) = (Vec::new(), Vec::new());
    for r in by_record {
        let hold = running.get(&r.change.crm_id);
        let Some(until) = settle.and_then(|s| s.wait(&r.ids, r.newest, hold)) else {
            if hold.is_some() {
                ended.push(r.change.crm_id.clone());
            }
            work.push((r.ids, CrmEvent::Changed(r.change), r.times));
            continue;
        };
        info!(crm_id = %r.change.crm_id, changes = r.ids.len(), %until, "held for the rest of its burst");
        // The hold names every change held with it, those of earlier batches too (see `Settle::wait`).
        let mut messages: Vec<String> = hold.map(|h| h.messages.clone()).unwrap_or_default();
        for id in &r.ids {
            if !messages.contains(id) {
                messages.push(id.clone());
            }
        }
        holding.push((r.change.crm_id.clone(), SettleHold { until, messages }));
        out.hold(r.ids, "changes still coming", until);
    }
    if (!holding.is_empty() || !ended.is_empty())
        && let Err(e) = cx.ledger.save_holds(cx.catalog, &holding, &ended).await
    {
        // The held changes still come again; the next batch decides without what was not saved.
        warn!(error = %e, holds = holding.len(), "settle holds not saved");
    }
    wait_for_the_write_budget(cx, &mut work, &mut out).await;
    for (ids, event, times) in &work {
        let done: Result<Value, PortError> = match event {
            CrmEvent::Changed(c) => outbound::push_change(
                cx.pc, cx.ledger, cx.crm, cx.catalog, c, times, &cx.clock,
            )
            .await
            .map(|p| {
                published.extend(pushed_outcome(&c.crm_id, &p));
                let mut v = json!(p);
                if ids.len() > 1 {
                    info!(crm_id = %c.crm_id, changes = ids.len(), "coalesced into one push");
                    v["coalesced"] = json!(ids.len());
                }
                v
            }),
            CrmEvent::Lead(l) => crate::partner_central::engagements::push_from_crm(
                cx.pc, cx.ledger, cx.crm, cx.catalog, l, &cx.clock,
            )
            .await
            .map(|done| {
                let id = l.engagement_id.as_str();
                for d in &done {
                    published.push(match d {
                        crate::partner_central::engagements::LeadPushed::Refused { errors } => {
                            Outcome::sync_failed(id, None, "api", errors)
                        }
                        crate::partner_central::engagements::LeadPushed::NotFound => {
                            Outcome::sync_failed(
                                id,
                                None,
                                "api",
                                &[format!("lead {id} is not in Partner Central")],
                            )
                        }
                        other => {
                            Outcome::sync_succeeded(id, None, "api", &json!(other).to_string())
                        }
                    });
                }
                json!({ "lead": id, "done": done })
            }),
            CrmEvent::Decision(d) => crate::operations::decide_referral(
                cx.pc, cx.ledger, cx.crm, cx.catalog, d, &cx.clock,
            )
            .await
            .map(|r| {
                let id = d.invitation_id.as_str();
                match r {
                    Ok(done) => {
                        published.push(Outcome::sync_succeeded(id, None, "api", &done));
                        json!({ "decision": done })
                    }
                    Err(refused) => {
                        let errors = [refused.clone()];
                        published.push(Outcome::sync_failed(id, None, "api", &errors));
                        json!({ "refused": refused })
                    }
                }
            }),
        };
        for id in ids {
            record(&mut out, id, done.clone());
        }
    }
    if !files.is_empty() {
        let uploaded = upload(cx, &files, &mut published).await;
        for (id, _) in &files {
            record(&mut out, id, uploaded.clone());
        }
    }
    // Answered in the batch's order, whatever order the work was done in.
    let position = |id: &String| messages.iter().position(|(m, _)| m == id);
    out.results.sort_by_key(|(id, _)| position(id));
    out.retry.sort_by_key(position);
    let channel = match cx.channel {
        Channel::S3 => metrics::Channel::S3,
        Channel::Api => metrics::Channel::Api,
    };
    // Every change or decision ends as one outcome (succeeded / failed), a held or unchanged result,
    // or an error.
    let (mut synced, mut failed) = (0, 0);
    for o in &published {
        match o.kind {
            OutcomeKind::SyncSucceeded => synced += 1,
            OutcomeKind::SyncFailed => failed += 1,
            OutcomeKind::CrmChangeNotSent
            | OutcomeKind::ReferralReceived
            | OutcomeKind::ReferralExpiring => {}
        }
    }
    let errors = out
        .results
        .iter()
        .filter(|(_, v)| v.get("error").is_some())
        .count();
    let skipped = out.results.len().saturating_sub(synced + failed + errors);
    for (n, outcome) in [
        (synced, metrics::Outcome::Synced { lag_seconds: None }),
        (failed + errors, metrics::Outcome::Failed),
        (skipped, metrics::Outcome::Skipped),
    ] {
        for _ in 0..n {
            metrics::record(channel, metrics::Direction::CrmToAws, outcome);
        }
    }
    if !published.is_empty()
        && let Err(e) = cx.outcomes.publish(&published).await
    {
        // What was sent is in the ledger and on the CRM records; the notification is best effort.
        error!(error = %e, "outcome events not published");
    }
    out
}

/// What the day's Partner Central writes no longer allow (10,000 per rolling 24 hours, counted across
/// functions: [`crate::guards::budget`]) is not sent: AWS would refuse it, and every refused attempt would cost
/// the message a receive. It waits in the queue until the next hour, when the oldest hour of counted
/// writes leaves the window, handed back like a held record ([`BatchOutcome::held`]); referral decisions
/// and leads come first in `work`, so they are the last to wait. Each wait is one receive: a message
/// still waiting after the queue's receives goes to its dead-letter queue, kept for a redrive.
/// Each push is counted as one write (an update is one; a create or a submission costs more, and AWS's
/// own quota answer is the last guard).
async fn wait_for_the_write_budget<P, L, C, S, O>(
    cx: &Context<'_, P, L, C, S, O>,
    work: &mut Vec<(Vec<String>, CrmEvent, FieldTimes)>,
    out: &mut BatchOutcome,
) where
    P: PartnerCentral,
    L: Ledger,
    C: Crm,
    S: ObjectStore,
    O: Outcomes,
{
    if work.is_empty() {
        return;
    }
    let left = match cx.pc.writes_left().await {
        Ok(Some(left)) => usize::try_from(left).unwrap_or(usize::MAX),
        Ok(None) => return,
        Err(e) => {
            warn!(error = %e, "the day's Partner Central writes not read; sending anyway");
            return;
        }
    };
    if left >= work.len() {
        return;
    }
    let now = cx.clock.now();
    let until = chrono::DurationRound::duration_trunc(
        now + chrono::Duration::hours(1),
        chrono::Duration::hours(1),
    )
    .unwrap_or(now + chrono::Duration::hours(1));
    let waiting = work.split_off(left);
    warn!(left, waiting = waiting.len(), %until, "the day's Partner Central writes are spent");
    for (ids, _, _) in waiting {
        out.hold(ids, "the day's Partner Central writes are spent", until);
    }
}

/// The S3 channel: one upload for the batch's changes and decisions.
async fn upload<P, L, C, S, O>(
    cx: &Context<'_, P, L, C, S, O>,
    batch: &[(String, CrmEvent)],
    published: &mut Vec<Outcome>,
) -> Result<Value, PortError>
where
    L: Ledger,
    S: ObjectStore,
{
    let (Some(ace), Some(partner)) = (cx.ace, cx.partner) else {
        return Err(PortError::permanent(
            "config",
            "the S3 channel needs ACE_BUCKET and PARTNER_ID",
        ));
    };
    let mut changes = Vec::new();
    let mut decisions = Vec::new();
    for (_, e) in batch {
        match e {
            CrmEvent::Changed(c) => changes.push(c.clone()),
            CrmEvent::Decision(d) => {
                decisions.push((d.opportunity_id.clone().unwrap_or_default(), d.clone()))
            }
            CrmEvent::Lead(_) => {}
        }
    }
    let now = cx.clock.now();
    let u = outbound_s3::upload(
        ace, cx.ledger, partner, cx.catalog, &changes, &decisions, now,
    )
    .await?;
    let files: Vec<String> = u.files.iter().map(|f| f.key.clone()).collect();
    let done = format!("uploaded in {}", files.join(", "));
    for c in &changes {
        published.push(match u.not_sent.iter().find(|n| n.crm_id == c.crm_id) {
            Some(n) => {
                Outcome::sync_failed(&c.crm_id, None, "s3", std::slice::from_ref(&n.message))
            }
            None => Outcome::sync_succeeded(&c.crm_id, None, "s3", &done),
        });
    }
    let not_sent: Vec<Value> = u
        .not_sent
        .iter()
        .map(|n| json!({ "id": n.crm_id, "message": n.message }))
        .collect();
    Ok(json!({ "files": files, "records": u.records, "not_sent": not_sent }))
}

/// The outcome event of a pushed change (none while it is held or unchanged: the CRM shows why).
fn pushed_outcome(crm_id: &str, p: &Pushed) -> Option<Outcome> {
    match p {
        // Created, but a refused association or a failed submission task: the seller must act.
        Pushed::Created { id, errors, .. } if !errors.is_empty() => {
            Some(Outcome::sync_failed(crm_id, Some(id), "api", errors))
        }
        Pushed::Created { id, submitted, .. } => Some(Outcome::sync_succeeded(
            crm_id,
            Some(id),
            "api",
            if *submitted {
                "created and submitted"
            } else {
                "created"
            },
        )),
        Pushed::Updated { id, .. } => {
            Some(Outcome::sync_succeeded(crm_id, Some(id), "api", "updated"))
        }
        Pushed::Refused { errors } => Some(Outcome::sync_failed(crm_id, None, "api", errors)),
        Pushed::Held { .. } | Pushed::Unchanged { .. } => None,
    }
}

fn record(out: &mut BatchOutcome, id: &str, done: Result<Value, PortError>) {
    match done {
        Ok(v) => {
            info!(message = %id, "CRM event handled");
            out.results.push((id.to_string(), v));
        }
        Err(e) => {
            error!(message = %id, error = %e, retryable = e.retryable, "CRM event failed");
            if e.retryable {
                out.retry.push(id.to_string());
            }
            out.results
                .push((id.to_string(), json!({ "error": e.to_string() })));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> chrono::DateTime<Utc> {
        chrono::DateTime::from_timestamp(1_796_000_000 + s, 0).unwrap()
    }

    fn settle(now: i64, delivered_before: &[(&str, u32)]) -> Settle {
        Settle {
            quiet: chrono::Duration::seconds(20),
            now: at(now),
            delivered_before: delivered_before
                .iter()
                .map(|(id, n)| (id.to_string(), *n))
                .collect(),
        }
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn hold(until: i64, messages: &[&str]) -> SettleHold {
        SettleHold {
            until: at(until),
            messages: ids(messages),
        }
    }

    #[test]
    fn a_record_edited_moments_ago_starts_a_hold_and_a_quiet_one_is_written() {
        let s = settle(100, &[]);
        assert_eq!(s.wait(&ids(&["a"]), Some(at(95)), None), Some(at(120)));
        assert_eq!(s.wait(&ids(&["a"]), Some(at(80)), None), None);
        assert_eq!(s.wait(&ids(&["a"]), None, None), None);
    }

    #[test]
    fn a_change_arriving_while_its_record_is_held_joins_the_hold_even_when_it_is_quiet() {
        let s = settle(100, &[]);
        let running = hold(110, &["a"]);
        assert_eq!(
            s.wait(&ids(&["b"]), Some(at(50)), Some(&running)),
            Some(at(110))
        );
    }

    #[test]
    fn once_a_hold_ends_its_changes_are_written_together_when_they_are_all_there() {
        let s = settle(100, &[("a", 1)]);
        let ended = hold(100, &["a", "b"]);
        assert_eq!(
            s.wait(&ids(&["a", "b", "c"]), Some(at(50)), Some(&ended)),
            None
        );
        // Some came back in another batch: these go back at once, to come again with them.
        assert_eq!(
            s.wait(&ids(&["b", "c"]), Some(at(50)), Some(&ended)),
            Some(at(100))
        );
        // All there, but the record is still being edited: a new hold.
        assert_eq!(
            s.wait(&ids(&["a", "b", "c"]), Some(at(95)), Some(&ended)),
            Some(at(120))
        );
    }

    #[test]
    fn a_record_with_a_message_held_as_often_as_allowed_is_written_whatever_its_hold() {
        let s = settle(100, &[("a", HOLDS), ("b", HOLDS - 1)]);
        let running = hold(110, &["a", "b"]);
        assert_eq!(
            s.wait(&ids(&["a", "b"]), Some(at(99)), Some(&running)),
            None
        );
        assert_eq!(
            s.wait(&ids(&["b"]), Some(at(99)), Some(&running)),
            Some(at(110))
        );
    }
}
