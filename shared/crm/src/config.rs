//! The field-mapping configuration: which canonical field goes to which CRM field, in which direction,
//! with which picklist translation, and what to fill in when the CRM leaves a field AWS requires empty.
//!
//! A YAML (or JSON) file, read and checked once at start-up; every error names the file's line and the
//! field. See `docs/mapping.md`; ready configurations ship in `shared/crm/mappings/`.

use crate::paths::{self, Kind};
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::marker::PhantomData;

/// Which CRM the configuration is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrmKind {
    /// Salesforce (REST API, sObjects).
    Salesforce,
    /// HubSpot (CRM v3 objects).
    Hubspot,
    /// A partner's own system behind a signed webhook.
    Webhook,
}

/// Which way a field flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Written into the CRM from AWS's record; never read back.
    AwsToCrm,
    /// Read from the CRM and sent to AWS; never overwritten from AWS.
    CrmToAws,
    /// Both ways.
    Both,
    /// Neither (a documented placeholder; a fallback may still fill the canonical field).
    None,
}

impl Direction {
    /// AWS → CRM.
    pub fn to_crm(self) -> bool {
        matches!(self, Direction::AwsToCrm | Direction::Both)
    }
    /// CRM → AWS.
    pub fn to_aws(self) -> bool {
        matches!(self, Direction::CrmToAws | Direction::Both)
    }
}

/// What a CRM field holds, when it is not what the canonical field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// As it is.
    #[default]
    Text,
    /// A date; a date-time from the CRM is cut to its date (`2026-05-01T00:00:00Z` → `2026-05-01`).
    Date,
    /// A number; a JSON number from the CRM becomes the canonical decimal string.
    Number,
    /// A list written as one `;`-separated string (Salesforce multi-select picklists, HubSpot
    /// checkboxes).
    List,
}

/// A date relative to the day of the sync: `today`, `today+30d`, `today-2w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateExpr {
    /// Days from today (may be negative).
    pub days: i64,
}

