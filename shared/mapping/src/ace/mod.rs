//! ACE S3 file exchange: reading any file AWS drops (opportunity, lead, processed results), converting its
//! records, and writing inbound files.
//!
//! Reading never fails on one bad record: a file is unreadable only when it is not a JSON object with a
//! known record list. Each record parses on its own; a record that does not is kept verbatim with the
//! field and reason, so an operator can fix and replay it.

mod convert;
pub mod wire;
pub mod writer;

pub use crate::conversion::ConversionError;
pub use convert::{ResultRecord, Results};
pub use wire::{AceLead, AceNumber, AceOpportunity, AceRecordResult, AceResultsFile};

use crate::field::Nullable;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// AWS's limits for an inbound file.
pub const MAX_FILE_BYTES: usize = 1_000_000;
/// AWS's limit of records in one inbound file.
pub const MAX_RECORDS: usize = 50;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// `opportunities: [...]`
    Opportunity,
    /// `leads: [...]` (or `Leads`)
    Lead,
    /// A processed-results file.
    Results,
}

/// Why a whole file cannot be read. Record-level problems are never file errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// Zero bytes, or only whitespace.
    #[error("the file is empty")]
    Empty,
    /// Not JSON at all.
    #[error("not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object (AWS: "[{input JSON}] is not of type 'object'").
    #[error("the top level is {0}, not an object (AWS rejects it as \"is not of type 'object'\")")]
    NotAnObject(&'static str),
    /// An object without `opportunities`, `leads`/`Leads` or `inboundApiResults`.
    #[error("no record list: expected a key \"opportunities\", \"leads\" or \"inboundApiResults\"")]
    UnknownKind,
    /// The record list is not an array.
    #[error("\"{0}\" must be an array of records")]
    RecordsNotArray(String),
    /// A results file whose fields have the wrong types.
    #[error("invalid results file at {field}: {message}")]
    InvalidResults {
        /// JSON path.
        field: String,
        /// What is wrong.
        message: String,
    },
}

/// A record that could not be read, kept verbatim with its reason.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedRecord {
    /// Position in the file's record list.
    pub index: usize,
    /// The record's ACE or CRM id, when it has one.
    pub id: Option<String>,
    /// Wire name of the offending field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// The record as it was in the file.
    pub raw: Box<RawValue>,
}

impl fmt::Display for RejectedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.index)?;
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A file of opportunity or lead records.
#[derive(Debug, Clone)]
pub struct RecordsFile<R> {
    /// Payload version as written (`"1"`, `"1.0"`, `"2.0"`).
    pub version: Nullable<String>,
    /// Partner id.
    pub spms_id: Nullable<String>,
    /// The key the records were under (`opportunities`, `leads`, `Leads`).
    pub records_key: String,
    /// Each record, read or rejected, in file order.
    pub records: Vec<Result<R, RejectedRecord>>,
    /// Other top-level keys, verbatim.
    pub extensions: BTreeMap<String, Value>,
}

/// Any ACE file.
#[derive(Debug, Clone)]
pub enum AceFile {
    /// Opportunity records.
    Opportunities(RecordsFile<AceOpportunity>),
    /// Lead records.
    Leads(RecordsFile<AceLead>),
    /// A processed-results file.
    Results(AceResultsFile),
}

impl AceFile {
    /// What the file holds.
    pub fn kind(&self) -> FileKind {
        match self {
            AceFile::Opportunities(_) => FileKind::Opportunity,
            AceFile::Leads(_) => FileKind::Lead,
            AceFile::Results(_) => FileKind::Results,
        }
    }

    /// The payload version, when the file has one.
    pub fn version(&self) -> Option<&str> {
        match self {
            AceFile::Opportunities(f) => f.version.as_value().map(String::as_str),
            AceFile::Leads(f) => f.version.as_value().map(String::as_str),
            AceFile::Results(_) => None,
        }
    }
}

/// A record type with keys of its own and room for the others.
pub trait WireRecord: DeserializeOwned + Serialize {
    /// The keys the type reads.
    const KEYS: &'static [&'static str];
    /// The canonical record it converts to.
    type Canonical: Serialize;
    /// Where unknown keys go.
    fn extensions_mut(&mut self) -> &mut BTreeMap<String, Value>;
    /// Unknown keys.
    fn extensions(&self) -> &BTreeMap<String, Value>;
    /// The canonical record.
    fn canonical(&self) -> Result<Self::Canonical, ConversionError>;
    /// The record's ACE id, else its CRM id, for messages.
    fn display_id(&self) -> Option<&str>;
}

