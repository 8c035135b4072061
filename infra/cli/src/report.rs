//! What `validate` and `convert` compute and print.

use acebridge_mapping::ace::{
    self, AceFile, CanonicalRecord, FileKind, MAX_FILE_BYTES, MAX_RECORDS, RecordProblem,
    RecordsFile, Stage, WireRecord,
};
use acebridge_mapping::api::{ApiOpportunity, Shape};
use acebridge_mapping::validate::{self, Code, Context, Format, Intent, ValidationError};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::Path;

/// Exit codes.
const OK: u8 = 0;
const INVALID: u8 = 1;
const UNREADABLE: u8 = 2;

#[derive(Serialize)]
struct RecordReport {
    index: usize,
    id: Option<String>,
    errors: Vec<ValidationError>,
}

#[derive(Serialize)]
struct FileReport {
    file: String,
    kind: FileKind,
    version: Option<String>,
    /// File-level problems (AWS's size and record-count limits).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ValidationError>,
    records: Vec<RecordReport>,
}

/// A record that could not be read (`INVALID_VALUE`) or converted (`INVALID_STRING_FORMAT`).
fn problem(p: &RecordProblem) -> ValidationError {
    ValidationError {
        field: p.field.clone().unwrap_or_else(|| "(record)".into()),
        code: match p.stage {
            Stage::Parse => Code::InvalidValue,
            Stage::Convert => Code::InvalidStringFormat,
        },
        message: p.message.clone(),
    }
}

/// Each record of a file, validated with `check` once it is canonical.
fn check_records<R: WireRecord>(
    f: &RecordsFile<R>,
    check: impl Fn(&R::Canonical) -> Vec<ValidationError>,
) -> Vec<RecordReport> {
    f.canonical()
        .map(|CanonicalRecord { index, id, record }| RecordReport {
            index,
            id,
            errors: match &record {
                Ok(c) => check(c),
                Err(p) => vec![problem(p)],
            },
        })
        .collect()
}

fn limits<R>(f: &RecordsFile<R>, bytes: usize) -> Vec<ValidationError> {
    let mut out = vec![];
    if f.records.len() > MAX_RECORDS {
        out.push(ValidationError {
            field: f.records_key.clone(),
            code: Code::TooManyValues,
            message: format!(
                "{} records; an inbound file holds at most {MAX_RECORDS}",
                f.records.len()
            ),
        });
    }
    if bytes > MAX_FILE_BYTES {
        out.push(ValidationError {
            field: "(file)".into(),
            code: Code::ValueOutOfRange,
            message: format!("{bytes} bytes; an inbound file is at most {MAX_FILE_BYTES} bytes"),
        });
    }
    out
}

/// A `CRM Lead Changed` (the event as put on the bus, or its `detail`): the lead update it asks for,
/// checked as UpdateEngagementContext would check it (a lead over the API).
fn lead_change(bytes: &[u8]) -> Option<Result<FileReport, String>> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    let detail = if v["detail-type"] == json!(acebridge_sync::crm_side::crm_queue::LEAD_CHANGED) {
        v["detail"].clone()
    } else if v.get("engagementId").is_some() {
        v
    } else {
        return None;
    };
    Some(
        serde_path_to_error::deserialize::<
            _,
            acebridge_sync::partner_central::engagements::LeadChanged,
        >(&detail)
        .map_err(|e| format!("CRM Lead Changed: {}: {}", e.path(), e.inner()))
        .map(|c| FileReport {
            file: String::new(),
            kind: FileKind::Lead,
            version: Some(acebridge_sync::crm_side::crm_queue::LEAD_CHANGED.to_string()),
            errors: vec![],
            records: vec![RecordReport {
                index: 0,
                id: Some(c.engagement_id.clone()),
                errors: c
                    .lead
                    .as_deref()
                    .map(|l| validate::lead_engagement_update(l, true))
                    .unwrap_or_default(),
            }],
        }),
    )
}

