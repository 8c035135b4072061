//! The EventBridge events of `aws.partnercentral-selling`, typed, and the dispatcher that turns each
//! into Partner Central reads and CRM writes. Events carry ids only; the data comes from Get* calls.
//! The same function also runs the scheduled reconcile (a `Scheduled Event`).

use crate::crm::Crm;
use crate::error::PortError;
use crate::ledger::Ledger;
use crate::outcomes::{Outcome, Outcomes};
use crate::partner_central::{self, PartnerCentral};
use crate::policy::InvitationPolicy;
use acebridge_mapping::Catalog;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::info;

/// The events' source.
pub const SOURCE: &str = "aws.partnercentral-selling";

/// `detail` of Opportunity Created / Updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpportunityDetail {
    /// `AWS` or `Sandbox`.
    pub catalog: String,
    /// Schema version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<String>,
    /// The opportunity.
    pub opportunity: OpportunityRef,
}

/// `detail.opportunity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityRef {
    /// `O…`.
    pub identifier: String,
}

/// `detail` of the Engagement Invitation events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationDetail {
    /// `AWS` or `Sandbox`.
    pub catalog: String,
    /// The invitation.
    pub engagement_invitation: InvitationRef,
}

/// `detail.engagementInvitation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationRef {
    /// `engi-…`.
    pub id: String,
    /// ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// `eng-…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<String>,
    /// `Sender` / `Receiver` (compared case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_type: Option<String>,
    /// `OpportunityInvitation` / `LeadInvitation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_type: Option<String>,
    /// Expiry (Created only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

/// `detail` of Engagement Created / Engagement Updated (AWS's developer guide; its mixed key casing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementDetail {
    /// `AWS` or `Sandbox`.
    pub catalog: String,
    /// The engagement.
    pub engagement: EngagementRef,
}

/// `detail.engagement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementRef {
    /// `eng-…`.
    #[serde(rename = "engagementId")]
    pub engagement_id: String,
    /// ARN.
    #[serde(
        rename = "engagementArn",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub engagement_arn: Option<String>,
    /// Engagement Updated: when.
    #[serde(
        rename = "LastModifiedAt",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_modified_at: Option<String>,
    /// Engagement Created: when.
    #[serde(rename = "CreatedAt", default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The context types it holds (`CustomerProject`, `Lead`, …).
    #[serde(
        rename = "ContextTypes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub context_types: Option<Vec<String>>,
}

impl EngagementRef {
    /// The engagement's modification time the event reports (`LastModifiedAt`, else `CreatedAt`).
    pub fn modified_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.last_modified_at
            .as_deref()
            .or(self.created_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

/// `detail` of the engagement events acebridge acknowledges without acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogOnly {
    /// `AWS` or `Sandbox`.
    pub catalog: String,
}

/// A Partner Central event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PcEvent {
    /// Opportunity Created.
    OpportunityCreated(OpportunityDetail),
    /// Opportunity Updated.
    OpportunityUpdated(OpportunityDetail),
    /// Opportunity Accepted / Opportunity Rejected: in AWS's EventBridge reference without a documented
    /// shape; read as AWS's verdict on a submitted opportunity, with the opportunity events' detail.
    OpportunityReviewed {
        /// The detail.
        detail: OpportunityDetail,
        /// Accepted (true) or rejected (false).
        accepted: bool,
    },
    /// Engagement Invitation Created.
    InvitationCreated(InvitationDetail),
    /// Engagement Invitation Accepted.
    InvitationAccepted(InvitationDetail),
    /// Engagement Invitation Rejected.
    InvitationRejected(InvitationDetail),
    /// Engagement Invitation Expired.
    InvitationExpired(InvitationDetail),
    /// Engagement Created / Engagement Updated: a lead engagement is synced.
    EngagementChanged(EngagementDetail),
    /// Engagement Member Added / Joined / Resource Snapshot Created: nothing to sync.
    Engagement {
        /// Which.
        detail_type: String,
        /// Catalog.
        catalog: String,
    },
}

impl PcEvent {
    /// The event's catalog.
    pub fn catalog(&self) -> &str {
        match self {
            PcEvent::OpportunityCreated(d) | PcEvent::OpportunityUpdated(d) => &d.catalog,
            PcEvent::OpportunityReviewed { detail, .. } => &detail.catalog,
            PcEvent::InvitationCreated(d)
            | PcEvent::InvitationAccepted(d)
            | PcEvent::InvitationRejected(d)
            | PcEvent::InvitationExpired(d) => &d.catalog,
            PcEvent::Engagement { catalog, .. } => catalog,
            PcEvent::EngagementChanged(d) => &d.catalog,
        }
    }
}

/// What an incoming event is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A Partner Central event.
    Event(PcEvent),
    /// The reconcile schedule fired.
    Schedule,
    /// Another source or an undocumented detail-type: logged and acknowledged.
    Ignored(String),
}

/// An event that cannot be read: retrying cannot help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed \"{detail_type}\" event {id}: {field}: {message}")]
pub struct MalformedEvent {
    /// The event's detail-type.
    pub detail_type: String,
    /// The event's id.
    pub id: String,
    /// Path of the offending field in `detail`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn detail<T: DeserializeOwned>(e: &EventBridgeEvent<Value>) -> Result<T, MalformedEvent> {
    serde_path_to_error::deserialize(&e.detail).map_err(|err| MalformedEvent {
        detail_type: e.detail_type.clone(),
        id: e.id.clone().unwrap_or_default(),
        field: format!("detail.{}", err.path()),
        message: err.inner().to_string(),
    })
}

