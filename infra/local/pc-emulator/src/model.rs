//! AWS's published service model of Partner Central Selling (botocore's
//! `data/partnercentral-selling/<version>/service-2.json`), and a validator of JSON values against its
//! shapes.
//!
//! The model is never copied into this repository: it is loaded from botocore in the project's venv
//! (installed with moto), through botocore's own loader, so the emulator follows whatever model the
//! pinned botocore ships. Every request is validated against its operation's input shape and every
//! answer against its output (or error) shape; a violation of a request is the `ValidationException`
//! AWS sends, a violation of an answer is a bug of the emulator and is reported as one.

use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The environment variable naming the model file directly (plain JSON); otherwise botocore is asked.
pub const MODEL_ENV: &str = "PC_SERVICE_MODEL";
/// The environment variable naming the python that has botocore (default: the project's `.venv`).
pub const PYTHON_ENV: &str = "ACEBRIDGE_PYTHON";

/// One operation: its input, output and modelled errors.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The input structure's shape name.
    pub input: Option<String>,
    /// The output structure's shape name.
    pub output: Option<String>,
    /// The error shapes the operation may answer with.
    pub errors: BTreeSet<String>,
}

#[derive(Debug)]
struct Pattern {
    /// The model's pattern, as written there.
    source: String,
    /// The pattern, anchored at both ends (AWS validates the whole value).
    regex: Regex,
    /// A leading `(?=.{min,max}$)` look-ahead, which Rust's regex has no syntax for: a length in chars.
    length: Option<(usize, usize)>,
}

impl Pattern {
    fn compile(source: &str) -> Result<Pattern, String> {
        let (length, rest) = split_length_lookahead(source);
        let regex = Regex::new(&format!("^(?:{rest})$"))
            .map_err(|e| format!("pattern {source:?} does not compile: {e}"))?;
        Ok(Pattern {
            source: source.to_string(),
            regex,
            length,
        })
    }

    fn matches(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.length.is_none_or(|(lo, hi)| lo <= n && n <= hi) && self.regex.is_match(s)
    }
}

/// `(?=.{a,b}$)rest` → (Some((a, b)), rest); anything else is returned whole.
fn split_length_lookahead(p: &str) -> (Option<(usize, usize)>, &str) {
    let Some(tail) = p.strip_prefix("(?=.{") else {
        return (None, p);
    };
    let Some((range, rest)) = tail.split_once("}$)") else {
        return (None, p);
    };
    let Some((lo, hi)) = range.split_once(',') else {
        return (None, p);
    };
    match (lo.parse(), hi.parse()) {
        (Ok(lo), Ok(hi)) => (Some((lo, hi)), rest),
        _ => (None, p),
    }
}

