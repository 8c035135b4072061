//! The port on the Partner Central Selling API: what acebridge calls (the trait the SDK adapter
//! implements, `adapters::partner_central`) and the values it answers with, tasks' included. Everything
//! else in the channel ([`crate::partner_central`]) is built on this; this depends on nothing of it.

use crate::model::policy::RejectionReason;
use crate::ports::error::PortError;
use acebridge_mapping::{Catalog, Invitation, Opportunity};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::future::Future;

/// One entry of a ListOpportunities page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The opportunity id.
    pub id: String,
    /// Its `LastModifiedDate`.
    pub last_modified: Option<DateTime<Utc>>,
}

/// A page of changed opportunities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedPage {
    /// Oldest first.
    pub items: Vec<Changed>,
    /// The next page's token.
    pub next: Option<String>,
}

/// A field-level refusal (a `ValidationException` entry), for the CRM record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// API field name, when one is to blame.
    pub field: Option<String>,
    /// `REQUIRED_FIELD_MISSING`, `INVALID_VALUE`, …
    pub code: String,
    /// AWS's message.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {} ({})", self.message, self.code),
            None => write!(f, "{} ({})", self.message, self.code),
        }
    }
}

/// Why Partner Central refused a write (retrying the same call cannot help).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "refused")]
pub enum Refusal {
    /// `LastModifiedDate` is not the current one: read again and retry.
    Conflict {
        /// AWS's message.
        message: String,
    },
    /// `ValidationException`, field by field.
    Invalid {
        /// The errors.
        errors: Vec<FieldError>,
    },
}

/// A created opportunity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// `O…`.
    pub id: String,
    /// Its `LastModifiedDate`.
    pub last_modified: Option<DateTime<Utc>>,
}

/// How a partner opportunity is submitted to AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    /// `Co-Sell` or `For Visibility Only`.
    pub involvement_type: String,
    /// `Full` or `Limited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
}

/// An invitation waiting for the partner's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvitation {
    /// `engi-…`.
    pub id: String,
    /// Its title.
    pub title: Option<String>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The Partner Central Selling API, as acebridge uses it.
