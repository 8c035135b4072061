//! Slack: a notice or a digest as Block Kit messages, within Slack's limits, split rather than cut.
//!
//! Limits (Slack, "Blocks" reference, docs.slack.dev/reference/block-kit/blocks, and "chat.postMessage",
//! docs.slack.dev/reference/methods/chat.postMessage): at most 50 blocks a message; a `header`'s text at most
//! 150 characters; a `section`'s text at most 3,000, its `fields` at most 10 of 2,000 each; a button's text at
//! most 75 and its URL 3,000; `text` (the notification and the fallback) is truncated by Slack past 40,000
//! characters. Text is `mrkdwn`, in which `&`, `<` and `>` must be escaped (Slack, "Formatting text for app
//! surfaces", docs.slack.dev/messaging/formatting-message-text#escaping): a customer name is data, never
//! markup or a mention.
//!
//! `tests/contract/notices.py` builds every message of [`crate::examples`] into `slack_sdk`'s Block Kit
//! models (PyPI `slack-sdk`), which must accept them unchanged.

use crate::digest::Digest;
use crate::notice::{Notice, Urgency};
use serde_json::{Value, json};

/// Blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// Characters of a header's text.
pub const MAX_HEADER: usize = 150;
/// Characters of a section's text.
pub const MAX_SECTION: usize = 3000;
/// Fields of a section.
pub const MAX_FIELDS: usize = 10;
/// Characters of one field.
pub const MAX_FIELD: usize = 2000;
/// Characters of a button's text.
pub const MAX_BUTTON: usize = 75;
/// Characters of the message `text` acebridge sends (Slack truncates past 40,000; a notification shows
/// far fewer, so acebridge keeps it to one summary).
pub const MAX_TEXT: usize = 3000;

/// A message: what `chat.postMessage` takes besides `channel` (or an incoming webhook's whole body).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Notification and fallback text.
    pub text: String,
    /// The blocks.
    pub blocks: Vec<Value>,
}

impl Message {
    /// The JSON body, with `channel` when posting through the Web API.
    pub fn body(&self, channel: Option<&str>) -> Value {
        let mut b = json!({ "text": self.text, "blocks": self.blocks, "unfurl_links": false });
        if let Some(c) = channel {
            b["channel"] = json!(c);
        }
        b
    }
}

/// `&`, `<`, `>` escaped for mrkdwn.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `s` in pieces of at most `max` characters, cut at a line break or a space where one is near.
pub fn pieces(s: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: &str = s;
    while rest.chars().count() > max {
        let cut = rest
            .char_indices()
            .nth(max)
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let head = &rest[..cut];
        // Prefer a line break, then a space, in the last quarter of the piece.
        let floor = head
            .char_indices()
            .nth(max * 3 / 4)
            .map(|(i, _)| i)
            .unwrap_or(0);
        let at = head
            .rfind('\n')
            .filter(|&i| i >= floor)
            .or_else(|| head.rfind(' ').filter(|&i| i >= floor))
            .map(|i| i + 1)
            .unwrap_or(cut);
        out.push(rest[..at].trim_end().to_string());
        rest = &rest[at..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// A header's text, within 150 characters (a longer headline is shortened with an ellipsis; the whole
/// title is repeated in the section below it, so nothing is lost).
fn header(text: &str) -> Value {
    let t: String = if text.chars().count() > MAX_HEADER {
        let mut s: String = text.chars().take(MAX_HEADER - 1).collect();
        s.push('…');
        s
    } else {
        text.to_string()
    };
    json!({ "type": "header", "text": { "type": "plain_text", "text": t, "emoji": false } })
}

fn section(text: &str) -> Vec<Value> {
    pieces(text, MAX_SECTION)
        .into_iter()
        .map(|p| json!({ "type": "section", "text": { "type": "mrkdwn", "text": p } }))
        .collect()
}

fn marker(u: Urgency) -> &'static str {
    match u {
        Urgency::Info => ":information_source:",
        Urgency::ActionNeeded => ":bell:",
        Urgency::Problem => ":warning:",
    }
}

/// A notice as one message (or more, only if its text is longer than a message holds). `mention`: the
/// Slack user id of the record's owner (from `users.lookupByEmail`).
pub fn notice(n: &Notice, mention: Option<&str>) -> Vec<Message> {
    let mut blocks = vec![header(&n.title)];
    let mut lead = format!("{} {}", marker(n.urgency), escape(&n.summary));
    if n.title.chars().count() > MAX_HEADER {
        lead = format!("*{}*\n{lead}", escape(&n.title));
    }
    if let Some(user) = mention {
        lead.push_str(&format!("\n<@{user}>"));
    }
    blocks.extend(section(&lead));
    // Facts as fields (two columns), ten a section; a value longer than a field holds goes in a section
    // of its own.
    let mut fields = Vec::new();
    let mut long = Vec::new();
    for f in &n.facts {
        let text = format!("*{}*\n{}", escape(&f.label), escape(&f.value));
        if text.chars().count() > MAX_FIELD {
            long.push(text);
        } else {
            fields.push(json!({ "type": "mrkdwn", "text": text }));
        }
    }
    for chunk in fields.chunks(MAX_FIELDS) {
        blocks.push(json!({ "type": "section", "fields": chunk }));
    }
    for text in long {
        blocks.extend(section(&text));
    }
    if !n.links.is_empty() {
        let buttons: Vec<Value> = n
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "type": "button",
                    "action_id": format!("acebridge-link-{i}"),
                    "text": { "type": "plain_text", "text": l.label.chars().take(MAX_BUTTON).collect::<String>() },
                    "url": l.url,
                })
            })
            .collect();
        blocks.push(json!({ "type": "actions", "elements": buttons }));
    }
    // `text` is mrkdwn too (a `<!channel>` in it would notify everyone): escaped like the blocks.
    let text = pieces(&escape(&format!("{}: {}", n.title, n.summary)), MAX_TEXT)
        .into_iter()
        .next()
        .unwrap_or_default();
    split(&text, &n.title, blocks)
}

