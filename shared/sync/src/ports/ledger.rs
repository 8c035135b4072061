//! The sync ledger: what acebridge did with every record and file, so that a redelivered event or file
//! changes nothing, an older version never overwrites a newer one, and an operator can see why a
//! record failed.
//!
//! The port ([`Ledger`]) only stores entries with an optimistic revision check; the rules (what counts
//! as stale, duplicate, or worth applying) are pure functions here, shared by every adapter and channel.

use crate::model::field_times::FieldTimes;
use crate::model::history::{self, Step, StepKind};
use crate::model::record::RecordKind;
use crate::ports::error::PortError;
use acebridge_mapping::Catalog;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;

/// How a record is identified in the ledger: by AWS's id once known, else by the CRM id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "by", content = "id")]
pub enum RecordRef {
    /// AWS's id (`O…`, `L…`).
    Ace(String),
    /// The partner's CRM id, for a record AWS has not given an id yet.
    Crm(String),
}

/// The ledger key of a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordKey {
    /// Opportunity or lead.
    pub kind: RecordKind,
    /// Partner Central catalog (`AWS` for the prod ACE bucket, `Sandbox` for beta).
    pub catalog: Catalog,
    /// Which id.
    pub id: RecordRef,
}

impl RecordKey {
    /// Keyed by AWS's id.
    pub fn ace(kind: RecordKind, catalog: Catalog, id: &str) -> Self {
        RecordKey {
            kind,
            catalog,
            id: RecordRef::Ace(id.to_string()),
        }
    }

    /// Keyed by the CRM id.
    pub fn crm(kind: RecordKind, catalog: Catalog, id: &str) -> Self {
        RecordKey {
            kind,
            catalog,
            id: RecordRef::Crm(id.to_string()),
        }
    }

    /// The id for people: AWS's id, or `crm:<id>` while AWS has not named the record.
    pub fn display_id(&self) -> String {
        match &self.id {
            RecordRef::Ace(id) => id.clone(),
            RecordRef::Crm(id) => format!("crm:{id}"),
        }
    }

    /// The storage key, e.g. `REC#opportunity#AWS#ace#O1234567`.
    pub fn storage_key(&self) -> String {
        let (by, id) = match &self.id {
            RecordRef::Ace(id) => ("ace", id),
            RecordRef::Crm(id) => ("crm", id),
        };
        format!("REC#{}#{}#{by}#{id}", self.kind, self.catalog.as_str())
    }
}

/// The index key that finds a record by its CRM id.
pub fn crm_index_key(kind: RecordKind, catalog: Catalog, crm_id: &str) -> String {
    format!("{kind}#{}#{crm_id}", catalog.as_str())
}

/// A version of a record as AWS sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// AWS's `lastModifiedDate` / `LastModifiedDate`.
    pub aws_last_modified: Option<DateTime<Utc>>,
    /// SHA-256 of the canonical record.
    pub content_hash: String,
}

/// Where a record stands in the AWS → CRM direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Claimed by an invocation that has not finished writing the CRM (after a crash: re-applied).
    Applying,
    /// The CRM holds this version.
    Synced,
    /// The CRM refused it; `errors` says why.
    Failed,
}

/// AWS's answer to a record we sent (a processed-results file, or an API call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsResult {
    /// AWS applied it.
    pub success: bool,
    /// AWS's messages, verbatim.
    pub errors: Vec<String>,
    /// Where the answer came from (results file key, API call).
    pub source: String,
    /// When acebridge read it.
    pub at: DateTime<Utc>,
}

