//! AWS's field-definition tables, embedded verbatim (`data/*.csv`, from
//! aws-samples/partner-crm-integration-samples) and read once: standard values of every picklist, postal
//! code formats, countries without postal codes; plus `country-codes.csv`, our ACE country name ↔ ISO
//! 3166-1 alpha-2 table (the API's `CountryCode`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

const OPPORTUNITY_VALUES: &str = include_str!("../data/Opportunity_-_StandardValues.csv");
const LEAD_VALUES: &str = include_str!("../data/Lead_-_StandardValues.csv");
const POSTAL_CODES: &str = include_str!("../data/PostalCodeValidations.csv");
const NO_POSTAL_CODE: &str = include_str!("../data/CountriesWithoutPostalCode.csv");
const COUNTRY_CODES: &str = include_str!("../data/country-codes.csv");

/// Rows of an embedded CSV (BOM stripped, header row included). The files are ours, compiled in, and
/// checked by tests, so a malformed row is skipped rather than reported.
fn rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .collect()
}

/// Column-per-field table: header names → the non-blank values below them.
fn columns(text: &str, rename: impl Fn(&str) -> String) -> HashMap<String, BTreeSet<String>> {
    let rows = rows(text);
    let mut out: HashMap<String, BTreeSet<String>> = HashMap::new();
    let Some((header, body)) = rows.split_first() else {
        return out;
    };
    for (i, h) in header.iter().enumerate() {
        let values = body
            .iter()
            .filter_map(|r| r.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect();
        out.insert(rename(h.trim()), values);
    }
    out
}

static OPPORTUNITY: LazyLock<HashMap<String, BTreeSet<String>>> =
    LazyLock::new(|| columns(OPPORTUNITY_VALUES, str::to_string));

static LEAD: LazyLock<HashMap<String, BTreeSet<String>>> = LazyLock::new(|| {
    // The lead table's headers are labels ("Industry Vertical \n(required)"); map them to JSON names.
    columns(LEAD_VALUES, |h| {
        let h = h.to_ascii_lowercase();
        let name = if h.starts_with("industry") {
            "industry"
        } else if h.starts_with("country") {
            "country"
        } else if h.starts_with("state") {
            "state"
        } else if h.starts_with("status") {
            "status"
        } else if h.starts_with("use case") {
            "useCaseWorkload"
        } else if h.starts_with("current lead stage") {
            "currentLeadStage"
        } else {
            return h;
        };
        name.to_string()
    })
});

/// Standard values of an opportunity picklist, by its ACE JSON name (`industry`, `useCase`, …).
pub fn opportunity_values(field: &str) -> Option<&'static BTreeSet<String>> {
    OPPORTUNITY.get(field)
}

/// Standard values of a lead picklist, by its ACE JSON name.
pub fn lead_values(field: &str) -> Option<&'static BTreeSet<String>> {
    LEAD.get(field)
}

struct Countries {
    by_name: HashMap<String, String>,
    by_code: BTreeMap<String, String>,
}

static COUNTRIES: LazyLock<Countries> = LazyLock::new(|| {
    let mut by_name = HashMap::new();
    let mut by_code = BTreeMap::new();
    for r in rows(COUNTRY_CODES).into_iter().skip(1) {
        let (Some(name), Some(code)) = (r.first(), r.get(1)) else {
            continue;
        };
        if code.is_empty() {
            continue;
        }
        by_name.insert(name.clone(), code.clone());
        // The first name listed for a code is the one we write (United Kingdom before Great Britain).
        by_code.entry(code.clone()).or_insert_with(|| name.clone());
    }
    Countries { by_name, by_code }
});

/// ISO alpha-2 code of an ACE country name (`United States` → `US`).
pub fn country_code(ace_name: &str) -> Option<&'static str> {
    COUNTRIES.by_name.get(ace_name).map(String::as_str)
}

/// ACE country name of an ISO alpha-2 code.
pub fn country_name(code: &str) -> Option<&'static str> {
    COUNTRIES.by_code.get(code).map(String::as_str)
}

/// Every ISO code that has an ACE name.
pub fn country_codes() -> impl Iterator<Item = &'static str> {
    COUNTRIES.by_code.keys().map(String::as_str)
}

static NO_POSTAL: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    rows(NO_POSTAL_CODE)
        .into_iter()
        .skip(1)
        .filter_map(|r| r.into_iter().next())
        .map(|s| s.trim().to_string())
        .collect()
});

/// True when the country (ACE name) has no postal codes, so `postalCode` must be empty.
pub fn has_no_postal_code(ace_name: &str) -> bool {
    NO_POSTAL.contains(ace_name)
}

/// One token of a postal-code format as AWS writes it (`99999-9999`, `A9A 9A9`, `A(A)N(A/N) NAA`).
#[derive(Debug, Clone)]
enum Tok {
    Digit,
    Letter,
    AlNum,
    Lit(char),
    Opt(Box<Tok>),
}

