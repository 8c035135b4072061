//! The CRM port on a real CRM. acebridge's DynamoDB store stays the mirror that the ordering rules
//! run on (merge, masked-never-overwrites, stale versions skipped, snapshots for diffs); every record
//! written there is then pushed, through the field mapping, to the real CRM. A push that fails fails
//! the upsert (retryable or not, as the CRM said), so the ledger does not mark the record applied and
//! the next delivery or replay pushes it again.

use crate::hubspot::Hubspot;
use crate::paths::Kind;
use crate::remote::{Push, Pushed, RemoteCrm, is_native};
use crate::salesforce::Salesforce;
use crate::transform::SyncFields;
use crate::webhook::Webhook;
use acebridge_mapping::Catalog;
use acebridge_sync::PortError;
use acebridge_sync::adapters::dynamodb::DynamoCrmStore;
use acebridge_sync::model::record::{RecordKind, SyncRecord};
use acebridge_sync::ports::crm::{Crm, CrmRecord, Upsert};
use acebridge_sync::ports::ledger::AwsResult;
use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::info;

/// One of the real CRMs.
pub enum AnyRemote {
    /// Salesforce.
    Salesforce(Box<Salesforce>),
    /// HubSpot.
    Hubspot(Box<Hubspot>),
    /// A signed webhook.
    Webhook(Box<Webhook>),
}

impl AnyRemote {
    /// Its name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            AnyRemote::Salesforce(_) => "salesforce",
            AnyRemote::Hubspot(_) => "hubspot",
            AnyRemote::Webhook(_) => "webhook",
        }
    }
}

impl RemoteCrm for AnyRemote {
    fn maps(&self, kind: Kind) -> bool {
        match self {
            AnyRemote::Salesforce(c) => c.maps(kind),
            AnyRemote::Hubspot(c) => c.maps(kind),
            AnyRemote::Webhook(c) => c.maps(kind),
        }
    }

    async fn push(&self, push: &Push<'_>) -> Result<Pushed, PortError> {
        match self {
            AnyRemote::Salesforce(c) => c.push(push).await,
            AnyRemote::Hubspot(c) => c.push(push).await,
            AnyRemote::Webhook(c) => c.push(push).await,
        }
    }

    async fn push_many(
        &self,
        pushes: &[Push<'_>],
    ) -> Result<Vec<Result<Pushed, PortError>>, PortError> {
        match self {
            AnyRemote::Salesforce(c) => c.push_many(pushes).await,
            AnyRemote::Hubspot(c) => c.push_many(pushes).await,
            AnyRemote::Webhook(c) => c.push_many(pushes).await,
        }
    }

    async fn fetch(&self, kind: Kind, native_id: &str) -> Result<Option<Value>, PortError> {
        match self {
            AnyRemote::Salesforce(c) => c.fetch(kind, native_id).await,
            AnyRemote::Hubspot(c) => c.fetch(kind, native_id).await,
            AnyRemote::Webhook(c) => c.fetch(kind, native_id).await,
        }
    }

    // Without this the deployed function (which holds an `AnyRemote`) would use the trait's default,
    // one read per record, and never HubSpot's batch read.
    async fn fetch_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, PortError> {
        match self {
            AnyRemote::Salesforce(c) => c.fetch_many(kind, ids).await,
            AnyRemote::Hubspot(c) => c.fetch_many(kind, ids).await,
            AnyRemote::Webhook(c) => c.fetch_many(kind, ids).await,
        }
    }
}

/// The store, and the real CRM behind it (none: the store is the CRM, as in the demo).
pub struct MirroredCrm<R = AnyRemote> {
    store: DynamoCrmStore,
    remote: Option<R>,
}

/// The mapping kind of a record kind (an invitation is a referral waiting for a decision).
fn kind_of(kind: RecordKind) -> Option<Kind> {
    match kind {
        RecordKind::Opportunity => Some(Kind::Opportunity),
        RecordKind::Lead => Some(Kind::Lead),
        RecordKind::Invitation => Some(Kind::Referral),
    }
}

/// AWS's answer as CRM fields.
pub fn sync_fields(result: Option<&AwsResult>) -> SyncFields {
    match result {
        None => SyncFields::default(),
        Some(r) => SyncFields {
            status: Some(if r.success { "Succeeded" } else { "Failed" }.to_string()),
            message: (!r.errors.is_empty()).then(|| r.errors.join("; ")),
        },
    }
}

impl<R: RemoteCrm> MirroredCrm<R> {
    /// The store alone, or with a real CRM.
    pub fn new(store: DynamoCrmStore, remote: Option<R>) -> Self {
        MirroredCrm { store, remote }
    }

    /// The mirror.
    pub fn store(&self) -> &DynamoCrmStore {
        &self.store
    }

    /// The real CRM, if any.
    pub fn remote(&self) -> Option<&R> {
        self.remote.as_ref()
    }

