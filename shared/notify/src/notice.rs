//! A notice: one thing a person must know or do, independent of the platform it is sent to. The Slack
//! ([`crate::slack`]) and Teams ([`crate::teams`]) renderings are built from it.
//!
//! A notice carries the partner's own co-sell data (customer, value) because it goes to the partner's own
//! channel; it is never logged (the functions log its kind and key only).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The kinds of notice, each switchable ([`Switches`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// AWS referred an opportunity or a lead (an engagement invitation).
    InvitationReceived,
    /// A pending invitation expires within the lead time.
    InvitationExpiring,
    /// AWS's review of an opportunity is `Action Required` or `Rejected`.
    ReviewStatus,
    /// A sync failed (AWS refused a change, or a file's record could not be read).
    SyncFailed,
    /// An invitation was accepted or rejected.
    Decision,
    /// An opportunity was launched or lost.
    Lifecycle,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 6] = [
        NoticeKind::InvitationReceived,
        NoticeKind::InvitationExpiring,
        NoticeKind::ReviewStatus,
        NoticeKind::SyncFailed,
        NoticeKind::Decision,
        NoticeKind::Lifecycle,
    ];

    /// The name in settings and routes (`invitation-received`, …).
    pub fn name(self) -> &'static str {
        match self {
            NoticeKind::InvitationReceived => "invitation-received",
            NoticeKind::InvitationExpiring => "invitation-expiring",
            NoticeKind::ReviewStatus => "review-status",
            NoticeKind::SyncFailed => "sync-failed",
            NoticeKind::Decision => "decision",
            NoticeKind::Lifecycle => "lifecycle",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Decisions and launched/lost are off unless switched on; the rest is on.
    pub fn on_by_default(self) -> bool {
        !matches!(self, NoticeKind::Decision | NoticeKind::Lifecycle)
    }
}

/// Which kinds are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switches(BTreeSet<NoticeKind>);

impl Default for Switches {
    fn default() -> Self {
        Switches(
            NoticeKind::ALL
                .into_iter()
                .filter(|k| k.on_by_default())
                .collect(),
        )
    }
}

/// A setting that names no kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl std::fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.name()).collect();
        write!(
            f,
            "notice kind {:?} is not one of {} (prefix + to switch on, - to switch off)",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownKind {}

impl Switches {
    /// The defaults changed by a comma-separated list: `+decision` switches a kind on, `-sync-failed`
    /// off (a bare name is on). Empty: the defaults.
    pub fn parse(setting: &str) -> Result<Switches, UnknownKind> {
        let mut on = Switches::default().0;
        for item in setting.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (enable, name) = match item.strip_prefix('-') {
                Some(rest) => (false, rest),
                None => (true, item.strip_prefix('+').unwrap_or(item)),
            };
            let kind = NoticeKind::parse(name).ok_or_else(|| UnknownKind(item.to_string()))?;
            if enable {
                on.insert(kind);
            } else {
                on.remove(&kind);
            }
        }
        Ok(Switches(on))
    }

    /// Whether `kind` is sent.
    pub fn is_on(&self, kind: NoticeKind) -> bool {
        self.0.contains(&kind)
    }
}

/// How a notice is shown: what it asks of the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Urgency {
    /// For information.
    Info,
    /// Someone must act (accept a referral, answer AWS's review).
    ActionNeeded,
    /// Something broke.
    Problem,
}

/// A label and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// Label.
    pub label: String,
    /// Value (plain text; the renderings escape it).
    pub value: String,
}

/// A link to open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Button text.
    pub label: String,
    /// Absolute URL.
    pub url: String,
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// What it is.
    pub kind: NoticeKind,
    /// The idempotency key: the same underlying event gives the same key, so a redelivered event is not
    /// notified twice.
    pub key: String,
    /// What it asks.
    pub urgency: Urgency,
    /// Headline (plain text).
    pub title: String,
    /// One or two sentences (plain text); also the notification text of a Slack message.
    pub summary: String,
    /// Label/value pairs.
    pub facts: Vec<Fact>,
    /// Links (CRM record, console page).
    pub links: Vec<Link>,
    /// The CRM record owner's email, to mention them (Slack `users.lookupByEmail`, Teams by UPN).
    pub owner_email: Option<String>,
}

