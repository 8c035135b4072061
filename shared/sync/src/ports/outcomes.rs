//! Outcome events on acebridge's own bus (`source` `acebridge`), so a partner can route what happened
//! to Slack, email or a ticket with an EventBridge rule: `ACE Sync Succeeded`, `ACE Sync Failed` (with
//! AWS's errors), `Referral Received`, `Referral Expiring`. Ids, titles, dates and AWS's error text —
//! no contact fields.

use crate::ports::error::PortError;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use std::future::Future;

/// The outcome events' source.
pub const SOURCE: &str = "acebridge";

/// What an outcome event says happened: its `detail-type` on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum OutcomeKind {
    /// `ACE Sync Succeeded`.
    #[serde(rename = "ACE Sync Succeeded")]
    SyncSucceeded,
    /// `ACE Sync Failed`.
    #[serde(rename = "ACE Sync Failed")]
    SyncFailed,
    /// `CRM Change Not Sent`.
    #[serde(rename = "CRM Change Not Sent")]
    CrmChangeNotSent,
    /// `Referral Received`.
    #[serde(rename = "Referral Received")]
    ReferralReceived,
    /// `Referral Expiring`.
    #[serde(rename = "Referral Expiring")]
    ReferralExpiring,
}

impl OutcomeKind {
    /// The event's `detail-type`.
    pub fn detail_type(self) -> &'static str {
        match self {
            OutcomeKind::SyncSucceeded => "ACE Sync Succeeded",
            OutcomeKind::SyncFailed => "ACE Sync Failed",
            OutcomeKind::CrmChangeNotSent => "CRM Change Not Sent",
            OutcomeKind::ReferralReceived => "Referral Received",
            OutcomeKind::ReferralExpiring => "Referral Expiring",
        }
    }
}

/// One outcome event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// What happened (the event's `detail-type`).
    #[serde(rename = "detail_type")]
    pub kind: OutcomeKind,
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
            kind: OutcomeKind::SyncSucceeded,
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
            kind: OutcomeKind::SyncFailed,
            detail: json!({ "crmId": crm_id, "aceId": ace_id, "channel": channel, "errors": errors }),
        }
    }

    /// CRM changes that could not be read from the CRM (a permanent error: credentials, a mapped field
    /// the CRM does not have). The CRM records are unchanged; saving them again once fixed sends them.
    pub fn crm_change_not_sent(crm: &str, crm_ids: &[String], reason: &str) -> Self {
        Outcome {
            kind: OutcomeKind::CrmChangeNotSent,
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
            kind: OutcomeKind::ReferralReceived,
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
            kind: OutcomeKind::ReferralExpiring,
            detail: json!({ "invitationId": invitation_id, "title": title, "expiresAt": expires_at }),
        }
    }
}

/// Where outcome events go.
pub trait Outcomes: Send + Sync {
    /// Publishes the events (in order; at most a few per call).
    fn publish(&self, events: &[Outcome]) -> impl Future<Output = Result<(), PortError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_serializes_as_its_detail_type() {
        for kind in [
            OutcomeKind::SyncSucceeded,
            OutcomeKind::SyncFailed,
            OutcomeKind::CrmChangeNotSent,
            OutcomeKind::ReferralReceived,
            OutcomeKind::ReferralExpiring,
        ] {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                json!(kind.detail_type())
            );
        }
        let o = Outcome::sync_failed("006A", None, "api", &["refused".into()]);
        assert_eq!(o.kind, OutcomeKind::SyncFailed);
        assert_eq!(
            serde_json::to_value(&o).unwrap()["detail_type"],
            "ACE Sync Failed"
        );
    }
}
