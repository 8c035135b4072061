//! Asynchronous tasks, as AWS runs them: a `Start…Task` answers `IN_PROGRESS`, and the task finishes
//! later as `COMPLETE` or `FAILED` (with a `ReasonCode` and a message), which the matching `List…Tasks`
//! operation shows. The control endpoint `POST /_emulator/tasks` sets how long tasks take and which of
//! the next ones fail, so a client's handling of every state can be exercised.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::collections::VecDeque;

/// Which `Start…Task` operation started a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// StartEngagementByAcceptingInvitationTask.
    AcceptInvitation,
    /// StartEngagementFromOpportunityTask.
    EngagementFromOpportunity,
    /// StartOpportunityFromEngagementTask (a lead converted to an opportunity).
    OpportunityFromEngagement,
}

impl TaskKind {
    /// The operations the task runs as its caller, with the `ReasonCode` it fails with when the caller
    /// may not: AWS's API reference lists them (StartEngagementByAcceptingInvitationTask: "accepting the
    /// invitation, creating an opportunity in the partner's account from the AWS opportunity, and copying
    /// details"; StartEngagementFromOpportunityTask: "GetOpportunity, CreateEngagement (if it doesn't
    /// exist), CreateResourceSnapshot, CreateResourceSnapshotJob, CreateEngagementInvitation (if not already
    /// invited/accepted), and SubmitOpportunity").
    pub fn dependent_actions(self) -> &'static [(&'static str, &'static str)] {
        match self {
            TaskKind::AcceptInvitation => &[
                ("AcceptEngagementInvitation", "InvitationAccessDenied"),
                ("CreateOpportunity", "OpportunityAccessDenied"),
                (
                    "CreateResourceSnapshotJob",
                    "ResourceSnapshotJobAccessDenied",
                ),
                (
                    "StartResourceSnapshotJob",
                    "ResourceSnapshotJobAccessDenied",
                ),
            ],
            TaskKind::EngagementFromOpportunity => &[
                ("GetOpportunity", "OpportunityAccessDenied"),
                ("CreateEngagement", "EngagementAccessDenied"),
                ("CreateResourceSnapshot", "ResourceSnapshotAccessDenied"),
                (
                    "CreateResourceSnapshotJob",
                    "ResourceSnapshotJobAccessDenied",
                ),
                ("CreateEngagementInvitation", "InvitationAccessDenied"),
                ("SubmitOpportunity", "OpportunitySubmissionFailed"),
            ],
            // AWS's reference says only that the task "creates an opportunity from an existing
            // engagement context"; the emulator reads it as these two, whose reason codes the model has.
            TaskKind::OpportunityFromEngagement => &[
                ("GetEngagement", "EngagementAccessDenied"),
                ("CreateOpportunity", "OpportunityAccessDenied"),
            ],
        }
    }

    /// The resource type in the task's ARN.
    fn arn_type(self) -> &'static str {
        match self {
            TaskKind::AcceptInvitation => "engagement-by-accepting-invitation-task",
            TaskKind::EngagementFromOpportunity => "engagement-from-opportunity-task",
            TaskKind::OpportunityFromEngagement => "opportunity-from-engagement-task",
        }
    }
}

/// One task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// What started it.
    pub kind: TaskKind,
    /// Its catalog.
    pub catalog: String,
    /// `task-…` (the model's pattern `.*task-[0-9a-z]{13}`).
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it finishes: a delay on the monotonic clock (a test's clock may stand still; a task still
    /// takes its time).
    pub due: std::time::Instant,
    /// `IN_PROGRESS`, `COMPLETE` or `FAILED`.
    pub status: &'static str,
    /// The failure it is planned to end with (reason code, message), if any.
    pub planned_failure: Option<(String, String)>,
    /// `ReasonCode` once failed.
    pub reason_code: Option<String>,
    /// `Message` once failed.
    pub message: Option<String>,
    /// The opportunity (given, or created on completion).
    pub opportunity_id: Option<String>,
    /// The invitation accepted, or the one sent on submission.
    pub invitation_id: Option<String>,
    /// The engagement.
    pub engagement_id: Option<String>,
    /// The engagement context converted (the lead's), then the one the opportunity lives in.
    pub context_id: Option<String>,
    /// A submission's (InvolvementType, Visibility).
    pub submission: Option<(String, String)>,
    /// The access key that started it: the task's dependent actions run with its permissions.
    pub caller: Option<String>,
}

impl Task {
    /// A new task, `IN_PROGRESS` until `due`.
    pub fn start(
        kind: TaskKind,
        catalog: &str,
        account: &str,
        n: u64,
        now: DateTime<Utc>,
        plan: &mut TaskPlan,
    ) -> Task {
        let id = format!("task-{n:013}");
        Task {
            kind,
            catalog: catalog.to_string(),
            arn: format!(
                "arn:aws:partnercentral:us-east-1:{account}:catalog/{catalog}/{}/{id}",
                kind.arn_type()
            ),
            id,
            started: now,
            due: std::time::Instant::now() + std::time::Duration::from_millis(plan.delay_ms),
            status: "IN_PROGRESS",
            planned_failure: plan.failures.pop_front(),
            reason_code: None,
            message: None,
            opportunity_id: None,
            invitation_id: None,
            engagement_id: None,
            context_id: None,
            submission: None,
            caller: None,
        }
    }

    /// The task as the Start… response and the List… summaries show it (each kind's two shapes share
    /// their members; the kinds differ in which of the ids they carry).
    pub fn view(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                m.insert(k.to_string(), json!(v));
            }
        };
        put("TaskId", Some(&self.id));
        put("TaskArn", Some(&self.arn));
        put("TaskStatus", Some(self.status));
        put("ReasonCode", self.reason_code.as_deref());
        put("Message", self.message.as_deref());
        put("OpportunityId", self.opportunity_id.as_deref());
        match self.kind {
            TaskKind::AcceptInvitation => {
                put("EngagementInvitationId", self.invitation_id.as_deref());
            }
            TaskKind::EngagementFromOpportunity => {
                put("EngagementInvitationId", self.invitation_id.as_deref());
                put("EngagementId", self.engagement_id.as_deref());
            }
            TaskKind::OpportunityFromEngagement => {
                put("EngagementId", self.engagement_id.as_deref());
                put("ContextId", self.context_id.as_deref());
            }
        }
        m.insert(
            "StartTime".into(),
            json!(crate::timestamps::iso(self.started)),
        );
        Value::Object(m)
    }

    /// Whether this task passes a List…Tasks request's filters.
    pub fn listed(&self, body: &Value) -> bool {
        let want = |filter: &str, value: Option<&str>| {
            body.get(filter)
                .and_then(Value::as_array)
                .is_none_or(|ids| value.is_some_and(|v| ids.iter().any(|x| x == v)))
        };
        want("TaskIdentifier", Some(&self.id))
            && want("TaskStatus", Some(self.status))
            && want("OpportunityIdentifier", self.opportunity_id.as_deref())
            && want(
                "EngagementInvitationIdentifier",
                self.invitation_id.as_deref(),
            )
            && want("EngagementIdentifier", self.engagement_id.as_deref())
            && want("ContextIdentifier", self.context_id.as_deref())
    }
}

/// How the next tasks run: how long they take, and which of them fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskPlan {
    /// Time from start to finish, for every task started from now on.
    pub delay_ms: u64,
    /// The next tasks to start fail with these (reason code, message), in order.
    pub failures: VecDeque<(String, String)>,
}
