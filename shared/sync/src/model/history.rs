//! A record's timeline: each step acebridge took with it (an AWS version written to the CRM, a CRM change
//! sent to Partner Central, AWS's answer, changes held, released or dropped), with the fields that step
//! changed. The ledger keeps the newest [`MAX_STEPS`] of them on the record's own entry, written in the
//! same conditional write as the state they describe, so the timeline never disagrees with the state.
//!
//! Bounded, because a DynamoDB item is at most 400 KB: at most [`MAX_STEPS`] steps and
//! [`MAX_HISTORY_BYTES`] of them as JSON (the oldest go first; the newest always stays), [`MAX_CHANGES`]
//! field changes a step (the rest counted in [`Step::more_changes`]), values cut at [`MAX_VALUE_CHARS`]
//! characters. A step's values are the customer's data, like the CRM snapshot beside it: shown to an
//! operator in the console, never logged, and erased by `acebridge forget`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Steps kept per record (the oldest go first).
pub const MAX_STEPS: usize = 30;
/// Field changes kept per step (a record's first version sets every field it has).
pub const MAX_CHANGES: usize = 80;
/// The steps' size as JSON, at most (a step alone may be larger: the newest is always kept).
pub const MAX_HISTORY_BYTES: usize = 96 * 1024;
/// Characters kept of a value.
pub const MAX_VALUE_CHARS: usize = 120;

/// What a step was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// A version AWS sent (a file's record, or a Get* read after an event), written to the CRM or refused
    /// by it.
    AwsToCrm,
    /// A CRM change sent to Partner Central (create, update, submit), or refused before or by it.
    CrmToAws,
    /// AWS's answer about a record we sent (a processed-results file, an API call's result).
    AwsAnswer,
    /// CRM changes held while Partner Central does not let them be made.
    Held,
    /// Held changes dropped by an operator.
    Dropped,
}

impl StepKind {
    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            StepKind::AwsToCrm => "AWS → CRM",
            StepKind::CrmToAws => "CRM → AWS",
            StepKind::AwsAnswer => "AWS's answer",
            StepKind::Held => "Held",
            StepKind::Dropped => "Dropped",
        }
    }
}

/// One field a step changed (dotted path of the canonical record; `None`: absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field, e.g. `lifeCycle.stage`.
    pub field: String,
    /// Its value before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Its value after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// One step of a record's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When (the clock's time).
    pub at: DateTime<Utc>,
    /// What kind of step.
    pub kind: StepKind,
    /// What happened, in a sentence.
    pub summary: String,
    /// The file, event or API call it came from or went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// It did what it meant to.
    pub ok: bool,
    /// Why not, verbatim (AWS's or the CRM's messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The fields it changed (or meant to).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Field changes beyond [`MAX_CHANGES`], counted, not kept.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more_changes: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Step {
    /// A step with no field changes.
    pub fn new(at: DateTime<Utc>, kind: StepKind, summary: impl Into<String>) -> Self {
        Step {
            at,
            kind,
            summary: summary.into(),
            source: None,
            ok: true,
            errors: Vec::new(),
            changes: Vec::new(),
            more_changes: 0,
        }
    }

    /// From this file, event or call.
    pub fn from_source(mut self, source: Option<&str>) -> Self {
        self.source = source.map(str::to_string);
        self
    }

    /// It failed, for these reasons.
    pub fn failed(mut self, errors: Vec<String>) -> Self {
        self.ok = false;
        self.errors = errors;
        self
    }

    /// The fields that differ from `before` to `after` (canonical JSON).
    pub fn changing(mut self, before: Option<&Value>, after: &Value) -> Self {
        let mut all = changes(before, after);
        if all.len() > MAX_CHANGES {
            self.more_changes = all.len() - MAX_CHANGES;
            all.truncate(MAX_CHANGES);
        }
        self.changes = all;
        self
    }
}

/// Appends `step` to `history`, dropping the oldest beyond [`MAX_STEPS`] and [`MAX_HISTORY_BYTES`].
pub fn append(history: &mut Vec<Step>, step: Step) {
    history.push(step);
    if history.len() > MAX_STEPS {
        let extra = history.len() - MAX_STEPS;
        history.drain(..extra);
    }
    let size = |s: &Step| serde_json::to_vec(s).map_or(0, |v| v.len());
    let mut total: usize = history.iter().map(size).sum();
    let mut drop = 0;
    while total > MAX_HISTORY_BYTES && drop + 1 < history.len() {
        total -= size(&history[drop]);
        drop += 1;
    }
    history.drain(..drop);
}

/// Every scalar of a canonical record by dotted path (array items by index). A masked field
/// (`{"masked": true}`) is one value, `(masked by AWS)`.
pub fn flatten(v: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(v, &mut String::new(), &mut out);
    out
}

