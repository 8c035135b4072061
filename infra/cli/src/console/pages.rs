//! The console's pages and actions. Each page reads through the ports the functions use; each action
//! (a POST, checked by [`super::guard`]) is one call of `acebridge_sync::operations`.

use super::Console;
use super::views::{self, Chart, Pager, Step, when};
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::operations;
use acebridge_sync::ports::ledger::{FileStatus, LedgerEntry, RecordStatus};
use acebridge_sync::ports::store::ObjectStore;
use acebridge_sync::s3_exchange::ingest::ErrorReport;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Rows a page shows.
const PAGE_ROWS: usize = 25;

type Shared = State<Arc<Console>>;

/// The console's routes, behind the guard.
pub(crate) fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/records", get(records))
        .route("/records/{kind}/{crm_id}", get(record))
        .route("/failures", get(failures))
        .route("/failures/fix", get(fix_form).post(fix_send))
        .route("/failures/replay", post(replay))
        .route("/invitations", get(invitations))
        .route("/invitations/decide", post(decide))
        .route("/held", get(held))
        .route("/held/retry", post(held_retry))
        .route("/held/drop", post(held_drop))
        .route("/channels", get(channels))
        .route("/console.css", get(stylesheet))
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            super::guard::check,
        ))
        .with_state(console)
}

/// A page that could not be built: the reason, never a panic.
pub(crate) struct Failure(StatusCode, String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(StatusCode::BAD_GATEWAY, e.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let page = views::DonePage {
            nav: views::Nav::new(""),
            title: "Something failed".into(),
            ok: false,
            lines: vec![self.1],
            back: "/".into(),
        };
        (self.0, render(&page)).into_response()
    }
}

type Page = Result<Response, Failure>;

fn render(t: &impl Template) -> Html<String> {
    Html(t.render().unwrap_or_else(|e| {
        format!(
            "<!doctype html><html lang=\"en\"><title>error</title><p>page error: {}</p></html>",
            askama::filters::escape(e.to_string(), askama::filters::Html)
                .map(|s| s.to_string())
                .unwrap_or_default()
        )
    }))
}

fn ok(t: &impl Template) -> Page {
    Ok(render(t).into_response())
}

/// `?q=…&page=…`: a list's search and page.
#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<usize>,
}

impl ListQuery {
    fn matches(&self, haystack: &str) -> bool {
        let q = self.q.trim().to_lowercase();
        q.is_empty() || haystack.to_lowercase().contains(&q)
    }

    /// This page's rows of `all`, and the pager.
    fn page<T>(&self, path: &str, all: Vec<T>) -> (Vec<T>, Pager) {
        let total = all.len();
        let pages = total.div_ceil(PAGE_ROWS).max(1);
        let page = self.page.unwrap_or(1).clamp(1, pages);
        let href = |p: usize| {
            let query =
                serde_urlencoded::to_string([("q", self.q.as_str()), ("page", &p.to_string())])
                    .unwrap_or_default();
            format!("{path}?{query}")
        };
        let rows = all
            .into_iter()
            .skip((page - 1) * PAGE_ROWS)
            .take(PAGE_ROWS)
            .collect();
        (
            rows,
            Pager {
                page,
                pages,
                total,
                q: self.q.clone(),
                path: path.to_string(),
                prev: (page > 1).then(|| href(page - 1)),
                next: (page < pages).then(|| href(page + 1)),
            },
        )
    }
}

/// Which channel brought a ledger entry's last AWS version.
fn channel_of(e: &LedgerEntry) -> &'static str {
    match e.source.as_deref() {
        None => "CRM",
        Some(s) if s.ends_with(".json") || s.contains("-outbound/") => "S3 exchange",
        Some(_) => "Partner Central API",
    }
}

fn state_of(e: &LedgerEntry) -> &'static str {
    if e.held.is_some() {
        return "held";
    }
    if e.has_failed() {
        return "failed";
    }
    match e.status {
        Some(RecordStatus::Synced) => "synced",
        Some(RecordStatus::Failed) => "failed",
        Some(RecordStatus::Applying) => "applying",
        None => "sent",
    }
}

