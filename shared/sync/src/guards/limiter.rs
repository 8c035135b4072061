//! A client-side rate limiter: no more than `per_second` calls start in any second (Partner Central: 10
//! reads/s, 1 write/s per partner account). Shared by every task of a process.
//! The window carries a 2% margin (1.02 s): calls at exactly the limit arrive with network jitter and
//! a server counting a sliding second throttles some of them (measured: 46 throttles in 303 reads at
//! exactly 100 ms). A throttled read costs one more slot (reads are retried through the limiter), so
//! the margin is kept small: 5% cost every backfill 5% of its time (`make bench-reconcile`).

use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `per_second` calls start in any window of one second (plus the margin), as the service
/// counts them: the same rate as calls spaced evenly, but a slot that went unused (every caller busy
/// elsewhere) can be made up within the window instead of being lost.
#[derive(Debug)]
pub struct RateLimiter {
    per_window: usize,
    window: Duration,
    /// Start times given out, oldest first: the last `per_window` of them.
    starts: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// At most `per_second` calls per second (at least 1).
    pub fn per_second(per_second: u32) -> Self {
        let per_window = per_second.max(1) as usize;
        RateLimiter {
            per_window,
            window: Duration::from_secs(1) * 51 / 50,
            starts: Mutex::new(VecDeque::with_capacity(per_window)),
        }
    }

    /// Waits for this call's slot: the earliest time after the last one given out at which the window
    /// before it holds fewer than `per_second` starts.
    pub async fn wait(&self) {
        let slot = {
            let mut starts = self.starts.lock().await;
            let now = Instant::now();
            let mut slot = starts.back().map_or(now, |last| (*last).max(now));
            if starts.len() >= self.per_window
                && let Some(oldest) = starts.pop_front()
            {
                slot = slot.max(oldest + self.window);
            }
            starts.push_back(slot);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_rate() {
        let limiter = RateLimiter::per_second(10);
        let start = Instant::now();
        let mut at = vec![];
        for _ in 0..21 {
            limiter.wait().await;
            at.push(start.elapsed());
        }
        // Ten at once, then the 11th one window (1.02 s) after the first, the 21st two windows after.
        assert_eq!(at[9], Duration::ZERO);
        assert_eq!(at[10], Duration::from_millis(1020));
        assert_eq!(at[20], Duration::from_millis(2040));
        for w in at.windows(11) {
            assert!(w[10] - w[0] >= Duration::from_millis(1020), "{at:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_left_unused_is_made_up_within_the_window() {
        let limiter = RateLimiter::per_second(10);
        let start = Instant::now();
        limiter.wait().await;
        tokio::time::sleep(Duration::from_millis(900)).await;
        for _ in 0..9 {
            limiter.wait().await;
        }
        // Evenly spaced calls would have lost the 900 ms: here the nine go at once.
        assert_eq!(start.elapsed(), Duration::from_millis(900));
        limiter.wait().await;
        assert_eq!(start.elapsed(), Duration::from_millis(1020));
    }
}
