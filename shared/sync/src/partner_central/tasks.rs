//! Partner Central's asynchronous tasks. StartEngagementByAcceptingInvitationTask and
//! StartEngagementFromOpportunityTask answer with a task whose `TaskStatus` is `IN_PROGRESS`, `COMPLETE`
//! or `FAILED` (with a `ReasonCode` and a `Message`); AWS's developer guide says to read progress with the
//! matching List…Tasks operation, never to assume the task is done. acebridge follows each task it starts
//! to its end within a time budget; when the budget runs out the invocation fails as retryable, and the
//! retry calls the same Start… operation with the same ClientToken, which answers the same task as it is
//! by then (so nothing is started twice).

use crate::ports::error::PortError;
use crate::ports::partner_central::{PartnerCentral, TaskKind, TaskState};
use acebridge_mapping::Catalog;
use std::time::Duration;

/// How long and how often a task is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Follow {
    /// The first wait before reading the task again (doubled after each read, up to `max_wait`).
    pub first_wait: Duration,
    /// The longest wait between reads.
    pub max_wait: Duration,
    /// How long a task is followed in one invocation before it is left to the retry.
    pub budget: Duration,
}

impl Default for Follow {
    /// 250 ms, doubling to 2 s, for up to 30 s: each read is one of the day's read quota, and AWS's
    /// tasks usually finish in seconds.
    fn default() -> Self {
        Follow {
            first_wait: Duration::from_millis(250),
            max_wait: Duration::from_secs(2),
            budget: Duration::from_secs(30),
        }
    }
}

/// Follows a started task until it is `COMPLETE` or `FAILED`, reading it with the List…Tasks operation
/// of its kind. A task still running after the budget is a retryable error (the retry answers the same
/// task through the Start… call's ClientToken); a task Partner Central no longer lists is permanent.
pub async fn follow(
    pc: &impl PartnerCentral,
    catalog: Catalog,
    kind: TaskKind,
    started: TaskState,
    how: Follow,
) -> Result<TaskState, PortError> {
    let begun = tokio::time::Instant::now();
    let mut wait = how.first_wait;
    let mut task = started;
    while task.in_progress() {
        if begun.elapsed() + wait > how.budget {
            return Err(PortError::retryable(
                "partner-central",
                format!(
                    "{} {} is still {} after {} s; the retry reads it again through its ClientToken",
                    kind.operation(),
                    task.task_id,
                    task.status,
                    how.budget.as_secs()
                ),
            ));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(how.max_wait);
        task = pc
            .task(catalog, kind, &task.task_id)
            .await?
            .ok_or_else(|| {
                PortError::permanent(
                    "partner-central",
                    format!(
                        "{} {} is not listed by Partner Central",
                        kind.operation(),
                        task.task_id
                    ),
                )
            })?;
    }
    Ok(task)
}
