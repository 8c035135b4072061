//! The notice for an outcome event of acebridge's bus (`source` `acebridge`, `acebridge_sync::ports::outcomes`)
//! as an EventBridge rule delivers it (the whole event: `id`, `time`, `detail-type`, `detail`).
//!
//! The outcome events carry ids, titles and AWS's errors, no contact fields; a notice built from one alone
//! names the record by its ids and the referral by its title. The customer and expected value of a
//! referral come from Partner Central (`GetEngagementInvitation`) where the notifier reads them: pass them
//! as `invitation` (not done yet: see docs/notifications.md, State).

use crate::notice::{InvitationFacts, InvitationOf, Links, Notice};
use acebridge_sync::partner_central::validation::fix_hint;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// An event that is not an outcome event as acebridge publishes them: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEvent(pub String);

impl std::fmt::Display for BadEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadEvent {}

fn text<'a>(v: &'a Value, field: &str, id: &str) -> Result<&'a str, BadEvent> {
    v.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| BadEvent(format!("event {id}: detail.{field} is missing or not text")))
}

fn time(v: &Value, field: &str, id: &str) -> Result<Option<DateTime<Utc>>, BadEvent> {
    match v.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| BadEvent(format!("event {id}: {field} is not an RFC 3339 time"))),
        Some(_) => Err(BadEvent(format!("event {id}: {field} is not text"))),
    }
}

/// The field, message and ACE code of a refusal as acebridge records it (`field: message (CODE)`, the
/// field and the code each optional).
pub fn parts(error: &str) -> (Option<&str>, &str, Option<&str>) {
    let (rest, code) = match error
        .trim_end()
        .strip_suffix(')')
        .and_then(|e| e.rsplit_once(" ("))
    {
        Some((rest, code))
            if !code.is_empty() && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') =>
        {
            (rest, Some(code))
        }
        _ => (error, None),
    };
    match rest.split_once(": ") {
        Some((field, message)) if !field.contains(' ') && !field.is_empty() => {
            (Some(field), message, code)
        }
        _ => (None, rest, code),
    }
}

