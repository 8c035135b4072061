//! CRM → acebridge: Salesforce Event Relay events (EventBridge rule on the Salesforce partner event
//! bus) and HubSpot webhook calls (Lambda Function URL, v3 signature checked) become
//! `CRM Opportunity Changed` events on acebridge's bus. With a work queue, HubSpot calls are answered
//! once verified and queued, and this function drains the queue (SQS event source).
//! Environment: `CRM_KIND` (`salesforce` | `hubspot`), `CRM_SECRET_ARN`, `CRM_MAPPING`, `CRM_TABLE`,
//! `LEDGER_TABLE`, `EVENT_BUS`, `REPLAY_TABLE` (HubSpot: signatures already seen), `INBOUND_QUEUE`
//! (the work queue's URL), `DEADLINE_MARGIN_MS`.

use acebridge_crm::inbound::{self, Inbound};
use acebridge_crm::mirror::MirroredCrm;
use acebridge_sync::adapters::config;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use secrecy::ExposeSecret;

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let (_, setup) = acebridge_crm::setup::ledger_and_crm(&sdk, &clock).await?;
    let (Some(mapping), Some(remote)) = (setup.mapping.as_ref(), setup.crm.remote()) else {
        return Err(Error::from(
            "crm-inbound needs CRM_KIND salesforce or hubspot (the store alone has no inbound events)",
        ));
    };
    let mirror: &MirroredCrm = &setup.crm;
    let bus = config::event_bus(&sdk)?;
    let replay = config::env_opt("REPLAY_TABLE").map(|t| {
        acebridge_sync::adapters::dynamodb::DynamoReplayCache::new(config::dynamodb_client(&sdk), t)
    });
    let queue = config::work_queue(&sdk, "INBOUND_QUEUE");
    let margin = acebridge_sync::deadline::margin_from_env();
    let cx = Inbound {
        remote,
        mapping,
        mirror,
        sink: &bus,
        hubspot_client_secret: setup
            .hubspot_client_secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes()),
        hubspot_app_id: setup.hubspot_app_id.as_deref(),
        salesforce_user_id: setup.salesforce_user_id.as_deref(),
        replay: replay.as_ref(),
        queue: queue.as_ref(),
    };
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (cx, clock) = (&cx, &clock);
        async move {
            let mut time_left =
                acebridge_sync::deadline::time_left(event.context.deadline, margin, clock);
            let answer =
                inbound::handle_until(cx, &event.payload, clock.now(), &mut time_left).await;
            acebridge_sync::metrics::flush(clock);
            answer.map_err(Error::from)
        }
    }))
    .await
}
