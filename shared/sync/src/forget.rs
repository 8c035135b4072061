//! Erasure of one customer (`acebridge forget`): their records leave the CRM store, their data leaves the
//! ledger's snapshots, and their records leave every file acebridge keeps in the landing bucket
//! (`processed/`, `failed/`, `quarantine/`), old object versions included.
//!
//! A customer is named by terms (an email address, a company name, a phone number): a record is theirs
//! when one of its text values equals a term (trimmed, case-insensitive). The ledger keeps each record's
//! ids and version (no customer data), so that AWS re-sending the same version does not bring the
//! customer back; a newer version from AWS would, and `docs/operations.md` says so.
//!
//! What acebridge does not hold cannot be erased here: the partner's CRM (Salesforce, HubSpot, a webhook
//! receiver) and Partner Central itself have erasure processes of their own; CloudWatch Logs hold no
//! customer data (the no-PII test), and the queues keep messages at most 14 days.

use crate::adapters::dynamodb::DynamoCrmStore;
use crate::adapters::s3::S3Bucket;
use crate::ports::error::PortError;
use crate::ports::ledger::Ledger;
use crate::ports::store::ObjectStore;
use crate::s3_exchange::ingest::{FAILED_PREFIX, PROCESSED_PREFIX, QUARANTINE_PREFIX};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

/// The terms that name one customer.
#[derive(Debug, Clone)]
pub struct Subject {
    terms: Vec<String>,
}

/// Why a subject cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SubjectError(String);

impl Subject {
    /// From terms; each must be at least 3 characters, so that a typo cannot erase half the store.
    pub fn new(terms: &[String]) -> Result<Self, SubjectError> {
        let terms: Vec<String> = terms
            .iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        if terms.is_empty() {
            return Err(SubjectError(
                "name the customer: --email, --company or --phone".to_string(),
            ));
        }
        if let Some(t) = terms.iter().find(|t| t.chars().count() < 3) {
            return Err(SubjectError(format!(
                "{} is too short to name a customer (3 characters or more)",
                acebridge_mapping::quoted(t)
            )));
        }
        Ok(Subject { terms })
    }

    /// True when a text value of `v`, at any depth, equals a term.
    pub fn mentioned_in(&self, v: &Value) -> bool {
        match v {
            Value::String(s) => {
                let s = s.trim();
                let s = s.to_lowercase();
                self.terms.contains(&s)
            }
            Value::Array(a) => a.iter().any(|x| self.mentioned_in(x)),
            Value::Object(m) => m.values().any(|x| self.mentioned_in(x)),
            _ => false,
        }
    }

    /// True when the bytes contain a term (for files that are not JSON).
    fn mentioned_in_bytes(&self, b: &[u8]) -> bool {
        let text = String::from_utf8_lossy(b).to_lowercase();
        self.terms.iter().any(|t| text.contains(t.as_str()))
    }
}

/// What became of one file of the landing bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum FileAction {
    /// The customer's records were taken out; the others stay.
    Rewritten {
        /// Records removed.
        records: usize,
    },
    /// The whole object named the customer (or could not be read as JSON and contained a term): deleted.
    Deleted,
}

/// What `forget` removed (or, in a dry run, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Forgotten {
    /// CRM store records deleted: `kind/crm id`.
    pub store_records: Vec<String>,
    /// Ledger entries whose snapshots and held changes were cleared (ids and version kept).
    pub ledger_entries: Vec<String>,
    /// Landing-bucket objects changed, by key.
    pub files: Vec<(String, FileAction)>,
    /// Non-current object versions (anywhere in the bucket) that named the customer, deleted.
    pub old_versions: usize,
    /// True when nothing was changed (a dry run).
    pub dry_run: bool,
}

/// Takes the customer's records out of a JSON document: from each array at its top level (the records of
/// an ACE file, the `failed` list of an error report), the elements that mention the customer. Returns
/// how many were removed, and whether the document still mentions the customer elsewhere.
pub fn scrub_document(subject: &Subject, doc: &mut Value) -> (usize, bool) {
    let mut removed = 0;
    if let Value::Object(m) = doc {
        for v in m.values_mut() {
            if let Value::Array(a) = v {
                let before = a.len();
                a.retain(|x| !subject.mentioned_in(x));
                removed += before - a.len();
            }
        }
    }
    (removed, subject.mentioned_in(doc))
}