fn walk(v: &Value, path: &mut String, out: &mut BTreeMap<String, String>) {
    let mut child = |key: &str, v: &Value, path: &mut String| {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        walk(v, path, out);
        path.truncate(len);
    };
    match v {
        Value::Null => {}
        Value::Object(m) if m.len() == 1 && m.get("masked") == Some(&Value::Bool(true)) => {
            out.insert(path.clone(), "(masked by AWS)".to_string());
        }
        Value::Object(m) => {
            for (k, v) in m {
                child(k, v, path);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                child(&i.to_string(), v, path);
            }
        }
        Value::String(s) => {
            out.insert(path.clone(), cut(s));
        }
        other => {
            out.insert(path.clone(), cut(&other.to_string()));
        }
    }
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The fields that differ between two canonical records, in path order.
pub fn changes(before: Option<&Value>, after: &Value) -> Vec<FieldChange> {
    let before = before.map(flatten).unwrap_or_default();
    let after = flatten(after);
    let mut out = Vec::new();
    for (field, to) in &after {
        match before.get(field) {
            Some(from) if from == to => {}
            from => out.push(FieldChange {
                field: field.clone(),
                from: from.cloned(),
                to: Some(to.clone()),
            }),
        }
    }
    for (field, from) in &before {
        if !after.contains_key(field) {
            out.push(FieldChange {
                field: field.clone(),
                from: Some(from.clone()),
                to: None,
            });
        }
    }
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).single().unwrap()
    }

    #[test]
    fn changes_name_each_field_set_changed_and_removed() {
        let before = json!({"lifeCycle": {"stage": "Prospect", "nextStep": "call"}, "project": {"title": "A"}});
        let after = json!({"lifeCycle": {"stage": "Qualified"}, "project": {"title": "A"}, "customer": {"account": {"industry": "Other"}}});
        let c = changes(Some(&before), &after);
        assert_eq!(
            c,
            vec![
                FieldChange {
                    field: "customer.account.industry".into(),
                    from: None,
                    to: Some("Other".into())
                },
                FieldChange {
                    field: "lifeCycle.nextStep".into(),
                    from: Some("call".into()),
                    to: None
                },
                FieldChange {
                    field: "lifeCycle.stage".into(),
                    from: Some("Prospect".into()),
                    to: Some("Qualified".into())
                },
            ]
        );
    }

    #[test]
    fn a_first_version_sets_every_field_and_masked_fields_are_one_value() {
        let after = json!({"customer": {"contacts": [{"email": {"masked": true}}]}, "value": 12.5, "ok": true});
        let c = changes(None, &after);
        let fields: Vec<_> = c
            .iter()
            .map(|c| (c.field.as_str(), c.to.as_deref()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("customer.contacts.0.email", Some("(masked by AWS)")),
                ("ok", Some("true")),
                ("value", Some("12.5")),
            ]
        );
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_VALUE_CHARS + 10);
        let c = changes(None, &json!({ "x": long }));
        let to = c[0].to.as_deref().unwrap();
        assert_eq!(to.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(to.ends_with('…'));
    }

    #[test]
    fn a_step_keeps_at_most_max_changes_and_counts_the_rest() {
        let after: serde_json::Map<String, Value> = (0..MAX_CHANGES + 7)
            .map(|i| (format!("f{i:03}"), json!(i)))
            .collect();
        let s = Step::new(at(1), StepKind::AwsToCrm, "x").changing(None, &Value::Object(after));
        assert_eq!(s.changes.len(), MAX_CHANGES);
        assert_eq!(s.more_changes, 7);
    }

    #[test]
    fn the_history_keeps_the_newest_steps() {
        let mut h = Vec::new();
        for i in 0..(MAX_STEPS as i64 + 5) {
            append(&mut h, Step::new(at(i), StepKind::Held, format!("{i}")));
        }
        assert_eq!(h.len(), MAX_STEPS);
        assert_eq!(h[0].summary, "5");
        assert_eq!(h[MAX_STEPS - 1].summary, format!("{}", MAX_STEPS + 4));
    }

    #[test]
    fn the_history_stays_within_its_size_and_keeps_the_newest_step() {
        let big: serde_json::Map<String, Value> = (0..MAX_CHANGES)
            .map(|i| {
                (
                    format!("field_{i:03}"),
                    json!("x".repeat(MAX_VALUE_CHARS * 2)),
                )
            })
            .collect();
        let big = Value::Object(big);
        let mut h = Vec::new();
        for i in 0..MAX_STEPS as i64 {
            append(
                &mut h,
                Step::new(at(i), StepKind::AwsToCrm, format!("{i}")).changing(None, &big),
            );
        }
        let bytes: usize = h.iter().map(|s| serde_json::to_vec(s).unwrap().len()).sum();
        assert!(bytes <= MAX_HISTORY_BYTES, "{bytes}");
        assert!(h.len() < MAX_STEPS);
        assert_eq!(h.last().unwrap().summary, format!("{}", MAX_STEPS - 1));
    }

    #[test]
    fn a_step_round_trips_through_json_and_omits_what_is_empty() {
        let s = Step::new(at(10), StepKind::CrmToAws, "sent")
            .from_source(Some("UpdateOpportunity"))
            .failed(vec!["bad".into()])
            .changing(None, &json!({"a": "b"}));
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["kind"], "crm_to_aws");
        assert!(v.get("more_changes").is_none());
        let back: Step = serde_json::from_value(v).unwrap();
        assert_eq!(back, s);
    }
}
