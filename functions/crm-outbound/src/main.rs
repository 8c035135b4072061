//! SQS (fed by acebridge's bus, `source` `acebridge.crm`): CRM changes and referral decisions to AWS,
//! one message at a time within Partner Central's write quota; partial batch responses.
//! Environment: `CHANNEL` (`api` | `s3`), `CATALOG`, `LEDGER_TABLE`, `CRM_TABLE`, `EVENT_BUS`; for `s3`: `ACE_BUCKET`,
//! `ACE_BUCKET_REGION`, `ACE_KMS_KEY_ARN`, `PARTNER_ID`; `PARTNER_CENTRAL_ENDPOINT` for the emulator only;
//! `CRM_CHANGES_QUEUE_URL` and `SETTLE_SECONDS` (default 20, 0 off): a record whose newest change is younger
//! is handed back to the queue for that long (at most `crm_queue::HOLDS` times), to be written with the rest
//! of its burst; the record's hold is kept in the ledger table, and its later changes join it.
//! `PC_WRITES_PER_DAY` (AWS's 10,000 if unset): changes the day's writes no longer allow wait in the queue
//! until the next hour (`crm_queue`).

use acebridge_mapping::PartnerId;
use acebridge_sync::adapters::config;
use acebridge_sync::crm_queue::{self, Channel, Context};
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    // CRM_KIND / CRM_SECRET_ARN / CRM_MAPPING: the store alone, or Salesforce, HubSpot or a webhook behind it.
    let (ledger, setup) = acebridge_crm::setup::ledger_and_crm(&sdk, &clock).await?;
    let crm = setup.crm;
    // Writes the day's quota no longer allows wait in the queue (PC_WRITES_PER_DAY, AWS's 10,000 if unset).
    let budget = acebridge_sync::budget::DailyBudget::from_env()?;
    let pc = config::partner_central(&sdk, &clock).with_writes_per_day(budget.writes_per_day);
    let channel = Channel::parse(&config::env_opt("CHANNEL").unwrap_or_else(|| "api".into()))?;
    let (ace, partner) = match channel {
        Channel::S3 => (
            Some(config::ace_bucket().await?.with_owner_full_control()),
            Some(PartnerId::parse(&config::env("PARTNER_ID")?).map_err(|e| e.to_string())?),
        ),
        Channel::Api => (None, None),
    };
    let outcomes = config::event_bus(&sdk)?;
    let changes_queue = config::work_queue(&sdk, "CRM_CHANGES_QUEUE_URL");
    let settle_seconds: i32 = config::env_opt("SETTLE_SECONDS")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(20);
    let cx = Context {
        pc: &pc,
        ledger: &ledger,
        crm: &crm,
        ace: ace.as_ref(),
        partner: partner.as_ref(),
        catalog: config::catalog()?,
        channel,
        outcomes: &outcomes,
        clock,
    };
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (cx, changes_queue) = (&cx, &changes_queue);
        async move {
            let response = crm_queue::handle_sqs_event(
                cx,
                event.payload,
                changes_queue.as_ref(),
                settle_seconds,
            )
            .await;
            acebridge_sync::metrics::flush(&cx.clock);
            Ok::<_, Error>(response)
        }
    }))
    .await
}
