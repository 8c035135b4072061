//! The partner-central-events function's dispatcher: each event of `aws.partnercentral-selling`
//! ([`crate::partner_central::events`], re-exported here) into Partner Central reads and CRM writes, and
//! the scheduled reconcile (a `Scheduled Event`). It sits above the channel and the CRM side (a released
//! held edit is `outbound`'s), so neither depends on it.

use crate::model::policy::InvitationPolicy;
use crate::partner_central::{engagements, invitations, opportunities, reconcile};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::Ledger;
use crate::ports::outcomes::{Outcome, Outcomes};
use crate::ports::partner_central::PartnerCentral;
use acebridge_mapping::Catalog;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::{Value, json};
use tracing::info;

pub use crate::partner_central::events::*;

/// Why an event was not handled.
#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    /// The event cannot be read (not retryable).
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// A system failed (retryable or not, as it says).
    #[error(transparent)]
    Port(#[from] PortError),
}

impl HandleError {
    /// Whether retrying the invocation can help.
    pub fn retryable(&self) -> bool {
        matches!(self, HandleError::Port(e) if e.retryable)
    }

    /// The error type the on-failure destination shows, so an operator sees at once whether a redrive
    /// can help: `acebridge.MalformedEvent`, `acebridge.Retryable` or `acebridge.NotRetryable`.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandleError::Malformed(_) => "acebridge.MalformedEvent",
            HandleError::Port(p) if p.retryable => "acebridge.Retryable",
            HandleError::Port(_) => "acebridge.NotRetryable",
        }
    }
}

/// Everything the handler works with.
#[derive(Debug)]
pub struct Context<'a, P, L, C, O, B = crate::guards::budget::Uncounted> {
    /// Partner Central.
    pub pc: &'a P,
    /// The sync ledger.
    pub ledger: &'a L,
    /// The CRM.
    pub crm: &'a C,
    /// The invitation policy (opportunity referrals).
    pub policy: &'a InvitationPolicy,
    /// The lead invitation policy.
    pub lead_policy: &'a InvitationPolicy,
    /// The catalog this stack syncs; events of the other are acknowledged without calls.
    pub catalog: Catalog,
    /// Outcome events (`Referral Received`, `Referral Expiring`).
    pub outcomes: &'a O,
    /// How close to its expiry a pending referral raises `Referral Expiring`.
    pub expiring_within: chrono::Duration,
    /// The reconcile's share of the daily reads (`None`: no daily budget kept).
    pub budget: Option<reconcile::Budgeted<'a, B>>,
    /// The slow refresh of AWS's side after each reconcile (`None`: off).
    pub refresh: Option<reconcile::Refresh>,
    /// Where "now" comes from.
    pub clock: acebridge_clock::Clock,
}

/// Handles one event; returns what it did, as JSON for the invocation's response.
pub async fn handle<
    P: PartnerCentral,
    L: Ledger,
    C: Crm,
    O: Outcomes,
    B: crate::guards::budget::CallCounter,