/// The notice for `event`; `None` for an outcome that notifies no one (`ACE Sync Succeeded`). `console`:
/// the console's base URL, for the notice's link.
pub fn notice_for(
    event: &Value,
    console: Option<&str>,
    invitation: Option<&InvitationFacts>,
    now: DateTime<Utc>,
) -> Result<Option<Notice>, BadEvent> {
    let id = event.get("id").and_then(Value::as_str).unwrap_or("(no id)");
    if event.get("source").and_then(Value::as_str) != Some(acebridge_sync::ports::outcomes::SOURCE)
    {
        return Err(BadEvent(format!(
            "event {id}: source is not {:?}",
            acebridge_sync::ports::outcomes::SOURCE
        )));
    }
    let kind = event
        .get("detail-type")
        .and_then(Value::as_str)
        .ok_or_else(|| BadEvent(format!("event {id}: detail-type is missing")))?;
    let at = time(event, "time", id)?.unwrap_or(now);
    let detail = event
        .get("detail")
        .filter(|d| d.is_object())
        .ok_or_else(|| BadEvent(format!("event {id}: detail is missing")))?;
    let link = |page: &str, q: &str| Links {
        crm: None,
        console: console.map(|base| {
            format!(
                "{}/{page}?q={}",
                base.trim_end_matches('/'),
                acebridge_crm::http::url_encode(q)
            )
        }),
    };
    match kind {
        "ACE Sync Failed" => {
            let crm_id = text(detail, "crmId", id)?;
            let record = match detail.get("aceId").and_then(Value::as_str) {
                Some(ace) => format!("{crm_id} ({ace})"),
                None => crm_id.to_string(),
            };
            let errors: Vec<&str> = detail
                .get("errors")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let first = errors.first().copied().unwrap_or("no reason given");
            let (field, message, code) = parts(first);
            let message = if errors.len() > 1 {
                format!("{message} (and {} more)", errors.len() - 1)
            } else {
                message.to_string()
            };
            Ok(Some(Notice::sync_failed(
                &record,
                field,
                code,
                &message,
                fix_hint(first),
                at,
                &link("failures", crm_id),
                None,
            )))
        }
        "CRM Change Not Sent" => {
            let crm = text(detail, "crm", id)?;
            let reason = text(detail, "reason", id)?;
            let ids: Vec<&str> = detail
                .get("crmIds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let record = format!("{} record(s) of {crm}: {}", ids.len(), ids.join(", "));
            Ok(Some(Notice::sync_failed(
                &record,
                None,
                None,
                reason,
                None,
                at,
                &link("failures", ids.first().copied().unwrap_or_default()),
                None,
            )))
        }
        "Referral Received" | "Referral Expiring" => {
            let invitation_id = text(detail, "invitationId", id)?;
            let facts = match invitation {
                Some(f) => f.clone(),
                None => InvitationFacts {
                    id: invitation_id.to_string(),
                    of: InvitationOf::Opportunity,
                    customer: detail
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or("(untitled referral)")
                        .to_string(),
                    value: None,
                    expires_at: time(detail, "expiresAt", id)?,
                    sender: "AWS".into(),
                },
            };
            let links = link("invitations", invitation_id);
            Ok(Some(if kind == "Referral Received" {
                Notice::invitation_received(&facts, &links, None, now)
            } else {
                Notice::invitation_expiring(&facts, &links, None, now)
            }))
        }
        "ACE Sync Succeeded" => Ok(None),
        other => Err(BadEvent(format!(
            "event {id}: detail-type {other:?} is not an outcome acebridge notifies"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acebridge_sync::ports::outcomes::Outcome;
    use serde_json::json;

    /// The event as an EventBridge rule delivers it to its target, put on the bus five minutes ago.
    fn delivered(o: &Outcome, id: &str) -> Value {
        let time = (now() - chrono::Duration::minutes(5)).to_rfc3339();
        json!({
            "version": "0", "id": id, "detail-type": o.kind.detail_type(), "source": "acebridge",
            "account": "123456789012", "time": time, "region": "us-east-1",
            "resources": [], "detail": o.detail,
        })
    }

    /// The test clock's time (never the calendar's).
    fn now() -> DateTime<Utc> {
        acebridge_clock::TestClock::suite().now()
    }

    #[test]
    fn a_refusal_reads_as_field_message_and_code() {
        assert_eq!(
            parts("Customer.Account.WebsiteUrl: must be a valid URL (INVALID_STRING_FORMAT)"),
            (
                Some("Customer.Account.WebsiteUrl"),
                "must be a valid URL",
                Some("INVALID_STRING_FORMAT")
            )
        );
        assert_eq!(
            parts("Record not editable"),
            (None, "Record not editable", None)
        );
        assert_eq!(
            parts("network down (retrying)"),
            (None, "network down (retrying)", None)
        );
    }

    #[test]
    fn a_failed_sync_is_a_notice_with_field_code_hint_and_the_console_link() {
        let o = Outcome::sync_failed(
            "006A",
            Some("O1234567"),
            "api",
            &["Customer.Account.WebsiteUrl: must be a valid URL (INVALID_STRING_FORMAT)".into()],
        );
        let n = notice_for(
            &delivered(&o, "e-1"),
            Some("http://127.0.0.1:8421/"),
            None,
            now(),
        )
        .unwrap()
        .unwrap();
        let fact = |l: &str| {
            n.facts
                .iter()
                .find(|f| f.label == l)
                .map(|f| f.value.as_str())
        };
        assert_eq!(fact("Record"), Some("006A (O1234567)"));
        assert_eq!(fact("Field"), Some("Customer.Account.WebsiteUrl"));
        assert_eq!(fact("ACE code"), Some("INVALID_STRING_FORMAT"));
        assert!(fact("How to fix").is_some());
        assert_eq!(n.links[0].url, "http://127.0.0.1:8421/failures?q=006A");
        // Redelivered, the same event gives the same key.
        let again = notice_for(&delivered(&o, "e-1"), None, None, now())
            .unwrap()
            .unwrap();
        assert_eq!(n.key, again.key);
    }

    #[test]
    fn a_referral_is_a_notice_and_a_success_is_none() {
        let expires = now() + chrono::Duration::days(3);
        let r = Outcome::referral_received("engi-1", Some("Data lake"), Some(expires), "manual");
        let n = notice_for(&delivered(&r, "e-2"), None, None, now())
            .unwrap()
            .unwrap();
        assert_eq!(n.kind, crate::notice::NoticeKind::InvitationReceived);
        assert!(n.title.contains("Data lake"));
        let x = Outcome::referral_expiring("engi-1", None, expires);
        let n = notice_for(&delivered(&x, "e-3"), None, None, now())
            .unwrap()
            .unwrap();
        assert_eq!(n.kind, crate::notice::NoticeKind::InvitationExpiring);
        let ok = Outcome::sync_succeeded("006A", None, "api", "updated");
        assert_eq!(
            notice_for(&delivered(&ok, "e-4"), None, None, now()).unwrap(),
            None
        );
    }

    #[test]
    fn a_bad_event_is_refused_naming_the_event_and_field() {
        let o = Outcome::referral_received("engi-1", None, None, "manual");
        let mut e = delivered(&o, "e-5");
        e["detail"]["invitationId"] = json!(7);
        assert_eq!(
            notice_for(&e, None, None, now()).unwrap_err().0,
            "event e-5: detail.invitationId is missing or not text"
        );
        e["source"] = json!("aws.partnercentral-selling");
        assert!(
            notice_for(&e, None, None, now())
                .unwrap_err()
                .0
                .contains("source")
        );
        let mut t = delivered(&o, "e-6");
        t["detail-type"] = json!("Something Else");
        assert!(
            notice_for(&t, None, None, now())
                .unwrap_err()
                .0
                .contains("Something Else")
        );
        let mut d = delivered(&o, "e-7");
        d["detail"]["expiresAt"] = json!("tomorrow");
        assert!(
            notice_for(&d, None, None, now())
                .unwrap_err()
                .0
                .contains("expiresAt")
        );
    }
}
