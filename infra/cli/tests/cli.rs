//! The operator CLI, run as a process: exit codes, JSON report shape, conversions.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use assert_cmd::Command;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn write(dir: &tempfile::TempDir, name: &str, body: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// What one run of `acebridge` printed.
struct Run {
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap()
    }
}

/// Runs `acebridge ARGS FILES...` and checks its exit code.
fn run(args: &[&str], files: &[&Path], code: i32) -> Run {
    let out = Command::cargo_bin("acebridge")
        .unwrap()
        .args(args)
        .args(files)
        .assert()
        .code(code);
    let o = out.get_output();
    Run {
        stdout: String::from_utf8(o.stdout.clone()).unwrap(),
        stderr: String::from_utf8(o.stderr.clone()).unwrap(),
    }
}

const VALIDATE_JSON: &[&str] = &["validate", "--json", "--today", "2026-11-22"];

const VALID: &str = r#"{"version":"2.0","spmsId":"1588143","opportunities":[{
  "partnerCrmUniqueIdentifier":"crm-1","partnerProjectTitle":"Migration","projectDescription":"Move the data warehouse to AWS analytics.",
  "customerCompanyName":"Example Corp","customerWebsite":"https://example.com","industry":"Software & Internet",
  "country":"United States","state":"Washington","postalCode":"98101","targetCloseDate":"2030-01-31",
  "expectedMonthlyAwsRevenue":2500,"deliveryModel":"SaaS or PaaS","useCase":"Database",
  "salesActivities":"Initialized discussions with customer","partnerPrimaryNeedFromAws":"Co-Sell - Deal Support",
  "solutionOffered":["S-1234567"],"IsOppFromMarketingActivity":"No"}]}"#;

/// VALID plus a second record.
fn with_second(record: &str) -> String {
    VALID.replace("}]}", &format!("}},{record}]}}"))
}

#[test]
fn valid_file_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "ok.json", VALID);
    run(&["validate", "--today", "2026-11-22"], &[&f], 0);
}

#[test]
fn invalid_record_exits_one_and_names_file_record_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "bad.json", &VALID.replace("\"98101\"", "\"ABC\""));
    let doc = run(VALIDATE_JSON, &[&f], 1).json();
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

    let text = run(&["validate", "--today", "2026-11-22"], &[&f], 1).stdout;
    assert!(
        text.contains("bad.json: record 0 (crm-1): postalCode INVALID_STRING_FORMAT"),
        "{text}"
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
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let doc = run(&["validate", "--json"], &paths, 2).json();
    let errors: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["error"].as_str().unwrap())
        .collect();
    assert!(errors[0].starts_with("not valid JSON"));
    assert!(errors[1].contains("is not of type 'object'"));
    assert_eq!(errors[2], "the file is empty");
    run(&["validate"], &[&dir.path().join("missing.json")], 2);
}

#[test]
fn a_bad_record_does_not_hide_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "two.json",
        &with_second(
            r#"{"partnerCrmUniqueIdentifier":"crm-2","expectedMonthlyAwsRevenue":"lots"}"#,
        ),
    );
    let doc = run(VALIDATE_JSON, &[&f], 1).json();
    let recs = &doc["files"][0]["records"];
    assert_eq!(recs[0]["errors"].as_array().unwrap().len(), 0);
    assert_eq!(recs[1]["id"], "crm-2");
    assert_eq!(recs[1]["errors"][0]["field"], "expectedMonthlyAwsRevenue");
    assert_eq!(recs[1]["errors"][0]["code"], "INVALID_VALUE");
}

#[test]
fn a_value_that_cannot_be_read_is_a_format_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "date.json",
        &with_second(r#"{"apnCrmUniqueIdentifier":"O2","targetCloseDate":"next spring"}"#),
    );
    let doc = run(VALIDATE_JSON, &[&f], 1).json();
    let err = &doc["files"][0]["records"][1]["errors"][0];
    assert_eq!(err["field"], "targetCloseDate");
    assert_eq!(err["code"], "INVALID_STRING_FORMAT");
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
    let doc = run(&["validate", "--json"], &[&f], 1).json();
    assert_eq!(doc["files"][0]["errors"][0]["code"], "TOO_MANY_VALUES");
}

#[test]
fn convert_to_canonical_and_api() {
    let f = fixture("ace-s3/opportunity/Opportunity-Outbound-Sample.json");
    let v = run(&["convert", "--to", "canonical"], &[&f], 0).json();
    assert_eq!(v[0]["id"], "OXXXXXX");
    assert_eq!(
        v[0]["customer"]["address"]["country"],
        json!({"code": "US"})
    );
    assert_eq!(v[0]["customer"]["industry"], "Government");

    let v = run(&["convert", "--to", "api"], &[&f], 0).json();
    assert_eq!(v[0]["Identifier"], "OXXXXXX");
    assert_eq!(v[0]["Customer"]["Account"]["Address"]["CountryCode"], "US");

    let lead = fixture("ace-s3/lead/Lead-Outbound-Sample.json");
    let v = run(&["convert", "--to", "canonical"], &[&lead], 0).json();
    assert_eq!(v[0]["contact"]["email"], json!({"masked": true}));
    run(&["convert", "--to", "api"], &[&lead], 2);
}