/// An opportunity or a lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvitationOf {
    /// An opportunity invitation.
    Opportunity,
    /// A lead invitation (an engagement with a Lead context).
    Lead,
}

/// What a notice needs to know of an engagement invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationFacts {
    /// The invitation id (`engi-…`).
    pub id: String,
    /// Opportunity or lead.
    pub of: InvitationOf,
    /// The customer's company name.
    pub customer: String,
    /// Expected value (opportunity: the monthly AWS spend) or interest (lead: the use case).
    pub value: Option<String>,
    /// When AWS withdraws the invitation if no one answers.
    pub expires_at: Option<DateTime<Utc>>,
    /// Who sent it (`AWS`, or the inviting partner's name).
    pub sender: String,
}

/// Where a person goes to act: the CRM record and the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// The CRM record, when the CRM has it.
    pub crm: Option<String>,
    /// The console page.
    pub console: Option<String>,
}

impl Links {
    fn list(&self) -> Vec<Link> {
        let mut out = Vec::new();
        if let Some(url) = &self.crm {
            out.push(Link {
                label: "Open in the CRM".into(),
                url: url.clone(),
            });
        }
        if let Some(url) = &self.console {
            out.push(Link {
                label: "Open in the console".into(),
                url: url.clone(),
            });
        }
        out
    }
}

/// "3 days 4 hours", "5 hours", "expired" (from `now` to `at`).
pub fn time_left(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let left = at - now;
    if left <= Duration::zero() {
        return "expired".into();
    }
    let days = left.num_days();
    let hours = (left - Duration::days(days)).num_hours();
    let plural = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (days, hours) {
        (0, 0) => plural(left.num_minutes().max(1), "minute"),
        (0, h) => plural(h, "hour"),
        (d, 0) => plural(d, "day"),
        (d, h) => format!("{} {}", plural(d, "day"), plural(h, "hour")),
    }
}

fn fact(label: &str, value: impl Into<String>) -> Fact {
    Fact {
        label: label.into(),
        value: value.into(),
    }
}

fn invitation_facts(inv: &InvitationFacts, now: DateTime<Utc>) -> Vec<Fact> {
    let mut facts = vec![fact("Customer", &inv.customer)];
    if let Some(v) = &inv.value {
        facts.push(fact(
            match inv.of {
                InvitationOf::Opportunity => "Expected value",
                InvitationOf::Lead => "Interest",
            },
            v,
        ));
    }
    if let Some(at) = inv.expires_at {
        facts.push(fact(
            "Expires",
            format!(
                "{} (in {})",
                at.format("%Y-%m-%d %H:%M UTC"),
                time_left(now, at)
            ),
        ));
    }
    facts.push(fact("From", &inv.sender));
    facts.push(fact("Invitation", &inv.id));
    facts
}

fn of_name(of: InvitationOf) -> &'static str {
    match of {
        InvitationOf::Opportunity => "opportunity",
        InvitationOf::Lead => "lead",
    }
}

impl Notice {
    /// AWS (or a partner) invited us to an opportunity or a lead.
    pub fn invitation_received(
        inv: &InvitationFacts,
        links: &Links,
        owner_email: Option<String>,
        now: DateTime<Utc>,
    ) -> Notice {
        Notice {
            kind: NoticeKind::InvitationReceived,
            key: format!("invitation-received#{}", inv.id),
            urgency: Urgency::ActionNeeded,
            title: format!("New {} invitation: {}", of_name(inv.of), inv.customer),
            summary: format!(
                "{} invites you to {} {}. Accept or reject it before it expires.",
                inv.sender,
                match inv.of {
                    InvitationOf::Opportunity => "an opportunity with",
                    InvitationOf::Lead => "a lead from",
                },
                inv.customer
            ),
            facts: invitation_facts(inv, now),
            links: links.list(),
            owner_email,
        }
    }

