//! Leads over the Selling API: engagements with a `Lead` context (AWS's developer guide, "Working with
//! your leads"; AWS's sample `leadToOpportunity`).
//!
//! - A lead invitation (`Engagement Invitation Created`, `payloadType: LeadInvitation`) reaches the CRM
//!   as a pending AWS referral (the invitation record, with the lead's customer and interaction), and
//!   the lead policy decides: accept (AcceptEngagementInvitation), reject (RejectEngagementInvitation)
//!   or wait for the CRM's decision. Both are idempotent: a retried invocation that finds the
//!   invitation already decided does not act again.
//! - An accepted lead lives in its engagement: GetEngagement → the CRM's lead, through the same ledger
//!   rules as opportunities (ordered by the engagement's `ModifiedAt`, content-hashed, merged so that
//!   an absent value never clears a real one). `Engagement Created` / `Engagement Updated` events and a
//!   lead reconcile (ListEngagements on the `Lead` context type, all pages) bring AWS's changes; an
//!   event or listing whose `ModifiedAt` the ledger already applied costs no read.
//! - CRM → AWS: a qualification, customer or interaction change becomes UpdateEngagementContext,
//!   locked by the `ModifiedAt` just read (a conflict is read again and applied again); a "convert"
//!   becomes StartOpportunityFromEngagementTask, followed to its end, and the new opportunity is synced
//!   to the CRM and linked from the lead.

