//! What `validate` and `convert` compute and print.

use acebridge_mapping::ace::{
    self, AceFile, FileKind, MAX_FILE_BYTES, MAX_RECORDS, RecordsFile, RejectedRecord,
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

fn rejected(r: &RejectedRecord) -> RecordReport {
    RecordReport {
        index: r.index,
        id: r.id.clone(),
        errors: vec![ValidationError {
            field: r.field.clone().unwrap_or_else(|| "(record)".into()),
            code: Code::InvalidValue,
            message: r.message.clone(),
        }],
    }
}

fn conversion(index: usize, id: Option<String>, e: ace::ConversionError) -> RecordReport {
    RecordReport {
        index,
        id,
        errors: vec![ValidationError {
            field: e.field,
            code: Code::InvalidStringFormat,
            message: e.message,
        }],
    }
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

fn check_file(bytes: &[u8], today: NaiveDate, consulting: bool) -> Result<FileReport, String> {
    let parsed = ace::parse(bytes).map_err(|e| e.to_string())?;
    let kind = parsed.kind();
    let version = parsed.version().map(str::to_string);
    let (errors, records) = match &parsed {
        AceFile::Opportunities(f) => {
            let records = f
                .records
                .iter()
                .enumerate()
                .map(|(i, r)| match r {
                    Err(r) => rejected(r),
                    Ok(rec) => {
                        let id = rec
                            .apn_crm_unique_identifier
                            .as_value()
                            .or(rec.partner_crm_unique_identifier.as_value())
                            .cloned();
                        match rec.to_canonical() {
                            Err(e) => conversion(i, id, e),
                            Ok(o) => {
                                let ctx = Context {
                                    today,
                                    intent: Intent::of(&o),
                                    current: None,
                                    consulting_partner: consulting,
                                };
                                RecordReport {
                                    index: i,
                                    id,
                                    errors: validate::opportunity(&o, Format::Ace, &ctx),
                                }
                            }
                        }
                    }
                })
                .collect();
            (limits(f, bytes.len()), records)
        }
        AceFile::Leads(f) => {
            let records = f
                .records
                .iter()
                .enumerate()
                .map(|(i, r)| match r {
                    Err(r) => rejected(r),
                    Ok(rec) => {
                        let id = rec.apn_crm_unique_identifier.as_value().cloned();
                        match rec.to_canonical() {
                            Err(e) => conversion(i, id, e),
                            Ok(l) => RecordReport {
                                index: i,
                                id,
                                errors: validate::lead(&l),
                            },
                        }
                    }
                })
                .collect();
            (limits(f, bytes.len()), records)
        }
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
                    println!("{name}: unreadable: {error}");
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
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "files": docs })).unwrap_or_default()
        );
    }
    exit
}

fn print_text(r: &FileReport) {
    let invalid = r.records.iter().filter(|x| !x.errors.is_empty()).count();
    for e in &r.errors {
        println!("{}: {} {}: {}", r.file, e.field, e.code.as_str(), e.message);
    }
    for rec in r.records.iter().filter(|x| !x.errors.is_empty()) {
        let id = rec
            .id
            .as_deref()
            .map(|i| format!(" ({i})"))
            .unwrap_or_default();
        for e in &rec.errors {
            println!(
                "{}: record {}{id}: {} {}: {}",
                r.file,
                rec.index,
                e.field,
                e.code.as_str(),
                e.message
            );
        }
    }
    println!(
        "{}: {} {:?} file, {} records, {} invalid",
        r.file,
        r.version.as_deref().unwrap_or("no version"),
        r.kind,
        r.records.len(),
        invalid
    );
}

/// `acebridge convert`.
pub fn convert(path: &Path, to_api: bool) -> u8 {
    let name = path.display().to_string();
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
    let mut exit = OK;
    let mut fail = |what: String| {
        eprintln!("{name}: {what}");
        exit = INVALID;
    };
    let out: Vec<Value> = match &parsed {
        AceFile::Opportunities(f) => f
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Err(r) => {
                    fail(r.to_string());
                    None
                }
                Ok(rec) => match rec.to_canonical() {
                    Err(e) => {
                        fail(format!("record {i}: {e}"));
                        None
                    }
                    Ok(o) if to_api => {
                        let shape = if o.id.value().is_some() {
                            Shape::Update
                        } else {
                            Shape::Create
                        };
                        serde_json::to_value(ApiOpportunity::from_canonical(&o, shape)).ok()
                    }
                    Ok(o) => serde_json::to_value(o).ok(),
                },
            })
            .collect(),
        AceFile::Leads(f) => {
            if to_api {
                eprintln!(
                    "{name}: ACE leads have no Partner Central API form (the API shares leads as engagement invitations)"
                );
                return UNREADABLE;
            }
            f.records
                .iter()
                .enumerate()
                .filter_map(|(i, r)| match r {
                    Err(r) => {
                        fail(r.to_string());
                        None
                    }
                    Ok(rec) => match rec.to_canonical() {
                        Err(e) => {
                            fail(format!("record {i}: {e}"));
                            None
                        }
                        Ok(l) => serde_json::to_value(l).ok(),
                    },
                })
                .collect()
        }
        AceFile::Results(r) => {
            if to_api {
                eprintln!("{name}: processed-results files have no Partner Central API form");
                return UNREADABLE;
            }
            vec![serde_json::to_value(r.to_canonical()).unwrap_or(Value::Null)]
        }
    };
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    exit
}
