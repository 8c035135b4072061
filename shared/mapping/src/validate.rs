//! The rules AWS applies to what a partner sends, checked before we send it.
//!
//! Rules run on the canonical record, once; each error names the field by its wire name in the format
//! being validated (ACE `postalCode` or API `Customer.Account.Address.PostalCode`), with a Partner Central
//! `ValidationException` code. Sources: Opportunity-Fields.csv, the ACE business rules and the API's
//! review-status edit rules (see `docs/` of the reference material).

use crate::canonical::{Contact, Opportunity};
use crate::data;
use crate::field::Field;
use crate::vocab::*;
use chrono::NaiveDate;
use serde::Serialize;

/// Partner Central `ValidationException` error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// A required field is missing.
    RequiredFieldMissing,
    /// Not one of the standard values.
    InvalidEnumValue,
    /// Wrong format (digits, pattern, email).
    InvalidStringFormat,
    /// A value not allowed in this combination.
    InvalidValue,
    /// Too long, too short, too small.
    ValueOutOfRange,
    /// More values than allowed.
    TooManyValues,
    /// Not editable in the opportunity's current state.
    ActionNotPermitted,
}

impl Code {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::RequiredFieldMissing => "REQUIRED_FIELD_MISSING",
            Code::InvalidEnumValue => "INVALID_ENUM_VALUE",
            Code::InvalidStringFormat => "INVALID_STRING_FORMAT",
            Code::InvalidValue => "INVALID_VALUE",
            Code::ValueOutOfRange => "VALUE_OUT_OF_RANGE",
            Code::TooManyValues => "TOO_MANY_VALUES",
            Code::ActionNotPermitted => "ACTION_NOT_PERMITTED",
        }
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationError {
    /// Wire name of the field in the validated format.
    pub field: String,
    /// Partner Central error code.
    pub code: Code,
    /// What is wrong, for a person.
    pub message: String,
}

/// The wire format whose names errors carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// ACE S3 inbound file (payload 2.0).
    Ace,
    /// Partner Central API request.
    Api,
}

/// What the record asks AWS to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// A new partner opportunity.
    Create,
    /// Changes to an existing opportunity (ACE: only changed fields plus identifiers may be sent).
    Update,
    /// Accept or reject an AWS referral.
    Decision,
}

impl Intent {
    /// What an ACE inbound record asks for: no AWS id is a create; an acceptance status is a decision.
    pub fn of(o: &Opportunity) -> Intent {
        if o.id.value().is_none() {
            Intent::Create
        } else if o.life_cycle.acceptance_status.value().is_some() {
            Intent::Decision
        } else {
            Intent::Update
        }
    }
}

/// What validation needs to know besides the record.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// Today (UTC), for "target close date not in the past".
    pub today: NaiveDate,
    /// What the record asks for.
    pub intent: Intent,
    /// The opportunity as AWS has it now, when known: its review status decides what may change.
    pub current: Option<&'a Opportunity>,
    /// Consulting partners must give the customer's AWS account id at Launched.
    pub consulting_partner: bool,
}

macro_rules! keys {
    ($($key:ident = $ace:literal, $api:literal;)+) => {
        /// A field of the canonical opportunity, with its wire name in each format.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key { $($key,)+ }
        impl Key {
            /// The field's wire name in a format.
            pub fn name(self, f: Format) -> &'static str {
                match (self, f) {
                    $((Key::$key, Format::Ace) => $ace, (Key::$key, Format::Api) => $api,)+
                }
            }
        }
    };
}

