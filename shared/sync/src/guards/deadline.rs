//! The Lambda deadline, for work that must stop cleanly before it (the scanner, the reconcile).

use acebridge_clock::Clock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The invocation's deadline. Lambda sends epoch milliseconds; `cargo lambda watch` sends the timeout
/// itself (e.g. 600000), which is read as "from now" on `clock`.
pub fn deadline(ms: u64, clock: &Clock) -> SystemTime {
    const YEAR_2001_MS: u64 = 1_000_000_000_000;
    let now = clock.system_time();
    // Checked: a value past SystemTime's range is "no deadline soon", never an overflow panic.
    let base = if ms < YEAR_2001_MS { now } else { UNIX_EPOCH };
    base.checked_add(Duration::from_millis(ms))
        .unwrap_or_else(|| now + Duration::from_secs(900))
}

/// How long before the deadline to stop starting work: `DEADLINE_MARGIN_MS`, default 15 s.
pub fn margin_from_env() -> Duration {
    std::env::var("DEADLINE_MARGIN_MS")
        .ok()
        .and_then(|m| m.parse().ok())
        .map_or(Duration::from_secs(15), Duration::from_millis)
}

/// "Is there time to start one more item?" for an invocation with deadline `ms`, asked of `clock`.
pub fn time_left(ms: u64, margin: Duration, clock: &Clock) -> impl FnMut() -> bool + Send + use<> {
    let stop = deadline(ms, clock)
        .checked_sub(margin)
        .unwrap_or(UNIX_EPOCH);
    let clock = clock.clone();
    move || clock.system_time() < stop
}

#[cfg(test)]
mod tests {
    use super::*;
    use acebridge_clock::TestClock;

    #[test]
    fn a_relative_deadline_is_read_from_now_and_an_epoch_one_as_is() {
        let t = TestClock::at_rfc3339("2031-03-01T00:00:00Z");
        let clock = t.clock();
        let mut ok = time_left(60_000, Duration::from_secs(15), &clock);
        assert!(ok());
        let mut over = time_left(10_000, Duration::from_secs(15), &clock);
        assert!(!over());
        let past = t.now().timestamp_millis() as u64 - 1;
        assert!(!time_left(past, Duration::ZERO, &clock)());
    }

    #[test]
    fn the_margin_is_kept_to_the_millisecond_as_the_clock_moves() {
        let t = TestClock::at_rfc3339("2031-12-31T23:59:00Z");
        let deadline_ms = t.now().timestamp_millis() as u64 + 60_000;
        let mut left = time_left(deadline_ms, Duration::from_secs(15), &t.clock());
        t.advance(chrono::Duration::milliseconds(44_999));
        assert!(left(), "15.001 s before the deadline there is time");
        t.advance(chrono::Duration::milliseconds(1));
        assert!(!left(), "15 s before it (across the year end) there is not");
    }

    #[test]
    fn a_deadline_past_the_clock_s_range_is_not_an_overflow() {
        let clock = TestClock::at_rfc3339("2030-01-01T00:00:00Z").clock();
        let mut ok = time_left(u64::MAX, Duration::from_secs(15), &clock);
        assert!(ok());
    }
}
