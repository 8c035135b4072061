//! The notifier function: SQS fed by an EventBridge rule on acebridge's bus (outcome events), each event
//! turned into its notice and sent to the configured targets once ([`crate::dispatch`]); partial batch
//! responses, so only the events that failed come back, and after the queue's retries they wait in its
//! dead-letter queue with the notice's error on the console. Nothing here is on the sync's path.
//!
//! Environment: `LEDGER_TABLE`; `NOTIFY_SECRET_ARN` (the targets, [`crate::config`]); `NOTIFY_KINDS`,
//! `NOTIFY_SLACK_CHANNEL`, `NOTIFY_SLACK_ROUTES`; `CONSOLE_URL` (optional: the console's address, for the
//! notices' links); `SLACK_API_URL` (optional: `https://slack.com/api`, a local server in tests).

use crate::config::{Settings, targets};
use crate::dispatch::{Targets, failed};
use crate::outcomes::notice_for;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_sync::adapters::config::{dynamodb_client, env_opt};
use acebridge_sync::adapters::dynamodb::DynamoLedger;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

/// The function's parts.
pub struct Notifier {
    /// The ledger (notice marks).
    pub ledger: DynamoLedger,
    /// Where notices go.
    pub targets: Targets,
    /// The console's base URL.
    pub console: Option<String>,
    /// The clock.
    pub clock: acebridge_clock::Clock,
}

impl Notifier {
    /// From the environment and the notification secret.
    pub async fn from_env(
        sdk: &aws_config::SdkConfig,
        clock: acebridge_clock::Clock,
    ) -> Result<Self, String> {
        Self::from_vars(sdk, env_opt, clock).await
    }

    /// From the variables `var` reads (the environment, or a test's) and the notification secret.
    pub async fn from_vars(
        sdk: &aws_config::SdkConfig,
        var: impl Fn(&str) -> Option<String>,
        clock: acebridge_clock::Clock,
    ) -> Result<Self, String> {
        let settings = Settings::from_vars(&var).map_err(|e| e.to_string())?;
        let required =
            |name: &str| var(name).ok_or_else(|| format!("environment variable {name} is not set"));
        let arn = required("NOTIFY_SECRET_ARN")?;
        let text = acebridge_crm::secrets::secret_string(
            &aws_sdk_secretsmanager::Client::new(sdk),
            &arn,
            "the notification secret",
        )
        .await
        .map_err(|e| format!("NOTIFY_SECRET_ARN: {e}"))?;
        let http = HttpClient::new("notify", RetryPolicy::default(), clock.clone())
            .map_err(|e| e.to_string())?;
        let slack_api = var("SLACK_API_URL").unwrap_or_else(|| "https://slack.com/api".to_string());
        Ok(Notifier {
            ledger: DynamoLedger::new(dynamodb_client(sdk), required("LEDGER_TABLE")?),
            targets: targets(&settings, &text, &http, &slack_api).map_err(|e| e.to_string())?,
            console: var("CONSOLE_URL"),
            clock,
        })
    }

    /// One SQS batch: the messages to deliver again (a target failed, the ledger failed, or the event is
    /// not one acebridge publishes: kept, with its reason logged, until the dead-letter queue).
    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for m in event.records {
            let id = m.message_id.clone().unwrap_or_default();
            let body: serde_json::Value =
                match serde_json::from_str(m.body.as_deref().unwrap_or_default()) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::error!(message = %id, error = %e, "not a JSON event");
                        failures.push(id);
                        continue;
                    }
                };
            let now = self.clock.now();
            let notice = match notice_for(&body, self.console.as_deref(), None, now) {
                Ok(Some(n)) => n,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!(message = %id, error = %e, "not an outcome event");
                    failures.push(id);
                    continue;
                }
            };
            match self.targets.send(&self.ledger, &notice, now).await {
                Ok(report) => {
                    if let Some(e) = failed(&report) {
                        tracing::warn!(message = %id, retryable = e.retryable, error = %e, "notice not sent");
                        failures.push(id);
                    }
                }
                Err(e) => {
                    tracing::warn!(message = %id, error = %e, "ledger");
                    failures.push(id);
                }
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures
            .into_iter()
            .map(|id| {
                let mut f = BatchItemFailure::default();
                f.item_identifier = id;
                f
            })
            .collect();
        response
    }
}
