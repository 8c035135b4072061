//! The CRM port: what acebridge needs from any CRM (the DynamoDB store, Salesforce, HubSpot, a webhook).

use crate::model::record::{RecordKind, Summary, SyncRecord};
use crate::ports::error::PortError;
use crate::ports::ledger::AwsResult;
use acebridge_mapping::Catalog;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// A record as the CRM holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrmRecord {
    /// Opportunity or lead.
    pub kind: RecordKind,
    /// Catalog it belongs to.
    pub catalog: Catalog,
    /// The CRM's id.
    pub crm_id: String,
    /// AWS's id, once known.
    pub ace_id: Option<String>,
    /// AWS's last-modified time of the version held.
    pub aws_last_modified: Option<DateTime<Utc>>,
    /// Deadline to accept an AWS referral.
    pub accept_by: Option<DateTime<Utc>>,
    /// What list views show.
    pub summary: Summary,
    /// The canonical record (JSON), merged over every version received.
    pub record: serde_json::Value,
    /// AWS's answer to what the partner sent last (sync status + messages).
    pub aws_sync: Option<AwsResult>,
    /// Last write.
    pub updated_at: DateTime<Utc>,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upsert {
    /// A new CRM record.
    Created {
        /// Its id.
        crm_id: String,
    },
    /// An existing record, merged.
    Updated {
        /// Its id.
        crm_id: String,
    },
    /// The CRM already holds a newer AWS version: nothing written.
    Stale {
        /// Its id.
        crm_id: String,
    },
}

impl Upsert {
    /// The CRM id, whatever happened.
    pub fn crm_id(&self) -> &str {
        match self {
            Upsert::Created { crm_id } | Upsert::Updated { crm_id } | Upsert::Stale { crm_id } => {
                crm_id
            }
        }
    }
}

/// A CRM, as acebridge writes to it.
///
/// `upsert` must merge: a field absent or masked in `record` keeps the CRM's value (masked data never
/// overwrites real data), and a record whose AWS version is older than the one the CRM holds is not
/// written ([`Upsert::Stale`]).
pub trait Crm: Send + Sync {
    /// Creates or updates the record. `crm_id` is the id the ledger knows, if any.
    fn upsert(
        &self,
        catalog: Catalog,
        record: &SyncRecord,
        crm_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Upsert, PortError>> + Send;

    /// Shows AWS's answer to what the partner sent on the CRM record, and stores AWS's id if it was
    /// just assigned. `Ok(false)`: the CRM has no such record.
    fn record_aws_result(
        &self,
        kind: RecordKind,
        crm_id: &str,
        ace_id: Option<&str>,
        result: &AwsResult,
    ) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// A record by CRM id.
    fn get(
        &self,
        kind: RecordKind,
        crm_id: &str,
    ) -> impl Future<Output = Result<Option<CrmRecord>, PortError>> + Send;

    /// A record by AWS id.
    fn find_by_ace_id(
        &self,
        kind: RecordKind,
        ace_id: &str,
    ) -> impl Future<Output = Result<Option<CrmRecord>, PortError>> + Send;
}
