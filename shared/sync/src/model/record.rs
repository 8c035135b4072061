//! A record AWS sends (an opportunity or a lead), as the sync layer sees it: its ids, its version and
//! a content hash, whatever channel it came from.

use acebridge_mapping::{Invitation, Lead, Opportunity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// What kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    /// An ACE opportunity (`O…`).
    Opportunity,
    /// An ACE lead (`L…`).
    Lead,
    /// A Partner Central engagement invitation (`engi-…`): an AWS referral waiting for a decision.
    Invitation,
}

impl RecordKind {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Opportunity => "opportunity",
            RecordKind::Lead => "lead",
            RecordKind::Invitation => "invitation",
        }
    }

    /// Reads [`RecordKind::as_str`] back.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "opportunity" => Some(RecordKind::Opportunity),
            "lead" => Some(RecordKind::Lead),
            "invitation" => Some(RecordKind::Invitation),
            _ => None,
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A canonical record on its way from AWS to the CRM.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncRecord {
    /// An opportunity.
    Opportunity(Box<Opportunity>),
    /// A lead.
    Lead(Box<Lead>),
    /// An engagement invitation.
    Invitation(Box<Invitation>),
}

/// What a CRM list view shows of a record: no contact data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Project title (opportunity) or company (lead).
    pub title: Option<String>,
    /// Sales stage (opportunity) or lead status.
    pub stage: Option<String>,
    /// Review status (opportunity) or lead acceptance.
    pub status: Option<String>,
    /// `AWS Referral` / `Partner Referral`.
    pub origin: Option<String>,
}

impl SyncRecord {
    /// Opportunity or lead.
    pub fn kind(&self) -> RecordKind {
        match self {
            SyncRecord::Opportunity(_) => RecordKind::Opportunity,
            SyncRecord::Lead(_) => RecordKind::Lead,
            SyncRecord::Invitation(_) => RecordKind::Invitation,
        }
    }

    /// AWS's id (`O…`, `L…`).
    pub fn ace_id(&self) -> Option<&str> {
        match self {
            SyncRecord::Opportunity(o) => o.id.value().map(|i| i.as_str()),
            SyncRecord::Lead(l) => l.ace_id(),
            SyncRecord::Invitation(i) => Some(i.id.as_str()),
        }
    }

    /// The partner's CRM id, when AWS knows it.
    pub fn crm_id(&self) -> Option<&str> {
        match self {
            SyncRecord::Opportunity(o) => o.crm_id.value().map(|i| i.as_str()),
            SyncRecord::Lead(l) => l.crm_id.value().map(|i| i.as_str()),
            SyncRecord::Invitation(_) => None,
        }
    }

    /// AWS's last-modified time: the version the ledger orders by.
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        match self {
            SyncRecord::Opportunity(o) => o.last_modified(),
            SyncRecord::Lead(l) => l.last_modified(),
            // An invitation has no modification time; its content hash tells versions apart.
            SyncRecord::Invitation(_) => None,
        }
    }

    /// The deadline to accept an AWS referral.
    pub fn accept_by(&self) -> Option<DateTime<Utc>> {
        match self {
            SyncRecord::Opportunity(o) => o.life_cycle.accept_by.value().copied(),
            SyncRecord::Lead(_) => None,
            SyncRecord::Invitation(i) => i.expires_at.value().copied(),
        }
    }

    /// The record is over: an opportunity Launched, Closed Lost or rejected by AWS; a lead disqualified
    /// or rejected; an invitation rejected or expired. Its ledger and store entries may expire after the
    /// retention period (`CLOSED_RECORD_RETENTION_DAYS`).
    pub fn is_closed(&self) -> bool {
        use acebridge_mapping::vocab::{
            InvitationStatus, LeadStage, LeadStatus, ReviewStatus, Stage,
        };
        match self {
            SyncRecord::Opportunity(o) => {
                matches!(
                    o.life_cycle.stage.value(),
                    Some(Stage::Launched | Stage::ClosedLost)
                ) || matches!(
                    o.life_cycle.review_status.value(),
                    Some(ReviewStatus::Rejected)
                )
            }
            SyncRecord::Lead(l) => {
                matches!(l.status.value(), Some(LeadStatus::Disqualified))
                    || matches!(l.stage.value(), Some(LeadStage::Rejected))
                    || l.engagement
                        .qualification_status
                        .value()
                        .map(String::as_str)
                        == Some("Disqualified")
            }
            SyncRecord::Invitation(i) => matches!(
                i.status.value(),
                Some(InvitationStatus::Rejected | InvitationStatus::Expired)
            ),
        }
    }

    /// A new AWS referral: AWS's id set and no CRM id (`partnerCrmUniqueIdentifier` blank).
    pub fn is_new_aws_referral(&self) -> bool {
        self.ace_id().is_some() && self.crm_id().is_none()
    }

    /// Reads a record back from canonical JSON.
    pub fn from_json(
        kind: RecordKind,
        json: &serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            RecordKind::Opportunity => {
                SyncRecord::Opportunity(Box::new(Opportunity::deserialize(json)?))
            }
            RecordKind::Lead => SyncRecord::Lead(Box::new(Lead::deserialize(json)?)),
            RecordKind::Invitation => {
                SyncRecord::Invitation(Box::new(Invitation::deserialize(json)?))
            }
        })
    }

    /// The record in canonical JSON (masked fields as `{"masked": true}`).
    pub fn to_json(&self) -> serde_json::Value {
        let v = match self {
            SyncRecord::Opportunity(o) => serde_json::to_value(o),
            SyncRecord::Lead(l) => serde_json::to_value(l),
            SyncRecord::Invitation(i) => serde_json::to_value(i),
        };
        v.unwrap_or(serde_json::Value::Null)
    }

    /// SHA-256 of the canonical JSON: two deliveries of the same content have the same hash.
    pub fn content_hash(&self) -> String {
        let bytes = serde_json::to_vec(&self.to_json()).unwrap_or_default();
        hex::encode(Sha256::digest(&bytes))
    }

    /// What a list view shows.
    pub fn summary(&self) -> Summary {
        let text = |f: &acebridge_mapping::Field<String>| f.value().cloned();
        match self {
            SyncRecord::Opportunity(o) => Summary {
                title: text(&o.project.title),
                stage: o.life_cycle.stage.value().map(|v| v.as_ace().to_string()),
                status: o
                    .life_cycle
                    .review_status
                    .value()
                    .map(|v| v.as_ace().to_string()),
                origin: o.origin.value().map(|v| v.as_ace().to_string()),
            },
            SyncRecord::Lead(l) => Summary {
                title: text(&l.company),
                stage: l
                    .status
                    .value()
                    .map(|v| v.as_ace().to_string())
                    .or_else(|| l.engagement.qualification_status.value().cloned()),
                status: l.stage.value().map(|v| v.as_ace().to_string()),
                origin: Some("AWS Referral".to_string()),
            },
            SyncRecord::Invitation(i) => Summary {
                title: text(&i.project.title).or_else(|| text(&i.engagement_title)),
                stage: None,
                status: i.status.value().map(|v| v.as_api().to_string()),
                origin: Some("AWS Referral".to_string()),
            },
        }
    }
}

impl From<Opportunity> for SyncRecord {
    fn from(o: Opportunity) -> Self {
        SyncRecord::Opportunity(Box::new(o))
    }
}

impl From<Lead> for SyncRecord {
    fn from(l: Lead) -> Self {
        SyncRecord::Lead(Box::new(l))
    }
}

impl From<Invitation> for SyncRecord {
    fn from(i: Invitation) -> Self {
        SyncRecord::Invitation(Box::new(i))
    }
}
