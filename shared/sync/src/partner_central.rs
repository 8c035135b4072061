//! The Partner Central channel: the port on the Selling API, and the flows on top of it: syncing an
//! opportunity after an event, handling invitations (AWS referrals) under the invitation policy, and
//! the scheduled reconcile from the ledger's watermark.

use crate::apply::{self, Applied, RecordFailure};
use crate::crm::Crm;
use crate::error::PortError;
use crate::ledger::{self, Ledger, LedgerEntry, RecordKey};
use crate::outcomes::{Outcome, Outcomes};
use crate::policy::{Decision, InvitationPolicy, RejectionReason};
use crate::record::RecordKind;
use crate::record::SyncRecord;
use crate::tasks::{self, Follow, TaskKind, TaskState};
use acebridge_clock::Clock;
use acebridge_mapping::{Catalog, Invitation, Opportunity};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use tracing::{info, warn};

/// One entry of a ListOpportunities page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The opportunity id.
    pub id: String,
    /// Its `LastModifiedDate`.
    pub last_modified: Option<DateTime<Utc>>,
}

/// A page of changed opportunities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedPage {
    /// Oldest first.
    pub items: Vec<Changed>,
    /// The next page's token.
    pub next: Option<String>,
}

/// A field-level refusal (a `ValidationException` entry), for the CRM record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// API field name, when one is to blame.
    pub field: Option<String>,
    /// `REQUIRED_FIELD_MISSING`, `INVALID_VALUE`, …
    pub code: String,
    /// AWS's message.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {} ({})", self.message, self.code),
            None => write!(f, "{} ({})", self.message, self.code),
        }
    }
}

/// Why Partner Central refused a write (retrying the same call cannot help).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "refused")]
pub enum Refusal {
    /// `LastModifiedDate` is not the current one: read again and retry.
    Conflict {
        /// AWS's message.
        message: String,
    },
    /// `ValidationException`, field by field.
    Invalid {
        /// The errors.
        errors: Vec<FieldError>,
    },
}

/// A created opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// `O…`.
    pub id: String,
    /// Its `LastModifiedDate`.
    pub last_modified: Option<DateTime<Utc>>,
}

/// How a partner opportunity is submitted to AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// `Co-Sell` or `For Visibility Only`.
    pub involvement_type: String,
    /// `Full` or `Limited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
}