/// CRM changes held back because the opportunity cannot take them now (in review, or frozen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    /// The CRM's change (canonical JSON of the fields that wait).
    pub change: serde_json::Value,
    /// Why they wait, as the CRM is told.
    pub reason: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// One record in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The key.
    pub key: RecordKey,
    /// AWS's id.
    pub ace_id: Option<String>,
    /// The CRM's id.
    pub crm_id: Option<String>,
    /// The newest AWS version applied or being applied.
    pub version: Option<Version>,
    /// AWS → CRM state of that version.
    pub status: Option<RecordStatus>,
    /// Why the last AWS → CRM attempt failed.
    pub errors: Vec<String>,
    /// The file or event the version came from.
    pub source: Option<String>,
    /// AWS's answer to the last record we sent.
    pub aws_result: Option<AwsResult>,
    /// CRM changes waiting until Partner Central lets them be made.
    #[serde(default)]
    pub held: Option<Held>,
    /// The CRM's record as last sent to Partner Central: the next change is what differs from it.
    #[serde(default)]
    pub crm_snapshot: Option<serde_json::Value>,
    /// Per field of that record, the bus time of the newest CRM change written: an older change that
    /// arrives later does not put its values back (see [`crate::model::field_times`]).
    #[serde(default, skip_serializing_if = "FieldTimes::is_empty")]
    pub crm_times: FieldTimes,
    /// The AWS version last written to the CRM, canonical JSON: the next version's field changes are what
    /// differ from it (the timeline's, see [`crate::model::history`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_snapshot: Option<serde_json::Value>,
    /// The newest steps taken with the record, oldest first (see [`crate::model::history`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Step>,
    /// Alerts already published for this record (e.g. `Referral Expiring`), so each goes out once.
    #[serde(default)]
    pub alerts: Vec<String>,
    /// When the record was first seen closed (Launched, Closed Lost, rejected, expired): from then on
    /// the entry may expire after the retention period. Cleared if the record opens again.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// When the reconcile last read AWS's side of the record again on its own (see
    /// `partner_central::refresh_aws_side`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<DateTime<Utc>>,
    /// First time acebridge saw the record.
    pub first_seen: DateTime<Utc>,
    /// Last change of this entry.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock counter; every write increments it.
    pub revision: u64,
}

impl LedgerEntry {
    /// The record's last sync failed: AWS or the CRM refused it, or it could not be applied.
    pub fn has_failed(&self) -> bool {
        self.status == Some(RecordStatus::Failed)
            || self.aws_result.as_ref().is_some_and(|r| !r.success)
    }

    /// Why the record's last sync failed, for an operator: AWS's messages when AWS refused what was sent,
    /// else the AWS → CRM errors (empty when nothing failed).
    pub fn failure_reason(&self) -> String {
        match &self.aws_result {
            Some(r) if !r.success => r.errors.join("; "),
            _ => self.errors.join("; "),
        }
    }

    /// Adds a step to the record's timeline (the oldest beyond [`history::MAX_STEPS`] go).
    pub fn record_step(&mut self, step: Step) {
        history::append(&mut self.history, step);
    }

    /// A fresh entry.
    pub fn new(key: RecordKey, now: DateTime<Utc>) -> Self {
        let ace_id = match &key.id {
            RecordRef::Ace(id) => Some(id.clone()),
            RecordRef::Crm(_) => None,
        };
        let crm_id = match &key.id {
            RecordRef::Crm(id) => Some(id.clone()),
            RecordRef::Ace(_) => None,
        };
        LedgerEntry {
            key,
            ace_id,
            crm_id,
            version: None,
            status: None,
            errors: Vec::new(),
            source: None,
            aws_result: None,
            held: None,
            crm_snapshot: None,
            crm_times: FieldTimes::default(),
            aws_snapshot: None,
            history: Vec::new(),
            alerts: Vec::new(),
            refreshed_at: None,
            closed_at: None,
            first_seen: now,
            updated_at: now,
            revision: 0,
        }
    }
}

/// What became of a processed file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Being processed (or an attempt crashed: it is processed again).
    Processing,
    /// Done; failed records, if any, are in the error report.
    Done,
    /// Unreadable or over the limits; moved to `quarantine/` with its reason.
    Quarantined,
}

/// Counts of what a file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    /// Records in the file.
    pub records: usize,
    /// Applied to the CRM.
    pub applied: usize,
    /// Of which new AWS referrals.
    pub new_referrals: usize,
    /// Older than the version already applied: skipped.
    pub stale: usize,
    /// The same version already applied: skipped.
    pub duplicate: usize,
    /// Results attached to records we sent.
    pub results: usize,
    /// Could not be processed: in the error report.
    pub failed: usize,
}

/// One file in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Object key in the landing bucket.
    pub key: String,
    /// Its ETag.
    pub etag: String,
    /// Where it stands.
    pub status: FileStatus,
    /// Why it was quarantined.
    pub reason: Option<String>,
    /// What it did.
    pub counts: FileCounts,
    /// How many times processing started.
    pub attempts: u32,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl FileEntry {
    /// The storage key, `FILE#<key>#<etag>`.
    pub fn storage_key(key: &str, etag: &str) -> String {
        format!("FILE#{key}#{etag}")
    }
}

