//! Sending one notice to the targets configured for its kind, once per underlying event: each (notice key,
//! target) is claimed in the ledger before it is posted and marked sent after ([`claim_notice`]), so a
//! redelivered event, or a retry after one target failed, posts nothing twice (a crash between the post and
//! the mark is the one window in which a notice can go out twice; never zero times).
//!
//! A failure to notify is the notifier's alone: it is recorded on the mark (the console lists it) and
//! returned, so the queue delivers the event again and, after its retries, keeps it in the notifier's
//! dead-letter queue. Nothing here is on the sync's path.

use crate::deliver::{SlackWebApi, SlackWebhook, TeamsWorkflow};
use crate::notice::{Notice, NoticeKind, Switches};
use crate::{slack, teams};
use acebridge_sync::PortError;
use acebridge_sync::ports::ledger::{Ledger, NoticeClaim, claim_notice, finish_notice};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// How long one delivery holds its claim (a Lambda's time limit is well under it).
pub const LEASE_SECONDS: i64 = 300;

/// Where Slack notices go.
#[derive(Debug, Clone)]
pub enum SlackTarget {
    /// The Web API: a default channel, and a channel per kind where routed.
    Api {
        /// The client.
        api: SlackWebApi,
        /// The default channel id.
        channel: String,
        /// Channel per kind.
        routes: BTreeMap<NoticeKind, String>,
    },
    /// An incoming webhook (one channel).
    Webhook(SlackWebhook),
}

/// The configured targets; each is optional.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Slack.
    pub slack: Option<SlackTarget>,
    /// Teams: the default workflow, and one per kind where routed.
    pub teams: Option<(TeamsWorkflow, BTreeMap<NoticeKind, TeamsWorkflow>)>,
    /// Which kinds are sent.
    pub switches: Switches,
}

/// What happened to a notice at one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Posted now (the number of messages: a long one is split).
    Sent(usize),
    /// Posted before (a redelivered event).
    AlreadySent,
    /// Another invocation is posting it.
    InFlight,
    /// Failed; recorded on the mark.
    Failed(PortError),
}

/// The outcome per target (`slack`, `teams`); empty when the kind is switched off or no target is set.
pub type Report = Vec<(&'static str, Delivery)>;

impl Targets {
    /// Sends `notice` to every target, each once. An error only for the ledger; a target's failure is in
    /// the report (see [`failed`]).
    pub async fn send(
        &self,
        ledger: &impl Ledger,
        notice: &Notice,
        now: DateTime<Utc>,
    ) -> Result<Report, PortError> {
        let mut report = Vec::new();
        if !self.switches.is_on(notice.kind) {
            return Ok(report);
        }
        if let Some(target) = &self.slack {
            let d = once(ledger, notice, "slack", now, || post_slack(target, notice)).await?;
            report.push(("slack", d));
        }
        if let Some((default, routes)) = &self.teams {
            let flow = routes.get(&notice.kind).unwrap_or(default);
            let d = once(ledger, notice, "teams", now, || async {
                let bodies = teams::notice(notice, notice.owner_email.as_deref());
                for b in &bodies {
                    flow.post(b).await?;
                }
                Ok(bodies.len())
            })
            .await?;
            report.push(("teams", d));
        }
        Ok(report)
    }
}

/// The first failure of a report, for the caller to fail the invocation with (retryable when any is).
pub fn failed(report: &Report) -> Option<PortError> {
    let errors: Vec<&PortError> = report
        .iter()
        .filter_map(|(_, d)| match d {
            Delivery::Failed(e) => Some(e),
            _ => None,
        })
        .collect();
    let first = errors.first()?;
    Some(PortError {
        system: first.system,
        retryable: errors.iter().any(|e| e.retryable),
        message: errors
            .iter()
            .map(|e| format!("{}: {}", e.system, e.message))
            .collect::<Vec<_>>()
            .join("; "),
    })
}

async fn once<F, Fut>(
    ledger: &impl Ledger,
    notice: &Notice,
    target: &'static str,
    now: DateTime<Utc>,
    post: F,
) -> Result<Delivery, PortError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<usize, PortError>>,
{
    let lease = chrono::Duration::seconds(LEASE_SECONDS);
    let mark =
        match claim_notice(ledger, &notice.key, notice.kind.name(), target, now, lease).await? {
            NoticeClaim::Claimed(m) => m,
            NoticeClaim::AlreadySent => return Ok(Delivery::AlreadySent),
            NoticeClaim::InFlight => return Ok(Delivery::InFlight),
        };
    match post().await {
        Ok(n) => {
            finish_notice(ledger, mark, None, now).await?;
            tracing::info!(kind = notice.kind.name(), key = %notice.key, target, messages = n, "notice sent");
            Ok(Delivery::Sent(n))
        }
        Err(e) => {
            finish_notice(ledger, mark, Some(e.message.clone()), now).await?;
            tracing::warn!(kind = notice.kind.name(), key = %notice.key, target, retryable = e.retryable, error = %e.message, "notice not sent");
            Ok(Delivery::Failed(e))
        }
    }
}

async fn post_slack(target: &SlackTarget, notice: &Notice) -> Result<usize, PortError> {
    match target {
        SlackTarget::Api {
            api,
            channel,
            routes,
        } => {
            // The owner is mentioned when Slack knows the address; a failed lookup is no mention, not a
            // failed notice.
            let user = match &notice.owner_email {
                Some(email) => api.user_id(email).await.unwrap_or(None),
                None => None,
            };
            let channel = routes.get(&notice.kind).unwrap_or(channel);
            let messages = slack::notice(notice, user.as_deref());
            for m in &messages {
                api.post(channel, m).await?;
            }
            Ok(messages.len())
        }
        SlackTarget::Webhook(hook) => {
            let messages = slack::notice(notice, None);
            for m in &messages {
                hook.post(m).await?;
            }
            Ok(messages.len())
        }
    }
}
