//! Microsoft Teams: a notice or a digest as Adaptive Cards posted to a Workflows webhook ("Post to a channel
//! when a webhook request is received"), within Teams' limits, split rather than cut.
//!
//! The body is a `message` whose attachment has `contentType` `application/vnd.microsoft.card.adaptive`
//! and the card as `content` (Microsoft Learn, "Create incoming webhooks with Workflows for Microsoft
//! Teams"). A message posted by the Workflows connector is limited to about 28 KB, text, links and
//! mentions included; a larger one fails with "Request Entity too large" (Microsoft Learn, "Microsoft Teams
//! connector", known issues and limitations): acebridge keeps each card's body under [`MAX_PAYLOAD`] bytes
//! and splits a digest into more cards. Cards are version 1.5, the highest Teams renders (Microsoft Learn,
//! "Adaptive Cards in Teams"); a mention is `<at>…</at>` text with an `msteams.entities` mention whose
//! `mentioned.id` is the user's UPN ("Format cards in Microsoft Teams", mention support within Adaptive
//! Cards). Adaptive Cards take no HTML: a customer name holding `<script>` is text.
//!
//! `tests/contract/notices.py` parses every card of [`crate::examples`] with Microsoft's `adaptivecards`
//! library (npm), which must report no error and keep every element.

use crate::digest::Digest;
use crate::notice::{Notice, Urgency};
use serde_json::{Value, json};

/// Bytes of one posted body acebridge allows itself (under the connector's ~28 KB, with room for the
/// connector's own envelope).
pub const MAX_PAYLOAD: usize = 26 * 1024;

/// The Adaptive Card schema version.
pub const CARD_VERSION: &str = "1.5";

/// The body posted to the Workflows webhook for `card`.
pub fn message(card: Value) -> Value {
    json!({
        "type": "message",
        "attachments": [ {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        } ],
    })
}

fn card(body: Vec<Value>, actions: Vec<Value>, entities: Vec<Value>) -> Value {
    let mut c = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    });
    if !actions.is_empty() {
        c["actions"] = json!(actions);
    }
    if !entities.is_empty() {
        c["msteams"] = json!({ "entities": entities });
    }
    c
}

fn text(t: &str) -> Value {
    json!({ "type": "TextBlock", "text": t, "wrap": true })
}

fn heading(t: &str, u: Urgency) -> Value {
    json!({
        "type": "TextBlock", "text": t, "wrap": true, "size": "Medium", "weight": "Bolder",
        "color": match u { Urgency::Info => "Default", Urgency::ActionNeeded => "Accent", Urgency::Problem => "Attention" },
    })
}

/// The display name of a mention: the address' local part (the card needs a name; the UPN identifies).
fn mention_name(upn: &str) -> &str {
    upn.split('@').next().unwrap_or(upn)
}

/// A notice as the body to post. `mention`: the owner's UPN (the CRM owner's email).
pub fn notice(n: &Notice, mention: Option<&str>) -> Vec<Value> {
    let mut body = vec![heading(&n.title, n.urgency), text(&n.summary)];
    let mut entities = Vec::new();
    if let Some(upn) = mention {
        let at = format!("<at>{}</at>", mention_name(upn));
        body.push(text(&format!("Owner: {at}")));
        entities.push(json!({
            "type": "mention", "text": at,
            "mentioned": { "id": upn, "name": mention_name(upn) },
        }));
    }
    if !n.facts.is_empty() {
        body.push(json!({
            "type": "FactSet",
            "facts": n.facts.iter().map(|f| json!({ "title": f.label, "value": f.value })).collect::<Vec<_>>(),
        }));
    }
    let actions = n
        .links
        .iter()
        .map(|l| json!({ "type": "Action.OpenUrl", "title": l.label, "url": l.url }))
        .collect();
    split(&n.title, body, actions, entities)
}