#[test]
fn convert_prints_the_good_records_and_names_the_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "mixed.json",
        &with_second(r#"{"partnerCrmUniqueIdentifier":"crm-2","targetCloseDate":"next spring"}"#),
    );
    let out = run(&["convert", "--to", "api"], &[&f], 1);
    let v = out.json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["PartnerOpportunityIdentifier"], "crm-1");
    assert!(
        out.stderr
            .contains("mixed.json: record 1 (crm-2), field targetCloseDate:"),
        "{}",
        out.stderr
    );
}

/// `acebridge forget` as an operator runs it, against the local stack (moto, started by `make test`): a
/// term too short to name a customer is refused before anything is read; a run on fresh tables removes
/// nothing and says so as JSON. (What it removes is tested in acebridge-sync's `data_lifetime` tests.)
#[test]
fn forget_refuses_a_vague_customer_and_reports_what_it_removed_as_json() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or("http://127.0.0.1:4566".into());
    let n = std::process::id();
    let (ledger, crm, landing) = (
        format!("cli-ledger-{n}"),
        format!("cli-crm-{n}"),
        format!("cli-landing-{n}"),
    );
    let on_moto = || {
        let mut c = Command::cargo_bin("acebridge").unwrap();
        c.env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_REGION", "us-east-1");
        c
    };
    let cli = |args: &[&str], code: i32| {
        let out = on_moto().args(args).assert().code(code);
        let o = out.get_output();
        (
            String::from_utf8(o.stdout.clone()).unwrap(),
            String::from_utf8(o.stderr.clone()).unwrap(),
        )
    };
    let (_, err) = cli(
        &[
            "forget",
            "--ledger-table",
            &ledger,
            "--crm-table",
            &crm,
            "--company",
            "ab",
        ],
        2,
    );
    assert!(err.contains("\"ab\" is too short"), "{err}");
    cli(
        &[
            "local-init",
            "--ace-bucket",
            &format!("cli-ace-{n}"),
            "--landing-bucket",
            &landing,
            "--ledger-table",
            &ledger,
            "--crm-table",
            &crm,
        ],
        0,
    );
    let (out, err) = cli(
        &[
            "forget",
            "--ledger-table",
            &ledger,
            "--crm-table",
            &crm,
            "--bucket",
            &landing,
            "--email",
            "nobody@example.com",
        ],
        0,
    );
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    assert_eq!(
        v,
        json!({"store_records": [], "ledger_entries": [], "files": [], "old_versions": 0, "dry_run": false})
    );
    // `show` says where the day's Partner Central quota stands and where the reconcile pauses.
    let out = on_moto()
        .env("PC_READS_PER_DAY", "1000")
        .env("LIVE_RESERVE_PERCENT", "40")
        .args(["show", "--ledger-table", &ledger, "--crm-table", &crm])
        .assert()
        .code(0);
    let shown = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        shown.contains("Partner Central calls, last 24 hours"),
        "{shown}"
    );
    assert!(
        shown.contains("reconcile pauses at 600 (40% kept for live work)"),
        "{shown}"
    );
}

/// A `CRM Lead Changed` (a lead over the API) is checked as UpdateEngagementContext would check it: the
/// shipped example passes; a qualification status of 300 characters and a new interaction without its
/// contact's email are reported with the model's codes, and the exit code says so.
#[test]
fn a_crm_lead_change_is_validated_as_update_engagement_context_would() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../functions/crm-outbound/events/lead-changed.eventbridge.json");
    run(&["validate"], &[&example], 0);
    let mut bad: Value = serde_json::from_str(&std::fs::read_to_string(&example).unwrap()).unwrap();
    let lead = &mut bad["detail"]["lead"]["engagement"];
    lead["qualification_status"] = json!("x".repeat(300));
    lead["interactions"][0]["contact"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "lead.json", &bad.to_string());
    let doc = run(&["validate", "--json"], &[&f], 1).json();
    let errors = &doc["files"][0]["records"][0]["errors"];
    let codes: Vec<(&str, &str)> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("Payload.Lead.QualificationStatus", "VALUE_OUT_OF_RANGE"),
            (
                "Payload.Lead.Interaction.Contact.Email",
                "REQUIRED_FIELD_MISSING"
            ),
        ]
    );
}

/// A GetEngagement answer (a lead over the API; botocore's parser reads the fixture as GetEngagement's
/// output) converts to the canonical lead the CRM receives.
#[test]
fn a_get_engagement_answer_converts_to_the_canonical_lead() {
    let f = fixture("partner-central/responses/get_engagement.lead.json");
    let out = run(&["convert", "--to", "canonical"], &[&f], 0).json();
    let l = &out[0];
    assert_eq!(l["company"], json!("Example Lead Corp"));
    assert_eq!(l["contact"]["email"], json!("data.lead@lead.example.com"));
    assert_eq!(
        l["engagement"]["engagement_id"],
        json!("eng-00000000000030")
    );
    assert_eq!(l["engagement"]["qualification_status"], json!("New"));
    assert_eq!(l["engagement"]["readiness_score"], json!("Medium"));
    assert_eq!(
        l["audit"]["last_modified_at"],
        json!("2026-11-03T09:30:00.125Z")
    );
    run(&["convert", "--to", "api"], &[&f], 2);
}
