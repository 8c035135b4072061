//! Reads a file the scanner landed and applies it: opportunity and lead records to the CRM through the
//! ledger, processed-results files to the records we sent. Then the file moves to `processed/`, with an
//! error report under `failed/` for any record that could not be processed; an unreadable file, or one
//! over the limits, goes to `quarantine/` with its reason. Nothing is retried forever and nothing is lost.

use crate::apply::{self, Applied, RecordFailure};
use crate::model::record::{RecordKind, SyncRecord};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{AwsResult, FileCounts, FileEntry, FileStatus, Ledger, ResultTarget};
use crate::ports::outcomes::{Outcome, Outcomes};
use crate::ports::store::{ObjectStore, move_object};
use acebridge_clock::Clock;
use acebridge_mapping::ace::{self, AceFile, RecordsFile, WireRecord};
use acebridge_mapping::{Catalog, Field};
use aws_lambda_events::s3::S3Event;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tracing::{info, warn};

/// Where processed files go (same key below it).
pub const PROCESSED_PREFIX: &str = "processed/";
/// Where error reports go: `failed/<key>.errors.json`.
pub const FAILED_PREFIX: &str = "failed/";
/// Where unreadable files go, with `<key>.reason.json` beside them.
pub const QUARANTINE_PREFIX: &str = "quarantine/";

/// Ingest settings.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// The catalog these files belong to (`AWS` for the prod bucket, `Sandbox` for beta).
    pub catalog: Catalog,
    /// Files larger than this are quarantined.
    pub max_file_bytes: u64,
    /// Files with more records than this are quarantined.
    pub max_records: usize,
    /// The time of every ledger entry and CRM write.
    pub clock: Clock,
}

impl IngestConfig {
    /// The documented ACE limits, on `clock`.
    pub fn new(catalog: Catalog, clock: Clock) -> Self {
        IngestConfig {
            catalog,
            max_file_bytes: ace::MAX_FILE_BYTES as u64,
            max_records: ace::MAX_RECORDS,
            clock,
        }
    }

    /// Other limits, for outbound files larger than the documented inbound ones (`None`: keep).
    pub fn with_limits(mut self, max_file_bytes: Option<u64>, max_records: Option<usize>) -> Self {
        self.max_file_bytes = max_file_bytes.unwrap_or(self.max_file_bytes);
        self.max_records = max_records.unwrap_or(self.max_records);
        self
    }
}

/// One object named by an S3 notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    /// Bucket.
    pub bucket: String,
    /// Key, URL-decoded.
    pub key: String,
    /// ETag from the event, if any.
    pub etag: Option<String>,
}

/// The objects of an S3 event, with their keys decoded (S3 writes `+` for a space and `%XX` escapes).
pub fn notified_objects(event: &S3Event) -> Vec<Notified> {
    event
        .records
        .iter()
        .filter_map(|r| {
            let key = r.s3.object.key.as_deref()?;
            Some(Notified {
                bucket: r.s3.bucket.name.clone().unwrap_or_default(),
                key: decode_key(key),
                etag: r.s3.object.e_tag.clone(),
            })
        })
        .collect()
}

/// Decodes an S3 event key.
pub fn decode_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The kind of record a results file answers, from its folder.
fn results_kind(key: &str) -> RecordKind {
    if key.starts_with("lead-") {
        RecordKind::Lead
    } else {
        RecordKind::Opportunity
    }
}

/// One record that could not be processed, kept with its reason for replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRecord {
    /// Position in the file's record list.
    pub index: usize,
    /// ACE or CRM id, when there is one.
    pub id: Option<String>,
    /// Where it failed: `parse`, `convert`, `crm`, `results`.
    pub stage: String,
    /// Wire field to blame, if one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The record as it was in the file.
    pub record: serde_json::Value,
}

/// `failed/<key>.errors.json`: the records of a file that could not be processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// The file's key in the landing bucket (before it moved to `processed/`).
    pub file: String,
    /// Its ETag.
    pub etag: String,
    /// The key records were under (`opportunities`, `leads`, `inboundApiResults`).
    pub records_key: String,
    /// Payload version, for replay files.
    pub version: Option<String>,
    /// Partner id, for replay files.
    pub spms_id: Option<String>,
    /// The failed records.
    pub failed: Vec<FailedRecord>,
    /// When.
    pub at: DateTime<Utc>,
}