/// An invitation waiting for the partner's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvitation {
    /// `engi-…`.
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The Partner Central Selling API, as acebridge uses it.
pub trait PartnerCentral: Send + Sync {
    /// An opportunity in canonical form, with AWS's summary merged in where there is one.
    fn opportunity(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Option<Opportunity>, PortError>> + Send;

    /// Opportunities modified on or after `after`, oldest first, one page.
    fn changed_since(
        &self,
        catalog: Catalog,
        after: Option<DateTime<Utc>>,
        token: Option<String>,
    ) -> impl Future<Output = Result<ChangedPage, PortError>> + Send;

    /// An invitation in canonical form.
    fn invitation(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Option<Invitation>, PortError>> + Send;

    /// Accepts an invitation (StartEngagementByAcceptingInvitationTask) with `client_token`: the task as
    /// it is when the call answers (usually `IN_PROGRESS`; see [`tasks::follow`]).
    fn accept(
        &self,
        catalog: Catalog,
        id: &str,
        client_token: &str,
    ) -> impl Future<Output = Result<TaskState, PortError>> + Send;

    /// A task by id (ListEngagementByAcceptingInvitationTasks or ListEngagementFromOpportunityTasks,
    /// filtered on `TaskIdentifier`); `None` when Partner Central does not list it.
    fn task(
        &self,
        catalog: Catalog,
        kind: TaskKind,
        task_id: &str,
    ) -> impl Future<Output = Result<Option<TaskState>, PortError>> + Send;

    /// Rejects an invitation.
    fn reject(
        &self,
        catalog: Catalog,
        id: &str,
        reason: &RejectionReason,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Invitations received and still pending, with their title and expiry (all pages).
    fn pending_invitations(
        &self,
        catalog: Catalog,
    ) -> impl Future<Output = Result<Vec<PendingInvitation>, PortError>> + Send;

    /// CreateOpportunity with `client_token` (a retry with the same token and body returns the same id).
    fn create(
        &self,
        catalog: Catalog,
        client_token: &str,
        opportunity: &Opportunity,
    ) -> impl Future<Output = Result<Result<Created, Refusal>, PortError>> + Send;

    /// UpdateOpportunity: a full replace of `opportunity`, whose `id` and `last_modified_at` (the
    /// optimistic lock) come from a GetOpportunity. Returns the new `LastModifiedDate`.
    fn update(
        &self,
        catalog: Catalog,
        opportunity: &Opportunity,
    ) -> impl Future<Output = Result<Result<Option<DateTime<Utc>>, Refusal>, PortError>> + Send;

    /// AssociateOpportunity (`Solutions`, `AwsProducts`, `AwsMarketplaceOffers`).
    fn associate(
        &self,
        catalog: Catalog,
        id: &str,
        entity_type: &str,
        entity: &str,
    ) -> impl Future<Output = Result<Result<(), Refusal>, PortError>> + Send;

    /// AcceptEngagementInvitation (how a lead invitation is accepted; synchronous).
    fn accept_lead_invitation(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Result<(), Refusal>, PortError>> + Send;

    /// The lead of engagement `id` (GetEngagement, its `Lead` context); `None` when Partner Central
    /// has no such engagement for this partner or it holds no lead.
    fn lead(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Option<acebridge_mapping::Lead>, PortError>> + Send;

    /// One page of the engagements with a `Lead` context (ListEngagements).
    fn lead_engagements(
        &self,
        catalog: Catalog,
        token: Option<String>,
    ) -> impl Future<Output = Result<EngagementPage, PortError>> + Send;

    /// UpdateEngagementContext of `aws`'s lead context with the CRM's version `crm`, locked by `aws`'s
    /// `ModifiedAt`. Returns the engagement's new `ModifiedAt`.
    fn update_lead(
        &self,
        catalog: Catalog,
        crm: &acebridge_mapping::Lead,
        aws: &acebridge_mapping::Lead,
    ) -> impl Future<Output = Result<Result<Option<DateTime<Utc>>, Refusal>, PortError>> + Send;

    /// StartOpportunityFromEngagementTask with `client_token`: the task as it is when the call answers.
    fn convert_lead(
        &self,
        catalog: Catalog,
        engagement: &str,
        context: &str,
        client_token: &str,
    ) -> impl Future<Output = Result<Result<TaskState, Refusal>, PortError>> + Send;

    /// StartEngagementFromOpportunityTask with `client_token`: the task as it is when the call answers.
    fn submit(
        &self,
        catalog: Catalog,
        id: &str,
        client_token: &str,
        submission: &Submission,
    ) -> impl Future<Output = Result<Result<TaskState, Refusal>, PortError>> + Send;

    /// The writes the day's quota still allows (see [`crate::budget`]), counted across functions;
    /// `None` when writes are not counted.
    fn writes_left(&self) -> impl Future<Output = Result<Option<u64>, PortError>> + Send;
}

/// One entry of a ListEngagements page (lead contexts only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementListed {
    /// `eng-…`.
    pub id: String,
    /// Its `ModifiedAt`.
    pub modified_at: Option<DateTime<Utc>>,
}

/// A page of lead engagements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngagementPage {
    /// As listed.
    pub items: Vec<EngagementListed>,
    /// The next page's token.
    pub next: Option<String>,
}

/// The ClientToken of an accept: derived from the invitation, so a retried invocation (or a second
/// event) never accepts twice.
pub fn accept_token(invitation_id: &str) -> String {
    format!("acebridge-accept-{invitation_id}")
}

/// Result of syncing one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Synced {
    /// Written to the CRM.
    Written {
        /// CRM id.
        crm_id: String,
    },
    /// Older than what the CRM has.
    Stale,
    /// Already there.
    Duplicate,
    /// Partner Central has no such record (deleted, or another catalog).
    NotFound,
    /// The CRM refused it.
    Failed {
        /// Why.
        message: String,
    },
}

pub(crate) fn synced(r: Result<Applied, RecordFailure>) -> Synced {
    match r {
        Ok(Applied::Written { crm_id, .. }) => Synced::Written { crm_id },
        Ok(Applied::Stale) => Synced::Stale,
        Ok(Applied::Duplicate) => Synced::Duplicate,
        Err(f) => Synced::Failed { message: f.message },
    }
}

/// GetOpportunity (+ summary) → canonical → CRM, through the ledger.
pub async fn sync_opportunity(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    id: &str,
    source: &str,
    clock: &Clock,
) -> Result<Synced, PortError> {
    let Some(mut opportunity) = pc.opportunity(catalog, id).await? else {
        warn!(opportunity = id, "opportunity not found in Partner Central");
        return Ok(Synced::NotFound);
    };
    opportunity.catalog = Some(catalog);
    let record = SyncRecord::from(opportunity);
    Ok(synced(
        apply_now(ledger, crm, catalog, &record, source, clock).await?,
    ))
}

/// Applies a record read from Partner Central now, counted on the API channel.
async fn apply_now(
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    record: &SyncRecord,
    source: &str,
    clock: &Clock,
) -> Result<Result<apply::Applied, apply::RecordFailure>, PortError> {
    let channel = crate::metrics::Channel::Api;
    apply::apply_record(ledger, crm, catalog, record, source, clock, channel).await
}

/// GetEngagementInvitation → CRM (a pending AWS referral with its expiry, or its new status).
pub async fn sync_invitation(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    id: &str,
    source: &str,
    clock: &Clock,
) -> Result<(Synced, Option<Invitation>), PortError> {
    let Some(invitation) = pc.invitation(catalog, id).await? else {
        warn!(invitation = id, "invitation not found in Partner Central");
        return Ok((Synced::NotFound, None));
    };
    let record = SyncRecord::from(invitation.clone());
    let outcome = apply_now(ledger, crm, catalog, &record, source, clock).await?;
    Ok((synced(outcome), Some(invitation)))
}

/// What happened to a new invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationHandled {
    /// The CRM write of the pending referral.
    pub crm: Synced,
    /// The policy's decision: `wait`, `accept`, `reject`.
    pub decision: String,
    /// Why.
    pub why: Option<String>,
    /// The accept task, followed to its end, if accepted.
    pub task: Option<TaskState>,
    /// A lead invitation's decision, carried out ([`crate::engagements::carry_out`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<crate::engagements::LeadDecided>,
    /// The referral's title.
    pub title: Option<String>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The invitation policies: one for opportunity referrals, one for leads.
#[derive(Debug, Clone, Copy)]
pub struct Policies<'a> {
    /// Opportunity invitations (`INVITATION_POLICY`).
    pub opportunities: &'a InvitationPolicy,
    /// Lead invitations (`LEAD_INVITATION_POLICY`).
    pub leads: &'a InvitationPolicy,
}

/// Engagement Invitation Created: the CRM gets the pending referral, then the policy of its kind
/// decides (an opportunity's accept is a task; a lead's is AcceptEngagementInvitation).
// The ports, the catalog and the clock, passed apart (a bundle of them is the layout issue's work).
#[allow(clippy::too_many_arguments)]
pub async fn handle_new_invitation(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    policies: Policies<'_>,
    catalog: Catalog,
    id: &str,
    source: &str,
    clock: &Clock,
) -> Result<InvitationHandled, PortError> {
    let (crm_outcome, invitation) =
        sync_invitation(pc, ledger, crm, catalog, id, source, clock).await?;
    let Some(invitation) = invitation else {
        return Ok(InvitationHandled {
            crm: crm_outcome,
            decision: "none".into(),
            why: Some("not found".into()),
            task: None,
            lead: None,
            title: None,
            expires_at: None,
        });
    };
    let title = invitation.project.title.value().cloned();
    let expires_at = invitation.expires_at.value().copied();
    let pending = invitation
        .status
        .value()
        .is_none_or(|s| s.as_api() == "PENDING");
    if !pending {
        return Ok(InvitationHandled {
            crm: crm_outcome,
            decision: "none".into(),
            why: Some("no longer pending".into()),
            task: None,
            lead: None,
            title,
            expires_at,
        });
    }
    let lead = crate::engagements::is_lead(&invitation);
    let (decision, task, lead) = if lead {
        let decision = policies.leads.decide(&invitation);
        let done = crate::engagements::carry_out(
            pc,
            ledger,
            crm,
            catalog,
            &invitation,
            &decision,
            source,
            clock,
        )
        .await?;
        (decision, None, Some(done))
    } else {
        let decision = policies.opportunities.decide(&invitation);
        let task = carry_out(pc, ledger, crm, catalog, id, &decision, clock).await?;
        (decision, task, None)
    };
    let title = title.or_else(|| invitation.engagement_title.value().cloned());
    let handled = InvitationHandled {
        crm: crm_outcome,
        decision: decision.name().into(),
        why: Some(decision.why()),
        task,
        lead,
        title,
        expires_at,
    };
    if handled.decision != "wait" {
        // The CRM shows the decision (the status Partner Central now reports).
        sync_invitation(pc, ledger, crm, catalog, id, source, clock).await?;
    }
    Ok(handled)
}

/// Carries out a decision on an invitation: an accept (StartEngagementByAcceptingInvitationTask with a
/// ClientToken derived from the invitation, so it never accepts twice, followed to its end) or a reject;
/// `Wait` calls nothing. Policy decisions and CRM decisions both go through here. A failed accept is
/// returned as such, never taken for an accepted one, and shown on the referral ([`referral_failed`]).
pub async fn carry_out(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    id: &str,
    decision: &Decision,
    clock: &Clock,
) -> Result<Option<TaskState>, PortError> {
    match decision {
        Decision::Wait => Ok(None),
        Decision::Accept { why } => {
            let started = pc.accept(catalog, id, &accept_token(id)).await?;
            let task = tasks::follow(
                pc,
                catalog,
                TaskKind::AcceptInvitation,
                started,
                Follow::default(),
            )
            .await?;
            if task.is_failed() {
                warn!(invitation = id, task = %task.task_id, reason = ?task.reason_code, %why, "accepting the invitation failed");
                referral_failed(ledger, crm, catalog, id, &task, clock.now()).await?;
            } else {
                info!(invitation = id, task = %task.task_id, opportunity = ?task.opportunity_id, %why, "invitation accepted");
            }
            Ok(Some(task))
        }
        Decision::Reject { reason, why } => {
            pc.reject(catalog, id, reason).await?;
            info!(invitation = id, reason = reason.as_str(), %why, "invitation rejected");
            Ok(None)
        }
    }
}

/// A failed accept reaches the referral: the ledger entry and the CRM record of the invitation carry
/// AWS's reason code and message (the invitation stays pending in Partner Central, so a new decision can
/// still be made before it expires).
pub async fn referral_failed(
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    invitation_id: &str,
    task: &TaskState,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    let result = ledger::AwsResult {
        success: false,
        errors: vec![task.failure()],
        source: TaskKind::AcceptInvitation.operation().into(),
        at: now,
    };
    let target = ledger::ResultTarget {
        kind: RecordKind::Invitation,
        catalog,
        ace_id: Some(invitation_id),
        crm_id: None,
    };
    ledger::attach_result(ledger, target, result.clone(), now).await?;
    match crm
        .find_by_ace_id(RecordKind::Invitation, invitation_id)
        .await?
    {
        Some(record) => {
            crm.record_aws_result(
                RecordKind::Invitation,
                &record.crm_id,
                Some(invitation_id),
                &result,
            )
            .await?;
        }
        None => warn!(
            invitation = invitation_id,
            "the CRM has no referral to show the failed accept on"
        ),
    }
    Ok(())
}

/// The alert name stored in the ledger once `Referral Expiring` went out for an invitation.
pub const EXPIRING_ALERT: &str = "Referral Expiring";

/// Publishes `Referral Expiring` once for every pending invitation that expires within `within`.
/// Returns how many went out.
pub async fn expiring_referrals(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    outcomes: &impl Outcomes,
    catalog: Catalog,
    within: chrono::Duration,
    clock: &Clock,
) -> Result<usize, PortError> {
    let now = clock.now();
    let mut sent = 0;
    for inv in pc.pending_invitations(catalog).await? {
        let Some(expires) = inv.expires_at.filter(|e| *e <= now + within && *e > now) else {
            continue;
        };
        let key = RecordKey::ace(RecordKind::Invitation, catalog, &inv.id);
        let done = ledger
            .get(&key)
            .await?
            .is_some_and(|e| e.alerts.iter().any(|a| a == EXPIRING_ALERT));
        if done {
            continue;
        }
        outcomes
            .publish(&[Outcome::referral_expiring(
                &inv.id,
                inv.title.as_deref(),
                expires,
            )])
            .await?;
        ledger::edit(ledger, &key, now, |e| {
            if !e.alerts.iter().any(|a| a == EXPIRING_ALERT) {
                e.alerts.push(EXPIRING_ALERT.to_string());
            }
        })
        .await?;
        sent += 1;
    }
    Ok(sent)
}

/// What a reconcile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// The watermark it started from.
    pub from: Option<DateTime<Utc>>,
    /// The watermark it stored.
    pub to: Option<DateTime<Utc>>,
    /// ListOpportunities pages read.
    pub pages: usize,
    /// Opportunities listed.
    pub listed: usize,
    /// Written to the CRM.
    pub written: usize,
    /// Skipped: already applied.
    pub duplicate: usize,
    /// Of those, skipped without reading: the ledger had already applied the `LastModifiedDate` the list
    /// gave (GetOpportunity and GetAwsOpportunitySummary not called).
    pub unread: usize,
    /// Skipped: older than what the CRM has.
    pub stale: usize,
    /// Gone between list and get.
    pub not_found: usize,
    /// Refused by the CRM (in the ledger with their errors).
    pub failed: usize,
    /// Stopped before the deadline; the next run continues from `to`.
    pub stopped_early: bool,
    /// Stopped because the reads of the last 24 hours reached the reconcile's share of the daily quota
    /// (the rest is kept for live events and CRM writes); a later run continues from `to`.
    pub paused_for_budget: bool,
    /// Partner Central reads counted in the last 24 hours (all functions), when a budget is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads_used: Option<u64>,
}

