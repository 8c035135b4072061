//! No PII in logs: runs the S3 channel, the Partner Central channel and CRM → AWS end to end with the
//! functions' JSON log format captured, then looks for every email, phone number and person name in the
//! fixtures (and the tests' own) in what was logged.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_sync::crm_side::outbound::{OpportunityChanged, push_opportunity};
use acebridge_sync::model::policy::InvitationPolicy;
use acebridge_sync::telemetry::CapturedLogs;
use serde_json::{Value, json};

/// Every email, phone and person name in the fixtures.
fn personal_data() -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    let k = k.to_lowercase();
                    let personal = [
                        "email",
                        "phone",
                        "firstname",
                        "lastname",
                        "fullname",
                        "name",
                    ]
                    .iter()
                    .any(|p| k.ends_with(p))
                        && !k.contains("company")
                        && !k.contains("campaign")
                        && !k.contains("project");
                    match x {
                        Value::String(s)
                            if personal
                                && s.len() > 3
                                && !s.eq_ignore_ascii_case("accept to view") =>
                        {
                            out.push(s.clone())
                        }
                        other => walk(other, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let root = format!("{}/../../tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![
        "maria.garcia@example.com".to_string(),
        "+12065550100".to_string(),
        "Garcia".to_string(),
    ];
    for dir in [
        "ace-s3/opportunity",
        "ace-s3/lead",
        "partner-central/requests",
    ] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            walk(&serde_json::from_str(&text).unwrap(), &mut out);
        }
    }
    // Emails inside free text (AWS's error messages).
    out.push("xyz.abc@test.com".into());
    out.sort();
    out.dedup();
    out
}

fn leaks<'a>(logs: &str, pii: &'a [String]) -> Vec<&'a String> {
    pii.iter().filter(|p| logs.contains(p.as_str())).collect()
}

#[test]
fn the_scan_finds_a_fixture_email_a_handler_would_log() {
    let pii = personal_data();
    assert!(pii.iter().any(|p| p == "test@test.com"), "{pii:?}");
    assert!(
        pii.iter()
            .any(|p| p.starts_with('+') || p.chars().all(|c| c.is_ascii_digit()))
    );
    let out = CapturedLogs::default();
    tracing::subscriber::with_default(out.subscriber(), || {
        tracing::info!(email = "test@test.com", "a careless handler");
    });
    assert_eq!(leaks(&out.text(), &pii), vec!["test@test.com"]);
}

#[test]
fn the_end_to_end_flows_log_no_email_phone_or_name() {
    let out = CapturedLogs::default();
    out.run(flows()).unwrap();
    let logs = out.text();
    assert!(logs.lines().count() > 20, "the flows logged: {logs}");
    let pii = personal_data();
    assert!(pii.len() > 20, "{pii:?}");
    assert!(
        leaks(&logs, &pii).is_empty(),
        "PII in logs: {:?}",
        leaks(&logs, &pii)
    );
}

async fn flows() {
    // S3 channel: the samples (PII in contacts, results with an email in an error), a masked then unmasked
    // referral, a broken file.
    let s = common::stack().await;
    let fixtures = format!("{}/../../tests/fixtures/ace-s3", env!("CARGO_MANIFEST_DIR"));
    for (file, key) in [
        (
            "opportunity/Opportunity-Outbound-Sample.json",
            "opportunity-outbound/a.json",
        ),
        ("lead/Lead-Outbound-Sample.json", "lead-outbound/b.json"),
        (
            "opportunity/Opportunity-Results_With-Errors-Sample.json",
            "opportunity-inbound-processed-results/c_result.json",
        ),
        (
            "lead/Lead-Results_With-Errors-Sample.json",
            "lead-inbound-processed-results/d_result.json",
        ),
    ] {
        s.land_and_ingest(key, &std::fs::read(format!("{fixtures}/{file}")).unwrap())
            .await;
    }
    let mut referral = common::sample_opportunity();
    referral["partnerCrmUniqueIdentifier"] = json!(null);
    referral["customerEmail"] = json!("maria.garcia@example.com");
    referral["customerPhone"] = json!("+12065550100");
    referral["customerLastName"] = json!("Garcia");
    s.land_and_ingest(
        "opportunity-outbound/e.json",
        &common::opportunity_file(vec![referral]),
    )
    .await;
    s.land_and_ingest("opportunity-outbound/f.json", b"[1]")
        .await;
    acebridge_sync::s3_exchange::scanner::scan(
        &s.ace,
        &s.landing,
        &acebridge_sync::s3_exchange::scanner::ScanConfig::new(
            acebridge_clock::TestClock::suite().clock(),
        ),
        || true,
    )
    .await;

    // Partner Central: an invitation accepted by policy, its opportunity synced, a reconcile.
    let mut pc = common::pc_stack(InvitationPolicy::Accept).await;
    pc.invite(&common::referral("Leak check", "US", "5000"));
    pc.deliver().await;
    pc.deliver().await;
    let schedule: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../../functions/partner-central-events/events/reconcile.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    pc.handle(&schedule).await;

    // CRM → AWS: a create, and a refused one.
    let api: acebridge_mapping::api::ApiOpportunity =
        serde_json::from_value(common::api_opportunity("Leak check out")).unwrap();
    let canonical = serde_json::to_value(api.to_canonical().unwrap()).unwrap();
    for (crm_id, opportunity) in [
        ("OP-L1", canonical.clone()),
        ("OP-L2", json!({"project": {"title": null}})),
    ] {
        let change = OpportunityChanged {
            crm_id: crm_id.into(),
            opportunity,
            solutions: vec![],
            aws_products: vec![],
            marketplace: Default::default(),
            submit: None,
        };
        push_opportunity(
            &pc.pc,
            &pc.ledger,
            &pc.crm,
            Catalog::Sandbox,
            &change,
            &acebridge_clock::TestClock::suite().clock(),
        )
        .await
        .unwrap();
    }
}
