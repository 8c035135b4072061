//! SQS (fed by acebridge's bus, `source` `acebridge.crm`): CRM changes and referral decisions to AWS,
//! within Partner Central's write quota; partial batch responses. Wiring and environment:
//! `acebridge_crm::functions::CrmOutbound`.

use acebridge_crm::functions::CrmOutbound;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let function = CrmOutbound::from_env(&sdk, clock).await?;
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let function = &function;
        async move { Ok::<_, Error>(function.handle(event.payload).await) }
    }))
    .await
}
