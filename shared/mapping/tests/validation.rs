//! One test per validation rule: a valid ACE create record, changed in exactly one way, must produce
//! exactly the expected `{field, code}` — named in the format validated.

#![allow(clippy::unwrap_used, clippy::field_reassign_with_default)] // test code: a failed unwrap is a failed test

use acebridge_mapping::ace::AceOpportunity;
use acebridge_mapping::canonical::{Country, Decimal, Spend};
use acebridge_mapping::validate::{self, Code, Context, Format, Intent};
use acebridge_mapping::vocab::*;
use acebridge_mapping::{Field, Opportunity};
use chrono::NaiveDate;
use serde_json::json;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn valid() -> Opportunity {
    let rec = json!({
        "partnerCrmUniqueIdentifier": "crm-1001",
        "partnerProjectTitle": "Data platform migration",
        "projectDescription": "Customer moves its on-prem data warehouse to AWS analytics services.",
        "customerCompanyName": "Example Corp",
        "customerWebsite": "https://example.com",
        "industry": "Software & Internet",
        "country": "United States",
        "state": "Washington",
        "postalCode": "98101",
        "targetCloseDate": "2027-06-30",
        "expectedMonthlyAwsRevenue": 2500.0,
        "deliveryModel": "SaaS or PaaS",
        "useCase": "Database",
        "salesActivities": "Initialized discussions with customer",
        "partnerPrimaryNeedFromAws": "Co-Sell - Architectural Validation",
        "solutionOffered": ["S-1234567"],
        "IsOppFromMarketingActivity": "No",
        "opportunityType": "Net New Business",
        "stage": "Prospect"
    });
    serde_json::from_value::<AceOpportunity>(rec)
        .unwrap()
        .to_canonical()
        .unwrap()
}

fn ctx(intent: Intent) -> Context<'static> {
    Context {
        today: today(),
        intent,
        current: None,
        consulting_partner: true,
    }
}

/// The errors as (field, code) pairs, in a given context.
fn errors_in(o: &Opportunity, format: Format, ctx: &Context<'_>) -> Vec<(String, Code)> {
    validate::opportunity(o, format, ctx)
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect()
}

fn errors_of(o: &Opportunity, format: Format, intent: Intent) -> Vec<(String, Code)> {
    errors_in(o, format, &ctx(intent))
}

fn one(field: &str, code: Code) -> Vec<(String, Code)> {
    vec![(field.to_string(), code)]
}

fn opportunity_id(s: &str) -> Field<acebridge_mapping::OpportunityId> {
    Field::Value(acebridge_mapping::OpportunityId::parse(s).unwrap())
}

fn only(o: &Opportunity, field: &str, code: Code) {
    assert_eq!(
        errors_of(o, Format::Ace, Intent::Create),
        vec![(field.to_string(), code)]
    );
}

#[test]
fn the_base_record_is_valid_in_both_formats() {
    assert_eq!(errors_of(&valid(), Format::Ace, Intent::Create), vec![]);
    assert_eq!(errors_of(&valid(), Format::Api, Intent::Create), vec![]);
}

#[test]
fn required_fields_on_create() {
    let mut o = valid();
    o.project.title = Field::Absent;
    only(&o, "partnerProjectTitle", Code::RequiredFieldMissing);
    let mut o = valid();
    o.project.use_case = Field::Null;
    only(&o, "useCase", Code::RequiredFieldMissing);
    let mut o = valid();
    o.solutions = Field::Value(vec![]);
    only(&o, "solutionOffered", Code::RequiredFieldMissing);
    let mut o = valid();
    o.crm_id = Field::Absent;
    only(&o, "partnerCrmUniqueIdentifier", Code::RequiredFieldMissing);
}

#[test]
fn errors_carry_the_wire_name_of_the_validated_format() {
    let mut o = valid();
    o.customer.address.postal_code = Field::Absent;
    assert_eq!(
        errors_of(&o, Format::Api, Intent::Create),
        vec![(
            "Customer.Account.Address.PostalCode".into(),
            Code::RequiredFieldMissing
        )]
    );
    only(&o, "postalCode", Code::RequiredFieldMissing);
}

