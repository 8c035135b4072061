//! Four of the five Lambda functions, wired from their environment (the fifth, ace-bucket-scanner, touches
//! no CRM: its wiring is `acebridge_sync::functions`, so its bootstrap carries no CRM code). Each is built once per container by
//! `from_env` (the adapters, the CRM, the policies, the budgets) and answers one invocation with
//! `handle`. A function's `main.rs` is its composition root: it picks the clock (the system's), builds the
//! function here and hands each event to it; everything it configures is read here, and each function's
//! environment is listed on its type.

use crate::inbound::{self, Inbound, InboundError};
use crate::mirror::{AnyRemote, MirroredCrm};

use crate::setup::{self, CrmSetup};
use acebridge_clock::Clock;
use acebridge_mapping::{Catalog, PartnerId};
use acebridge_sync::adapters::config;
use acebridge_sync::adapters::dynamodb::{DynamoCallCounter, DynamoLedger, DynamoReplayCache};
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::adapters::sqs::WorkQueue;
use acebridge_sync::crm_side::crm_queue::{self, Channel};
use acebridge_sync::guards::budget::DailyBudget;
use acebridge_sync::guards::deadline;
use acebridge_sync::metrics;
use acebridge_sync::model::policy::InvitationPolicy;
use acebridge_sync::partner_central::{Budgeted, Refresh};
use acebridge_sync::pc_events::{self, HandleError};
use acebridge_sync::ports::store::ObjectStore;
use acebridge_sync::s3_exchange::ingest::{self, FileOutcome, IngestConfig};
use aws_config::SdkConfig;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::time::Duration;

/// ace-file-ingest (S3 `ObjectCreated` on the landing bucket): each landed ACE file into the CRM through
/// the ledger. Environment: `LANDING_BUCKET`, `LEDGER_TABLE`, `CRM_TABLE`, `CATALOG`, `EVENT_BUS`, the
/// CRM's (`CRM_KIND`, `CRM_SECRET_ARN`, `CRM_MAPPING`); `MAX_FILE_BYTES` / `MAX_RECORDS` raise the
/// quarantine limits (default: AWS's documented 1 MB, 50).
pub struct AceFileIngest {
    landing: S3Bucket,
    ledger: DynamoLedger,
    crm: MirroredCrm<AnyRemote>,
    outcomes: EventBus,
    settings: IngestConfig,
}

impl AceFileIngest {
    /// The function from its environment.
    pub async fn from_env(sdk: &SdkConfig, clock: Clock) -> Result<Self, String> {
        let landing = config::landing_bucket(sdk).await?;
        let (ledger, setup) = setup::ledger_and_crm(sdk, &clock).await?;
        let number = |name: &str| config::env_opt(name).and_then(|v| v.parse().ok());
        let settings = IngestConfig::new(config::catalog()?, clock).with_limits(
            number("MAX_FILE_BYTES"),
            number("MAX_RECORDS").map(|n: u64| n as usize),
        );
        Ok(AceFileIngest {
            landing,
            ledger,
            crm: setup.crm,
            outcomes: config::event_bus(sdk)?,
            settings,
        })
    }

    /// One S3 event: every landed file it names, each file's outcome; an error (Lambda retries the
    /// event, and files already processed are recognised and skipped) when a file could not be read.
    pub async fn handle(&self, event: &aws_lambda_events::s3::S3Event) -> Result<Value, String> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for n in ingest::notified_objects(event) {
            if n.bucket != self.landing.bucket() {
                tracing::warn!(bucket = %n.bucket, key = %n.key, "event for another bucket ignored");
                continue;
            }
            let done = ingest::ingest_file(
                &self.landing,
                &self.ledger,
                &self.crm,
                &self.outcomes,
                &self.settings,
                &n.key,
                n.etag.as_deref(),
            )
            .await;
            match done {
                Ok(outcome) => files.push(json!({ "key": n.key, "outcome": describe(&outcome) })),
                Err(e) => {
                    tracing::error!(key = %n.key, error = %e, retryable = e.retryable, "file not processed");
                    errors.push(format!("{}: {e}", n.key));
                }
            }
        }
        metrics::flush(&self.settings.clock);
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        Ok(json!({ "files": files }))
    }
}