impl WireRecord for AceOpportunity {
    const KEYS: &'static [&'static str] = AceOpportunity::KEYS;
    type Canonical = crate::Opportunity;
    fn extensions_mut(&mut self) -> &mut BTreeMap<String, Value> {
        &mut self.extensions
    }
    fn extensions(&self) -> &BTreeMap<String, Value> {
        &self.extensions
    }
    fn canonical(&self) -> Result<Self::Canonical, ConversionError> {
        self.to_canonical()
    }
    fn display_id(&self) -> Option<&str> {
        self.apn_crm_unique_identifier
            .as_value()
            .or(self.partner_crm_unique_identifier.as_value())
            .map(String::as_str)
    }
}

impl WireRecord for AceLead {
    const KEYS: &'static [&'static str] = AceLead::KEYS;
    type Canonical = crate::Lead;
    fn extensions_mut(&mut self) -> &mut BTreeMap<String, Value> {
        &mut self.extensions
    }
    fn extensions(&self) -> &BTreeMap<String, Value> {
        &self.extensions
    }
    fn canonical(&self) -> Result<Self::Canonical, ConversionError> {
        self.to_canonical()
    }
    fn display_id(&self) -> Option<&str> {
        self.apn_crm_unique_identifier
            .as_value()
            .or(self.partner_crm_lead_id.as_value())
            .map(String::as_str)
    }
}

/// How far a record got before it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Its JSON does not have the record's shape (a field of the wrong type, not an object).
    Parse,
    /// It parsed, but a value cannot be read (a date that is not a date, an id with spaces).
    Convert,
}

/// Why one record of a file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordProblem {
    /// Where it failed.
    pub stage: Stage,
    /// Wire name of the offending field, when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// One record of a file, in canonical form or with the reason it is not.
#[derive(Debug, Clone)]
pub struct CanonicalRecord<C> {
    /// Position in the file's record list.
    pub index: usize,
    /// The record's ACE or CRM id, when it has one.
    pub id: Option<String>,
    /// The canonical record, or why there is none.
    pub record: Result<C, RecordProblem>,
}

impl<R: WireRecord> RecordsFile<R> {
    /// Every record in canonical form, in file order; a record that cannot be read or converted says
    /// why, and the others are unaffected.
    pub fn canonical(&self) -> impl Iterator<Item = CanonicalRecord<R::Canonical>> + '_ {
        self.records.iter().enumerate().map(|(index, r)| match r {
            Err(rejected) => CanonicalRecord {
                index,
                id: rejected.id.clone(),
                record: Err(RecordProblem {
                    stage: Stage::Parse,
                    field: rejected.field.clone(),
                    message: rejected.message.clone(),
                }),
            },
            Ok(rec) => CanonicalRecord {
                index,
                id: rec.display_id().map(str::to_string),
                record: rec.canonical().map_err(|e| RecordProblem {
                    stage: Stage::Convert,
                    field: Some(e.field),
                    message: e.message,
                }),
            },
        })
    }
}

/// Serializes a record with its unknown keys back in place, as a `Value` ([`record_to_raw`], read
/// back; numbers beyond `f64` lose digits here, which is why files are written from the raw text).
pub fn record_to_json<R: WireRecord>(r: &R) -> Value {
    record_to_raw(r)
        .and_then(|raw| serde_json::from_str(raw.get()))
        .unwrap_or(Value::Null)
}

/// Serializes a record, with its unknown keys back in place, straight to JSON text: numbers keep
/// their exact digits (a `Value` would hold them as `f64`).
pub fn record_to_raw<R: WireRecord>(r: &R) -> Result<Box<RawValue>, serde_json::Error> {
    let text = serde_json::to_string(r)?;
    if r.extensions().is_empty() {
        return RawValue::from_string(text);
    }
    let mut m: BTreeMap<String, Box<RawValue>> = serde_json::from_str(&text)?;
    for (k, x) in r.extensions() {
        if !m.contains_key(k) {
            m.insert(k.clone(), serde_json::value::to_raw_value(x)?);
        }
    }
    serde_json::value::to_raw_value(&m)
}

