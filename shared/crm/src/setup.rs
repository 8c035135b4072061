//! The CRM a function works with, from its environment, built once per container:
//! `CRM_KIND` (`store` — the default: acebridge's DynamoDB store only —, `salesforce`, `hubspot`,
//! `webhook`), `CRM_SECRET_ARN` (the credentials, Secrets Manager), `CRM_MAPPING` (a built-in
//! configuration's name or a file's path; default per kind). Everything is checked here, at start-up:
//! a function with a broken mapping or secret does not start, and its log says why.

use crate::config::{CrmKind, MappingConfig};
use crate::http::{HttpClient, RetryPolicy};
use crate::hubspot::Hubspot;
use crate::mirror::{AnyRemote, MirroredCrm};
use crate::salesforce::Salesforce;
use crate::secrets::CrmSecret;
use crate::webhook::Webhook;
use acebridge_sync::adapters::config::env_opt;
use acebridge_sync::adapters::dynamodb::DynamoCrmStore;
use aws_config::SdkConfig;
use secrecy::SecretString;

/// The configured CRM.
pub struct CrmSetup {
    /// The CRM port (the store, and the real CRM behind it if any).
    pub crm: MirroredCrm<AnyRemote>,
    /// The field mapping (none for the store alone).
    pub mapping: Option<MappingConfig>,
    /// HubSpot's app client secret (webhook signatures).
    pub hubspot_client_secret: Option<SecretString>,
    /// HubSpot's app id (own-write detection).
    pub hubspot_app_id: Option<String>,
    /// Salesforce's integration user id (own-write detection).
    pub salesforce_user_id: Option<String>,
}

fn default_mapping(kind: CrmKind) -> &'static str {
    match kind {
        CrmKind::Salesforce => "salesforce-standard",
        CrmKind::Hubspot => "hubspot-deals",
        CrmKind::Webhook => "webhook-canonical",
    }
}

/// Builds the CRM from the environment (see the module's documentation).
/// `clock` times the adapters' signatures and tokens.
pub async fn from_env(
    sdk: &SdkConfig,
    store: DynamoCrmStore,
    clock: &acebridge_clock::Clock,
) -> Result<CrmSetup, String> {
    let kind = match env_opt("CRM_KIND").as_deref().unwrap_or("store") {
        "store" | "none" => None,
        "salesforce" => Some(CrmKind::Salesforce),
        "hubspot" => Some(CrmKind::Hubspot),
        "webhook" => Some(CrmKind::Webhook),
        other => {
            return Err(format!(
                "CRM_KIND `{other}`: expected store, salesforce, hubspot or webhook"
            ));
        }
    };
    let Some(kind) = kind else {
        return Ok(CrmSetup {
            crm: MirroredCrm::new(store, None),
            mapping: None,
            hubspot_client_secret: None,
            hubspot_app_id: None,
            salesforce_user_id: None,
        });
    };
    let mapping_name = env_opt("CRM_MAPPING").unwrap_or_else(|| default_mapping(kind).to_string());
    let mapping = MappingConfig::load(&mapping_name).map_err(|e| format!("CRM_MAPPING: {e}"))?;
    if mapping.crm != kind {
        return Err(format!(
            "CRM_MAPPING {mapping_name} is a {:?} configuration, CRM_KIND is {kind:?}",
            mapping.crm
        ));
    }
    let arn = env_opt("CRM_SECRET_ARN").ok_or("CRM_SECRET_ARN is not set")?;
    let secret = CrmSecret::fetch(&aws_sdk_secretsmanager::Client::new(sdk), &arn)
        .await
        .map_err(|e| e.to_string())?;
    let retry = if env_opt("CRM_FAST_RETRIES").is_some() {
        RetryPolicy::fast()
    } else {
        RetryPolicy::default()
    };
    let mut hubspot_client_secret = None;
    let mut hubspot_app_id = None;
    let mut salesforce_user_id = None;
    let remote = match (kind, secret) {
        (CrmKind::Salesforce, CrmSecret::Salesforce(s)) => {
            salesforce_user_id = s.integration_user_id.clone();
            AnyRemote::Salesforce(Box::new(Salesforce::new(
                HttpClient::new("salesforce", retry, clock.clone()).map_err(|e| e.to_string())?,
                s,
                mapping.clone(),
            )))
        }
        (CrmKind::Hubspot, CrmSecret::Hubspot(s)) => {
            hubspot_client_secret = s.client_secret.clone();
            hubspot_app_id = s.app_id.clone();
            AnyRemote::Hubspot(Box::new(Hubspot::new(
                HttpClient::new("hubspot", retry, clock.clone()).map_err(|e| e.to_string())?,
                &s,
                mapping.clone(),
            )))
        }
        (CrmKind::Webhook, CrmSecret::Webhook(s)) => AnyRemote::Webhook(Box::new(Webhook::new(
            HttpClient::new("webhook", retry, clock.clone()).map_err(|e| e.to_string())?,
            s,
        ))),
        (k, s) => return Err(format!("CRM_SECRET_ARN holds {s:?}, CRM_KIND is {k:?}")),
    };
    tracing::info!(crm = remote.name(), mapping = %mapping_name, "CRM configured");
    Ok(CrmSetup {
        crm: MirroredCrm::new(store, Some(remote)),
        mapping: Some(mapping),
        hubspot_client_secret,
        hubspot_app_id,
        salesforce_user_id,
    })
}

/// The sync ledger (`LEDGER_TABLE`) and the CRM (the store in `CRM_TABLE`, and the real CRM the
/// environment names): what every function that writes to the CRM starts with.
pub async fn ledger_and_crm(
    sdk: &SdkConfig,
    clock: &acebridge_clock::Clock,
) -> Result<(acebridge_sync::adapters::dynamodb::DynamoLedger, CrmSetup), String> {
    let (ledger, store) = acebridge_sync::adapters::config::tables(sdk)?;
    Ok((ledger, from_env(sdk, store, clock).await?))
}
