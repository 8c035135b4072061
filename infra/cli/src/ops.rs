//! The operations commands: `replay`, `show`, `decide`, `pending`, `local-init`. They talk to AWS (or, with
//! `AWS_ENDPOINT_URL`, to the local stack) with the same adapters as the functions.

use acebridge_clock::Clock;
use acebridge_sync::adapters::config::{dynamodb_client, s3_client, sdk_config};
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::local;
use acebridge_sync::ports::crm::CrmRecord;
use acebridge_sync::ports::ledger::{FileEntry, Ledger, LedgerEntry};
use acebridge_sync::ports::store::{ObjectStore, list_all};
use acebridge_sync::s3_exchange::ingest::{FAILED_PREFIX, QUARANTINE_PREFIX};
use anyhow::Context;
use std::path::Path;

/// `acebridge replay`.
pub async fn replay(
    bucket: &str,
    key: &str,
    records: &[usize],
    event_out: Option<&Path>,
    clock: &Clock,
) -> anyhow::Result<()> {
    let sdk = sdk_config(None).await;
    let landing = S3Bucket::new(s3_client(&sdk), bucket);
    let written = acebridge_sync::operations::resend_failed(&landing, key, records, clock).await?;
    crate::emit(&format!("replayed {key} as s3://{bucket}/{}", written.key));
    if let Some(path) = event_out {
        let event = local::s3_event(bucket, &[(&written.key, &written.etag, written.size)]);
        std::fs::write(path, serde_json::to_vec_pretty(&event)?)
            .with_context(|| format!("writing {}", path.display()))?;
        crate::emit(&format!(
            "S3 event for the ingest function: {}",
            path.display()
        ));
    }
    Ok(())
}

/// `acebridge local-init`.
pub async fn local_init(
    ace_bucket: &str,
    landing_bucket: &str,
    ledger_table: &str,
    crm_table: &str,
    event_bus: Option<&str>,
) -> anyhow::Result<()> {
    local::init(
        ace_bucket,
        landing_bucket,
        ledger_table,
        crm_table,
        "us-east-1",
    )
    .await?;
    if let Some(bus) = event_bus {
        local::create_outcome_bus(&sdk_config(None).await, bus).await?;
        crate::emit(&format!(
            "event bus {bus} ready; its outcome events collect in the queue {bus}-outcomes"
        ));
    }
    crate::emit(&format!(
        "local stack ready: s3://{ace_bucket} (ACE, us-west-2), s3://{landing_bucket} (landing, versioned), \
         tables {ledger_table} (ledger) and {crm_table} (CRM store)"
    ));
    Ok(())
}

fn date(d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn table(title: &str, header: &[&str], rows: Vec<Vec<String>>) {
    crate::emit(&format!("\n{title} ({})", rows.len()));
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        crate::emit(&format!("  {}", padded.join("  ").trim_end()));
    };
    line(header.iter().map(|h| h.to_string()).collect());
    line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for r in rows {
        line(r);
    }
}

fn crm_row(r: CrmRecord) -> Vec<String> {
    let sync = match &r.aws_sync {
        None => "-".to_string(),
        Some(s) if s.success => "AWS: ok".to_string(),
        Some(s) => cut(&format!("AWS: {}", s.errors.join("; ")), 40),
    };
    vec![
        r.kind.to_string(),
        r.crm_id,
        r.ace_id.unwrap_or_else(|| "-".into()),
        cut(r.summary.title.as_deref().unwrap_or("-"), 32),
        r.summary
            .stage
            .or(r.summary.status)
            .unwrap_or_else(|| "-".into()),
        r.summary.origin.unwrap_or_else(|| "-".into()),
        date(r.accept_by),
        date(r.aws_last_modified),
        sync,
    ]
}