keys! {
    Id = "apnCrmUniqueIdentifier", "Identifier";
    CrmId = "partnerCrmUniqueIdentifier", "PartnerOpportunityIdentifier";
    Title = "partnerProjectTitle", "Project.Title";
    BusinessProblem = "projectDescription", "Project.CustomerBusinessProblem";
    CompanyName = "customerCompanyName", "Customer.Account.CompanyName";
    Website = "customerWebsite", "Customer.Account.WebsiteUrl";
    Industry = "industry", "Customer.Account.Industry";
    OtherIndustry = "industryOther", "Customer.Account.OtherIndustry";
    Country = "country", "Customer.Account.Address.CountryCode";
    State = "state", "Customer.Account.Address.StateOrRegion";
    PostalCode = "postalCode", "Customer.Account.Address.PostalCode";
    City = "city", "Customer.Account.Address.City";
    Street = "streetAddress", "Customer.Account.Address.StreetAddress";
    Duns = "customerDuns", "Customer.Account.Duns";
    AwsAccountId = "awsAccountId", "Customer.Account.AwsAccountId";
    CustomerEmail = "customerEmail", "Customer.Contacts.Email";
    PartnerEmail = "primaryContactEmail", "OpportunityTeam.Email";
    TargetCloseDate = "targetCloseDate", "LifeCycle.TargetCloseDate";
    ExpectedSpend = "expectedMonthlyAwsRevenue", "Project.ExpectedCustomerSpend";
    DeliveryModels = "deliveryModel", "Project.DeliveryModels";
    UseCase = "useCase", "Project.CustomerUseCase";
    SalesActivities = "salesActivities", "Project.SalesActivities";
    PrimaryNeeds = "partnerPrimaryNeedFromAws", "PrimaryNeedsFromAws";
    Solutions = "solutionOffered", "RelatedEntityIdentifiers.Solutions";
    OtherSolution = "otherSolutionOffered", "Project.OtherSolutionDescription";
    AwsProducts = "awsProducts", "RelatedEntityIdentifiers.AwsProducts";
    Offers = "offers", "RelatedEntityIdentifiers.AwsMarketplaceOffers";
    OpportunityType = "opportunityType", "OpportunityType";
    ParentId = "parentOppId", "Project.RelatedOpportunityIdentifier";
    MarketingSource = "IsOppFromMarketingActivity", "Marketing.Source";
    FundingUsed = "isMarketingDevelopmentFunded", "Marketing.AwsFundingUsed";
    Channels = "marketingActivityChannel", "Marketing.Channels";
    MarketingUseCases = "marketingActivityUsecase", "Marketing.UseCases";
    CampaignName = "awsSFCampaignName", "Marketing.CampaignName";
    ApnPrograms = "campaignName", "Project.ApnPrograms";
    Competitor = "competitiveTracking", "Project.CompetitorName";
    OtherCompetitors = "competitiveTrackingOther", "Project.OtherCompetitorNames";
    NationalSecurity = "doesOppBelongToNatSec", "NationalSecurity";
    Stage = "stage", "LifeCycle.Stage";
    ClosedLostReason = "closedLostReason", "LifeCycle.ClosedLostReason";
    AcceptanceStatus = "partnerAcceptanceStatus", "PartnerAcceptanceStatus";
    RejectionReason = "rejectionReason", "RejectionReason";
    Origin = "opportunityOwnership", "Origin";
    NextSteps = "nextStep", "LifeCycle.NextSteps";
    AdditionalComments = "additionalComments", "Project.AdditionalComments";
    SoftwareCurrency = "customerSoftwareValueCurrency", "SoftwareRevenue.Value.CurrencyCode";
    ProcurementType = "procurementType", "SoftwareRevenue.DeliveryModel";
    // API-only members (2025–26): the ACE file format has no field for them.
    ContractDuration = "expectedContractDuration", "Project.ExpectedContractDuration";
    AwsPartition = "awsPartition", "Project.AwsPartition";
    Tags = "tags", "Tags";
}

/// Fields editable while AWS's review status is Action Required.
const ACTION_REQUIRED_EDITABLE: &[Key] = &[
    Key::Id,
    Key::CrmId,
    Key::City,
    Key::Country,
    Key::Website,
    Key::PostalCode,
    Key::State,
    Key::Street,
    Key::TargetCloseDate,
    Key::ExpectedSpend,
    Key::BusinessProblem,
];

/// Fields frozen once AWS approved the opportunity.
const FROZEN_AFTER_APPROVAL: &[Key] = &[
    Key::Country,
    Key::PostalCode,
    Key::Industry,
    Key::Website,
    Key::BusinessProblem,
    Key::CrmId,
    Key::Title,
];

impl Key {
    /// The canonical path of the fields the review-status rules name (empty for the others).
    fn canonical(self) -> &'static [&'static str] {
        match self {
            Key::Id => &["id"],
            Key::CrmId => &["crm_id"],
            Key::Title => &["project", "title"],
            Key::BusinessProblem => &["project", "business_problem"],
            Key::ExpectedSpend => &["project", "expected_spend"],
            Key::Website => &["customer", "website"],
            Key::Industry => &["customer", "industry"],
            Key::Country => &["customer", "address", "country"],
            Key::State => &["customer", "address", "state"],
            Key::PostalCode => &["customer", "address", "postal_code"],
            Key::City => &["customer", "address", "city"],
            Key::Street => &["customer", "address", "street"],
            Key::TargetCloseDate => &["life_cycle", "target_close_date"],
            _ => &[],
        }
    }

    /// True when the canonical path `path` (a field or something inside it) is this key's field.
    fn covers(self, path: &[String]) -> bool {
        let c = self.canonical();
        !c.is_empty() && path.len() >= c.len() && path.iter().zip(c).all(|(a, b)| a == b)
    }
}

/// Whether Partner Central takes a change of the canonical field `path` while the opportunity's review
/// status is `review_status` (API spelling), and if not, why — the same rules [`opportunity`] checks
/// an update against, for callers that hold back only what cannot go now.
pub fn editable(review_status: Option<&str>, path: &[String]) -> Result<(), String> {
    match review_status {
        Some("Submitted") | Some("In review") => Err(format!(
            "held until AWS finishes its review (review status: {})",
            review_status.unwrap_or_default()
        )),
        Some("Action Required") if !ACTION_REQUIRED_EDITABLE.iter().any(|k| k.covers(path)) => Err(
            "held: only address, website, target close date, expected spend and business problem \
             can change while AWS asks for action"
                .to_string(),
        ),
        Some("Approved") if FROZEN_AFTER_APPROVAL.iter().any(|k| k.covers(path)) => {
            Err("held: frozen since AWS approved the opportunity".to_string())
        }
        _ => Ok(()),
    }
}

struct Check<'a> {
    format: Format,
    out: Vec<ValidationError>,
    _o: std::marker::PhantomData<&'a ()>,
}

