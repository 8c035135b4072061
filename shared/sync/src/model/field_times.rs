//! The order of a record's CRM changes, field by field.
//!
//! The CRM → AWS queue is a standard SQS queue: it does not keep order, and a message that failed in a
//! way worth retrying comes back only after its visibility timeout. So a change can reach crm-outbound
//! after a newer change of the same record was written to Partner Central. Written as it is, it would
//! put the older values back.
//!
//! Every field a change names is stamped with the time the change was put on the bus (EventBridge's
//! `time`, always set). The ledger keeps, per record, the stamps of what was written. A field of an
//! incoming change is *stale* when the ledger holds a newer stamp for it, for an object that holds it
//! (`customer` cleared after `customer.account.companyName` was set), or for a field inside it: it is
//! left out. The change's other fields still go out, since a change may name only what it changed.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The bus time of a change.
pub type Stamp = chrono::DateTime<chrono::Utc>;

/// Per field, the bus time of the newest change that set it. A field is a JSON Pointer (RFC 6901) into
/// the canonical opportunity, e.g. `/life_cycle/stage`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldTimes(BTreeMap<String, Stamp>);

impl FieldTimes {
    /// Every field `opportunity` names, stamped `time`.
    pub fn of(opportunity: &Value, time: Stamp) -> Self {
        FieldTimes(
            leaves(opportunity)
                .iter()
                .map(|p| (pointer(p), time))
                .collect(),
        )
    }

    /// No field stamped.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stamp of one field (a JSON Pointer).
    pub fn get(&self, field: &str) -> Option<Stamp> {
        self.0.get(field).copied()
    }

    /// Takes in `other`'s stamps, keeping the newer one where both stamp a field.
    pub fn absorb(&mut self, other: &FieldTimes) {
        for (field, time) in &other.0 {
            let slot = self.0.entry(field.clone()).or_insert(*time);
            *slot = (*slot).max(*time);
        }
    }

    /// The fields of `change`, stamped by `times`, for which `self` (what was written) holds a newer
    /// stamp, on the field itself, on an object holding it or on a field inside it. A field `times`
    /// does not stamp (a change whose bus time is unknown) is never stale.
    pub fn stale(&self, change: &Value, times: &FieldTimes) -> Vec<Vec<String>> {
        leaves(change)
            .into_iter()
            .filter(|path| {
                let field = pointer(path);
                times.get(&field).is_some_and(|time| {
                    self.0
                        .iter()
                        .any(|(written, at)| *at > time && related(written, &field))
                })
            })
            .collect()
    }

    /// Forgets the stamps of `fields` (paths).
    pub fn remove(&mut self, fields: &[Vec<String>]) {
        for path in fields {
            self.0.remove(&pointer(path));
        }
    }
}

/// The paths of every value `v` sets: objects are walked into; anything else (a string, a number, a
/// list, `null`) is a value. A masked value (`{"masked": true}`, a field the CRM may not show) sets
/// nothing.
pub fn leaves(v: &Value) -> Vec<Vec<String>> {
    fn walk(v: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) if m.len() == 1 && m.get("masked") == Some(&Value::Bool(true)) => {}
            Value::Object(m) => {
                for (k, v) in m {
                    path.push(k.clone());
                    walk(v, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// A path as a JSON Pointer (RFC 6901: `~` is written `~0`, `/` is written `~1`).
fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// `a` and `b` are the same field, or one holds the other.
fn related(a: &str, b: &str) -> bool {
    a == b || holds(a, b) || holds(b, a)
}

/// `outer` is an object holding `inner`.
fn holds(outer: &str, inner: &str) -> bool {
    inner.len() > outer.len()
        && inner.starts_with(outer)
        && inner.as_bytes().get(outer.len()) == Some(&b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: u32) -> Stamp {
        chrono::DateTime::from_timestamp(1_800_000_000 + i64::from(s), 0).expect("a time")
    }

    fn paths(v: &[Vec<String>]) -> Vec<String> {
        v.iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn a_field_written_by_a_newer_change_is_stale_and_the_others_are_not() {
        let written = FieldTimes::of(&json!({"project": {"title": "B"}}), at(20));
        let older = json!({"project": {"title": "A", "customerBusinessProblem": "x"}});
        let stale = written.stale(&older, &FieldTimes::of(&older, at(10)));
        assert_eq!(paths(&stale), ["project.title"]);
        let newer = FieldTimes::of(&older, at(30));
        assert!(written.stale(&older, &newer).is_empty());
    }

    #[test]
    fn an_object_cleared_later_makes_its_fields_stale_and_the_other_way_round() {
        let cleared = FieldTimes::of(&json!({"customer": null}), at(20));
        let set = json!({"customer": {"account": {"companyName": "A"}}});
        assert_eq!(
            paths(&cleared.stale(&set, &FieldTimes::of(&set, at(10)))),
            ["customer.account.companyName"]
        );
        let written = FieldTimes::of(&set, at(20));
        let clear = json!({"customer": null});
        assert_eq!(
            paths(&written.stale(&clear, &FieldTimes::of(&clear, at(10)))),
            ["customer"]
        );
        // A sibling whose name starts the same is not inside it.
        let other = json!({"customerX": 1});
        assert!(
            cleared
                .stale(&other, &FieldTimes::of(&other, at(10)))
                .is_empty()
        );
    }

    #[test]
    fn an_unstamped_change_is_never_stale() {
        let written = FieldTimes::of(&json!({"a": 1}), at(20));
        assert!(
            written
                .stale(&json!({"a": 2}), &FieldTimes::default())
                .is_empty()
        );
    }

    #[test]
    fn absorb_keeps_the_newer_stamp_and_masked_values_set_nothing() {
        let mut t = FieldTimes::of(&json!({"a": 1, "b": {"masked": true}}), at(20));
        t.absorb(&FieldTimes::of(&json!({"a": 2, "c": [1]}), at(10)));
        assert_eq!(t.get("/a"), Some(at(20)));
        assert_eq!(t.get("/c"), Some(at(10)));
        assert_eq!(t.get("/b"), None);
        assert_eq!(pointer(&["a/b".into(), "~c".into()]), "/a~1b/~0c");
    }
}
