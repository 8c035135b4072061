//! Applying a field mapping: a canonical record → the CRM's fields (AWS → CRM), and a CRM record →
//! canonical JSON with fallbacks filled (CRM → AWS).

use crate::config::{Fallback, FieldMapping, ObjectMapping, ValueType};
use crate::paths;
use acebridge_mapping::is_masked_json;
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// AWS's answer to the partner's last change, for the `sync.*` pseudo-fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncFields {
    /// `Succeeded`, `Failed`, `Held`, …
    pub status: Option<String>,
    /// AWS's messages, joined.
    pub message: Option<String>,
}

impl SyncFields {
    /// `{"status": …, "message": …}` (absent members left out).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(s) = &self.status {
            m.insert("status".into(), Value::String(s.clone()));
        }
        if let Some(s) = &self.message {
            m.insert("message".into(), Value::String(s.clone()));
        }
        Value::Object(m)
    }

    /// Reads [`SyncFields::to_json`] back.
    pub fn from_json(v: &Value) -> Self {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        SyncFields {
            status: text("status"),
            message: text("message"),
        }
    }
}

fn picklist(map: &std::collections::BTreeMap<String, String>, v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(map.get(&s).cloned().unwrap_or(s)),
        other => other,
    }
}

/// The value a CRM field gets from a canonical value.
fn crm_value(f: &FieldMapping, v: &Value) -> Value {
    let mapped = match v {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| picklist(&f.to_crm, i.clone()))
                .collect(),
        ),
        other => picklist(&f.to_crm, other.clone()),
    };
    match (f.value_type, mapped) {
        (ValueType::List, Value::Array(items)) => Value::String(
            items
                .iter()
                .filter_map(|i| match i {
                    Value::String(s) => Some(s.clone()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
                .collect::<Vec<_>>()
                .join(";"),
        ),
        (ValueType::Number, Value::String(s)) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(s), Value::Number),
        (_, other) => other,
    }
}

/// The CRM's fields for a canonical record (AWS → CRM). Masked and absent values are left out, so
/// that the CRM keeps what it has; the AWS id goes into the mapping's `aws_id_field`.
pub fn to_crm(map: &ObjectMapping, record: &Value, sync: &SyncFields) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::String(id)) = record.get("id") {
        out.insert(map.aws_id_field.clone(), Value::String(id.clone()));
    }
    for f in &map.fields {
        let (Some(crm), true) = (&f.crm, f.direction.to_crm()) else {
            continue;
        };
        let value = match f.canonical.as_str() {
            "sync.status" => sync.status.clone().map(Value::String),
            "sync.message" => sync.message.clone().map(Value::String),
            path => paths::get(record, path).cloned(),
        };
        let Some(value) = value else { continue };
        if is_masked_json(&value) {
            continue;
        }
        out.insert(crm.clone(), crm_value(f, &value));
    }
    out
}

/// The CRM fields of [`to_crm`] that differ from what was last written (`previous`: that record and
/// answer); all of them when nothing was written before.
pub fn to_crm_changes(
    map: &ObjectMapping,
    record: &Value,
    sync: &SyncFields,
    previous: Option<(&Value, &SyncFields)>,
) -> Map<String, Value> {
    let mut now = to_crm(map, record, sync);
    if let Some((r, s)) = previous {
        let before = to_crm(map, r, s);
        now.retain(|k, v| before.get(k) != Some(v));
    }
    now
}

/// A CRM value as the canonical field wants it.
fn canonical_value(f: &FieldMapping, v: &Value) -> Value {
    let typed = match (f.value_type, v) {
        // A date-time keeps its date part; cut by characters, so a value with multi-byte characters
        // (not a date at all: validation refuses it later, naming the field) cannot split one.
        (ValueType::Date, Value::String(s)) if s.chars().count() > 10 => {
            Value::String(s.chars().take(10).collect())
        }
        (ValueType::Number, Value::Number(n)) => Value::String(n.to_string()),
        (ValueType::List, Value::String(s)) => Value::Array(
            s.split(';')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| Value::String(p.to_string()))
                .collect(),
        ),
        (ValueType::List, Value::Null) => Value::Array(Vec::new()),
        (_, other) => other.clone(),
    };
    match typed {
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|i| picklist(&f.to_aws, i)).collect())
        }
        other => picklist(&f.to_aws, other),
    }
}