use crate::model::policy::{Decision, RejectionReason};
use crate::model::record::{RecordKind, SyncRecord};
use crate::partner_central::opportunities::{self, Synced};
use crate::partner_central::tasks::{self, Follow};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::Ledger;
use crate::ports::partner_central::{PartnerCentral, Refusal, TaskKind, TaskState};
use acebridge_clock::Clock;
use acebridge_mapping::{Catalog, Field, Invitation, Lead, OpportunityId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::{info, warn};

/// Whether an invitation offers a lead.
pub fn is_lead(invitation: &Invitation) -> bool {
    invitation.lead.is_some()
        || invitation
            .payload_type
            .value()
            .is_some_and(|p| p.as_api() == "LeadInvitation")
}

/// What a decision on a lead invitation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "done")]
pub enum LeadDecided {
    /// Nothing called (the decision is the CRM's).
    Waiting,
    /// Accepted (now, or by an earlier invocation); the lead's CRM write.
    Accepted {
        /// The engagement.
        engagement_id: Option<String>,
        /// The CRM write of the lead.
        lead: Synced,
    },
    /// Rejected (now, or earlier).
    Rejected {
        /// The reason sent.
        reason: String,
    },
    /// Partner Central refused (e.g. the invitation expired, or was decided the other way).
    Refused {
        /// Why.
        message: String,
    },
}

/// Carries out a decision on lead invitation `invitation`: AcceptEngagementInvitation or
/// RejectEngagementInvitation. A conflict (already decided) is read again: the same decision already
/// taken is success, never a second call.
// The ports, the catalog and the clock, passed apart (a bundle of them is the layout issue's work).
#[allow(clippy::too_many_arguments)]
pub async fn carry_out(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    invitation: &Invitation,
    decision: &Decision,
    source: &str,
    clock: &Clock,
) -> Result<LeadDecided, PortError> {
    let id = invitation.id.as_str();
    let status = |i: &Invitation| i.status.value().map(|s| s.as_api().to_string());
    let wanted = match decision {
        Decision::Wait => return Ok(LeadDecided::Waiting),
        Decision::Accept { .. } => "ACCEPTED",
        Decision::Reject { .. } => "REJECTED",
    };
    // Decided already (a retried invocation, or a second event): nothing is sent again.
    let mut done = status(invitation).as_deref() == Some(wanted);
    if !done {
        let refused = match decision {
            Decision::Accept { .. } => pc.accept_lead_invitation(catalog, id).await?.err(),
            Decision::Reject { reason, .. } => {
                pc.reject(catalog, id, reason).await?;
                None
            }
            Decision::Wait => None,
        };
        if let Some(r) = refused {
            let now = pc.invitation(catalog, id).await?;
            match now.as_ref().and_then(status) {
                Some(s) if s == wanted => done = true,
                s => {
                    let message = match r {
                        Refusal::Conflict { message } => message,
                        Refusal::Invalid { errors } => errors
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    };
                    warn!(invitation = id, status = ?s, %message, "the lead invitation could not be decided");
                    return Ok(LeadDecided::Refused { message });
                }
            }
        } else {
            done = true;
        }
    }
    debug_assert!(done);
    match decision {
        Decision::Reject { reason, why } => {
            info!(invitation = id, reason = reason.as_str(), %why, "lead invitation rejected");
            Ok(LeadDecided::Rejected {
                reason: reason.as_str().to_string(),
            })
        }
        _ => {
            let engagement = invitation
                .engagement_id
                .value()
                .map(|e| e.as_str().to_string());
            let lead = match &engagement {
                Some(e) => {
                    sync_lead(pc, ledger, crm, catalog, e, Some(invitation), source, clock).await?
                }
                None => Synced::NotFound,
            };
            info!(invitation = id, engagement = ?engagement, lead = ?lead, "lead invitation accepted");
            Ok(LeadDecided::Accepted {
                engagement_id: engagement,
                lead,
            })
        }
    }
}

/// GetEngagement → the CRM's lead. `invitation`, when known, links the lead to the referral it came
/// from.
// The ports, the catalog and the clock, passed apart (a bundle of them is the layout issue's work).
#[allow(clippy::too_many_arguments)]
pub async fn sync_lead(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    engagement: &str,
    invitation: Option<&Invitation>,
    source: &str,
    clock: &Clock,
) -> Result<Synced, PortError> {
    let Some(mut lead) = pc.lead(catalog, engagement).await? else {
        warn!(engagement, "no lead in Partner Central for this engagement");
        return Ok(Synced::NotFound);
    };
    if let Some(i) = invitation {
        lead.engagement.invitation_id = Field::Value(i.id.clone());
    }
    // A converted lead keeps its link to the opportunity: AWS's engagement does not name it, and the
    // CRM's merge keeps a value the new version leaves out.
    apply(ledger, crm, catalog, lead, source, clock).await
}

async fn apply(
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    lead: Lead,
    source: &str,
    clock: &Clock,
) -> Result<Synced, PortError> {
    let record = SyncRecord::from(lead);
    let channel = crate::metrics::Channel::Api;
    let r =
        crate::apply::apply_record(ledger, crm, catalog, &record, source, clock, channel).await?;
    Ok(opportunities::synced(r))
}

/// `Engagement Created` / `Engagement Updated`: a lead engagement whose `ModifiedAt` the ledger has
/// not applied is read and synced; a version already applied costs no read; `None` for an engagement
/// without a `Lead` context (an opportunity's), which is not read either.
pub async fn on_engagement_event(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    detail: &crate::partner_central::events::EngagementDetail,
    source: &str,
    clock: &Clock,
) -> Result<Option<Synced>, PortError> {
    let e = &detail.engagement;
    if let Some(types) = &e.context_types
        && !types.iter().any(|t| t == "Lead")
    {
        return Ok(None);
    }
    if let Some(at) = e.modified_at()
        && opportunities::applied(ledger, RecordKind::Lead, catalog, &e.engagement_id, at).await?
    {
        return Ok(Some(Synced::Duplicate));
    }
    sync_lead(
        pc,
        ledger,
        crm,
        catalog,
        &e.engagement_id,
        None,
        source,
        clock,
    )
    .await
    .map(Some)
}

/// What a lead reconcile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeadReconcile {
    /// Lead engagements listed.
    pub listed: usize,
    /// Written to the CRM.
    pub written: usize,
    /// Skipped without a read: the ledger holds the listed `ModifiedAt`.
    pub unread: usize,
    /// Read, nothing new.
    pub unchanged: usize,
    /// The CRM refused.
    pub failed: usize,
    /// ListEngagements pages read.
    pub pages: usize,
    /// Stopped before the end (time).
    pub stopped_early: bool,
}