/// The postal-code format of one country, with AWS's own error message.
#[derive(Debug, Clone)]
pub struct PostalFormat {
    alternatives: Vec<Vec<Tok>>,
    /// AWS's message for a postal code in the wrong format.
    pub message: String,
}

fn tokens(pattern: &str) -> Vec<Tok> {
    // A pattern with no placeholder at all ("DT3 6GB") is an example: its letters and digits are classes.
    let example = !pattern.contains(['9', 'A', 'N']);
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '('
            && let Some(end) = chars[i..].iter().position(|&c| c == ')')
        {
            let inner: String = chars[i + 1..i + end].iter().collect();
            let tok = match inner.as_str() {
                "A" => Tok::Letter,
                "N" | "9" => Tok::Digit,
                _ => Tok::AlNum,
            };
            out.push(Tok::Opt(Box::new(tok)));
            i += end + 1;
            continue;
        }
        out.push(match c {
            '9' | 'N' => Tok::Digit,
            'A' => Tok::Letter,
            c if example && c.is_ascii_digit() => Tok::Digit,
            c if example && c.is_ascii_alphabetic() => Tok::Letter,
            c => Tok::Lit(c),
        });
        i += 1;
    }
    out
}

fn tok_matches(t: &Tok, c: char) -> bool {
    match t {
        Tok::Digit => c.is_ascii_digit(),
        Tok::Letter => c.is_ascii_alphabetic(),
        Tok::AlNum => c.is_ascii_alphanumeric(),
        Tok::Lit(l) => l.eq_ignore_ascii_case(&c),
        Tok::Opt(_) => false,
    }
}

fn seq_matches(toks: &[Tok], s: &[char]) -> bool {
    match toks.split_first() {
        None => s.is_empty(),
        Some((Tok::Opt(inner), rest)) => {
            (s.first().is_some_and(|&c| tok_matches(inner, c)) && seq_matches(rest, &s[1..]))
                || seq_matches(rest, s)
        }
        Some((t, rest)) => {
            s.first().is_some_and(|&c| tok_matches(t, c)) && seq_matches(rest, &s[1..])
        }
    }
}

impl PostalFormat {
    fn parse(message: &str) -> Option<Self> {
        let start = message.find("must be in ")? + "must be in ".len();
        let end = message.rfind(" format")?;
        let spec = message.get(start..end)?;
        let alternatives = spec
            .split(" OR ")
            .flat_map(|p| p.split(" or "))
            .map(|p| tokens(p.trim()))
            .collect();
        Some(PostalFormat {
            alternatives,
            message: message.to_string(),
        })
    }

    /// True when the postal code has one of the country's formats.
    pub fn matches(&self, code: &str) -> bool {
        let chars: Vec<char> = code.trim().chars().collect();
        self.alternatives.iter().any(|a| seq_matches(a, &chars))
    }
}

static POSTAL: LazyLock<HashMap<String, PostalFormat>> = LazyLock::new(|| {
    rows(POSTAL_CODES)
        .into_iter()
        .skip(1)
        .filter_map(|r| {
            let name = r.first()?.trim().to_string();
            let fmt = PostalFormat::parse(r.get(1)?)?;
            Some((name, fmt))
        })
        .collect()
});

/// The postal-code format AWS checks for a country (ACE name), if it has one.
pub fn postal_format(ace_name: &str) -> Option<&'static PostalFormat> {
    POSTAL.get(ace_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_values_are_read() {
        let industry = opportunity_values("industry").unwrap();
        assert_eq!(industry.len(), 28);
        assert!(industry.contains("Software & Internet"));
        assert_eq!(opportunity_values("country").unwrap().len(), 251);
        assert!(
            opportunity_values("closedLostReason")
                .unwrap()
                .contains("Lost to Competitor – Google")
        );
        assert!(lead_values("useCaseWorkload").unwrap().contains("Big Data"));
        assert!(
            lead_values("currentLeadStage")
                .unwrap()
                .contains("Accepted")
        );
    }

    #[test]
    fn every_ace_country_but_one_has_an_iso_code_the_sdk_knows() {
        use aws_sdk_partnercentralselling::types::CountryCode;
        let mut missing = vec![];
        for name in opportunity_values("country").unwrap() {
            match country_code(name) {
                Some(code) => assert!(
                    CountryCode::values().contains(&code),
                    "{name} → {code} unknown to the SDK"
                ),
                None => missing.push(name.as_str()),
            }
        }
        assert_eq!(missing, vec!["Serbia and Montenegro"]);
        assert_eq!(country_code("United States"), Some("US"));
        assert_eq!(country_name("GB"), Some("United Kingdom"));
    }

    #[test]
    fn postal_formats() {
        let us = postal_format("United States").unwrap();
        assert!(us.matches("98101") && us.matches("98101-1234") && !us.matches("9810"));
        let ca = postal_format("Canada").unwrap();
        assert!(ca.matches("K1A 0B1") && ca.matches("K1A0B1") && !ca.matches("12345"));
        assert!(has_no_postal_code("Bolivia"));
        assert!(!has_no_postal_code("United States"));
    }
}