pub trait PartnerCentral: Send + Sync {
    /// An opportunity in canonical form, with AWS's summary merged in where there is one.
    fn opportunity(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Option<Opportunity>, PortError>> + Send;

    /// Opportunities modified on or after `after`, oldest first, one page.
    fn changed_since(
        &self,
        catalog: Catalog,
        after: Option<DateTime<Utc>>,
        token: Option<String>,
    ) -> impl Future<Output = Result<ChangedPage, PortError>> + Send;

    /// An invitation in canonical form.
    fn invitation(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Option<Invitation>, PortError>> + Send;

    /// Accepts an invitation (StartEngagementByAcceptingInvitationTask) with `client_token`: the task as
    /// it is when the call answers (usually `IN_PROGRESS`; see [`crate::partner_central::tasks::follow`]).
    fn accept(
        &self,
        catalog: Catalog,
        id: &str,
        client_token: &str,
    ) -> impl Future<Output = Result<TaskState, PortError>> + Send;

    /// A task by id (ListEngagementByAcceptingInvitationTasks or ListEngagementFromOpportunityTasks,
    /// filtered on `TaskIdentifier`); `None` when Partner Central does not list it.
    fn task(
        &self,
        catalog: Catalog,
        kind: TaskKind,
        task_id: &str,
    ) -> impl Future<Output = Result<Option<TaskState>, PortError>> + Send;

    /// Rejects an invitation.
    fn reject(
        &self,
        catalog: Catalog,
        id: &str,
        reason: &RejectionReason,
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Invitations received and still pending, with their title and expiry (all pages).
    fn pending_invitations(
        &self,
        catalog: Catalog,
    ) -> impl Future<Output = Result<Vec<PendingInvitation>, PortError>> + Send;

    /// CreateOpportunity with `client_token` (a retry with the same token and body returns the same id).
    fn create(
        &self,
        catalog: Catalog,
        client_token: &str,
        opportunity: &Opportunity,
    ) -> impl Future<Output = Result<Result<Created, Refusal>, PortError>> + Send;

    /// UpdateOpportunity: a full replace of `opportunity`, whose `id` and `last_modified_at` (the
    /// optimistic lock) come from a GetOpportunity. Returns the new `LastModifiedDate`.
    fn update(
        &self,
        catalog: Catalog,
        opportunity: &Opportunity,
    ) -> impl Future<Output = Result<Result<Option<DateTime<Utc>>, Refusal>, PortError>> + Send;

    /// AssociateOpportunity (`Solutions`, `AwsProducts`, `AwsMarketplaceOffers`).
    fn associate(
        &self,
        catalog: Catalog,
        id: &str,
        entity_type: &str,
        entity: &str,
    ) -> impl Future<Output = Result<Result<(), Refusal>, PortError>> + Send;

    /// AcceptEngagementInvitation (how a lead invitation is accepted; synchronous).
    fn accept_lead_invitation(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Result<(), Refusal>, PortError>> + Send;

    /// The lead of engagement `id` (GetEngagement, its `Lead` context); `None` when Partner Central
    /// has no such engagement for this partner or it holds no lead.
    fn lead(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> impl Future<Output = Result<Option<acebridge_mapping::Lead>, PortError>> + Send;

    /// One page of the engagements with a `Lead` context (ListEngagements).
    fn lead_engagements(
        &self,
        catalog: Catalog,
        token: Option<String>,
    ) -> impl Future<Output = Result<EngagementPage, PortError>> + Send;

    /// UpdateEngagementContext of `aws`'s lead context with the CRM's version `crm`, locked by `aws`'s
    /// `ModifiedAt`. Returns the engagement's new `ModifiedAt`.
    fn update_lead(
        &self,
        catalog: Catalog,
        crm: &acebridge_mapping::Lead,
        aws: &acebridge_mapping::Lead,
    ) -> impl Future<Output = Result<Result<Option<DateTime<Utc>>, Refusal>, PortError>> + Send;

    /// StartOpportunityFromEngagementTask with `client_token`: the task as it is when the call answers.
    fn convert_lead(
        &self,
        catalog: Catalog,
        engagement: &str,
        context: &str,
        client_token: &str,
    ) -> impl Future<Output = Result<Result<TaskState, Refusal>, PortError>> + Send;

    /// StartEngagementFromOpportunityTask with `client_token`: the task as it is when the call answers.
    fn submit(
        &self,
        catalog: Catalog,
        id: &str,
        client_token: &str,
        submission: &Submission,
    ) -> impl Future<Output = Result<Result<TaskState, Refusal>, PortError>> + Send;

    /// The writes the day's quota still allows (see [`crate::guards::budget`]), counted across functions;
    /// `None` when writes are not counted.
    fn writes_left(&self) -> impl Future<Output = Result<Option<u64>, PortError>> + Send;
}

/// One entry of a ListEngagements page (lead contexts only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngagementListed {
    /// `eng-…`.
    pub id: String,
    /// Its `ModifiedAt`.
    pub modified_at: Option<DateTime<Utc>>,
}

/// A page of lead engagements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngagementPage {
    /// As listed.
    pub items: Vec<EngagementListed>,
    /// The next page's token.
    pub next: Option<String>,
}

/// Which Start…Task started a task (and so which List…Tasks reads it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaskKind {
    /// StartEngagementByAcceptingInvitationTask (ListEngagementByAcceptingInvitationTasks).
    AcceptInvitation,
    /// StartEngagementFromOpportunityTask (ListEngagementFromOpportunityTasks).
    EngagementFromOpportunity,
    /// StartOpportunityFromEngagementTask (ListOpportunityFromEngagementTasks): a lead converted.
    OpportunityFromEngagement,
}

impl TaskKind {
    /// The Start… operation's name.
    pub fn operation(self) -> &'static str {
        match self {
            TaskKind::AcceptInvitation => "StartEngagementByAcceptingInvitationTask",
            TaskKind::EngagementFromOpportunity => "StartEngagementFromOpportunityTask",
            TaskKind::OpportunityFromEngagement => "StartOpportunityFromEngagementTask",
        }
    }
}

/// A task as Partner Central reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskState {
    /// `task-…`.
    pub task_id: String,
    /// `IN_PROGRESS`, `COMPLETE`, `FAILED` (or a value added since: handled as not finished).
    pub status: String,
    /// The opportunity the task created or worked on, once known.
    pub opportunity_id: Option<String>,
    /// `ReasonCode` of a failed task (the model's `ReasonCode` enum).
    pub reason_code: Option<String>,
    /// AWS's message of a failed task.
    pub message: Option<String>,
}

impl TaskState {
    /// `COMPLETE`.
    pub fn is_complete(&self) -> bool {
        self.status == "COMPLETE"
    }

    /// `FAILED`.
    pub fn is_failed(&self) -> bool {
        self.status == "FAILED"
    }

    /// Neither complete nor failed yet.
    pub fn in_progress(&self) -> bool {
        !self.is_complete() && !self.is_failed()
    }

    /// A failed task's reason, as the CRM and the ledger show it: `ReasonCode: Message`.
    pub fn failure(&self) -> String {
        format!(
            "{} failed: {}: {}",
            self.task_id,
            self.reason_code.as_deref().unwrap_or("no reason code"),
            self.message.as_deref().unwrap_or("no message")
        )
    }
}
