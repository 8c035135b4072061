//! What every converter shares: the error a field's value raises, and reading/writing the date and
//! date-time values both wire formats carry as text.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

/// A field whose value cannot be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{field}: {message}")]
pub struct ConversionError {
    /// Wire name of the field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl ConversionError {
    /// An error of the field with this wire name.
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        ConversionError {
            field: field.to_string(),
            message: crate::capped(message),
        }
    }
}

/// `%Y-%m-%d` as chrono's format items, built once: what `StrftimeItems::new("%Y-%m-%d")` yields, without
/// reading the format string again for every date.
const YMD: &[chrono::format::Item<'static>] = {
    use chrono::format::{Item, Numeric, Pad};
    &[
        Item::Numeric(Numeric::Year, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Month, Pad::Zero),
        Item::Literal("-"),
        Item::Numeric(Numeric::Day, Pad::Zero),
    ]
};

/// Reads a `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str, field: &str) -> Result<NaiveDate, ConversionError> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, s.trim(), YMD.iter())
        .and_then(|()| parsed.to_naive_date())
        .map_err(|_| {
            ConversionError::new(
                field,
                format!("expected a date YYYY-MM-DD, got {}", crate::quoted(s)),
            )
        })
}

/// Writes a `YYYY-MM-DD` date.
pub(crate) fn format_date(d: &NaiveDate) -> String {
    d.format_with_items(YMD.iter()).to_string()
}

/// Reads an RFC 3339 date-time (any offset) as UTC.
pub(crate) fn parse_datetime(s: &str, field: &str) -> Result<DateTime<Utc>, ConversionError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            ConversionError::new(
                field,
                format!(
                    "expected an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS.000Z), got {}",
                    crate::quoted(s)
                ),
            )
        })
}

/// Writes a UTC date-time with `Z`, with the given sub-second precision.
pub(crate) fn format_datetime(d: &DateTime<Utc>, precision: SecondsFormat) -> String {
    d.to_rfc3339_opts(precision, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The prebuilt items read and write dates exactly as chrono's own `%Y-%m-%d` does.
    #[test]
    fn dates_agree_with_chrono_s_format_string() {
        for s in [
            "2026-11-30",
            " 2026-01-05 ",
            "2026-1-5",
            "2026-02-30",
            "26-11-30",
            "2026/11/30",
            "2026-11-30T00:00:00Z",
            "+12026-11-30",
            "",
        ] {
            let ours = parse_date(s, "f").ok();
            assert_eq!(
                ours,
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
                "{s:?}"
            );
            if let Some(d) = ours {
                assert_eq!(format_date(&d), d.format("%Y-%m-%d").to_string());
            }
        }
    }
}