/// The reconcile's share of the daily reads, and where every function's calls are counted.
#[derive(Debug)]
pub struct Budgeted<'a, B> {
    /// The quotas and the reserve.
    pub budget: crate::budget::DailyBudget,
    /// The counter.
    pub counter: &'a B,
}

impl<B> Clone for Budgeted<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Budgeted<'_, B> {}

/// A reconcile under way: the syncs in flight and the report they are counted in.
///
/// A `FuturesUnordered` only makes progress while it is polled, so every other step of the listing (a
/// page, a ledger lookup, a budget check) is awaited through [`Run::alongside`], which drives the syncs
/// meanwhile. Awaited on its own, a step held them all up: a read whose slot came while a ledger lookup
/// was awaited left late, together with the next ones, and the reads bunched.
struct Run<F> {
    syncs: futures_util::stream::FuturesUnordered<F>,
    report: ReconcileReport,
    /// Reads of the budget's share set aside at the last look at the counter, not yet taken.
    set_aside: u64,
}

impl<F> Run<F>
where
    F: std::future::Future<Output = (Option<DateTime<Utc>>, Result<Synced, PortError>)>,
{
    /// Awaits `step` while the syncs in flight go on; a sync that fails stops the run with its error.
    async fn alongside<T>(
        &mut self,
        step: impl std::future::Future<Output = Result<T, PortError>>,
    ) -> Result<T, PortError> {
        use futures_util::StreamExt;
        use futures_util::future::{Either, select};
        let mut step = std::pin::pin!(step);
        loop {
            if self.syncs.is_empty() {
                return step.await;
            }
            match select(step.as_mut(), self.syncs.next()).await {
                Either::Left((out, _)) => return out,
                Either::Right((Some(done), _)) => self.tally(done)?,
                Either::Right((None, _)) => {}
            }
        }
    }

    /// Waits for one sync in flight and counts it.
    async fn settle(&mut self) -> Result<(), PortError> {
        use futures_util::StreamExt;
        match self.syncs.next().await {
            Some(done) => self.tally(done),
            None => Ok(()),
        }
    }

    /// Lets every sync in flight finish (the watermark must cover only finished work); the first error
    /// of `stop` or of those syncs is returned.
    async fn drain(&mut self, stop: Result<(), PortError>) -> Result<(), PortError> {
        let mut stop = stop;
        while !self.syncs.is_empty() {
            if let Err(e) = self.settle().await
                && stop.is_ok()
            {
                stop = Err(e);
            }
        }
        stop
    }

    fn tally(
        &mut self,
        (listed, synced): (Option<DateTime<Utc>>, Result<Synced, PortError>),
    ) -> Result<(), PortError> {
        let report = &mut self.report;
        match synced? {
            Synced::Written { .. } => report.written += 1,
            Synced::Duplicate => report.duplicate += 1,
            Synced::Stale => report.stale += 1,
            Synced::NotFound => report.not_found += 1,
            Synced::Failed { .. } => report.failed += 1,
        }
        if let Some(t) = listed {
            report.to = Some(report.to.map_or(t, |w| w.max(t)));
        }
        Ok(())
    }

    /// True if the budget (if any) leaves room for `reads` more reads; records the reads used.
    ///
    /// The counter (the reads of every function in the last 24 hours) is asked at each new page
    /// (`ask`), and again whenever the reads set aside at the last ask run out; in between, the run takes
    /// its reads from what it set aside. The run's own reads are then never over its share, and another
    /// function's reads are seen within a page. Asked for every opportunity, the counter cost a
    /// 25-item BatchGetItem per opportunity, more DynamoDB work than the sync itself.
    async fn has_room<B: crate::budget::CallCounter>(
        &mut self,
        budget: Option<&Budgeted<'_, B>>,
        reads: u64,
        ask: bool,
    ) -> Result<bool, PortError> {
        let Some(b) = budget else {
            return Ok(true);
        };
        if !ask && let Some(left) = self.set_aside.checked_sub(reads) {
            self.set_aside = left;
            return Ok(true);
        }
        // The gets of those in flight are not counted yet: they come off what is left too.
        let in_flight = 2 * self.syncs.len() as u64;
        let used = self
            .alongside(b.counter.used(crate::budget::Call::Read))
            .await?;
        self.report.reads_used = Some(used);
        let left = b.budget.backfill_left(used.saturating_add(in_flight));
        let room = left >= reads;
        self.set_aside = left.saturating_sub(reads);
        if !room {
            self.report.paused_for_budget = true;
            warn!(
                reads_used = used,
                share = b.budget.backfill_reads(),
                "reconcile paused: its share of the day's Partner Central reads is spent; the next run goes on from the watermark"
            );
        }
        Ok(room)
    }
}