fn describe(outcome: &FileOutcome) -> Value {
    match outcome {
        FileOutcome::Processed(c) => json!({ "processed": c }),
        FileOutcome::Quarantined(reason) => json!({ "quarantined": reason }),
        FileOutcome::AlreadyProcessed => json!("already processed"),
        FileOutcome::Missing => json!("missing"),
        FileOutcome::Ignored => json!("ignored"),
    }
}

/// The invitation policies, opportunity referrals' then leads', from `INVITATION_POLICY`,
/// `INVITATION_RULES`, `LEAD_INVITATION_POLICY`, `LEAD_INVITATION_RULES` (the function decides with
/// them; the console shows what they would decide).
pub fn policies_from_env() -> Result<(InvitationPolicy, InvitationPolicy), String> {
    let policy = |name: &str, rules: &str| {
        InvitationPolicy::parse(
            &config::env_opt(name).unwrap_or_default(),
            config::env_opt(rules).as_deref(),
        )
        .map_err(|e| e.to_string())
    };
    Ok((
        policy("INVITATION_POLICY", "INVITATION_RULES")?,
        policy("LEAD_INVITATION_POLICY", "LEAD_INVITATION_RULES")?,
    ))
}

/// partner-central-events (EventBridge): `aws.partnercentral-selling` events (opportunities,
/// invitations, engagements and leads) and the reconcile schedule. Environment: `CATALOG`,
/// `LEDGER_TABLE`, `CRM_TABLE`, `EVENT_BUS`, the CRM's, `INVITATION_POLICY`, `INVITATION_RULES`,
/// `LEAD_INVITATION_POLICY`, `LEAD_INVITATION_RULES` (leads: manual unless set), `EXPIRING_WITHIN_HOURS`
/// (default 48), `DEADLINE_MARGIN_MS`, the daily budget's (`budget::DailyBudget::from_env`) and the
/// refresh's (`Refresh::from_env`); `PARTNER_CENTRAL_ENDPOINT` only for the local emulator.
pub struct PartnerCentralEvents {
    pc: SdkPartnerCentral,
    ledger: DynamoLedger,
    crm: MirroredCrm<AnyRemote>,
    policy: InvitationPolicy,
    lead_policy: InvitationPolicy,
    catalog: Catalog,
    outcomes: EventBus,
    expiring_within: chrono::Duration,
    budget: DailyBudget,
    counter: DynamoCallCounter,
    refresh: Option<Refresh>,
    margin: Duration,
    clock: Clock,
}

impl PartnerCentralEvents {
    /// The function from its environment.
    pub async fn from_env(sdk: &SdkConfig, clock: Clock) -> Result<Self, String> {
        let (ledger, setup) = setup::ledger_and_crm(sdk, &clock).await?;
        let (policy, lead_policy) = policies_from_env()?;
        Ok(PartnerCentralEvents {
            pc: config::partner_central(sdk, &clock),
            ledger,
            crm: setup.crm,
            policy,
            lead_policy,
            catalog: config::catalog()?,
            outcomes: config::event_bus(sdk)?,
            expiring_within: chrono::Duration::hours(
                config::env_opt("EXPIRING_WITHIN_HOURS")
                    .and_then(|h| h.parse().ok())
                    .unwrap_or(48),
            ),
            // The reconcile's share of the day's reads, counted in the ledger table with every other
            // function's.
            budget: DailyBudget::from_env()?,
            counter: config::call_counter(sdk, config::env("LEDGER_TABLE")?, &clock),
            refresh: Refresh::from_env(),
            margin: deadline::margin_from_env(),
            clock,
        })
    }