    /// A pending invitation expires within `lead_time`. Keyed by the invitation (and its expiry): sent
    /// once, not on every scan.
    pub fn invitation_expiring(
        inv: &InvitationFacts,
        links: &Links,
        owner_email: Option<String>,
        now: DateTime<Utc>,
    ) -> Notice {
        let left = inv
            .expires_at
            .map(|at| time_left(now, at))
            .unwrap_or_else(|| "soon".into());
        Notice {
            kind: NoticeKind::InvitationExpiring,
            key: format!(
                "invitation-expiring#{}#{}",
                inv.id,
                inv.expires_at.map(|t| t.timestamp()).unwrap_or_default()
            ),
            urgency: Urgency::ActionNeeded,
            title: format!(
                "{} invitation expires in {left}: {}",
                capitalised(of_name(inv.of)),
                inv.customer
            ),
            summary: format!(
                "No one has answered this invitation. AWS withdraws it in {left} and the {} is lost.",
                of_name(inv.of)
            ),
            facts: invitation_facts(inv, now),
            links: links.list(),
            owner_email,
        }
    }

    /// AWS's review of an opportunity became `Action Required` or `Rejected`. Keyed by the opportunity,
    /// the status and the time AWS changed it.
    pub fn review_status(
        opportunity_id: &str,
        title: &str,
        status: &str,
        reason: Option<&str>,
        changed_at: DateTime<Utc>,
        links: &Links,
        owner_email: Option<String>,
    ) -> Notice {
        let rejected = status == "Rejected";
        let mut facts = vec![
            fact("Opportunity", opportunity_id),
            fact("Review status", status),
        ];
        if let Some(r) = reason {
            facts.push(fact("AWS's reason", r));
        }
        Notice {
            kind: NoticeKind::ReviewStatus,
            key: format!(
                "review-status#{opportunity_id}#{status}#{}",
                changed_at.timestamp()
            ),
            urgency: if rejected {
                Urgency::Problem
            } else {
                Urgency::ActionNeeded
            },
            title: format!("AWS review: {status} on {title}"),
            summary: if rejected {
                "AWS rejected the opportunity. Read AWS's reason; fix the record and submit it again if it applies.".into()
            } else {
                "AWS needs more from you before it can approve the opportunity. Update the CRM record; acebridge sends the change.".into()
            },
            facts,
            links: links.list(),
            owner_email,
        }
    }

    /// A sync failed: AWS refused a change (field, ACE code, fix hint), or a record could not be read.
    /// Keyed by the record and the failure's time, so one failure is one notice.
    #[allow(clippy::too_many_arguments)]
    pub fn sync_failed(
        record: &str,
        field: Option<&str>,
        code: Option<&str>,
        message: &str,
        hint: Option<&str>,
        failed_at: DateTime<Utc>,
        links: &Links,
        owner_email: Option<String>,
    ) -> Notice {
        let mut facts = vec![fact("Record", record)];
        if let Some(f) = field {
            facts.push(fact("Field", f));
        }
        if let Some(c) = code {
            facts.push(fact("ACE code", c));
        }
        facts.push(fact("Error", message));
        if let Some(h) = hint {
            facts.push(fact("How to fix", h));
        }
        Notice {
            kind: NoticeKind::SyncFailed,
            key: format!("sync-failed#{record}#{}", failed_at.timestamp_millis()),
            urgency: Urgency::Problem,
            title: format!("Sync failed: {record}"),
            summary: "A change did not reach Partner Central. Fix it in the CRM (or in the console's Failures page) and it is sent again.".into(),
            facts,
            links: links.list(),
            owner_email,
        }
    }

