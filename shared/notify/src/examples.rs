//! One notice of each kind and a digest, on made-up data: what `docs/notifications.md` shows and what the
//! outside checkers (`tests/contract/notices.py`: `slack_sdk`, Microsoft's `adaptivecards`) are given.
//! The time is a fixed sample time, not the clock: these are documentation, not a sync.

use crate::digest::{Digest, Section};
use crate::notice::{InvitationFacts, InvitationOf, Links, Notice};
use acebridge_sync::partner_central::validation::fix_hint;
use chrono::{DateTime, Duration, TimeZone, Utc};

/// The examples' "now".
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2031, 3, 3, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn links(id: &str) -> Links {
    Links {
        crm: Some(format!(
            "https://example.my.salesforce.com/lightning/r/Opportunity/006{id}/view"
        )),
        console: Some(format!("http://127.0.0.1:8787/invitations?q={id}")),
    }
}

/// One notice of each kind (and both invitation kinds and review results).
pub fn notices(now: DateTime<Utc>) -> Vec<Notice> {
    let opportunity = InvitationFacts {
        id: "engi-0000000ab1cd2".into(),
        of: InvitationOf::Opportunity,
        customer: "Example Logistics <script>alert(1)</script> & Co".into(),
        value: Some("USD 12,500 a month".into()),
        expires_at: Some(now + Duration::days(12) + Duration::hours(5)),
        sender: "AWS".into(),
    };
    let lead = InvitationFacts {
        id: "engi-0000000ef3gh4".into(),
        of: InvitationOf::Lead,
        customer: "Northwind Analytics".into(),
        value: Some("Move the data warehouse to Amazon Redshift".into()),
        expires_at: Some(now + Duration::hours(20)),
        sender: "AWS".into(),
    };
    let owner = Some("pat.lee@example.com".to_string());
    let refused = "Customer.Account.WebsiteUrl: must be a valid URL (INVALID_STRING_FORMAT)";
    vec![
        Notice::invitation_received(&opportunity, &links("AB1"), owner.clone(), now),
        Notice::invitation_received(&lead, &links("EF3"), None, now),
        Notice::invitation_expiring(&lead, &links("EF3"), None, now),
        Notice::review_status(
            "O1234567",
            "Data platform migration",
            "Action Required",
            Some("Add the customer's website and a more specific use case."),
            now - Duration::hours(2),
            &links("O12"),
            owner.clone(),
        ),
        Notice::review_status(
            "O7654321",
            "Contact centre",
            "Rejected",
            Some("Duplicate of an opportunity already shared."),
            now - Duration::hours(1),
            &links("O76"),
            None,
        ),
        Notice::sync_failed(
            "OP-1042 (O1234567)",
            Some("Customer.Account.WebsiteUrl"),
            Some("INVALID_STRING_FORMAT"),
            refused,
            fix_hint(refused),
            now - Duration::minutes(5),
            &links("O12"),
            owner,
        ),
        Notice::decision(&opportunity, true, None, &links("AB1"), now),
        Notice::lifecycle("O2468024", "Analytics on AWS", "Launched", &links("O24")),
    ]
}

/// A digest of a busy day.
pub fn digest(now: DateTime<Utc>) -> Digest {
    Digest {
        title: format!("Co-sell digest, {}", now.format("%Y-%m-%d")),
        subtitle: "Stack acebridge, catalog AWS, times in Europe/Berlin".into(),
        sections: vec![
            Section {
                heading: "Pending invitations".into(),
                lines: vec![
                    "Northwind Analytics (lead): expires in 20 hours".into(),
                    "Example Logistics (opportunity, USD 12,500 a month): expires in 12 days 5 hours".into(),
                ],
                empty: "No pending invitations.".into(),
            },
            Section {
                heading: "Action Required by AWS".into(),
                lines: vec!["O1234567 Data platform migration: add the customer's website".into()],
                empty: "Nothing waits on you.".into(),
            },
            Section {
                heading: "Stalled".into(),
                lines: vec![
                    "O1112223 Backup modernisation: next step unchanged for 21 days".into(),
                    "O3334445 Call analytics: target close 2031-02-15 passed, still open".into(),
                ],
                empty: "Nothing stalled.".into(),
            },
            Section {
                heading: "AWS's scores and recommendations".into(),
                lines: vec!["O1112223: quality score dropped from 82 to 64".into()],
                empty: "No changes.".into(),
            },
            Section {
                heading: "Launched this week".into(),
                lines: vec!["O2468024 Analytics on AWS".into()],
                empty: "Nothing launched this week.".into(),
            },
            Section {
                heading: "Yesterday's sync".into(),
                lines: vec![
                    "214 changes synced, 1 failed (OP-1042, INVALID_STRING_FORMAT)".into(),
                    "Partner Central budget: 3,120 of 100,000 reads, 96 of 10,000 writes".into(),
                ],
                empty: "No activity.".into(),
            },
        ],
    }
}