/// Erases one customer from the CRM store, the ledger and (when given) the landing bucket.
pub async fn forget<L: Ledger>(
    subject: &Subject,
    store: &DynamoCrmStore,
    ledger: &L,
    landing: Option<&S3Bucket>,
    dry_run: bool,
    now: DateTime<Utc>,
) -> Result<Forgotten, PortError> {
    let mut out = Forgotten {
        dry_run,
        ..Forgotten::default()
    };

    // The CRM store: the customer's records go.
    let mut ids = BTreeSet::new();
    for r in store.all().await? {
        if !subject.mentioned_in(&r.record) {
            continue;
        }
        ids.insert(r.crm_id.clone());
        if let Some(a) = &r.ace_id {
            ids.insert(a.clone());
        }
        if !dry_run {
            store.delete(r.kind, &r.crm_id).await?;
        }
        out.store_records.push(format!("{}/{}", r.kind, r.crm_id));
    }

    // The ledger: snapshots and held changes that carry the customer's data are cleared; the entry
    // (ids, version, status) stays so that a redelivered version is still recognised.
    for mut e in ledger.records().await? {
        let linked = e
            .ace_id
            .iter()
            .chain(e.crm_id.iter())
            .any(|i| ids.contains(i));
        let in_snapshot = e
            .crm_snapshot
            .as_ref()
            .is_some_and(|s| subject.mentioned_in(s));
        let in_held = e
            .held
            .as_ref()
            .is_some_and(|h| subject.mentioned_in(&h.change));
        let in_history = e
            .aws_snapshot
            .as_ref()
            .is_some_and(|s| subject.mentioned_in(s))
            || e.history
                .iter()
                .any(|step| serde_json::to_value(step).is_ok_and(|v| subject.mentioned_in(&v)));
        if !(linked || in_snapshot || in_held || in_history) {
            continue;
        }
        out.ledger_entries.push(e.key.display_id());
        // A lead identity (a digest of the company and the email) is the subject's: removed.
        if linked
            && e.ace_id
                .as_deref()
                .is_some_and(crate::lead_identity::is_identity)
        {
            if !dry_run && ledger.delete(&e.key, e.revision).await?.is_err() {
                return Err(PortError::retryable(
                    "ledger",
                    format!(
                        "{} changed while it was being erased; run acebridge forget again",
                        e.key.display_id()
                    ),
                ));
            }
            continue;
        }
        if dry_run
            || (e.crm_snapshot.is_none()
                && e.held.is_none()
                && e.aws_snapshot.is_none()
                && e.history.is_empty())
        {
            continue;
        }
        let expected = e.revision;
        e.crm_snapshot = None;
        e.held = None;
        // The timeline's field values and the AWS version written carry the customer's data too.
        e.aws_snapshot = None;
        e.history.clear();
        e.updated_at = now;
        e.revision = expected + 1;
        if ledger.put(&e, Some(expected)).await?.is_err() {
            return Err(PortError::retryable(
                "ledger",
                format!(
                    "{} changed while it was being erased; run acebridge forget again",
                    e.key.display_id()
                ),
            ));
        }
    }

    // The landing bucket: files acebridge keeps.
    if let Some(bucket) = landing {
        for prefix in [PROCESSED_PREFIX, FAILED_PREFIX, QUARANTINE_PREFIX] {
            let mut token = None;
            loop {
                let page = bucket.list(prefix, token.take()).await?;
                for o in page.objects {
                    let Some(obj) = bucket.get(&o.key).await? else {
                        continue;
                    };
                    let action = match serde_json::from_slice::<Value>(&obj.body) {
                        Ok(mut doc) => match scrub_document(subject, &mut doc) {
                            (0, false) => continue,
                            (records, false) => {
                                if !dry_run {
                                    let body = serde_json::to_vec(&doc).map_err(|e| {
                                        PortError::permanent("forget", e.to_string())
                                    })?;
                                    bucket.put(&o.key, body, Default::default()).await?;
                                }
                                FileAction::Rewritten { records }
                            }
                            (_, true) => FileAction::Deleted,
                        },
                        Err(_) if subject.mentioned_in_bytes(&obj.body) => FileAction::Deleted,
                        Err(_) => continue,
                    };
                    if !dry_run && action == FileAction::Deleted {
                        bucket.delete(&o.key).await?;
                    }
                    out.files.push((o.key, action));
                }
                match page.next {
                    Some(t) => token = Some(t),
                    None => break,
                }
            }
        }
        out.old_versions = sweep_old_versions(subject, bucket, dry_run).await?;
    }
    Ok(out)
}

/// Deletes every non-current version in the bucket that names the customer: the landing bucket is
/// versioned, so a file moved to `processed/`, rewritten or deleted above still has its old bytes.
async fn sweep_old_versions(
    subject: &Subject,
    bucket: &S3Bucket,
    dry_run: bool,
) -> Result<usize, PortError> {
    let s3 = bucket.client();
    let mut n = 0;
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket.bucket())
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| PortError::retryable("s3", format!("ListObjectVersions: {e}")))?;
        for v in page.versions() {
            let (Some(key), Some(id)) = (v.key(), v.version_id()) else {
                continue;
            };
            if v.is_latest().unwrap_or(false) {
                continue;
            }
            let body = s3
                .get_object()
                .bucket(bucket.bucket())
                .key(key)
                .version_id(id)
                .send()
                .await
                .map_err(|e| PortError::retryable("s3", format!("GetObject version: {e}")))?
                .body
                .collect()
                .await
                .map_err(|e| PortError::retryable("s3", format!("GetObject body: {e}")))?
                .into_bytes();
            if !subject.mentioned_in_bytes(&body) {
                continue;
            }
            if !dry_run {
                s3.delete_object()
                    .bucket(bucket.bucket())
                    .key(key)
                    .version_id(id)
                    .send()
                    .await
                    .map_err(|e| {
                        PortError::retryable("s3", format!("DeleteObject version: {e}"))
                    })?;
            }
            n += 1;
        }
        if page.is_truncated() != Some(true) {
            return Ok(n);
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_file_loses_the_customers_records_and_keeps_the_others() {
        let s = Subject::new(&["Jane@Example.com".to_string()]).unwrap();
        let mut doc = json!({"version": "1.0", "leads": [
            {"email": "jane@example.com", "company": "Example"},
            {"email": "joe@other.com", "company": "Other"}
        ]});
        assert_eq!(scrub_document(&s, &mut doc), (1, false));
        assert_eq!(doc["leads"].as_array().unwrap().len(), 1);
        let mut reason = json!({"file": "x", "reason": "jane@example.com"});
        assert_eq!(scrub_document(&s, &mut reason), (0, true));
    }

    #[test]
    fn a_subject_needs_a_term_of_three_characters_or_more() {
        assert!(Subject::new(&[]).is_err());
        assert!(Subject::new(&[" a ".to_string()]).is_err());
        assert!(Subject::new(&["Example Corp".to_string()]).is_ok());
    }
}
