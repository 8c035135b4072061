//! The example events shipped for `cargo lambda invoke` parse as the functions parse them.
#![allow(clippy::unwrap_used)]

use acebridge_sync::s3_exchange::ingest::notified_objects;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;

fn read(rel: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{rel}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_demo_s3_event_names_the_landed_files_with_decoded_keys() {
    let event: S3Event =
        serde_json::from_str(&read("functions/ace-file-ingest/events/demo-landing.json")).unwrap();
    let objects = notified_objects(&event);
    assert_eq!(objects.len(), 5);
    assert!(
        objects
            .iter()
            .all(|o| o.bucket == "acebridge-demo-landing" && o.etag.is_some())
    );
    assert_eq!(objects[4].key, "opportunity-outbound/broken file.json");
    // Every key is one the demo plan puts in the ACE bucket.
    let plan = read("infra/local/demo/plan.tsv");
    for o in &objects {
        assert!(
            plan.lines().any(|l| l.ends_with(&format!("\t{}", o.key))),
            "{}",
            o.key
        );
    }
}

#[test]
fn the_built_s3_event_matches_what_s3_sends_and_round_trips() {
    let json = acebridge_sync::local::s3_event("b", &[("lead-outbound/a b+c%.json", "e1", 3)]);
    assert_eq!(
        json["Records"][0]["s3"]["object"]["key"],
        "lead-outbound/a+b%2Bc%25.json"
    );
    let event: S3Event = serde_json::from_value(json).unwrap();
    assert_eq!(notified_objects(&event)[0].key, "lead-outbound/a b+c%.json");
}

#[test]
fn the_scheduled_event_parses() {
    let event: EventBridgeEvent<serde_json::Value> =
        serde_json::from_str(&read("functions/ace-bucket-scanner/events/scheduled.json")).unwrap();
    assert_eq!(event.detail_type, "Scheduled Event");
}

#[test]
fn the_crm_outbound_examples_parse_as_the_queue_handler_reads_them() {
    use acebridge_sync::crm_side::crm_queue::{CrmEvent, parse};
    use aws_lambda_events::sqs::SqsEvent;
    for (name, changed) in [
        ("opportunity-changed", true),
        ("referral-decision", false),
        ("lead-changed", false),
    ] {
        let direct = read(&format!(
            "functions/crm-outbound/events/{name}.eventbridge.json"
        ));
        let event = parse(&direct).unwrap();
        assert_eq!(matches!(event, CrmEvent::Changed(_)), changed, "{name}");
        let sqs: SqsEvent = serde_json::from_str(&read(&format!(
            "functions/crm-outbound/events/{name}.sqs.json"
        )))
        .unwrap();
        let body = sqs.records[0].body.as_deref().unwrap();
        assert_eq!(
            parse(body).unwrap(),
            event,
            "{name}: the SQS body is the bus event"
        );
    }
    let CrmEvent::Changed(c) = parse(&read(
        "functions/crm-outbound/events/opportunity-changed.eventbridge.json",
    ))
    .unwrap() else {
        panic!()
    };
    // The example's opportunity is canonical, and valid for a create (so the demo shows a success).
    let o: acebridge_mapping::Opportunity = serde_json::from_value(c.opportunity).unwrap();
    let ctx = acebridge_mapping::validate::Context {
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        intent: acebridge_mapping::validate::Intent::Create,
        current: None,
        consulting_partner: false,
    };
    let errors = acebridge_mapping::validate::opportunity(
        &o,
        acebridge_mapping::validate::Format::Api,
        &ctx,
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(c.submit.unwrap().involvement_type, "Co-Sell");
}
