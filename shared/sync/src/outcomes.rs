//! Outcome events on acebridge's own bus (`source` `acebridge`), so a partner can route what happened
//! to Slack, email or a ticket with an EventBridge rule: `ACE Sync Succeeded`, `ACE Sync Failed` (with
//! AWS's errors), `Referral Received`, `Referral Expiring`. Ids, titles, dates and AWS's error text —
//! no contact fields.

use crate::error::PortError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use std::future::Future;

/// The outcome events' source.
pub const SOURCE: &str = "acebridge";

/// One outcome event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// `ACE Sync Succeeded`, `ACE Sync Failed`, `Referral Received`, `Referral Expiring`.
    pub detail_type: &'static str,
    /// The detail.
    pub detail: Value,
}

impl Outcome {
    /// A CRM change reached AWS (`operation`: created, updated, submitted, decision…).
    pub fn sync_succeeded(
        crm_id: &str,
        ace_id: Option<&str>,
        channel: &str,
        operation: &str,
    ) -> Self {
        Outcome {
            detail_type: "ACE Sync Succeeded",
            detail: json!({ "crmId": crm_id, "aceId": ace_id, "channel": channel, "operation": operation }),
        }
    }

    /// AWS refused a CRM change, or it could not be sent.
    pub fn sync_failed(
        crm_id: &str,
        ace_id: Option<&str>,
        channel: &str,
        errors: &[String],
    ) -> Self {
        Outcome {
            detail_type: "ACE Sync Failed",
            detail: json!({ "crmId": crm_id, "aceId": ace_id, "channel": channel, "errors": errors }),
        }
    }

    /// CRM changes that could not be read from the CRM (a permanent error: credentials, a mapped field
    /// the CRM does not have). The CRM records are unchanged; saving them again once fixed sends them.
    pub fn crm_change_not_sent(crm: &str, crm_ids: &[String], reason: &str) -> Self {
        Outcome {
            detail_type: "CRM Change Not Sent",
            detail: json!({ "crm": crm, "crmIds": crm_ids, "reason": reason }),
        }
    }

    /// AWS referred an opportunity (an engagement invitation arrived).
    pub fn referral_received(
        invitation_id: &str,
        title: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        decision: &str,
    ) -> Self {
        Outcome {
            detail_type: "Referral Received",
            detail: json!({ "invitationId": invitation_id, "title": title,
                "expiresAt": expires_at, "policyDecision": decision }),
        }
    }

    /// An AWS referral still waits for a decision and expires soon.
    pub fn referral_expiring(
        invitation_id: &str,
        title: Option<&str>,
        expires_at: DateTime<Utc>,
    ) -> Self {
        Outcome {
            detail_type: "Referral Expiring",
            detail: json!({ "invitationId": invitation_id, "title": title, "expiresAt": expires_at }),
        }
    }
}

/// Where outcome events go.
pub trait Outcomes: Send + Sync {
    /// Publishes the events (in order; at most a few per call).
    fn publish(&self, events: &[Outcome]) -> impl Future<Output = Result<(), PortError>> + Send;
}
