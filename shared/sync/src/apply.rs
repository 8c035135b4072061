//! One AWS record into the CRM, through the sync ledger. Both channels (ACE files, Partner Central
//! events) call this, so ordering and idempotency are the same everywhere.

use crate::metrics;
use crate::model::record::SyncRecord;
use crate::ports::crm::{Crm, Upsert};
use crate::ports::error::PortError;
use crate::ports::ledger::{
    self, AwsResult, Claim, Ledger, LedgerEntry, RecordKey, ResultTarget, Version,
};
use acebridge_clock::Clock;
use acebridge_mapping::Catalog;
use chrono::{DateTime, Utc};

/// What became of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Written to the CRM.
    Written {
        /// The CRM id.
        crm_id: String,
        /// A new AWS referral (no CRM id from AWS, first time seen).
        new_referral: bool,
    },
    /// Older than the version already applied: skipped, never applied.
    Stale,
    /// This version is already in the CRM.
    Duplicate,
}

/// Why a record could not be applied, when retrying the invocation cannot help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFailure {
    /// Wire field to blame, if one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Applies one record. `Err(PortError)` with `retryable` means: fail the invocation so it is retried
/// (the ledger entry stays `Applying` and the retry applies it again); a permanent CRM refusal is
/// recorded in the ledger and returned as `Ok(Err(..))`. Counted in the channel's metrics.
pub async fn apply_record(
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    record: &SyncRecord,
    source: &str,
    clock: &Clock,
    channel: metrics::Channel,
) -> Result<Result<Applied, RecordFailure>, PortError> {
    let result = apply(ledger, crm, catalog, record, source, clock.now()).await;
    let outcome = match &result {
        Ok(Ok(Applied::Written { .. })) => metrics::Outcome::Synced {
            lag_seconds: record
                .last_modified()
                .map(|at| (clock.now() - at).num_milliseconds() as f64 / 1000.0),
        },
        Ok(Ok(_)) => metrics::Outcome::Skipped,
        Ok(Err(_)) | Err(_) => metrics::Outcome::Failed,
    };
    metrics::record(channel, metrics::Direction::AwsToCrm, outcome);
    result
}

async fn apply(
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    record: &SyncRecord,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Result<Applied, RecordFailure>, PortError> {
    let Some(ace_id) = record.ace_id() else {
        return Ok(Err(RecordFailure {
            field: Some("apnCrmUniqueIdentifier".to_string()),
            message: "an AWS record must carry AWS's id".to_string(),
        }));
    };
    let key = RecordKey::ace(record.kind(), catalog, ace_id);
    let version = Version {
        aws_last_modified: record.last_modified(),
        content_hash: record.content_hash(),
    };
    let entry = match ledger::claim(ledger, &key, &version, source, now).await? {
        Claim::Stale(_) => return Ok(Ok(Applied::Stale)),
        Claim::Duplicate(_) => return Ok(Ok(Applied::Duplicate)),
        Claim::Claimed(entry) => entry,
    };
    let first_time = entry.crm_id.is_none();
    // A lead the other channel already brought is written onto the same CRM record.
    let matched = if first_time {
        crate::lead_identity::matching_crm_id(ledger, catalog, record, now).await?
    } else {
        None
    };
    let crm_id = entry
        .crm_id
        .as_deref()
        .or(matched.as_deref())
        .or(record.crm_id());
    match crm.upsert(catalog, record, crm_id, now).await {
        Ok(Upsert::Stale { crm_id }) => {
            if matched.is_some() {
                // The other channel's copy of this lead is already in the CRM, and newer: the CRM keeps
                // its data, and this AWS id is linked to that record (finished with its CRM id), so a
                // later update of it lands there and never makes a second lead (docs/reliability.md,
                // "One record per AWS lead or opportunity, whatever arrives first").
                ledger::finish(
                    ledger,
                    &entry,
                    Some(&crm_id),
                    Ok(()),
                    record.is_closed(),
                    None,
                    now,
                )
                .await?;
            }
            // Otherwise the CRM holds a newer version written by a concurrent claim, which owns the
            // entry.
            Ok(Ok(Applied::Stale))
        }
        Ok(done) => {
            let crm_id = done.crm_id().to_string();
            if first_time {
                crate::lead_identity::remember(ledger, catalog, record, &crm_id, now).await?;
            }
            ledger::finish(
                ledger,
                &entry,
                Some(&crm_id),
                Ok(()),
                record.is_closed(),
                Some(&record.to_json()),
                now,
            )
            .await?;
            Ok(Ok(Applied::Written {
                new_referral: first_time && record.is_new_aws_referral(),
                crm_id,
            }))
        }
        Err(e) if e.retryable => Err(e),
        Err(e) => {
            ledger::finish(
                ledger,
                &entry,
                None,
                Err(vec![e.to_string()]),
                false,
                Some(&record.to_json()),
                now,
            )
            .await?;
            Ok(Err(RecordFailure {
                field: None,
                message: e.to_string(),
            }))
        }
    }
}

/// Attaches AWS's answer about a record we sent to the ledger and to the CRM record.
pub async fn attach_result(
    ledger: &impl Ledger,
    crm: &impl Crm,
    target: ResultTarget<'_>,
    result: AwsResult,
    now: DateTime<Utc>,
) -> Result<Result<LedgerEntry, RecordFailure>, PortError> {
    let (kind, ace_id, crm_id) = (target.kind, target.ace_id, target.crm_id);
    if ace_id.is_none() && crm_id.is_none() {
        return Ok(Err(RecordFailure {
            field: Some("partnerCrmUniqueIdentifier".to_string()),
            message:
                "the result names neither apnCrmUniqueIdentifier nor partnerCrmUniqueIdentifier"
                    .to_string(),
        }));
    }
    let entry = ledger::attach_result(ledger, target, result.clone(), None, now).await?;
    let Some(crm_id) = entry.crm_id.as_deref() else {
        return Ok(Err(RecordFailure {
            field: Some("partnerCrmUniqueIdentifier".to_string()),
            message: format!(
                "no CRM record is known for {}",
                ace_id.unwrap_or("this record")
            ),
        }));
    };
    match crm.record_aws_result(kind, crm_id, ace_id, &result).await {
        Ok(true) => Ok(Ok(entry)),
        Ok(false) => Ok(Err(RecordFailure {
            field: Some("partnerCrmUniqueIdentifier".to_string()),
            message: format!("the CRM has no {kind} with id {crm_id}"),
        })),
        Err(e) if e.retryable => Err(e),
        Err(e) => Ok(Err(RecordFailure {
            field: None,
            message: e.to_string(),
        })),
    }
}
