//! acebridge's notices to people: what needs someone (a referral to accept before it expires, AWS's review
//! asking for more, a failed sync) as Slack Block Kit messages and Microsoft Teams Adaptive Cards.
//!
//! - [`notice`]: the notice, platform-free: its kind (each switchable), idempotency key, facts and links;
//! - [`digest`]: the daily co-sell digest's sections;
//! - [`slack`], [`teams`]: the renderings, within each platform's limits, split rather than cut;
//! - [`deliver`]: the Slack Web API, Slack incoming webhook and Teams Workflows adapters;
//! - [`dispatch`]: one notice to its targets, once per event (claimed and marked in the ledger);
//! - [`config`]: the settings (environment) and the targets (one Secrets Manager secret);
//! - [`outcomes`]: the notice for an outcome event of acebridge's bus;
//! - [`function`]: the notifier function (SQS of outcome events → notices);
//! - [`examples`]: one of each, for the docs and the outside checkers.

pub mod config;
pub mod deliver;
pub mod digest;
pub mod dispatch;
pub mod examples;
pub mod function;
pub mod notice;
pub mod outcomes;
pub mod slack;
pub mod teams;
