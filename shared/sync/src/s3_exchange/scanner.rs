//! Moves new files out of the AWS-owned ACE bucket (which sends no notifications) into acebridge's
//! landing bucket, whose `ObjectCreated` notifications trigger the ingest function.
//!
//! Each object is copied, the copy is checked (size, SHA-256, source ETag), and only then is the
//! original deleted. A rerun after a crash at any point neither loses nor duplicates a file: an object
//! already landed (same size and source ETag) is not written again, only deleted from the ACE bucket.

use crate::ports::error::PortError;
use crate::ports::store::{ObjectInfo, ObjectStore};
use acebridge_clock::Clock;
use chrono::{DateTime, Utc};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The ACE bucket folders AWS writes to.
pub const OUTBOUND_PREFIXES: [&str; 4] = [
    "opportunity-outbound/",
    "lead-outbound/",
    "opportunity-inbound-processed-results/",
    "lead-inbound-processed-results/",
];

/// Metadata the landed copy carries: where it came from, and its checksum.
pub const META_SOURCE_BUCKET: &str = "acebridge-source-bucket";
/// The original's ETag.
pub const META_SOURCE_ETAG: &str = "acebridge-source-etag";
/// SHA-256 (hex) of the body.
pub const META_SHA256: &str = "acebridge-sha256";
/// When the scanner landed it.
pub const META_LANDED_AT: &str = "acebridge-landed-at";

/// Scanner settings.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Objects larger than this are left in place and reported (a Lambda holds a file in memory).
    pub max_object_bytes: u64,
    /// Objects moved at the same time.
    pub concurrency: usize,
    /// When a file landed, and how old what is left is.
    pub clock: Clock,
}

impl ScanConfig {
    /// The defaults (64 MiB, 8 at a time), on `clock`.
    pub fn new(clock: Clock) -> Self {
        ScanConfig {
            max_object_bytes: 64 * 1024 * 1024,
            concurrency: 8,
            clock,
        }
    }
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Copied, checked and deleted from the ACE bucket.
    pub moved: usize,
    /// Found already landed by an earlier, interrupted run: only deleted from the ACE bucket.
    pub already_landed: usize,
    /// Listed, but gone by the time it was read (another scanner took it).
    pub vanished: usize,
    /// Left in the ACE bucket, with the reason (too large, copy check failed, S3 error).
    pub failed: Vec<(String, String)>,
    /// The run stopped before the deadline with objects left for the next run.
    pub stopped_early: bool,
    /// Age in seconds of the oldest file this run left in the ACE bucket (failed or not reached);
    /// 0 when it left none. Alarmed on (`OldestAceFileAgeSeconds`).
    pub oldest_left_seconds: i64,
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landed {
    /// Copied and checked now.
    Copied,
    /// An identical copy was already there.
    AlreadyThere,
    /// The original is gone.
    Vanished,
}

/// Copies one object into the landing bucket and checks the copy. Does not delete the original.
pub async fn land(
    ace: &impl ObjectStore,
    landing: &impl ObjectStore,
    info: &ObjectInfo,
    now: DateTime<Utc>,
) -> Result<Landed, PortError> {
    if let Some(head) = landing.head(&info.key).await?
        && head.info.size == info.size
        && head.metadata.get(META_SOURCE_ETAG) == Some(&info.etag)
    {
        return Ok(Landed::AlreadyThere);
    }
    let Some(object) = ace.get(&info.key).await? else {
        return Ok(Landed::Vanished);
    };
    let sha = hex::encode(Sha256::digest(&object.body));
    let size = object.body.len() as u64;
    let source_etag = object.head.info.etag.clone();
    let metadata = BTreeMap::from([
        (META_SOURCE_BUCKET.to_string(), ace.bucket().to_string()),
        (META_SOURCE_ETAG.to_string(), source_etag.clone()),
        (META_SHA256.to_string(), sha.clone()),
        (META_LANDED_AT.to_string(), now.to_rfc3339()),
    ]);
    landing.put(&info.key, object.body, metadata).await?;
    let check = landing.head(&info.key).await?;
    let ok = check.as_ref().is_some_and(|h| {
        h.info.size == size
            && h.metadata.get(META_SHA256) == Some(&sha)
            && h.metadata.get(META_SOURCE_ETAG) == Some(&source_etag)
    });
    if !ok {
        return Err(PortError::retryable(
            "s3",
            format!(
                "the copy of {} in {} does not match the original (size or checksum)",
                info.key,
                landing.bucket()
            ),
        ));
    }
    Ok(Landed::Copied)
}

/// What happened to one listed object.
enum Moved {
    Copied,
    AlreadyLanded,
    Vanished,
    Failed(String),
    NotStarted,
}

async fn move_one(
    ace: &impl ObjectStore,
    landing: &impl ObjectStore,
    config: &ScanConfig,
    info: &ObjectInfo,
) -> Moved {
    if info.size > config.max_object_bytes {
        return Moved::Failed(format!(
            "{} bytes is over the scanner's limit of {}",
            info.size, config.max_object_bytes
        ));
    }
    let landed = match land(ace, landing, info, config.clock.now()).await {
        Ok(Landed::Vanished) => return Moved::Vanished,
        Ok(l) => l,
        Err(e) => return Moved::Failed(e.to_string()),
    };
    match ace.delete(&info.key).await {
        Ok(()) if landed == Landed::Copied => Moved::Copied,
        Ok(()) => Moved::AlreadyLanded,
        Err(e) => Moved::Failed(e.to_string()),
    }
}

/// Scans every outbound prefix of the ACE bucket, all pages, moving up to `config.concurrency` objects
/// at a time to the landing bucket. `time_left` is asked before each object is started; when it says
/// no, the scan stops cleanly (objects in flight finish; nothing is left half-moved).
pub async fn scan(
    ace: &impl ObjectStore,
    landing: &impl ObjectStore,
    config: &ScanConfig,
    mut time_left: impl FnMut() -> bool,
) -> ScanReport {
    let mut report = ScanReport::default();
    for prefix in OUTBOUND_PREFIXES {
        let mut token = None;
        loop {
            let page = match ace.list(prefix, token.take()).await {
                Ok(p) => p,
                Err(e) => {
                    report.failed.push((prefix.to_string(), e.to_string()));
                    break;
                }
            };
            let outcomes: Vec<(&ObjectInfo, Moved)> =
                stream::iter(page.objects.iter().filter(|i| !i.key.ends_with('/')))
                    .map(|info| {
                        let go = time_left();
                        async move {
                            if !go {
                                return (info, Moved::NotStarted);
                            }
                            (info, move_one(ace, landing, config, info).await)
                        }
                    })
                    .buffer_unordered(config.concurrency.max(1))
                    .collect()
                    .await;
            for (info, moved) in outcomes {
                let left = matches!(moved, Moved::Failed(_) | Moved::NotStarted);
                match moved {
                    Moved::Copied => report.moved += 1,
                    Moved::AlreadyLanded => report.already_landed += 1,
                    Moved::Vanished => report.vanished += 1,
                    Moved::Failed(reason) => report.failed.push((info.key.clone(), reason)),
                    Moved::NotStarted => report.stopped_early = true,
                }
                if left && let Some(at) = info.last_modified {
                    let age = (config.clock.now() - at).num_seconds().max(0);
                    report.oldest_left_seconds = report.oldest_left_seconds.max(age);
                }
            }
            if report.stopped_early {
                return report;
            }
            match page.next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
    }
    report
}
