//! What the list pages show, read from the tables in one go and kept in memory: a page is served from the
//! snapshot at once, and a snapshot older than the refresh interval is read again in the background
//! (one scan of each table however many pages are viewed; none while no one looks). Every page says how
//! old its figures are. Pending invitations are listed from Partner Central with each snapshot
//! (ListEngagementInvitations) and each one read once (GetEngagementInvitation, kept while it is pending),
//! so viewing pages costs no reads of its own. Every action reads and writes live.

use acebridge_mapping::canonical::Invitation;
use acebridge_sync::guards::budget::{Call, CallCounter};
use acebridge_sync::ports::crm::CrmRecord;
use acebridge_sync::ports::error::PortError;
use acebridge_sync::ports::ledger::{FileEntry, Ledger, LedgerEntry};
use acebridge_sync::ports::partner_central::{PartnerCentral, PendingInvitation};
use acebridge_sync::ports::store::{ObjectStore, list_all};
use acebridge_sync::s3_exchange::ingest::{ErrorReport, FAILED_PREFIX, QUARANTINE_PREFIX};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The tables as read at `taken_at`.
pub(crate) struct Snapshot {
    /// Ledger record entries (lead identities left out: bookkeeping, not records).
    pub entries: Vec<LedgerEntry>,
    /// Ledger file entries.
    pub files: Vec<FileEntry>,
    /// CRM store records, the most recently changed first, each with the text a search looks in.
    pub records: Vec<(CrmRecord, String)>,
    /// Partner Central reads and writes counted in the last 24 hours.
    pub reads: u64,
    pub writes: u64,
    /// The landing bucket's error reports (`failed/…errors.json`), by key.
    pub reports: Vec<(String, ErrorReport)>,
    /// Its quarantined files, with their reasons.
    pub quarantined: Vec<(String, String)>,
    /// Its files not yet processed, failed or quarantined.
    pub waiting: Vec<String>,
    /// The reconcile's watermark (AWS changes synced up to).
    pub watermark: Option<DateTime<Utc>>,
    /// The referrals waiting for a decision, the soonest to expire first, each as Partner Central has it.
    pub invitations: Vec<(PendingInvitation, Option<Arc<Invitation>>)>,
    /// Notices (Slack, Teams) whose last delivery failed, the newest first.
    pub unsent_notices: Vec<acebridge_sync::ports::ledger::NoticeMark>,
    pub taken_at: DateTime<Utc>,
}

/// The pending invitations, each read from Partner Central the first time it is listed; an invitation no
/// longer pending is forgotten.
async fn invitations(
    c: &super::Console,
) -> Result<Vec<(PendingInvitation, Option<Arc<Invitation>>)>, PortError> {
    let pending = acebridge_sync::operations::pending_invitations(&c.pc, c.catalog).await?;
    let known: HashMap<String, Arc<Invitation>> = match c.snapshots.details.lock() {
        Ok(d) => d.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let mut now_known = HashMap::new();
    let mut out = vec![];
    for p in pending {
        let detail = match known.get(&p.id) {
            Some(d) => Some(d.clone()),
            None => c.pc.invitation(c.catalog, &p.id).await?.map(Arc::new),
        };
        if let Some(d) = &detail {
            now_known.insert(p.id.clone(), d.clone());
        }
        out.push((p, detail));
    }
    match c.snapshots.details.lock() {
        Ok(mut d) => *d = now_known,
        Err(poisoned) => *poisoned.into_inner() = now_known,
    }
    Ok(out)
}

/// What the landing bucket holds for an operator: error reports, quarantined files with their reasons,
/// files waiting.
type Landing = (
    Vec<(String, ErrorReport)>,
    Vec<(String, String)>,
    Vec<String>,
);

async fn landing(c: &super::Console) -> Result<Landing, PortError> {
    let Some(landing) = &c.landing else {
        return Ok(Default::default());
    };
    let mut reports = vec![];
    let mut quarantined = vec![];
    let mut waiting = vec![];
    for o in list_all(landing, "").await? {
        if o.key.starts_with(FAILED_PREFIX) {
            if let Some(obj) = landing.get(&o.key).await?
                && let Ok(report) = serde_json::from_slice::<ErrorReport>(&obj.body)
            {
                reports.push((o.key, report));
            }
        } else if o.key.starts_with(QUARANTINE_PREFIX) {
            if o.key.ends_with(".reason.json") {
                continue;
            }
            let reason = match landing.get(&format!("{}.reason.json", o.key)).await? {
                Some(r) => serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["reason"].as_str().map(str::to_string))
                    .unwrap_or_default(),
                None => String::new(),
            };
            quarantined.push((o.key, reason));
        } else if !o.key.starts_with("processed/") {
            waiting.push(o.key);
        }
    }
    Ok((reports, quarantined, waiting))
}

impl Snapshot {
    async fn take(c: &super::Console) -> Result<Self, PortError> {
        let now = c.clock.now();
        let (entries, files, records) =
            futures_util::future::try_join3(c.ledger.records(), c.ledger.files(), c.store.all())
                .await?;
        let (reads, writes) =
            futures_util::future::try_join(c.counter.used(Call::Read), c.counter.used(Call::Write))
                .await?;
        let (reports, quarantined, waiting) = landing(c).await?;
        let watermark = c.ledger.watermark(c.catalog).await?;
        let mut unsent_notices: Vec<_> = c
            .ledger
            .notice_marks()
            .await?
            .into_iter()
            .filter(|m| m.sent_at.is_none() && m.last_error.is_some())
            .collect();
        unsent_notices.sort_by_key(|m| std::cmp::Reverse(m.expires_at));
        let invitations = invitations(c).await?;
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
            reads,
            writes,
            reports,
            quarantined,
            waiting,
            watermark,
            invitations,
            unsent_notices,
            taken_at: now,
        })
    }
}

/// The current snapshot and its refresh.
pub(crate) struct Snapshots {
    current: RwLock<Arc<Snapshot>>,
    refreshing: AtomicBool,
    /// Pending invitations as read once each (GetEngagementInvitation), by id.
    details: Mutex<HashMap<String, Arc<Invitation>>>,
    /// Older than this, a page triggers a new read (zero: every page reads the tables itself).
    max_age: chrono::Duration,
}

impl Snapshots {
    /// No snapshot yet: the console reads the first one ([`first`]) before it serves anything.
    pub fn empty(max_age: chrono::Duration, now: DateTime<Utc>) -> Self {
        Snapshots {
            current: RwLock::new(Arc::new(Snapshot {
                entries: vec![],
                files: vec![],
                records: vec![],
                reads: 0,
                writes: 0,
                reports: vec![],
                quarantined: vec![],
                waiting: vec![],
                watermark: None,
                invitations: vec![],
                unsent_notices: vec![],
                taken_at: now,
            })),
            refreshing: AtomicBool::new(false),
            details: Mutex::new(HashMap::new()),
            max_age,
        }
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
        let s = Snapshot::take(c).await?;
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
        match Snapshot::take(&c).await {
            Ok(s) => c.snapshots.replace(s),
            Err(e) => eprintln!("console: reading the tables failed: {e}"),
        }
        c.snapshots.refreshing.store(false, Ordering::Release);
    });
}

/// Reads the first snapshot (before the console listens).
pub(crate) async fn first(c: &super::Console) -> Result<(), PortError> {
    c.snapshots.replace(Snapshot::take(c).await?);
    Ok(())
}