impl DateExpr {
    /// Reads `today`, `today+Nd`, `today-Nd`, `today+Nw`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let Some(rest) = t.strip_prefix("today") else {
            return Err(format!("`{t}`: a date expression starts with `today`"));
        };
        if rest.is_empty() {
            return Ok(DateExpr { days: 0 });
        }
        let (sign, rest) = match rest.as_bytes().first() {
            Some(b'+') => (1, &rest[1..]),
            Some(b'-') => (-1, &rest[1..]),
            _ => return Err(format!("`{t}`: expected `today+Nd` or `today-Nd`")),
        };
        // The unit is the last character (split on a char boundary, whatever the input holds).
        let Some(unit) = rest.chars().last() else {
            return Err(format!("`{t}`: expected `today+Nd` or `today-Nd`"));
        };
        let num = &rest[..rest.len() - unit.len_utf8()];
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{t}`: `{num}` is not a number of days or weeks"))?;
        let per = match unit {
            'd' => 1,
            'w' => 7,
            _ => return Err(format!("`{t}`: the unit is `d` (days) or `w` (weeks)")),
        };
        // A date more than 100 years away is no fallback anyone means (and would overflow).
        const LIMIT_DAYS: i64 = 36_525;
        let days = n
            .checked_mul(per)
            .filter(|d| *d <= LIMIT_DAYS)
            .ok_or_else(|| format!("`{t}`: at most {LIMIT_DAYS} days (100 years) from today"))?;
        Ok(DateExpr { days: sign * days })
    }

    /// The date it names, counted from `today`.
    pub fn on(self, today: NaiveDate) -> NaiveDate {
        let d = Days::new(self.days.unsigned_abs());
        let moved = if self.days >= 0 {
            today.checked_add_days(d)
        } else {
            today.checked_sub_days(d)
        };
        moved.unwrap_or(today)
    }
}

/// What fills a canonical field the CRM left empty, before the record is validated for AWS.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// A constant.
    Constant(Value),
    /// Another canonical field's value.
    Field(String),
    /// A date relative to the sync.
    Date(DateExpr),
}

/// `{constant: …}`, `{field: …}` or `{date: …}`: exactly one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFallback {
    #[serde(default)]
    constant: Option<Value>,
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

/// One mapped field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    /// The canonical path (`project.title`).
    pub canonical: String,
    /// The CRM field (`Name`, `dealname`, `Account.Name`, `company.domain`); none for a fallback only.
    pub crm: Option<String>,
    /// Which way it flows.
    pub direction: Direction,
    /// What the CRM field holds.
    pub value_type: ValueType,
    /// AWS value → CRM value.
    pub to_crm: BTreeMap<String, String>,
    /// CRM value → AWS value (the inverse of `picklist` unless given).
    pub to_aws: BTreeMap<String, String>,
    /// Filled in CRM → AWS when the CRM leaves it empty.
    pub fallback: Option<Fallback>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    canonical: String,
    #[serde(default)]
    crm: Option<String>,
    #[serde(default)]
    direction: Option<Direction>,
    #[serde(default, rename = "type")]
    value_type: ValueType,
    #[serde(default)]
    picklist: BTreeMap<String, String>,
    #[serde(default)]
    crm_to_aws: Option<BTreeMap<String, String>>,
    #[serde(default)]
    fallback: Option<RawFallback>,
}

/// The record kind a part of the configuration is for, as a type (so that each field checks itself
/// while the file is read, and its error carries the line).
pub trait KindMarker {
    /// The kind.
    const KIND: Kind;
}

/// Marks the `opportunity:` part.
#[derive(Debug, Clone, PartialEq)]
pub struct OpportunityKind;
impl KindMarker for OpportunityKind {
    const KIND: Kind = Kind::Opportunity;
}

/// Marks the `lead:` part.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadKind;
impl KindMarker for LeadKind {
    const KIND: Kind = Kind::Lead;
}

/// Marks the `referral:` part.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralKind;
impl KindMarker for ReferralKind {
    const KIND: Kind = Kind::Referral;
}

/// A field mapping checked against kind `K` while it is read.
#[derive(Debug, Clone, PartialEq)]
struct Checked<K>(FieldMapping, PhantomData<K>);

impl<'de, K: KindMarker> Deserialize<'de> for Checked<K> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawField::deserialize(d)?;
        check_field::<K>(raw)
            .map(|f| Checked(f, PhantomData))
            .map_err(|(key, message)| {
                serde::de::Error::custom(format!("{KEY_MARK}{key}{KEY_MARK}{message}"))
            })
    }
}

/// Marks the key an error of [`check_field`] is about, inside serde's message (taken out again by
/// [`MappingConfig::parse`], which uses it to find the line).
const KEY_MARK: char = '\u{1}';

fn check_field<K: KindMarker>(raw: RawField) -> Result<FieldMapping, (&'static str, String)> {
    let kind = K::KIND;
    let c = raw.canonical.trim().to_string();
    let sync_field = paths::SYNC_PATHS.contains(&c.as_str());
    if !sync_field && !kind.paths().contains(&c.as_str()) {
        let near: Vec<&str> = kind
            .paths()
            .iter()
            .filter(|p| {
                let last = c.rsplit('.').next().unwrap_or(&c);
                p.ends_with(last)
            })
            .copied()
            .collect();
        return Err((
            "canonical",
            format!(
                "`{c}` is not a canonical {} field{}",
                kind.as_str(),
                if near.is_empty() {
                    " (see docs/mapping.md for the list)".to_string()
                } else {
                    format!(" (did you mean {}?)", near.join(", "))
                }
            ),
        ));
    }
    let direction = match (raw.direction, &raw.crm) {
        (Some(d), _) => d,
        (None, Some(_)) => Direction::Both,
        (None, None) => Direction::None,
    };
    let crm = raw.crm.map(|s| s.trim().to_string());
    match (&crm, direction) {
        (None, d) if d != Direction::None => {
            return Err((
                "direction",
                format!("`{c}`: direction `{d:?}` needs a `crm` field name"),
            ));
        }
        (Some(f), _) if f.is_empty() => return Err(("crm", format!("`{c}`: `crm` is empty"))),
        (None, _) if raw.fallback.is_none() => {
            return Err((
                "fallback",
                format!("`{c}`: neither a `crm` field nor a `fallback`"),
            ));
        }
        _ => {}
    }
    if sync_field && direction.to_aws() {
        return Err((
            "direction",
            format!("`{c}` is AWS's answer to the partner: it can only flow aws_to_crm"),
        ));
    }
    for aws_value in raw.picklist.keys() {
        if !sync_field && !kind.accepts(&c, &Value::String(aws_value.clone())) {
            return Err((
                "picklist",
                format!(
                    "`{c}`: picklist value `{aws_value}` is not a value AWS accepts for this field"
                ),
            ));
        }
    }
    let to_aws = match raw.crm_to_aws {
        Some(m) => m,
        None => {
            let mut inverse = BTreeMap::new();
            for (aws, crm_value) in &raw.picklist {
                if let Some(other) = inverse.insert(crm_value.clone(), aws.clone())
                    && direction.to_aws()
                {
                    return Err((
                        "crm_to_aws",
                        format!(
                            "`{c}`: CRM value `{crm_value}` maps back to both `{other}` and `{aws}`; add `crm_to_aws` to say which"
                        ),
                    ));
                }
            }
            inverse
        }
    };
    for aws_value in to_aws.values() {
        if !kind.accepts(&c, &Value::String(aws_value.clone())) {
            return Err((
                "crm_to_aws",
                format!(
                    "`{c}`: crm_to_aws value `{aws_value}` is not a value AWS accepts for this field"
                ),
            ));
        }
    }
    let fallback = match raw.fallback.map(|f| (f.constant, f.field, f.date)) {
        None => None,
        Some(_) if direction == Direction::AwsToCrm => {
            return Err((
                "fallback",
                format!(
                    "`{c}`: a fallback fills what the CRM sends AWS; it has no use on an aws_to_crm field"
                ),
            ));
        }
        Some((Some(v), None, None)) => {
            if !kind.accepts(&c, &v) {
                return Err((
                    "fallback",
                    format!(
                        "`{c}`: fallback constant {v} is not a value AWS accepts for this field"
                    ),
                ));
            }
            Some(Fallback::Constant(v))
        }
        Some((None, Some(f), None)) => {
            let f = f.trim().to_string();
            if !kind.paths().contains(&f.as_str()) {
                return Err((
                    "fallback",
                    format!(
                        "`{c}`: fallback field `{f}` is not a canonical {} field",
                        kind.as_str()
                    ),
                ));
            }
            Some(Fallback::Field(f))
        }
        Some((None, None, Some(e))) => {
            let expr = DateExpr::parse(&e)
                .map_err(|m| ("fallback", format!("`{c}`: fallback date {m}")))?;
            if !kind.accepts(&c, &Value::String("2026-01-31".into())) {
                return Err((
                    "fallback",
                    format!("`{c}`: a date fallback on a field that is not a date"),
                ));
            }
            Some(Fallback::Date(expr))
        }
        Some(_) => {
            return Err((
                "fallback",
                format!("`{c}`: a fallback is one of {{constant: …}}, {{field: …}} or {{date: …}}"),
            ));
        }
    };
    Ok(FieldMapping {
        canonical: c,
        crm,
        direction,
        value_type: raw.value_type,
        to_crm: raw.picklist,
        to_aws,
        fallback,
    })
}

/// When a CRM record asks to be submitted to AWS.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRule {
    /// The CRM field (a checkbox, or a picklist compared with `equals`).
    pub crm: String,
    /// The value that means "submit" (default `true`).
    #[serde(default = "yes")]
    pub equals: Value,
    /// `Co-Sell` or `For Visibility Only`.
    pub involvement_type: String,
    /// `Full` or `Limited`.
    #[serde(default)]
    pub visibility: Option<String>,
}

fn yes() -> Value {
    Value::Bool(true)
}

/// When a CRM lead (one AWS sent over the API) asks to be converted to an opportunity
/// (StartOpportunityFromEngagementTask).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConvertRule {
    /// The CRM field (a checkbox, or a picklist compared with `equals`).
    pub crm: String,
    /// The value that means "convert" (default `true`).
    #[serde(default = "yes")]
    pub equals: Value,
}

/// How a CRM user decides an AWS referral (the `referral:` part): a field whose value means accept
/// or reject, and the field holding the rejection reason.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRule {
    /// The decision field.
    pub crm: String,
    /// The value that accepts (default `Accept`).
    #[serde(default = "accept")]
    pub accept: String,
    /// The value that rejects (default `Reject`).
    #[serde(default = "reject")]
    pub reject: String,
    /// The field with the rejection reason (one of Partner Central's reasons).
    #[serde(default)]
    pub reason: Option<String>,
}

fn accept() -> String {
    "Accept".into()
}

fn reject() -> String {
    "Reject".into()
}

/// The mapping of one record kind onto one CRM object.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMapping {
    /// The CRM object (`Opportunity`, `Lead`, `My_Deal__c`, `deals`, `leads`).
    pub object: String,
    /// The CRM field holding AWS's id: the upsert key for records that came from AWS.
    pub aws_id_field: String,
    /// The mapped fields.
    pub fields: Vec<FieldMapping>,
    /// When the CRM asks for a submission to AWS.
    pub submit: Option<SubmitRule>,
    /// When the CRM asks to convert a lead (the `lead:` part only).
    pub convert: Option<ConvertRule>,
    /// How the CRM decides a referral (the `referral:` part only).
    pub decision: Option<DecisionRule>,
}

impl ObjectMapping {
    /// Every CRM field read when a record is fetched (CRM → AWS), the AWS id field first.
    pub fn crm_fields_read(&self) -> Vec<&str> {
        let mut out = vec![self.aws_id_field.as_str()];
        for f in &self.fields {
            if let Some(crm) = &f.crm
                && f.direction.to_aws()
                && !out.contains(&crm.as_str())
            {
                out.push(crm);
            }
        }
        for rule in [
            self.submit.as_ref().map(|s| &s.crm),
            self.convert.as_ref().map(|c| &c.crm),
        ]
        .into_iter()
        .flatten()
        {
            if !out.contains(&rule.as_str()) {
                out.push(rule);
            }
        }
        if let Some(d) = &self.decision {
            for f in std::iter::once(&d.crm).chain(d.reason.as_ref()) {
                if !out.contains(&f.as_str()) {
                    out.push(f);
                }
            }
        }
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
struct RawObject<K: KindMarker> {
    object: String,
    aws_id_field: String,
    fields: Vec<Checked<K>>,
    #[serde(default)]
    submit: Option<SubmitRule>,
    #[serde(default)]
    convert: Option<ConvertRule>,
    #[serde(default)]
    decision: Option<DecisionRule>,
}

#[derive(Debug, Clone, PartialEq)]
struct CheckedObject<K>(ObjectMapping, PhantomData<K>);

impl<'de, K: KindMarker> Deserialize<'de> for CheckedObject<K> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawObject::<K>::deserialize(d)?;
        let fields: Vec<FieldMapping> = raw.fields.into_iter().map(|c| c.0).collect();
        let mut read_into = HashSet::new();
        let mut written = HashSet::new();
        for f in &fields {
            if (f.direction.to_aws() || f.fallback.is_some())
                && !read_into.insert(f.canonical.as_str())
            {
                return Err(serde::de::Error::custom(format!(
                    "`{}` is filled from the CRM twice; keep one mapping",
                    f.canonical
                )));
            }
            if let Some(crm) = &f.crm
                && f.direction.to_crm()
                && !written.insert(crm.as_str())
            {
                return Err(serde::de::Error::custom(format!(
                    "CRM field `{crm}` is written from AWS twice; keep one mapping"
                )));
            }
        }
        if raw.decision.is_some() != (K::KIND == Kind::Referral) {
            return Err(serde::de::Error::custom(if K::KIND == Kind::Referral {
                "`referral` needs a `decision` rule: the CRM field whose value accepts or rejects"
            } else {
                "`decision` belongs to the `referral` part"
            }));
        }
        if raw.submit.is_some() && K::KIND != Kind::Opportunity {
            return Err(serde::de::Error::custom(
                "`submit` belongs to the `opportunity` part",
            ));
        }
        if raw.convert.is_some() && K::KIND != Kind::Lead {
            return Err(serde::de::Error::custom(
                "`convert` belongs to the `lead` part",
            ));
        }
        if raw.object.trim().is_empty() || raw.aws_id_field.trim().is_empty() {
            return Err(serde::de::Error::custom(
                "`object` and `aws_id_field` must not be empty",
            ));
        }
        Ok(CheckedObject(
            ObjectMapping {
                object: raw.object,
                aws_id_field: raw.aws_id_field,
                fields,
                submit: raw.submit,
                convert: raw.convert,
                decision: raw.decision,
            },
            PhantomData,
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    crm: CrmKind,
    #[serde(default)]
    opportunity: Option<CheckedObject<OpportunityKind>>,
    #[serde(default)]
    lead: Option<CheckedObject<LeadKind>>,
    #[serde(default)]
    referral: Option<CheckedObject<ReferralKind>>,
}

/// A checked field-mapping configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct MappingConfig {
    /// The CRM it is for.
    pub crm: CrmKind,
    /// Opportunities.
    pub opportunity: Option<ObjectMapping>,
    /// Leads.
    pub lead: Option<ObjectMapping>,
    /// AWS referrals waiting for a decision (engagement invitations).
    pub referral: Option<ObjectMapping>,
}

/// A configuration that cannot be used: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct ConfigError {
    /// The file (or built-in name).
    pub source_name: String,
    /// Line (1-based), when known.
    pub line: Option<usize>,
    /// What is wrong, naming the field.
    pub message: String,
}

/// The configurations that ship with acebridge, by name.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "salesforce-standard",
        include_str!("../mappings/salesforce-standard.yaml"),
    ),
    (
        "hubspot-deals",
        include_str!("../mappings/hubspot-deals.yaml"),
    ),
    (
        "webhook-canonical",
        include_str!("../mappings/webhook-canonical.yaml"),
    ),
];

impl MappingConfig {
    /// Reads and checks a configuration. `source_name` names it in errors.
    pub fn parse(source_name: &str, text: &str) -> Result<Self, ConfigError> {
        let de = serde_norway::Deserializer::from_str(text);
        let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let mut path = e.path().to_string();
            let inner = e.into_inner();
            let mut raw = inner.to_string();
            if let Some(start) = raw.find(KEY_MARK)
                && let Some(len) = raw[start + 1..].find(KEY_MARK)
            {
                let key = raw[start + 1..start + 1 + len].to_string();
                raw.replace_range(start..start + len + 2, "");
                path = format!("{path}.{key}");
            }
            // serde_norway places errors raised by a list element at the list; find the element.
            let line = locate(text, &path).or_else(|| inner.location().map(|l| l.line()));
            let mut message = raw;
            // serde_norway ends its message with " at line L column C" and may start it with its own
            // path; keep one form.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            if let Some((head, rest)) = message.split_once(": ")
                && !head.contains(' ')
                && path.starts_with(head)
            {
                message = rest.to_string();
            }
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            let path = if path == "." || message.starts_with(&path) {
                String::new()
            } else {
                format!("{path}: ")
            };
            ConfigError {
                source_name: source_name.to_string(),
                line,
                message: format!("{at}{path}{message}"),
            }
        })?;
        let config = MappingConfig {
            crm: raw.crm,
            opportunity: raw.opportunity.map(|o| o.0),
            lead: raw.lead.map(|o| o.0),
            referral: raw.referral.map(|o| o.0),
        };
        config.check_for_crm(source_name, text)?;
        Ok(config)
    }

    /// A built-in configuration by name, or a file by path.
    pub fn load(name_or_path: &str) -> Result<Self, ConfigError> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(name, text);
        }
        let text = std::fs::read_to_string(name_or_path).map_err(|e| ConfigError {
            source_name: name_or_path.to_string(),
            line: None,
            message: format!(
                "cannot read it ({e}); built-in configurations: {}",
                BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
        Self::parse(name_or_path, &text)
    }

    /// The mapping for a kind.
    pub fn object(&self, kind: Kind) -> Option<&ObjectMapping> {
        match kind {
            Kind::Opportunity => self.opportunity.as_ref(),
            Kind::Lead => self.lead.as_ref(),
            Kind::Referral => self.referral.as_ref(),
        }
    }

    /// Rules that depend on the CRM.
    fn check_for_crm(&self, source_name: &str, text: &str) -> Result<(), ConfigError> {
        for (kind, object) in [
            (Kind::Opportunity, &self.opportunity),
            (Kind::Lead, &self.lead),
            (Kind::Referral, &self.referral),
        ] {
            let Some(object) = object else { continue };
            for f in &object.fields {
                let Some(crm) = &f.crm else { continue };
                let problem = match self.crm {
                    CrmKind::Salesforce if crm.contains('.') && f.direction.to_crm() => {
                        Some(format!(
                            "`{crm}` is a relationship field: Salesforce does not write it through {}; use direction crm_to_aws",
                            object.object
                        ))
                    }
                    CrmKind::Hubspot if crm.contains('.') && !crm.starts_with("company.") => {
                        Some(format!(
                            "`{crm}`: HubSpot properties have no dots; only `company.<property>` (the associated company) is understood"
                        ))
                    }
                    _ => None,
                };
                if let Some(message) = problem {
                    let line = line_of(text, crm);
                    return Err(ConfigError {
                        source_name: source_name.to_string(),
                        line,
                        message: format!(
                            "{}{}.fields ({}): {message}",
                            line.map(|l| format!("line {l}: ")).unwrap_or_default(),
                            kind.as_str(),
                            f.canonical
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The line (1-based) of `<kind>.fields[N]` (and of its key, for `<kind>.fields[N].key`) in a
/// block-style configuration.
fn locate(text: &str, path: &str) -> Option<usize> {
    let (kind, rest) = path.split_once(".fields[")?;
    let (index, rest) = rest.split_once(']')?;
    let index: usize = index.parse().ok()?;
    let key = rest
        .strip_prefix('.')
        .and_then(|k| k.split(['.', '[']).next());
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let start = lines
        .iter()
        .position(|l| indent(l) == 0 && l.trim_end() == format!("{kind}:"))?;
    let fields = start
        + 1
        + lines[start + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with("fields:"))?;
    let mut item_indent = None;
    let mut n = 0;
    for (i, l) in lines.iter().enumerate().skip(fields + 1) {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if indent(l) <= indent(lines[fields]) && !l.trim_start().starts_with("- ") {
            return None;
        }
        if l.trim_start().starts_with("- ") && *item_indent.get_or_insert(indent(l)) == indent(l) {
            if n == index {
                let Some(key) = key else { return Some(i + 1) };
                // The key's own line, if the item spans several.
                let end = lines[i + 1..]
                    .iter()
                    .position(|m| m.trim_start().starts_with("- ") && indent(m) == indent(l))
                    .map_or(lines.len(), |p| i + 1 + p);
                return lines[i..end]
                    .iter()
                    .position(|m| m.contains(&format!("{key}:")))
                    .map(|p| i + p + 1)
                    .or(Some(i + 1));
            }
            n += 1;
        }
    }
    None
}

/// The first line (1-based) that names `needle` as a value.
fn line_of(text: &str, needle: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            ["", "\"", "'"].iter().any(|q| {
                l.split(&format!("crm: {q}{needle}{q}"))
                    .nth(1)
                    .is_some_and(|after| {
                        after.is_empty() || after.starts_with([',', '}', ' ', '#'])
                    })
            })
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_expressions() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        assert_eq!(DateExpr::parse("today").expect("ok").on(today), today);
        assert_eq!(
            DateExpr::parse("today+30d")
                .expect("ok")
                .on(today)
                .to_string(),
            "2026-12-22"
        );
        assert_eq!(
            DateExpr::parse("today-2w")
                .expect("ok")
                .on(today)
                .to_string(),
            "2026-11-08"
        );
        assert!(DateExpr::parse("tomorrow").is_err());
        assert!(DateExpr::parse("today+3m").is_err());
        assert!(DateExpr::parse("today+xd").is_err());
    }

    #[test]
    fn every_built_in_configuration_loads() {
        for (name, _) in BUILT_IN {
            MappingConfig::load(name).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}
