//! The S3-channel functions under their own roles: the scanner and the ingest run their real adapters
//! through the IAM gate in front of moto, each signing as itself, with the role SAM renders from
//! template.yaml. A call the role does not allow fails the test, naming the function, the action and the
//! resource; the ACE bucket is reached only in the account that owns it. (The events function and
//! crm-outbound prove theirs on every test of their stacks: tests/common `pc_stack_as`.)
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_mapping::Catalog;
use acebridge_pc_emulator::iam_gate::{Gate, LOCAL_ACCOUNT};
use acebridge_sync::adapters::config::s3_client;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::local;
use acebridge_sync::ports::store::ObjectStore;
use acebridge_sync::s3_exchange::ingest::{self, FileOutcome, IngestConfig};
use acebridge_sync::s3_exchange::scanner::{self, ScanConfig};
use common::{refused, rendered_roles, signing_as, through_gate, unique};

/// A partner id no other test uses, so its ACE bucket name (`ace-apn-<id>-beta-us-west-2`) is its own.
fn partner_id() -> String {
    let n = unique("x");
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len() - 10..]
        .trim_start_matches('0')
        .to_string()
}

/// The S3 channel's buckets for one test: the ACE bucket as the template names it for `partner`, and a
/// landing bucket named as the template names it.
async fn buckets(partner: &str) -> (String, String) {
    let ace = format!("ace-apn-{partner}-beta-us-west-2");
    let landing = unique("acebridge-landing");
    local::create_bucket(&local::sdk_config("us-west-2").await, &ace, false)
        .await
        .unwrap();
    local::create_bucket(&local::sdk_config("us-east-1").await, &landing, true)
        .await
        .unwrap();
    (ace, landing)
}

/// `function`'s role for this partner, and the gate enforcing it; the SDK configuration (us-west-2 and
/// us-east-1) signing as the function through the gate.
async fn as_function(
    function: &str,
    partner: &str,
) -> (Gate, aws_config::SdkConfig, aws_config::SdkConfig) {
    let roles = rendered_roles(&[format!("PartnerId={partner}")]);
    let policies = roles[function]["policies"].as_array().unwrap().clone();
    let west = local::sdk_config("us-west-2").await;
    let (gate, west_gated) = through_gate(&west, function, &policies).await;
    let east_gated = signing_as(&local::sdk_config("us-east-1").await, function)
        .to_builder()
        .endpoint_url(gate.url())
        .build();
    (gate, west_gated, east_gated)
}

/// The ledger and CRM store tables, named as CloudFormation names the template's
/// (`<stack>-<LogicalId>-<random>`), so the roles' resources match them.
async fn tables(direct: &aws_config::SdkConfig) -> (String, String) {
    let (ledger_table, crm_table) = (unique("t-LedgerTable"), unique("t-CrmStoreTable"));
    acebridge_sync::adapters::dynamodb::ensure_tables(
        &aws_sdk_dynamodb::Client::new(direct),
        &ledger_table,
        &crm_table,
    )
    .await
    .unwrap();
    (ledger_table, crm_table)
}