/// Characters of text in one message's blocks acebridge allows itself. Slack documents no total, but
/// refuses messages whose blocks hold more than about 13,000 characters with `msg_blocks_too_long`
/// (slackapi/bolt-js issue 2509, measured by its reporter): acebridge stays under it.
pub const MAX_MESSAGE_CHARS: usize = 12_000;

fn text_chars(b: &Value) -> usize {
    match b {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.iter().map(text_chars).sum(),
        Value::Object(o) => o
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .map(|(_, v)| text_chars(v))
            .sum(),
        _ => 0,
    }
}

/// The blocks in messages of at most 50 blocks and [`MAX_MESSAGE_CHARS`]; when there is more than one,
/// each starts with a header saying which part it is.
fn split(text: &str, title: &str, blocks: Vec<Value>) -> Vec<Message> {
    let total: usize = blocks.iter().map(text_chars).sum();
    if blocks.len() <= MAX_BLOCKS && total <= MAX_MESSAGE_CHARS {
        return vec![Message {
            text: text.to_string(),
            blocks,
        }];
    }
    // The first block is the header; each part gets its own (about 170 characters of room).
    let room = MAX_MESSAGE_CHARS - MAX_HEADER - 20;
    let mut groups: Vec<Vec<Value>> = vec![Vec::new()];
    let mut used = 0;
    for b in blocks.into_iter().skip(1) {
        let n = text_chars(&b);
        let full = groups
            .last()
            .is_some_and(|g| !g.is_empty() && (g.len() + 1 >= MAX_BLOCKS || used + n > room));
        if full {
            groups.push(Vec::new());
            used = 0;
        }
        used += n;
        if let Some(g) = groups.last_mut() {
            g.push(b);
        }
    }
    let parts = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(i, g)| {
            let mut b = vec![header(&format!("{title} ({} of {parts})", i + 1))];
            b.extend(g);
            Message {
                text: format!("{text} ({} of {parts})", i + 1),
                blocks: b,
            }
        })
        .collect()
}