>(
    cx: &Context<'_, P, L, C, O, B>,
    e: &EventBridgeEvent<Value>,
    mut time_left: impl FnMut() -> bool,
) -> Result<Value, HandleError> {
    let event = match parse(e)? {
        Parsed::Ignored(why) => {
            info!(detail_type = %e.detail_type, source = %e.source, %why, "event acknowledged without action");
            return Ok(json!({ "ignored": why }));
        }
        Parsed::Schedule => {
            let report = reconcile::reconcile_within(
                cx.pc,
                cx.ledger,
                cx.crm,
                cx.catalog,
                &mut time_left,
                cx.budget,
                &cx.clock,
            )
            .await?;
            if let Some(used) = report.reads_used {
                let now = cx.clock.now_millis();
                crate::metrics::flush_with(
                    &cx.clock,
                    &[
                        crate::metrics::gauge(
                            "PartnerCentralReadsUsed24h",
                            used as f64,
                            "Count",
                            now,
                        ),
                        crate::metrics::gauge(
                            "ReconcilePausedForBudget",
                            if report.paused_for_budget { 1.0 } else { 0.0 },
                            "Count",
                            now,
                        ),
                    ],
                );
            }
            info!(
                listed = report.listed,
                written = report.written,
                duplicate = report.duplicate,
                stale = report.stale,
                failed = report.failed,
                pages = report.pages,
                stopped_early = report.stopped_early,
                paused_for_budget = report.paused_for_budget,
                reads_used = report.reads_used,
                "reconcile finished"
            );
            // AWS's side of open opportunities, read again slowly (within the same budget), once the
            // reconcile itself got through.
            let refreshed = match cx.refresh {
                Some(pace) if !report.paused_for_budget && !report.stopped_early => Some(
                    reconcile::refresh_aws_side(
                        cx.pc,
                        cx.ledger,
                        cx.crm,
                        cx.catalog,
                        pace,
                        &mut time_left,
                        cx.budget,
                        &cx.clock,
                    )
                    .await?,
                ),
                _ => None,
            };
            // Leads: every lead engagement listed, the changed ones read (after the opportunities,
            // and not when their share of the reads is spent).
            let leads = if report.paused_for_budget || report.stopped_early {
                None
            } else {
                Some(
                    engagements::reconcile_leads(
                        cx.pc,
                        cx.ledger,
                        cx.crm,
                        cx.catalog,
                        &mut time_left,
                        &cx.clock,
                    )
                    .await?,
                )
            };
            let expiring = invitations::expiring_referrals(
                cx.pc,
                cx.ledger,
                cx.outcomes,
                cx.catalog,
                cx.expiring_within,
                &cx.clock,
            )
            .await?;
            return Ok(
                json!({ "reconcile": report, "refreshed": refreshed, "leads": leads, "expiring_alerts": expiring }),
            );
        }
        Parsed::Event(ev) => ev,
    };
    if event.catalog() != cx.catalog.as_str() {
        info!(detail_type = %e.detail_type, catalog = event.catalog(), "event of another catalog acknowledged");
        return Ok(json!({ "ignored": format!("catalog {}", event.catalog()) }));
    }
    if let PcEvent::InvitationCreated(d)
    | PcEvent::InvitationAccepted(d)
    | PcEvent::InvitationRejected(d)
    | PcEvent::InvitationExpired(d) = &event
        && !d
            .engagement_invitation
            .participant_type
            .as_deref()
            .is_none_or(|p| p.eq_ignore_ascii_case("receiver"))
    {
        // An invitation we sent (a submitted opportunity): its outcome arrives as Opportunity Updated.
        return Ok(json!({ "ignored": "invitation we sent" }));
    }
    let source = format!("event:{}", e.id.as_deref().unwrap_or("?"));
    let (pc, ledger, crm, catalog, clock) = (cx.pc, cx.ledger, cx.crm, cx.catalog, &cx.clock);
    let out = match event {
        PcEvent::OpportunityCreated(d) | PcEvent::OpportunityUpdated(d) => {
            let id = d.opportunity.identifier;
            let synced =
                opportunities::sync_opportunity(pc, ledger, crm, catalog, &id, &source, clock)
                    .await?;
            info!(opportunity = %id, outcome = ?synced, "opportunity synced");
            // CRM changes held while the opportunity could not take them go out now if it can.
            let released =
                crate::crm_side::outbound::release_held(pc, ledger, crm, catalog, &id, clock)
                    .await?;
            json!({ "opportunity": id, "sync": synced, "released": released })
        }
        PcEvent::OpportunityReviewed { detail, accepted } => {
            // AWS approved or rejected a submitted opportunity: the CRM record takes the review status
            // and AWS's comments from GetOpportunity, and changes held during the review go out now.
            let id = detail.opportunity.identifier;
            let synced =
                opportunities::sync_opportunity(pc, ledger, crm, catalog, &id, &source, clock)
                    .await?;
            info!(opportunity = %id, accepted, outcome = ?synced, "AWS's review reached the CRM");
            let released =
                crate::crm_side::outbound::release_held(pc, ledger, crm, catalog, &id, clock)
                    .await?;
            json!({ "opportunity": id, "reviewed": if accepted { "accepted" } else { "rejected" },
                "sync": synced, "released": released })
        }
        PcEvent::InvitationCreated(d) => {
            let id = d.engagement_invitation.id;
            let policies = invitations::Policies {
                opportunities: cx.policy,
                leads: cx.lead_policy,
            };
            let handled = invitations::handle_new_invitation(
                pc, ledger, crm, policies, catalog, &id, &source, clock,
            )
            .await?;
            let received = Outcome::referral_received(
                &id,
                handled.title.as_deref(),
                handled.expires_at,
                &handled.decision,
            );
            if let Err(e) = cx.outcomes.publish(&[received]).await {
                // The referral is in the CRM either way; the notification is best effort.
                tracing::error!(invitation = %id, error = %e, "Referral Received not published");
            }
            json!({ "invitation": id, "handled": handled })
        }
        PcEvent::InvitationAccepted(d)
        | PcEvent::InvitationRejected(d)
        | PcEvent::InvitationExpired(d) => {
            let id = d.engagement_invitation.id;
            let (synced, invitation) =
                invitations::sync_invitation(pc, ledger, crm, catalog, &id, &source, clock).await?;
            // A lead accepted elsewhere (the Partner Central console): its lead reaches the CRM too.
            let lead = match &invitation {
                Some(i)
                    if engagements::is_lead(i)
                        && i.status.value().is_some_and(|s| s.as_api() == "ACCEPTED") =>
                {
                    match i.engagement_id.value() {
                        Some(e) => Some(
                            engagements::sync_lead(
                                pc,
                                ledger,
                                crm,
                                catalog,
                                e.as_str(),
                                Some(i),
                                &source,
                                clock,
                            )
                            .await?,
                        ),
                        None => None,
                    }
                }
                _ => None,
            };
            json!({ "invitation": id, "sync": synced, "lead": lead })
        }
        PcEvent::EngagementChanged(d) => {
            match engagements::on_engagement_event(pc, ledger, crm, catalog, &d, &source, clock)
                .await?
            {
                Some(synced) => json!({ "engagement": d.engagement.engagement_id, "lead": synced }),
                None => json!({ "engagement": d.engagement.engagement_id,
                    "ignored": "no Lead context (an opportunity's engagement)" }),
            }
        }
        PcEvent::Engagement { detail_type, .. } => {
            info!(%detail_type, "engagement event acknowledged");
            json!({ "ignored": detail_type })
        }
    };
    Ok(out)
}