/// Reads any ACE file. A UTF-8 BOM is skipped.
pub fn parse(bytes: &[u8]) -> Result<AceFile, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty);
    }
    match parse_in_one_pass(bytes) {
        Some(file) => Ok(file),
        None => parse_record_by_record(bytes),
    }
}

/// [`parse`] of a file the one pass could not read: the top level, then each record on its own.
fn parse_record_by_record(bytes: &[u8]) -> Result<AceFile, FileError> {
    let top: BTreeMap<String, &RawValue> = match serde_json::from_slice(bytes) {
        Ok(t) => t,
        Err(e) => {
            return Err(match serde_json::from_slice::<IgnoredAny>(bytes) {
                Ok(_) => FileError::NotAnObject(top_level_kind(bytes)),
                Err(_) => FileError::NotJson(crate::capped(e.to_string())),
            });
        }
    };
    let key = ["opportunities", "leads", "Leads"]
        .into_iter()
        .find(|k| top.contains_key(*k));
    match key {
        Some("opportunities") => records_file(top, "opportunities").map(AceFile::Opportunities),
        Some(k) => records_file(top, k).map(AceFile::Leads),
        None if top.contains_key("inboundApiResults") => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            serde_path_to_error::deserialize(&mut de)
                .map(AceFile::Results)
                .map_err(|e| FileError::InvalidResults {
                    field: e.path().to_string(),
                    message: crate::capped(e.inner().to_string()),
                })
        }
        None => Err(FileError::UnknownKind),
    }
}

/// A file header's `version` or `spmsId`: a string, or a number as its digits; anything else is null.
fn header_text(v: Value) -> Nullable<String> {
    match v {
        Value::String(s) => Nullable::Value(s),
        Value::Number(n) => Nullable::Value(n.to_string()),
        _ => Nullable::Null,
    }
}

/// The whole file in one pass over its bytes, when every record in it reads and it has one record list:
/// the common case. Anything else (a bad record, a results file, two lists, not an object) gives `None`,
/// and [`parse`] reads the file again record by record, so that one bad record is kept with its reason
/// and the others still read.
fn parse_in_one_pass(bytes: &[u8]) -> Option<AceFile> {
    // UTF-8 checked once for the whole file, so the reader need not check each string again.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let top = OnePass::deserialize(&mut de).ok()?;
    de.end().ok()?;
    fn file<R>(top: OnePass, key: String, records: Vec<R>) -> RecordsFile<R> {
        RecordsFile {
            version: top.version.map_or(Nullable::Absent, header_text),
            spms_id: top.spms_id.map_or(Nullable::Absent, header_text),
            records_key: key,
            records: records.into_iter().map(Ok).collect(),
            extensions: top.extensions,
        }
    }
    let mut top = top;
    match top.records.take()? {
        OnePassRecords::Opportunities(r) => Some(AceFile::Opportunities(file(
            top,
            "opportunities".to_string(),
            r,
        ))),
        OnePassRecords::Leads(key, r) => Some(AceFile::Leads(file(top, key, r))),
    }
}

enum OnePassRecords {
    Opportunities(Vec<AceOpportunity>),
    Leads(String, Vec<AceLead>),
}

/// An ACE records file read in one pass ([`parse_in_one_pass`]).
struct OnePass {
    version: Option<Value>,
    spms_id: Option<Value>,
    records: Option<OnePassRecords>,
    extensions: BTreeMap<String, Value>,
}

impl<'de> Deserialize<'de> for OnePass {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OnePass;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ACE file object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<OnePass, A::Error> {
                use serde::de::Error;
                let mut top = OnePass {
                    version: None,
                    spms_id: None,
                    records: None,
                    extensions: BTreeMap::new(),
                };
                while let Some(Key(k)) = map.next_key()? {
                    match k.as_ref() {
                        "opportunities" | "leads" | "Leads" if top.records.is_some() => {
                            return Err(A::Error::custom("more than one record list"));
                        }
                        "opportunities" => {
                            top.records = Some(OnePassRecords::Opportunities(map.next_value()?));
                        }
                        "leads" | "Leads" => {
                            let records = map.next_value()?;
                            top.records = Some(OnePassRecords::Leads(k.into_owned(), records));
                        }
                        "inboundApiResults" => return Err(A::Error::custom("a results file")),
                        "version" => top.version = Some(map.next_value()?),
                        "spmsId" => top.spms_id = Some(map.next_value()?),
                        _ => {
                            let v = map.next_value()?;
                            top.extensions.insert(k.into_owned(), v);
                        }
                    }
                }
                Ok(top)
            }
        }
        d.deserialize_map(V)
    }
}

