//! Engagement invitations (AWS referrals): the pending referral in the CRM, the invitation policy's
//! decision carried out (an opportunity's accept is a task, a lead's is AcceptEngagementInvitation:
//! [`super::engagements`]), a failed accept shown on the referral, and `Referral Expiring` alerts.

use crate::model::history::{Step, StepKind};
use crate::model::policy::{Decision, InvitationPolicy};
use crate::model::record::{RecordKind, SyncRecord};
use crate::partner_central::opportunities::{Synced, apply_now, synced};
use crate::partner_central::tasks::{self, Follow};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{self, Ledger, RecordKey};
use crate::ports::outcomes::{Outcome, Outcomes};
use crate::ports::partner_central::{PartnerCentral, TaskKind, TaskState};
use acebridge_clock::Clock;
use acebridge_mapping::{Catalog, Invitation};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

/// The ClientToken of an accept: derived from the invitation, so a retried invocation (or a second
/// event) never accepts twice.
pub fn accept_token(invitation_id: &str) -> String {
    format!("acebridge-accept-{invitation_id}")
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
    /// A lead invitation's decision, carried out ([`crate::partner_central::engagements::carry_out`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead: Option<crate::partner_central::engagements::LeadDecided>,
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
    let lead = crate::partner_central::engagements::is_lead(&invitation);
    let (decision, task, lead) = if lead {
        let decision = policies.leads.decide(&invitation);
        let done = crate::partner_central::engagements::carry_out(
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
                let step = Step::new(clock.now(), StepKind::CrmToAws, format!("Accepted: {why}"))
                    .from_source(Some(TaskKind::AcceptInvitation.operation()));
                ledger::record_step(ledger, &invitation_key(catalog, id), step, clock.now())
                    .await?;
            }
            Ok(Some(task))
        }
        Decision::Reject { reason, why } => {
            pc.reject(catalog, id, reason).await?;
            info!(invitation = id, reason = reason.as_str(), %why, "invitation rejected");
            let step = Step::new(
                clock.now(),
                StepKind::CrmToAws,
                format!("Rejected ({}): {why}", reason.as_str()),
            )
            .from_source(Some("RejectEngagementInvitation"));
            ledger::record_step(ledger, &invitation_key(catalog, id), step, clock.now()).await?;
            Ok(None)
        }
    }
}

fn invitation_key(catalog: Catalog, id: &str) -> RecordKey {
    RecordKey::ace(RecordKind::Invitation, catalog, id)
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
    ledger::attach_result(ledger, target, result.clone(), None, now).await?;
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
        let key = invitation_key(catalog, &inv.id);
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
