//! Inputs that once panicked a function (found by mutating inputs; issue "Hardening"), kept as
//! regression tests: each is now a clear error or a harmless value, never a panic.

use acebridge_crm::config::{DateExpr, MappingConfig};
use acebridge_crm::paths::Kind;
use acebridge_crm::signature;
use acebridge_crm::transform;
use serde_json::json;

#[test]
fn a_crm_date_with_multibyte_characters_does_not_split_one() {
    let mapping = MappingConfig::load("hubspot-deals").expect("shipped mapping");
    let deals = mapping.object(Kind::Opportunity).expect("deals");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    for value in ["2026-12-🇺31", "2026-12-31T00:00é", "🇺🇺🇺🇺🇺🇺🇺🇺🇺🇺🇺"]
    {
        let record = json!({"id": "901", "properties": {"dealname": "X", "closedate": value}});
        // No panic; what is not a date is refused later by validation, naming the field.
        let _ = transform::to_canonical(deals, &record, "901", today);
    }
}

#[test]
fn fallback_date_expressions_refuse_what_they_cannot_read() {
    for bad in [
        "today+5é",
        "today+é",
        "today+",
        "today-9223372036854775807w",
        "today+9223372036854775807w",
        "today+36526d",
    ] {
        let e = DateExpr::parse(bad).expect_err(bad);
        assert!(e.contains("today"), "{bad}: {e}");
    }
    assert!(DateExpr::parse("today+36525d").is_ok());
}

#[test]
fn extreme_signature_timestamps_are_stale_not_an_overflow() {
    let now = chrono::Utc::now();
    for ts in [i64::MIN.to_string(), i64::MAX.to_string()] {
        assert!(
            signature::webhook_verify(b"k", Some(&ts), Some("v1=00"), b"{}", now).is_err(),
            "{ts}"
        );
        assert!(
            signature::hubspot_v3_verify(
                b"k",
                "POST",
                "https://x/",
                b"{}",
                Some(&ts),
                Some("AA=="),
                now
            )
            .is_err(),
            "{ts}"
        );
    }
}