fn ledger_row(e: LedgerEntry) -> Vec<String> {
    let id = e.key.display_id();
    let status = e
        .status
        .map(|s| format!("{s:?}").to_lowercase())
        .unwrap_or_else(|| "-".into());
    let aws = match &e.aws_result {
        None => "-".to_string(),
        Some(r) if r.success => "ok".to_string(),
        Some(r) => cut(&r.errors.join("; "), 30),
    };
    vec![
        e.key.kind.to_string(),
        e.key.catalog.to_string(),
        id,
        e.crm_id.unwrap_or_else(|| "-".into()),
        date(e.version.as_ref().and_then(|v| v.aws_last_modified)),
        status,
        aws,
        e.source.map(|s| cut(&s, 44)).unwrap_or_else(|| "-".into()),
    ]
}

fn file_row(f: FileEntry) -> Vec<String> {
    let c = &f.counts;
    vec![
        cut(&f.key, 56),
        format!("{:?}", f.status).to_lowercase(),
        format!(
            "{} rec: {} applied ({} new), {} stale, {} dup, {} results, {} failed",
            c.records, c.applied, c.new_referrals, c.stale, c.duplicate, c.results, c.failed
        ),
        cut(f.reason.as_deref().unwrap_or(""), 50),
    ]
}

/// `acebridge show`: the CRM store, the ledger, the files and what needs an operator.
pub async fn show(
    ledger_table: &str,
    crm_table: &str,
    bucket: Option<&str>,
    event_bus: Option<&str>,
    clock: &Clock,
) -> anyhow::Result<()> {
    let sdk = sdk_config(None).await;
    let ddb = dynamodb_client(&sdk);
    let crm = DynamoCrmStore::new(ddb.clone(), crm_table);
    let ledger = DynamoLedger::new(ddb, ledger_table);

    let mut records = crm.all().await?;
    records.sort_by(|a, b| (a.kind.as_str(), &a.crm_id).cmp(&(b.kind.as_str(), &b.crm_id)));
    table(
        "CRM store",
        &[
            "kind",
            "CRM id",
            "ACE id",
            "title",
            "stage",
            "origin",
            "accept by",
            "AWS modified",
            "sync",
        ],
        records.into_iter().map(crm_row).collect(),
    );
    let mut entries = ledger.records().await?;
    // Lead identities (both-channel matching) are bookkeeping, not records.
    entries.retain(|e| {
        !e.ace_id
            .as_deref()
            .is_some_and(acebridge_sync::lead_identity::is_identity)
    });
    entries.sort_by_key(|e| e.key.storage_key());
    table(
        "Sync ledger: records",
        &[
            "kind",
            "catalog",
            "key",
            "CRM id",
            "AWS version",
            "status",
            "AWS result",
            "source",
        ],
        entries.into_iter().map(ledger_row).collect(),
    );
    // What an operator must look at (operations::needs_attention): every record whose last sync failed.
    let failed = acebridge_sync::operations::needs_attention(&ledger).await?;
    table(
        "Needs attention: records whose last sync failed",
        &["kind", "key", "CRM id", "reason", "how to fix"],
        failed
            .into_iter()
            .map(|e| {
                let reason = e.failure_reason();
                let hint = acebridge_sync::partner_central::validation::fix_hint(&reason);
                vec![
                    e.key.kind.to_string(),
                    e.key.display_id(),
                    e.crm_id.unwrap_or_else(|| "-".into()),
                    cut(&reason, 80),
                    hint.unwrap_or("-").to_string(),
                ]
            })
            .collect(),
    );
    // The daily quotas as every function counted its calls (the reconcile pauses at its share).
    let counter = acebridge_sync::adapters::dynamodb::DynamoCallCounter::new(
        dynamodb_client(&sdk),
        ledger_table,
        clock.clone(),
    );
    let budget =
        acebridge_sync::guards::budget::DailyBudget::from_env().map_err(anyhow::Error::msg)?;
    let mut rows = Vec::new();
    for (call, quota, share) in [
        (
            acebridge_sync::guards::budget::Call::Read,
            budget.reads_per_day,
            format!(
                "reconcile pauses at {} ({}% kept for live work)",
                budget.backfill_reads(),
                budget.reserved_percent
            ),
        ),
        (
            acebridge_sync::guards::budget::Call::Write,
            budget.writes_per_day,
            "CRM changes are coalesced per record".to_string(),
        ),
    ] {
        use acebridge_sync::guards::budget::CallCounter;
        let used = counter.used(call).await?;
        rows.push(vec![
            call.as_str().to_string(),
            used.to_string(),
            quota.to_string(),
            share,
        ]);
    }
    table(
        "Partner Central calls, last 24 hours",
        &["calls", "used", "daily quota", "budget"],
        rows,
    );
    let mut files = ledger.files().await?;
    files.sort_by(|a, b| a.key.cmp(&b.key));
    table(
        "Sync ledger: files",
        &["file", "status", "what it did", "reason"],
        files.into_iter().map(file_row).collect(),
    );
    if let Some(bucket) = bucket {
        let landing = S3Bucket::new(s3_client(&sdk), bucket);
        for (title, prefix) in [
            (
                "Quarantined files (replay: acebridge replay KEY)",
                QUARANTINE_PREFIX,
            ),
            (
                "Error reports (replay: acebridge replay KEY [--record N])",
                FAILED_PREFIX,
            ),
        ] {
            let mut rows = Vec::new();
            for o in list_all(&landing, prefix).await? {
                let detail = match landing.get(&o.key).await? {
                    Some(obj) if o.key.ends_with(".json") => {
                        let v: serde_json::Value =
                            serde_json::from_slice(&obj.body).unwrap_or_default();
                        match (&v["reason"], v["failed"].as_array()) {
                            (serde_json::Value::String(r), _) => r.clone(),
                            (_, Some(f)) => f
                                .iter()
                                .map(|x| {
                                    format!(
                                        "#{} {}: {}",
                                        x["index"],
                                        x["field"].as_str().unwrap_or("-"),
                                        x["message"].as_str().unwrap_or("")
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" | "),
                            _ => String::new(),
                        }
                    }
                    _ => String::new(),
                };
                rows.push(vec![o.key, cut(&detail, 90)]);
            }
            table(title, &["key", "reason"], rows);
        }
    }
    if let Some(bus) = event_bus {
        let url = local::create_outcome_bus(&sdk, bus).await?;
        let rows = local::drain_queue(&sdk, &url)
            .await?
            .into_iter()
            .map(|e| {
                let d = &e["detail"];
                let id = ["crmId", "invitationId"]
                    .iter()
                    .find_map(|k| d[*k].as_str())
                    .unwrap_or("-")
                    .to_string();
                let what = ["operation", "policyDecision", "expiresAt"]
                    .iter()
                    .find_map(|k| d[*k].as_str().map(str::to_string))
                    // AWS's errors as text, one after the other (not as JSON values).
                    .or_else(|| {
                        d["errors"].as_array().map(|a| {
                            a.iter()
                                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    })
                    .unwrap_or_default();
                vec![
                    e["detail-type"].as_str().unwrap_or("-").to_string(),
                    id,
                    d["aceId"].as_str().unwrap_or("-").to_string(),
                    cut(&what, 70),
                ]
            })
            .collect();
        table(
            &format!("Outcome events on {bus}"),
            &["detail-type", "CRM / invitation id", "ACE id", "what"],
            rows,
        );
    }
    Ok(())
}

/// `acebridge forget`: erases one customer and prints, as JSON, what was removed.
pub async fn forget(
    ledger_table: &str,
    crm_table: &str,
    bucket: Option<&str>,
    terms: &[String],
    dry_run: bool,
    clock: &Clock,
) -> anyhow::Result<()> {
    let subject = acebridge_sync::forget::Subject::new(terms)?;
    let sdk = sdk_config(None).await;
    let ddb = dynamodb_client(&sdk);
    let crm = DynamoCrmStore::new(ddb.clone(), crm_table);
    let ledger = DynamoLedger::new(ddb, ledger_table);
    let landing = bucket.map(|b| S3Bucket::new(s3_client(&sdk), b));
    let done = acebridge_sync::forget::forget(
        &subject,
        &crm,
        &ledger,
        landing.as_ref(),
        dry_run,
        clock.now(),
    )
    .await?;
    println!("{}", serde_json::to_string_pretty(&done)?);
    Ok(())
}

/// The ledger and CRM store tables a command works on.
#[derive(Clone, Copy)]
pub struct Tables<'a> {
    pub ledger: &'a str,
    pub crm: &'a str,
}

/// `acebridge decide`: the same operation as a `CRM Referral Decision` (`operations::decide_referral`).
pub async fn decide(
    invitation: &str,
    decision: &str,
    reason: Option<&str>,
    catalog: &str,
    tables: Tables<'_>,
    clock: &Clock,
) -> anyhow::Result<()> {
    let catalog = acebridge_mapping::Catalog::parse(catalog).map_err(anyhow::Error::msg)?;
    let sdk = sdk_config(None).await;
    let ddb = dynamodb_client(&sdk);
    let ledger = DynamoLedger::new(ddb.clone(), tables.ledger);
    let store = DynamoCrmStore::new(ddb, tables.crm);
    let crm = acebridge_crm::setup::from_env(&sdk, store, clock)
        .await
        .map_err(anyhow::Error::msg)?
        .crm;
    let pc = acebridge_sync::adapters::config::partner_central(&sdk, clock);
    let decision = acebridge_sync::crm_side::outbound::ReferralDecision {
        invitation_id: invitation.to_string(),
        opportunity_id: None,
        decision: decision.to_string(),
        reason: reason.map(str::to_string),
    };
    match acebridge_sync::operations::decide_referral(&pc, &ledger, &crm, catalog, &decision, clock)
        .await?
    {
        Ok(done) => {
            crate::emit(&format!("{invitation}: {done}"));
            Ok(())
        }
        Err(refused) => anyhow::bail!("{invitation}: {refused}"),
    }
}

/// `acebridge pending`: the referrals waiting for a decision (`operations::pending_invitations`).
pub async fn pending(catalog: &str, clock: &Clock) -> anyhow::Result<()> {
    let catalog = acebridge_mapping::Catalog::parse(catalog).map_err(anyhow::Error::msg)?;
    let sdk = sdk_config(None).await;
    let pc = acebridge_sync::adapters::config::partner_central(&sdk, clock);
    let pending = acebridge_sync::operations::pending_invitations(&pc, catalog).await?;
    table(
        "Referrals waiting for a decision",
        &["invitation", "title", "expires"],
        pending
            .into_iter()
            .map(|p| {
                vec![
                    p.id,
                    cut(p.title.as_deref().unwrap_or("-"), 48),
                    date(p.expires_at),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// `acebridge notices`: every example notice and the digest as sent to Slack and to Teams, one JSON
/// document on stdout: `{"notices": [{"kind", "key", "slack": [message], "teams": [body]}], "digest":
/// {"slack": [...], "teams": [...]}}` (and `"large_digest"` with `--large`).
pub fn notices(large: bool) -> u8 {
    use acebridge_notify::{examples, slack, teams};
    let now = examples::now();
    let notices: Vec<serde_json::Value> = examples::notices(now)
        .iter()
        .map(|n| {
            let mention_slack = n.owner_email.as_ref().map(|_| "U0EXAMPLE1");
            serde_json::json!({
                "kind": n.kind.name(),
                "key": n.key,
                "slack": slack::notice(n, mention_slack).iter().map(|m| m.body(Some("C0EXAMPLE1"))).collect::<Vec<_>>(),
                "teams": teams::notice(n, n.owner_email.as_deref()),
            })
        })
        .collect();
    let render = |d: &acebridge_notify::digest::Digest| {
        serde_json::json!({
            "slack": slack::digest(d).iter().map(|m| m.body(Some("C0EXAMPLE1"))).collect::<Vec<_>>(),
            "teams": teams::digest(d),
        })
    };
    let digest = examples::digest(now);
    let mut out = serde_json::json!({ "notices": notices, "digest": render(&digest) });
    if large {
        let mut big = digest.clone();
        big.sections[0].lines = (0..300)
            .map(|i| {
                format!(
                    "Customer {i:03} (opportunity): expires in {} days",
                    1 + i % 14
                )
            })
            .collect();
        out["large_digest"] = render(&big);
    }
    match serde_json::to_string_pretty(&out) {
        Ok(s) => {
            println!("{s}");
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