/// Lists every opportunity modified since the ledger's watermark (all pages, oldest first) and syncs
/// each. A first run (no watermark) backfills everything. The watermark only ever holds AWS's
/// `LastModifiedDate` values, and moves as each opportunity is done, so a run cut short loses nothing.
pub async fn reconcile(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    time_left: impl FnMut() -> bool,
    clock: &Clock,
) -> Result<ReconcileReport, PortError> {
    reconcile_within::<crate::budget::Uncounted>(pc, ledger, crm, catalog, time_left, None, clock)
        .await
}

/// [`reconcile`] within a daily budget: before each page and each read, the reads every function made in
/// the last 24 hours are checked against the reconcile's share, and the run pauses (its watermark kept)
/// when the share is spent. A backfill larger than a day's quota goes on across runs and days by itself.
pub async fn reconcile_within<B: crate::budget::CallCounter>(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    mut time_left: impl FnMut() -> bool,
    budget: Option<Budgeted<'_, B>>,
    clock: &Clock,
) -> Result<ReconcileReport, PortError> {
    let from = ledger.watermark(catalog).await?;
    // Up to RECONCILE_IN_FLIGHT opportunities are synced at once, across page boundaries: the reads keep
    // to the client's rate limiter, and each one's ledger and CRM writes overlap the next reads instead
    // of adding to them. Whatever stops the run (the end, time, the budget, an error) lets the started
    // ones finish first, so the watermark only ever covers opportunities that are done.
    let mut run = Run {
        syncs: futures_util::stream::FuturesUnordered::new(),
        report: ReconcileReport {
            from,
            to: from,
            ..ReconcileReport::default()
        },
        set_aside: 0,
    };
    let stop: Result<(), PortError> = async {
        let mut token = None;
        loop {
            if !run.has_room(budget.as_ref(), 1, true).await? {
                return Ok(());
            }
            let page = run
                .alongside(pc.changed_since(catalog, from, token.take()))
                .await?;
            run.report.pages += 1;
            run.report.listed += page.items.len();
            let held = run
                .alongside(entries_of(
                    ledger,
                    RecordKind::Opportunity,
                    catalog,
                    page.items
                        .iter()
                        .filter(|i| i.last_modified.is_some())
                        .map(|i| i.id.as_str()),
                ))
                .await?;
            for item in page.items {
                if !time_left() {
                    run.report.stopped_early = true;
                    return Ok(());
                }
                if let Some(listed) = item.last_modified
                    && has_applied(held.get(&item.id), listed)
                {
                    let report = &mut run.report;
                    report.duplicate += 1;
                    report.unread += 1;
                    report.to = Some(report.to.map_or(listed, |w| w.max(listed)));
                    continue;
                }
                while run.syncs.len() >= RECONCILE_IN_FLIGHT {
                    run.settle().await?;
                }
                // A get and, once submitted, the summary.
                if !run.has_room(budget.as_ref(), 2, false).await? {
                    return Ok(());
                }
                run.syncs.push(async move {
                    let synced =
                        sync_opportunity(pc, ledger, crm, catalog, &item.id, "reconcile", clock)
                            .await;
                    (item.last_modified, synced)
                });
            }
            match page.next {
                Some(t) => token = Some(t),
                None => return Ok(()),
            }
        }
    }
    .await;
    run.drain(stop).await?;
    finish(ledger, catalog, run.report).await
}

