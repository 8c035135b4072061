//! The scheduled reconcile: every opportunity changed since the ledger's watermark (ListOpportunities,
//! oldest first), within the invocation's time and the day's read budget, and the slow refresh of AWS's
//! side of open opportunities.

use crate::model::record::RecordKind;
use crate::partner_central::opportunities::{Synced, entries_of, has_applied, sync_opportunity};
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{self, Ledger};
use crate::ports::partner_central::PartnerCentral;
use acebridge_clock::Clock;
use acebridge_mapping::Catalog;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tracing::warn;

/// What a reconcile did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileReport {
    /// The watermark it started from.
    pub from: Option<DateTime<Utc>>,
    /// The watermark it stored.
    pub to: Option<DateTime<Utc>>,
    /// ListOpportunities pages read.
    pub pages: usize,
    /// Opportunities listed.
    pub listed: usize,
    /// Written to the CRM.
    pub written: usize,
    /// Skipped: already applied.
    pub duplicate: usize,
    /// Of those, skipped without reading: the ledger had already applied the `LastModifiedDate` the list
    /// gave (GetOpportunity and GetAwsOpportunitySummary not called).
    pub unread: usize,
    /// Skipped: older than what the CRM has.
    pub stale: usize,
    /// Gone between list and get.
    pub not_found: usize,
    /// Refused by the CRM (in the ledger with their errors).
    pub failed: usize,
    /// Stopped before the deadline; the next run continues from `to`.
    pub stopped_early: bool,
    /// Stopped because the reads of the last 24 hours reached the reconcile's share of the daily quota
    /// (the rest is kept for live events and CRM writes); a later run continues from `to`.
    pub paused_for_budget: bool,
    /// Partner Central reads counted in the last 24 hours (all functions), when a budget is kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reads_used: Option<u64>,
}

/// The reconcile's share of the daily reads, and where every function's calls are counted.
#[derive(Debug)]
pub struct Budgeted<'a, B> {
    /// The quotas and the reserve.
    pub budget: crate::guards::budget::DailyBudget,
    /// The counter.
    pub counter: &'a B,
}

impl<B> Clone for Budgeted<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for Budgeted<'_, B> {}

/// A reconcile under way: the syncs in flight and the report they are counted in.
///
/// A `FuturesUnordered` only makes progress while it is polled, so every other step of the listing (a
/// page, a ledger lookup, a budget check) is awaited through [`Run::alongside`], which drives the syncs
/// meanwhile. Awaited on its own, a step held them all up: a read whose slot came while a ledger lookup
/// was awaited left late, together with the next ones, and the reads bunched.
struct Run<F> {
    syncs: futures_util::stream::FuturesUnordered<F>,
    report: ReconcileReport,
    /// Reads of the budget's share set aside at the last look at the counter, not yet taken.
    set_aside: u64,
}

impl<F> Run<F>
where
    F: std::future::Future<Output = (Option<DateTime<Utc>>, Result<Synced, PortError>)>,
{
    /// Awaits `step` while the syncs in flight go on; a sync that fails stops the run with its error.
    async fn alongside<T>(
        &mut self,
        step: impl std::future::Future<Output = Result<T, PortError>>,
    ) -> Result<T, PortError> {
        use futures_util::StreamExt;
        use futures_util::future::{Either, select};
        let mut step = std::pin::pin!(step);
        loop {
            if self.syncs.is_empty() {
                return step.await;
            }
            match select(step.as_mut(), self.syncs.next()).await {
                Either::Left((out, _)) => return out,
                Either::Right((Some(done), _)) => self.tally(done)?,
                Either::Right((None, _)) => {}
            }
        }
    }

    /// Waits for one sync in flight and counts it.
    async fn settle(&mut self) -> Result<(), PortError> {
        use futures_util::StreamExt;
        match self.syncs.next().await {
            Some(done) => self.tally(done),
            None => Ok(()),
        }
    }

    /// Lets every sync in flight finish (the watermark must cover only finished work); the first error
    /// of `stop` or of those syncs is returned.
    async fn drain(&mut self, stop: Result<(), PortError>) -> Result<(), PortError> {
        let mut stop = stop;
        while !self.syncs.is_empty() {
            if let Err(e) = self.settle().await
                && stop.is_ok()
            {
                stop = Err(e);
            }
        }
        stop
    }

    fn tally(
        &mut self,
        (listed, synced): (Option<DateTime<Utc>>, Result<Synced, PortError>),
    ) -> Result<(), PortError> {
        let report = &mut self.report;
        match synced? {
            Synced::Written { .. } => report.written += 1,
            Synced::Duplicate => report.duplicate += 1,
            Synced::Stale => report.stale += 1,
            Synced::NotFound => report.not_found += 1,
            Synced::Failed { .. } => report.failed += 1,
        }
        if let Some(t) = listed {
            report.to = Some(report.to.map_or(t, |w| w.max(t)));
        }
        Ok(())
    }

    /// True if the budget (if any) leaves room for `reads` more reads; records the reads used.
    ///
    /// The counter (the reads of every function in the last 24 hours) is asked at each new page
    /// (`ask`), and again whenever the reads set aside at the last ask run out; in between, the run takes
    /// its reads from what it set aside. The run's own reads are then never over its share, and another
    /// function's reads are seen within a page. Asked for every opportunity, the counter cost a
    /// 25-item BatchGetItem per opportunity, more DynamoDB work than the sync itself.
    async fn has_room<B: crate::guards::budget::CallCounter>(
        &mut self,
        budget: Option<&Budgeted<'_, B>>,
        reads: u64,
        ask: bool,
    ) -> Result<bool, PortError> {
        let Some(b) = budget else {
            return Ok(true);
        };
        if !ask && let Some(left) = self.set_aside.checked_sub(reads) {
            self.set_aside = left;
            return Ok(true);
        }
        // The gets of those in flight are not counted yet: they come off what is left too.
        let in_flight = 2 * self.syncs.len() as u64;
        let used = self
            .alongside(b.counter.used(crate::guards::budget::Call::Read))
            .await?;
        self.report.reads_used = Some(used);
        let left = b.budget.backfill_left(used.saturating_add(in_flight));
        let room = left >= reads;
        self.set_aside = left.saturating_sub(reads);
        if !room {
            self.report.paused_for_budget = true;
            warn!(
                reads_used = used,
                share = b.budget.backfill_reads(),
                "reconcile paused: its share of the day's Partner Central reads is spent; the next run goes on from the watermark"
            );
        }
        Ok(room)
    }
}

