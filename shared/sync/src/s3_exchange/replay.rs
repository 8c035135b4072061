//! Replay: puts failed records or a quarantined file back where the ingest function reads them. In AWS
//! the landing bucket's notification then triggers the ingest; locally, invoke it with the event
//! [`crate::local::s3_event`] builds.

use crate::ports::error::PortError;
use crate::ports::store::{ObjectInfo, ObjectStore, move_object};
use crate::s3_exchange::ingest::{ErrorReport, FAILED_PREFIX, QUARANTINE_PREFIX};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Why a replay cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Not a `failed/….errors.json` report or a `quarantine/…` file.
    #[error("{0}: replay takes a failed/<key>.errors.json report or a quarantine/<key> file")]
    NotReplayable(String),
    /// The object does not exist.
    #[error("{0}: no such object in the landing bucket")]
    Missing(String),
    /// The report is not an error report.
    #[error("{key}: not an acebridge error report: {message}")]
    BadReport {
        /// The report's key.
        key: String,
        /// Why.
        message: String,
    },
    /// A record index not in the report.
    #[error("{key}: the report has no failed record at index {index} (it has: {have})")]
    NoSuchRecord {
        /// The report's key.
        key: String,
        /// The index asked for.
        index: usize,
        /// The indexes it has.
        have: String,
    },
    /// S3 failed.
    #[error(transparent)]
    Store(#[from] PortError),
}

/// The key a replayed file gets: beside the original, `replay-<UTC time>-<original name>`.
pub fn replay_key(original: &str, now: DateTime<Utc>) -> String {
    let (dir, name) = original.rsplit_once('/').unwrap_or(("", original));
    format!("{dir}/replay-{}-{name}", now.format("%Y%m%dT%H%M%S"))
}

/// Why an edited record cannot be resent: the same parse and conversion checks the ingest runs, each
/// naming the record's field (`field: message`).
pub fn preflight(body: &[u8]) -> Vec<String> {
    use acebridge_mapping::ace::{self, AceFile, CanonicalRecord, RecordProblem};
    fn named(p: &RecordProblem) -> String {
        match &p.field {
            Some(f) => format!("{f}: {}", p.message),
            None => p.message.clone(),
        }
    }
    fn problems<R: acebridge_mapping::ace::WireRecord>(
        f: &acebridge_mapping::ace::RecordsFile<R>,
    ) -> Vec<String> {
        f.canonical()
            .filter_map(|CanonicalRecord { record, .. }| record.err().map(|p| named(&p)))
            .collect()
    }
    match ace::parse(body) {
        Err(e) => vec![e.to_string()],
        Ok(AceFile::Opportunities(f)) => problems(&f),
        Ok(AceFile::Leads(f)) => problems(&f),
        Ok(AceFile::Results(_)) => vec![],
    }
}

/// Resends one failed record of an error report with an operator's correction (`record`, the record as
/// it should have been in the file): the file it makes is checked by [`preflight`] first and, if any
/// problem is left, not written (`Ok(Err(problems))`). Otherwise it lands beside the original like any
/// replay, for the ingest.
pub async fn replay_edited(
    landing: &impl ObjectStore,
    key: &str,
    index: usize,
    record: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Result<ObjectInfo, Vec<String>>, ReplayError> {
    let (original, report) = report(landing, key).await?;
    has_record(key, &report, index)?;
    let body = file_body(key, &report, vec![record])?;
    let problems = preflight(&body);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    Ok(Ok(landing
        .put(&replay_key(&original, now), body, BTreeMap::new())
        .await?))
}

/// An error report and the key of the file it is about.
async fn report(
    landing: &impl ObjectStore,
    key: &str,
) -> Result<(String, ErrorReport), ReplayError> {
    let original = key
        .strip_prefix(FAILED_PREFIX)
        .and_then(|k| k.strip_suffix(".errors.json"))
        .ok_or_else(|| ReplayError::NotReplayable(key.to_string()))?;
    let object = landing
        .get(key)
        .await?
        .ok_or_else(|| ReplayError::Missing(key.to_string()))?;
    let report: ErrorReport =
        serde_json::from_slice(&object.body).map_err(|e| ReplayError::BadReport {
            key: key.to_string(),
            message: e.to_string(),
        })?;
    Ok((original.to_string(), report))
}

/// `index` is one of the report's failed records.
fn has_record(key: &str, report: &ErrorReport, index: usize) -> Result<(), ReplayError> {
    if report.failed.iter().any(|f| f.index == index) {
        return Ok(());
    }
    let have: Vec<String> = report.failed.iter().map(|f| f.index.to_string()).collect();
    Err(ReplayError::NoSuchRecord {
        key: key.to_string(),
        index,
        have: have.join(", "),
    })
}

/// A file of `records` with the report's version, partner id and records key.
fn file_body(
    key: &str,
    report: &ErrorReport,
    records: Vec<serde_json::Value>,
) -> Result<Vec<u8>, ReplayError> {
    let mut file = serde_json::Map::new();
    if let Some(v) = &report.version {
        file.insert("version".into(), v.clone().into());
    }
    if let Some(p) = &report.spms_id {
        file.insert("spmsId".into(), p.clone().into());
    }
    file.insert(report.records_key.clone(), records.into());
    serde_json::to_vec_pretty(&file).map_err(|e| ReplayError::BadReport {
        key: key.to_string(),
        message: e.to_string(),
    })
}

/// Replays `key` from the landing bucket. For an error report, `records` picks failed records by their
/// index in the original file (empty: all of them). Returns the object written.
pub async fn replay(
    landing: &impl ObjectStore,
    key: &str,
    records: &[usize],
    now: DateTime<Utc>,
) -> Result<ObjectInfo, ReplayError> {
    if key.starts_with(FAILED_PREFIX) {
        let (original, report) = report(landing, key).await?;
        for &index in records {
            has_record(key, &report, index)?;
        }
        let chosen: Vec<serde_json::Value> = report
            .failed
            .iter()
            .filter(|f| records.is_empty() || records.contains(&f.index))
            .map(|f| f.record.clone())
            .collect();
        let body = file_body(key, &report, chosen)?;
        return Ok(landing
            .put(&replay_key(&original, now), body, BTreeMap::new())
            .await?);
    }
    if let Some(original) = key
        .strip_prefix(QUARANTINE_PREFIX)
        .filter(|k| !k.ends_with(".reason.json"))
    {
        let object = landing
            .get(key)
            .await?
            .ok_or_else(|| ReplayError::Missing(key.to_string()))?;
        let size = object.body.len() as u64;
        move_object(landing, object, original).await?;
        landing.delete(&format!("{key}.reason.json")).await?;
        let etag = landing
            .head(original)
            .await?
            .map(|h| h.info.etag)
            .unwrap_or_default();
        return Ok(ObjectInfo {
            key: original.to_string(),
            size,
            etag,
            last_modified: None,
        });
    }
    Err(ReplayError::NotReplayable(key.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_replayed_file_sits_beside_the_original_with_a_new_name() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 22, 9, 5, 7)
            .single()
            .unwrap();
        assert_eq!(
            replay_key("opportunity-outbound/a.json", t),
            "opportunity-outbound/replay-20261122T090507-a.json"
        );
    }
}
