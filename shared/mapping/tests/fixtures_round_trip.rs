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

/// A GetOpportunity answer's builder, with the members every answer has.
fn get_opportunity_output()
-> aws_sdk_partnercentralselling::operation::get_opportunity::builders::GetOpportunityOutputBuilder
{
    aws_sdk_partnercentralselling::operation::get_opportunity::GetOpportunityOutput::builder()
        .catalog("Sandbox")
        .id("O1234567")
        .last_modified_date(
            aws_sdk_partnercentralselling::primitives::DateTime::from_secs(1_700_000_000),
        )
        .created_date(aws_sdk_partnercentralselling::primitives::DateTime::from_secs(1_600_000_000))
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
    let out = get_opportunity_output()
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

/// The 2025–26 members (ExpectedContractDuration, AwsPartition, Tags) on a create request (the
/// aws-samples request with them added; botocore's ParamValidator accepts the added members, and the
/// emulator checks the same members on a real CreateOpportunity in `outbound`) round-trip API →
/// canonical → API, and reach the SDK's types.
#[test]
fn create_opportunity_with_the_2025_26_members() {
    let rel = "partner-central/requests/create_opportunity.2025-26-members.json";
    api_round_trip(rel, Shape::Create);
    let api: ApiOpportunity = serde_json::from_slice(&fixture(rel)).unwrap();
    let canonical = api.to_canonical().unwrap();
    assert_eq!(
        canonical.project.expected_contract_duration_months.value(),
        Some(&36)
    );
    assert_eq!(
        canonical.project.aws_partition.value().map(String::as_str),
        Some("aws-eusc")
    );
    assert_eq!(canonical.tags.value().map(Vec::len), Some(2));
    let sdk = acebridge_mapping::api::sdk::SdkOpportunity::from_api(&api).unwrap();
    let project = sdk.project.clone().unwrap();
    let duration = project.expected_contract_duration().unwrap();
    assert_eq!(
        (duration.term().as_str(), duration.value()),
        ("Months", "36")
    );
    assert_eq!(
        project.aws_partition().map(|p| p.as_str()),
        Some("aws-eusc")
    );
    assert_eq!(sdk.tags.as_ref().map(Vec::len), Some(2));
    // Back from a GetOpportunity answer with the same project and the Marketplace related entities.
    use aws_sdk_partnercentralselling::types::RelatedEntityIdentifiers;
    let offer_set =
        "arn:aws:aws-marketplace:us-east-1:999999999999:AWSMarketplace/OfferSet/offerset-abc";
    let out =
        get_opportunity_output()
            .set_project(sdk.project.clone())
            .related_entity_identifiers(
                RelatedEntityIdentifiers::builder()
                    .aws_marketplace_offer_sets(offer_set)
                    .aws_marketplace_solutions("arn:aws:aws-marketplace:us-east-1:999999999999:AWSMarketplace/Solution/sol-1")
                    .aws_marketplace_products("arn:aws:aws-marketplace:us-east-1:999999999999:AWSMarketplace/SaaSProduct/prod-1")
                    .build(),
            )
            .build()
            .unwrap();
    let back = acebridge_mapping::api::sdk::from_get_opportunity(&out)
        .to_canonical()
        .unwrap();
    assert_eq!(
        back.project.expected_contract_duration_months.value(),
        Some(&36)
    );
    assert_eq!(back.project.aws_partition, canonical.project.aws_partition);
    assert_eq!(
        back.marketplace_offer_sets.value().cloned(),
        Some(vec![offer_set.to_string()])
    );
    assert_eq!(back.marketplace_solutions.value().map(Vec::len), Some(1));
    assert_eq!(back.marketplace_products.value().map(Vec::len), Some(1));
}

/// AWS's side of the 2025–26 opportunity (GetAwsOpportunitySummary, built with the SDK's types): the AI
/// quality score and trend, recommendations, spend insights by source, the co-sell motion, the
/// partition and AWS's next-steps log reach the canonical record's read-only `aws` part.
#[test]
fn aws_summary_2025_26_insights_reach_the_canonical_record() {
    use aws_sdk_partnercentralselling::operation::get_aws_opportunity_summary::GetAwsOpportunitySummaryOutput;
    use aws_sdk_partnercentralselling::types::*;
    let spend = AwsProductInsights::builder()
        .currency_code(CurrencyCode::Usd)
        .frequency(PaymentFrequency::Monthly)
        .total_amount("1200")
        .total_optimized_amount("900")
        .total_potential_savings_amount("300")
        .set_total_amount_by_category(Some(Default::default()))
        .set_aws_products(Some(vec![]))
        .build()
        .unwrap();
    let s = GetAwsOpportunitySummaryOutput::builder()
        .catalog("Sandbox")
        .cosell_motion("Partner-led")
        .involvement_type(SalesInvolvementType::CoSell)
        .visibility(Visibility::Full)
        .project(
            AwsOpportunityProject::builder()
                .aws_partition(AwsPartition::AwsEusc)
                .build(),
        )
        .life_cycle(
            AwsOpportunityLifeCycle::builder()
                .next_steps_history(
                    ProfileNextStepsHistory::builder()
                        .value("Architecture review booked")
                        .time(
                            aws_sdk_partnercentralselling::primitives::DateTime::from_secs(
                                1_764_000_000,
                            ),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .insights(
            AwsOpportunityInsights::builder()
                .opportunity_quality(
                    OpportunityQuality::builder()
                        .score(82)
                        .trend("Improving")
                        .build(),
                )
                .recommendations(
                    Recommendation::builder()
                        .r#type("OpportunityQuality")
                        .details("Add the customer's expected monthly spend")
                        .build()
                        .unwrap(),
                )
                .aws_products_spend_insights_by_source(
                    AwsProductsSpendInsightsBySource::builder()
                        .partner(spend)
                        .build(),
                )
                .build(),
        )
        .build()
        .unwrap();
    let mut o = acebridge_mapping::Opportunity::default();
    acebridge_mapping::api::sdk::apply_aws_summary(&mut o, &s);
    assert_eq!(o.aws.quality_score.value(), Some(&82));
    assert_eq!(
        o.aws.quality_trend.value().map(String::as_str),
        Some("Improving")
    );
    assert_eq!(
        o.aws.cosell_motion.value().map(String::as_str),
        Some("Partner-led")
    );
    assert_eq!(
        o.aws.aws_partition.value().map(String::as_str),
        Some("aws-eusc")
    );
    let r = o.aws.recommendations.value().unwrap();
    assert_eq!(r[0].kind, "OpportunityQuality");
    let i = o.aws.spend_insights.value().unwrap();
    assert_eq!(
        (
            i[0].source.as_str(),
            i[0].total.as_deref(),
            i[0].potential_savings.as_deref()
        ),
        ("Partner", Some("1200"), Some("300"))
    );
    assert_eq!(o.aws.next_steps_history.value().map(Vec::len), Some(1));
    assert_eq!(
        o.aws.involvement_type.value().map(String::as_str),
        Some("Co-Sell")
    );
    assert_eq!(o.aws.visibility.value().map(String::as_str), Some("Full"));
    // And it survives the canonical JSON a CRM store holds.
    let back: acebridge_mapping::Opportunity =
        serde_json::from_value(serde_json::to_value(&o).unwrap()).unwrap();
    assert_eq!(back, o);
}

/// AWS's enrichment of an invitation (GetEngagementInvitation's `EnrichmentContext`, built with the SDK's
/// types) and a lead invitation's payload reach the canonical referral.
#[test]
fn an_invitation_s_enrichment_and_lead_payload_reach_the_canonical_referral() {
    use aws_sdk_partnercentralselling::operation::get_engagement_invitation::GetEngagementInvitationOutput;
    use aws_sdk_partnercentralselling::types::*;
    let out = GetEngagementInvitationOutput::builder()
        .catalog("Sandbox")
        .id("engi-0000000000030")
        .payload_type(EngagementInvitationPayloadType::LeadInvitation)
        .engagement_description("A customer asked for a partner")
        .payload(Payload::LeadInvitation(
            LeadInvitationPayload::builder()
                .customer(
                    LeadInvitationCustomer::builder()
                        .company_name("Example Lead Corp")
                        .country_code("US")
                        .market_segment("Enterprise")
                        .aws_maturity("Evaluating")
                        .build()
                        .unwrap(),
                )
                .interaction(
                    LeadInvitationInteraction::builder()
                        .source_type("Campaign")
                        .source_id("CAMP-0001")
                        .source_name("Webinar")
                        .contact_business_title("Head of Data Platform")
                        .build()
                        .unwrap(),
                )
                .build(),
        ))
        .enrichment_context(
            EnrichmentContext::builder()
                .prospecting_result_aws(
                    InvitationProspectingResultAws::builder()
                        .customer(
                            ProspectingResultCustomer::builder()
                                .account_name("Example Lead Corp")
                                .segment("Enterprise")
                                .country(CountryCode::Us)
                                .industry(Industry::from("Software and Internet"))
                                .eligible_programs("MAP")
                                .build(),
                        )
                        .insights(
                            ProspectingInsights::builder()
                                .marketplace_engagement_score("High")
                                .build(),
                        )
                        .build(),
                )
                .lead_insights(
                    LeadInsights::builder()
                        .lead_readiness_score("Medium")
                        .build(),
                )
                .build(),
        )
        .build()
        .unwrap();
    let i = acebridge_mapping::api::sdk::invitation_from_sdk(&out).unwrap();
    assert_eq!(
        i.customer.company_name.value().map(String::as_str),
        Some("Example Lead Corp")
    );
    let lead = i.lead.as_ref().unwrap();
    assert_eq!(
        lead.market_segment.value().map(String::as_str),
        Some("Enterprise")
    );
    assert_eq!(
        lead.interaction.contact.title.value().map(String::as_str),
        Some("Head of Data Platform")
    );
    let e = i.enrichment.as_ref().unwrap();
    assert_eq!(
        (
            e.account_name.as_deref(),
            e.industry.as_deref(),
            e.country.as_deref()
        ),
        (
            Some("Example Lead Corp"),
            Some("Software and Internet"),
            Some("US")
        )
    );
    assert_eq!(e.eligible_programs, vec!["MAP".to_string()]);
    assert_eq!(e.marketplace_engagement_score.as_deref(), Some("High"));
    assert_eq!(e.lead_readiness_score.as_deref(), Some("Medium"));
    assert_eq!(
        i.engagement_description.value().map(String::as_str),
        Some("A customer asked for a partner")
    );
    let back: acebridge_mapping::Invitation =
        serde_json::from_value(serde_json::to_value(&i).unwrap()).unwrap();
    assert_eq!(back, i);
}