#[derive(Debug)]
enum Shape {
    Structure {
        members: BTreeMap<String, String>,
        required: BTreeSet<String>,
        union: bool,
    },
    List {
        member: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    Map {
        key: String,
        value: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    String {
        values: Option<BTreeSet<String>>,
        pattern: Option<Pattern>,
        min: Option<f64>,
        max: Option<f64>,
    },
    Integer {
        min: Option<f64>,
        max: Option<f64>,
    },
    Double {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    Timestamp,
    Blob,
}

/// A value that breaks the model: the member (dotted path, `[i]` for list items), the model's
/// `ValidationExceptionErrorCode`, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `Customer.Account.CompanyName`, `Interactions[0].SourceType`; empty for the whole body.
    pub field: String,
    /// One of the model's `ValidationExceptionErrorCode` values.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.field, self.message, self.code)
    }
}

/// The service model.
#[derive(Debug)]
pub struct ServiceModel {
    /// `AWSPartnerCentralSelling`.
    pub target_prefix: String,
    operations: BTreeMap<String, Operation>,
    shapes: BTreeMap<String, Shape>,
    error_codes: BTreeSet<String>,
}

fn num(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn parse_shape(name: &str, s: &Value) -> Result<Shape, String> {
    let kind = s["type"].as_str().unwrap_or_default();
    let (min, max) = (num(s, "min"), num(s, "max"));
    Ok(match kind {
        "structure" => Shape::Structure {
            members: s["members"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(m, v)| (m.clone(), v["shape"].as_str().unwrap_or_default().into()))
                .collect(),
            required: s["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            union: s["union"].as_bool().unwrap_or(false),
        },
        "list" => Shape::List {
            member: s["member"]["shape"].as_str().unwrap_or_default().into(),
            min,
            max,
        },
        "map" => Shape::Map {
            key: s["key"]["shape"].as_str().unwrap_or_default().into(),
            value: s["value"]["shape"].as_str().unwrap_or_default().into(),
            min,
            max,
        },
        "string" => Shape::String {
            values: s["enum"].as_array().map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            }),
            pattern: s["pattern"]
                .as_str()
                .map(Pattern::compile)
                .transpose()
                .map_err(|e| format!("shape {name}: {e}"))?,
            min,
            max,
        },
        "integer" | "long" => Shape::Integer { min, max },
        "double" | "float" => Shape::Double { min, max },
        "boolean" => Shape::Boolean,
        "timestamp" => Shape::Timestamp,
        "blob" => Shape::Blob,
        other => return Err(format!("shape {name}: type {other:?} is not known")),
    })
}

static LOADED: OnceLock<Result<Arc<ServiceModel>, String>> = OnceLock::new();

impl ServiceModel {
    /// Builds the model from the text of `service-2.json`.
    pub fn from_json(text: &[u8]) -> Result<ServiceModel, String> {
        let doc: Value =
            serde_json::from_slice(text).map_err(|e| format!("model is not JSON: {e}"))?;
        let operations = doc["operations"]
            .as_object()
            .ok_or("model has no operations")?
            .iter()
            .map(|(name, op)| {
                let shape = |k: &str| op[k]["shape"].as_str().map(str::to_string);
                let errors = op["errors"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["shape"].as_str())
                    .map(str::to_string)
                    .collect();
                (
                    name.clone(),
                    Operation {
                        input: shape("input"),
                        output: shape("output"),
                        errors,
                    },
                )
            })
            .collect();
        let mut shapes = BTreeMap::new();
        for (name, s) in doc["shapes"].as_object().ok_or("model has no shapes")? {
            shapes.insert(name.clone(), parse_shape(name, s)?);
        }
        let error_codes = doc["shapes"]["ValidationExceptionErrorCode"]["enum"]
            .as_array()
            .ok_or("model has no ValidationExceptionErrorCode")?
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        Ok(ServiceModel {
            target_prefix: doc["metadata"]["targetPrefix"]
                .as_str()
                .unwrap_or("AWSPartnerCentralSelling")
                .to_string(),
            operations,
            shapes,
            error_codes,
        })
    }

    /// The model, loaded once per process: from `PC_SERVICE_MODEL` (a path to the JSON), or from
    /// botocore through the python in `ACEBRIDGE_PYTHON` or the project's `.venv`.
    pub fn get() -> Result<Arc<ServiceModel>, String> {
        LOADED
            .get_or_init(|| {
                let text = match std::env::var_os(MODEL_ENV) {
                    Some(path) => std::fs::read(&path)
                        .map_err(|e| format!("{MODEL_ENV}={}: {e}", Path::new(&path).display()))?,
                    None => from_botocore()?,
                };
                ServiceModel::from_json(&text).map(Arc::new)
            })
            .clone()
    }

    /// The operation named `name`.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// Every operation's name.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    /// Whether `code` is one of the model's `ValidationExceptionErrorCode` values.
    pub fn is_error_code(&self, code: &str) -> bool {
        self.error_codes.contains(code)
    }