/// A conditional write lost to a concurrent writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

/// The ledger's storage. Adapters only store; the rules live in this module.
pub trait Ledger: Send + Sync {
    /// A record's entry (strongly consistent).
    fn get(
        &self,
        key: &RecordKey,
    ) -> impl Future<Output = Result<Option<LedgerEntry>, PortError>> + Send;

    /// The entries of these records (strongly consistent), read together (a reconcile reads a page's
    /// entries in one request, not one each). A record without an entry is left out.
    fn entries(
        &self,
        keys: &[RecordKey],
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, PortError>> + Send;

    /// Writes `entry` if the stored revision is still `expected` (`None`: no entry yet). The entry's
    /// own `revision` is what gets stored.
    fn put(
        &self,
        entry: &LedgerEntry,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<Result<(), Conflict>, PortError>> + Send;

    /// Removes an entry if its revision is still `expected`.
    fn delete(
        &self,
        key: &RecordKey,
        expected: u64,
    ) -> impl Future<Output = Result<Result<(), Conflict>, PortError>> + Send;

    /// The entries of a CRM id (normally one).
    fn find_by_crm_id(
        &self,
        kind: RecordKind,
        catalog: Catalog,
        crm_id: &str,
    ) -> impl Future<Output = Result<Vec<LedgerEntry>, PortError>> + Send;

    /// A file's entry.
    fn file(
        &self,
        key: &str,
        etag: &str,
    ) -> impl Future<Output = Result<Option<FileEntry>, PortError>> + Send;

    /// Stores a file's entry.
    fn put_file(&self, entry: &FileEntry) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Every record entry (operators, the demo). Pages through the whole ledger.
    fn records(&self) -> impl Future<Output = Result<Vec<LedgerEntry>, PortError>> + Send;

    /// Every file entry.
    fn files(&self) -> impl Future<Output = Result<Vec<FileEntry>, PortError>> + Send;

    /// The newest AWS `LastModifiedDate` the reconcile has fully synced up to, per catalog.
    fn watermark(
        &self,
        catalog: Catalog,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, PortError>> + Send;

    /// Moves the watermark forward (never back, whatever concurrent runs do).
    fn set_watermark(
        &self,
        catalog: Catalog,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The settle holds of these CRM records (see `crm_queue::Settle`), by CRM id. A record not held
    /// is not listed; a hold that has ended may be.
    fn holds(
        &self,
        catalog: Catalog,
        crm_ids: &[String],
    ) -> impl Future<Output = Result<HashMap<String, SettleHold>, PortError>> + Send;

    /// Stores the holds `set` (CRM id and hold) and removes those of the records `ended`.
    fn save_holds(
        &self,
        catalog: Catalog,
        set: &[(String, SettleHold)],
        ended: &[String],
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The delivery mark of a notice to a target ([`NoticeMark::storage_key`]), if any.
    fn notice_mark(
        &self,
        pk: &str,
    ) -> impl Future<Output = Result<Option<NoticeMark>, PortError>> + Send;

    /// Stores a notice mark if its stored revision is still `expected` (`None`: it must not exist).
    fn put_notice_mark(
        &self,
        mark: &NoticeMark,
        expected: Option<u64>,
    ) -> impl Future<Output = Result<Result<(), Conflict>, PortError>> + Send;

    /// Every notice mark (the console's failed notices).
    fn notice_marks(&self) -> impl Future<Output = Result<Vec<NoticeMark>, PortError>> + Send;
}

/// The delivery of one notice to one target (`acebridge-notify`): what makes a notice go out once per
/// underlying event whatever EventBridge and SQS redeliver, and what shows a notice that could not be
/// sent. The item expires (TTL) [`NOTICE_MARK_DAYS`] after it was last written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeMark {
    /// `NOTICE#<notice key>#<target>`.
    pub pk: String,
    /// The notice's idempotency key.
    pub key: String,
    /// `slack`, `teams`, …
    pub target: String,
    /// The notice's kind.
    pub kind: String,
    /// Optimistic revision.
    pub revision: u64,
    /// When it was sent; `None` until then.
    pub sent_at: Option<DateTime<Utc>>,
    /// A delivery in progress holds the mark until then; a crashed one is taken over after it.
    pub lease_until: Option<DateTime<Utc>>,
    /// Attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed (the vendor's error, no notice content).
    pub last_error: Option<String>,
    /// TTL, seconds since the epoch.
    pub expires_at: i64,
}

/// How long a notice mark is kept: longer than any redelivery (SQS keeps a message 14 days at most).
pub const NOTICE_MARK_DAYS: i64 = 30;

impl NoticeMark {
    /// The storage key of `key` sent to `target`.
    pub fn storage_key(key: &str, target: &str) -> String {
        format!("NOTICE#{key}#{target}")
    }
}

/// The outcome of claiming a notice's delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeClaim {
    /// This invocation sends it; the mark as now stored.
    Claimed(NoticeMark),
    /// It was sent already (a redelivered event).
    AlreadySent,
    /// Another invocation is sending it now.
    InFlight,
}

/// Claims the delivery of notice `key` (of `kind`) to `target` for `lease`: the first caller, or the
/// first after a failed attempt or an expired lease, gets [`NoticeClaim::Claimed`].
pub async fn claim_notice(
    ledger: &impl Ledger,
    key: &str,
    kind: &str,
    target: &str,
    now: DateTime<Utc>,
    lease: chrono::Duration,
) -> Result<NoticeClaim, PortError> {
    let pk = NoticeMark::storage_key(key, target);
    for _ in 0..CONTENTION_ATTEMPTS {
        let stored = ledger.notice_mark(&pk).await?;
        let expected = stored.as_ref().map(|m| m.revision);
        let mut mark = match stored {
            Some(m) if m.sent_at.is_some() => return Ok(NoticeClaim::AlreadySent),
            Some(m) if m.lease_until.is_some_and(|t| t > now) => return Ok(NoticeClaim::InFlight),
            Some(m) => m,
            None => NoticeMark {
                pk: pk.clone(),
                key: key.to_string(),
                target: target.to_string(),
                kind: kind.to_string(),
                revision: 0,
                sent_at: None,
                lease_until: None,
                attempts: 0,
                last_error: None,
                expires_at: 0,
            },
        };
        mark.revision += 1;
        mark.attempts += 1;
        mark.lease_until = Some(now + lease);
        mark.expires_at = (now + chrono::Duration::days(NOTICE_MARK_DAYS)).timestamp();
        if ledger.put_notice_mark(&mark, expected).await?.is_ok() {
            return Ok(NoticeClaim::Claimed(mark));
        }
    }
    Err(PortError::retryable(
        "dynamodb",
        format!("notice {pk}: too many concurrent writers"),
    ))
}

/// Records the end of a claimed delivery: sent, or failed with `error` (the lease is let go, so a later
/// delivery of the event tries again).
pub async fn finish_notice(
    ledger: &impl Ledger,
    mut mark: NoticeMark,
    error: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    let expected = mark.revision;
    mark.revision += 1;
    mark.lease_until = None;
    match error {
        None => {
            mark.sent_at = Some(now);
            mark.last_error = None;
        }
        Some(e) => mark.last_error = Some(e),
    }
    mark.expires_at = (now + chrono::Duration::days(NOTICE_MARK_DAYS)).timestamp();
    // A conflict means the lease ran out and another invocation took over: its outcome stands.
    let _ = ledger.put_notice_mark(&mark, Some(expected)).await?;
    Ok(())
}

/// A CRM record's changes held back while the record is still being edited (`crm_queue::Settle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettleHold {
    /// When the record's changes are let go.
    pub until: DateTime<Utc>,
    /// The SQS message ids of the changes held: they are written together.
    pub messages: Vec<String>,
}

/// The storage key of a CRM record's settle hold.
pub fn hold_key(catalog: Catalog, crm_id: &str) -> String {
    format!("HOLD#{}#{crm_id}", catalog.as_str())
}

/// The storage key of a catalog's reconcile watermark.
pub fn watermark_key(catalog: Catalog) -> String {
    format!("WATERMARK#{}", catalog.as_str())
}

/// What to do with an incoming version, given the ledger's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Newer than what was applied, or never applied: write it to the CRM.
    Apply,
    /// Older than the version already applied: skip it, never apply it.
    Stale,
    /// This exact version is already in the CRM: nothing to do.
    Duplicate,
}

/// The ordering rule. An entry left `Applying` or `Failed` for the same version is applied again (a
/// crashed or failed attempt); a version with the same time but other content is applied (AWS
/// unmasking a referral does not always move `lastModifiedDate`).
pub fn decide(existing: Option<&LedgerEntry>, incoming: &Version) -> Decision {
    let Some(current) = existing.and_then(|e| e.version.as_ref().map(|v| (v, e.status))) else {
        return Decision::Apply;
    };
    let (applied, status) = current;
    if let (Some(have), Some(new)) = (applied.aws_last_modified, incoming.aws_last_modified) {
        if new < have {
            return Decision::Stale;
        }
        if new > have {
            return Decision::Apply;
        }
    }
    if applied.content_hash == incoming.content_hash && status == Some(RecordStatus::Synced) {
        Decision::Duplicate
    } else {
        Decision::Apply
    }
}

/// The outcome of claiming a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This invocation owns writing the version to the CRM; the entry as now stored.
    Claimed(LedgerEntry),
    /// Older than the stored version.
    Stale(LedgerEntry),
    /// Already applied.
    Duplicate(LedgerEntry),
}

