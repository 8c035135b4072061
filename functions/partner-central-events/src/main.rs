//! EventBridge: `aws.partnercentral-selling` events (opportunities, invitations, engagements and leads)
//! and the reconcile schedule. Wiring and environment: `acebridge_crm::functions::PartnerCentralEvents`.

use acebridge_crm::functions::PartnerCentralEvents;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let function = PartnerCentralEvents::from_env(&sdk, clock).await?;
    acebridge_sync::telemetry::ready();
    run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let function = &function;
            async move {
                // Errors are typed for the on-failure destination: whether a redrive can help.
                let handled = function
                    .handle(&event.payload, event.context.deadline)
                    .await;
                handled.map_err(|e| Diagnostic {
                    error_type: e.error_type().to_string(),
                    error_message: e.to_string(),
                })
            }
        },
    ))
    .await
}
