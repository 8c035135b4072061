//! The states a field can be in, on the wire and in the canonical model.
//!
//! Both ACE files and Partner Central payloads distinguish a field that is *absent* (leave the value as it
//! is), one that is `null` (clear it) and one that has a value. ACE adds a fourth state: *masked* — AWS
//! withholds customer data of an AWS referral until the partner accepts it, and sends the literal
//! `Accept to View` instead. A masked value is not data and must never overwrite real data.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// A field as it appears on a wire format: absent, `null`, or a value.
///
/// Use with `#[serde(default, skip_serializing_if = "Nullable::is_absent")]` so that absent fields stay
/// absent when written back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Nullable<T> {
    /// The key is not in the payload.
    #[default]
    Absent,
    /// The key is present with `null`.
    Null,
    /// The key has a value.
    Value(T),
}

impl<T> Nullable<T> {
    /// True when the key is not in the payload (serde's `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// The value, if there is one.
    pub fn as_value(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Maps the value, keeping absent and null as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Nullable<U> {
        match self {
            Nullable::Absent => Nullable::Absent,
            Nullable::Null => Nullable::Null,
            Nullable::Value(v) => Nullable::Value(f(v)),
        }
    }

    /// `Some` maps to a value, `None` to null: for SDK types, which cannot tell absent from null.
    pub fn from_option(o: Option<T>) -> Self {
        o.map_or(Nullable::Null, Nullable::Value)
    }

    /// The value as an `Option` (absent and null both become `None`).
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Absent | Nullable::Null => s.serialize_none(),
            Nullable::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Nullable::Null, Nullable::Value))
    }
}

/// A field of the canonical model: absent, cleared, masked by AWS, or a value.
///
/// Canonical JSON writes a masked field as `{"masked": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// Not provided by the source: leave whatever the destination has.
    #[default]
    Absent,
    /// Explicitly cleared by the source.
    Null,
    /// Withheld by AWS until the referral is accepted (`Accept to View`). Never overwrites real data.
    Masked,
    /// A value.
    Value(T),
}

impl<T> Field<T> {
    /// True when the source did not provide the field.
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// True when AWS masked the field.
    pub fn is_masked(&self) -> bool {
        matches!(self, Field::Masked)
    }

    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Maps the value, keeping the other states.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Masked => Field::Masked,
            Field::Value(v) => Field::Value(f(v)),
        }
    }

    /// Maps the value by reference.
    pub fn as_ref(&self) -> Field<&T> {
        match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Masked => Field::Masked,
            Field::Value(v) => Field::Value(v),
        }
    }

    /// Maps the value with a fallible function, keeping the other states.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Field<U>, E> {
        Ok(match self {
            Field::Absent => Field::Absent,
            Field::Null => Field::Null,
            Field::Masked => Field::Masked,
            Field::Value(v) => Field::Value(f(v)?),
        })
    }

    /// Merges an update into this field: absent and masked updates keep the current value; null clears
    /// it; a value replaces it. This is the rule that keeps masked data from overwriting real data.
    pub fn merge(&mut self, update: Field<T>) {
        match update {
            Field::Absent | Field::Masked => {
                if self.is_absent() && update.is_masked() {
                    *self = Field::Masked;
                }
            }
            other => *self = other,
        }
    }

    /// The field on a wire format that has no masked state: masked becomes absent (we never send a
    /// mask back, and never clear what AWS hides).
    pub fn to_nullable(self) -> Nullable<T> {
        match self {
            Field::Absent | Field::Masked => Nullable::Absent,
            Field::Null => Nullable::Null,
            Field::Value(v) => Nullable::Value(v),
        }
    }
}

impl<T> From<Nullable<T>> for Field<T> {
    fn from(n: Nullable<T>) -> Self {
        match n {
            Nullable::Absent => Field::Absent,
            Nullable::Null => Field::Null,
            Nullable::Value(v) => Field::Value(v),
        }
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Absent | Field::Null => s.serialize_none(),
            Field::Masked => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("masked", &true)?;
                m.end()
            }
            Field::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match v {
            serde_json::Value::Null => Ok(Field::Null),
            ref m if is_masked_json(m) => Ok(Field::Masked),
            other => T::deserialize(other)
                .map(Field::Value)
                .map_err(serde::de::Error::custom),
        }
    }
}

/// True for canonical JSON's masked marker, `{"masked": true}`.
pub fn is_masked_json(v: &serde_json::Value) -> bool {
    matches!(v, serde_json::Value::Object(m)
        if m.len() == 1 && m.get("masked") == Some(&serde_json::Value::Bool(true)))
}

