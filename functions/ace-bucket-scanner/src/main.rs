//! Scheduled: moves new files from the AWS-owned ACE bucket (no S3 notifications) into the landing bucket.
//! Wiring and environment: `acebridge_sync::functions::AceBucketScanner`.

use acebridge_sync::functions::AceBucketScanner;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let function = AceBucketScanner::from_env(&sdk, clock).await?;
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let function = &function;
        async move {
            function
                .handle(event.context.deadline)
                .await
                .map_err(Error::from)
        }
    }))
    .await
}
