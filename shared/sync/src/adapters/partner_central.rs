//! [`PartnerCentral`] on `aws-sdk-partnercentralselling`: the client pinned to us-east-1 (the API's
//! only region, whatever region the stack runs in), reads kept to 10/s and writes to 1/s by a
//! client-side limiter. A throttled or failed read is tried again in its own limiter slot
//! (`SdkPartnerCentral::read`); writes are retried by the SDK with backoff.

use super::classify;

/// A task's state from any of the SDK's task shapes (Start… outputs and List… summaries share these
/// accessors, but no trait).
macro_rules! task_state {
    ($t:expr) => {
        TaskState {
            task_id: $t.task_id().unwrap_or_default().to_string(),
            status: $t
                .task_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            opportunity_id: $t.opportunity_id().map(str::to_string),
            reason_code: $t.reason_code().map(|r| r.as_str().to_string()),
            message: $t.message().map(str::to_string),
        }
    };
}
use crate::guards::limiter::RateLimiter;
use crate::model::policy::RejectionReason;
use crate::ports::error::PortError;
use crate::ports::partner_central::{
    Changed, ChangedPage, Created, EngagementListed, EngagementPage, FieldError, PartnerCentral,
    PendingInvitation, Refusal, Submission, TaskKind, TaskState,
};
use acebridge_mapping::api::Shape;
use acebridge_mapping::api::sdk::SdkOpportunity;
use acebridge_mapping::api::sdk::{apply_aws_summary, from_get_opportunity, invitation_from_sdk};
use acebridge_mapping::api::wire::ApiOpportunity;
use acebridge_mapping::{Catalog, Invitation, Opportunity};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_sdk_partnercentralselling::Client;
use aws_sdk_partnercentralselling::error::ProvideErrorMetadata;
use aws_sdk_partnercentralselling::error::SdkError;
use aws_sdk_partnercentralselling::operation::get_aws_opportunity_summary::GetAwsOpportunitySummaryError;
use aws_sdk_partnercentralselling::operation::get_engagement_invitation::GetEngagementInvitationError;
use aws_sdk_partnercentralselling::operation::get_opportunity::GetOpportunityError;
use aws_sdk_partnercentralselling::primitives::DateTime as SdkDateTime;
use aws_sdk_partnercentralselling::types::{
    AwsSubmission, RelatedEntityType, SalesInvolvementType, Visibility, error::ValidationException,
};
use aws_sdk_partnercentralselling::types::{
    LastModifiedDate, OpportunitySort, OpportunitySortName, SortOrder,
};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The only region the Selling API lives in.
pub const REGION: &str = "us-east-1";

/// One attempt's limit (connect, send, read the answer).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// A call's limit, its retries included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(40);

fn timeouts(attempt: Duration, operation: Duration) -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(3100).min(attempt))
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build()
}

/// The Partner Central adapter.
#[derive(Debug)]
pub struct SdkPartnerCentral {
    client: Client,
    /// The same client with the SDK's retries off: calls are retried by [`SdkPartnerCentral::read`] and
    /// [`SdkPartnerCentral::write`], each attempt in its own slot.
    single: Client,
    reads: RateLimiter,
    writes: RateLimiter,
    shared_writes: Option<crate::adapters::dynamodb::SharedRate>,
    counter: Option<crate::adapters::dynamodb::DynamoCallCounter>,
    /// Writes per rolling 24 hours, for [`PartnerCentral::writes_left`] (AWS's quota: 10,000).
    writes_per_day: u64,
}