async fn overview(State(c): Shared) -> Page {
    let now = c.clock.now();
    let snap = super::snapshot::for_page(&c).await?;
    let entries = &snap.entries;
    let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_channel: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries {
        *by_state
            .entry(format!("{} {}", e.key.kind, state_of(e)))
            .or_default() += 1;
        *by_channel.entry(channel_of(e).to_string()).or_default() += 1;
    }
    let day_ago = now - chrono::Duration::hours(24);
    let failed_24h: Vec<&LedgerEntry> = entries
        .iter()
        .filter(|e| state_of(e) == "failed" && e.updated_at >= day_ago)
        .collect();
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for e in &failed_24h {
        *failures.entry(e.key.kind.to_string()).or_default() += 1;
    }
    let quarantined = snap
        .files
        .iter()
        .filter(|f| f.status == FileStatus::Quarantined && f.updated_at >= day_ago)
        .count() as u64;
    if quarantined > 0 {
        failures.insert("quarantined file".into(), quarantined);
    }
    let last_in = entries
        .iter()
        .filter(|e| e.status == Some(RecordStatus::Synced))
        .map(|e| e.updated_at)
        .max();
    let last_out = entries
        .iter()
        .filter_map(|e| e.aws_result.as_ref().filter(|r| r.success).map(|r| r.at))
        .max();
    let (reads, writes) = (snap.reads, snap.writes);
    let page = views::OverviewPage {
        nav: views::Nav::at("overview", snap.taken_at),
        total: entries.len(),
        states: Chart::new("Records by state", "records", by_state),
        channels: Chart::new("Records by channel", "records", by_channel),
        failures: Chart::new("Failures in the last 24 hours", "failures", failures),
        budgets: Chart::quota(
            "Partner Central calls, last 24 hours",
            [
                ("reads".to_string(), reads, c.budget.reads_per_day),
                ("writes".to_string(), writes, c.budget.writes_per_day),
            ],
        ),
        last_in: when(last_in),
        last_out: when(last_out),
        failed_24h: failed_24h.len() + quarantined as usize,
        reconcile_share: c.budget.backfill_reads(),
    };
    ok(&page)
}

async fn records(State(c): Shared, Query(q): Query<ListQuery>) -> Page {
    let snap = super::snapshot::for_page(&c).await?;
    let needle = q.q.trim().to_lowercase();
    let rows: Vec<&acebridge_sync::ports::crm::CrmRecord> = snap
        .records
        .iter()
        .filter(|(_, text)| text.contains(&needle))
        .map(|(r, _)| r)
        .collect();
    let (rows, pager) = q.page("/records", rows);
    let rows = rows
        .into_iter()
        .map(|r| views::RecordRow::from(r.clone()))
        .collect();
    ok(&views::RecordsPage {
        nav: views::Nav::at("records", snap.taken_at),
        rows,
        pager,
    })
}

async fn record(State(c): Shared, Path((kind, crm_id)): Path<(String, String)>) -> Page {
    let Some(kind) = RecordKind::parse(&kind) else {
        return Err(Failure(
            StatusCode::NOT_FOUND,
            format!("no kind of record {}", acebridge_mapping::quoted(&kind)),
        ));
    };
    let snap = super::snapshot::for_page(&c).await?;
    let stored = snap
        .records
        .iter()
        .map(|(r, _)| r)
        .find(|r| r.kind == kind && r.crm_id == crm_id)
        .cloned();
    let entries: Vec<&LedgerEntry> = snap
        .entries
        .iter()
        .filter(|e| e.key.kind == kind && e.crm_id.as_deref() == Some(crm_id.as_str()))
        .collect();
    if stored.is_none() && entries.is_empty() {
        return Err(Failure(
            StatusCode::NOT_FOUND,
            format!(
                "no {kind} {} in the CRM store or the ledger",
                acebridge_mapping::quoted(&crm_id)
            ),
        ));
    }
    let mut steps: Vec<Step> = entries.iter().flat_map(|e| Step::of_entry(e)).collect();
    steps.sort_by_key(|s| s.at);
    let sent = entries
        .iter()
        .find_map(|e| e.crm_snapshot.as_ref())
        .map(|s| serde_json::to_string_pretty(s).unwrap_or_default());
    ok(&views::RecordPage {
        nav: views::Nav::at("records", snap.taken_at),
        kind: kind.to_string(),
        crm_id: crm_id.clone(),
        row: stored.clone().map(views::RecordRow::from),
        record: stored.map(|r| serde_json::to_string_pretty(&r.record).unwrap_or_default()),
        sent,
        steps,
    })
}

