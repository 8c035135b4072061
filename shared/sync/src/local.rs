//! The local stack (moto on 127.0.0.1): SDK configuration, bucket and table set-up, and S3 events as
//! S3 would send them. Used by `acebridge local init`, the demo and the tests; never by the functions.

use crate::adapters::config::s3_client;
use crate::adapters::dynamodb::ensure_tables;
use crate::ports::error::PortError;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    VersioningConfiguration,
};

/// Where `make local-up` starts moto.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:4566";

/// SDK configuration for the local stack: `AWS_ENDPOINT_URL` (default [`DEFAULT_ENDPOINT`]) and
/// throw-away credentials unless the environment has some.
pub async fn sdk_config(region: &str) -> SdkConfig {
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| DEFAULT_ENDPOINT.to_string());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint);
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "acebridge-local",
        ));
    }
    loader.load().await
}

fn failed(what: &str, e: impl std::fmt::Display) -> PortError {
    PortError::permanent("local", format!("{what}: {e}"))
}

/// Creates a bucket (if missing) in `region`, versioned if asked (the landing bucket is).
pub async fn create_bucket(
    sdk: &SdkConfig,
    bucket: &str,
    versioned: bool,
) -> Result<(), PortError> {
    let s3 = s3_client(sdk);
    if s3.head_bucket().bucket(bucket).send().await.is_err() {
        let mut req = s3.create_bucket().bucket(bucket);
        let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| failed(bucket, aws_sdk_s3::error::DisplayErrorContext(e)))?;
    }
    if versioned {
        s3.put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| failed(bucket, aws_sdk_s3::error::DisplayErrorContext(e)))?;
    }
    Ok(())
}

/// Creates the ACE bucket (us-west-2, like AWS's), the landing bucket (versioned) and the ledger and
/// store tables, in the stack's region.
pub async fn init(
    ace_bucket: &str,
    landing_bucket: &str,
    ledger_table: &str,
    crm_table: &str,
    region: &str,
) -> Result<(), PortError> {
    create_bucket(&sdk_config("us-west-2").await, ace_bucket, false).await?;
    let sdk = sdk_config(region).await;
    create_bucket(&sdk, landing_bucket, true).await?;
    ensure_tables(
        &aws_sdk_dynamodb::Client::new(&sdk),
        ledger_table,
        crm_table,
    )
    .await
}

/// Creates acebridge's event bus (if missing) and a queue `<bus>-outcomes` that a rule fills with every
/// outcome event (`source` `acebridge`), so the demo and tests can read what was published. Returns the
/// queue URL.
pub async fn create_outcome_bus(sdk: &SdkConfig, bus: &str) -> Result<String, PortError> {
    route_to_queue(sdk, bus, crate::ports::outcomes::SOURCE, "outcomes").await
}

/// Creates the bus (if missing) and a queue `<bus>-<name>` that a rule fills with every event of
/// `source`. Returns the queue URL.
pub async fn route_to_queue(
    sdk: &SdkConfig,
    bus: &str,
    source: &str,
    name: &str,
) -> Result<String, PortError> {
    let events = aws_sdk_eventbridge::Client::new(sdk);
    if events.describe_event_bus().name(bus).send().await.is_err() {
        events
            .create_event_bus()
            .name(bus)
            .send()
            .await
            .map_err(|e| failed(bus, aws_sdk_s3::error::DisplayErrorContext(e)))?;
    }
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let url = sqs
        .create_queue()
        .queue_name(format!("{bus}-{name}"))
        .send()
        .await
        .map_err(|e| failed(bus, aws_sdk_s3::error::DisplayErrorContext(e)))?
        .queue_url
        .unwrap_or_default();
    let arn_key = aws_sdk_sqs::types::QueueAttributeName::QueueArn;
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(arn_key.clone())
        .send()
        .await
        .map_err(|e| failed(bus, aws_sdk_s3::error::DisplayErrorContext(e)))?
        .attributes
        .and_then(|mut a| a.remove(&arn_key))
        .unwrap_or_default();
    events
        .put_rule()
        .name(format!("all-{name}"))
        .event_bus_name(bus)
        .event_pattern(serde_json::json!({"source": [source]}).to_string())
        .send()
        .await
        .map_err(|e| failed(bus, aws_sdk_s3::error::DisplayErrorContext(e)))?;
    let target = aws_sdk_eventbridge::types::Target::builder()
        .id(format!("{name}-queue"))
        .arn(arn)
        .build()
        .map_err(|e| failed(bus, e))?;
    events
        .put_targets()
        .rule(format!("all-{name}"))
        .event_bus_name(bus)
        .targets(target)
        .send()
        .await
        .map_err(|e| failed(bus, aws_sdk_s3::error::DisplayErrorContext(e)))?;
    Ok(url)
}

/// Takes every message waiting in a queue (bodies as JSON).
pub async fn drain_queue(sdk: &SdkConfig, url: &str) -> Result<Vec<serde_json::Value>, PortError> {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .map_err(|e| failed(url, aws_sdk_s3::error::DisplayErrorContext(e)))?;
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(out);
        }
        for m in messages {
            out.push(serde_json::from_str(m.body.as_deref().unwrap_or("null")).unwrap_or_default());
            if let Some(handle) = m.receipt_handle {
                sqs.delete_message()
                    .queue_url(url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(|e| failed(url, aws_sdk_s3::error::DisplayErrorContext(e)))?;
            }
        }
    }
}

/// What S3 escapes in event keys (it keeps `/ . - _` and writes a space as `+`).
const KEY_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_');

/// An `ObjectCreated:Put` event for objects of `bucket`, as S3 sends it (keys URL-encoded).
pub fn s3_event(bucket: &str, objects: &[(&str, &str, u64)]) -> serde_json::Value {
    let records: Vec<serde_json::Value> = objects
        .iter()
        .map(|(key, etag, size)| {
            let encoded = percent_encoding::utf8_percent_encode(key, KEY_ESCAPES)
                .to_string()
                .replace("%20", "+");
            serde_json::json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-22T00:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": { "principalId": "AWS:acebridge-scanner" },
                "requestParameters": { "sourceIPAddress": "127.0.0.1" },
                "responseElements": {},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "landing-object-created",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": { "principalId": "acebridge" },
                        "arn": format!("arn:aws:s3:::{bucket}")
                    },
                    "object": { "key": encoded, "size": size, "eTag": etag, "sequencer": "0" }
                }
            })
        })
        .collect();
    serde_json::json!({ "Records": records })
}
