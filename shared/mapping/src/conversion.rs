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

/// Reads a `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str, field: &str) -> Result<NaiveDate, ConversionError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        ConversionError::new(
            field,
            format!("expected a date YYYY-MM-DD, got {}", crate::quoted(s)),
        )
    })
}

/// Writes a `YYYY-MM-DD` date.
pub(crate) fn format_date(d: &NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
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