async fn failures(State(c): Shared, Query(q): Query<ListQuery>) -> Page {
    let snap = super::snapshot::for_page(&c).await?;
    let failed: Vec<views::FailedRow> = operations::needs_attention_of(snap.entries.iter())
        .into_iter()
        .map(|e| views::FailedRow::from(e.clone()))
        .filter(|r| q.matches(&format!("{} {} {}", r.key, r.crm_id, r.reason)))
        .collect();
    let mut files: Vec<views::FailedFileRecord> = vec![];
    for (key, report) in &snap.reports {
        for f in &report.failed {
            let row = views::FailedFileRecord::new(key, &report.file, f.clone());
            if q.matches(&format!("{} {} {}", row.file, row.id, row.message)) {
                files.push(row);
            }
        }
    }
    let quarantined = snap
        .quarantined
        .iter()
        .filter(|(key, reason)| q.matches(&format!("{key} {reason}")))
        .map(|(key, reason)| views::QuarantineRow {
            key: key.clone(),
            reason: reason.clone(),
        })
        .collect();
    let (failed, pager) = q.page("/failures", failed);
    ok(&views::FailuresPage {
        nav: views::Nav::at("failures", snap.taken_at),
        csrf: c.guard.token().to_string(),
        failed,
        pager,
        files,
        quarantined,
        has_bucket: c.landing.is_some(),
        notices: snap
            .unsent_notices
            .iter()
            .map(views::NoticeRow::from)
            .filter(|n| q.matches(&format!("{} {} {}", n.kind, n.key, n.error)))
            .collect(),
    })
}

/// The landing bucket, for the S3 pages and actions.
fn landing_of(c: &Console) -> Result<&acebridge_sync::adapters::s3::S3Bucket, Failure> {
    c.landing.as_ref().ok_or_else(|| {
        Failure(
            StatusCode::NOT_FOUND,
            "the console was started without --bucket".into(),
        )
    })
}

#[derive(Deserialize)]
struct FixQuery {
    key: String,
    index: usize,
}

async fn fix_page(
    c: &Console,
    key: &str,
    index: usize,
    edited: Option<(String, Vec<String>)>,
) -> Page {
    let landing = landing_of(c)?;
    let report = match landing.get(key).await? {
        Some(obj) => serde_json::from_slice::<ErrorReport>(&obj.body)?,
        None => {
            return Err(Failure(
                StatusCode::NOT_FOUND,
                format!("{key}: no such error report"),
            ));
        }
    };
    let Some(failed) = report.failed.into_iter().find(|f| f.index == index) else {
        return Err(Failure(
            StatusCode::NOT_FOUND,
            format!("{key}: no failed record {index}"),
        ));
    };
    let (record, problems) = edited.unwrap_or_else(|| {
        (
            serde_json::to_string_pretty(&failed.record).unwrap_or_default(),
            vec![],
        )
    });
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = views::FixPage {
        nav: views::Nav::new("failures"),
        csrf: c.guard.token().to_string(),
        key: key.to_string(),
        file: report.file,
        index,
        field: failed.field.unwrap_or_else(|| "(record)".into()),
        message: failed.message,
        record,
        problems,
    };
    Ok((status, render(&page)).into_response())
}

async fn fix_form(State(c): Shared, Query(q): Query<FixQuery>) -> Page {
    fix_page(&c, &q.key, q.index, None).await
}

#[derive(Deserialize)]
struct FixForm {
    key: String,
    index: usize,
    record: String,
}

async fn fix_send(State(c): Shared, Form(f): Form<FixForm>) -> Page {
    let landing = landing_of(&c)?;
    let record: serde_json::Value = match serde_json::from_str(&f.record) {
        Ok(v) => v,
        Err(e) => {
            let problems = vec![format!("the record is not JSON: {e}")];
            return fix_page(&c, &f.key, f.index, Some((f.record, problems))).await;
        }
    };
    match operations::resend_edited(landing, &f.key, f.index, record, &c.clock).await? {
        Err(problems) => fix_page(&c, &f.key, f.index, Some((f.record, problems))).await,
        Ok(written) => done(
            &c,
            "Resent",
            vec![format!(
                "record {} of {} written as {}: the ingest takes it from there, as any replayed file",
                f.index, f.key, written.key
            )],
            "/failures",
        ),
    }
}

#[derive(Deserialize)]
struct ReplayForm {
    key: String,
}

async fn replay(State(c): Shared, Form(f): Form<ReplayForm>) -> Page {
    let landing = landing_of(&c)?;
    let written = operations::resend_failed(landing, &f.key, &[], &c.clock).await?;
    done(
        &c,
        "Replayed",
        vec![format!(
            "{} put back as {} for the ingest",
            f.key, written.key
        )],
        "/failures",
    )
}

/// An action's answer; the lists are read again in the background to show its effect.
fn done(c: &Arc<Console>, title: &str, lines: Vec<String>, back: &str) -> Page {
    super::snapshot::refresh(c);
    ok(&views::DonePage {
        nav: views::Nav::new(""),
        title: title.to_string(),
        ok: true,
        lines,
        back: back.to_string(),
    })
}

