//! The Lambda deadline, for work that must stop cleanly before it (the scanner, the reconcile).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The invocation's deadline. Lambda sends epoch milliseconds; `cargo lambda watch` sends the timeout
/// itself (e.g. 600000), which is read as "from now".
pub fn deadline(ms: u64) -> SystemTime {
    const YEAR_2001_MS: u64 = 1_000_000_000_000;
    // Checked: a value past SystemTime's range is "no deadline soon", never an overflow panic.
    let base = if ms < YEAR_2001_MS {
        SystemTime::now()
    } else {
        UNIX_EPOCH
    };
    base.checked_add(Duration::from_millis(ms))
        .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(900))
}

/// How long before the deadline to stop starting work: `DEADLINE_MARGIN_MS`, default 15 s.
pub fn margin_from_env() -> Duration {
    std::env::var("DEADLINE_MARGIN_MS")
        .ok()
        .and_then(|m| m.parse().ok())
        .map_or(Duration::from_secs(15), Duration::from_millis)
}

/// "Is there time to start one more item?" for an invocation with deadline `ms`.
pub fn time_left(ms: u64, margin: Duration) -> impl FnMut() -> bool + Send {
    let stop = deadline(ms).checked_sub(margin).unwrap_or(UNIX_EPOCH);
    move || SystemTime::now() < stop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_deadline_is_read_from_now_and_an_epoch_one_as_is() {
        let mut ok = time_left(60_000, Duration::from_secs(15));
        assert!(ok());
        let mut over = time_left(10_000, Duration::from_secs(15));
        assert!(!over());
        let past = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
            - 1;
        assert!(!time_left(past, Duration::ZERO)());
    }

    #[test]
    fn a_deadline_past_the_clock_s_range_is_not_an_overflow() {
        let mut ok = time_left(u64::MAX, Duration::from_secs(15));
        assert!(ok());
    }
}
