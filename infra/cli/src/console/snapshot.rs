//! What the list pages show, read from the tables in one go and kept in memory: a page is served from the
//! snapshot at once, and a snapshot older than the refresh interval is read again in the background
//! (one scan of each table however many pages are viewed; none while no one looks). Every page says how
//! old its figures are. A record's own page, the invitations and every action read live.

use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::ports::crm::CrmRecord;
use acebridge_sync::ports::error::PortError;
use acebridge_sync::ports::ledger::{FileEntry, Ledger, LedgerEntry};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The tables as read at `taken_at`.
pub(crate) struct Snapshot {
    /// Ledger record entries (lead identities left out: bookkeeping, not records).
    pub entries: Vec<LedgerEntry>,
    /// Ledger file entries.
    pub files: Vec<FileEntry>,
    /// CRM store records, the most recently changed first, each with the text a search looks in.
    pub records: Vec<(CrmRecord, String)>,
    pub taken_at: DateTime<Utc>,
}

impl Snapshot {
    async fn take(
        ledger: &DynamoLedger,
        store: &DynamoCrmStore,
        now: DateTime<Utc>,
    ) -> Result<Self, PortError> {
        let (entries, files, records) =
            futures_util::future::try_join3(ledger.records(), ledger.files(), store.all()).await?;
        let entries = entries
            .into_iter()
            .filter(|e| {
                !e.ace_id
                    .as_deref()
                    .is_some_and(acebridge_sync::lead_identity::is_identity)
            })
            .collect();
        let mut records: Vec<(CrmRecord, String)> = records
            .into_iter()
            .map(|r| {
                let text = format!(
                    "{} {} {} {}",
                    r.crm_id,
                    r.ace_id.as_deref().unwrap_or(""),
                    r.summary.title.as_deref().unwrap_or(""),
                    r.record
                )
                .to_lowercase();
                (r, text)
            })
            .collect();
        records.sort_by(|(a, _), (b, _)| {
            b.updated_at
                .cmp(&a.updated_at)
                .then(a.crm_id.cmp(&b.crm_id))
        });
        Ok(Snapshot {
            entries,
            files,
            records,
            taken_at: now,
        })
    }
}

/// The current snapshot and its refresh.
pub(crate) struct Snapshots {
    current: RwLock<Arc<Snapshot>>,
    refreshing: AtomicBool,
    /// Older than this, a page triggers a new read (zero: every page reads the tables itself).
    max_age: chrono::Duration,
}

impl Snapshots {
    /// The first snapshot, read before the console serves anything.
    pub async fn first(
        ledger: &DynamoLedger,
        store: &DynamoCrmStore,
        now: DateTime<Utc>,
        max_age: chrono::Duration,
    ) -> Result<Self, PortError> {
        Ok(Snapshots {
            current: RwLock::new(Arc::new(Snapshot::take(ledger, store, now).await?)),
            refreshing: AtomicBool::new(false),
            max_age,
        })
    }

    fn current(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn replace(&self, s: Snapshot) {
        match self.current.write() {
            Ok(mut c) => *c = Arc::new(s),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(s),
        }
    }
}

/// The snapshot a page shows: the current one, with a background read started if it is too old; with a
/// zero refresh interval, a fresh read.
pub(crate) async fn for_page(c: &Arc<super::Console>) -> Result<Arc<Snapshot>, PortError> {
    let now = c.clock.now();
    let snaps = &c.snapshots;
    if snaps.max_age.is_zero() {
        let s = Snapshot::take(&c.ledger, &c.store, now).await?;
        snaps.replace(s);
        return Ok(snaps.current());
    }
    let current = snaps.current();
    if now - current.taken_at >= snaps.max_age {
        refresh(c);
    }
    Ok(current)
}

/// Reads the tables again in the background (one read at a time; a failed read keeps the old snapshot
/// and is tried again by the next page).
pub(crate) fn refresh(c: &Arc<super::Console>) {
    if c.snapshots.refreshing.swap(true, Ordering::AcqRel) {
        return;
    }
    let c = c.clone();
    tokio::spawn(async move {
        match Snapshot::take(&c.ledger, &c.store, c.clock.now()).await {
            Ok(s) => c.snapshots.replace(s),
            Err(e) => eprintln!("console: reading the tables failed: {e}"),
        }
        c.snapshots.refreshing.store(false, Ordering::Release);
    });
}
