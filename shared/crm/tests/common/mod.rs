//! Helpers shared by the CRM tests.
#![allow(dead_code, clippy::unwrap_used)]

use acebridge_crm::secrets::{CrmSecret, HubspotSecret, SalesforceSecret, WebhookSecret};
use wiremock::{MockServer, Request};

pub fn salesforce_secret(json: &str) -> SalesforceSecret {
    match CrmSecret::parse(json).expect("secret") {
        CrmSecret::Salesforce(s) => s,
        other => panic!("{other:?}"),
    }
}

pub fn hubspot_secret(json: &str) -> HubspotSecret {
    match CrmSecret::parse(json).expect("secret") {
        CrmSecret::Hubspot(s) => s,
        other => panic!("{other:?}"),
    }
}

pub fn webhook_secret(json: &str) -> WebhookSecret {
    match CrmSecret::parse(json).expect("secret") {
        CrmSecret::Webhook(s) => s,
        other => panic!("{other:?}"),
    }
}

/// The requests the server received with this method (and path, if given).
pub async fn requests(server: &MockServer, method: &str, path: Option<&str>) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == method && path.is_none_or(|p| r.url.path() == p))
        .collect()
}
