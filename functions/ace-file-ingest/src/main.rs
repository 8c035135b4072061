//! S3 `ObjectCreated` on the landing bucket: reads each landed ACE file and applies it to the CRM through
//! the sync ledger. Wiring and environment: `acebridge_crm::functions::AceFileIngest`.

use acebridge_crm::functions::AceFileIngest;
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let function = AceFileIngest::from_env(&sdk, clock).await?;
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<S3Event>| {
        let function = &function;
        // An error makes Lambda deliver the event again; files already processed are skipped.
        async move { function.handle(&event.payload).await.map_err(Error::from) }
    }))
    .await
}
