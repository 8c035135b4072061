//! S3 `ObjectCreated` on the landing bucket: reads each landed ACE file and applies it to the CRM through
//! the sync ledger. Environment: `LANDING_BUCKET`, `LEDGER_TABLE`, `CRM_TABLE`, `CATALOG`, `EVENT_BUS`;
//! `MAX_FILE_BYTES` / `MAX_RECORDS` raise the quarantine limits (default: AWS's documented 1 MB, 50).

use acebridge_sync::adapters::config;
use acebridge_sync::ingest::{self, FileOutcome, IngestConfig};
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    let landing = config::landing_bucket(&sdk).await?;
    // CRM_KIND / CRM_SECRET_ARN / CRM_MAPPING: the store alone, or Salesforce, HubSpot or a webhook behind it.
    let (ledger, setup) = acebridge_crm::setup::ledger_and_crm(&sdk, &clock).await?;
    let crm = setup.crm;
    let outcomes = config::event_bus(&sdk)?;
    let number = |name: &str| config::env_opt(name).and_then(|v| v.parse().ok());
    let settings = IngestConfig::new(config::catalog()?, clock.clone()).with_limits(
        number("MAX_FILE_BYTES"),
        number("MAX_RECORDS").map(|n: u64| n as usize),
    );
    acebridge_sync::telemetry::ready();
    run(service_fn(|event: LambdaEvent<S3Event>| {
        let (landing, ledger, crm, outcomes, settings, clock) =
            (&landing, &ledger, &crm, &outcomes, &settings, &clock);
        async move {
            let mut files = Vec::new();
            let mut errors = Vec::new();
            for n in ingest::notified_objects(&event.payload) {
                if n.bucket != acebridge_sync::store::ObjectStore::bucket(landing) {
                    tracing::warn!(bucket = %n.bucket, key = %n.key, "event for another bucket ignored");
                    continue;
                }
                match ingest::ingest_file(landing, ledger, crm, outcomes, settings, &n.key, n.etag.as_deref())
                    .await
                {
                    Ok(outcome) => files.push(serde_json::json!({
                        "key": n.key,
                        "outcome": describe(&outcome),
                    })),
                    Err(e) => {
                        tracing::error!(key = %n.key, error = %e, retryable = e.retryable, "file not processed");
                        errors.push(format!("{}: {e}", n.key));
                    }
                }
            }
            acebridge_sync::metrics::flush(clock);
            if !errors.is_empty() {
                // Lambda retries the event; files already processed are recognised and skipped.
                return Err(Error::from(errors.join("; ")));
            }
            Ok::<_, Error>(serde_json::json!({ "files": files }))
        }
    }))
    .await
}

fn describe(outcome: &FileOutcome) -> serde_json::Value {
    match outcome {
        FileOutcome::Processed(c) => serde_json::json!({ "processed": c }),
        FileOutcome::Quarantined(reason) => serde_json::json!({ "quarantined": reason }),
        FileOutcome::AlreadyProcessed => serde_json::json!("already processed"),
        FileOutcome::Missing => serde_json::json!("missing"),
        FileOutcome::Ignored => serde_json::json!("ignored"),
    }
}