    /// One event (or the schedule), until the invocation's deadline (`deadline_ms`).
    pub async fn handle(
        &self,
        event: &EventBridgeEvent<Value>,
        deadline_ms: u64,
    ) -> Result<Value, HandleError> {
        let cx = pc_events::Context {
            pc: &self.pc,
            ledger: &self.ledger,
            crm: &self.crm,
            policy: &self.policy,
            lead_policy: &self.lead_policy,
            catalog: self.catalog,
            outcomes: &self.outcomes,
            expiring_within: self.expiring_within,
            budget: Some(Budgeted {
                budget: self.budget,
                counter: &self.counter,
            }),
            refresh: self.refresh,
            clock: self.clock.clone(),
        };
        let time_left = deadline::time_left(deadline_ms, self.margin, &self.clock);
        let result = pc_events::handle(&cx, event, time_left).await;
        if let Err(e) = &result {
            tracing::error!(error = %e, retryable = e.retryable(), "event not handled");
        }
        metrics::flush(&self.clock);
        result
    }
}

/// crm-outbound (SQS, fed by acebridge's bus, `source` `acebridge.crm`): CRM changes and referral
/// decisions to AWS within Partner Central's write quota; partial batch responses. Environment:
/// `CHANNEL` (`api` | `s3`), `CATALOG`, `LEDGER_TABLE`, `CRM_TABLE`, `EVENT_BUS`, the CRM's; for `s3`:
/// `ACE_BUCKET`, `ACE_BUCKET_REGION`, `ACE_KMS_KEY_ARN`, `PARTNER_ID`; `PARTNER_CENTRAL_ENDPOINT` for the
/// emulator only; `CRM_CHANGES_QUEUE_URL` and `SETTLE_SECONDS` (default 20, 0 off): a record whose
/// newest change is younger is handed back to the queue for that long (at most `crm_queue::HOLDS`
/// times), to be written with the rest of its burst; `PC_WRITES_PER_DAY` (AWS's 10,000 if unset):
/// changes the day's writes no longer allow wait in the queue until the next hour.
pub struct CrmOutbound {
    pc: SdkPartnerCentral,
    ledger: DynamoLedger,
    crm: MirroredCrm<AnyRemote>,
    ace: Option<S3Bucket>,
    partner: Option<PartnerId>,
    catalog: Catalog,
    channel: Channel,
    outcomes: EventBus,
    changes_queue: Option<WorkQueue>,
    settle_seconds: i32,
    clock: Clock,
}

impl CrmOutbound {
    /// The function from its environment.
    pub async fn from_env(sdk: &SdkConfig, clock: Clock) -> Result<Self, String> {
        let (ledger, setup) = setup::ledger_and_crm(sdk, &clock).await?;
        let budget = DailyBudget::from_env()?;
        let channel = Channel::parse(&config::env_opt("CHANNEL").unwrap_or_else(|| "api".into()))?;
        let (ace, partner) = match channel {
            Channel::S3 => (
                Some(config::ace_bucket().await?.with_owner_full_control()),
                Some(PartnerId::parse(&config::env("PARTNER_ID")?).map_err(|e| e.to_string())?),
            ),
            Channel::Api => (None, None),
        };
        Ok(CrmOutbound {
            pc: config::partner_central(sdk, &clock).with_writes_per_day(budget.writes_per_day),
            ledger,
            crm: setup.crm,
            ace,
            partner,
            catalog: config::catalog()?,
            channel,
            outcomes: config::event_bus(sdk)?,
            changes_queue: config::work_queue(sdk, "CRM_CHANGES_QUEUE_URL"),
            settle_seconds: config::env_opt("SETTLE_SECONDS")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(20),
            clock,
        })
    }