/// Cards whose posted body stays under [`MAX_PAYLOAD`]: elements are kept whole and in order; a text
/// longer than a card holds is cut into several text blocks first.
fn split(title: &str, body: Vec<Value>, actions: Vec<Value>, entities: Vec<Value>) -> Vec<Value> {
    let whole = message(card(body.clone(), actions.clone(), entities.clone()));
    if size(&whole) <= MAX_PAYLOAD {
        return vec![whole];
    }
    // Room for the elements of one card: the budget less an empty card with a part heading, actions
    // and mentions.
    let frame = size(&message(card(
        vec![heading(&format!("{title} (00 of 00)"), Urgency::Info)],
        actions.clone(),
        entities.clone(),
    )));
    let room = MAX_PAYLOAD.saturating_sub(frame).max(1024);
    let mut elements = Vec::new();
    for e in body.into_iter().skip(1) {
        if size(&e) > room
            && let Some(t) = e["text"].as_str()
        {
            for p in crate::slack::pieces(t, room / 4) {
                elements.push(text(&p));
            }
        } else {
            elements.push(e);
        }
    }
    let mut groups: Vec<Vec<Value>> = vec![Vec::new()];
    let mut used = 0;
    for e in elements {
        let s = size(&e) + 1;
        if used + s > room && groups.last().is_some_and(|g| !g.is_empty()) {
            groups.push(Vec::new());
            used = 0;
        }
        used += s;
        if let Some(g) = groups.last_mut() {
            g.push(e);
        }
    }
    let parts = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let mut b = vec![heading(
                &format!("{title} ({} of {parts})", i + 1),
                Urgency::Info,
            )];
            b.extend(g);
            // Actions and mentions on the first card only.
            if i == 0 {
                message(card(b, actions.clone(), entities.clone()))
            } else {
                message(card(b, vec![], vec![]))
            }
        })
        .collect()
}

/// Serialized size in bytes.
pub fn size(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

/// The digest as the bodies to post, split at the connector's size limit, every line kept.
pub fn digest(d: &Digest) -> Vec<Value> {
    let mut body = vec![
        heading(&d.title, Urgency::Info),
        json!({ "type": "TextBlock", "text": d.subtitle, "wrap": true, "isSubtle": true, "size": "Small" }),
    ];
    for s in &d.sections {
        body.push(json!({ "type": "TextBlock", "text": s.heading, "wrap": true, "weight": "Bolder", "separator": true }));
        if s.lines.is_empty() {
            body.push(
                json!({ "type": "TextBlock", "text": s.empty, "wrap": true, "isSubtle": true }),
            );
        }
        for l in &s.lines {
            body.push(text(&format!("- {l}")));
        }
    }
    split(&d.title, body, vec![], vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_digest_is_split_under_the_size_limit_with_every_line() {
        let d = crate::digest::filled(20, 40, 60);
        let cards = digest(&d);
        assert!(cards.len() > 1);
        let mut lines = 0;
        for (i, c) in cards.iter().enumerate() {
            assert!(size(c) <= MAX_PAYLOAD, "card {i} is {} bytes", size(c));
            let body = c["attachments"][0]["content"]["body"].as_array().unwrap();
            assert!(body[0]["text"].as_str().unwrap().ends_with(&format!(
                "({} of {})",
                i + 1,
                cards.len()
            )));
            lines += body
                .iter()
                .filter(|b| b["text"].as_str().is_some_and(|t| t.starts_with("- line ")))
                .count();
        }
        assert_eq!(lines, 20 * 40);
    }

    #[test]
    fn a_mention_names_the_owner_by_upn() {
        let n = crate::examples::notices(acebridge_clock::TestClock::suite().now())[0].clone();
        let c = &notice(&n, Some("pat.lee@example.com"))[0];
        let content = &c["attachments"][0]["content"];
        assert_eq!(
            content["msteams"]["entities"][0]["mentioned"]["id"],
            "pat.lee@example.com"
        );
        let at = content["msteams"]["entities"][0]["text"].as_str().unwrap();
        assert!(
            serde_json::to_string(&content["body"])
                .unwrap()
                .contains(at)
        );
    }
}
