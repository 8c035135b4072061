//! Opportunities: GetOpportunity (with AWS's summary) into the CRM through the ledger, and what the
//! ledger already holds of a listed version (so a listed opportunity applied before costs no read).

use crate::apply::{self, Applied, RecordFailure};
use crate::model::record::{RecordKind, SyncRecord};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{self, Ledger, LedgerEntry, RecordKey};
use crate::ports::partner_central::PartnerCentral;
use acebridge_clock::Clock;
use acebridge_mapping::Catalog;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tracing::warn;

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
pub(crate) async fn apply_now(
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