fn check_file(bytes: &[u8], today: NaiveDate, consulting: bool) -> Result<FileReport, String> {
    if let Some(report) = lead_change(bytes) {
        return report;
    }
    let parsed = ace::parse(bytes).map_err(|e| e.to_string())?;
    let kind = parsed.kind();
    let version = parsed.version().map(str::to_string);
    let (errors, records) = match &parsed {
        AceFile::Opportunities(f) => {
            let records = check_records(f, |o| {
                let ctx = Context {
                    today,
                    intent: Intent::of(o),
                    current: None,
                    consulting_partner: consulting,
                };
                validate::opportunity(o, Format::Ace, &ctx)
            });
            (limits(f, bytes.len()), records)
        }
        AceFile::Leads(f) => (limits(f, bytes.len()), check_records(f, validate::lead)),
        AceFile::Results(r) => (
            vec![],
            r.inbound_api_results
                .as_value()
                .map(|v| {
                    v.iter()
                        .enumerate()
                        .map(|(i, x)| RecordReport {
                            index: i,
                            id: x.partner_crm_unique_identifier.as_value().cloned(),
                            errors: vec![],
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
    };
    Ok(FileReport {
        file: String::new(),
        kind,
        version,
        errors,
        records,
    })
}

/// `acebridge validate`.
pub fn validate(
    files: &[std::path::PathBuf],
    as_json: bool,
    today: NaiveDate,
    consulting: bool,
) -> u8 {
    let mut exit = OK;
    let mut docs = vec![];
    for path in files {
        let name = path.display().to_string();
        let result = std::fs::read(path)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|b| check_file(&b, today, consulting));
        match result {
            Err(error) => {
                exit = UNREADABLE;
                if as_json {
                    docs.push(json!({ "file": name, "error": error }));
                } else {
                    crate::emit(&format!("{name}: unreadable: {error}"));
                }
            }
            Ok(mut report) => {
                report.file = name.clone();
                let bad = !report.errors.is_empty()
                    || report.records.iter().any(|r| !r.errors.is_empty());
                if bad && exit == OK {
                    exit = INVALID;
                }
                if as_json {
                    docs.push(serde_json::to_value(&report).unwrap_or(Value::Null));
                } else {
                    print_text(&report);
                }
            }
        }
    }
    if as_json {
        crate::emit(&serde_json::to_string_pretty(&json!({ "files": docs })).unwrap_or_default());
    }
    exit
}

fn print_text(r: &FileReport) {
    let invalid = r.records.iter().filter(|x| !x.errors.is_empty()).count();
    for e in &r.errors {
        crate::emit(&format!(
            "{}: {} {}: {}",
            r.file,
            e.field,
            e.code.as_str(),
            e.message
        ));
    }
    for rec in r.records.iter().filter(|x| !x.errors.is_empty()) {
        let id = rec
            .id
            .as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default();
        for e in &rec.errors {
            crate::emit(&format!(
                "{}: record {}{id}: {} {}: {}",
                r.file,
                rec.index,
                e.field,
                e.code.as_str(),
                e.message
            ));
        }
    }
    crate::emit(&format!(
        "{}: {} {:?} file, {} records, {} invalid",
        r.file,
        r.version.as_deref().unwrap_or("no version"),
        r.kind,
        r.records.len(),
        invalid
    ));
}

/// `acebridge convert`.
/// A GetEngagement answer (a lead over the API), as `aws partnercentral-selling get-engagement` prints
/// it: its lead, canonical.
fn engagement_lead(name: &str, bytes: &[u8], to_api: bool) -> Option<u8> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    v.get("Contexts")?;
    if to_api {
        eprintln!("{name}: a GetEngagement answer is already the API's form");
        return Some(UNREADABLE);
    }
    let lead = serde_json::from_value::<acebridge_mapping::api::engagement::ApiEngagement>(v)
        .map_err(|e| e.to_string())
        .and_then(|e| e.lead().map_err(|e| e.to_string()));
    Some(match lead {
        Ok(Some(l)) => {
            crate::emit(&serde_json::to_string_pretty(&json!([l])).unwrap_or_default());
            OK
        }
        Ok(None) => {
            eprintln!("{name}: the engagement has no Lead context");
            INVALID
        }
        Err(e) => {
            eprintln!("{name}: unreadable: {e}");
            UNREADABLE
        }
    })
}

pub fn convert(path: &Path, to_api: bool) -> u8 {
    let name = path.display().to_string();
    if let Some(exit) = std::fs::read(path)
        .ok()
        .and_then(|b| engagement_lead(&name, &b, to_api))
    {
        return exit;
    }
    let parsed = match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| ace::parse(&b).map_err(|e| e.to_string()))
    {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{name}: unreadable: {e}");
            return UNREADABLE;
        }
    };
    let out = match &parsed {
        AceFile::Opportunities(f) => converted(&name, f, |o| {
            if to_api {
                let shape = if o.id.value().is_some() {
                    Shape::Update
                } else {
                    Shape::Create
                };
                serde_json::to_value(ApiOpportunity::from_canonical(o, shape))
            } else {
                serde_json::to_value(o)
            }
        }),
        AceFile::Leads(_) if to_api => {
            eprintln!(
                "{name}: ACE leads have no Partner Central API form (the API shares leads as engagement invitations)"
            );
            return UNREADABLE;
        }
        AceFile::Leads(f) => converted(&name, f, |l| serde_json::to_value(l)),
        AceFile::Results(_) if to_api => {
            eprintln!("{name}: processed-results files have no Partner Central API form");
            return UNREADABLE;
        }
        AceFile::Results(r) => Ok(vec![
            serde_json::to_value(r.to_canonical()).unwrap_or(Value::Null),
        ]),
    };
    let (out, exit) = match out {
        Ok(v) => (v, OK),
        Err(v) => (v, INVALID),
    };
    crate::emit(&serde_json::to_string_pretty(&out).unwrap_or_default());
    exit
}

/// The records of a file, each converted with `to`; problems go to stderr naming the file, record and
/// field. `Err` carries the records that did convert when any did not.
fn converted<R: WireRecord>(
    name: &str,
    f: &RecordsFile<R>,
    to: impl Fn(&R::Canonical) -> serde_json::Result<Value>,
) -> Result<Vec<Value>, Vec<Value>> {
    let mut failed = false;
    let mut out = vec![];
    for CanonicalRecord { index, id, record } in f.canonical() {
        match record.map(|c| to(&c)) {
            Ok(Ok(v)) => out.push(v),
            Ok(Err(e)) => {
                failed = true;
                eprintln!("{name}: record {index}: cannot serialize: {e}");
            }
            Err(p) => {
                failed = true;
                let id = id.map(|i| format!(" ({i})")).unwrap_or_default();
                let field = p.field.map(|f| format!(", field {f}")).unwrap_or_default();
                eprintln!("{name}: record {index}{id}{field}: {}", p.message);
            }
        }
    }
    if failed { Err(out) } else { Ok(out) }
}