impl Check<'_> {
    fn add(&mut self, key: Key, code: Code, message: impl Into<String>) {
        self.out.push(ValidationError {
            field: key.name(self.format).to_string(),
            code,
            message: message.into(),
        });
    }

    fn required<T>(&mut self, key: Key, f: &Field<T>, why: &str) {
        if !matches!(f, Field::Value(_)) {
            self.add(
                key,
                Code::RequiredFieldMissing,
                format!("{} is required{why}", key.name(self.format)),
            );
        }
    }

    fn required_list<T>(&mut self, key: Key, f: &Field<Vec<T>>, why: &str) {
        match f {
            Field::Value(v) if !v.is_empty() => {}
            _ => self.add(
                key,
                Code::RequiredFieldMissing,
                format!("{} needs at least one value{why}", key.name(self.format)),
            ),
        }
    }

    fn must_be_empty<T>(&mut self, key: Key, f: &Field<T>, why: &str) {
        if matches!(f, Field::Value(_)) {
            self.add(
                key,
                Code::InvalidValue,
                format!("{} must be null {why}", key.name(self.format)),
            );
        }
    }

    fn max_len(&mut self, key: Key, f: &Field<String>, max: usize) {
        self.len_range(key, f, 0, max);
    }

    fn len_range(&mut self, key: Key, f: &Field<String>, min: usize, max: usize) {
        if let Field::Value(s) = f {
            let n = s.chars().count();
            if n < min || n > max {
                let allowed = if min == 0 {
                    format!("at most {max}")
                } else {
                    format!("{min} to {max}")
                };
                self.add(
                    key,
                    Code::ValueOutOfRange,
                    format!(
                        "{} is {n} characters; {allowed} are allowed",
                        key.name(self.format)
                    ),
                );
            }
        }
    }

    fn digits(&mut self, key: Key, f: &Field<String>, n: usize) {
        if let Field::Value(s) = f
            && (s.len() != n || !s.bytes().all(|b| b.is_ascii_digit()))
        {
            self.add(
                key,
                Code::InvalidStringFormat,
                format!(
                    "{} must be exactly {n} digits, got {}",
                    key.name(self.format),
                    crate::quoted(s)
                ),
            );
        }
    }

    fn known<T: Clone + PartialEq>(
        &mut self,
        key: Key,
        f: &Field<T>,
        known: impl Fn(&T) -> Option<String>,
    ) {
        if let Field::Value(v) = f
            && let Some(bad) = known(v)
        {
            self.add(
                key,
                Code::InvalidEnumValue,
                format!(
                    "{bad:?} is not a standard value of {}",
                    key.name(self.format)
                ),
            );
        }
    }

    fn known_list<T>(&mut self, key: Key, f: &Field<Vec<T>>, known: impl Fn(&T) -> Option<String>) {
        if let Field::Value(v) = f {
            for bad in v.iter().filter_map(known) {
                self.add(
                    key,
                    Code::InvalidEnumValue,
                    format!(
                        "{bad:?} is not a standard value of {}",
                        key.name(self.format)
                    ),
                );
            }
        }
    }

    fn too_many<T>(&mut self, key: Key, f: &Field<Vec<T>>, max: usize) {
        if let Field::Value(v) = f
            && v.len() > max
        {
            self.add(
                key,
                Code::TooManyValues,
                format!(
                    "{} has {} values; at most {max} are allowed",
                    key.name(self.format),
                    v.len()
                ),
            );
        }
    }

    fn email(&mut self, key: Key, f: &Field<String>) {
        if let Field::Value(s) = f {
            let ok = s.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !s.contains(char::is_whitespace)
            });
            if !ok {
                self.add(
                    key,
                    Code::InvalidStringFormat,
                    format!("{} is not an email address", key.name(self.format)),
                );
            }
        }
    }
}

/// A vocabulary value that is not one of the standard values.
fn standard<T: Vocabulary + ?Sized>(v: &T) -> Option<String> {
    (!v.is_known()).then(|| v.as_api().to_string())
}

fn in_table(field: &'static str) -> impl Fn(&String) -> Option<String> {
    move |v| {
        let ok = data::opportunity_values(field).is_some_and(|set| set.contains(v));
        (!ok).then(|| v.clone())
    }
}

/// The email of the first contact of a list (what ACE's single contact slot carries); the list's own
/// state when it has no value.
fn first_email(f: &Field<Vec<Contact>>) -> Field<String> {
    match f {
        Field::Value(v) => v.first().map_or(Field::Absent, |c| c.email.clone()),
        other => other.clone().map(|_| String::new()),
    }
}

