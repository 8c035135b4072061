//! Inbound files: what a partner uploads to `opportunity-inbound/` (or `lead-inbound/`).
//!
//! AWS's rules: JSON only, payload version 2.0 for opportunities, the partner's `spmsId`, a unique name
//! `{name}_MMDDYYYYHHMMSS.json` (a reused name is not processed), at most 1 MB and 50 records a file.

use super::{AceLead, AceOpportunity, MAX_FILE_BYTES, MAX_RECORDS, WireRecord, record_to_raw};
use crate::ids::PartnerId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// One file ready to upload.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundFile {
    /// Object key, prefix included (`opportunity-inbound/acebridge-1_11222026104500.json`).
    pub key: String,
    /// The JSON body.
    pub body: Vec<u8>,
    /// How many records it holds.
    pub records: usize,
}

/// Why records cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// One record alone is larger than AWS accepts in a file.
    #[error(
        "record {index} is {bytes} bytes on its own; an inbound file may not exceed {MAX_FILE_BYTES} bytes"
    )]
    RecordTooLarge {
        /// Position of the record in the input.
        index: usize,
        /// Its serialized size.
        bytes: usize,
    },
    /// The file name would not be accepted.
    #[error("file name {0:?} must be 1-100 characters of letters, digits, '-' and '_'")]
    BadName(String),
    /// A record cannot be written as JSON (an unknown key kept from the source that JSON cannot hold).
    #[error("record {index} cannot be written as JSON: {message}")]
    Unserializable {
        /// Position of the record in the input.
        index: usize,
        /// serde_json's reason.
        message: String,
    },
}

/// Which inbound folder and envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Opportunity,
    Lead,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Opportunity => "opportunity-inbound/",
            Kind::Lead => "lead-inbound/",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Kind::Opportunity => "opportunities",
            Kind::Lead => "leads",
        }
    }
    fn version(self) -> &'static str {
        match self {
            Kind::Opportunity => "2.0",
            Kind::Lead => "1.0",
        }
    }
}

/// Writes opportunity records (payload 2.0) into as few inbound files as the limits allow.
pub fn opportunity_files(
    records: &[AceOpportunity],
    partner: &PartnerId,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<InboundFile>, WriteError> {
    write(Kind::Opportunity, records, partner, name, now)
}

/// Writes lead updates (accept/reject, status) into inbound files.
pub fn lead_files(
    records: &[AceLead],
    partner: &PartnerId,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<InboundFile>, WriteError> {
    write(Kind::Lead, records, partner, name, now)
}

fn envelope(kind: Kind, partner: &PartnerId, records: Vec<Box<RawValue>>) -> Vec<u8> {
    #[derive(Serialize)]
    struct Envelope<'a> {
        version: &'a str,
        #[serde(rename = "spmsId")]
        spms_id: &'a str,
        #[serde(flatten)]
        records: BTreeMap<&'a str, Vec<Box<RawValue>>>,
    }
    serde_json::to_vec(&Envelope {
        version: kind.version(),
        spms_id: partner.as_str(),
        records: BTreeMap::from([(kind.key(), records)]),
    })
    .unwrap_or_default()
}

fn write<R: WireRecord>(
    kind: Kind,
    records: &[R],
    partner: &PartnerId,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Vec<InboundFile>, WriteError> {
    if name.is_empty()
        || name.len() > 100
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(WriteError::BadName(name.to_string()));
    }
    let overhead = envelope(kind, partner, vec![]).len();
    let mut chunks: Vec<Vec<Box<RawValue>>> = vec![];
    let mut current: Vec<Box<RawValue>> = vec![];
    let mut size = overhead;
    for (index, r) in records.iter().enumerate() {
        let v = record_to_raw(r).map_err(|e| WriteError::Unserializable {
            index,
            message: e.to_string(),
        })?;
        let bytes = v.get().len();
        if overhead + bytes > MAX_FILE_BYTES {
            return Err(WriteError::RecordTooLarge { index, bytes });
        }
        // +1 for the comma between records.
        if !current.is_empty()
            && (current.len() == MAX_RECORDS || size + 1 + bytes > MAX_FILE_BYTES)
        {
            chunks.push(std::mem::take(&mut current));
            size = overhead;
        }
        size += bytes + usize::from(!current.is_empty());
        current.push(v);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    let stamp = now.format("%m%d%Y%H%M%S");
    let many = chunks.len() > 1;
    Ok(chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let base = if many {
                format!("{name}-{}", i + 1)
            } else {
                name.to_string()
            };
            let n = chunk.len();
            InboundFile {
                key: format!("{}{base}_{stamp}.json", kind.prefix()),
                body: envelope(kind, partner, chunk),
                records: n,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Nullable;
    use chrono::TimeZone;
    use serde_json::Value;

    fn opp(i: usize, description_len: usize) -> AceOpportunity {
        AceOpportunity {
            partner_crm_unique_identifier: Nullable::Value(format!("crm-{i}")),
            project_description: Nullable::Value("x".repeat(description_len)),
            ..AceOpportunity::default()
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 10, 45, 3).unwrap()
    }

    fn partner() -> PartnerId {
        PartnerId::parse("1588143").unwrap()
    }

    #[test]
    fn one_small_batch_is_one_file_named_as_aws_wants() {
        let files = opportunity_files(&[opp(1, 30)], &partner(), "acebridge", now()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(
            files[0].key,
            "opportunity-inbound/acebridge_11222026104503.json"
        );
        let v: Value = serde_json::from_slice(&files[0].body).unwrap();
        assert_eq!(v["version"], "2.0");
        assert_eq!(v["spmsId"], "1588143");
        assert_eq!(v["opportunities"][0]["partnerCrmUniqueIdentifier"], "crm-1");
    }

    #[test]
    fn splits_at_fifty_records_and_one_megabyte() {
        let many: Vec<_> = (0..120).map(|i| opp(i, 20)).collect();
        let files = opportunity_files(&many, &partner(), "batch", now()).unwrap();
        assert_eq!(
            files.iter().map(|f| f.records).collect::<Vec<_>>(),
            vec![50, 50, 20]
        );
        let keys: std::collections::BTreeSet<_> = files.iter().map(|f| f.key.clone()).collect();
        assert_eq!(keys.len(), 3);

        let big: Vec<_> = (0..5).map(|i| opp(i, 300_000)).collect();
        let files = opportunity_files(&big, &partner(), "big", now()).unwrap();
        assert!(files.iter().all(|f| f.body.len() <= MAX_FILE_BYTES));
        assert_eq!(files.iter().map(|f| f.records).sum::<usize>(), 5);
        assert_eq!(files.len(), 2);

        let huge = opportunity_files(&[opp(0, 1_100_000)], &partner(), "huge", now());
        assert!(matches!(
            huge,
            Err(WriteError::RecordTooLarge { index: 0, .. })
        ));
        assert!(matches!(
            opportunity_files(&[opp(0, 1)], &partner(), "a/b", now()),
            Err(WriteError::BadName(_))
        ));
    }
}