impl SdkPartnerCentral {
    /// A client from the shared configuration, pinned to us-east-1; `endpoint` overrides the
    /// endpoint (the local emulator). Retries: reads through `SdkPartnerCentral::read`, writes through
    /// `SdkPartnerCentral::write`, 8 attempts each, exponential backoff, each attempt in its own slot.
    /// Timeouts: [`ATTEMPT_TIMEOUT`] per attempt, [`OPERATION_TIMEOUT`] for a call with its retries, so
    /// that a slow service fails the call as retryable well inside the function's 60 s (the SDK sets no
    /// read timeout of its own: without these a hung connection held the invocation until Lambda
    /// killed it).
    pub fn new(config: &SdkConfig, endpoint: Option<&str>) -> Self {
        let mut b = aws_sdk_partnercentralselling::config::Builder::from(config)
            .region(aws_config::Region::new(REGION))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(8)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(10)),
            )
            .timeout_config(timeouts(ATTEMPT_TIMEOUT, OPERATION_TIMEOUT));
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        let client = Client::from_conf(b.build());
        SdkPartnerCentral {
            single: one_attempt(&client),
            client,
            reads: RateLimiter::per_second(10),
            writes: RateLimiter::per_second(1),
            shared_writes: None,
            counter: None,
            writes_per_day: crate::guards::budget::DailyBudget::default().writes_per_day,
        }
    }

    /// Other timeouts (tests: a slow emulator without waiting the defaults out).
    pub fn with_timeouts(mut self, attempt: Duration, operation: Duration) -> Self {
        let conf = self
            .client
            .config()
            .to_builder()
            .timeout_config(timeouts(attempt, operation))
            .build();
        self.client = Client::from_conf(conf);
        self.single = one_attempt(&self.client);
        self
    }

    /// Reads paced at `per_second` instead of AWS's 10 (tests with scaled quotas only).
    pub fn with_read_rate(mut self, per_second: u32) -> Self {
        self.reads = RateLimiter::per_second(per_second);
        self
    }

    /// Writes also wait for a slot shared with every other function on the same table (1/s in all).
    pub fn with_shared_writes(mut self, gate: crate::adapters::dynamodb::SharedRate) -> Self {
        self.shared_writes = Some(gate);
        self
    }

    /// Every call is also counted against the daily quotas, across functions (see [`crate::guards::budget`]).
    pub fn with_counter(mut self, counter: crate::adapters::dynamodb::DynamoCallCounter) -> Self {
        self.counter = Some(counter);
        self
    }

    /// Writes per rolling 24 hours other than AWS's 10,000 (`PC_WRITES_PER_DAY`; tests with scaled quotas).
    pub fn with_writes_per_day(mut self, writes: u64) -> Self {
        self.writes_per_day = writes;
        self
    }

    /// Counts a call made now. A counter that cannot be written does not stop the call: the daily budget
    /// is a guard for the reconcile, and AWS's own quota answers are retried.
    async fn count(&self, call: crate::guards::budget::Call) {
        use crate::guards::budget::CallCounter;
        if let Some(c) = &self.counter
            && let Err(e) = c.spend(call, 1).await
        {
            tracing::warn!(error = %e, "call counter unavailable");
        }
    }

    /// A read: see [`Self::retried`]. With the SDK's own retries a read went again after their backoff
    /// alone, outside the limiter: with several reads in flight (the reconcile), those extra calls
    /// overfilled AWS's second and were throttled in turn (56 of 303 reads in `make bench-reconcile`).
    async fn read<T, E, F>(&self, send: impl FnMut() -> F) -> Result<T, SdkErr<E>>
    where
        F: std::future::Future<Output = Result<T, SdkErr<E>>>,
        E: ProvideErrorMetadata,
    {
        self.retried(crate::guards::budget::Call::Read, send).await
    }

    /// A write: see [`Self::retried`]. With the SDK's own retries a throttled write went again after
    /// their backoff alone, outside the shared gate, into the second the gate had just given another
    /// function's write, which was throttled in turn (`outbound::two_functions_writing_at_once…` saw 6
    /// throttled calls for 6 writes on a loaded machine). A retry is as safe as the SDK's was: creates and
    /// tasks carry their ClientToken, updates their `LastModifiedDate`.
    async fn write<T, E, F>(&self, send: impl FnMut() -> F) -> Result<T, SdkErr<E>>
    where
        F: std::future::Future<Output = Result<T, SdkErr<E>>>,
        E: ProvideErrorMetadata,
    {
        self.retried(crate::guards::budget::Call::Write, send).await
    }

    /// One call, each attempt in its own slot (reads: the read limiter; writes: this process's limiter,
    /// then the shared gate). A throttled or failed (5xx, timeout, connection) attempt is tried again
    /// (`retry_now`: not a service quota), up to [`ATTEMPTS`] in all, after a backoff that doubles and
    /// then the next free slot. No attempt starts once the call has taken [`OPERATION_TIMEOUT`] (each
    /// attempt has [`ATTEMPT_TIMEOUT`]), so that retries do not run a call past the function's timeout.
    async fn retried<T, E, F>(
        &self,
        call: crate::guards::budget::Call,
        mut send: impl FnMut() -> F,
    ) -> Result<T, SdkErr<E>>
    where
        F: std::future::Future<Output = Result<T, SdkErr<E>>>,
        E: ProvideErrorMetadata,
    {
        let started = tokio::time::Instant::now();
        let mut backoff = match call {
            crate::guards::budget::Call::Read => READ_BACKOFF,
            crate::guards::budget::Call::Write => WRITE_BACKOFF,
        };
        let mut attempt = 1;
        loop {
            match call {
                crate::guards::budget::Call::Read => self.read_slot().await,
                crate::guards::budget::Call::Write => self.write_slot().await,
            }
            match send().await {
                Err(e)
                    if attempt < ATTEMPTS
                        && super::retry_now(&e)
                        && started.elapsed() + backoff < OPERATION_TIMEOUT =>
                {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// Waits for a read slot (10/s) and counts the read.
    async fn read_slot(&self) {
        self.reads.wait().await;
        self.count(crate::guards::budget::Call::Read).await;
    }

    /// Waits for a write slot: this process's, then the shared one. If the shared gate cannot be read
    /// the write goes on (a throttled attempt is tried again) rather than stalling the sync.
    /// The write is counted first: between the gate's recorded departure and the call nothing may stand
    /// (the next writer keeps its distance from that departure).
    async fn write_slot(&self) {
        self.count(crate::guards::budget::Call::Write).await;
        self.writes.wait().await;
        if let Some(gate) = &self.shared_writes
            && let Err(e) = gate.wait().await
        {
            tracing::warn!(error = %e, "shared write gate unavailable; relying on retries");
        }
    }

    /// The SDK client.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Attempts of one call (`SdkPartnerCentral::retried`), as the SDK's standard mode had them.
pub const ATTEMPTS: u32 = 8;
/// The first wait before a read is tried again; doubled each time (then the attempt waits for its slot).
const READ_BACKOFF: Duration = Duration::from_millis(50);
/// The first wait before a write is tried again; doubled each time (then the attempt waits for its slot,
/// a second at least after the last write).
const WRITE_BACKOFF: Duration = Duration::from_millis(200);

/// An SDK error of Partner Central.
type SdkErr<E> = SdkError<E, aws_sdk_partnercentralselling::config::http::HttpResponse>;

/// `client` with the SDK's retries off.
fn one_attempt(client: &Client) -> Client {
    Client::from_conf(
        client
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

fn sdk_time(t: DateTime<Utc>) -> SdkDateTime {
    SdkDateTime::from_millis(t.timestamp_millis())
}

fn chrono(t: &SdkDateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t.to_millis().ok()?)
}

fn conversion(e: acebridge_mapping::ConversionError) -> PortError {
    PortError::permanent("partner-central", format!("unreadable response: {e}"))
}

fn field_errors(v: &ValidationException) -> Refusal {
    let mut errors: Vec<FieldError> = v
        .error_list()
        .iter()
        .map(|e| FieldError {
            field: e.field_name().map(str::to_string),
            code: e.code().as_str().to_string(),
            message: e.message().to_string(),
        })
        .collect();
    if errors.is_empty() {
        errors.push(FieldError {
            field: None,
            code: v.reason().as_str().to_string(),
            message: v.message().to_string(),
        });
    }
    Refusal::Invalid { errors }
}

/// Sorts a write's failure: validation and conflict are refusals (for the CRM), the rest port errors.
fn refusal<E>(
    operation: &str,
    err: SdkError<E, aws_sdk_partnercentralselling::config::http::HttpResponse>,
    validation: impl Fn(&E) -> Option<&ValidationException>,
) -> Result<Refusal, PortError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(s) = &err {
        if let Some(v) = validation(s.err()) {
            return Ok(field_errors(v));
        }
        if s.err().code() == Some("ConflictException") {
            return Ok(Refusal::Conflict {
                message: s.err().message().unwrap_or_default().to_string(),
            });
        }
    }
    Err(classify("partner-central", operation, err))
}

/// The SDK payload, or the refusal the SDK's own required-field checks give.
fn sdk_payload(o: &Opportunity, shape: Shape) -> Result<SdkOpportunity, Refusal> {
    SdkOpportunity::from_api(&ApiOpportunity::from_canonical(o, shape)).map_err(|e| {
        Refusal::Invalid {
            errors: vec![FieldError {
                field: Some(e.field),
                code: "INVALID_VALUE".into(),
                message: e.message,
            }],
        }
    })
}

impl PartnerCentral for SdkPartnerCentral {
    async fn opportunity(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> Result<Option<Opportunity>, PortError> {
        let out = match self
            .read(|| {
                self.single
                    .get_opportunity()
                    .catalog(catalog.as_str())
                    .identifier(id)
                    .send()
            })
            .await
        {
            Ok(o) => o,
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), GetOpportunityError::ResourceNotFoundException(_)) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(classify("partner-central", "GetOpportunity", e)),
        };
        let mut opportunity = from_get_opportunity(&out)
            .to_canonical()
            .map_err(conversion)?;
        // AWS's side exists once an opportunity is submitted: a draft costs one read, not two.
        let submitted = out
            .life_cycle()
            .and_then(|l| l.review_status())
            .is_some_and(|s| s.as_str() != "Pending Submission");
        if submitted {
            match self
                .read(|| {
                    self.single
                        .get_aws_opportunity_summary()
                        .catalog(catalog.as_str())
                        .related_opportunity_identifier(id)
                        .send()
                })
                .await
            {
                Ok(s) => apply_aws_summary(&mut opportunity, &s),
                Err(SdkError::ServiceError(e))
                    if matches!(
                        e.err(),
                        GetAwsOpportunitySummaryError::ResourceNotFoundException(_)
                    ) => {}
                Err(e) => return Err(classify("partner-central", "GetAwsOpportunitySummary", e)),
            }
        }
        Ok(Some(opportunity))
    }

    async fn changed_since(
        &self,
        catalog: Catalog,
        after: Option<DateTime<Utc>>,
        token: Option<String>,
    ) -> Result<ChangedPage, PortError> {
        let sort = OpportunitySort::builder()
            .sort_order(SortOrder::Ascending)
            .sort_by(OpportunitySortName::LastModifieddate)
            .build()
            .map_err(|e| PortError::permanent("partner-central", e.to_string()))?;
        let mut req = self
            .single
            .list_opportunities()
            .catalog(catalog.as_str())
            .max_results(100)
            .sort(sort)
            .set_next_token(token);
        if let Some(a) = after {
            req = req.last_modified_date(
                LastModifiedDate::builder()
                    .after_last_modified_date(sdk_time(a))
                    .build(),
            );
        }
        let out = self
            .read(|| req.clone().send())
            .await
            .map_err(|e| classify("partner-central", "ListOpportunities", e))?;
        Ok(ChangedPage {
            items: out
                .opportunity_summaries()
                .iter()
                .filter_map(|s| {
                    Some(Changed {
                        id: s.id()?.to_string(),
                        last_modified: s.last_modified_date().and_then(chrono),
                    })
                })
                .collect(),
            next: out.next_token().map(str::to_string),
        })
    }

    async fn invitation(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> Result<Option<Invitation>, PortError> {
        match self
            .read(|| {
                self.single
                    .get_engagement_invitation()
                    .catalog(catalog.as_str())
                    .identifier(id)
                    .send()
            })
            .await
        {
            Ok(o) => invitation_from_sdk(&o).map(Some).map_err(conversion),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    GetEngagementInvitationError::ResourceNotFoundException(_)
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("partner-central", "GetEngagementInvitation", e)),
        }
    }

    async fn accept(
        &self,
        catalog: Catalog,
        id: &str,
        client_token: &str,
    ) -> Result<TaskState, PortError> {
        let out = self
            .write(|| {
                self.single
                    .start_engagement_by_accepting_invitation_task()
                    .catalog(catalog.as_str())
                    .identifier(id)
                    .client_token(client_token)
                    .send()
            })
            .await
            .map_err(|e| {
                classify(
                    "partner-central",
                    "StartEngagementByAcceptingInvitationTask",
                    e,
                )
            })?;
        Ok(task_state!(out))
    }

    async fn task(
        &self,
        catalog: Catalog,
        kind: TaskKind,
        task_id: &str,
    ) -> Result<Option<TaskState>, PortError> {
        Ok(match kind {
            TaskKind::AcceptInvitation => self
                .read(|| {
                    self.single
                        .list_engagement_by_accepting_invitation_tasks()
                        .catalog(catalog.as_str())
                        .task_identifier(task_id)
                        .send()
                })
                .await
                .map_err(|e| {
                    classify(
                        "partner-central",
                        "ListEngagementByAcceptingInvitationTasks",
                        e,
                    )
                })?
                .task_summaries()
                .iter()
                .find(|t| t.task_id() == Some(task_id))
                .map(|t| task_state!(t)),
            TaskKind::OpportunityFromEngagement => self
                .read(|| {
                    self.single
                        .list_opportunity_from_engagement_tasks()
                        .catalog(catalog.as_str())
                        .task_identifier(task_id)
                        .send()
                })
                .await
                .map_err(|e| classify("partner-central", "ListOpportunityFromEngagementTasks", e))?
                .task_summaries()
                .iter()
                .find(|t| t.task_id() == Some(task_id))
                .map(|t| task_state!(t)),
            TaskKind::EngagementFromOpportunity => self
                .read(|| {
                    self.single
                        .list_engagement_from_opportunity_tasks()
                        .catalog(catalog.as_str())
                        .task_identifier(task_id)
                        .send()
                })
                .await
                .map_err(|e| classify("partner-central", "ListEngagementFromOpportunityTasks", e))?
                .task_summaries()
                .iter()
                .find(|t| t.task_id() == Some(task_id))
                .map(|t| task_state!(t)),
        })
    }

    async fn reject(
        &self,
        catalog: Catalog,
        id: &str,
        reason: &RejectionReason,
    ) -> Result<(), PortError> {
        self.write(|| {
            self.single
                .reject_engagement_invitation()
                .catalog(catalog.as_str())
                .identifier(id)
                .rejection_reason(reason.as_str())
                .send()
        })
        .await
        .map_err(|e| classify("partner-central", "RejectEngagementInvitation", e))?;
        Ok(())
    }

    async fn pending_invitations(
        &self,
        catalog: Catalog,
    ) -> Result<Vec<PendingInvitation>, PortError> {
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .read(|| {
                    self.single
                        .list_engagement_invitations()
                        .catalog(catalog.as_str())
                        .participant_type(
                            aws_sdk_partnercentralselling::types::ParticipantType::Receiver,
                        )
                        .set_next_token(token.clone())
                        .send()
                })
                .await
                .map_err(|e| classify("partner-central", "ListEngagementInvitations", e))?;
            for i in page.engagement_invitation_summaries() {
                if i.status().map(|s| s.as_str()) == Some("PENDING") {
                    out.push(PendingInvitation {
                        id: i.id().to_string(),
                        title: i.engagement_title().map(str::to_string),
                        expires_at: i.expiration_date().and_then(chrono),
                    });
                }
            }
            match page.next_token() {
                Some(t) => token = Some(t.to_string()),
                None => return Ok(out),
            }
        }
    }

    async fn create(
        &self,
        catalog: Catalog,
        client_token: &str,
        opportunity: &Opportunity,
    ) -> Result<Result<Created, Refusal>, PortError> {
        let payload = match sdk_payload(opportunity, Shape::Create) {
            Ok(p) => p,
            Err(refused) => return Ok(Err(refused)),
        };
        let req = self
            .single
            .create_opportunity()
            .catalog(catalog.as_str())
            .client_token(client_token);
        match self.write(|| payload.clone().apply_create(req.clone()).send()).await {
            Ok(out) => Ok(Ok(Created {
                id: out.id().to_string(),
                last_modified: out.last_modified_date().and_then(chrono),
            })),
            Err(e) => refusal("CreateOpportunity", e, |x| match x {
                aws_sdk_partnercentralselling::operation::create_opportunity::CreateOpportunityError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn update(
        &self,
        catalog: Catalog,
        opportunity: &Opportunity,
    ) -> Result<Result<Option<DateTime<Utc>>, Refusal>, PortError> {
        let payload = match sdk_payload(opportunity, Shape::Update) {
            Ok(p) => p,
            Err(refused) => return Ok(Err(refused)),
        };
        let req = self.single.update_opportunity().catalog(catalog.as_str());
        match self.write(|| payload.clone().apply_update(req.clone()).send()).await {
            Ok(out) => Ok(Ok(chrono(out.last_modified_date()))),
            Err(e) => refusal("UpdateOpportunity", e, |x| match x {
                aws_sdk_partnercentralselling::operation::update_opportunity::UpdateOpportunityError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn associate(
        &self,
        catalog: Catalog,
        id: &str,
        entity_type: &str,
        entity: &str,
    ) -> Result<Result<(), Refusal>, PortError> {
        match self.write(|| self.single.associate_opportunity()
            .catalog(catalog.as_str())
            .opportunity_identifier(id)
            .related_entity_type(RelatedEntityType::from(entity_type))
            .related_entity_identifier(entity)
            .send())
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => refusal("AssociateOpportunity", e, |x| match x {
                aws_sdk_partnercentralselling::operation::associate_opportunity::AssociateOpportunityError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn submit(
        &self,
        catalog: Catalog,
        id: &str,
        client_token: &str,
        submission: &Submission,
    ) -> Result<Result<TaskState, Refusal>, PortError> {
        let aws = AwsSubmission::builder()
            .involvement_type(SalesInvolvementType::from(
                submission.involvement_type.as_str(),
            ))
            .set_visibility(submission.visibility.as_deref().map(Visibility::from))
            .build()
            .map_err(|e| PortError::permanent("partner-central", e.to_string()))?;
        match self.write(|| self.single.start_engagement_from_opportunity_task()
            .catalog(catalog.as_str())
            .client_token(client_token)
            .identifier(id)
            .aws_submission(aws.clone())
            .send())
            .await
        {
            Ok(out) => Ok(Ok(task_state!(out))),
            Err(e) => refusal("StartEngagementFromOpportunityTask", e, |x| match x {
                aws_sdk_partnercentralselling::operation::start_engagement_from_opportunity_task::StartEngagementFromOpportunityTaskError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn accept_lead_invitation(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> Result<Result<(), Refusal>, PortError> {
        match self.write(|| self.single.accept_engagement_invitation()
            .catalog(catalog.as_str())
            .identifier(id)
            .send())
            .await
        {
            Ok(_) => Ok(Ok(())),
            Err(e) => refusal("AcceptEngagementInvitation", e, |x| match x {
                aws_sdk_partnercentralselling::operation::accept_engagement_invitation::AcceptEngagementInvitationError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn lead(
        &self,
        catalog: Catalog,
        id: &str,
    ) -> Result<Option<acebridge_mapping::Lead>, PortError> {
        use aws_sdk_partnercentralselling::operation::get_engagement::GetEngagementError;
        match self
            .read(|| {
                self.single
                    .get_engagement()
                    .catalog(catalog.as_str())
                    .identifier(id)
                    .send()
            })
            .await
        {
            Ok(o) => {
                acebridge_mapping::api::engagement::lead_from_engagement(&o).map_err(conversion)
            }
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), GetEngagementError::ResourceNotFoundException(_)) =>
            {
                Ok(None)
            }
            Err(e) => Err(classify("partner-central", "GetEngagement", e)),
        }
    }

    async fn lead_engagements(
        &self,
        catalog: Catalog,
        token: Option<String>,
    ) -> Result<EngagementPage, PortError> {
        let out = self
            .read(|| {
                self.single
                    .list_engagements()
                    .catalog(catalog.as_str())
                    .context_types(
                        aws_sdk_partnercentralselling::types::EngagementContextType::Lead,
                    )
                    .max_results(100)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
            .map_err(|e| classify("partner-central", "ListEngagements", e))?;
        Ok(EngagementPage {
            items: out
                .engagement_summary_list()
                .iter()
                .filter_map(|e| {
                    Some(EngagementListed {
                        id: e.id()?.to_string(),
                        modified_at: e.modified_at().and_then(chrono),
                    })
                })
                .collect(),
            next: out
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string),
        })
    }

    async fn update_lead(
        &self,
        catalog: Catalog,
        crm: &acebridge_mapping::Lead,
        aws: &acebridge_mapping::Lead,
    ) -> Result<Result<Option<DateTime<Utc>>, Refusal>, PortError> {
        let e = &aws.engagement;
        let (Some(engagement), Some(context), Some(at)) = (
            e.engagement_id.value(),
            e.context_id.value(),
            aws.audit.last_modified_at.value(),
        ) else {
            return Err(PortError::permanent(
                "partner-central",
                "the lead has no engagement, context or ModifiedAt to update",
            ));
        };
        let payload = aws_sdk_partnercentralselling::types::UpdateEngagementContextPayload::Lead(
            acebridge_mapping::api::engagement::update_lead_context(crm, aws),
        );
        match self.write(|| self.single.update_engagement_context()
            .catalog(catalog.as_str())
            .engagement_identifier(engagement.as_str())
            .context_identifier(context)
            .engagement_last_modified_at(sdk_time(*at))
            .r#type(aws_sdk_partnercentralselling::types::EngagementContextType::Lead)
            .payload(payload.clone())
            .send())
            .await
        {
            Ok(out) => Ok(Ok(chrono(out.engagement_last_modified_at()))),
            Err(e) => refusal("UpdateEngagementContext", e, |x| match x {
                aws_sdk_partnercentralselling::operation::update_engagement_context::UpdateEngagementContextError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn convert_lead(
        &self,
        catalog: Catalog,
        engagement: &str,
        context: &str,
        client_token: &str,
    ) -> Result<Result<TaskState, Refusal>, PortError> {
        match self.write(|| self.single.start_opportunity_from_engagement_task()
            .catalog(catalog.as_str())
            .client_token(client_token)
            .identifier(engagement)
            .context_identifier(context)
            .send())
            .await
        {
            Ok(out) => Ok(Ok(task_state!(out))),
            Err(e) => refusal("StartOpportunityFromEngagementTask", e, |x| match x {
                aws_sdk_partnercentralselling::operation::start_opportunity_from_engagement_task::StartOpportunityFromEngagementTaskError::ValidationException(v) => Some(v),
                _ => None,
            })
            .map(Err),
        }
    }

    async fn writes_left(&self) -> Result<Option<u64>, PortError> {
        use crate::guards::budget::CallCounter;
        let Some(counter) = &self.counter else {
            return Ok(None);
        };
        let used = counter.used(crate::guards::budget::Call::Write).await?;
        Ok(Some(self.writes_per_day.saturating_sub(used)))
    }
}