/// How many opportunities a reconcile syncs at once. Reads stay at the client's 10/s whatever this is;
/// it only lets one opportunity's ledger and CRM writes overlap the next ones' reads (measured by
/// `make bench-reconcile`, docs/performance.md).
pub const RECONCILE_IN_FLIGHT: usize = 4;

/// True when the ledger holds opportunity `id` synced at AWS's `LastModifiedDate` `listed` or later: the
/// events function (or an earlier run) read and applied that version, so reading it again would spend two
/// of the day's reads to learn nothing.
///
/// AWS's side (GetAwsOpportunitySummary) is part of the version applied. AWS documents that a change of it
/// sends `Opportunity Updated` (Partner Central developer guide, opportunity events), which the events
/// function applies with both reads; whether it also moves the partner opportunity's `LastModifiedDate` is
/// not documented, so a summary change whose event was lost is caught by [`refresh_aws_side`], not here.
pub(crate) async fn applied(
    ledger: &impl Ledger,
    kind: RecordKind,
    catalog: Catalog,
    id: &str,
    listed: DateTime<Utc>,
) -> Result<bool, PortError> {
    let key = RecordKey::ace(kind, catalog, id);
    Ok(has_applied(ledger.get(&key).await?.as_ref(), listed))
}

/// The ledger entries of a listed page's records, read in one request (not one each), by AWS id.
pub(crate) async fn entries_of<'a>(
    ledger: &impl Ledger,
    kind: RecordKind,
    catalog: Catalog,
    ids: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, LedgerEntry>, PortError> {
    let keys: Vec<RecordKey> = ids.map(|id| RecordKey::ace(kind, catalog, id)).collect();
    Ok(ledger
        .entries(&keys)
        .await?
        .into_iter()
        .filter_map(|e| match &e.key.id {
            ledger::RecordRef::Ace(id) => Some((id.clone(), e)),
            ledger::RecordRef::Crm(_) => None,
        })
        .collect())
}