/// A field of a CRM record, by name; `Account.Name` / `company.domain` reach into a related record.
pub fn crm_field<'v>(record: &'v Value, name: &str) -> Option<&'v Value> {
    let mut at = record;
    for part in name.split('.') {
        at = at.as_object()?.get(part)?;
    }
    Some(at)
}

/// Canonical JSON for a CRM record (CRM → AWS): mapped fields, picklists translated, then every
/// fallback whose field is still empty. `crm_id` is the CRM's id of the record.
pub fn to_canonical(map: &ObjectMapping, record: &Value, crm_id: &str, today: NaiveDate) -> Value {
    let mut out = to_canonical_raw(map, record, crm_id);
    fill_fallbacks(map, &mut out, today);
    out
}

/// [`to_canonical`] without fallbacks: only what the CRM holds.
pub fn to_canonical_raw(map: &ObjectMapping, record: &Value, crm_id: &str) -> Value {
    let mut out = Value::Object(Map::new());
    let _ = paths::set(&mut out, "crm_id", Value::String(crm_id.to_string()));
    if let Some(Value::String(id)) = crm_field(record, &map.aws_id_field)
        && !id.trim().is_empty()
    {
        let _ = paths::set(&mut out, "id", Value::String(id.trim().to_string()));
    }
    for f in &map.fields {
        let (Some(crm), true) = (&f.crm, f.direction.to_aws()) else {
            continue;
        };
        if let Some(v) = crm_field(record, crm) {
            // Paths were checked when the configuration was read; set cannot fail on them.
            let _ = paths::set(&mut out, &f.canonical, canonical_value(f, v));
        }
    }
    out
}

/// Fills every fallback whose canonical field is empty (absent, null, blank).
pub fn fill_fallbacks(map: &ObjectMapping, record: &mut Value, today: NaiveDate) {
    for f in &map.fields {
        let Some(fallback) = &f.fallback else {
            continue;
        };
        if !paths::is_blank(paths::get(record, &f.canonical)) {
            continue;
        }
        let value = match fallback {
            Fallback::Constant(v) => Some(v.clone()),
            Fallback::Field(other) => paths::get(record, other)
                .filter(|v| !paths::is_blank(Some(v)))
                .cloned(),
            Fallback::Date(expr) => {
                Some(Value::String(expr.on(today).format("%Y-%m-%d").to_string()))
            }
        };
        if let Some(v) = value {
            let _ = paths::set(record, &f.canonical, v);
        }
    }
}

/// True when the CRM record asks to be submitted to AWS (the mapping's `submit` rule).
pub fn wants_submit(map: &ObjectMapping, record: &Value) -> bool {
    map.submit
        .as_ref()
        .is_some_and(|rule| flag_set(record, &rule.crm, &rule.equals))
}

/// True when the CRM record asks for its lead to be converted (the `convert` rule's field holds its
/// value).
pub fn wants_convert(map: &ObjectMapping, record: &Value) -> bool {
    map.convert
        .as_ref()
        .is_some_and(|rule| flag_set(record, &rule.crm, &rule.equals))
}

/// A checkbox (HubSpot sends `"true"`) or a picklist value.
fn flag_set(record: &Value, field: &str, equals: &Value) -> bool {
    crm_field(record, field).is_some_and(|v| match (v, equals) {
        (Value::String(s), Value::Bool(true)) => s.eq_ignore_ascii_case("true"),
        (a, b) => a == b,
    })
}
