//! What each page shows, as askama templates (`infra/cli/templates/`): compiled with the binary, and
//! every value escaped for HTML unless a template says otherwise (none does).

use acebridge_mapping::canonical::Invitation;
use acebridge_sync::model::history::FieldChange;
use acebridge_sync::ports::crm::CrmRecord;
use acebridge_sync::ports::ledger::LedgerEntry;
use acebridge_sync::ports::partner_central::PendingInvitation;
use acebridge_sync::s3_exchange::ingest::FailedRecord;
use askama::Template;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A time as the pages show it.
pub(crate) fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "never".into())
}

/// "in 3 h 20 min", "expired 2 d ago".
pub(crate) fn time_left(
    at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let Some(at) = at else {
        return "no expiry given".into();
    };
    let d = at - now;
    let span = |d: chrono::TimeDelta| {
        let m = d.num_minutes().abs();
        if m >= 48 * 60 {
            format!("{} d", m / (24 * 60))
        } else {
            format!("{} h {} min", m / 60, m % 60)
        }
    };
    if d > chrono::TimeDelta::zero() {
        format!("in {}", span(d))
    } else {
        format!("expired {} ago", span(d))
    }
}

/// The navigation, with the current page marked.
pub(crate) struct Nav {
    pub here: &'static str,
    /// When the figures of a list page were read.
    pub as_of: Option<String>,
}

impl Nav {
    pub fn new(here: &'static str) -> Self {
        Nav { here, as_of: None }
    }

    /// A page showing the snapshot taken at `at`.
    pub fn at(here: &'static str, at: DateTime<Utc>) -> Self {
        Nav {
            here,
            as_of: Some(at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        }
    }

    /// (path, label, is this page).
    pub fn items(&self) -> Vec<(&'static str, &'static str, bool)> {
        [
            ("/", "Overview", "overview"),
            ("/records", "Records", "records"),
            ("/failures", "Failures", "failures"),
            ("/invitations", "Invitations", "invitations"),
            ("/held", "Held edits", "held"),
            ("/channels", "Channels", "channels"),
        ]
        .into_iter()
        .map(|(p, l, k)| (p, l, k == self.here))
        .collect()
    }
}

/// A list's page: where it is, and the links to the others.
pub(crate) struct Pager {
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub q: String,
    pub path: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// One bar of a chart, laid out (the SVG is drawn by the template).
pub(crate) struct Bar {
    pub label: String,
    pub value: String,
    pub width: u64,
    pub y: usize,
}

/// A horizontal bar chart, as server-rendered SVG with a text equivalent (a table) beside it.
pub(crate) struct Chart {
    pub title: String,
    pub unit: String,
    pub bars: Vec<Bar>,
    pub height: usize,
}

/// Bar area width in the SVG's units.
const BAR_SPACE: u64 = 360;
const ROW: usize = 28;

impl Chart {
    /// Counts, scaled to the largest.
    pub fn new(title: &str, unit: &str, counts: BTreeMap<String, u64>) -> Self {
        let max = counts.values().copied().max().unwrap_or(0).max(1);
        Self::laid_out(
            title,
            unit,
            counts
                .into_iter()
                .map(|(label, v)| (label, v.to_string(), v * BAR_SPACE / max)),
        )
    }

    /// Used against a quota, scaled to the quota.
    pub fn quota(title: &str, used: [(String, u64, u64); 2]) -> Self {
        Self::laid_out(
            title,
            "calls",
            used.into_iter().map(|(label, used, quota)| {
                let quota = quota.max(1);
                (
                    label,
                    format!("{used} of {quota}"),
                    used.min(quota) * BAR_SPACE / quota,
                )
            }),
        )
    }