/// [`applied`], from the record's ledger entry already read.
pub(crate) fn has_applied(entry: Option<&LedgerEntry>, listed: DateTime<Utc>) -> bool {
    entry.is_some_and(|e| {
        e.status == Some(ledger::RecordStatus::Synced)
            && e.version
                .as_ref()
                .and_then(|v| v.aws_last_modified)
                .is_some_and(|done| done >= listed)
    })
}

/// How often [`refresh_aws_side`] reads an open opportunity again, and how many at most in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    /// Once every (`AWS_SIDE_REFRESH_HOURS`, default 24).
    pub every: chrono::Duration,
    /// At most this many in one run (`AWS_SIDE_REFRESH_PER_RUN`, default 200: with hourly reconciles, 4,800
    /// a day, about 9,600 reads, a tenth of the daily quota).
    pub per_run: usize,
}

impl Refresh {
    /// From the environment, with the defaults above; `AWS_SIDE_REFRESH_HOURS=0` turns it off.
    pub fn from_env() -> Option<Self> {
        let number = |name: &str, default: i64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(default)
        };
        let hours = number("AWS_SIDE_REFRESH_HOURS", 24);
        (hours > 0).then(|| Refresh {
            every: chrono::Duration::hours(hours),
            per_run: usize::try_from(number("AWS_SIDE_REFRESH_PER_RUN", 200)).unwrap_or(200),
        })
    }
}