    /// The enum values of a string shape.
    pub fn enum_values(&self, shape: &str) -> Vec<String> {
        match self.shapes.get(shape) {
            Some(Shape::String {
                values: Some(v), ..
            }) => v.iter().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Validates `value` against the shape named `shape`; every violation, in member order.
    pub fn validate(&self, shape: &str, value: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        self.check(shape, value, "", &mut out);
        out
    }

    fn check(&self, shape: &str, v: &Value, at: &str, out: &mut Vec<Violation>) {
        let mut bad = |code: &'static str, message: String| {
            out.push(Violation {
                field: at.to_string(),
                code,
                message,
            })
        };
        let Some(s) = self.shapes.get(shape) else {
            bad(
                "INVALID_VALUE",
                format!("shape {shape} is not in the model"),
            );
            return;
        };
        match s {
            Shape::Structure {
                members,
                required,
                union,
            } => {
                let Some(obj) = v.as_object() else {
                    bad("INVALID_VALUE", format!("expected an object ({shape})"));
                    return;
                };
                for r in required {
                    if obj.get(r).is_none_or(Value::is_null) {
                        out.push(Violation {
                            field: join(at, r),
                            code: "REQUIRED_FIELD_MISSING",
                            message: format!("{} is required", join(at, r)),
                        });
                    }
                }
                let mut set = 0;
                for (k, x) in obj {
                    if x.is_null() {
                        continue;
                    }
                    match members.get(k) {
                        Some(member_shape) => {
                            set += 1;
                            self.check(member_shape, x, &join(at, k), out);
                        }
                        None => out.push(Violation {
                            field: join(at, k),
                            code: "INVALID_VALUE",
                            message: format!("{k} is not a member of {shape}"),
                        }),
                    }
                }
                if *union && set != 1 {
                    out.push(Violation {
                        field: at.to_string(),
                        code: "INVALID_VALUE",
                        message: format!("{shape} takes exactly one member, {set} given"),
                    });
                }
            }
            Shape::List { member, min, max } => {
                let Some(items) = v.as_array() else {
                    bad("INVALID_VALUE", format!("expected a list ({shape})"));
                    return;
                };
                let n = items.len() as f64;
                if min.is_some_and(|m| n < m) {
                    bad(
                        "NOT_ENOUGH_VALUES",
                        format!("{n} items, at least {} needed", min.unwrap_or(0.0)),
                    );
                }
                if max.is_some_and(|m| n > m) {
                    bad(
                        "TOO_MANY_VALUES",
                        format!("{n} items, at most {} allowed", max.unwrap_or(0.0)),
                    );
                }
                for (i, x) in items.iter().enumerate() {
                    self.check(member, x, &format!("{at}[{i}]"), out);
                }
            }
            Shape::Map {
                key,
                value,
                min,
                max,
            } => {
                let Some(obj) = v.as_object() else {
                    bad("INVALID_VALUE", format!("expected a map ({shape})"));
                    return;
                };
                let n = obj.len() as f64;
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    bad("VALUE_OUT_OF_RANGE", format!("{n} entries is out of range"));
                }
                for (k, x) in obj {
                    let path = join(at, k);
                    self.check(key, &Value::String(k.clone()), &path, out);
                    self.check(value, x, &path, out);
                }
            }
            Shape::String {
                values,
                pattern,
                min,
                max,
            } => {
                let Some(text) = v.as_str() else {
                    bad("INVALID_VALUE", format!("expected a string ({shape})"));
                    return;
                };
                if let Some(values) = values {
                    if !values.contains(text) {
                        bad(
                            "INVALID_ENUM_VALUE",
                            format!("{:?} is not one of {shape}'s values", clip(text)),
                        );
                    }
                    return;
                }
                let n = text.chars().count() as f64;
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    bad(
                        "INVALID_STRING_FORMAT",
                        format!(
                            "length {n} is outside {}..{}",
                            min.unwrap_or(0.0),
                            max.map_or("".into(), |m| m.to_string())
                        ),
                    );
                } else if let Some(p) = pattern
                    && !p.matches(text)
                {
                    bad(
                        "INVALID_STRING_FORMAT",
                        format!("{:?} does not match {}", clip(text), p.source),
                    );
                }
            }
            Shape::Integer { min, max } => match v.as_i64() {
                Some(n) => range(n as f64, *min, *max, &mut bad),
                None => bad("INVALID_VALUE", format!("expected an integer ({shape})")),
            },
            Shape::Double { min, max } => match v.as_f64() {
                Some(n) => range(n, *min, *max, &mut bad),
                None => bad("INVALID_VALUE", format!("expected a number ({shape})")),
            },
            Shape::Boolean => {
                if !v.is_boolean() {
                    bad("INVALID_VALUE", "expected true or false".into());
                }
            }
            Shape::Timestamp => {
                // `timestampFormat: iso8601` on the model's only timestamp shape (`DateTime`).
                let ok = v
                    .as_str()
                    .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok());
                if !ok {
                    bad(
                        "INVALID_STRING_FORMAT",
                        "expected an ISO 8601 date-time".into(),
                    );
                }
            }
            Shape::Blob => {
                if !v.is_string() {
                    bad("INVALID_VALUE", "expected base64 text".into());
                }
            }
        }
    }
}

fn range(n: f64, min: Option<f64>, max: Option<f64>, bad: &mut impl FnMut(&'static str, String)) {
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        bad(
            "VALUE_OUT_OF_RANGE",
            format!(
                "{n} is outside {}..{}",
                min.map_or(String::new(), |m| m.to_string()),
                max.map_or(String::new(), |m| m.to_string())
            ),
        );
    }
}