/// [`Field::merge`] for whole canonical records in JSON form (an opportunity or lead as stored by a CRM
/// adapter): a key missing from `update` keeps the stored value; a masked update keeps the stored value
/// (and is stored only where nothing was); `null` clears; a value replaces; nested objects merge key by
/// key; a list of the same length merges element by element (the customer contact list keeps its real
/// values when AWS re-sends it masked), a list of another length replaces the stored one.
pub fn merge_json(stored: &mut serde_json::Value, update: serde_json::Value) {
    use serde_json::Value;
    if is_masked_json(&update) {
        return;
    }
    // A real value replaces a masked one whole: a masked marker is not an object to merge into (an
    // address's country, masked until the lead is accepted, then `{"code": "US"}`).
    if is_masked_json(stored) {
        *stored = update;
        return;
    }
    match (stored, update) {
        (Value::Object(old), Value::Object(new)) => {
            for (k, v) in new {
                match old.get_mut(&k) {
                    Some(slot) => merge_json(slot, v),
                    None => {
                        old.insert(k, v);
                    }
                }
            }
        }
        (Value::Array(old), Value::Array(new)) if old.len() == new.len() => {
            for (slot, v) in old.iter_mut().zip(new) {
                merge_json(slot, v);
            }
        }
        (slot, new) => *slot = new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[test]
    fn a_real_object_replaces_a_masked_marker_whole() {
        let mut stored = serde_json::json!({ "country": { "masked": true }, "city": "Seattle" });
        merge_json(
            &mut stored,
            serde_json::json!({ "country": { "code": "US" }, "city": { "masked": true } }),
        );
        assert_eq!(
            stored,
            serde_json::json!({ "country": { "code": "US" }, "city": "Seattle" })
        );
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct W {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        a: Nullable<String>,
        #[serde(default, skip_serializing_if = "Field::is_absent")]
        b: Field<u32>,
    }

    #[test]
    fn nullable_keeps_absent_null_and_value_apart() {
        let w: W = serde_json::from_str(r#"{"a":null}"#).unwrap();
        assert_eq!(w.a, Nullable::Null);
        assert_eq!(w.b, Field::Absent);
        assert_eq!(serde_json::to_string(&w).unwrap(), r#"{"a":null}"#);
        let w: W = serde_json::from_str(r#"{"a":"x","b":{"masked":true}}"#).unwrap();
        assert_eq!(w.a, Nullable::Value("x".into()));
        assert_eq!(w.b, Field::Masked);
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"a":"x","b":{"masked":true}}"#
        );
    }

    #[test]
    fn masked_and_absent_updates_never_overwrite_values() {
        let mut f = Field::Value("real".to_string());
        f.merge(Field::Masked);
        assert_eq!(f, Field::Value("real".into()));
        f.merge(Field::Absent);
        assert_eq!(f, Field::Value("real".into()));
        f.merge(Field::Null);
        assert_eq!(f, Field::Null);
        let mut g: Field<String> = Field::Absent;
        g.merge(Field::Masked);
        assert_eq!(g, Field::Masked);
        g.merge(Field::Value("unmasked".into()));
        assert_eq!(g, Field::Value("unmasked".into()));
    }

    #[test]
    fn merge_json_follows_field_merge_for_every_state() {
        let states = [
            Field::Absent,
            Field::Null,
            Field::Masked,
            Field::Value(1u32),
            Field::Value(2u32),
        ];
        for old in &states {
            for new in &states {
                let mut typed = W {
                    a: Nullable::Absent,
                    b: old.clone(),
                };
                let mut json = serde_json::to_value(&typed).unwrap();
                typed.b.merge(new.clone());
                let update = serde_json::to_value(W {
                    a: Nullable::Absent,
                    b: new.clone(),
                })
                .unwrap();
                merge_json(&mut json, update);
                assert_eq!(
                    json,
                    serde_json::to_value(&typed).unwrap(),
                    "{old:?} <- {new:?}"
                );
            }
        }
    }

    #[test]
    fn merge_json_merges_nested_objects_key_by_key_and_replaces_lists_of_other_lengths() {
        let mut stored = serde_json::json!({"c": {"email": "a@x.com", "phone": "1"}, "l": [1, 2]});
        merge_json(
            &mut stored,
            serde_json::json!({"c": {"email": {"masked": true}, "title": "CTO"}, "l": [3]}),
        );
        assert_eq!(
            stored,
            serde_json::json!({"c": {"email": "a@x.com", "phone": "1", "title": "CTO"}, "l": [3]})
        );
    }

    #[test]
    fn merge_json_keeps_real_contacts_when_a_list_of_the_same_length_arrives_masked() {
        let mut stored = serde_json::json!({"contacts": [{"email": "a@x.com", "title": "CTO"}]});
        merge_json(
            &mut stored,
            serde_json::json!({"contacts": [{"email": {"masked": true}, "title": "CEO"}]}),
        );
        assert_eq!(
            stored,
            serde_json::json!({"contacts": [{"email": "a@x.com", "title": "CEO"}]})
        );
    }
}