#[test]
fn an_update_needs_only_the_id_and_valid_changes() {
    let mut o = Opportunity::default();
    o.life_cycle.next_steps = Field::Value("Call".into());
    assert_eq!(
        errors_of(&o, Format::Ace, Intent::Update),
        vec![("apnCrmUniqueIdentifier".into(), Code::RequiredFieldMissing)]
    );
    o.id = opportunity_id("O1234567");
    assert_eq!(errors_of(&o, Format::Ace, Intent::Update), vec![]);
}

#[test]
fn duns_is_nine_digits() {
    let mut o = valid();
    o.customer.duns = Field::Value("12345678".into());
    only(&o, "customerDuns", Code::InvalidStringFormat);
    o.customer.duns = Field::Value("123456789".into());
    assert!(errors_of(&o, Format::Ace, Intent::Create).is_empty());
}

#[test]
fn aws_account_is_twelve_digits() {
    let mut o = valid();
    o.customer.aws_account_id = Field::Value("12345678901a".into());
    only(&o, "awsAccountId", Code::InvalidStringFormat);
}

#[test]
fn monthly_revenue_is_a_positive_whole_number() {
    let mut o = valid();
    o.project.expected_spend = Field::Value(vec![Spend::monthly_aws_usd(
        Decimal::parse("12.5").unwrap(),
    )]);
    only(&o, "expectedMonthlyAwsRevenue", Code::InvalidValue);
    o.project.expected_spend =
        Field::Value(vec![Spend::monthly_aws_usd(Decimal::parse("0").unwrap())]);
    only(&o, "expectedMonthlyAwsRevenue", Code::ValueOutOfRange);
}

#[test]
fn description_has_at_least_twenty_characters() {
    let mut o = valid();
    o.project.business_problem = Field::Value("too short".into());
    only(&o, "projectDescription", Code::ValueOutOfRange);
    o.project.business_problem = Field::Value("x".repeat(2001));
    assert_eq!(
        errors_of(&o, Format::Api, Intent::Create),
        vec![(
            "Project.CustomerBusinessProblem".into(),
            Code::ValueOutOfRange
        )]
    );
}

#[test]
fn comments_and_next_steps_are_at_most_255_characters() {
    let mut o = valid();
    o.project.additional_comments = Field::Value("c".repeat(256));
    only(&o, "additionalComments", Code::ValueOutOfRange);
    let mut o = valid();
    o.life_cycle.next_steps = Field::Value("n".repeat(256));
    only(&o, "nextStep", Code::ValueOutOfRange);
}

#[test]
fn state_is_required_for_the_united_states_only() {
    let mut o = valid();
    o.customer.address.state = Field::Absent;
    only(&o, "state", Code::RequiredFieldMissing);
    let mut o = valid();
    o.customer.address.country = Field::Value(Country::from_ace("Germany"));
    o.customer.address.postal_code = Field::Value("10115".into());
    only(&o, "state", Code::InvalidValue);
    o.customer.address.state = Field::Absent;
    assert!(errors_of(&o, Format::Ace, Intent::Create).is_empty());
    let mut o = valid();
    o.customer.address.state = Field::Value("Narnia".into());
    only(&o, "state", Code::InvalidEnumValue);
}

#[test]
fn postal_code_follows_the_country_format() {
    let mut o = valid();
    o.customer.address.postal_code = Field::Value("ABCDE".into());
    only(&o, "postalCode", Code::InvalidStringFormat);
    let msg = validate::opportunity(&o, Format::Ace, &ctx(Intent::Create))[0]
        .message
        .clone();
    assert!(
        msg.contains("United States postal code must be in 99999 OR 99999-9999 format"),
        "{msg}"
    );
    let mut o = valid();
    o.customer.address.country = Field::Value(Country::from_ace("Bolivia"));
    o.customer.address.state = Field::Absent;
    only(&o, "postalCode", Code::InvalidValue);
}

#[test]
fn closed_lost_reason_if_and_only_if_closed_lost() {
    let mut o = valid();
    o.life_cycle.stage = Field::Value(Stage::ClosedLost);
    only(&o, "closedLostReason", Code::RequiredFieldMissing);
    o.life_cycle.closed_lost_reason =
        Field::Value(ClosedLostReason::from_ace("Lost to Competitor – Google"));
    assert!(errors_of(&o, Format::Ace, Intent::Create).is_empty());
    o.life_cycle.stage = Field::Value(Stage::Qualified);
    only(&o, "closedLostReason", Code::InvalidValue);
}

