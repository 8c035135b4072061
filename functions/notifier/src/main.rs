//! SQS (fed by acebridge's bus, outcome events `source` `acebridge`): the Slack and Teams notices, each
//! sent once; partial batch responses. Wiring and environment: `acebridge_notify::function::Notifier`.

use acebridge_notify::function::Notifier;
use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let function = Notifier::from_env(&sdk, clock).await?;
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let function = &function;
        async move { Ok::<_, Error>(function.handle(event.payload).await) }
    }))
    .await
}