/// Reads an event.
pub fn parse(e: &EventBridgeEvent<Value>) -> Result<Parsed, MalformedEvent> {
    if e.detail_type == "Scheduled Event" {
        return Ok(Parsed::Schedule);
    }
    if e.source != SOURCE {
        return Ok(Parsed::Ignored(format!("source {}", e.source)));
    }
    let event = match e.detail_type.as_str() {
        "Opportunity Created" => PcEvent::OpportunityCreated(detail(e)?),
        "Opportunity Updated" => PcEvent::OpportunityUpdated(detail(e)?),
        "Opportunity Accepted" | "Opportunity Rejected" => match detail(e) {
            Ok(d) => PcEvent::OpportunityReviewed {
                detail: d,
                accepted: e.detail_type == "Opportunity Accepted",
            },
            // No shape is documented: one acebridge cannot read is acknowledged, not failed (the
            // Opportunity Updated that AWS sends with every change brings the same news).
            Err(why) => {
                return Ok(Parsed::Ignored(format!(
                    "{} with an undocumented detail ({}: {})",
                    e.detail_type, why.field, why.message
                )));
            }
        },
        "Engagement Invitation Created" => PcEvent::InvitationCreated(detail(e)?),
        "Engagement Invitation Accepted" => PcEvent::InvitationAccepted(detail(e)?),
        "Engagement Invitation Rejected" => PcEvent::InvitationRejected(detail(e)?),
        "Engagement Invitation Expired" => PcEvent::InvitationExpired(detail(e)?),
        "Engagement Created" | "Engagement Updated" => PcEvent::EngagementChanged(detail(e)?),
        "Engagement Member Added"
        | "Engagement Member Joined"
        | "Engagement Resource Snapshot Created"
        | "Resource Snapshot Created" => PcEvent::Engagement {
            detail_type: e.detail_type.clone(),
            catalog: detail::<CatalogOnly>(e)?.catalog,
        },
        other => return Ok(Parsed::Ignored(format!("detail-type {other}"))),
    };
    Ok(Parsed::Event(event))
}

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
}

/// Everything the handler works with.
#[derive(Debug)]
pub struct Context<'a, P, L, C, O, B = crate::budget::Uncounted> {
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
    pub budget: Option<partner_central::Budgeted<'a, B>>,
    /// The slow refresh of AWS's side after each reconcile (`None`: off).
    pub refresh: Option<partner_central::Refresh>,
    /// Where "now" comes from.
    pub clock: acebridge_clock::Clock,
}

/// Handles one event; returns what it did, as JSON for the invocation's response.
pub async fn handle<
    P: PartnerCentral,
    L: Ledger,
    C: Crm,
    O: Outcomes,
    B: crate::budget::CallCounter,
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
            let report = partner_central::reconcile_within(
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
                    partner_central::refresh_aws_side(
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
                    crate::engagements::reconcile_leads(
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
            let expiring = partner_central::expiring_referrals(
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
                partner_central::sync_opportunity(pc, ledger, crm, catalog, &id, &source, clock)
                    .await?;
            info!(opportunity = %id, outcome = ?synced, "opportunity synced");
            // CRM changes held while the opportunity could not take them go out now if it can.
            let released =
                crate::outbound::release_held(pc, ledger, crm, catalog, &id, clock).await?;
            json!({ "opportunity": id, "sync": synced, "released": released })
        }
        PcEvent::OpportunityReviewed { detail, accepted } => {
            // AWS approved or rejected a submitted opportunity: the CRM record takes the review status
            // and AWS's comments from GetOpportunity, and changes held during the review go out now.
            let id = detail.opportunity.identifier;
            let synced =
                partner_central::sync_opportunity(pc, ledger, crm, catalog, &id, &source, clock)
                    .await?;
            info!(opportunity = %id, accepted, outcome = ?synced, "AWS's review reached the CRM");
            let released =
                crate::outbound::release_held(pc, ledger, crm, catalog, &id, clock).await?;
            json!({ "opportunity": id, "reviewed": if accepted { "accepted" } else { "rejected" },
                "sync": synced, "released": released })
        }
        PcEvent::InvitationCreated(d) => {
            let id = d.engagement_invitation.id;
            let policies = partner_central::Policies {
                opportunities: cx.policy,
                leads: cx.lead_policy,
            };
            let handled = partner_central::handle_new_invitation(
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
                partner_central::sync_invitation(pc, ledger, crm, catalog, &id, &source, clock)
                    .await?;
            // A lead accepted elsewhere (the Partner Central console): its lead reaches the CRM too.
            let lead = match &invitation {
                Some(i)
                    if crate::engagements::is_lead(i)
                        && i.status.value().is_some_and(|s| s.as_api() == "ACCEPTED") =>
                {
                    match i.engagement_id.value() {
                        Some(e) => Some(
                            crate::engagements::sync_lead(
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
            match crate::engagements::on_engagement_event(
                pc, ledger, crm, catalog, &d, &source, clock,
            )
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