#[test]
fn other_solution_when_solution_is_other() {
    let mut o = valid();
    o.solutions = Field::Value(vec!["Other".into()]);
    only(&o, "otherSolutionOffered", Code::RequiredFieldMissing);
    o.project.other_solution = Field::Value("Custom data pipeline".into());
    assert!(errors_of(&o, Format::Ace, Intent::Create).is_empty());
}

#[test]
fn solution_ids_have_their_format_and_limits() {
    let mut o = valid();
    o.solutions = Field::Value(vec!["S-12".into()]);
    only(&o, "solutionOffered", Code::InvalidStringFormat);
    o.solutions = Field::Value((0..11).map(|i| format!("S-{:07}", i)).collect());
    only(&o, "solutionOffered", Code::TooManyValues);
    let mut o = valid();
    o.aws_products = Field::Value((0..21).map(|i| format!("P{i}")).collect());
    only(&o, "awsProducts", Code::TooManyValues);
}

#[test]
fn parent_opportunity_for_a_flat_renewal() {
    let mut o = valid();
    o.opportunity_type = Field::Value(OpportunityType::FlatRenewal);
    only(&o, "parentOppId", Code::RequiredFieldMissing);
    o.parent_opportunity_id = Field::Value("X-1".into());
    only(&o, "parentOppId", Code::InvalidStringFormat);
    o.parent_opportunity_id = Field::Value("O1234567".into());
    assert!(errors_of(&o, Format::Ace, Intent::Create).is_empty());
}

#[test]
fn marketing_fields_follow_the_marketing_source() {
    let mut o = valid();
    o.marketing.channels = Field::Value(vec![Channel::Email]);
    only(&o, "marketingActivityChannel", Code::InvalidValue);
    let mut o = valid();
    o.marketing.source = Field::Value(MarketingSource::MarketingActivity);
    only(
        &o,
        "isMarketingDevelopmentFunded",
        Code::RequiredFieldMissing,
    );
}

#[test]
fn industry_other_needs_a_description() {
    let mut o = valid();
    o.customer.industry = Field::Value(Industry::Other);
    only(&o, "industryOther", Code::RequiredFieldMissing);
}

#[test]
fn competitor_other_needs_names() {
    let mut o = valid();
    o.project.competitor = Field::Value(Competitor::OtherStar);
    only(&o, "competitiveTrackingOther", Code::RequiredFieldMissing);
}

#[test]
fn national_security_means_government_and_no_do_not_need_support() {
    let mut o = valid();
    o.national_security = Field::Value(YesNo::Yes);
    only(&o, "doesOppBelongToNatSec", Code::InvalidValue);
    o.customer.industry = Field::Value(Industry::Government);
    o.primary_needs = Field::Value(vec![PrimaryNeed::DoNotNeedSupport]);
    only(&o, "partnerPrimaryNeedFromAws", Code::InvalidValue);
}

#[test]
fn do_not_need_support_is_exclusive_and_ace_only() {
    let mut o = valid();
    o.primary_needs = Field::Value(vec![
        PrimaryNeed::DoNotNeedSupport,
        PrimaryNeed::DealSupport,
    ]);
    only(&o, "partnerPrimaryNeedFromAws", Code::InvalidValue);
    o.primary_needs = Field::Value(vec![PrimaryNeed::DoNotNeedSupport]);
    assert!(errors_of(&o, Format::Ace, Intent::Create).is_empty());
    assert_eq!(
        errors_of(&o, Format::Api, Intent::Create),
        vec![("PrimaryNeedsFromAws".into(), Code::InvalidEnumValue)]
    );
}

#[test]
fn launched_needs_the_customer_account_for_consulting_partners() {
    let mut o = valid();
    o.life_cycle.stage = Field::Value(Stage::Launched);
    only(&o, "awsAccountId", Code::RequiredFieldMissing);
    let isv = Context {
        consulting_partner: false,
        ..ctx(Intent::Create)
    };
    assert!(validate::opportunity(&o, Format::Ace, &isv).is_empty());
}

