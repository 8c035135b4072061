//! The small port a real CRM implements: push a record's mapped fields, fetch a record's fields.

use crate::paths::Kind;
use crate::transform::SyncFields;
use acebridge_sync::PortError;
use serde_json::Value;
use std::future::Future;

/// One record to write into the CRM.
#[derive(Debug, Clone, PartialEq)]
pub struct Push<'a> {
    /// Opportunity or lead.
    pub kind: Kind,
    /// acebridge's CRM id for it (the store's key).
    pub crm_id: &'a str,
    /// True when `crm_id` is the CRM's own id (a record that came from the CRM); false for a record
    /// acebridge created from an AWS referral (`ACB-…`), which the CRM knows by its AWS id.
    pub native: bool,
    /// AWS's id, when known.
    pub ace_id: Option<&'a str>,
    /// The canonical record (merged over every version received).
    pub record: &'a Value,
    /// AWS's answer to the partner's last change.
    pub sync: SyncFields,
    /// What was last written to the CRM for this record (record and answer), if anything: only
    /// fields that differ from it are written, so a field the CRM user changed since is not
    /// overwritten with a value AWS did not change, and an unchanged record costs no API call.
    pub previous: Option<(&'a Value, SyncFields)>,
}

impl Push<'_> {
    /// True when nothing differs from what was last written.
    pub fn unchanged(&self) -> bool {
        self.previous
            .as_ref()
            .is_some_and(|(r, s)| *r == self.record && *s == self.sync)
    }
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The CRM's id of the record, when the CRM says.
    pub remote_id: Option<String>,
    /// True when the CRM created it.
    pub created: bool,
}

/// A real CRM, as the mirror writes to it and the inbound function reads from it.
pub trait RemoteCrm: Send + Sync {
    /// True when this CRM takes records of `kind` (its mapping has that part).
    fn maps(&self, kind: Kind) -> bool;

    /// Creates or updates one record.
    fn push(&self, push: &Push<'_>) -> impl Future<Output = Result<Pushed, PortError>> + Send;

    /// Creates or updates many records with the CRM's batch API; one result per record, in order.
    fn push_many(
        &self,
        pushes: &[Push<'_>],
    ) -> impl Future<Output = Result<Vec<Result<Pushed, PortError>>, PortError>> + Send;

    /// The record's CRM fields (related records nested: `{"Account": {"Name": …}}`,
    /// `{"company": {"domain": …}}`), by the CRM's id. `Ok(None)`: no such record.
    fn fetch(
        &self,
        kind: Kind,
        native_id: &str,
    ) -> impl Future<Output = Result<Option<Value>, PortError>> + Send;

    /// Many records of one kind, in the order of `ids` (`None`: no such record). By default
    /// [`FETCH_CONCURRENCY`] reads at a time; a CRM with a batch read overrides it.
    fn fetch_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Option<Value>>, PortError>> + Send {
        async move {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(FETCH_CONCURRENCY) {
                let mut reads = Vec::with_capacity(chunk.len());
                for id in chunk {
                    reads.push(self.fetch(kind, id.as_str()));
                }
                out.extend(futures_util::future::try_join_all(reads).await?);
            }
            Ok(out)
        }
    }
}

/// Reads in flight at once for CRMs without a batch read (Salesforce's REST limits are per org and
/// per 24 h, not per second; a handful in parallel keeps an inbound batch well inside its timeout).
pub const FETCH_CONCURRENCY: usize = 8;

/// False for the CRM ids acebridge's store gives records created from AWS referrals (`ACB-…`), true
/// for ids the CRM gave.
pub fn is_native(crm_id: &str) -> bool {
    !crm_id.starts_with(&acebridge_sync::adapters::dynamodb::DynamoCrmStore::new_crm_id(""))
}

/// The mapping of `kind` among an adapter's object mappings, or an error naming what is missing.
pub fn object_mapping<'a>(
    system: &'static str,
    mapping: &'a crate::config::MappingConfig,
    kind: Kind,
) -> Result<&'a crate::config::ObjectMapping, PortError> {
    mapping.object(kind).ok_or_else(|| {
        PortError::permanent(
            system,
            format!("the mapping has no {} object", kind.as_str()),
        )
    })
}
