//! The one clock acebridge reads the time from.
//!
//! Time is an input: every rule that depends on it (invitation expiry, the rolling 24-hour quota
//! windows, data lifetimes, held edits, signature freshness, "target close date not in the past")
//! reads "now" from the [`Clock`] its composition root handed it. A function's `main`, the CLI and the
//! emulator's binary pick [`Clock::system`]; a test picks a [`TestClock`], pins it where its data needs
//! it and moves it to cross a rule's boundary, instead of sleeping or depending on today's date.
//!
//! Outside this module (and the composition roots), nothing reads the wall clock: `clippy.toml` lists
//! `chrono::Utc::now`, `std::time::SystemTime::now` and the other wall-clock readers as disallowed
//! methods, so CI refuses a new one. Monotonic timers (`std::time::Instant`, `tokio::time`) measure
//! how long something took or pace calls per second; they never tell a date and stay allowed.
//! `docs/reliability.md` ("Time is an input") says how to write a test for a time rule.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Where "now" comes from. Cheap to clone; clones of a test clock share its time.
#[derive(Clone, Debug)]
pub struct Clock(Source);

#[derive(Clone, Debug)]
enum Source {
    /// The operating system's wall clock.
    System,
    /// A test's clock.
    Test(Arc<Manual>),
}

impl Clock {
    /// The system's wall clock: what every composition root hands on in production.
    pub fn system() -> Self {
        Clock(Source::System)
    }

    /// Now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.0 {
            // The one place acebridge reads the wall clock.
            #[allow(clippy::disallowed_methods)]
            Source::System => Utc::now(),
            Source::Test(t) => from_millis(t.millis()),
        }
    }

    /// Today's date in UTC (what "not in the past" compares with).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Now as a [`SystemTime`] (for deadlines given in epoch milliseconds, such as Lambda's).
    pub fn system_time(&self) -> SystemTime {
        let ms = self.now_millis();
        match u64::try_from(ms) {
            Ok(ms) => UNIX_EPOCH + std::time::Duration::from_millis(ms),
            Err(_) => UNIX_EPOCH,
        }
    }

    /// Whether this is a test's clock.
    pub fn is_test(&self) -> bool {
        matches!(self.0, Source::Test(_))
    }
}

/// A test clock's time: a set instant, plus (for a running clock) the real time elapsed since it was
/// made, measured on the monotonic clock (never the calendar).
#[derive(Debug)]
struct Manual {
    /// Milliseconds since the Unix epoch, at `since` for a running clock.
    ms: AtomicI64,
    /// Set for a running clock.
    since: Option<Instant>,
}

impl Manual {
    fn elapsed_ms(&self) -> i64 {
        self.since.map_or(0, |s| {
            i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX)
        })
    }

    fn millis(&self) -> i64 {
        self.ms
            .load(Ordering::SeqCst)
            .saturating_add(self.elapsed_ms())
    }
}

/// A clock a test sets and moves. Every [`Clock`] made from it ([`TestClock::clock`]) reads its time,
/// so moving it moves the time of everything the test handed one to (the emulator included).
///
/// Two kinds: [`TestClock::at`] stands still until the test moves it (a rule's boundary, to the
/// millisecond); [`TestClock::running_from`] starts at a pinned instant and then runs with real time
/// (a whole flow whose waits, retries and per-second pacing need time to pass, on a date the test chose).
#[derive(Clone, Debug)]
pub struct TestClock(Arc<Manual>);

impl TestClock {
    /// A clock stopped at `at`; it moves only when the test moves it.
    pub fn at(at: DateTime<Utc>) -> Self {
        TestClock(Arc::new(Manual {
            ms: AtomicI64::new(at.timestamp_millis()),
            since: None,
        }))
    }

    /// A clock that reads `at` now and runs on with real time from there; the test may still move it.
    pub fn running_from(at: DateTime<Utc>) -> Self {
        TestClock(Arc::new(Manual {
            ms: AtomicI64::new(at.timestamp_millis()),
            since: Some(Instant::now()),
        }))
    }

    /// A clock stopped at an RFC 3339 instant (`"2026-02-28T23:59:59Z"`).
    ///
    /// # Panics
    /// When `rfc3339` is not one: a test's own typo.
    #[allow(clippy::expect_used)]
    pub fn at_rfc3339(rfc3339: &str) -> Self {
        let at = DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 instant");
        TestClock::at(at.with_timezone(&Utc))
    }

