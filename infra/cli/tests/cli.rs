//! The operator CLI, run as a process: exit codes, JSON report shape, conversions.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use assert_cmd::Command;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn acebridge() -> Command {
    Command::cargo_bin("acebridge").unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

const VALID: &str = r#"{"version":"2.0","spmsId":"1588143","opportunities":[{
  "partnerCrmUniqueIdentifier":"crm-1","partnerProjectTitle":"Migration","projectDescription":"Move the data warehouse to AWS analytics.",
  "customerCompanyName":"Example Corp","customerWebsite":"https://example.com","industry":"Software & Internet",
  "country":"United States","state":"Washington","postalCode":"98101","targetCloseDate":"2030-01-31",
  "expectedMonthlyAwsRevenue":2500,"deliveryModel":"SaaS or PaaS","useCase":"Database",
  "salesActivities":"Initialized discussions with customer","partnerPrimaryNeedFromAws":"Co-Sell - Deal Support",
  "solutionOffered":["S-1234567"],"IsOppFromMarketingActivity":"No"}]}"#;

#[test]
fn valid_file_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "ok.json", VALID);
    acebridge()
        .args(["validate", "--today", "2026-11-22"])
        .arg(&f)
        .assert()
        .code(0);
}

#[test]
fn invalid_record_exits_one_and_names_file_record_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "bad.json", &VALID.replace("\"98101\"", "\"ABC\""));
    let out = acebridge()
        .args(["validate", "--json", "--today", "2026-11-22"])
        .arg(&f)
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let file = &doc["files"][0];
    assert_eq!(file["file"], f.display().to_string());
    assert_eq!(file["kind"], "opportunity");
    assert_eq!(file["version"], "2.0");
    assert_eq!(file["records"][0]["index"], 0);
    assert_eq!(file["records"][0]["id"], "crm-1");
    assert_eq!(file["records"][0]["errors"][0]["field"], "postalCode");
    assert_eq!(
        file["records"][0]["errors"][0]["code"],
        "INVALID_STRING_FORMAT"
    );

    let text = acebridge()
        .args(["validate", "--today", "2026-11-22"])
        .arg(&f)
        .assert()
        .code(1);
    let stdout = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("bad.json: record 0 (crm-1): postalCode INVALID_STRING_FORMAT"),
        "{stdout}"
    );
}

#[test]
fn unreadable_files_exit_two_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        write(&dir, "notjson.json", "{nope"),
        write(&dir, "array.json", "[{\"a\":1}]"),
        write(&dir, "empty.json", ""),
    ];
    let out = acebridge()
        .args(["validate", "--json"])
        .args(&files)
        .assert()
        .code(2);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let errors: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["error"].as_str().unwrap())
        .collect();
    assert!(errors[0].starts_with("not valid JSON"));
    assert!(errors[1].contains("is not of type 'object'"));
    assert_eq!(errors[2], "the file is empty");
    acebridge()
        .args(["validate"])
        .arg(dir.path().join("missing.json"))
        .assert()
        .code(2);
}

#[test]
fn a_bad_record_does_not_hide_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let two = VALID.replace(
        "}]}",
        r#"},{"partnerCrmUniqueIdentifier":"crm-2","expectedMonthlyAwsRevenue":"lots"}]}"#,
    );
    let f = write(&dir, "two.json", &two);
    let out = acebridge()
        .args(["validate", "--json", "--today", "2026-11-22"])
        .arg(&f)
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let recs = &doc["files"][0]["records"];
    assert_eq!(recs[0]["errors"].as_array().unwrap().len(), 0);
    assert_eq!(recs[1]["id"], "crm-2");
    assert_eq!(recs[1]["errors"][0]["field"], "expectedMonthlyAwsRevenue");
}

#[test]
fn too_many_records_is_a_file_error() {
    let dir = tempfile::tempdir().unwrap();
    let recs = vec![r#"{"apnCrmUniqueIdentifier":"O1","nextStep":"x"}"#; 51].join(",");
    let f = write(
        &dir,
        "many.json",
        &format!(r#"{{"version":"2.0","opportunities":[{recs}]}}"#),
    );
    let out = acebridge()
        .args(["validate", "--json"])
        .arg(&f)
        .assert()
        .code(1);
    let doc: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["files"][0]["errors"][0]["code"], "TOO_MANY_VALUES");
}

#[test]
fn convert_to_canonical_and_api() {
    let f = fixture("ace-s3/opportunity/Opportunity-Outbound-Sample.json");
    let out = acebridge()
        .args(["convert", "--to", "canonical"])
        .arg(&f)
        .assert()
        .code(0);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v[0]["id"], "OXXXXXX");
    assert_eq!(
        v[0]["customer"]["address"]["country"],
        serde_json::json!({"code": "US"})
    );
    assert_eq!(v[0]["customer"]["industry"], "Government");

    let out = acebridge()
        .args(["convert", "--to", "api"])
        .arg(&f)
        .assert()
        .code(0);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v[0]["Identifier"], "OXXXXXX");
    assert_eq!(v[0]["Customer"]["Account"]["Address"]["CountryCode"], "US");

    let lead = fixture("ace-s3/lead/Lead-Outbound-Sample.json");
    let out = acebridge()
        .args(["convert", "--to", "canonical"])
        .arg(&lead)
        .assert()
        .code(0);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        v[0]["contact"]["email"],
        serde_json::json!({"masked": true})
    );
    acebridge()
        .args(["convert", "--to", "api"])
        .arg(&lead)
        .assert()
        .code(2);
}