/// Lists every opportunity modified since the ledger's watermark (all pages, oldest first) and syncs
/// each. A first run (no watermark) backfills everything. The watermark only ever holds AWS's
/// `LastModifiedDate` values, and moves as each opportunity is done, so a run cut short loses nothing.
pub async fn reconcile(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    time_left: impl FnMut() -> bool,
    clock: &Clock,
) -> Result<ReconcileReport, PortError> {
    reconcile_within::<crate::guards::budget::Uncounted>(
        pc, ledger, crm, catalog, time_left, None, clock,
    )
    .await
}

/// [`reconcile`] within a daily budget: before each page and each read, the reads every function made in
/// the last 24 hours are checked against the reconcile's share, and the run pauses (its watermark kept)
/// when the share is spent. A backfill larger than a day's quota goes on across runs and days by itself.
pub async fn reconcile_within<B: crate::guards::budget::CallCounter>(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    mut time_left: impl FnMut() -> bool,
    budget: Option<Budgeted<'_, B>>,
    clock: &Clock,
) -> Result<ReconcileReport, PortError> {
    let from = ledger.watermark(catalog).await?;
    // Up to RECONCILE_IN_FLIGHT opportunities are synced at once, across page boundaries: the reads keep
    // to the client's rate limiter, and each one's ledger and CRM writes overlap the next reads instead
    // of adding to them. Whatever stops the run (the end, time, the budget, an error) lets the started
    // ones finish first, so the watermark only ever covers opportunities that are done.
    let mut run = Run {
        syncs: futures_util::stream::FuturesUnordered::new(),
        report: ReconcileReport {
            from,
            to: from,
            ..ReconcileReport::default()
        },
        set_aside: 0,
    };
    let stop: Result<(), PortError> = async {
        let mut token = None;
        loop {
            if !run.has_room(budget.as_ref(), 1, true).await? {
                return Ok(());
            }
            let page = run
                .alongside(pc.changed_since(catalog, from, token.take()))
                .await?;
            run.report.pages += 1;
            run.report.listed += page.items.len();
            let held = run
                .alongside(entries_of(
                    ledger,
                    RecordKind::Opportunity,
                    catalog,
                    page.items
                        .iter()
                        .filter(|i| i.last_modified.is_some())
                        .map(|i| i.id.as_str()),
                ))
                .await?;
            for item in page.items {
                if !time_left() {
                    run.report.stopped_early = true;
                    return Ok(());
                }
                if let Some(listed) = item.last_modified
                    && has_applied(held.get(&item.id), listed)
                {
                    let report = &mut run.report;
                    report.duplicate += 1;
                    report.unread += 1;
                    report.to = Some(report.to.map_or(listed, |w| w.max(listed)));
                    continue;
                }
                while run.syncs.len() >= RECONCILE_IN_FLIGHT {
                    run.settle().await?;
                }
                // A get and, once submitted, the summary.
                if !run.has_room(budget.as_ref(), 2, false).await? {
                    return Ok(());
                }
                run.syncs.push(async move {
                    let synced =
                        sync_opportunity(pc, ledger, crm, catalog, &item.id, "reconcile", clock)
                            .await;
                    (item.last_modified, synced)
                });
            }
            match page.next {
                Some(t) => token = Some(t),
                None => return Ok(()),
            }
        }
    }
    .await;
    run.drain(stop).await?;
    finish(ledger, catalog, run.report).await
}