/// Every field the record provides (not absent): what an update would change.
fn provided(o: &Opportunity) -> Vec<Key> {
    let c = &o.customer;
    let a = &c.address;
    let p = &o.project;
    let l = &o.life_cycle;
    let m = &o.marketing;
    let pairs: Vec<(Key, bool)> = vec![
        (Key::Id, !o.id.is_absent()),
        (Key::CrmId, !o.crm_id.is_absent()),
        (Key::Title, !p.title.is_absent()),
        (Key::BusinessProblem, !p.business_problem.is_absent()),
        (Key::CompanyName, !c.company_name.is_absent()),
        (Key::Website, !c.website.is_absent()),
        (Key::Industry, !c.industry.is_absent()),
        (Key::OtherIndustry, !c.other_industry.is_absent()),
        (Key::Country, !a.country.is_absent()),
        (Key::State, !a.state.is_absent()),
        (Key::PostalCode, !a.postal_code.is_absent()),
        (Key::City, !a.city.is_absent()),
        (Key::Street, !a.street.is_absent()),
        (Key::Duns, !c.duns.is_absent()),
        (Key::AwsAccountId, !c.aws_account_id.is_absent()),
        (Key::CustomerEmail, !first_email(&c.contacts).is_absent()),
        (Key::PartnerEmail, !first_email(&o.partner_team).is_absent()),
        (Key::TargetCloseDate, !l.target_close_date.is_absent()),
        (Key::ExpectedSpend, !p.expected_spend.is_absent()),
        (Key::DeliveryModels, !p.delivery_models.is_absent()),
        (Key::UseCase, !p.use_case.is_absent()),
        (Key::SalesActivities, !p.sales_activities.is_absent()),
        (Key::PrimaryNeeds, !o.primary_needs.is_absent()),
        (Key::Solutions, !o.solutions.is_absent()),
        (Key::OtherSolution, !p.other_solution.is_absent()),
        (Key::AwsProducts, !o.aws_products.is_absent()),
        (Key::Offers, !o.marketplace_offers.is_absent()),
        (Key::OpportunityType, !o.opportunity_type.is_absent()),
        (Key::ParentId, !o.parent_opportunity_id.is_absent()),
        (Key::MarketingSource, !m.source.is_absent()),
        (Key::FundingUsed, !m.funding_used.is_absent()),
        (Key::Channels, !m.channels.is_absent()),
        (Key::MarketingUseCases, !m.use_cases.is_absent()),
        (Key::CampaignName, !m.campaign_name.is_absent()),
        (Key::ApnPrograms, !p.apn_programs.is_absent()),
        (Key::Competitor, !p.competitor.is_absent()),
        (Key::OtherCompetitors, !p.other_competitors.is_absent()),
        (Key::NationalSecurity, !o.national_security.is_absent()),
        (Key::Stage, !l.stage.is_absent()),
        (Key::ClosedLostReason, !l.closed_lost_reason.is_absent()),
        (Key::AcceptanceStatus, !l.acceptance_status.is_absent()),
        (Key::RejectionReason, !l.rejection_reason.is_absent()),
        (Key::NextSteps, !l.next_steps.is_absent()),
        (Key::AdditionalComments, !p.additional_comments.is_absent()),
        (
            Key::SoftwareCurrency,
            !o.software_revenue.currency.is_absent(),
        ),
        (Key::ProcurementType, !o.software_revenue.model.is_absent()),
    ];
    pairs
        .into_iter()
        .filter(|(_, p)| *p)
        .map(|(k, _)| k)
        .collect()
}

/// The value a frozen field has, as text, to tell whether an update changes it.
fn frozen_value(o: &Opportunity, k: Key) -> Option<String> {
    let s = |f: &Field<String>| f.value().cloned();
    match k {
        Key::Country => o
            .customer
            .address
            .country
            .value()
            .map(|c| c.as_api().to_string()),
        Key::PostalCode => s(&o.customer.address.postal_code),
        Key::Industry => o.customer.industry.value().map(|i| i.as_api().to_string()),
        Key::Website => s(&o.customer.website),
        Key::BusinessProblem => s(&o.project.business_problem),
        Key::CrmId => o.crm_id.value().map(|c| c.to_string()),
        Key::Title => s(&o.project.title),
        _ => None,
    }
}

