//! SDK configuration from the Lambda environment. `AWS_ENDPOINT_URL` (set by the local stack and the
//! tests) points every client at a local server; S3 then uses path-style addressing.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The shared SDK configuration, in `region` if given (else the environment's).
pub async fn sdk_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    loader.load().await
}

/// An S3 client; path-style when an endpoint override is set (local servers).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(config);
    if config.endpoint_url().is_some() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

/// A DynamoDB client.
pub fn dynamodb_client(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// A required environment variable, with an error naming it.
pub fn env(name: &str) -> Result<String, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("environment variable {name} is not set")),
    }
}

/// An optional environment variable (unset or empty: `None`).
pub fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The Partner Central catalog the stack syncs (`CATALOG`: `AWS` or `Sandbox`).
pub fn catalog() -> Result<acebridge_mapping::Catalog, String> {
    acebridge_mapping::Catalog::parse(&env("CATALOG")?).map_err(|e| format!("CATALOG: {e}"))
}

/// The AWS-owned ACE bucket: `ACE_BUCKET`, in `ACE_BUCKET_REGION` (default us-west-2, where every ACE
/// bucket lives), written with `ACE_KMS_KEY_ARN` when set.
pub async fn ace_bucket() -> Result<crate::adapters::s3::S3Bucket, String> {
    let region = env_opt("ACE_BUCKET_REGION").unwrap_or_else(|| "us-west-2".to_string());
    let sdk = sdk_config(Some(&region)).await;
    Ok(
        crate::adapters::s3::S3Bucket::new(s3_client(&sdk), env("ACE_BUCKET")?)
            .with_kms_key(env_opt("ACE_KMS_KEY_ARN"))
            .with_expected_owner(Some(ace_bucket_owner()?)),
    )
}

/// The account that owns the ACE bucket (`ACE_BUCKET_OWNER`, 12 digits): required, so that no call
/// reaches a bucket of the right name in someone else's account.
pub fn ace_bucket_owner() -> Result<String, String> {
    let owner = env("ACE_BUCKET_OWNER")?;
    if owner.len() == 12 && owner.bytes().all(|b| b.is_ascii_digit()) {
        Ok(owner)
    } else {
        Err(format!(
            "ACE_BUCKET_OWNER must be the 12-digit AWS account id that owns the ACE bucket, not {owner:?}"
        ))
    }
}

/// acebridge's landing bucket (`LANDING_BUCKET`), in the stack's region.
pub async fn landing_bucket(sdk: &SdkConfig) -> Result<crate::adapters::s3::S3Bucket, String> {
    Ok(crate::adapters::s3::S3Bucket::new(
        s3_client(sdk),
        env("LANDING_BUCKET")?,
    ))
}

/// The sync ledger (`LEDGER_TABLE`) and the default CRM store (`CRM_TABLE`).
pub fn tables(
    sdk: &SdkConfig,
) -> Result<
    (
        crate::adapters::dynamodb::DynamoLedger,
        crate::adapters::dynamodb::DynamoCrmStore,
    ),
    String,
> {
    let client = dynamodb_client(sdk);
    let retention = closed_record_retention()?;
    Ok((
        crate::adapters::dynamodb::DynamoLedger::new(client.clone(), env("LEDGER_TABLE")?)
            .with_retention(retention),
        crate::adapters::dynamodb::DynamoCrmStore::new(client, env("CRM_TABLE")?)
            .with_retention(retention),
    ))
}

/// `CLOSED_RECORD_RETENTION_DAYS`: how long the ledger and the store keep a closed record (0 or unset:
/// for ever).
pub fn closed_record_retention() -> Result<Option<chrono::Duration>, String> {
    let Some(v) = env_opt("CLOSED_RECORD_RETENTION_DAYS") else {
        return Ok(None);
    };
    match v.trim().parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(days) if days <= 36_500 => Ok(Some(chrono::Duration::days(i64::from(days)))),
        _ => Err(format!(
            "CLOSED_RECORD_RETENTION_DAYS must be a number of days from 0 to 36500, not {}",
            acebridge_mapping::quoted(&v)
        )),
    }
}

/// acebridge's event bus for outcome events (`EVENT_BUS`).
pub fn event_bus(sdk: &SdkConfig) -> Result<crate::adapters::eventbridge::EventBus, String> {
    Ok(crate::adapters::eventbridge::EventBus::new(
        aws_sdk_eventbridge::Client::new(sdk),
        env("EVENT_BUS")?,
    ))
}

/// The work queue whose URL is in the environment variable `var`, if it is set.
pub fn work_queue(sdk: &SdkConfig, var: &str) -> Option<crate::adapters::sqs::WorkQueue> {
    env_opt(var).map(|url| crate::adapters::sqs::WorkQueue::new(aws_sdk_sqs::Client::new(sdk), url))
}

/// Partner Central, pinned to us-east-1; `PARTNER_CENTRAL_ENDPOINT` points it at the local emulator.
/// Its writes share one 1/s slot, kept in the ledger table (`LEDGER_TABLE`), with every other function.
pub fn partner_central(
    sdk: &SdkConfig,
    clock: &acebridge_clock::Clock,
) -> crate::adapters::partner_central::SdkPartnerCentral {
    let pc = crate::adapters::partner_central::SdkPartnerCentral::new(
        sdk,
        env_opt("PARTNER_CENTRAL_ENDPOINT").as_deref(),
    );
    match env_opt("LEDGER_TABLE") {
        Some(table) => pc
            .with_shared_writes(crate::adapters::dynamodb::SharedRate::new(
                dynamodb_client(sdk),
                table.clone(),
                "partner-central-writes",
                1,
                clock.clone(),
            ))
            .with_counter(call_counter(sdk, table, clock)),
        None => pc,
    }
}

/// Partner Central calls counted in the ledger table `table`, across functions (see `budget`).
pub fn call_counter(
    sdk: &SdkConfig,
    table: String,
    clock: &acebridge_clock::Clock,
) -> crate::adapters::dynamodb::DynamoCallCounter {
    crate::adapters::dynamodb::DynamoCallCounter::new(dynamodb_client(sdk), table, clock.clone())
}