/// What [`refresh_aws_side`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Open opportunities due a refresh (not read again by acebridge for `every`).
    pub due: usize,
    /// Read again (GetOpportunity, and GetAwsOpportunitySummary once submitted) and applied if changed.
    pub refreshed: usize,
    /// Of those, with something new for the CRM (AWS's side changed without a new `LastModifiedDate`).
    pub changed: usize,
    /// Stopped by the daily budget or the deadline; the next run goes on with the oldest.
    pub stopped: bool,
}

/// The slow refresh of AWS's side: AWS documents that a change of its opportunity summary (AWS's stage,
/// team, involvement, insights) sends `Opportunity Updated`, not that it moves the partner opportunity's
/// `LastModifiedDate`, so a lost event could leave such a change out of the CRM for good (the reconcile lists
/// by `LastModifiedDate`). Each open opportunity is read again once every `every`, oldest first, at most
/// `per_run` in one run, within the reconcile's daily budget.
// The ports, the catalog and the clock, passed apart (a bundle of them is the layout issue's work).
#[allow(clippy::too_many_arguments)]
pub async fn refresh_aws_side<B: crate::budget::CallCounter>(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    pace: Refresh,
    mut time_left: impl FnMut() -> bool,
    budget: Option<Budgeted<'_, B>>,
    clock: &Clock,
) -> Result<RefreshReport, PortError> {
    let Refresh { every, per_run } = pace;
    let now = clock.now();
    let mut due: Vec<ledger::LedgerEntry> = ledger
        .records()
        .await?
        .into_iter()
        .filter(|e| {
            e.key.kind == RecordKind::Opportunity
                && e.key.catalog == catalog
                && e.ace_id.is_some()
                && e.closed_at.is_none()
                && e.status == Some(ledger::RecordStatus::Synced)
                && e.refreshed_at.unwrap_or(e.first_seen) + every <= now
        })
        .collect();
    due.sort_by_key(|e| e.refreshed_at.unwrap_or(e.first_seen));
    let mut report = RefreshReport {
        due: due.len(),
        ..RefreshReport::default()
    };
    for entry in due.into_iter().take(per_run) {
        let room = match &budget {
            Some(b) => b.budget.backfill_may_read(b.counter, 2).await?.0,
            None => true,
        };
        if !time_left() || !room {
            report.stopped = true;
            break;
        }
        let Some(id) = entry.ace_id.as_deref() else {
            continue;
        };
        if let Synced::Written { .. } =
            sync_opportunity(pc, ledger, crm, catalog, id, "refresh", clock).await?
        {
            report.changed += 1;
        }
        report.refreshed += 1;
        ledger::edit(ledger, &entry.key, clock.now(), |e| {
            e.refreshed_at = Some(now);
        })
        .await?;
    }
    Ok(report)
}

async fn finish(
    ledger: &impl Ledger,
    catalog: Catalog,
    report: ReconcileReport,
) -> Result<ReconcileReport, PortError> {
    if let Some(to) = report.to
        && report.to != report.from
    {
        ledger.set_watermark(catalog, to).await?;
    }
    Ok(report)
}