/// The lead reconcile: every page of ListEngagements on the `Lead` context type; each lead whose listed
/// `ModifiedAt` the ledger has not applied is read and synced. ListEngagements has no modified-after
/// filter (the model sorts only by `CreatedDate`), so the listing is whole; the reads are only for what
/// changed.
pub async fn reconcile_leads(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    mut time_left: impl FnMut() -> bool,
    clock: &Clock,
) -> Result<LeadReconcile, PortError> {
    let mut report = LeadReconcile::default();
    let mut token = None;
    loop {
        if !time_left() {
            report.stopped_early = true;
            return Ok(report);
        }
        let page = pc.lead_engagements(catalog, token).await?;
        report.pages += 1;
        // The whole listing comes every run: the page's ledger entries are read in one request.
        let held = opportunities::entries_of(
            ledger,
            RecordKind::Lead,
            catalog,
            page.items
                .iter()
                .filter(|i| i.modified_at.is_some())
                .map(|i| i.id.as_str()),
        )
        .await?;
        for item in page.items {
            report.listed += 1;
            if let Some(at) = item.modified_at
                && opportunities::has_applied(held.get(&item.id), at)
            {
                report.unread += 1;
                continue;
            }
            if !time_left() {
                report.stopped_early = true;
                return Ok(report);
            }
            match sync_lead(pc, ledger, crm, catalog, &item.id, None, "reconcile", clock).await? {
                Synced::Written { .. } => report.written += 1,
                Synced::Failed { .. } => report.failed += 1,
                _ => report.unchanged += 1,
            }
        }
        match page.next {
            Some(t) => token = Some(t),
            None => return Ok(report),
        }
    }
}

/// What a CRM change to a lead did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "done")]
pub enum LeadPushed {
    /// UpdateEngagementContext succeeded; the engagement's new `ModifiedAt`.
    Updated {
        /// The new `ModifiedAt`.
        modified_at: Option<DateTime<Utc>>,
        /// Conflicts read again and retried.
        conflicts: u32,
    },
    /// Converted: the opportunity and the task.
    Converted {
        /// The opportunity.
        opportunity_id: Option<String>,
        /// The task, as it ended.
        task: TaskState,
    },
    /// Partner Central refused (validation, or a failed task), as the CRM record shows.
    Refused {
        /// Why, field by field.
        errors: Vec<String>,
    },
    /// Partner Central has no such lead.
    NotFound,
}

/// How many times a lead update is read again after a conflict before it gives up (retryable).
const CONFLICT_RETRIES: u32 = 3;

/// A CRM change to lead `engagement`: UpdateEngagementContext with the CRM's qualification status,
/// customer and newest interaction, locked by the `ModifiedAt` just read; a conflict is read again and
/// applied again.
pub async fn update_from_crm(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    engagement: &str,
    change: &Lead,
    clock: &Clock,
) -> Result<LeadPushed, PortError> {
    let refused =
        |invalid: Vec<acebridge_mapping::validate::ValidationError>| LeadPushed::Refused {
            errors: invalid
                .iter()
                .map(|e| format!("{}: {} ({})", e.field, e.message, e.code.as_str()))
                .collect(),
        };
    // What AWS would refuse is refused here, before a write is spent (the interaction once AWS's
    // version says whether it is new).
    let invalid = acebridge_mapping::validate::lead_engagement_update(change, false);
    if !invalid.is_empty() {
        return Ok(refused(invalid));
    }
    let mut conflicts = 0;
    loop {
        let Some(aws) = pc.lead(catalog, engagement).await? else {
            return Ok(LeadPushed::NotFound);
        };
        let sends = acebridge_mapping::api::engagement::new_interaction(change, &aws).is_some();
        let invalid = acebridge_mapping::validate::lead_engagement_update(change, sends);
        if !invalid.is_empty() {
            return Ok(refused(invalid));
        }
        match pc.update_lead(catalog, change, &aws).await? {
            Ok(modified_at) => {
                info!(engagement, conflicts, "lead updated in Partner Central");
                // The CRM takes AWS's version (the next event for it is then a duplicate).
                sync_lead(
                    pc,
                    ledger,
                    crm,
                    catalog,
                    engagement,
                    None,
                    "crm-outbound",
                    clock,
                )
                .await?;
                return Ok(LeadPushed::Updated {
                    modified_at,
                    conflicts,
                });
            }
            Err(Refusal::Conflict { message }) if conflicts < CONFLICT_RETRIES => {
                conflicts += 1;
                warn!(engagement, conflicts, %message, "lead changed in Partner Central meanwhile: read again");
            }
            Err(Refusal::Conflict { message }) => {
                return Err(PortError::retryable(
                    "partner-central",
                    format!("UpdateEngagementContext kept conflicting: {message}"),
                ));
            }
            Err(Refusal::Invalid { errors }) => {
                return Ok(LeadPushed::Refused {
                    errors: errors.iter().map(ToString::to_string).collect(),
                });
            }
        }
    }
}