#[test]
fn target_close_date_not_in_the_past() {
    let mut o = valid();
    o.life_cycle.target_close_date = Field::Value(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
    only(&o, "targetCloseDate", Code::InvalidValue);
}

/// "Target close date should be a future date" (ACE's error; today itself is accepted): judged on the
/// `today` the caller's clock gives, at the boundary, across a year end and on 29 February, on create and on
/// update alike.
#[test]
fn target_close_date_in_the_past_is_refused_at_the_day_boundary_across_a_year_end_and_on_29_february()
 {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    // (today, target close date, refused)
    let cases = [
        (d(2027, 12, 31), d(2027, 12, 31), false),
        (d(2027, 12, 31), d(2027, 12, 30), true),
        (d(2028, 1, 1), d(2027, 12, 31), true),
        (d(2028, 1, 1), d(2028, 1, 1), false),
        (d(2028, 2, 29), d(2028, 2, 28), true),
        (d(2028, 2, 29), d(2028, 2, 29), false),
        (d(2028, 3, 1), d(2028, 2, 29), true),
        (d(2027, 2, 28), d(2027, 3, 1), false),
    ];
    for (today, close, refused) in cases {
        for intent in [Intent::Create, Intent::Update] {
            let mut o = valid();
            o.life_cycle.target_close_date = Field::Value(close);
            let c = Context {
                today,
                ..ctx(intent)
            };
            let errors = errors_in(&o, Format::Api, &c);
            let is_refused = errors
                .iter()
                .any(|(f, code)| f.ends_with("TargetCloseDate") && *code == Code::InvalidValue);
            assert_eq!(
                is_refused, refused,
                "today {today}, close {close}: {errors:?}"
            );
        }
    }
}

#[test]
fn picklists_take_standard_values_only() {
    let mut o = valid();
    o.customer.industry = Field::Value(Industry::from_ace("Software and Internet"));
    only(&o, "industry", Code::InvalidEnumValue);
    let mut o = valid();
    o.project.use_case = Field::Value("Teleportation".into());
    only(&o, "useCase", Code::InvalidEnumValue);
    let mut o = valid();
    o.customer.address.country = Field::Value(Country::from_ace("Narnia"));
    o.customer.address.state = Field::Absent;
    only(&o, "country", Code::InvalidEnumValue);
    let mut o = valid();
    o.project.sales_activities = Field::Value(vec![SalesActivity::from_ace("Had lunch")]);
    only(&o, "salesActivities", Code::InvalidEnumValue);
}

#[test]
fn masked_values_are_never_sent() {
    let mut o = valid();
    o.customer.address.city = Field::Masked;
    only(&o, "city", Code::InvalidValue);
}

#[test]
fn emails_are_checked() {
    let mut o = valid();
    o.customer.contacts = Field::Value(vec![acebridge_mapping::canonical::Contact {
        email: Field::Value("not-an-email".into()),
        ..Default::default()
    }]);
    only(&o, "customerEmail", Code::InvalidStringFormat);
}

fn decision(status: AcceptanceStatus) -> Opportunity {
    let mut o = Opportunity::default();
    o.id = opportunity_id("O1234567");
    o.life_cycle.acceptance_status = Field::Value(status);
    o
}

#[test]
fn rejecting_a_referral_needs_a_reason_and_nothing_else_changes() {
    let o = decision(AcceptanceStatus::Accepted);
    assert_eq!(Intent::of(&o), Intent::Decision);
    assert!(errors_of(&o, Format::Ace, Intent::Decision).is_empty());
    let mut o = decision(AcceptanceStatus::Rejected);
    assert_eq!(
        errors_of(&o, Format::Ace, Intent::Decision),
        vec![("rejectionReason".into(), Code::RequiredFieldMissing)]
    );
    o.life_cycle.rejection_reason = Field::Value(RejectionReason::UnableToSupport);
    assert!(errors_of(&o, Format::Ace, Intent::Decision).is_empty());
    o.life_cycle.next_steps = Field::Value("call".into());
    assert_eq!(
        errors_of(&o, Format::Ace, Intent::Decision),
        vec![("nextStep".into(), Code::ActionNotPermitted)]
    );
    let mut o = decision(AcceptanceStatus::Accepted);
    o.life_cycle.rejection_reason = Field::Value(RejectionReason::Other);
    assert_eq!(
        errors_of(&o, Format::Ace, Intent::Decision),
        vec![("rejectionReason".into(), Code::InvalidValue)]
    );
}

fn current(status: ReviewStatus) -> Opportunity {
    let mut c = valid();
    c.life_cycle.review_status = Field::Value(status);
    c
}

fn update_ctx(c: &Opportunity) -> Context<'_> {
    Context {
        today: today(),
        intent: Intent::Update,
        current: Some(c),
        consulting_partner: true,
    }
}