/// How many times a conditional write is retried against concurrent writers before giving up
/// (retryably).
const CONTENTION_ATTEMPTS: usize = 8;

fn contention(key: &RecordKey) -> PortError {
    PortError::retryable(
        "ledger",
        format!("{}: too many concurrent writers", key.storage_key()),
    )
}

/// Changes a ledger entry with a revision check, retrying against concurrent writers.
pub async fn edit(
    ledger: &impl Ledger,
    key: &RecordKey,
    now: DateTime<Utc>,
    change: impl Fn(&mut LedgerEntry),
) -> Result<(), PortError> {
    for _ in 0..CONTENTION_ATTEMPTS {
        let existing = ledger.get(key).await?;
        let expected = existing.as_ref().map(|e| e.revision);
        let mut entry = existing.unwrap_or_else(|| LedgerEntry::new(key.clone(), now));
        let before = entry.clone();
        change(&mut entry);
        if entry == before {
            return Ok(());
        }
        entry.updated_at = now;
        entry.revision = expected.map_or(1, |r| r + 1);
        if ledger.put(&entry, expected).await?.is_ok() {
            return Ok(());
        }
    }
    Err(PortError::retryable(
        "ledger",
        "too many concurrent writers",
    ))
}

/// Adds a step to a record's timeline (an entry is made if the record has none yet).
pub async fn record_step(
    ledger: &impl Ledger,
    key: &RecordKey,
    step: Step,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    edit(ledger, key, now, |e| e.record_step(step.clone())).await
}

