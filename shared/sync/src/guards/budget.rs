//! Partner Central's daily quotas (100,000 reads and 10,000 writes per rolling 24 hours, per partner
//! account), counted across all of acebridge's functions, with a share kept for live work.
//!
//! Every Partner Central call is counted where it is made (the SDK adapter, [`CallCounter::spend`]) in the
//! ledger table, in hourly buckets; the day's use is the sum of the last 25 buckets, which over-counts by up
//! to an hour and so never lets a backfill run past AWS's rolling window. The reconcile (a backfill is a
//! reconcile from no watermark) looks at the counter before each page, and again whenever the reads it set
//! aside at the last look are spent, and stops while the reads of the last 24 hours exceed its share; the watermark keeps its place, and the next scheduled
//! run goes on from there. Live work (Partner Central events, CRM changes) is never stopped by the budget:
//! the reserved share is what keeps it served while a large backfill runs.

use crate::ports::error::PortError;
use std::future::Future;

/// A kind of Partner Central call, as AWS's quotas count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// Get*, List*.
    Read,
    /// Create, Update, Associate, Start*Task, Reject, …
    Write,
}

impl Call {
    /// `reads` / `writes`.
    pub fn as_str(self) -> &'static str {
        match self {
            Call::Read => "reads",
            Call::Write => "writes",
        }
    }
}

/// Where calls are counted.
pub trait CallCounter: Send + Sync {
    /// Counts `n` calls made now.
    fn spend(&self, call: Call, n: u64) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Calls counted in the last 24 hours (and up to one hour more).
    fn used(&self, call: Call) -> impl Future<Output = Result<u64, PortError>> + Send;
}

/// No counter: nothing counted, nothing used (a reconcile without a budget).
#[derive(Debug, Clone, Copy, Default)]
pub struct Uncounted;

impl CallCounter for Uncounted {
    async fn spend(&self, _: Call, _: u64) -> Result<(), PortError> {
        Ok(())
    }

    async fn used(&self, _: Call) -> Result<u64, PortError> {
        Ok(0)
    }
}

/// The daily quotas and the share of reads the reconcile may not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyBudget {
    /// Reads per rolling 24 hours (`PC_READS_PER_DAY`; AWS's quota: 100,000).
    pub reads_per_day: u64,
    /// Writes per rolling 24 hours (`PC_WRITES_PER_DAY`; AWS's quota: 10,000).
    pub writes_per_day: u64,
    /// Percent of the reads kept for live events and CRM writes (`LIVE_RESERVE_PERCENT`, default 30).
    pub reserved_percent: u64,
}

impl Default for DailyBudget {
    fn default() -> Self {
        DailyBudget {
            reads_per_day: 100_000,
            writes_per_day: 10_000,
            reserved_percent: 30,
        }
    }
}

impl DailyBudget {
    /// From the environment (`PC_READS_PER_DAY`, `PC_WRITES_PER_DAY`, `LIVE_RESERVE_PERCENT`), each
    /// defaulting to AWS's quota and a 30% reserve; an unreadable value is an error naming it.
    pub fn from_env() -> Result<Self, String> {
        let d = DailyBudget::default();
        let read = |name: &str, default: u64| -> Result<u64, String> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{name} must be a whole number, not {v:?}")),
                _ => Ok(default),
            }
        };
        let budget = DailyBudget {
            reads_per_day: read("PC_READS_PER_DAY", d.reads_per_day)?,
            writes_per_day: read("PC_WRITES_PER_DAY", d.writes_per_day)?,
            reserved_percent: read("LIVE_RESERVE_PERCENT", d.reserved_percent)?,
        };
        if budget.reserved_percent > 100 {
            return Err("LIVE_RESERVE_PERCENT must be 0 to 100".into());
        }
        Ok(budget)
    }

    /// The reads a backfill or reconcile may use per rolling 24 hours.
    pub fn backfill_reads(&self) -> u64 {
        self.reads_per_day
            .saturating_mul(100 - self.reserved_percent.min(100))
            / 100
    }

    /// True while the reads counted in the last 24 hours leave the reconcile room for one more page and
    /// its gets (`margin` reads).
    pub async fn backfill_may_read(
        &self,
        counter: &impl CallCounter,
        margin: u64,
    ) -> Result<(bool, u64), PortError> {
        let used = counter.used(Call::Read).await?;
        Ok((margin <= self.backfill_left(used), used))
    }

    /// What is left of the backfill's share when `used` reads have been counted.
    pub fn backfill_left(&self, used: u64) -> u64 {
        self.backfill_reads().saturating_sub(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_comes_off_the_reads_a_backfill_may_use() {
        let b = DailyBudget::default();
        assert_eq!(b.backfill_reads(), 70_000);
        let all = DailyBudget {
            reserved_percent: 0,
            ..b
        };
        assert_eq!(all.backfill_reads(), 100_000);
    }
}