/// Validates an opportunity we are about to send. An empty list means AWS should accept it.
pub fn opportunity(o: &Opportunity, format: Format, ctx: &Context<'_>) -> Vec<ValidationError> {
    let mut v = Check {
        format,
        out: vec![],
        _o: std::marker::PhantomData,
    };
    let c = &o.customer;
    let a = &c.address;
    let p = &o.project;
    let l = &o.life_cycle;
    let m = &o.marketing;
    let natsec = o.national_security.value() == Some(&YesNo::Yes);
    let provided = provided(o);

    // Masked values are AWS's, never ours to send.
    masked_fields(o, &mut v);

    match ctx.intent {
        Intent::Create => {
            let not_natsec = if natsec {
                ""
            } else {
                " (unless the opportunity is national security)"
            };
            v.required(Key::Title, &p.title, "");
            v.required(Key::BusinessProblem, &p.business_problem, "");
            if !natsec {
                v.required(Key::CompanyName, &c.company_name, not_natsec);
                v.required(Key::Website, &c.website, not_natsec);
            }
            v.required(Key::Industry, &c.industry, "");
            v.required(Key::Country, &a.country, "");
            let no_postal = a
                .country
                .value()
                .is_some_and(|x| data::has_no_postal_code(x.as_ace()));
            if !no_postal && !natsec {
                v.required(Key::PostalCode, &a.postal_code, " for this country");
            }
            v.required(Key::TargetCloseDate, &l.target_close_date, "");
            v.required_list(Key::ExpectedSpend, &p.expected_spend, "");
            // AWS's service model, CreateOpportunityRequest.Origin: "For all opportunities created with
            // Catalog: AWS, this field must only be Partner Referral"; AWS Referral simulates a referral
            // in the Sandbox catalog only.
            if format == Format::Api
                && o.catalog == Some(crate::Catalog::Aws)
                && o.origin.value() == Some(&Origin::AwsReferral)
            {
                v.add(
                    Key::Origin,
                    Code::InvalidValue,
                    "must be Partner Referral in the AWS catalog (AWS Referral only simulates a referral in Sandbox)",
                );
            }
            v.required_list(Key::DeliveryModels, &p.delivery_models, "");
            v.required(Key::UseCase, &p.use_case, "");
            v.required_list(Key::SalesActivities, &p.sales_activities, "");
            if format == Format::Ace {
                v.required(
                    Key::CrmId,
                    &o.crm_id,
                    ": a new unique value identifies the opportunity",
                );
                v.required_list(Key::PrimaryNeeds, &o.primary_needs, "");
                v.required_list(
                    Key::Solutions,
                    &o.solutions,
                    " (a solution id S-XXXXXXX, or Other)",
                );
                v.required(Key::MarketingSource, &m.source, "");
            }
        }
        Intent::Update => {
            v.required(Key::Id, &o.id, " to update an opportunity");
        }
        Intent::Decision => {
            v.required(Key::Id, &o.id, " to accept or reject a referral");
            v.required(Key::AcceptanceStatus, &l.acceptance_status, "");
            for k in provided.iter().filter(|k| {
                !matches!(
                    k,
                    Key::Id | Key::CrmId | Key::AcceptanceStatus | Key::RejectionReason
                )
            }) {
                v.add(
                    *k,
                    Code::ActionNotPermitted,
                    format!(
                        "{} cannot change in an accept/reject message: send the decision alone",
                        k.name(format)
                    ),
                );
            }
        }
    }

    // Conditional requirements.
    if c.industry.value() == Some(&Industry::Other) {
        v.required(
            Key::OtherIndustry,
            &c.other_industry,
            " when the industry is Other",
        );
    }
    match a.country.value() {
        Some(country) if country.is_us() => {
            if !natsec && (ctx.intent == Intent::Create || !a.state.is_absent()) {
                v.required(Key::State, &a.state, " when the country is United States");
            }
            v.known(Key::State, &a.state, in_table("state"));
        }
        Some(_) => v.must_be_empty(Key::State, &a.state, "outside the United States"),
        None => {}
    }
    if let (Some(country), Field::Value(code)) = (a.country.value(), &a.postal_code) {
        let name = country.as_ace();
        if data::has_no_postal_code(name) {
            v.add(
                Key::PostalCode,
                Code::InvalidValue,
                format!("{name} has no postal codes: postalCode must be empty"),
            );
        } else if let Some(fmt) = data::postal_format(name)
            && !fmt.matches(code)
        {
            v.add(
                Key::PostalCode,
                Code::InvalidStringFormat,
                fmt.message.clone(),
            );
        }
    }
    match (l.stage.value(), l.closed_lost_reason.value()) {
        (Some(Stage::ClosedLost), None) => v.add(
            Key::ClosedLostReason,
            Code::RequiredFieldMissing,
            "closed lost reason is required when the stage is Closed Lost",
        ),
        (Some(s), Some(_)) if *s != Stage::ClosedLost => v.add(
            Key::ClosedLostReason,
            Code::InvalidValue,
            "a closed lost reason is only allowed when the stage is Closed Lost",
        ),
        _ => {}
    }
    if l.stage.value() == Some(&Stage::Launched) && ctx.consulting_partner {
        v.required(
            Key::AwsAccountId,
            &c.aws_account_id,
            " when the stage is Launched",
        );
    }
    if o.solutions
        .value()
        .is_some_and(|s| s.iter().any(|x| x == "Other"))
    {
        v.required(
            Key::OtherSolution,
            &p.other_solution,
            " when the solution offered is Other",
        );
    }
    if o.opportunity_type.value() == Some(&OpportunityType::FlatRenewal) {
        v.required(
            Key::ParentId,
            &o.parent_opportunity_id,
            " for a Flat Renewal",
        );
    }
    api_members(o, &mut v);
    if let Field::Value(parent) = &o.parent_opportunity_id {
        let ok = crate::ids::OpportunityId::parse(parent).is_ok_and(|id| id.is_standard());
        if !ok {
            v.add(
                Key::ParentId,
                Code::InvalidStringFormat,
                format!(
                    "parent opportunity id must be an opportunity id O<digits>, got {parent:?}"
                ),
            );
        }
    }
    match m.source.value() {
        Some(MarketingSource::None) => {
            let why = "when the opportunity is not from a marketing activity";
            v.must_be_empty(Key::FundingUsed, &m.funding_used, why);
            v.must_be_empty(Key::Channels, &m.channels, why);
            v.must_be_empty(Key::MarketingUseCases, &m.use_cases, why);
            v.must_be_empty(Key::CampaignName, &m.campaign_name, why);
        }
        Some(MarketingSource::MarketingActivity) => {
            v.required(
                Key::FundingUsed,
                &m.funding_used,
                " when the opportunity is from a marketing activity",
            );
        }
        _ => {}
    }
    if p.competitor.value() == Some(&Competitor::OtherStar) {
        v.required(
            Key::OtherCompetitors,
            &p.other_competitors,
            " when the competitor is *Other",
        );
    }
    if natsec {
        if c.industry
            .value()
            .is_some_and(|i| *i != Industry::Government)
        {
            v.add(
                Key::NationalSecurity,
                Code::InvalidValue,
                "national security opportunities must have the industry Government",
            );
        }
        if a.country.value().is_some_and(|x| !x.is_us()) {
            v.add(
                Key::NationalSecurity,
                Code::InvalidValue,
                "national security opportunities must be in the United States",
            );
        }
    }
    if let Field::Value(needs) = &o.primary_needs {
        if needs.contains(&PrimaryNeed::DoNotNeedSupport) && needs.len() > 1 {
            v.add(
                Key::PrimaryNeeds,
                Code::InvalidValue,
                "\"Do Not Need Support from AWS Sales Rep\" cannot be combined with co-sell needs",
            );
        }
        if natsec && needs.contains(&PrimaryNeed::DoNotNeedSupport) {
            v.add(Key::PrimaryNeeds, Code::InvalidValue, "national security opportunities cannot choose \"Do Not Need Support from AWS Sales Rep\"");
        }
    }
    match (l.acceptance_status.value(), &l.rejection_reason) {
        (Some(AcceptanceStatus::Rejected), r) if r.value().is_none() => v.add(
            Key::RejectionReason,
            Code::RequiredFieldMissing,
            "a rejection reason is required when rejecting a referral",
        ),
        (s, Field::Value(_)) if s != Some(&AcceptanceStatus::Rejected) => v.add(
            Key::RejectionReason,
            Code::InvalidValue,
            "a rejection reason is only allowed when the referral is rejected",
        ),
        _ => {}
    }

    // Formats and ranges.
    v.digits(Key::Duns, &c.duns, 9);
    v.digits(Key::AwsAccountId, &c.aws_account_id, 12);
    if let Field::Value(spends) = &p.expected_spend {
        for s in spends {
            if !s.amount.is_positive() {
                v.add(
                    Key::ExpectedSpend,
                    Code::ValueOutOfRange,
                    format!(
                        "expected monthly revenue must be greater than 0, got {}",
                        s.amount
                    ),
                );
            } else if format == Format::Ace && !s.amount.is_integer() {
                v.add(
                    Key::ExpectedSpend,
                    Code::InvalidValue,
                    format!(
                        "expected monthly revenue is a whole number of USD, got {}",
                        s.amount
                    ),
                );
            }
        }
    }
    let max_problem = if format == Format::Ace { 32_000 } else { 2000 };
    v.len_range(Key::BusinessProblem, &p.business_problem, 20, max_problem);
    v.max_len(Key::Title, &p.title, 255);
    v.max_len(Key::NextSteps, &l.next_steps, 255);
    v.max_len(Key::AdditionalComments, &p.additional_comments, 255);
    v.max_len(Key::OtherSolution, &p.other_solution, 255);
    v.max_len(Key::Street, &a.street, 255);
    v.max_len(Key::Website, &c.website, 255);
    if let Field::Value(id) = &o.crm_id
        && id.as_str().len() > 64
    {
        v.add(
            Key::CrmId,
            Code::ValueOutOfRange,
            "the partner CRM id is at most 64 characters",
        );
    }
    if let Field::Value(date) = &l.target_close_date
        && *date < ctx.today
        && ctx.intent != Intent::Decision
        && !matches!(l.stage.value(), Some(Stage::Launched | Stage::ClosedLost))
    {
        v.add(
            Key::TargetCloseDate,
            Code::InvalidValue,
            format!("target close date {date} is in the past"),
        );
    }
    if let Field::Value(sols) = &o.solutions {
        for s in sols.iter().filter(|s| *s != "Other") {
            let ok = s
                .strip_prefix("S-")
                .is_some_and(|d| d.len() == 7 && d.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                v.add(
                    Key::Solutions,
                    Code::InvalidStringFormat,
                    format!(
                        "solution id {} must look like S-1234567 (or be Other)",
                        crate::quoted(s)
                    ),
                );
            }
        }
    }
    v.too_many(Key::Solutions, &o.solutions, 10);
    v.too_many(Key::AwsProducts, &o.aws_products, 20);
    v.too_many(Key::Offers, &o.marketplace_offers, 1);
    v.email(Key::CustomerEmail, &first_email(&c.contacts));
    v.email(Key::PartnerEmail, &first_email(&o.partner_team));

    // Standard values.
    v.known(Key::Industry, &c.industry, standard);
    v.known(Key::Country, &a.country, standard);
    v.known(Key::UseCase, &p.use_case, in_table("useCase"));
    v.known(Key::OpportunityType, &o.opportunity_type, standard);
    v.known(Key::Stage, &l.stage, standard);
    v.known(Key::ClosedLostReason, &l.closed_lost_reason, standard);
    v.known(Key::Competitor, &p.competitor, standard);
    v.known(Key::MarketingSource, &m.source, standard);
    v.known(Key::FundingUsed, &m.funding_used, standard);
    v.known(Key::NationalSecurity, &o.national_security, standard);
    v.known(Key::AcceptanceStatus, &l.acceptance_status, standard);
    v.known(
        Key::RejectionReason,
        &l.rejection_reason,
        |x: &RejectionReason| {
            let ok = x.is_known()
                && (format == Format::Ace || *x != RejectionReason::RenewalOpportunity);
            (!ok).then(|| x.as_api().to_string())
        },
    );
    v.known(Key::ProcurementType, &o.software_revenue.model, standard);
    v.known(
        Key::SoftwareCurrency,
        &o.software_revenue.currency,
        in_table("customerSoftwareValueCurrency"),
    );
    v.known_list(Key::DeliveryModels, &p.delivery_models, standard);
    v.known_list(Key::SalesActivities, &p.sales_activities, standard);
    v.known_list(Key::PrimaryNeeds, &o.primary_needs, |x: &PrimaryNeed| {
        let ok = x.is_known() && (format == Format::Ace || *x != PrimaryNeed::DoNotNeedSupport);
        (!ok).then(|| x.as_api().to_string())
    });
    v.known_list(Key::Channels, &m.channels, standard);
    v.known_list(
        Key::MarketingUseCases,
        &m.use_cases,
        in_table("marketingActivityUsecase"),
    );
    v.known_list(Key::ApnPrograms, &p.apn_programs, in_table("campaignName"));

    // What AWS's review status allows to change.
    if let Some(current) = ctx.current {
        let changing: Vec<Key> = provided
            .iter()
            .copied()
            .filter(|k| !matches!(k, Key::Id))
            .collect();
        match current.life_cycle.review_status.value() {
            Some(ReviewStatus::Submitted | ReviewStatus::InReview)
                if ctx.intent != Intent::Decision =>
            {
                v.add(Key::Id, Code::ActionNotPermitted, "the opportunity is being reviewed by AWS (Submitted / In review) and cannot be updated until the review ends");
            }
            Some(ReviewStatus::ActionRequired) => {
                for k in changing
                    .iter()
                    .filter(|k| !ACTION_REQUIRED_EDITABLE.contains(k))
                {
                    v.add(
                        *k,
                        Code::ActionNotPermitted,
                        format!(
                            "{} cannot change while AWS's review status is Action Required",
                            k.name(format)
                        ),
                    );
                }
            }
            Some(ReviewStatus::Approved) => {
                for k in changing
                    .iter()
                    .filter(|k| FROZEN_AFTER_APPROVAL.contains(k))
                {
                    if frozen_value(o, *k) != frozen_value(current, *k) {
                        v.add(
                            *k,
                            Code::ActionNotPermitted,
                            format!(
                                "{} cannot change after AWS approved the opportunity",
                                k.name(format)
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    v.out
}

/// The model's limits on the members added in 2025–26: `ExpectedContractDuration` (Months, 1–144, as
/// AWS's reference says), `AwsPartition` (enum `aws-eusc`), `Tags` (1–200; key 1–128 and value 0–256
/// characters of letters, separators, numbers and `_.:/=+-@`, the model's `TagKey` / `TagValue`).
fn api_members(o: &Opportunity, v: &mut Check<'_>) {
    let p = &o.project;
    if let Field::Value(m) = &p.expected_contract_duration_months
        && !(1..=144).contains(m)
    {
        v.add(
            Key::ContractDuration,
            Code::ValueOutOfRange,
            format!("expected contract duration must be 1 to 144 months, got {m}"),
        );
    }
    if let Field::Value(part) = &p.aws_partition
        && part != "aws-eusc"
    {
        v.add(
            Key::AwsPartition,
            Code::InvalidEnumValue,
            format!(
                "AWS partition must be aws-eusc, got {}",
                crate::quoted(part)
            ),
        );
    }
    if let Field::Value(tags) = &o.tags {
        if tags.is_empty() || tags.len() > 200 {
            v.add(
                Key::Tags,
                Code::TooManyValues,
                format!("an opportunity takes 1 to 200 tags, got {}", tags.len()),
            );
        }
        let allowed = |s: &str| {
            s.chars()
                .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
        };
        for t in tags {
            let (k, val) = (t.key.chars().count(), t.value.chars().count());
            if !(1..=128).contains(&k) || val > 256 || !allowed(&t.key) || !allowed(&t.value) {
                v.add(
                    Key::Tags,
                    Code::InvalidStringFormat,
                    format!(
                        "tag {}: a key is 1 to 128 and a value 0 to 256 letters, spaces, numbers or _.:/=+-@",
                        crate::quoted(&t.key)
                    ),
                );
            }
        }
    }
}

fn masked_fields(o: &Opportunity, v: &mut Check<'_>) {
    let c = &o.customer;
    let a = &c.address;
    let pairs = [
        (Key::CompanyName, c.company_name.is_masked()),
        (Key::Website, c.website.is_masked()),
        (Key::Country, a.country.is_masked()),
        (Key::State, a.state.is_masked()),
        (Key::PostalCode, a.postal_code.is_masked()),
        (Key::City, a.city.is_masked()),
        (Key::Street, a.street.is_masked()),
        (
            Key::CustomerEmail,
            match &c.contacts {
                Field::Value(list) => list.iter().any(|x| {
                    x.email.is_masked()
                        || x.phone.is_masked()
                        || x.first_name.is_masked()
                        || x.last_name.is_masked()
                }),
                f => f.is_masked(),
            },
        ),
    ];
    for (k, masked) in pairs {
        if masked {
            v.add(
                k,
                Code::InvalidValue,
                format!(
                    "{} holds AWS's mask \"Accept to View\", not data: leave it out",
                    k.name(v.format)
                ),
            );
        }
    }
}

/// Validates a lead update we are about to send (accept/reject, status).
pub fn lead(l: &crate::canonical::Lead) -> Vec<ValidationError> {
    let mut out = vec![];
    let mut add = |field: &str, code: Code, message: String| {
        out.push(ValidationError {
            field: field.to_string(),
            code,
            message,
        });
    };
    if l.id.value().is_none() {
        add(
            "apnCrmUniqueIdentifier",
            Code::RequiredFieldMissing,
            "apnCrmUniqueIdentifier is required: AWS only accepts updates of its own leads".into(),
        );
    }
    let known = |field: &str, v: &str| data::lead_values(field).is_some_and(|s| s.contains(v));
    for (field, value) in [
        ("status", l.status.as_ref().map(|v| v as &dyn Vocabulary)),
        (
            "currentLeadStage",
            l.stage.as_ref().map(|v| v as &dyn Vocabulary),
        ),
    ] {
        if let Some(bad) = value.value().and_then(|v| standard(*v)) {
            add(
                field,
                Code::InvalidEnumValue,
                format!("{} is not a standard value of {field}", crate::quoted(&bad)),
            );
        }
    }
    if let Field::Value(list) = &l.use_case_workloads {
        for w in list.iter().filter(|w| !known("useCaseWorkload", w)) {
            add(
                "useCaseWorkload",
                Code::InvalidEnumValue,
                format!(
                    "{} is not a standard value of useCaseWorkload",
                    crate::quoted(w)
                ),
            );
        }
    }
    for (field, f, max) in [
        ("firstName", &l.contact.first_name, 40),
        ("email", &l.contact.email, 254),
        ("phone", &l.contact.phone, 40),
        ("lastName", &l.contact.last_name, 80),
        ("title", &l.contact.title, 128),
        ("website", &l.website, 255),
        ("streetAddress", &l.address.street, 255),
        ("city", &l.address.city, 40),
        ("postalCode", &l.address.postal_code, 20),
        ("leadStatusReason", &l.status_reason, 255),
        ("segmentCompanySize", &l.segment_company_size, 255),
        ("projectDescription", &l.description, 32_000),
    ] {
        if f.is_masked() {
            add(
                field,
                Code::InvalidValue,
                format!("{field} holds AWS's mask \"Accept To View\", not data: leave it out"),
            );
        } else if let Field::Value(s) = f
            && s.chars().count() > max
        {
            add(
                field,
                Code::ValueOutOfRange,
                format!("{field} is at most {max} characters"),
            );
        }
    }
    out
}

/// What UpdateEngagementContext would refuse of a CRM's version of a lead sent over the API (AWS's
/// `UpdateLeadContext` in the service model): lengths of the qualification status and the customer's
/// members, at most 10 interactions, and a new interaction's contact with its required business title,
/// email, first and last name (`sends_interaction`: the CRM's newest interaction is one AWS does not hold,
/// so it is sent). Field names are the request's (`Payload.Lead.…`); codes the model's.
pub fn lead_engagement_update(
    l: &crate::canonical::Lead,
    sends_interaction: bool,
) -> Vec<ValidationError> {
    let mut out = vec![];
    let mut len = |field: &str, v: &Field<String>, min: usize, max: usize| {
        if let Field::Value(s) = v {
            let n = s.chars().count();
            if n < min || n > max {
                out.push(ValidationError {
                    field: format!("Payload.Lead.{field}"),
                    code: Code::ValueOutOfRange,
                    message: format!("{field} must be {min} to {max} characters, got {n}"),
                });
            }
        }
    };
    let e = &l.engagement;
    len("QualificationStatus", &e.qualification_status, 1, 255);
    len("Customer.CompanyName", &l.company, 1, 120);
    len("Customer.Industry", &l.industry, 0, 255);
    len("Customer.WebsiteUrl", &l.website, 0, 255);
    len("Customer.AwsMaturity", &l.aws_usage_level, 0, 255);
    len("Customer.MarketSegment", &e.market_segment, 0, 255);
    len("Customer.Address.City", &l.address.city, 0, 255);
    len("Customer.Address.PostalCode", &l.address.postal_code, 0, 20);
    len("Customer.Address.StateOrRegion", &l.address.state, 0, 255);
    let interactions = e
        .interactions
        .value()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if let Some(i) = interactions.last().filter(|_| sends_interaction) {
        let c = &i.contact;
        len("Interaction.Contact.BusinessTitle", &c.title, 1, 255);
        len("Interaction.Contact.Email", &c.email, 1, 255);
        len("Interaction.Contact.FirstName", &c.first_name, 0, 80);
        len("Interaction.Contact.LastName", &c.last_name, 0, 80);
        len("Interaction.SourceType", &i.source_type, 0, 255);
        len("Interaction.SourceId", &i.source_id, 0, 255);
        len("Interaction.SourceName", &i.source_name, 0, 255);
        len("Interaction.Usecase", &i.usecase, 0, 255);
        len("Interaction.CustomerAction", &i.customer_action, 0, 255);
        len("Interaction.BusinessProblem", &i.business_problem, 0, 2000);
        for (field, v) in [
            ("BusinessTitle", &c.title),
            ("Email", &c.email),
            ("FirstName", &c.first_name),
            ("LastName", &c.last_name),
        ] {
            if v.value().is_none() {
                out.push(ValidationError {
                    field: format!("Payload.Lead.Interaction.Contact.{field}"),
                    code: Code::RequiredFieldMissing,
                    message: format!("an interaction's contact needs {field}"),
                });
            }
        }
    }
    if interactions.len() > 10 {
        out.push(ValidationError {
            field: "Payload.Lead.Interactions".into(),
            code: Code::TooManyValues,
            message: format!(
                "a lead holds at most 10 interactions, got {}",
                interactions.len()
            ),
        });
    }
    out
}
