//! The Selling API's timestamps as the model's `DateTime` members carry them on the wire (RFC 3339 in
//! UTC, to the millisecond): shared by the state and its tasks.

use chrono::{DateTime, SecondsFormat, Utc};

/// A timestamp as the service writes it.
pub fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