async fn outbound_files(ace_bucket: &str, n: usize) {
    let ace = S3Bucket::new(s3_client(&local::sdk_config("us-west-2").await), ace_bucket);
    for i in 0..n {
        ace.put(
            &format!("opportunity-outbound/opp_{i}.json"),
            br#"{"version":"2.0","opportunities":[]}"#.to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn the_scanner_works_within_its_role_and_names_the_ace_buckets_owner_on_every_call() {
    let partner = partner_id();
    let (ace_name, landing_name) = buckets(&partner).await;
    outbound_files(&ace_name, 3).await;
    let (gate, west, east) = as_function("ace-bucket-scanner", &partner).await;
    let ace = S3Bucket::new(s3_client(&west), &ace_name)
        .with_expected_owner(Some(LOCAL_ACCOUNT.to_string()));
    let landing = S3Bucket::new(s3_client(&east), &landing_name);
    let report = scanner::scan(
        &ace,
        &landing,
        &ScanConfig::new(acebridge_clock::TestClock::suite().clock()),
        || true,
    )
    .await;
    assert_eq!((report.moved, report.failed.len()), (3, 0), "{report:?}");
    let refused = refused(&gate);
    assert!(refused.is_empty(), "the role refused: {refused:?}");
    let calls = gate.calls();
    let on_ace: Vec<_> = calls
        .iter()
        .filter(|c| c.resource.starts_with(&format!("arn:aws:s3:::{ace_name}")))
        .collect();
    assert!(on_ace.len() >= 7, "{calls:?}"); // a list, three reads, three deletes
    assert!(
        on_ace
            .iter()
            .all(|c| c.expected_owner.as_deref() == Some(LOCAL_ACCOUNT)),
        "a call to the ACE bucket without ExpectedBucketOwner: {on_ace:?}"
    );
}

#[tokio::test]
async fn an_ace_bucket_of_the_right_name_in_another_account_is_never_read() {
    let partner = partner_id();
    let (ace_name, landing_name) = buckets(&partner).await;
    outbound_files(&ace_name, 2).await;
    let (gate, west, east) = as_function("ace-bucket-scanner", &partner).await;
    // Someone else's bucket under the ACE bucket's name: S3 refuses the expected-owner calls with 403.
    gate.bucket_owner(&ace_name, "999988887777");
    let ace = S3Bucket::new(s3_client(&west), &ace_name)
        .with_expected_owner(Some(LOCAL_ACCOUNT.to_string()));
    let landing = S3Bucket::new(s3_client(&east), &landing_name);
    let report = scanner::scan(
        &ace,
        &landing,
        &ScanConfig::new(acebridge_clock::TestClock::suite().clock()),
        || true,
    )
    .await;
    assert_eq!(report.moved, 0, "{report:?}");
    let landed = S3Bucket::new(
        s3_client(&local::sdk_config("us-east-1").await),
        &landing_name,
    )
    .list("", None)
    .await
    .unwrap();
    assert!(landed.objects.is_empty(), "{landed:?}");
}

#[tokio::test]
async fn the_ingest_works_within_its_role_for_a_good_file_and_a_quarantined_one() {
    let partner = partner_id();
    let (_ace, landing_name) = buckets(&partner).await;
    let (gate, _west, east) = as_function("ace-file-ingest", &partner).await;
    let direct = local::sdk_config("us-east-1").await;
    let (ledger_table, crm_table) = tables(&direct).await;
    let bus = unique("acebridge-bus");
    local::create_outcome_bus(&direct, &bus).await.unwrap();
    let setup_landing = S3Bucket::new(s3_client(&direct), &landing_name);
    let sample = include_bytes!(
        "../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json"
    );
    let good = setup_landing
        .put(
            "opportunity-outbound/good.json",
            sample.to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    let bad = setup_landing
        .put(
            "opportunity-outbound/bad.json",
            b"{ not json".to_vec(),
            Default::default(),
        )
        .await
        .unwrap();

    // Over the 1 MB limit (a 60 MiB upload would be read the same way): quarantined without its body
    // being read.
    let mut big = b"[".to_vec();
    big.resize(1_200_000, b' ');
    big.push(b']');
    let big = setup_landing
        .put(
            "opportunity-outbound/big file.json",
            big,
            Default::default(),
        )
        .await
        .unwrap();

    let ddb = aws_sdk_dynamodb::Client::new(&east);
    let landing = S3Bucket::new(s3_client(&east), &landing_name);
    let ledger = DynamoLedger::new(ddb.clone(), ledger_table);
    let crm = DynamoCrmStore::new(ddb, crm_table);
    let outcomes = EventBus::new(aws_sdk_eventbridge::Client::new(&east), bus);
    let config = IngestConfig::new(
        Catalog::Sandbox,
        acebridge_clock::TestClock::suite().clock(),
    );
    let ingest = |key: &'static str, etag: String| {
        let (landing, ledger, crm, outcomes, config) =
            (&landing, &ledger, &crm, &outcomes, &config);
        async move {
            ingest::ingest_file(landing, ledger, crm, outcomes, config, key, Some(&etag))
                .await
                .unwrap()
        }
    };
    let processed = ingest("opportunity-outbound/good.json", good.etag).await;
    assert!(
        matches!(processed, FileOutcome::Processed(_)),
        "{processed:?}"
    );
    let quarantined = ingest("opportunity-outbound/bad.json", bad.etag).await;
    assert!(
        matches!(quarantined, FileOutcome::Quarantined(_)),
        "{quarantined:?}"
    );
    match ingest("opportunity-outbound/big file.json", big.etag).await {
        FileOutcome::Quarantined(reason) => {
            assert!(reason.contains("1200001 bytes"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let reads_of_big: Vec<String> = gate
        .calls()
        .into_iter()
        .filter(|c| c.resource.ends_with("/opportunity-outbound/big file.json"))
        .map(|c| format!("{} {}", c.method, c.action))
        .collect();
    assert!(
        !reads_of_big.iter().any(|c| c.starts_with("GET ")),
        "the oversized file's body was read: {reads_of_big:?}"
    );
    assert_eq!(
        setup_landing
            .head("quarantine/opportunity-outbound/big file.json")
            .await
            .unwrap()
            .map(|h| h.info.size),
        Some(1_200_001)
    );
    assert!(
        setup_landing
            .head("opportunity-outbound/big file.json")
            .await
            .unwrap()
            .is_none()
    );
    let refused = refused(&gate);
    assert!(refused.is_empty(), "the role refused: {refused:?}");
    let actions: std::collections::BTreeSet<String> =
        gate.calls().into_iter().map(|c| c.action).collect();
    for a in [
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "dynamodb:PutItem",
    ] {
        assert!(actions.contains(a), "{a} never called: {actions:?}");
    }
}

#[tokio::test]
async fn crm_outbound_uploads_inbound_files_within_its_role_under_the_ace_key_and_owner() {
    let partner = partner_id();
    let (ace_name, _landing) = buckets(&partner).await;
    let key = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let roles = rendered_roles(&[
        format!("PartnerId={partner}"),
        "Channel=s3".to_string(),
        format!("AceKmsKeyArn={key}"),
    ]);
    let policies = roles["crm-outbound"]["policies"]
        .as_array()
        .unwrap()
        .clone();
    let west = local::sdk_config("us-west-2").await;
    let (gate, west_gated) = through_gate(&west, "crm-outbound", &policies).await;
    let ace = S3Bucket::new(s3_client(&west_gated), &ace_name)
        .with_owner_full_control()
        .with_kms_key(Some(key.to_string()))
        .with_expected_owner(Some(LOCAL_ACCOUNT.to_string()));
    let direct = local::sdk_config("us-east-1").await;
    let (ledger_table, _crm_table) = tables(&direct).await;
    let east_gated = signing_as(&direct, "crm-outbound")
        .to_builder()
        .endpoint_url(gate.url())
        .build();
    let ledger = DynamoLedger::new(aws_sdk_dynamodb::Client::new(&east_gated), ledger_table);
    let api: acebridge_mapping::api::ApiOpportunity =
        serde_json::from_value(common::api_opportunity("Over S3, within the role")).unwrap();
    let change = acebridge_sync::crm_side::outbound::OpportunityChanged {
        crm_id: "OP-IAM-1".into(),
        opportunity: serde_json::to_value(api.to_canonical().unwrap()).unwrap(),
        solutions: vec![],
        aws_products: vec![],
        marketplace: Default::default(),
        submit: None,
    };
    let up = acebridge_sync::s3_exchange::outbound_s3::upload(
        &ace,
        &ledger,
        &acebridge_mapping::PartnerId::parse(&partner).unwrap(),
        Catalog::Sandbox,
        &[change],
        &[],
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    assert_eq!(up.files.len(), 1, "{up:?}");
    let refused = refused(&gate);
    assert!(refused.is_empty(), "the role refused: {refused:?}");
    let calls = gate.calls();
    let put = calls
        .iter()
        .find(|c| c.action == "s3:PutObject")
        .expect("an upload");
    assert_eq!(put.expected_owner.as_deref(), Some(LOCAL_ACCOUNT));
    for a in ["s3:PutObjectAcl", "kms:GenerateDataKey"] {
        assert!(
            calls.iter().any(|c| c.action == a),
            "{a} not asked: {calls:?}"
        );
    }
}