    fn laid_out(
        title: &str,
        unit: &str,
        bars: impl Iterator<Item = (String, String, u64)>,
    ) -> Self {
        let bars: Vec<Bar> = bars
            .enumerate()
            .map(|(i, (label, value, width))| Bar {
                label,
                value,
                width: width.max(1),
                y: i * ROW,
            })
            .collect();
        Chart {
            title: title.to_string(),
            unit: unit.to_string(),
            height: bars.len().max(1) * ROW,
            bars,
        }
    }
}

#[derive(Template)]
#[template(path = "overview.html")]
pub(crate) struct OverviewPage {
    pub nav: Nav,
    pub total: usize,
    pub states: Chart,
    pub channels: Chart,
    pub failures: Chart,
    pub budgets: Chart,
    pub last_in: String,
    pub last_out: String,
    pub failed_24h: usize,
    pub reconcile_share: u64,
}

/// A CRM store record in a list.
#[derive(Clone)]
pub(crate) struct RecordRow {
    pub kind: String,
    pub crm_id: String,
    pub ace_id: String,
    pub title: String,
    pub stage: String,
    pub origin: String,
    pub sync: String,
    pub href: String,
}

impl From<CrmRecord> for RecordRow {
    fn from(r: CrmRecord) -> Self {
        let href = format!(
            "/records/{}/{}",
            r.kind,
            percent_encoding::utf8_percent_encode(&r.crm_id, percent_encoding::NON_ALPHANUMERIC)
        );
        RecordRow {
            kind: r.kind.to_string(),
            ace_id: r.ace_id.unwrap_or_default(),
            title: r.summary.title.unwrap_or_default(),
            stage: r.summary.stage.or(r.summary.status).unwrap_or_default(),
            origin: r.summary.origin.unwrap_or_default(),
            sync: match &r.aws_sync {
                None => String::new(),
                Some(s) if s.success => "AWS: ok".into(),
                Some(s) => format!("AWS: {}", s.errors.join("; ")),
            },
            crm_id: r.crm_id,
            href,
        }
    }
}

#[derive(Template)]
#[template(path = "records.html")]
pub(crate) struct RecordsPage {
    pub nav: Nav,
    pub rows: Vec<RecordRow>,
    pub pager: Pager,
}

/// One step of a record's timeline, from its ledger entry.
pub(crate) struct Step {
    pub at: DateTime<Utc>,
    pub what: String,
    pub detail: String,
    pub source: String,
    pub ok: bool,
    pub changes: Vec<FieldChange>,
    pub more_changes: usize,
}

impl Step {
    fn derived(at: DateTime<Utc>, what: &str, detail: String) -> Self {
        Step {
            at,
            what: what.to_string(),
            detail,
            source: String::new(),
            ok: true,
            changes: Vec::new(),
            more_changes: 0,
        }
    }

    pub fn time(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }

    /// What the ledger says happened to a record, each with its time: the steps the sync recorded (with
    /// the fields each changed), and what the entry itself tells (first seen, read again, closed). An
    /// entry written before the sync kept steps shows its last state instead.
    pub fn of_entry(e: &LedgerEntry) -> Vec<Step> {
        let mut steps = vec![Step::derived(
            e.first_seen,
            "first seen",
            e.key.display_id(),
        )];
        if e.history.is_empty() {
            steps.extend(Self::last_state(e));
        }
        steps.extend(e.history.iter().map(|h| Step {
            at: h.at,
            what: format!("{}: {}", h.kind.label(), h.summary),
            detail: h.errors.join("; "),
            source: h.source.clone().unwrap_or_default(),
            ok: h.ok,
            changes: h.changes.clone(),
            more_changes: h.more_changes,
        }));
        if let Some(at) = e.refreshed_at {
            steps.push(Step::derived(
                at,
                "read again by the reconcile",
                String::new(),
            ));
        }
        if let Some(at) = e.closed_at {
            steps.push(Step::derived(
                at,
                "closed",
                "kept until the retention period ends".into(),
            ));
        }
        steps
    }

