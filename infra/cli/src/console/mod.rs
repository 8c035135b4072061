//! `acebridge console`: the operations console, a web server on the loopback interface for the alliance
//! manager and the engineer on call. It is a composition root like a function's `main`: it builds the
//! same adapters from the operator's own AWS credentials and calls the same operations
//! (`acebridge_sync::operations`) as the functions and the CLI; it has no logic of its own beyond
//! presenting them.
//!
//! Safety (docs/operations.md, "The console"): it listens on 127.0.0.1 only; a request whose `Host` is
//! not the console's own address is refused (DNS rebinding), and so is a POST whose `Origin` is not
//! (cross-site forms); every action is a POST carrying the console's CSRF token, a random value made
//! at start-up and only ever written into its own pages; askama escapes everything a customer wrote;
//! the pages load no script and the Content-Security-Policy allows none.

mod guard;
mod pages;
mod snapshot;
mod views;

use acebridge_clock::Clock;
use acebridge_crm::mirror::MirroredCrm;
use acebridge_mapping::Catalog;
use acebridge_sync::adapters::config::{dynamodb_client, s3_client, sdk_config};
use acebridge_sync::adapters::dynamodb::{DynamoCallCounter, DynamoCrmStore, DynamoLedger};
use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::guards::budget::DailyBudget;
use acebridge_sync::model::policy::InvitationPolicy;
use anyhow::Context;
use std::sync::Arc;

/// Where the console reads and acts.
pub struct Options {
    /// The port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// `AWS` or `Sandbox`.
    pub catalog: String,
    /// The sync ledger table.
    pub ledger_table: String,
    /// The CRM store table.
    pub crm_table: String,
    /// The landing bucket (S3 channel), for failed and quarantined files.
    pub bucket: Option<String>,
    /// Write the console's URL to this file once it listens (scripts and tests wait for it).
    pub url_file: Option<std::path::PathBuf>,
    /// The list pages' figures are read again in the background when older than this (0: every page
    /// reads the tables itself).
    pub refresh_seconds: u64,
}

/// Everything a page reads or an action calls: the adapters, built once.
pub(crate) struct Console {
    pub ledger: DynamoLedger,
    pub store: DynamoCrmStore,
    pub crm: MirroredCrm,
    pub pc: SdkPartnerCentral,
    pub landing: Option<S3Bucket>,
    pub counter: DynamoCallCounter,
    pub budget: DailyBudget,
    pub policy: InvitationPolicy,
    pub lead_policy: InvitationPolicy,
    pub catalog: Catalog,
    /// `CHANNEL` as the functions read it (`s3`, `api`, or both while migrating).
    pub channel: String,
    pub clock: Clock,
    pub guard: guard::Guard,
    pub snapshots: snapshot::Snapshots,
}

/// Serves the console until the process is stopped.
pub async fn serve(options: Options, clock: Clock) -> anyhow::Result<()> {
    let catalog = Catalog::parse(&options.catalog).map_err(anyhow::Error::msg)?;
    let sdk = sdk_config(None).await;
    let ddb = dynamodb_client(&sdk);
    let store = DynamoCrmStore::new(ddb.clone(), &options.crm_table);
    let crm = acebridge_crm::setup::from_env(&sdk, store.clone(), &clock)
        .await
        .map_err(anyhow::Error::msg)?
        .crm;
    let (policy, lead_policy) =
        acebridge_crm::functions::policies_from_env().map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .with_context(|| format!("listening on 127.0.0.1:{}", options.port))?;
    let port = listener.local_addr()?.port();
    let ledger = DynamoLedger::new(ddb.clone(), &options.ledger_table);
    let max_age = chrono::Duration::seconds(i64::try_from(options.refresh_seconds).unwrap_or(60));
    let snapshots = snapshot::Snapshots::empty(max_age, clock.now());
    let console = Console {
        ledger,
        store,
        crm,
        pc: acebridge_sync::adapters::config::partner_central(&sdk, &clock),
        landing: options
            .bucket
            .as_deref()
            .map(|b| S3Bucket::new(s3_client(&sdk), b)),
        counter: DynamoCallCounter::new(ddb, &options.ledger_table, clock.clone()),
        budget: DailyBudget::from_env().map_err(anyhow::Error::msg)?,
        policy,
        lead_policy,
        catalog,
        channel: acebridge_sync::adapters::config::env_opt("CHANNEL")
            .unwrap_or_else(|| "s3".to_string()),
        clock,
        guard: guard::Guard::new(port)?,
        snapshots,
    };
    snapshot::first(&console).await?;
    let url = format!("http://127.0.0.1:{port}/");
    let app = pages::router(Arc::new(console));
    if let Some(path) = &options.url_file {
        std::fs::write(path, &url).with_context(|| format!("writing {}", path.display()))?;
    }
    crate::emit(&format!("console: {url} (loopback only; Ctrl-C stops it)"));
    axum::serve(listener, app).await.context("console server")?;
    Ok(())
}
