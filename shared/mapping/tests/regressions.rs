//! Inputs that once broke the mapping, kept as tests (issue 16: no input crashes or silently loses data).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use acebridge_mapping::ace::{self, AceFile, AceOpportunity, writer};
use acebridge_mapping::api::ApiOpportunity;
use acebridge_mapping::ids::PartnerId;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap()
}

/// A 38-digit `ExpectedCustomerSpend.Amount` from the API (AWS's model allows any decimal string) is
/// written into an inbound file as its digits, and acebridge's own ACE parser reads the same digits back.
/// It was written as `1e38`, which the parser then refused.
#[test]
fn a_38_digit_api_amount_is_written_as_plain_digits_and_read_back_exactly() {
    let digits = "12345678901234567890123456789012345678";
    let mut api: Value = serde_json::from_slice(&fixture(
        "partner-central/requests/update_opportunity.aws-samples.json",
    ))
    .unwrap();
    api["Project"]["ExpectedCustomerSpend"][0]["Amount"] = Value::String(digits.into());
    let api: ApiOpportunity = serde_json::from_value(api).unwrap();
    let canonical = api.to_canonical().unwrap();
    let files = writer::opportunity_files(
        &[AceOpportunity::from_canonical(&canonical)],
        &PartnerId::parse("1234567890").unwrap(),
        "big-amount",
        // The file name's time only: any instant does.
        chrono::DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .to_utc(),
    )
    .unwrap();
    let body = String::from_utf8(files[0].body.clone()).unwrap();
    assert!(
        body.contains(&format!("\"expectedMonthlyAwsRevenue\":{digits}")),
        "{body}"
    );
    assert!(!body.contains("e38") && !body.contains("E38"));
    let AceFile::Opportunities(f) = ace::parse(body.as_bytes()).unwrap() else {
        panic!("not an opportunities file")
    };
    let back = f.records[0].as_ref().unwrap().to_canonical().unwrap();
    let spend = back.project.expected_spend.value().unwrap();
    assert_eq!(spend[0].amount.as_str(), digits);
}

/// An ACE file written by someone else in exponent form still reads, as plain decimal text.
#[test]
fn an_exponent_amount_in_an_ace_file_reads_as_plain_decimal() {
    let body = br#"{"version":"2.0","spmsId":"1234567890","opportunities":[
        {"partnerCrmUniqueIdentifier":"crm-1","expectedMonthlyAwsRevenue":1.5e3}]}"#;
    let AceFile::Opportunities(f) = ace::parse(body).unwrap() else {
        panic!("not an opportunities file")
    };
    let o = f.records[0].as_ref().unwrap().to_canonical().unwrap();
    assert_eq!(
        o.project.expected_spend.value().unwrap()[0].amount.as_str(),
        "1500"
    );
}

/// An unknown key nesting deeper than serde_json's recursion limit: the record is refused with a reason
/// naming the key; before, it parsed and silently lost all its unknown keys.
#[test]
fn an_unknown_key_nested_too_deep_refuses_the_record_and_names_the_key() {
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let body = format!(
        r#"{{"version":"2.0","spmsId":"1234567890","opportunities":[
        {{"partnerCrmUniqueIdentifier":"crm-1","customNote":"kept","zDeep":{deep}}},
        {{"partnerCrmUniqueIdentifier":"crm-2","customNote":"kept"}}]}}"#
    );
    let AceFile::Opportunities(f) = ace::parse(body.as_bytes()).unwrap() else {
        panic!("not an opportunities file")
    };
    let rejected = f.records[0].as_ref().unwrap_err();
    assert_eq!(rejected.field.as_deref(), Some("zDeep"), "{rejected:?}");
    assert!(rejected.message.contains("nest"), "{}", rejected.message);
    let fine = f.records[1].as_ref().unwrap();
    assert_eq!(fine.extensions["customNote"], "kept");
}

/// A 250,000-character value in the wrong place is named, not quoted whole.
#[test]
fn error_messages_quote_at_most_a_few_hundred_characters_of_a_value() {
    let huge = "x".repeat(250_000);
    let body = format!(
        r#"{{"version":"2.0","spmsId":"1234567890","opportunities":[
        {{"partnerCrmUniqueIdentifier":"crm-1","targetCloseDate":"{huge}"}},
        {{"partnerCrmUniqueIdentifier":"crm-2","solutionOffered":"{huge}"}}]}}"#
    );
    let AceFile::Opportunities(f) = ace::parse(body.as_bytes()).unwrap() else {
        panic!("not an opportunities file")
    };
    let problems: Vec<_> = f.canonical().map(|r| r.record.unwrap_err()).collect();
    assert_eq!(problems.len(), 2);
    for p in problems {
        assert!(p.message.len() < 500, "{} chars", p.message.len());
        assert!(
            p.message.contains("chars cut") || p.message.contains("(250000 chars)"),
            "{}",
            p.message
        );
        assert!(p.field.is_some());
    }
}