/// The ClientToken of a conversion: derived from the engagement and context, so a retried invocation
/// answers the same task and never converts twice.
pub fn convert_token(engagement: &str, context: &str) -> String {
    format!("acebridge-convert-{engagement}-{context}")
}

/// A CRM "convert": StartOpportunityFromEngagementTask, followed to its end; the new opportunity is
/// synced to the CRM, and the lead links to it.
pub async fn convert_from_crm(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    engagement: &str,
    follow: Follow,
    clock: &Clock,
) -> Result<LeadPushed, PortError> {
    let Some(lead) = pc.lead(catalog, engagement).await? else {
        return Ok(LeadPushed::NotFound);
    };
    let context = lead
        .engagement
        .context_id
        .value()
        .cloned()
        .unwrap_or_else(|| "1".into());
    let started = match pc
        .convert_lead(
            catalog,
            engagement,
            &context,
            &convert_token(engagement, &context),
        )
        .await?
    {
        Ok(t) => t,
        Err(r) => {
            return Ok(LeadPushed::Refused {
                errors: match r {
                    Refusal::Conflict { message } => vec![message],
                    Refusal::Invalid { errors } => errors.iter().map(ToString::to_string).collect(),
                },
            });
        }
    };
    let task = tasks::follow(
        pc,
        catalog,
        TaskKind::OpportunityFromEngagement,
        started,
        follow,
    )
    .await?;
    if task.is_failed() {
        warn!(engagement, task = %task.task_id, reason = ?task.reason_code, "converting the lead failed");
        return Ok(LeadPushed::Refused {
            errors: vec![task.failure()],
        });
    }
    let opportunity = task.opportunity_id.clone();
    if let Some(o) = &opportunity {
        opportunities::sync_opportunity(pc, ledger, crm, catalog, o, "lead-conversion", clock)
            .await?;
        if let (Some(mut now), Ok(id)) =
            (pc.lead(catalog, engagement).await?, OpportunityId::parse(o))
        {
            now.engagement.opportunity_id = Field::Value(id);
            apply(ledger, crm, catalog, now, "lead-conversion", clock).await?;
        }
    }
    info!(engagement, opportunity = ?opportunity, "lead converted");
    Ok(LeadPushed::Converted {
        opportunity_id: opportunity,
        task,
    })
}

/// Parses a CRM's rejection reason for a lead (the same model shape as an opportunity's).
pub fn rejection(reason: Option<&str>) -> Result<RejectionReason, String> {
    RejectionReason::parse(reason.unwrap_or("")).map_err(|e| e.to_string())
}

/// `CRM Lead Changed`: the CRM changed a lead AWS sent over the API, or asks to convert it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeadChanged {
    /// The lead's engagement (`eng-…`), the AWS id the CRM record holds.
    pub engagement_id: String,
    /// The lead as the CRM has it now (canonical; keys left out stay as AWS has them): qualification
    /// status, customer, a new interaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<Box<Lead>>,
    /// Convert the lead to an opportunity (after the update, if both are given).
    #[serde(default)]
    pub convert: bool,
}

/// Carries out a `CRM Lead Changed`: the update, then the conversion.
pub async fn push_from_crm(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    change: &LeadChanged,
    clock: &Clock,
) -> Result<Vec<LeadPushed>, PortError> {
    let mut done = Vec::new();
    if let Some(lead) = &change.lead {
        let pushed =
            update_from_crm(pc, ledger, crm, catalog, &change.engagement_id, lead, clock).await?;
        let stop = !matches!(pushed, LeadPushed::Updated { .. });
        done.push(pushed);
        if stop {
            return Ok(done);
        }
    }
    if change.convert {
        done.push(
            convert_from_crm(
                pc,
                ledger,
                crm,
                catalog,
                &change.engagement_id,
                Follow::default(),
                clock,
            )
            .await?,
        );
    }
    Ok(done)
}