fn top_level_kind(bytes: &[u8]) -> &'static str {
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

fn records_file<R: WireRecord>(
    mut top: BTreeMap<String, &RawValue>,
    key: &str,
) -> Result<RecordsFile<R>, FileError> {
    let list = top.remove(key).ok_or(FileError::UnknownKind)?;
    let raws: Vec<&RawValue> = serde_json::from_str(list.get())
        .map_err(|_| FileError::RecordsNotArray(key.to_string()))?;
    let string_field = |top: &mut BTreeMap<String, &RawValue>, k: &str| {
        top.remove(k)
            .map(|raw| serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null))
            .map_or(Nullable::Absent, header_text)
    };
    let version = string_field(&mut top, "version");
    let spms_id = string_field(&mut top, "spmsId");
    let records = raws
        .into_iter()
        .enumerate()
        .map(|(i, raw)| parse_record::<R>(i, raw))
        .collect();
    let extensions = top
        .into_iter()
        .filter_map(|(k, raw)| serde_json::from_str(raw.get()).ok().map(|v| (k, v)))
        .collect();
    Ok(RecordsFile {
        version,
        spms_id,
        records_key: key.to_string(),
        records,
        extensions,
    })
}

/// One record, in one pass: its fields and unknown keys together. Only a record that fails is read
/// again, with its path tracked, so the error can name the field.
fn parse_record<R: WireRecord>(index: usize, raw: &RawValue) -> Result<R, RejectedRecord> {
    if let Ok(r) = serde_json::from_str::<R>(raw.get()) {
        return Ok(r);
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let e = match serde_path_to_error::deserialize::<_, R>(&mut de) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    let message = e.inner().to_string();
    let deep = message.contains("recursion limit");
    let path = match e.path().iter().next() {
        // Too deep: name the record's key, not a path of 128 segments.
        Some(serde_path_to_error::Segment::Map { key }) if deep => key.clone(),
        _ => e.path().to_string(),
    };
    Err(RejectedRecord {
        index,
        id: record_id(raw),
        field: (path != "." && !path.is_empty()).then_some(path),
        message: if deep {
            // Unknown keys are kept; one that cannot be kept refuses the record with its name, never
            // drops it silently.
            "an unknown key nests deeper than serde_json's 128-level limit; acebridge keeps unknown keys verbatim \
             and cannot keep this one"
                .to_string()
        } else {
            crate::capped(message)
        },
        raw: raw.to_owned(),
    })
}

/// The best id a raw record offers, for error messages.
pub fn record_id(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "apnCrmUniqueIdentifier")]
        apn: Option<Value>,
        #[serde(rename = "partnerCrmUniqueIdentifier", alias = "partnerCrmLeadId")]
        crm: Option<Value>,
    }
    let p: Probe = serde_json::from_str(raw.get()).ok()?;
    [p.apn, p.crm].into_iter().flatten().find_map(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    })
}