    async fn push_record(&self, record: &CrmRecord) -> Result<(), PortError> {
        let (Some(remote), Some(kind)) = (&self.remote, kind_of(record.kind)) else {
            return Ok(());
        };
        // A CRM whose mapping has no part for this kind (referrals, typically) keeps it in the store.
        if !remote.maps(kind) {
            return Ok(());
        }
        let last = self.store.last_pushed(record.kind, &record.crm_id).await?;
        let previous = last
            .as_ref()
            .and_then(|l| Some((l.get("record")?, SyncFields::from_json(l.get("sync")?))));
        let push = Push {
            kind,
            crm_id: &record.crm_id,
            native: is_native(&record.crm_id),
            ace_id: record.ace_id.as_deref(),
            record: &record.record,
            sync: sync_fields(record.aws_sync.as_ref()),
            previous,
        };
        if push.unchanged() {
            return Ok(());
        }
        let pushed = remote.push(&push).await?;
        self.store
            .set_last_pushed(
                record.kind,
                &record.crm_id,
                serde_json::json!({"record": record.record, "sync": push.sync.to_json()}),
            )
            .await?;
        info!(
            kind = kind.as_str(),
            crm_id = %record.crm_id,
            remote_id = pushed.remote_id.as_deref().unwrap_or(""),
            created = pushed.created,
            "pushed to the CRM"
        );
        Ok(())
    }

    /// Pushes every record of the mirror to the CRM with its batch API (first connection of a CRM,
    /// or after a mapping change). Returns (pushed, failed with reasons).
    pub async fn push_all(&self) -> Result<(usize, Vec<(String, PortError)>), PortError> {
        let Some(remote) = &self.remote else {
            return Ok((0, Vec::new()));
        };
        let records = self.store.all().await?;
        let mut ok = 0;
        let mut failed = Vec::new();
        for kind in [
            RecordKind::Opportunity,
            RecordKind::Lead,
            RecordKind::Invitation,
        ] {
            let of_kind: Vec<&CrmRecord> = records.iter().filter(|r| r.kind == kind).collect();
            let Some(k) = kind_of(kind).filter(|k| remote.maps(*k)) else {
                continue;
            };
            let pushes: Vec<Push<'_>> = of_kind
                .iter()
                .map(|r| Push {
                    kind: k,
                    crm_id: &r.crm_id,
                    native: is_native(&r.crm_id),
                    ace_id: r.ace_id.as_deref(),
                    record: &r.record,
                    sync: sync_fields(r.aws_sync.as_ref()),
                    // A full push: everything is written again.
                    previous: None,
                })
                .collect();
            for ((r, p), result) in of_kind
                .iter()
                .zip(&pushes)
                .zip(remote.push_many(&pushes).await?)
            {
                match result {
                    Ok(_) => {
                        ok += 1;
                        let doc = serde_json::json!({"record": r.record, "sync": p.sync.to_json()});
                        self.store.set_last_pushed(r.kind, &r.crm_id, doc).await?;
                    }
                    Err(e) => failed.push((r.crm_id.clone(), e)),
                }
            }
        }
        Ok((ok, failed))
    }
}

impl<R: RemoteCrm> Crm for MirroredCrm<R> {
    async fn upsert(
        &self,
        catalog: Catalog,
        record: &SyncRecord,
        crm_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Upsert, PortError> {
        let done = self.store.upsert(catalog, record, crm_id, now).await?;
        if matches!(done, Upsert::Stale { .. }) || self.remote.is_none() {
            return Ok(done);
        }
        if let Some(merged) = self.store.get(record.kind(), done.crm_id()).await? {
            self.push_record(&merged).await?;
        }
        Ok(done)
    }

    async fn record_aws_result(
        &self,
        kind: RecordKind,
        crm_id: &str,
        ace_id: Option<&str>,
        result: &AwsResult,
    ) -> Result<bool, PortError> {
        if !self
            .store
            .record_aws_result(kind, crm_id, ace_id, result)
            .await?
        {
            // A record that started in the CRM and has not come back from AWS yet is not in the mirror;
            // the CRM still gets AWS's answer (and AWS's id), on the record it owns.
            return match (&self.remote, kind_of(kind)) {
                (Some(remote), Some(k)) if is_native(crm_id) && remote.maps(k) => {
                    let record = match ace_id {
                        Some(id) => serde_json::json!({ "id": id }),
                        None => serde_json::json!({}),
                    };
                    let push = Push {
                        kind: k,
                        crm_id,
                        native: true,
                        ace_id,
                        record: &record,
                        sync: sync_fields(Some(result)),
                        previous: None,
                    };
                    remote.push(&push).await?;
                    Ok(true)
                }
                _ => Ok(false),
            };
        }
        if self.remote.is_some()
            && let Some(merged) = self.store.get(kind, crm_id).await?
        {
            self.push_record(&merged).await?;
        }
        Ok(true)
    }

    async fn get(&self, kind: RecordKind, crm_id: &str) -> Result<Option<CrmRecord>, PortError> {
        self.store.get(kind, crm_id).await
    }

    async fn find_by_ace_id(
        &self,
        kind: RecordKind,
        ace_id: &str,
    ) -> Result<Option<CrmRecord>, PortError> {
        self.store.find_by_ace_id(kind, ace_id).await
    }
}