/// The digest as messages: a header, then each section (its heading, its lines), split at Slack's
/// limits, every line kept.
pub fn digest(d: &Digest) -> Vec<Message> {
    let mut blocks = vec![header(&d.title)];
    blocks.push(json!({ "type": "context", "elements": [ { "type": "mrkdwn", "text": escape(&d.subtitle) } ] }));
    for s in &d.sections {
        blocks.push(json!({ "type": "divider" }));
        let mut text = format!("*{}*", escape(&s.heading));
        if s.lines.is_empty() {
            text.push_str(&format!("\n_{}_", escape(&s.empty)));
            blocks.extend(section(&text));
            continue;
        }
        // Lines gathered into sections of up to 3,000 characters.
        for line in &s.lines {
            let item = format!("\n• {}", escape(line));
            if text.chars().count() + item.chars().count() > MAX_SECTION {
                blocks.extend(section(&text));
                text = String::new();
            }
            text.push_str(&item);
        }
        if !text.trim().is_empty() {
            blocks.extend(section(text.trim_start_matches('\n')));
        }
    }
    split(&escape(&d.summary()), &d.title, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notice::{Fact, NoticeKind};

    fn a_notice(title: &str, facts: Vec<Fact>) -> Notice {
        Notice {
            kind: NoticeKind::SyncFailed,
            key: "k".into(),
            urgency: Urgency::Problem,
            title: title.into(),
            summary: "s".into(),
            facts,
            links: vec![],
            owner_email: None,
        }
    }

    fn chars(v: &Value) -> usize {
        v.as_str().map(|s| s.chars().count()).unwrap_or(0)
    }

    #[test]
    fn customer_text_is_data_not_markup() {
        let n = a_notice(
            "x",
            vec![Fact {
                label: "Customer".into(),
                value: "<!channel> & <script>".into(),
            }],
        );
        let m = &notice(&n, None)[0];
        let s = serde_json::to_string(&m.blocks).unwrap();
        assert!(s.contains("&lt;!channel&gt; &amp; &lt;script&gt;"), "{s}");
        assert!(!s.contains("<!channel>"));
    }

    #[test]
    fn long_text_is_split_at_the_limits_never_cut() {
        let long = "word ".repeat(2000); // 10,000 characters
        let n = a_notice(
            &"T".repeat(200),
            vec![Fact {
                label: "Error".into(),
                value: long.clone(),
            }],
        );
        let msgs = notice(&n, Some("U123"));
        assert_eq!(msgs.len(), 1);
        let blocks = &msgs[0].blocks;
        assert!(chars(&blocks[0]["text"]["text"]) <= MAX_HEADER);
        let mut kept = String::new();
        for b in blocks {
            if b["type"] == "section" && b["text"].is_object() {
                assert!(chars(&b["text"]["text"]) <= MAX_SECTION);
                kept.push_str(b["text"]["text"].as_str().unwrap());
                kept.push('\n');
            }
        }
        assert_eq!(
            kept.split_whitespace().filter(|w| *w == "word").count(),
            2000,
            "every word of the long value is in some section"
        );
        assert!(
            kept.contains(&"T".repeat(200)),
            "the whole title is in the text"
        );
        assert!(kept.contains("<@U123>"));
    }

    #[test]
    fn a_large_digest_is_split_into_messages_of_fifty_blocks_with_every_line() {
        let d = crate::digest::filled(40, 30, 80);
        let msgs = digest(&d);
        assert!(msgs.len() > 1);
        let mut lines = 0;
        for (i, m) in msgs.iter().enumerate() {
            assert!(m.blocks.len() <= MAX_BLOCKS);
            assert!(m.blocks.iter().map(text_chars).sum::<usize>() <= MAX_MESSAGE_CHARS);
            assert!(
                m.blocks[0]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("({} of {})", i + 1, msgs.len()))
            );
            for b in &m.blocks {
                if let Some(t) = b["text"]["text"].as_str() {
                    assert!(t.chars().count() <= MAX_SECTION);
                    lines += t.matches("• line ").count();
                }
            }
        }
        assert_eq!(lines, 40 * 30);
    }

    #[test]
    fn pieces_prefer_line_breaks_and_keep_everything() {
        let s = format!("{}\n{}", "a".repeat(2900), "b".repeat(500));
        let p = pieces(&s, 3000);
        assert_eq!(p, vec!["a".repeat(2900), "b".repeat(500)]);
        let p = pieces(&"é".repeat(7000), 3000);
        assert_eq!(
            p.iter().map(|x| x.chars().count()).collect::<Vec<_>>(),
            vec![3000, 3000, 1000]
        );
    }
}
