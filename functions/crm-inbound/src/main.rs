//! CRM → acebridge: Salesforce Event Relay events and HubSpot webhook calls (v3 signature checked)
//! become `CRM Opportunity Changed` events on acebridge's bus. Wiring and environment:
//! `acebridge_crm::functions::CrmInbound`.

use acebridge_crm::functions::CrmInbound;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let function = CrmInbound::from_env(&sdk, clock).await?;
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let function = &function;
        async move {
            let answer = function
                .handle(&event.payload, event.context.deadline)
                .await;
            answer.map_err(Error::from)
        }
    }))
    .await
}