/// How many opportunities a reconcile syncs at once. Reads stay at the client's 10/s whatever this is;
/// it only lets one opportunity's ledger and CRM writes overlap the next ones' reads (measured by
/// `make bench-reconcile`, docs/performance.md).
pub const RECONCILE_IN_FLIGHT: usize = 4;

/// How often [`refresh_aws_side`] reads an open opportunity again, and how many at most in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refresh {
    /// Once every (`AWS_SIDE_REFRESH_HOURS`, default 24).
    pub every: chrono::Duration,
    /// At most this many in one run (`AWS_SIDE_REFRESH_PER_RUN`, default 200: with hourly reconciles, 4,800
    /// a day, about 9,600 reads, a tenth of the daily quota).
    pub per_run: usize,
}

impl Refresh {
    /// From the environment, with the defaults above; `AWS_SIDE_REFRESH_HOURS=0` turns it off.
    pub fn from_env() -> Option<Self> {
        let number = |name: &str, default: i64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .unwrap_or(default)
        };
        let hours = number("AWS_SIDE_REFRESH_HOURS", 24);
        (hours > 0).then(|| Refresh {
            every: chrono::Duration::hours(hours),
            per_run: usize::try_from(number("AWS_SIDE_REFRESH_PER_RUN", 200)).unwrap_or(200),
        })
    }
}

/// What [`refresh_aws_side`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Open opportunities due a refresh (not read again by acebridge for `every`).
    pub due: usize,
    /// Read again (GetOpportunity, and GetAwsOpportunitySummary once submitted) and applied if changed.
    pub refreshed: usize,
    /// Of those, with something new for the CRM (AWS's side changed without a new `LastModifiedDate`).
    pub changed: usize,
    /// Stopped by the daily budget or the deadline; the next run goes on with the oldest.
    pub stopped: bool,
}

/// The slow refresh of AWS's side: AWS documents that a change of its opportunity summary (AWS's stage,
/// team, involvement, insights) sends `Opportunity Updated`, not that it moves the partner opportunity's
/// `LastModifiedDate`, so a lost event could leave such a change out of the CRM for good (the reconcile lists
/// by `LastModifiedDate`). Each open opportunity is read again once every `every`, oldest first, at most
/// `per_run` in one run, within the reconcile's daily budget.
// The ports, the catalog and the clock, passed apart (a bundle of them is the layout issue's work).
#[allow(clippy::too_many_arguments)]
pub async fn refresh_aws_side<B: crate::guards::budget::CallCounter>(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    pace: Refresh,
    mut time_left: impl FnMut() -> bool,
    budget: Option<Budgeted<'_, B>>,
    clock: &Clock,
) -> Result<RefreshReport, PortError> {
    let Refresh { every, per_run } = pace;
    let now = clock.now();
    let mut due: Vec<ledger::LedgerEntry> = ledger
        .records()
        .await?
        .into_iter()
        .filter(|e| {
            e.key.kind == RecordKind::Opportunity
                && e.key.catalog == catalog
                && e.ace_id.is_some()
                && e.closed_at.is_none()
                && e.status == Some(ledger::RecordStatus::Synced)
                && e.refreshed_at.unwrap_or(e.first_seen) + every <= now
        })
        .collect();
    due.sort_by_key(|e| e.refreshed_at.unwrap_or(e.first_seen));
    let mut report = RefreshReport {
        due: due.len(),
        ..RefreshReport::default()
    };
    for entry in due.into_iter().take(per_run) {
        let room = match &budget {
            Some(b) => b.budget.backfill_may_read(b.counter, 2).await?.0,
            None => true,
        };
        if !time_left() || !room {
            report.stopped = true;
            break;
        }
        let Some(id) = entry.ace_id.as_deref() else {
            continue;
        };
        if let Synced::Written { .. } =
            sync_opportunity(pc, ledger, crm, catalog, id, "refresh", clock).await?
        {
            report.changed += 1;
        }
        report.refreshed += 1;
        ledger::edit(ledger, &entry.key, clock.now(), |e| {
            e.refreshed_at = Some(now);
        })
        .await?;
    }
    Ok(report)
}

async fn finish(
    ledger: &impl Ledger,
    catalog: Catalog,
    report: ReconcileReport,
) -> Result<ReconcileReport, PortError> {
    if let Some(to) = report.to
        && report.to != report.from
    {
        ledger.set_watermark(catalog, to).await?;
    }
    Ok(report)
}