    /// An invitation was accepted or rejected (off by default).
    pub fn decision(
        inv: &InvitationFacts,
        accepted: bool,
        reason: Option<&str>,
        links: &Links,
        now: DateTime<Utc>,
    ) -> Notice {
        let word = if accepted { "accepted" } else { "rejected" };
        let mut facts = invitation_facts(inv, now);
        facts.retain(|f| f.label != "Expires");
        if let Some(r) = reason {
            facts.push(fact("Reason", r));
        }
        Notice {
            kind: NoticeKind::Decision,
            key: format!("decision#{}#{word}", inv.id),
            urgency: Urgency::Info,
            title: format!(
                "{} invitation {word}: {}",
                capitalised(of_name(inv.of)),
                inv.customer
            ),
            summary: format!("The invitation from {} was {word}.", inv.sender),
            facts,
            links: links.list(),
            owner_email: None,
        }
    }

    /// An opportunity was launched or closed lost (off by default).
    pub fn lifecycle(opportunity_id: &str, title: &str, stage: &str, links: &Links) -> Notice {
        Notice {
            kind: NoticeKind::Lifecycle,
            key: format!("lifecycle#{opportunity_id}#{stage}"),
            urgency: Urgency::Info,
            title: format!("{stage}: {title}"),
            summary: format!("The opportunity reached {stage} in Partner Central."),
            facts: vec![fact("Opportunity", opportunity_id), fact("Stage", stage)],
            links: links.list(),
            owner_email: None,
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test clock's time (never the calendar's).
    fn now() -> DateTime<Utc> {
        acebridge_clock::TestClock::suite().now()
    }

    #[test]
    fn switches_default_and_changes() {
        let d = Switches::default();
        assert!(d.is_on(NoticeKind::InvitationReceived));
        assert!(!d.is_on(NoticeKind::Decision));
        let s = Switches::parse("+decision, -sync-failed").unwrap();
        assert!(s.is_on(NoticeKind::Decision));
        assert!(!s.is_on(NoticeKind::SyncFailed));
        let e = Switches::parse("decisions").unwrap_err().to_string();
        assert!(
            e.contains("\"decisions\"") && e.contains("invitation-expiring"),
            "{e}"
        );
    }

    #[test]
    fn time_left_reads_like_a_person_writes() {
        let now = now();
        let after = |d: i64, h: i64, m: i64| {
            now + Duration::days(d) + Duration::hours(h) + Duration::minutes(m)
        };
        assert_eq!(time_left(now, after(3, 4, 30)), "3 days 4 hours");
        assert_eq!(time_left(now, after(0, 5, 0)), "5 hours");
        assert_eq!(time_left(now, after(1, 0, 0)), "1 day");
        assert_eq!(time_left(now, after(0, 0, 20)), "20 minutes");
        assert_eq!(time_left(now, after(0, -1, 0)), "expired");
    }

    #[test]
    fn the_same_event_gives_the_same_key_and_an_expiry_notice_moves_with_the_expiry() {
        let now = now();
        let inv = InvitationFacts {
            id: "engi-0000001".into(),
            of: InvitationOf::Lead,
            customer: "Example Corp".into(),
            value: Some("Migrating analytics".into()),
            expires_at: Some(now + Duration::days(2)),
            sender: "AWS".into(),
        };
        let l = Links::default();
        let a = Notice::invitation_received(&inv, &l, None, now);
        let b = Notice::invitation_received(&inv, &l, None, now + Duration::hours(1));
        assert_eq!(a.key, b.key);
        let e1 = Notice::invitation_expiring(&inv, &l, None, now);
        let e2 = Notice::invitation_expiring(&inv, &l, None, now + Duration::hours(3));
        assert_eq!(e1.key, e2.key, "once per invitation, not per scan");
        let mut later = inv.clone();
        later.expires_at = Some(now + Duration::days(9));
        assert_ne!(
            e1.key,
            Notice::invitation_expiring(&later, &l, None, now).key,
            "an extended invitation is a new deadline"
        );
        assert!(a.facts.iter().any(|f| f.label == "Interest"));
        assert!(a.facts.iter().any(|f| f.value.contains("in 2 days")));
    }
}