/// `quarantine/<key>.reason.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineReason {
    /// Original key.
    pub file: String,
    /// Its ETag.
    pub etag: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The error report's key for a file.
pub fn error_report_key(key: &str) -> String {
    format!("{FAILED_PREFIX}{key}.errors.json")
}

/// What became of a notified file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Processed; counts say what it did (failed records are in the error report).
    Processed(FileCounts),
    /// Moved to `quarantine/` with its reason.
    Quarantined(String),
    /// Already processed and moved (a redelivered notification).
    AlreadyProcessed,
    /// Gone, and the ledger has no record of it being processed (nothing to do; logged).
    Missing,
    /// Not under a folder this function reads (its own outputs, for instance).
    Ignored,
}

/// True for keys under the landing bucket's input folders.
pub fn is_input_key(key: &str) -> bool {
    crate::s3_exchange::scanner::OUTBOUND_PREFIXES
        .iter()
        .any(|p| key.starts_with(p) && key.len() > p.len())
}

/// Processes one landed file. `Err` only for failures worth retrying the invocation for.
pub async fn ingest_file(
    landing: &impl ObjectStore,
    ledger: &impl Ledger,
    crm: &impl Crm,
    outcomes: &impl Outcomes,
    config: &IngestConfig,
    key: &str,
    event_etag: Option<&str>,
) -> Result<FileOutcome, PortError> {
    if !is_input_key(key) {
        return Ok(FileOutcome::Ignored);
    }
    // The size is checked before the body is read: an oversized file is quarantined by a server-side
    // copy, so a 60 MiB upload never reaches the function's memory.
    if let Some(head) = landing.head(key).await?
        && let Some(reason) = too_big(head.info.size, config)
    {
        let entry = processing(ledger, key, &head.info.etag, config.clock.now()).await?;
        return quarantined(landing, ledger, entry, reason, config.clock.now()).await;
    }
    let Some(object) = landing.get(key).await? else {
        let done = match event_etag {
            Some(etag) => ledger
                .file(key, etag)
                .await?
                .is_some_and(|f| f.status != FileStatus::Processing),
            None => false,
        };
        if done {
            return Ok(FileOutcome::AlreadyProcessed);
        }
        warn!(
            file = key,
            "notified file is gone and the ledger has no record of processing it"
        );
        return Ok(FileOutcome::Missing);
    };
    let etag = object.head.info.etag.clone();
    let now = config.clock.now();
    let mut entry = processing(ledger, key, &etag, now).await?;

    // Checked again: the object may have been replaced since its head was read.
    let parsed = match too_big(object.head.info.size, config) {
        Some(reason) => Err(reason),
        None => ace::parse(&object.body).map_err(|e| e.to_string()),
    };
    let parsed = parsed.and_then(|f| {
        let n = record_count(&f);
        if n > config.max_records {
            Err(format!(
                "the file has {n} records, over the limit of {}",
                config.max_records
            ))
        } else {
            Ok(f)
        }
    });
    let file = match parsed {
        Ok(f) => f,
        Err(reason) => {
            return quarantined(landing, ledger, entry, reason, config.clock.now()).await;
        }
    };

    let mut tally = Tally::default();
    let mut published = Vec::new();
    let (records_key, version, spms_id) = match &file {
        AceFile::Opportunities(f) => apply_records(ledger, crm, config, key, f, &mut tally).await?,
        AceFile::Leads(f) => apply_records(ledger, crm, config, key, f, &mut tally).await?,
        AceFile::Results(r) => {
            let results = r.to_canonical();
            let kind = results_kind(key);
            let records = match results.records {
                Field::Value(v) => v,
                _ => Vec::new(),
            };
            tally.counts.records = records.len();
            let raw: Vec<serde_json::Value> = r
                .inbound_api_results
                .as_value()
                .map(|v| {
                    v.iter()
                        .map(|x| serde_json::to_value(x).unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            for (index, rec) in records.into_iter().enumerate() {
                let result = AwsResult {
                    success: rec.success.value().copied().unwrap_or(false),
                    errors: rec.errors.value().cloned().unwrap_or_default(),
                    source: key.to_string(),
                    at: now,
                };
                let ace_id = rec.ace_id.value().map(String::as_str);
                let crm_id = rec.crm_id.value().map(String::as_str);
                let target = ResultTarget {
                    kind,
                    catalog: config.catalog,
                    ace_id,
                    crm_id,
                };
                let id = crm_id.or(ace_id).unwrap_or_default();
                let (success, mut errors) = (result.success, result.errors.clone());
                let outcome = apply::attach_result(ledger, crm, target, result, now).await?;
                // The outcome event says what the CRM now shows: a result that reached no CRM record is a
                // failure of the sync whatever AWS answered (the error report says the same).
                if let Err(f) = &outcome {
                    errors.push(f.message.clone());
                }
                published.push(if success && outcome.is_ok() {
                    Outcome::sync_succeeded(id, ace_id, "s3", "accepted in a results file")
                } else {
                    Outcome::sync_failed(id, ace_id, "s3", &errors)
                });
                match outcome {
                    Ok(_) => tally.counts.results += 1,
                    Err(f) => tally.failed.push(failed_record(
                        index,
                        ace_id.or(crm_id).map(str::to_string),
                        "results",
                        f,
                        raw.get(index).cloned().unwrap_or_default(),
                    )),
                }
            }
            (
                "inboundApiResults".to_string(),
                None,
                r.spms_id.as_value().cloned(),
            )
        }
    };
    let Tally { mut counts, failed } = tally;
    counts.failed = failed.len();

    if !failed.is_empty() {
        let report = ErrorReport {
            file: key.to_string(),
            etag: etag.clone(),
            records_key,
            version,
            spms_id,
            failed,
            at: now,
        };
        let body = serde_json::to_vec_pretty(&report)
            .map_err(|e| PortError::permanent("ingest", e.to_string()))?;
        landing
            .put(&error_report_key(key), body, BTreeMap::new())
            .await?;
    }
    move_object(landing, object, &format!("{PROCESSED_PREFIX}{key}")).await?;
    if !published.is_empty()
        && let Err(e) = outcomes.publish(&published).await
    {
        // The ledger and the CRM records have the outcome; the notification is best effort.
        warn!(file = key, error = %e, "outcome events not published");
    }
    entry.status = FileStatus::Done;
    entry.counts = counts.clone();
    entry.updated_at = config.clock.now();
    ledger.put_file(&entry).await?;
    info!(
        file = key,
        records = counts.records,
        applied = counts.applied,
        new_referrals = counts.new_referrals,
        stale = counts.stale,
        duplicate = counts.duplicate,
        results = counts.results,
        failed = counts.failed,
        "file processed"
    );
    Ok(FileOutcome::Processed(counts))
}

/// What a file's records did, as they are processed.
#[derive(Debug, Default)]
struct Tally {
    counts: FileCounts,
    failed: Vec<FailedRecord>,
}

fn record_count(file: &AceFile) -> usize {
    match file {
        AceFile::Opportunities(f) => f.records.len(),
        AceFile::Leads(f) => f.records.len(),
        AceFile::Results(r) => r.inbound_api_results.as_value().map_or(0, Vec::len),
    }
}

fn failed_record(
    index: usize,
    id: Option<String>,
    stage: &str,
    failure: RecordFailure,
    record: serde_json::Value,
) -> FailedRecord {
    FailedRecord {
        index,
        id,
        stage: stage.to_string(),
        field: failure.field,
        message: failure.message,
        record,
    }
}

async fn apply_records<R>(
    ledger: &impl Ledger,
    crm: &impl Crm,
    config: &IngestConfig,
    key: &str,
    file: &RecordsFile<R>,
    tally: &mut Tally,
) -> Result<(String, Option<String>, Option<String>), PortError>
where
    R: WireRecord + Sync,
    R::Canonical: Into<SyncRecord>,
{
    let Tally { counts, failed } = tally;
    counts.records = file.records.len();
    for (cr, wire) in file.canonical().zip(&file.records) {
        // The record as it came, kept for the operator's replay: built only for a record that fails.
        let raw = || match wire {
            Ok(r) => ace::record_to_json(r),
            Err(rejected) => serde_json::from_str(rejected.raw.get()).unwrap_or_default(),
        };
        let record: SyncRecord = match cr.record {
            Ok(c) => c.into(),
            Err(problem) => {
                crate::metrics::record(
                    crate::metrics::Channel::S3,
                    crate::metrics::Direction::AwsToCrm,
                    crate::metrics::Outcome::Failed,
                );
                let stage = serde_json::to_value(problem.stage)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                failed.push(FailedRecord {
                    index: cr.index,
                    id: cr.id,
                    stage,
                    field: problem.field,
                    message: problem.message,
                    record: raw(),
                });
                continue;
            }
        };
        match apply::apply_record(
            ledger,
            crm,
            config.catalog,
            &record,
            key,
            &config.clock,
            crate::metrics::Channel::S3,
        )
        .await?
        {
            Ok(Applied::Written { new_referral, .. }) => {
                counts.applied += 1;
                counts.new_referrals += usize::from(new_referral);
            }
            Ok(Applied::Stale) => counts.stale += 1,
            Ok(Applied::Duplicate) => counts.duplicate += 1,
            Err(f) => failed.push(failed_record(cr.index, cr.id, "crm", f, raw())),
        }
    }
    Ok((
        file.records_key.clone(),
        file.version.as_value().cloned(),
        file.spms_id.as_value().cloned(),
    ))
}

/// Why a file of `size` bytes is refused, if it is over the limit.
fn too_big(size: u64, config: &IngestConfig) -> Option<String> {
    (size > config.max_file_bytes).then(|| {
        format!(
            "the file is {size} bytes, over the limit of {} bytes",
            config.max_file_bytes
        )
    })
}

/// The file's ledger entry, marked as being processed (one more attempt).
async fn processing(
    ledger: &impl Ledger,
    key: &str,
    etag: &str,
    now: DateTime<Utc>,
) -> Result<FileEntry, PortError> {
    let mut entry = ledger.file(key, etag).await?.unwrap_or(FileEntry {
        key: key.to_string(),
        etag: etag.to_string(),
        status: FileStatus::Processing,
        reason: None,
        counts: FileCounts::default(),
        attempts: 0,
        updated_at: now,
    });
    entry.status = FileStatus::Processing;
    entry.attempts += 1;
    entry.updated_at = now;
    ledger.put_file(&entry).await?;
    Ok(entry)
}

/// Moves a file to `quarantine/` with its reason beside it (a server-side copy: the body is not read or
/// sent again) and records the outcome in the ledger.
async fn quarantined(
    landing: &impl ObjectStore,
    ledger: &impl Ledger,
    mut entry: FileEntry,
    reason: String,
    now: DateTime<Utc>,
) -> Result<FileOutcome, PortError> {
    let key = entry.key.clone();
    let why = QuarantineReason {
        file: key.clone(),
        etag: entry.etag.clone(),
        reason: reason.clone(),
        at: now,
    };
    let body = serde_json::to_vec_pretty(&why)
        .map_err(|e| PortError::permanent("ingest", e.to_string()))?;
    landing
        .put(
            &format!("{QUARANTINE_PREFIX}{key}.reason.json"),
            body,
            BTreeMap::new(),
        )
        .await?;
    landing
        .copy(&key, &format!("{QUARANTINE_PREFIX}{key}"))
        .await?;
    landing.delete(&key).await?;
    entry.status = FileStatus::Quarantined;
    entry.reason = Some(reason.clone());
    entry.updated_at = now;
    ledger.put_file(&entry).await?;
    warn!(file = %key, %reason, "file quarantined");
    Ok(FileOutcome::Quarantined(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_keys_are_decoded() {
        assert_eq!(
            decode_key("opportunity-outbound/a+b%2Cc.json"),
            "opportunity-outbound/a b,c.json"
        );
        assert_eq!(
            decode_key("opportunity-outbound%2Fx.json"),
            "opportunity-outbound/x.json"
        );
    }

    #[test]
    fn only_input_folders_are_read() {
        assert!(is_input_key("opportunity-outbound/x.json"));
        assert!(is_input_key("lead-inbound-processed-results/x_result.json"));
        assert!(!is_input_key("processed/opportunity-outbound/x.json"));
        assert!(!is_input_key("opportunity-outbound/"));
        assert!(!is_input_key(
            "failed/opportunity-outbound/x.json.errors.json"
        ));
    }
}
