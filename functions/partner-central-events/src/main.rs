//! EventBridge: `aws.partnercentral-selling` events (opportunities, invitations) and the reconcile
//! schedule. Environment: `CATALOG`, `LEDGER_TABLE`, `CRM_TABLE`, `EVENT_BUS`, `INVITATION_POLICY`,
//! `INVITATION_RULES`, `LEAD_INVITATION_POLICY`, `LEAD_INVITATION_RULES`, `EXPIRING_WITHIN_HOURS` (default 48), `DEADLINE_MARGIN_MS`;
//! `PARTNER_CENTRAL_ENDPOINT` only for the local emulator.

use acebridge_sync::adapters::config;
use acebridge_sync::deadline;
use acebridge_sync::pc_events::{self, Context, HandleError};
use acebridge_sync::policy::InvitationPolicy;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Diagnostic, Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    acebridge_sync::telemetry::init();
    let sdk = config::sdk_config(None).await;
    // The composition root picks the clock: the system's.
    let clock = acebridge_clock::Clock::system();
    // CRM_KIND / CRM_SECRET_ARN / CRM_MAPPING: the store alone, or Salesforce, HubSpot or a webhook behind it.
    let (ledger, setup) = acebridge_crm::setup::ledger_and_crm(&sdk, &clock).await?;
    let crm = setup.crm;
    let pc = config::partner_central(&sdk, &clock);
    let policy = InvitationPolicy::parse(
        &config::env_opt("INVITATION_POLICY").unwrap_or_default(),
        config::env_opt("INVITATION_RULES").as_deref(),
    )?;
    // Leads have their own policy (default: manual, the CRM decides).
    let lead_policy = InvitationPolicy::parse(
        &config::env_opt("LEAD_INVITATION_POLICY").unwrap_or_default(),
        config::env_opt("LEAD_INVITATION_RULES").as_deref(),
    )?;
    let catalog = config::catalog()?;
    let margin = deadline::margin_from_env();
    let outcomes = config::event_bus(&sdk)?;
    let expiring_within = chrono::Duration::hours(
        config::env_opt("EXPIRING_WITHIN_HOURS")
            .and_then(|h| h.parse().ok())
            .unwrap_or(48),
    );
    // The reconcile's share of the day's reads, counted in the ledger table with every other function's.
    let budget = acebridge_sync::budget::DailyBudget::from_env()?;
    let counter = config::call_counter(&sdk, config::env("LEDGER_TABLE")?, &clock);
    let cx = Context {
        pc: &pc,
        ledger: &ledger,
        crm: &crm,
        policy: &policy,
        lead_policy: &lead_policy,
        catalog,
        outcomes: &outcomes,
        expiring_within,
        budget: Some(acebridge_sync::partner_central::Budgeted {
            budget,
            counter: &counter,
        }),
        refresh: acebridge_sync::partner_central::Refresh::from_env(),
        clock: clock.clone(),
    };
    acebridge_sync::telemetry::ready();
    run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
            let cx = &cx;
            async move {
                let time_left = deadline::time_left(event.context.deadline, margin, &cx.clock);
                let result = pc_events::handle(cx, &event.payload, time_left)
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, retryable = e.retryable(), "event not handled");
                        diagnostic(&e)
                    });
                acebridge_sync::metrics::flush(&cx.clock);
                result
            }
        },
    ))
    .await
}

/// Errors are typed for the on-failure destination: an operator sees at once whether a redrive can help.
fn diagnostic(e: &HandleError) -> Diagnostic {
    let error_type = match e {
        HandleError::Malformed(_) => "acebridge.MalformedEvent",
        HandleError::Port(p) if p.retryable => "acebridge.Retryable",
        HandleError::Port(_) => "acebridge.NotRetryable",
    };
    Diagnostic {
        error_type: error_type.to_string(),
        error_message: e.to_string(),
    }
}