    /// The entry's last state as steps, for an entry without a recorded history.
    fn last_state(e: &LedgerEntry) -> Vec<Step> {
        use acebridge_sync::ports::ledger::RecordStatus;
        let mut steps = Vec::new();
        if let Some(v) = &e.version
            && let Some(at) = v.aws_last_modified
        {
            steps.push(Step::derived(
                at,
                "AWS version (LastModifiedDate)",
                format!("read from {}", e.source.as_deref().unwrap_or("-")),
            ));
        }
        if let Some(r) = &e.aws_result {
            let what = if r.success {
                "AWS accepted what we sent"
            } else {
                "AWS refused what we sent"
            };
            steps.push(Step {
                ok: r.success,
                ..Step::derived(
                    r.at,
                    what,
                    format!("{} ({})", r.errors.join("; "), r.source),
                )
            });
        }
        if let Some(h) = &e.held {
            steps.push(Step::derived(h.since, "CRM edits held", h.reason.clone()));
        }
        let what = match e.status {
            Some(RecordStatus::Failed) => "AWS → CRM failed",
            Some(RecordStatus::Synced) => "AWS → CRM synced",
            Some(RecordStatus::Applying) => "AWS → CRM being applied",
            None => "ledger entry written",
        };
        steps.push(Step {
            ok: e.status != Some(RecordStatus::Failed),
            ..Step::derived(e.updated_at, what, e.errors.join("; "))
        });
        steps
    }
}

#[derive(Template)]
#[template(path = "record.html")]
pub(crate) struct RecordPage {
    pub nav: Nav,
    pub kind: String,
    pub crm_id: String,
    pub row: Option<RecordRow>,
    pub record: Option<String>,
    pub sent: Option<String>,
    pub steps: Vec<Step>,
}

/// A record whose last sync failed.
pub(crate) struct FailedRow {
    pub kind: String,
    pub key: String,
    pub crm_id: String,
    pub reason: String,
    pub hint: Option<&'static str>,
    pub href: Option<String>,
}

impl From<LedgerEntry> for FailedRow {
    fn from(e: LedgerEntry) -> Self {
        let reason = e.failure_reason();
        let href = e.crm_id.as_deref().map(|id| {
            format!(
                "/records/{}/{}",
                e.key.kind,
                percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
            )
        });
        FailedRow {
            kind: e.key.kind.to_string(),
            key: e.key.display_id(),
            crm_id: e.crm_id.unwrap_or_default(),
            hint: acebridge_sync::partner_central::validation::fix_hint(&reason),
            reason,
            href,
        }
    }
}

/// A failed record of an S3 file (from its `failed/<key>.errors.json`).
pub(crate) struct FailedFileRecord {
    pub report: String,
    pub file: String,
    pub index: usize,
    pub id: String,
    pub stage: String,
    pub field: String,
    pub message: String,
    pub fix_href: String,
}

impl FailedFileRecord {
    pub fn new(report: &str, file: &str, f: FailedRecord) -> Self {
        let fix_href = format!(
            "/failures/fix?{}",
            serde_urlencoded::to_string([("key", report), ("index", &f.index.to_string())])
                .unwrap_or_default()
        );
        FailedFileRecord {
            report: report.to_string(),
            file: file.to_string(),
            index: f.index,
            id: f.id.unwrap_or_default(),
            stage: f.stage,
            field: f.field.unwrap_or_else(|| "(record)".into()),
            message: f.message,
            fix_href,
        }
    }
}

/// A quarantined file and why.
pub(crate) struct QuarantineRow {
    pub key: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "failures.html")]
pub(crate) struct FailuresPage {
    pub nav: Nav,
    pub csrf: String,
    pub failed: Vec<FailedRow>,
    pub pager: Pager,
    pub files: Vec<FailedFileRecord>,
    pub quarantined: Vec<QuarantineRow>,
    pub has_bucket: bool,
    pub notices: Vec<NoticeRow>,
}

/// A notice acebridge could not send (docs/notifications.md): the event stays in the notifier's queue,
/// then its dead-letter queue; its next delivery tries again.
pub(crate) struct NoticeRow {
    pub kind: String,
    pub key: String,
    pub target: String,
    pub attempts: u32,
    pub error: String,
}

impl From<&acebridge_sync::ports::ledger::NoticeMark> for NoticeRow {
    fn from(m: &acebridge_sync::ports::ledger::NoticeMark) -> Self {
        NoticeRow {
            kind: m.kind.clone(),
            key: m.key.clone(),
            target: m.target.clone(),
            attempts: m.attempts,
            error: m.last_error.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "fix.html")]
pub(crate) struct FixPage {
    pub nav: Nav,
    pub csrf: String,
    pub key: String,
    pub file: String,
    pub index: usize,
    pub field: String,
    pub message: String,
    pub record: String,
    pub problems: Vec<String>,
}

/// A pending referral, with what the invitation says and what the policy would do.
pub(crate) struct InvitationRow {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub customer: String,
    pub value: String,
    pub expires: String,
    pub left: String,
    pub policy: String,
}

impl InvitationRow {
    pub fn new(
        p: PendingInvitation,
        invitation: Option<&Invitation>,
        c: &super::Console,
        now: DateTime<Utc>,
    ) -> Self {
        let lead = invitation.is_some_and(acebridge_sync::partner_central::engagements::is_lead);
        let (customer, value, policy) = match invitation {
            None => (String::new(), String::new(), String::new()),
            Some(i) => {
                let value = i
                    .project
                    .expected_spend
                    .value()
                    .map(|s| {
                        s.iter()
                            .map(|s| format!("{} {} {}", s.amount, s.currency, s.frequency))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .or_else(|| {
                        i.lead.as_ref().map(|l| {
                            [l.industry.value(), l.market_segment.value()]
                                .into_iter()
                                .flatten()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                    })
                    .unwrap_or_default();
                let policy = if lead { &c.lead_policy } else { &c.policy };
                let d = policy.decide(i);
                (
                    i.customer.company_name.value().cloned().unwrap_or_default(),
                    value,
                    format!("{}: {}", d.name(), d.why()),
                )
            }
        };
        InvitationRow {
            kind: if lead { "Lead" } else { "Opportunity" }.into(),
            title: p.title.unwrap_or_default(),
            expires: when(p.expires_at),
            left: time_left(p.expires_at, now),
            id: p.id,
            customer,
            value,
            policy,
        }
    }
}

#[derive(Template)]
#[template(path = "invitations.html")]
pub(crate) struct InvitationsPage {
    pub nav: Nav,
    pub csrf: String,
    pub rows: Vec<InvitationRow>,
    pub pager: Pager,
    pub reasons: Vec<&'static str>,
}

/// An opportunity with held CRM edits.
pub(crate) struct HeldRow {
    pub id: String,
    pub crm_id: String,
    pub reason: String,
    pub since: String,
    pub fields: String,
}

impl HeldRow {
    pub fn new(e: LedgerEntry, now: DateTime<Utc>) -> Option<Self> {
        let held = e.held?;
        let fields = held
            .change
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        Some(HeldRow {
            id: e.ace_id.unwrap_or_else(|| e.key.display_id()),
            crm_id: e.crm_id.unwrap_or_default(),
            reason: held.reason,
            since: format!(
                "{} ({} ago)",
                held.since.format("%Y-%m-%d %H:%M UTC"),
                time_left(Some(now), held.since).trim_start_matches("in ")
            ),
            fields,
        })
    }
}

#[derive(Template)]
#[template(path = "held.html")]
pub(crate) struct HeldPage {
    pub nav: Nav,
    pub csrf: String,
    pub rows: Vec<HeldRow>,
    pub pager: Pager,
}

#[derive(Template)]
#[template(path = "channels.html")]
pub(crate) struct ChannelsPage {
    pub nav: Nav,
    pub stage: &'static str,
    pub advice: String,
    pub arrived: Chart,
    pub channel: String,
    pub catalog: String,
    pub files: Chart,
    pub last_file: String,
    pub waiting: Vec<String>,
    pub watermark: String,
    pub has_bucket: bool,
}

#[derive(Template)]
#[template(path = "done.html")]
pub(crate) struct DonePage {
    pub nav: Nav,
    pub title: String,
    pub ok: bool,
    pub lines: Vec<String>,
    pub back: String,
}