    /// The clock to hand to the code under test.
    pub fn clock(&self) -> Clock {
        Clock(Source::Test(self.0.clone()))
    }

    /// Now, on this clock.
    pub fn now(&self) -> DateTime<Utc> {
        from_millis(self.0.millis())
    }

    /// Sets the time (a running clock runs on from there).
    pub fn set(&self, at: DateTime<Utc>) {
        let elapsed = self.0.elapsed_ms();
        self.0.ms.store(
            at.timestamp_millis().saturating_sub(elapsed),
            Ordering::SeqCst,
        );
    }

    /// Moves the time by `by` (backwards when negative: a clock step, as NTP may make).
    pub fn advance(&self, by: Duration) {
        self.0.ms.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

/// The instant every test's clock starts at unless the test pins its own ([`TestClock::suite`]).
/// A date of its own, never today's: the suite's dates are written relative to it.
pub const SUITE_START: &str = "2026-11-30T12:00:00Z";

impl TestClock {
    /// The test process's shared running clock: it reads [`SUITE_START`] when first asked, then runs
    /// with real time. For the tests that need time to pass on a known date without moving it; a
    /// test that moves time makes its own clock (moving this one would move every test's).
    pub fn suite() -> TestClock {
        static SUITE: std::sync::OnceLock<TestClock> = std::sync::OnceLock::new();
        SUITE
            .get_or_init(|| {
                let start = DateTime::parse_from_rfc3339(SUITE_START)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
                TestClock::running_from(start)
            })
            .clone()
    }
}

impl From<&TestClock> for Clock {
    fn from(t: &TestClock) -> Self {
        t.clock()
    }
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_stands_still_until_moved_and_its_clocks_share_its_time() {
        let t = TestClock::at_rfc3339("2028-02-28T23:59:59Z");
        let (a, b) = (t.clock(), t.clock());
        assert_eq!(a.now(), b.now());
        assert_eq!(a.today(), NaiveDate::from_ymd_opt(2028, 2, 28).unwrap());
        t.advance(Duration::seconds(1));
        assert_eq!(b.today(), NaiveDate::from_ymd_opt(2028, 2, 29).unwrap());
        assert_eq!(a.now_millis(), b.now().timestamp_millis());
        t.set(Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(a.now().to_rfc3339(), "2031-01-01T00:00:00+00:00");
        assert!(a.is_test() && !Clock::system().is_test());
    }

    #[test]
    fn the_suite_clock_is_one_clock_from_its_start() {
        let (a, b) = (TestClock::suite(), TestClock::suite());
        let start = DateTime::parse_from_rfc3339(SUITE_START).unwrap().to_utc();
        assert!(a.now() >= start && a.now() - start < Duration::minutes(10));
        assert!(b.now() >= a.now() - Duration::seconds(1));
    }

    #[test]
    fn a_running_clock_starts_at_its_pin_runs_on_and_can_still_be_moved() {
        let pin = Utc.with_ymd_and_hms(2027, 12, 31, 23, 59, 59).unwrap();
        let t = TestClock::running_from(pin);
        let first = t.now();
        assert!(first >= pin && first - pin < Duration::seconds(5));
        // It runs: within a second of real time (spun, not slept) it reads later than it did.
        let spin = Instant::now();
        while t.now() == first && spin.elapsed() < std::time::Duration::from_secs(1) {
            std::hint::spin_loop();
        }
        assert!(t.now() > first);
        t.set(pin + Duration::days(366));
        let moved = t.clock().now() - (pin + Duration::days(366));
        assert!(moved >= Duration::zero() && moved < Duration::seconds(5));
    }

    #[test]
    fn the_system_time_of_a_test_clock_is_its_instant_and_before_1970_is_the_epoch() {
        let t = TestClock::at_rfc3339("2030-06-01T12:00:00Z");
        let since = t.clock().system_time().duration_since(UNIX_EPOCH).unwrap();
        assert_eq!(since.as_millis() as i64, t.now().timestamp_millis());
        t.set(Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(t.clock().system_time(), UNIX_EPOCH);
    }
}
