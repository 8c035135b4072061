//! Where a stack stands in the move from the S3 exchange (deprecated by AWS: no new partners since 2024,
//! those on it must move) to the Partner Central API, for an operator: from the channel CRM changes take
//! (`CHANNEL`) and when the last ACE file landed. A stack with `Channel=both` sends CRM changes over the
//! API and still takes AWS's files; once no file has landed for [`QUIET_DAYS`], AWS has stopped using the
//! bucket for this partner and the S3 channel can go (`Channel=api`, docs/deploy.md).

use chrono::{DateTime, Utc};

/// Days without an ACE file after which the S3 channel is taken to be unused.
pub const QUIET_DAYS: i64 = 30;

/// The stack's place in the move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// CRM changes go to AWS as inbound files: the move has not started.
    S3Only,
    /// CRM changes go over the API; ACE files still land (the last one `days_quiet` days ago).
    Moving {
        /// When the last ACE file landed.
        last_file: DateTime<Utc>,
        /// Whole days since.
        days_quiet: i64,
    },
    /// CRM changes go over the API and no ACE file has landed for [`QUIET_DAYS`] or more.
    ReadyForApiOnly {
        /// When the last ACE file landed.
        last_file: DateTime<Utc>,
        /// Whole days since.
        days_quiet: i64,
    },
    /// CRM changes go over the API and no ACE file was ever taken.
    ApiOnly,
}

/// The stage, from the channel CRM changes take (`changes_over_api`: `CHANNEL=api`, else inbound files;
/// a flag, not `crm_queue::Channel`, so that this folder does not import the CRM side that imports it)
/// and the last file's time, judged at `now`.
pub fn stage(
    changes_over_api: bool,
    last_file: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Stage {
    match (changes_over_api, last_file) {
        (false, _) => Stage::S3Only,
        (true, None) => Stage::ApiOnly,
        (true, Some(last_file)) => {
            let days_quiet = (now - last_file).num_days().max(0);
            if days_quiet >= QUIET_DAYS {
                Stage::ReadyForApiOnly {
                    last_file,
                    days_quiet,
                }
            } else {
                Stage::Moving {
                    last_file,
                    days_quiet,
                }
            }
        }
    }
}

impl Stage {
    /// What it means and what to do, in a sentence or two.
    pub fn advice(&self) -> String {
        match self {
            Stage::S3Only => "On the S3 exchange only (CRM changes go to AWS as inbound files). AWS has \
                deprecated it: deploy with Channel=both to send CRM changes over the API while AWS's files \
                are still taken (docs/deploy.md)."
                .to_string(),
            Stage::Moving { days_quiet, .. } => format!(
                "Moving to the API: CRM changes go over the API, AWS's files still land (the last {days_quiet} \
                 day(s) ago). Keep Channel=both until no file has landed for {QUIET_DAYS} days."
            ),
            Stage::ReadyForApiOnly { days_quiet, .. } => format!(
                "No ACE file has landed for {days_quiet} days: the S3 channel looks unused. Channel=api removes \
                 the scanner, the landing bucket and the ingest (docs/deploy.md)."
            ),
            Stage::ApiOnly => "On the Partner Central API only.".to_string(),
        }
    }

    /// A short name for the stage.
    pub fn name(&self) -> &'static str {
        match self {
            Stage::S3Only => "S3 exchange only",
            Stage::Moving { .. } => "moving to the API",
            Stage::ReadyForApiOnly { .. } => "ready for the API only",
            Stage::ApiOnly => "API only",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn the_stage_follows_the_channel_and_the_days_since_the_last_file() {
        let last = Utc
            .with_ymd_and_hms(2030, 12, 1, 12, 0, 0)
            .single()
            .unwrap();
        assert_eq!(stage(false, Some(last), last), Stage::S3Only);
        assert_eq!(stage(true, None, last), Stage::ApiOnly);
        let almost = last + Duration::days(QUIET_DAYS) - Duration::seconds(1);
        assert!(matches!(
            stage(true, Some(last), almost),
            Stage::Moving { days_quiet, .. } if days_quiet == QUIET_DAYS - 1
        ));
        let quiet = last + Duration::days(QUIET_DAYS);
        assert!(matches!(
            stage(true, Some(last), quiet),
            Stage::ReadyForApiOnly { days_quiet, .. } if days_quiet == QUIET_DAYS
        ));
        // A file stamped after `now` (clock skew) is not a negative quiet time.
        assert!(matches!(
            stage(true, Some(quiet), last),
            Stage::Moving { days_quiet: 0, .. }
        ));
    }

    #[test]
    fn every_stage_says_what_to_do() {
        let t = Utc.with_ymd_and_hms(2031, 1, 1, 0, 0, 0).single().unwrap();
        for s in [
            Stage::S3Only,
            Stage::Moving {
                last_file: t,
                days_quiet: 2,
            },
            Stage::ReadyForApiOnly {
                last_file: t,
                days_quiet: 40,
            },
            Stage::ApiOnly,
        ] {
            assert!(!s.advice().is_empty() && !s.name().is_empty());
        }
    }
}