fn join(at: &str, k: &str) -> String {
    if at.is_empty() {
        k.to_string()
    } else {
        format!("{at}.{k}")
    }
}

/// A value quoted in a message, cut to 64 characters.
fn clip(s: &str) -> String {
    match s.char_indices().nth(64) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The python with botocore: `ACEBRIDGE_PYTHON`, else the first `.venv/bin/python` found from the
/// current directory upwards, else the one beside this crate's workspace.
fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os(PYTHON_ENV) {
        return Ok(PathBuf::from(p));
    }
    let starts = [
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    starts
        .into_iter()
        .flatten()
        .flat_map(|d| {
            d.ancestors()
                .map(|a| a.join(".venv/bin/python"))
                .collect::<Vec<_>>()
        })
        .find(|p| p.exists())
        .ok_or_else(|| {
            format!(
                "no .venv/bin/python found (run `make setup`, or set {PYTHON_ENV} or {MODEL_ENV})"
            )
        })
}

/// The model's JSON as botocore's own loader reads it (it finds the newest API version and
/// decompresses `service-2.json.gz`).
fn from_botocore() -> Result<Vec<u8>, String> {
    const SCRIPT: &str = "import json, sys, botocore.loaders\n\
        m = botocore.loaders.create_loader().load_service_model('partnercentral-selling', 'service-2')\n\
        sys.stdout.write(json.dumps(m))\n";
    let python = python()?;
    let out = std::process::Command::new(&python)
        .args(["-c", SCRIPT])
        .output()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} could not load botocore's partnercentral-selling model: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_leading_length_lookahead_becomes_a_char_count() {
        let p = Pattern::compile("(?=.{1,128}$)([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)").unwrap();
        assert!(p.matches("Key_1"));
        assert!(!p.matches(""));
        assert!(!p.matches(&"a".repeat(129)));
        assert!(!p.matches("no*star"));
    }

    /// A small model in botocore's format.
    fn tiny() -> ServiceModel {
        ServiceModel::from_json(
            serde_json::json!({
                "metadata": {"targetPrefix": "T"},
                "operations": {"Op": {"input": {"shape": "In"}, "errors": []}},
                "shapes": {
                    "In": {"type": "structure", "required": ["Id"], "members": {
                        "Id": {"shape": "Id"}, "Tags": {"shape": "Tags"}, "Pick": {"shape": "Pick"},
                        "N": {"shape": "N"}}},
                    "Id": {"type": "string", "pattern": "O[0-9]{1,19}"},
                    "Tags": {"type": "list", "member": {"shape": "Id"}, "max": 2},
                    "Pick": {"type": "structure", "union": true, "members": {
                        "A": {"shape": "Id"}, "B": {"shape": "Id"}}},
                    "N": {"type": "integer", "min": 1, "max": 100},
                    "ValidationExceptionErrorCode": {"type": "string", "enum": ["INVALID_VALUE"]}
                }
            })
            .to_string()
            .as_bytes(),
        )
        .unwrap()
    }

    fn codes(v: &[Violation]) -> Vec<(String, &'static str)> {
        v.iter().map(|x| (x.field.clone(), x.code)).collect()
    }

    #[test]
    fn what_botocore_cannot_send_is_refused_too() {
        let m = tiny();
        // An unknown member, a union with two members, a list too long, a number too big.
        let v = m.validate(
            "In",
            &serde_json::json!({"Id": "O1", "Extra": 1, "Pick": {"A": "O1", "B": "O2"},
                "Tags": ["O1", "O2", "O3"], "N": 101}),
        );
        let got = codes(&v);
        for want in [
            ("Extra".to_string(), "INVALID_VALUE"),
            ("Pick".to_string(), "INVALID_VALUE"),
            ("Tags".to_string(), "TOO_MANY_VALUES"),
            ("N".to_string(), "VALUE_OUT_OF_RANGE"),
        ] {
            assert!(got.contains(&want), "{want:?} not in {got:?}");
        }
        assert_eq!(
            codes(&m.validate("In", &serde_json::json!({"Tags": ["x"]}))),
            vec![
                ("Id".to_string(), "REQUIRED_FIELD_MISSING"),
                ("Tags[0]".to_string(), "INVALID_STRING_FORMAT")
            ]
        );
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let p = Pattern::compile("O[0-9]{1,19}").unwrap();
        assert!(p.matches("O123"));
        assert!(!p.matches("xO123"));
        assert!(!p.matches("O123x"));
    }
}
