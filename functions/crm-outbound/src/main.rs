//! SQS (fed by acebridge's bus, `source` `acebridge.crm`): CRM changes and referral decisions to AWS,
//! one message at a time within Partner Central's write quota; partial batch responses.
//! Environment: `CHANNEL` (`api` | `s3`), `CATALOG`, `LEDGER_TABLE`, `CRM_TABLE`, `EVENT_BUS`; for `s3`: `ACE_BUCKET`,
//! `ACE_BUCKET_REGION`, `ACE_KMS_KEY_ARN`, `PARTNER_ID`; `PARTNER_CENTRAL_ENDPOINT` for the emulator only.

use acebridge_mapping::PartnerId;
use acebridge_sync::adapters::config;
use acebridge_sync::crm_queue::{self, Channel, Context};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    // CRM_KIND / CRM_SECRET_ARN / CRM_MAPPING: the store alone, or Salesforce, HubSpot or a webhook behind it.
    let (ledger, setup) = acebridge_crm::setup::ledger_and_crm(&sdk).await?;
    let crm = setup.crm;
    let pc = config::partner_central(&sdk);
    let channel = Channel::parse(&config::env_opt("CHANNEL").unwrap_or_else(|| "api".into()))?;
    let (ace, partner) = match channel {
        Channel::S3 => (
            Some(config::ace_bucket().await?.with_owner_full_control()),
            Some(PartnerId::parse(&config::env("PARTNER_ID")?).map_err(|e| e.to_string())?),
        ),
        Channel::Api => (None, None),
    };
    let outcomes = config::event_bus(&sdk)?;
    let cx = Context {
        pc: &pc,
        ledger: &ledger,
        crm: &crm,
        ace: ace.as_ref(),
        partner: partner.as_ref(),
        catalog: config::catalog()?,
        channel,
        outcomes: &outcomes,
    };
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let cx = &cx;
        async move {
            let messages: Vec<(String, String)> = event
                .payload
                .records
                .into_iter()
                .filter_map(|m| Some((m.message_id?, m.body?)))
                .collect();
            let outcome = crm_queue::handle_batch(cx, &messages).await;
            acebridge_sync::metrics::flush();
            let mut response = SqsBatchResponse::default();
            for id in outcome.retry {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
            Ok::<_, Error>(response)
        }
    }))
    .await
}