async fn invitations(State(c): Shared, Query(q): Query<ListQuery>) -> Page {
    let now = c.clock.now();
    let snap = super::snapshot::for_page(&c).await?;
    let pending: Vec<_> = snap
        .invitations
        .iter()
        .filter(|(p, _)| q.matches(&format!("{} {}", p.id, p.title.as_deref().unwrap_or(""))))
        .collect();
    let (pending, pager) = q.page("/invitations", pending);
    let rows = pending
        .into_iter()
        .map(|(p, invitation)| views::InvitationRow::new(p.clone(), invitation.as_deref(), &c, now))
        .collect();
    ok(&views::InvitationsPage {
        nav: views::Nav::at("invitations", snap.taken_at),
        csrf: c.guard.token().to_string(),
        rows,
        pager,
        reasons: acebridge_sync::model::policy::SUGGESTED_REJECTION_REASONS.to_vec(),
    })
}

#[derive(Deserialize)]
struct DecideForm {
    invitation: String,
    decision: String,
    #[serde(default)]
    reason: Option<String>,
}

async fn decide(State(c): Shared, Form(f): Form<DecideForm>) -> Page {
    let decision = acebridge_sync::crm_side::outbound::ReferralDecision {
        invitation_id: f.invitation.clone(),
        opportunity_id: None,
        decision: f.decision,
        reason: f.reason.filter(|r| !r.trim().is_empty()),
    };
    match operations::decide_referral(&c.pc, &c.ledger, &c.crm, c.catalog, &decision, &c.clock)
        .await?
    {
        Ok(what) => done(
            &c,
            "Decided",
            vec![format!("{}: {what}", f.invitation)],
            "/invitations",
        ),
        Err(refused) => Err(Failure(
            StatusCode::CONFLICT,
            format!("{}: {refused}", f.invitation),
        )),
    }
}

async fn held(State(c): Shared, Query(q): Query<ListQuery>) -> Page {
    let now = c.clock.now();
    let snap = super::snapshot::for_page(&c).await?;
    let rows: Vec<views::HeldRow> = operations::held_edits_of(snap.entries.iter())
        .into_iter()
        .filter_map(|e| views::HeldRow::new(e.clone(), now))
        .filter(|r| q.matches(&format!("{} {} {}", r.id, r.crm_id, r.reason)))
        .collect();
    let (rows, pager) = q.page("/held", rows);
    ok(&views::HeldPage {
        nav: views::Nav::at("held", snap.taken_at),
        csrf: c.guard.token().to_string(),
        rows,
        pager,
    })
}

#[derive(Deserialize)]
struct HeldForm {
    opportunity: String,
}

async fn held_retry(State(c): Shared, Form(f): Form<HeldForm>) -> Page {
    let pushed = operations::retry_held(
        &c.pc,
        &c.ledger,
        &c.crm,
        c.catalog,
        &f.opportunity,
        &c.clock,
    )
    .await?;
    let line = match pushed {
        None => format!("{}: nothing was held", f.opportunity),
        Some(p) => format!("{}: {p:?}", f.opportunity),
    };
    done(&c, "Retried", vec![line], "/held")
}

async fn held_drop(State(c): Shared, Form(f): Form<HeldForm>) -> Page {
    let dropped = operations::drop_held(&c.ledger, c.catalog, &f.opportunity, &c.clock).await?;
    let line = if dropped {
        format!(
            "{}: held edits dropped; Partner Central keeps its values",
            f.opportunity
        )
    } else {
        format!("{}: nothing was held", f.opportunity)
    };
    done(&c, "Dropped", vec![line], "/held")
}

async fn channels(State(c): Shared) -> Page {
    let snap = super::snapshot::for_page(&c).await?;
    let files = &snap.files;
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for f in files {
        *by_status
            .entry(format!("{:?}", f.status).to_lowercase())
            .or_default() += 1;
    }
    let last_file = files.iter().map(|f| f.updated_at).max();
    let mut by_channel: BTreeMap<String, u64> = BTreeMap::new();
    for e in snap.entries.iter().filter(|e| e.version.is_some()) {
        *by_channel.entry(channel_of(e).to_string()).or_default() += 1;
    }
    let stage =
        acebridge_sync::s3_exchange::migration::stage(c.channel == "api", last_file, c.clock.now());
    ok(&views::ChannelsPage {
        nav: views::Nav::at("channels", snap.taken_at),
        stage: stage.name(),
        advice: stage.advice(),
        arrived: Chart::new(
            "Records by the channel their newest AWS version came by",
            "records",
            by_channel,
        ),
        channel: c.channel.clone(),
        catalog: c.catalog.to_string(),
        files: Chart::new("S3 exchange files by state", "files", by_status),
        last_file: when(last_file),
        waiting: snap.waiting.clone(),
        watermark: when(snap.watermark),
        has_bucket: c.landing.is_some(),
    })
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../templates/console.css"),
    )
}