#[test]
fn no_updates_while_submitted_or_in_review() {
    for status in [ReviewStatus::Submitted, ReviewStatus::InReview] {
        let c = current(status);
        let mut o = valid();
        o.id = opportunity_id("O1");
        assert_eq!(
            errors_in(&o, Format::Api, &update_ctx(&c)),
            one("Identifier", Code::ActionNotPermitted)
        );
    }
}

#[test]
fn action_required_allows_only_its_subset() {
    let c = current(ReviewStatus::ActionRequired);
    let mut o = Opportunity::default();
    o.id = opportunity_id("O1");
    o.customer.address.city = Field::Value("Seattle".into());
    o.life_cycle.target_close_date = Field::Value(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
    assert_eq!(errors_in(&o, Format::Ace, &update_ctx(&c)), vec![]);
    o.project.title = Field::Value("New title".into());
    assert_eq!(
        errors_in(&o, Format::Ace, &update_ctx(&c)),
        one("partnerProjectTitle", Code::ActionNotPermitted)
    );
}

#[test]
fn frozen_fields_after_approval() {
    let c = current(ReviewStatus::Approved);
    let mut o = valid();
    o.id = opportunity_id("O1");
    assert_eq!(
        errors_in(&o, Format::Api, &update_ctx(&c)),
        vec![],
        "unchanged frozen fields are fine"
    );
    o.project.title = Field::Value("Renamed".into());
    assert_eq!(
        errors_in(&o, Format::Api, &update_ctx(&c)),
        one("Project.Title", Code::ActionNotPermitted)
    );
}

#[test]
fn lead_updates_are_checked() {
    let mut l = acebridge_mapping::Lead::default();
    let e = validate::lead(&l);
    assert_eq!(e[0].field, "apnCrmUniqueIdentifier");
    l.id = Field::Value(acebridge_mapping::LeadId::parse("L1234567").unwrap());
    l.use_case_workloads = Field::Value(vec!["Big Data".into(), "Quantum".into()]);
    l.contact.email = Field::Masked;
    let e: Vec<_> = validate::lead(&l)
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
    assert_eq!(
        e,
        vec![
            ("useCaseWorkload".into(), Code::InvalidEnumValue),
            ("email".into(), Code::InvalidValue)
        ]
    );
}

#[test]
fn lead_status_and_stage_take_standard_values() {
    let mut l = acebridge_mapping::Lead::default();
    l.id = Field::Value(acebridge_mapping::LeadId::parse("L1234567").unwrap());
    l.status = Field::Value(LeadStatus::from_ace("Pending"));
    l.stage = Field::Value(LeadStage::from_ace("Maybe"));
    let e: Vec<_> = validate::lead(&l)
        .into_iter()
        .map(|e| (e.field, e.code))
        .collect();
    assert_eq!(
        e,
        vec![
            ("status".into(), Code::InvalidEnumValue),
            ("currentLeadStage".into(), Code::InvalidEnumValue)
        ]
    );
    l.status = Field::Value(LeadStatus::Qualified);
    l.stage = Field::Value(LeadStage::Accepted);
    assert!(validate::lead(&l).is_empty());
}

#[test]
fn an_aws_referral_can_only_be_simulated_in_sandbox_before_a_write_is_spent() {
    let mut o = valid();
    o.origin = Field::Value(Origin::AwsReferral);
    o.catalog = Some(acebridge_mapping::Catalog::Aws);
    let errors = errors_in(&o, Format::Api, &ctx(Intent::Create));
    assert!(
        errors.contains(&("Origin".to_string(), Code::InvalidValue)),
        "{errors:?}"
    );
    o.catalog = Some(acebridge_mapping::Catalog::Sandbox);
    let errors = errors_in(&o, Format::Api, &ctx(Intent::Create));
    assert!(!errors.iter().any(|(f, _)| f == "Origin"), "{errors:?}");
}