/// Claims `version` of a record for this invocation, if [`decide`] says apply. Concurrent claims of
/// the same record are serialised by the revision check.
pub async fn claim(
    ledger: &impl Ledger,
    key: &RecordKey,
    version: &Version,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Claim, PortError> {
    for _ in 0..CONTENTION_ATTEMPTS {
        let existing = ledger.get(key).await?;
        match decide(existing.as_ref(), version) {
            Decision::Stale => {
                return Ok(Claim::Stale(
                    existing.unwrap_or_else(|| LedgerEntry::new(key.clone(), now)),
                ));
            }
            Decision::Duplicate => {
                return Ok(Claim::Duplicate(
                    existing.unwrap_or_else(|| LedgerEntry::new(key.clone(), now)),
                ));
            }
            Decision::Apply => {}
        }
        let expected = existing.as_ref().map(|e| e.revision);
        let mut entry = existing.unwrap_or_else(|| LedgerEntry::new(key.clone(), now));
        entry.version = Some(version.clone());
        entry.status = Some(RecordStatus::Applying);
        entry.source = Some(source.to_string());
        entry.updated_at = now;
        entry.revision = expected.map_or(1, |r| r + 1);
        if ledger.put(&entry, expected).await?.is_ok() {
            return Ok(Claim::Claimed(entry));
        }
    }
    Err(contention(key))
}

/// Records the end of an apply. `claimed` is the entry as [`claim`] stored it: it is written on from
/// there without reading it again, and read again only if a concurrent writer changed it meanwhile. If a
/// newer version was claimed meanwhile, that claim owns the entry and this call changes nothing (returns
/// false). `closed`: the version applied closes the record (see [`LedgerEntry::closed_at`]).
/// `written`: the version's canonical JSON when it was written to the CRM (or refused by it), `None` when
/// the CRM kept its own newer data and the record was only linked; the timeline's step names the fields
/// it changed since the version written before.
pub async fn finish(
    ledger: &impl Ledger,
    claimed: &LedgerEntry,
    crm_id: Option<&str>,
    outcome: Result<(), Vec<String>>,
    closed: bool,
    written: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<bool, PortError> {
    let Some(version) = claimed.version.as_ref() else {
        return Ok(false);
    };
    let mut known = Some(claimed.clone());
    for _ in 0..CONTENTION_ATTEMPTS {
        let current = match known.take() {
            Some(entry) => Some(entry),
            None => ledger.get(&claimed.key).await?,
        };
        let Some(mut entry) = current else {
            return Ok(false);
        };
        if entry.version.as_ref() != Some(version) {
            return Ok(false);
        }
        let expected = entry.revision;
        if let Some(id) = crm_id {
            entry.crm_id = Some(id.to_string());
        }
        let step = Step::new(now, StepKind::AwsToCrm, "").from_source(entry.source.as_deref());
        let step = match &outcome {
            Ok(()) => {
                entry.status = Some(RecordStatus::Synced);
                entry.errors.clear();
                entry.closed_at = closed.then(|| entry.closed_at.unwrap_or(now));
                match written {
                    Some(w) => {
                        let step = step.changing(entry.aws_snapshot.as_ref(), w);
                        entry.aws_snapshot = Some(w.clone());
                        Step {
                            summary: "AWS's version written to the CRM".into(),
                            ..step
                        }
                    }
                    None => Step {
                        summary: "Linked to the CRM record, which kept its newer data".into(),
                        ..step
                    },
                }
            }
            Err(errors) => {
                entry.status = Some(RecordStatus::Failed);
                entry.errors = errors.clone();
                let step = match written {
                    Some(w) => step.changing(entry.aws_snapshot.as_ref(), w),
                    None => step,
                };
                Step {
                    summary: "The CRM refused AWS's version".into(),
                    ..step.failed(errors.clone())
                }
            }
        };
        entry.record_step(step);
        entry.updated_at = now;
        entry.revision = expected + 1;
        if ledger.put(&entry, Some(expected)).await?.is_ok() {
            return Ok(true);
        }
    }
    Err(contention(&claimed.key))
}

/// The record an AWS answer is about, as the answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultTarget<'a> {
    /// Opportunity or lead.
    pub kind: RecordKind,
    /// Catalog.
    pub catalog: Catalog,
    /// AWS's id (`apnCrmUniqueIdentifier`), if the answer has one.
    pub ace_id: Option<&'a str>,
    /// The partner's id (`partnerCrmUniqueIdentifier`), if the answer has one.
    pub crm_id: Option<&'a str>,
}

/// Attaches AWS's answer to the record we sent, found by AWS's id or by CRM id. When AWS has just
/// assigned its id (a create), the entry moves from its CRM key to its AWS key. Returns the entry.
/// `step`: the timeline's step for it (what was sent, with its field changes), else a step saying what
/// AWS answered.
pub async fn attach_result(
    ledger: &impl Ledger,
    target: ResultTarget<'_>,
    result: AwsResult,
    step: Option<Step>,
    now: DateTime<Utc>,
) -> Result<LedgerEntry, PortError> {
    let ResultTarget {
        kind,
        catalog,
        ace_id,
        crm_id,
    } = target;
    let target = match (ace_id, crm_id) {
        (Some(a), _) => RecordKey::ace(kind, catalog, a),
        (None, Some(c)) => RecordKey::crm(kind, catalog, c),
        (None, None) => {
            return Err(PortError::permanent(
                "ledger",
                "a result must name apnCrmUniqueIdentifier or partnerCrmUniqueIdentifier",
            ));
        }
    };
    for _ in 0..CONTENTION_ATTEMPTS {
        let existing = ledger.get(&target).await?;
        // A record we created is still under its CRM key until AWS names it.
        let pending = match (&existing, ace_id, crm_id) {
            (None, Some(_), Some(c)) => ledger.get(&RecordKey::crm(kind, catalog, c)).await?,
            _ => None,
        };
        let expected = existing.as_ref().map(|e| e.revision);
        let mut entry = existing
            .or_else(|| {
                pending.clone().map(|mut p| {
                    p.key = target.clone();
                    p
                })
            })
            .unwrap_or_else(|| LedgerEntry::new(target.clone(), now));
        if let Some(a) = ace_id {
            entry.ace_id = Some(a.to_string());
        }
        if let Some(c) = crm_id {
            entry.crm_id = Some(c.to_string());
        }
        entry.aws_result = Some(result.clone());
        entry.record_step(step.clone().unwrap_or_else(|| answer_step(&result, now)));
        entry.updated_at = now;
        entry.revision = expected.map_or(1, |r| r + 1);
        if ledger.put(&entry, expected).await?.is_err() {
            continue;
        }
        if let Some(p) = pending {
            // Losing this race only leaves a stale pending entry behind, which the next result cleans.
            let _ = ledger.delete(&p.key, p.revision).await?;
        }
        return Ok(entry);
    }
    Err(contention(&target))
}

/// The timeline's step for an answer of AWS's about a record we sent.
fn answer_step(result: &AwsResult, now: DateTime<Utc>) -> Step {
    let step = Step::new(
        now,
        StepKind::AwsAnswer,
        if result.success {
            "AWS accepted what was sent"
        } else {
            "AWS refused what was sent"
        },
    )
    .from_source(Some(&result.source));
    if result.success {
        step
    } else {
        step.failed(result.errors.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn v(sec: Option<i64>, hash: &str) -> Version {
        Version {
            aws_last_modified: sec.map(|s| Utc.timestamp_opt(s, 0).single().unwrap()),
            content_hash: hash.to_string(),
        }
    }

    fn entry(version: Version, status: RecordStatus) -> LedgerEntry {
        let mut e = LedgerEntry::new(
            RecordKey::ace(RecordKind::Opportunity, Catalog::Aws, "O1"),
            Utc.timestamp_opt(1_000, 0).single().unwrap(),
        );
        e.version = Some(version);
        e.status = Some(status);
        e
    }

    #[test]
    fn a_record_never_seen_is_applied() {
        assert_eq!(decide(None, &v(Some(10), "a")), Decision::Apply);
    }

    #[test]
    fn an_older_version_is_stale_whatever_its_content() {
        let e = entry(v(Some(10), "a"), RecordStatus::Synced);
        assert_eq!(decide(Some(&e), &v(Some(9), "b")), Decision::Stale);
        assert_eq!(decide(Some(&e), &v(Some(9), "a")), Decision::Stale);
    }

    #[test]
    fn the_same_synced_version_is_a_duplicate_but_a_crashed_or_failed_one_is_applied_again() {
        let same = v(Some(10), "a");
        assert_eq!(
            decide(Some(&entry(same.clone(), RecordStatus::Synced)), &same),
            Decision::Duplicate
        );
        assert_eq!(
            decide(Some(&entry(same.clone(), RecordStatus::Applying)), &same),
            Decision::Apply
        );
        assert_eq!(
            decide(Some(&entry(same.clone(), RecordStatus::Failed)), &same),
            Decision::Apply
        );
    }

    #[test]
    fn newer_time_or_same_time_with_other_content_is_applied() {
        let e = entry(v(Some(10), "a"), RecordStatus::Synced);
        assert_eq!(decide(Some(&e), &v(Some(11), "a")), Decision::Apply);
        assert_eq!(decide(Some(&e), &v(Some(10), "b")), Decision::Apply);
        assert_eq!(decide(Some(&e), &v(None, "a")), Decision::Duplicate);
        assert_eq!(decide(Some(&e), &v(None, "b")), Decision::Apply);
    }

    #[test]
    fn storage_keys_name_kind_catalog_and_id() {
        let k = RecordKey::ace(RecordKind::Lead, Catalog::Sandbox, "L1");
        assert_eq!(k.storage_key(), "REC#lead#Sandbox#ace#L1");
        let k = RecordKey::crm(RecordKind::Opportunity, Catalog::Aws, "OP1");
        assert_eq!(k.storage_key(), "REC#opportunity#AWS#crm#OP1");
    }
}
