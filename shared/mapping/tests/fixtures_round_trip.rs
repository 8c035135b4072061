//! Every ACE and Partner Central request fixture (copied from AWS's samples into `tests/fixtures/`)
//! round-trips: parse → canonical → same format gives the same JSON value, modulo the normalisations
//! documented in `ace::convert` and `api::convert` (applied to the expected side here, by name).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use acebridge_mapping::ace::{
    self, AceFile, AceLead, AceOpportunity, AceResultsFile, record_to_json,
};
use acebridge_mapping::api::{ApiOpportunity, Shape};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

fn fixture(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn envelope(
    version: &acebridge_mapping::Nullable<String>,
    spms: &acebridge_mapping::Nullable<String>,
    key: &str,
    records: Vec<Value>,
) -> Value {
    let mut m = Map::new();
    if let Some(v) = version.as_value() {
        m.insert("version".into(), json!(v));
    }
    if let Some(s) = spms.as_value() {
        m.insert("spmsId".into(), json!(s));
    }
    m.insert(key.into(), Value::Array(records));
    Value::Object(m)
}

/// ACE file → canonical → ACE file.
fn ace_round_trip(rel: &str) -> (Value, Value) {
    let bytes = fixture(rel);
    let original: Value = serde_json::from_slice(&bytes).unwrap();
    let back = match ace::parse(&bytes).unwrap() {
        AceFile::Opportunities(f) => {
            let records = f.records.iter().map(|r| {
                let canonical = r.as_ref().unwrap().to_canonical().unwrap();
                record_to_json(&AceOpportunity::from_canonical(&canonical))
            });
            envelope(&f.version, &f.spms_id, &f.records_key, records.collect())
        }
        AceFile::Leads(f) => {
            let records = f.records.iter().map(|r| {
                let canonical = r.as_ref().unwrap().to_canonical().unwrap();
                record_to_json(&AceLead::from_canonical(&canonical))
            });
            envelope(&f.version, &f.spms_id, &f.records_key, records.collect())
        }
        AceFile::Results(r) => {
            serde_json::to_value(AceResultsFile::from_canonical(&r.to_canonical())).unwrap()
        }
    };
    (original, back)
}

#[test]
fn opportunity_outbound_sample() {
    let (original, back) = ace_round_trip("ace-s3/opportunity/Opportunity-Outbound-Sample.json");
    assert_eq!(back, original);
}

#[test]
fn opportunity_create_inbound_sample() {
    let (original, back) =
        ace_round_trip("ace-s3/opportunity/Opportunity-Create-Inbound-Sample.json");
    assert_eq!(back, original);
}

#[test]
fn opportunity_results_success_sample() {
    let (original, back) =
        ace_round_trip("ace-s3/opportunity/Opportunity-Results-Success-Sample.json");
    assert_eq!(back, original);
}

#[test]
fn opportunity_results_with_errors_sample() {
    let (original, back) =
        ace_round_trip("ace-s3/opportunity/Opportunity-Results_With-Errors-Sample.json");
    assert_eq!(back, original);
}

#[test]
fn lead_outbound_sample_keeps_masks() {
    let (original, back) = ace_round_trip("ace-s3/lead/Lead-Outbound-Sample.json");
    assert_eq!(back, original);
    let AceFile::Leads(f) = ace::parse(&fixture("ace-s3/lead/Lead-Outbound-Sample.json")).unwrap()
    else {
        panic!()
    };
    let lead = f.records[0].as_ref().unwrap().to_canonical().unwrap();
    assert!(
        lead.contact.email.is_masked()
            && lead.company.is_masked()
            && lead.address.country.is_masked()
    );
    assert_eq!(
        lead.website.value().map(String::as_str),
        Some("www.test.com")
    );
}

#[test]
fn lead_update_inbound_sample() {
    // Normalisation: the alternative spelling useCaseWorkLoad is written as useCaseWorkload.
    let (mut original, back) = ace_round_trip("ace-s3/lead/Lead-Update-Inbound-Sample.json");
    let rec = original["Leads"][0].as_object_mut().unwrap();
    let v = rec.remove("useCaseWorkLoad").unwrap();
    rec.insert("useCaseWorkload".into(), v);
    assert_eq!(back, original);
}

#[test]
fn lead_results_success_sample() {
    let (original, back) = ace_round_trip("ace-s3/lead/Lead-Results-Success-Sample.json");
    assert_eq!(back, original);
}

#[test]
fn lead_results_with_errors_sample() {
    let (original, back) = ace_round_trip("ace-s3/lead/Lead-Results_With-Errors-Sample.json");
    assert_eq!(back, original);
}

/// API request → canonical → API request. Normalisations: ClientToken is request metadata (carried
/// across by the test), date-times are written with `Z`.
fn api_round_trip(rel: &str, shape: Shape) {
    let mut original: Value = serde_json::from_slice(&fixture(rel)).unwrap();
    let api: ApiOpportunity = serde_json::from_value(original.clone()).unwrap();
    let canonical = api.to_canonical().unwrap();
    let mut back = ApiOpportunity::from_canonical(&canonical, shape);
    back.client_token = api.client_token.clone();
    let back = serde_json::to_value(&back).unwrap();
    if let Some(Value::String(s)) = original.get_mut("LastModifiedDate") {
        *s = s.replace("+00:00", "Z");
    }
    assert_eq!(back, original);

    // And through the SDK types: payload → SDK values → GetOpportunityOutput → payload → canonical.
    let sdk = acebridge_mapping::api::sdk::SdkOpportunity::from_api(&api).unwrap();
    let out =
        aws_sdk_partnercentralselling::operation::get_opportunity::GetOpportunityOutput::builder()
            .catalog("Sandbox")
            .id("O1234567")
            .last_modified_date(
                aws_sdk_partnercentralselling::primitives::DateTime::from_secs(1_700_000_000),
            )
            .created_date(
                aws_sdk_partnercentralselling::primitives::DateTime::from_secs(1_600_000_000),
            )
            .set_customer(sdk.customer.clone())
            .set_project(sdk.project.clone())
            .set_life_cycle(sdk.life_cycle.clone())
            .set_marketing(sdk.marketing.clone())
            .set_software_revenue(sdk.software_revenue.clone())
            .set_opportunity_type(sdk.opportunity_type.clone())
            .set_national_security(sdk.national_security.clone())
            .set_primary_needs_from_aws(sdk.primary_needs_from_aws.clone())
            .set_partner_opportunity_identifier(sdk.partner_opportunity_identifier.clone())
            .set_opportunity_team(sdk.opportunity_team.clone())
            .build()
            .unwrap();
    let via_sdk = acebridge_mapping::api::sdk::from_get_opportunity(&out)
        .to_canonical()
        .unwrap();
    // The SDK cannot tell null from absent, so compare what both carry as values.
    assert_eq!(via_sdk.project.title, canonical.project.title);
    assert_eq!(via_sdk.customer.address, {
        let mut a = canonical.customer.address.clone();
        for f in [&mut a.city, &mut a.street, &mut a.state, &mut a.postal_code] {
            if f.is_absent() {
                *f = acebridge_mapping::Field::Null;
            }
        }
        a
    });
    let amounts = |o: &acebridge_mapping::Opportunity| {
        o.project
            .expected_spend
            .value()
            .map(|v| v.iter().map(|s| s.amount.clone()).collect::<Vec<_>>())
    };
    assert_eq!(amounts(&via_sdk), amounts(&canonical));
    assert_eq!(via_sdk.marketing.channels, canonical.marketing.channels);
    assert_eq!(via_sdk.life_cycle.stage, canonical.life_cycle.stage);
    assert_eq!(
        via_sdk.software_revenue.value,
        canonical.software_revenue.value
    );
    assert_eq!(
        via_sdk.partner_team.value().map(Vec::len),
        canonical.partner_team.value().map(Vec::len)
    );
}

#[test]
fn create_opportunity_sandbox_request() {
    api_round_trip(
        "partner-central/requests/create_opportunity.sandbox.aws-samples.json",
        Shape::Create,
    );
}

#[test]
fn create_opportunity_origin_aws_referral_request() {
    api_round_trip(
        "partner-central/requests/create_opportunity_origin_aws_referral.aws-samples.json",
        Shape::Create,
    );
}

#[test]
fn update_opportunity_request() {
    api_round_trip(
        "partner-central/requests/update_opportunity.aws-samples.json",
        Shape::Update,
    );
}

#[test]
fn update_opportunity_simulate_approved_request() {
    api_round_trip(
        "partner-central/requests/update_opportunity_simulate_approved.aws-samples.json",
        Shape::Update,
    );
}

#[test]
fn ace_and_api_vocabularies_are_translated_between_formats() {
    let AceFile::Opportunities(f) = ace::parse(&fixture(
        "ace-s3/opportunity/Opportunity-Outbound-Sample.json",
    ))
    .unwrap() else {
        panic!()
    };
    let mut o = f.records[0].as_ref().unwrap().to_canonical().unwrap();
    o.customer.industry = acebridge_mapping::Field::Value(
        acebridge_mapping::vocab::Industry::from_ace("Software & Internet"),
    );
    o.life_cycle.closed_lost_reason = acebridge_mapping::Field::Value(
        acebridge_mapping::vocab::ClosedLostReason::from_ace("Lost to Competitor – Google"),
    );
    let api = serde_json::to_value(ApiOpportunity::from_canonical(&o, Shape::Get)).unwrap();
    assert_eq!(
        api["Customer"]["Account"]["Industry"],
        "Software and Internet"
    );
    assert_eq!(api["Customer"]["Account"]["Address"]["CountryCode"], "US");
    assert_eq!(
        api["LifeCycle"]["ClosedLostReason"],
        "Lost to Competitor - Google"
    );
    assert_eq!(api["Project"]["ApnPrograms"], json!(["WWPS NDPP", "P3"]));
    assert_eq!(
        api["Project"]["ExpectedCustomerSpend"],
        json!([{"Amount":"100.0","CurrencyCode":"USD","Frequency":"Monthly","TargetCompany":"AWS"}])
    );
    assert_eq!(api["Marketing"]["Source"], "Marketing Activity");
    assert_eq!(api["LifeCycle"]["ReviewStatus"], "Approved");
    // And back to ACE spelling.
    let back = ApiOpportunity::from_canonical(&o, Shape::Get)
        .to_canonical()
        .unwrap();
    let ace_back = record_to_json(&AceOpportunity::from_canonical(&back));
    assert_eq!(ace_back["industry"], "Software & Internet");
    assert_eq!(ace_back["closedLostReason"], "Lost to Competitor – Google");
    assert_eq!(ace_back["country"], "United States");
    assert_eq!(ace_back["campaignName"], "WWPS NDPP;P3");
    assert_eq!(ace_back["expectedMonthlyAwsRevenue"], json!(100.0));
}
