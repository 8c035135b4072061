//! CRM credentials: read from Secrets Manager once per container (at start-up), held in `secrecy`
//! types so that they are never printed, logged or serialised.
//!
//! The secret is a JSON object; its `kind` says which CRM (see `docs/mapping.md`):
//! - `{"kind":"salesforce","auth":"client_credentials","login_url":"https://<my-domain>.my.salesforce.com","client_id":"…","client_secret":"…"}`
//! - `{"kind":"salesforce","auth":"jwt_bearer","login_url":"https://login.salesforce.com","client_id":"…","username":"…","private_key":"-----BEGIN PRIVATE KEY-----…"}`
//! - `{"kind":"hubspot","access_token":"pat-…","client_secret":"…","app_id":"…"}`
//! - `{"kind":"webhook","url":"https://…","signing_secret":"…"}`

use acebridge_sync::PortError;
use secrecy::SecretString;
use serde::Deserialize;

/// How acebridge signs in to Salesforce.
#[derive(Deserialize)]
#[serde(tag = "auth", rename_all = "snake_case")]
pub enum SalesforceAuth {
    /// OAuth 2.0 client credentials flow (a connected app with a run-as user).
    ClientCredentials {
        /// The org's My Domain URL.
        login_url: String,
        /// Consumer key.
        client_id: String,
        /// Consumer secret.
        client_secret: SecretString,
    },
    /// OAuth 2.0 JWT bearer flow (a connected app with a certificate, a pre-authorised user).
    JwtBearer {
        /// `https://login.salesforce.com`, `https://test.salesforce.com` or My Domain.
        login_url: String,
        /// Consumer key (the JWT's `iss`).
        client_id: String,
        /// The user (the JWT's `sub`).
        username: String,
        /// The certificate's private key, PEM (PKCS#8 or PKCS#1 RSA).
        private_key: SecretString,
        /// The JWT's `aud` (default: `https://test.salesforce.com` for a sandbox login URL, else
        /// `https://login.salesforce.com`; see `salesforce::default_audience`).
        #[serde(default)]
        audience: Option<String>,
    },
}

/// Salesforce credentials.
#[derive(Deserialize)]
pub struct SalesforceSecret {
    /// The flow and its credentials.
    #[serde(flatten)]
    pub auth: SalesforceAuth,
    /// REST API version (default `v62.0`).
    #[serde(default)]
    pub api_version: Option<String>,
    /// The integration user's id (`005…`): a Change Data Capture event it committed (`commitUser`) is
    /// acebridge's own write, even when `changeOrigin` lacks acebridge's client id.
    #[serde(default)]
    pub integration_user_id: Option<String>,
}

/// HubSpot credentials.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubspotSecret {
    /// The private app's access token.
    pub access_token: SecretString,
    /// The app's client secret: verifies webhook signatures (v3).
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// The app's id: webhook events caused by acebridge's own writes carry it and are skipped.
    #[serde(default)]
    pub app_id: Option<String>,
    /// API base URL (default `https://api.hubapi.com`).
    #[serde(default)]
    pub base_url: Option<String>,
}

/// Webhook credentials.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSecret {
    /// Where records are POSTed.
    pub url: String,
    /// The signing secret: `whsec_<base64 of 24 to 64 random bytes>` (Standard Webhooks).
    pub signing_secret: SecretString,
    /// During a key rotation, the secret being retired: deliveries carry a signature by each, so a
    /// receiver verifies with either until it has switched.
    #[serde(default)]
    pub previous_signing_secret: Option<SecretString>,
}

/// A CRM secret, by kind.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CrmSecret {
    /// Salesforce.
    Salesforce(SalesforceSecret),
    /// HubSpot.
    Hubspot(HubspotSecret),
    /// Webhook.
    Webhook(WebhookSecret),
}

impl std::fmt::Debug for CrmSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CrmSecret::Salesforce(_) => "CrmSecret::Salesforce(..)",
            CrmSecret::Hubspot(_) => "CrmSecret::Hubspot(..)",
            CrmSecret::Webhook(_) => "CrmSecret::Webhook(..)",
        })
    }
}

impl CrmSecret {
    /// Reads the secret's JSON. Errors name the key, never a value.
    pub fn parse(json: &str) -> Result<Self, PortError> {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let inner = e.inner().to_string();
            // serde's messages quote the offending value for some errors; keep only the reason.
            let reason = inner.split(':').next().unwrap_or("invalid");
            PortError::permanent(
                "secretsmanager",
                format!("CRM secret: `{}`: {reason}", e.path()),
            )
        })
    }

    /// Reads the secret `arn` from Secrets Manager.
    pub async fn fetch(
        client: &aws_sdk_secretsmanager::Client,
        arn: &str,
    ) -> Result<Self, PortError> {
        Self::parse(&secret_string(client, arn, "the CRM secret").await?)
    }
}

/// The `SecretString` of the secret `arn` (`what` names it in errors): retryable on a timeout or a
/// connection failure, permanent otherwise (access denied, no such secret).
pub async fn secret_string(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
    what: &str,
) -> Result<String, PortError> {
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            let retryable = matches!(
                e,
                aws_sdk_secretsmanager::error::SdkError::TimeoutError(_)
                    | aws_sdk_secretsmanager::error::SdkError::DispatchFailure(_)
            );
            let message = format!(
                "GetSecretValue: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            );
            PortError {
                system: "secretsmanager",
                retryable,
                message,
            }
        })?;
    out.secret_string().map(str::to_string).ok_or_else(|| {
        PortError::permanent("secretsmanager", format!("{what} has no SecretString"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn secrets_parse_and_never_print() {
        let s = CrmSecret::parse(
            r#"{"kind":"salesforce","auth":"client_credentials","login_url":"https://x.my.salesforce.com","client_id":"id","client_secret":"s3cr3t"}"#,
        )
        .expect("parse");
        assert!(!format!("{s:?}").contains("s3cr3t"));
        let CrmSecret::Salesforce(sf) = s else {
            panic!("kind")
        };
        let SalesforceAuth::ClientCredentials { client_secret, .. } = sf.auth else {
            panic!("auth")
        };
        assert_eq!(client_secret.expose_secret(), "s3cr3t");
        let err =
            CrmSecret::parse(r#"{"kind":"hubspot","acess_token":"pat-123"}"#).expect_err("typo");
        assert!(!err.message.contains("pat-123"), "{}", err.message);
    }
}