/// The value of a key given twice: always an error (`duplicate field`), raised where the value is read
/// so that a path-tracking deserializer names the key.
pub(crate) struct Duplicate(pub(crate) &'static str);

impl<'de> DeserializeSeed<'de> for Duplicate {
    type Value = std::convert::Infallible;
    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<Self::Value, D::Error> {
        Err(serde::de::Error::duplicate_field(self.0))
    }
}

/// A map key, borrowed when the input allows.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_files_say_why() {
        assert_eq!(parse(b"").unwrap_err(), FileError::Empty);
        assert_eq!(parse(b"  \n").unwrap_err(), FileError::Empty);
        assert!(matches!(
            parse(b"{nope").unwrap_err(),
            FileError::NotJson(_)
        ));
        assert_eq!(
            parse(b"[{\"a\":1}]").unwrap_err(),
            FileError::NotAnObject("an array")
        );
        assert_eq!(parse(b"{\"x\":1}").unwrap_err(), FileError::UnknownKind);
        assert_eq!(
            parse(b"{\"opportunities\":{}}").unwrap_err(),
            FileError::RecordsNotArray("opportunities".into())
        );
    }

    #[test]
    fn bom_nulls_unknown_and_missing_fields_are_fine() {
        let f = parse(
            "\u{feff}{\"version\":\"2.0\",\"opportunities\":[{\"stage\":null,\"brandNew\":{\"a\":1}},{}]}"
                .as_bytes(),
        )
        .unwrap();
        let AceFile::Opportunities(f) = f else {
            panic!("kind")
        };
        let r = f.records[0].as_ref().unwrap();
        assert_eq!(r.stage, Nullable::Null);
        assert_eq!(r.extensions["brandNew"], serde_json::json!({"a":1}));
        assert!(f.records[1].is_ok());
    }

    #[test]
    fn a_bad_record_is_rejected_alone_with_its_field() {
        let f = parse(
            br#"{"version":"2.0","opportunities":[{"apnCrmUniqueIdentifier":"O1","expectedMonthlyAwsRevenue":"lots"},{"stage":"Prospect"},7]}"#,
        )
        .unwrap();
        let AceFile::Opportunities(f) = f else {
            panic!("kind")
        };
        let bad = f.records[0].as_ref().unwrap_err();
        assert_eq!(bad.index, 0);
        assert_eq!(bad.id.as_deref(), Some("O1"));
        assert_eq!(bad.field.as_deref(), Some("expectedMonthlyAwsRevenue"));
        assert!(bad.raw.get().contains("lots"));
        assert!(f.records[1].is_ok());
        let not_object = f.records[2].as_ref().unwrap_err();
        assert_eq!(not_object.field, None);
    }

    #[test]
    fn canonical_records_say_why_one_failed() {
        let f = parse(
            br#"{"opportunities":[{"apnCrmUniqueIdentifier":"O1","stage":"Prospect"},{"partnerCrmUniqueIdentifier":"c-2","targetCloseDate":"soon"},{"awsProducts":"x"}]}"#,
        )
        .unwrap();
        let AceFile::Opportunities(f) = f else {
            panic!("kind")
        };
        let all: Vec<_> = f.canonical().collect();
        assert!(all[0].record.is_ok());
        assert_eq!(all[0].id.as_deref(), Some("O1"));
        let convert = all[1].record.as_ref().unwrap_err();
        assert_eq!(
            (convert.stage, convert.field.as_deref()),
            (Stage::Convert, Some("targetCloseDate"))
        );
        assert_eq!(all[1].id.as_deref(), Some("c-2"));
        let parse_problem = all[2].record.as_ref().unwrap_err();
        assert_eq!(
            (parse_problem.stage, parse_problem.field.as_deref()),
            (Stage::Parse, Some("awsProducts"))
        );
    }

    #[test]
    fn an_unknown_key_too_deep_to_keep_refuses_its_record_by_name_alone() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let text = format!(
            r#"{{"opportunities":[{{"apnCrmUniqueIdentifier":"O1","brandNew":{deep}}},{{"stage":"Prospect","other":{{"a":1}}}}]}}"#
        );
        let AceFile::Opportunities(f) = parse(text.as_bytes()).unwrap() else {
            panic!("kind")
        };
        let bad = f.records[0].as_ref().unwrap_err();
        assert_eq!(
            (bad.id.as_deref(), bad.field.as_deref()),
            (Some("O1"), Some("brandNew"))
        );
        assert!(bad.message.contains("128-level"), "{}", bad.message);
        let good = f.records[1].as_ref().unwrap();
        assert_eq!(good.extensions["other"], serde_json::json!({"a": 1}));
    }

    #[test]
    fn a_key_twice_or_a_record_that_is_an_array_is_refused() {
        let f = parse(
            br#"{"opportunities":[{"stage":"Prospect","stage":"Qualified"},{"aWSStage":"x","awsStage":"y"},["O1","c"]]}"#,
        )
        .unwrap();
        let AceFile::Opportunities(f) = f else {
            panic!("kind")
        };
        for (i, field) in [(0, Some("stage")), (1, Some("awsStage")), (2, None)] {
            let bad = f.records[i].as_ref().unwrap_err();
            assert_eq!(bad.field.as_deref(), field, "{}", bad.message);
        }
    }

    #[test]
    fn one_pass_and_record_by_record_read_a_good_file_alike() {
        let sample = include_str!(
            "../../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json"
        );
        let lead = r#"{"version":1,"spmsId":1588143,"Leads":[{"firstName":"A","x":[1,{"y":null}]}],"note":{"a":1}}"#;
        let opp = sample.trim_start_matches('\u{feff}').replacen(
            '{',
            r#"{"extra":[1,2],"version":"2.0","#,
            1,
        );
        for text in [opp.as_str(), lead] {
            let one = parse_in_one_pass(text.as_bytes()).expect("one pass reads it");
            let each = parse_record_by_record(text.as_bytes()).unwrap();
            assert_eq!(format!("{one:?}"), format!("{each:?}"));
        }
        assert!(parse_in_one_pass(br#"{"opportunities":[{"stage":1}]}"#).is_none());
        assert!(parse_in_one_pass(br#"{"opportunities":[],"leads":[]}"#).is_none());
        assert!(parse_in_one_pass(br#"{"inboundApiResults":[]}"#).is_none());
    }

    /// Each sample record, read by acebridge and written back, is what serde_json's own `Value` parser
    /// reads from the same text: no key lost, moved or changed by the one-pass reader.
    #[test]
    fn every_aws_sample_record_reads_back_as_serde_json_reads_it() {
        let samples = [
            include_str!(
                "../../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json"
            ),
            include_str!(
                "../../../../tests/fixtures/ace-s3/opportunity/Opportunity-Create-Inbound-Sample.json"
            ),
            include_str!("../../../../tests/fixtures/ace-s3/lead/Lead-Outbound-Sample.json"),
            include_str!("../../../../tests/fixtures/ace-s3/lead/Lead-Update-Inbound-Sample.json"),
        ];
        for text in samples {
            let text = text.trim_start_matches('\u{feff}');
            let reference: Value = serde_json::from_str(text).unwrap();
            let (key, ours): (&str, Vec<Value>) = match parse(text.as_bytes()).unwrap() {
                AceFile::Opportunities(f) => (
                    "opportunities",
                    f.records
                        .iter()
                        .map(|r| record_to_json(r.as_ref().unwrap()))
                        .collect(),
                ),
                AceFile::Leads(f) => (
                    if reference.get("Leads").is_some() {
                        "Leads"
                    } else {
                        "leads"
                    },
                    f.records
                        .iter()
                        .map(|r| record_to_json(r.as_ref().unwrap()))
                        .collect(),
                ),
                AceFile::Results(_) => panic!("not a records file"),
            };
            // A key read under an alternative spelling is written under the record's main one.
            let main_spelling = |k: &str| {
                match k {
                    "useCaseWorkLoad" => "useCaseWorkload",
                    "isOppFromMarketingActivity" => "IsOppFromMarketingActivity",
                    "doesOppBelongToNatsec" => "doesOppBelongToNatSec",
                    "awsStage" => "aWSStage",
                    "awsCloseDate" => "aWSCloseDate",
                    "awsClosedLostReason" => "aWSClosedLostReason",
                    "cosellConvertReason " => "cosellConvertReason",
                    "Company" => "company",
                    "Campaign Name" => "campaignName",
                    "CampaignMemberStatus" => "campaignMemberStatus",
                    other => other,
                }
                .to_string()
            };
            let expected: Vec<Value> = reference[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    let m = r.as_object().unwrap();
                    Value::Object(
                        m.iter()
                            .map(|(k, v)| (main_spelling(k), v.clone()))
                            .collect(),
                    )
                })
                .collect();
            assert!(!expected.is_empty());
            assert_eq!(ours, expected, "{key}");
        }
    }

    #[test]
    fn both_lead_keys_are_read() {
        for key in ["leads", "Leads"] {
            let text = format!(r#"{{"version":"1","{key}":[{{"useCaseWorkLoad":"IOT"}}]}}"#);
            let AceFile::Leads(f) = parse(text.as_bytes()).unwrap() else {
                panic!("kind")
            };
            assert_eq!(f.records_key, key);
            assert_eq!(
                f.records[0].as_ref().unwrap().use_case_workload,
                Nullable::Value("IOT".into())
            );
        }
    }
}