    /// One SQS batch: the messages to hand back (failed retryably, or held), as SQS reads them.
    pub async fn handle(
        &self,
        event: aws_lambda_events::sqs::SqsEvent,
    ) -> aws_lambda_events::sqs::SqsBatchResponse {
        let cx = crm_queue::Context {
            pc: &self.pc,
            ledger: &self.ledger,
            crm: &self.crm,
            ace: self.ace.as_ref(),
            partner: self.partner.as_ref(),
            catalog: self.catalog,
            channel: self.channel,
            outcomes: &self.outcomes,
            clock: self.clock.clone(),
        };
        let response = crm_queue::handle_sqs_event(
            &cx,
            event,
            self.changes_queue.as_ref(),
            self.settle_seconds,
        )
        .await;
        metrics::flush(&self.clock);
        response
    }
}

/// crm-inbound: Salesforce Event Relay events (EventBridge) and HubSpot webhook calls (Lambda Function
/// URL, v3 signature checked) into `CRM Opportunity Changed` events on acebridge's bus; with a work
/// queue, HubSpot calls are answered once verified and queued, and the queue is drained here.
/// Environment: `CRM_KIND` (`salesforce` | `hubspot`), `CRM_SECRET_ARN`, `CRM_MAPPING`, `CRM_TABLE`,
/// `LEDGER_TABLE`, `EVENT_BUS`, `REPLAY_TABLE` (HubSpot: signatures already seen), `INBOUND_QUEUE`
/// (the work queue's URL), `DEADLINE_MARGIN_MS`.
pub struct CrmInbound {
    setup: CrmSetup,
    bus: EventBus,
    replay: Option<DynamoReplayCache>,
    queue: Option<WorkQueue>,
    margin: Duration,
    clock: Clock,
}

impl CrmInbound {
    /// The function from its environment: a real CRM (Salesforce or HubSpot) is required.
    pub async fn from_env(sdk: &SdkConfig, clock: Clock) -> Result<Self, String> {
        let (_, setup) = setup::ledger_and_crm(sdk, &clock).await?;
        if setup.mapping.is_none() || setup.crm.remote().is_none() {
            return Err("crm-inbound needs CRM_KIND salesforce or hubspot (the store alone has no inbound events)".into());
        }
        Ok(CrmInbound {
            setup,
            bus: config::event_bus(sdk)?,
            replay: config::env_opt("REPLAY_TABLE")
                .map(|t| DynamoReplayCache::new(config::dynamodb_client(sdk), t)),
            queue: config::work_queue(sdk, "INBOUND_QUEUE"),
            margin: deadline::margin_from_env(),
            clock,
        })
    }

    /// One event or call, until the invocation's deadline (`deadline_ms`).
    pub async fn handle(&self, event: &Value, deadline_ms: u64) -> Result<Value, InboundError> {
        let (Some(mapping), Some(remote)) = (self.setup.mapping.as_ref(), self.setup.crm.remote())
        else {
            // from_env refused such a setup; kept as an error, never a panic.
            return Err(InboundError::Port(acebridge_sync::PortError::permanent(
                "crm-inbound",
                "crm-inbound needs CRM_KIND salesforce or hubspot",
            )));
        };
        let cx = Inbound {
            remote,
            mapping,
            mirror: &self.setup.crm,
            sink: &self.bus,
            hubspot_client_secret: self
                .setup
                .hubspot_client_secret
                .as_ref()
                .map(|s| s.expose_secret().as_bytes()),
            hubspot_app_id: self.setup.hubspot_app_id.as_deref(),
            salesforce_user_id: self.setup.salesforce_user_id.as_deref(),
            replay: self.replay.as_ref(),
            queue: self.queue.as_ref(),
        };
        let mut time_left = deadline::time_left(deadline_ms, self.margin, &self.clock);
        let answer = inbound::handle_until(&cx, event, self.clock.now(), &mut time_left).await;
        metrics::flush(&self.clock);
        answer
    }
}
