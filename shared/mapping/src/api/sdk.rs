//! API payload ↔ `aws-sdk-partnercentralselling` types. A structural copy: the vocabulary translation
//! happens once, between canonical and [`ApiOpportunity`]; this module only moves fields.

use super::wire::*;
use crate::canonical::{
    Contact, Country, Invitation, InvitationCustomer, InvitationProject, Opportunity, Person, Spend,
};
use crate::conversion::{ConversionError, parse_datetime};
use crate::field::{Field, Nullable};
use crate::ids::{Catalog, EngagementId, InvitationId};
use crate::vocab::{EngagementScore, Industry, InvitationPayloadType, InvitationStatus};
use aws_sdk_partnercentralselling::operation::create_opportunity::builders::CreateOpportunityFluentBuilder;
use aws_sdk_partnercentralselling::operation::get_aws_opportunity_summary::GetAwsOpportunitySummaryOutput;
use aws_sdk_partnercentralselling::operation::get_engagement_invitation::GetEngagementInvitationOutput;
use aws_sdk_partnercentralselling::operation::get_opportunity::GetOpportunityOutput;
use aws_sdk_partnercentralselling::operation::update_opportunity::builders::UpdateOpportunityFluentBuilder;
use aws_sdk_partnercentralselling::primitives::{DateTime as SdkDateTime, DateTimeFormat};
use aws_sdk_partnercentralselling::types as sdk;
use chrono::{DateTime, Utc};

fn opt(n: &Nullable<String>) -> Option<String> {
    n.as_value().cloned()
}

fn some(s: &Option<String>) -> Nullable<String> {
    Nullable::from_option(s.clone())
}

fn some_str<T: AsRef<str>>(s: Option<&T>) -> Nullable<String> {
    Nullable::from_option(s.map(|v| v.as_ref().to_string()))
}

fn sdk_time(s: &str, field: &str) -> Result<SdkDateTime, ConversionError> {
    // Through chrono: Smithy rejects offsets such as `+00:00`, which AWS's own samples use.
    let d = parse_datetime(s, field)?;
    Ok(SdkDateTime::from_secs_and_nanos(
        d.timestamp(),
        d.timestamp_subsec_nanos(),
    ))
}

fn time_text(d: &SdkDateTime) -> String {
    d.fmt(DateTimeFormat::DateTime).unwrap_or_default()
}

fn chrono_time(d: &SdkDateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(d.secs(), d.subsec_nanos())
}

fn contact(c: &ApiContact) -> sdk::Contact {
    sdk::Contact::builder()
        .set_email(opt(&c.email))
        .set_first_name(opt(&c.first_name))
        .set_last_name(opt(&c.last_name))
        .set_business_title(opt(&c.business_title))
        .set_phone(opt(&c.phone))
        .build()
}

/// SDK strings or enums as an API list (`None` is null: the SDK cannot tell it from absent).
fn strs<E: AsRef<str>>(v: &Option<Vec<E>>) -> Nullable<Vec<String>> {
    Nullable::from_option(
        v.as_ref()
            .map(|v| v.iter().map(|x| x.as_ref().to_string()).collect()),
    )
}

fn contact_back(c: &sdk::Contact) -> ApiContact {
    ApiContact {
        business_title: some(&c.business_title),
        email: some(&c.email),
        first_name: some(&c.first_name),
        last_name: some(&c.last_name),
        phone: some(&c.phone),
    }
}

fn spend(s: &ApiSpend) -> Result<sdk::ExpectedCustomerSpend, ConversionError> {
    let spend = sdk::ExpectedCustomerSpend::builder()
        .set_amount(opt(&s.amount))
        .set_currency_code(enum_of(&s.currency_code))
        .set_frequency(enum_of(&s.frequency))
        .set_target_company(opt(&s.target_company))
        .set_estimation_url(opt(&s.estimation_url))
        .build();
    built(spend, "Project.ExpectedCustomerSpend")
}

fn spend_back(s: &sdk::ExpectedCustomerSpend) -> ApiSpend {
    ApiSpend {
        amount: Nullable::Value(s.amount.clone()),
        currency_code: Nullable::Value(s.currency_code.as_str().to_string()),
        estimation_url: some(&s.estimation_url),
        frequency: Nullable::Value(s.frequency.as_str().to_string()),
        target_company: Nullable::Value(s.target_company.clone()),
    }
}

/// An opportunity as SDK values, ready to put on a CreateOpportunity or UpdateOpportunity call.
#[derive(Debug, Clone, Default)]
pub struct SdkOpportunity {
    /// `Identifier` (update).
    pub identifier: Option<String>,
    /// `LastModifiedDate` (update's optimistic lock).
    pub last_modified_date: Option<SdkDateTime>,
    /// `Origin` (create).
    pub origin: Option<sdk::OpportunityOrigin>,
    /// `OpportunityType`.
    pub opportunity_type: Option<sdk::OpportunityType>,
    /// `NationalSecurity`.
    pub national_security: Option<sdk::NationalSecurity>,
    /// `PartnerOpportunityIdentifier`.
    pub partner_opportunity_identifier: Option<String>,
    /// `PrimaryNeedsFromAws`.
    pub primary_needs_from_aws: Option<Vec<sdk::PrimaryNeedFromAws>>,
    /// `Customer`.
    pub customer: Option<sdk::Customer>,
    /// `LifeCycle`.
    pub life_cycle: Option<sdk::LifeCycle>,
    /// `Marketing`.
    pub marketing: Option<sdk::Marketing>,
    /// `OpportunityTeam` (create).
    pub opportunity_team: Option<Vec<sdk::Contact>>,
    /// `Project`.
    pub project: Option<sdk::Project>,
    /// `SoftwareRevenue`.
    pub software_revenue: Option<sdk::SoftwareRevenue>,
    /// `Tags` (create).
    pub tags: Option<Vec<sdk::Tag>>,
}

fn enum_of<E: for<'a> From<&'a str>>(n: &Nullable<String>) -> Option<E> {
    n.as_value().map(|v| E::from(v.as_str()))
}

fn enums_of<E: for<'a> From<&'a str>>(n: &Nullable<Vec<String>>) -> Option<Vec<E>> {
    n.as_value()
        .map(|v| v.iter().map(|x| E::from(x.as_str())).collect())
}

/// Converts an object that may be absent.
fn each<T, U>(
    n: &Nullable<T>,
    f: impl FnOnce(&T) -> Result<U, ConversionError>,
) -> Result<Option<U>, ConversionError> {
    n.as_value().map(f).transpose()
}

/// Converts every item of a list that may be absent.
fn each_in<T, U>(
    n: &Nullable<Vec<T>>,
    f: impl Fn(&T) -> Result<U, ConversionError>,
) -> Result<Option<Vec<U>>, ConversionError> {
    each(n, |v| v.iter().map(f).collect())
}

fn built<T, E: std::fmt::Display>(r: Result<T, E>, field: &str) -> Result<T, ConversionError> {
    r.map_err(|e| ConversionError::new(field, e.to_string()))
}

fn customer(c: &ApiCustomer) -> Result<sdk::Customer, ConversionError> {
    let account = each(&c.account, |acc| {
        let address = acc.address.as_value().map(|ad| {
            sdk::Address::builder()
                .set_city(opt(&ad.city))
                .set_postal_code(opt(&ad.postal_code))
                .set_state_or_region(opt(&ad.state_or_region))
                .set_country_code(enum_of(&ad.country_code))
                .set_street_address(opt(&ad.street_address))
                .build()
        });
        let account = sdk::Account::builder()
            .set_industry(enum_of(&acc.industry))
            .set_other_industry(opt(&acc.other_industry))
            .set_company_name(opt(&acc.company_name))
            .set_website_url(opt(&acc.website_url))
            .set_aws_account_id(opt(&acc.aws_account_id))
            .set_duns(opt(&acc.duns))
            .set_address(address)
            .build();
        built(account, "Customer.Account")
    })?;
    Ok(sdk::Customer::builder()
        .set_account(account)
        .set_contacts(
            c.contacts
                .as_value()
                .map(|v| v.iter().map(contact).collect()),
        )
        .build())
}

fn life_cycle(l: &ApiLifeCycle) -> Result<sdk::LifeCycle, ConversionError> {
    let history = each_in(&l.next_steps_history, |h| {
        let time = each(&h.time, |t| sdk_time(t, "LifeCycle.NextStepsHistory.Time"))?;
        let step = sdk::NextStepsHistory::builder()
            .set_value(opt(&h.value))
            .set_time(time)
            .build();
        built(step, "LifeCycle.NextStepsHistory")
    })?;
    Ok(sdk::LifeCycle::builder()
        .set_stage(enum_of(&l.stage))
        .set_closed_lost_reason(enum_of(&l.closed_lost_reason))
        .set_next_steps(opt(&l.next_steps))
        .set_target_close_date(opt(&l.target_close_date))
        .set_review_status(enum_of(&l.review_status))
        .set_review_comments(opt(&l.review_comments))
        .set_review_status_reason(opt(&l.review_status_reason))
        .set_next_steps_history(history)
        .build())
}

fn project(p: &ApiProject) -> Result<sdk::Project, ConversionError> {
    Ok(sdk::Project::builder()
        .set_delivery_models(enums_of(&p.delivery_models))
        .set_expected_customer_spend(each_in(&p.expected_customer_spend, spend)?)
        .set_title(opt(&p.title))
        .set_apn_programs(p.apn_programs.as_value().cloned())
        .set_customer_business_problem(opt(&p.customer_business_problem))
        .set_customer_use_case(opt(&p.customer_use_case))
        .set_related_opportunity_identifier(opt(&p.related_opportunity_identifier))
        .set_sales_activities(enums_of(&p.sales_activities))
        .set_competitor_name(enum_of(&p.competitor_name))
        .set_other_competitor_names(opt(&p.other_competitor_names))
        .set_other_solution_description(opt(&p.other_solution_description))
        .set_additional_comments(opt(&p.additional_comments))
        .set_aws_partition(enum_of(&p.aws_partition))
        .set_expected_contract_duration(each(&p.expected_contract_duration, |d| {
            built(
                sdk::ExpectedContractDuration::builder()
                    .set_term(enum_of(&d.term))
                    .set_value(opt(&d.value))
                    .build(),
                "Project.ExpectedContractDuration",
            )
        })?)
        .build())
}

fn software_revenue(r: &ApiSoftwareRevenue) -> Result<sdk::SoftwareRevenue, ConversionError> {
    let value = each(&r.value, |m| {
        let money = sdk::MonetaryValue::builder()
            .set_amount(opt(&m.amount))
            .set_currency_code(enum_of(&m.currency_code))
            .build();
        built(money, "SoftwareRevenue.Value")
    })?;
    Ok(sdk::SoftwareRevenue::builder()
        .set_delivery_model(enum_of(&r.delivery_model))
        .set_effective_date(opt(&r.effective_date))
        .set_expiration_date(opt(&r.expiration_date))
        .set_value(value)
        .build())
}

fn marketing(m: &ApiMarketing) -> sdk::Marketing {
    sdk::Marketing::builder()
        .set_campaign_name(opt(&m.campaign_name))
        .set_source(enum_of(&m.source))
        .set_use_cases(m.use_cases.as_value().cloned())
        .set_channels(enums_of(&m.channels))
        .set_aws_funding_used(enum_of(&m.aws_funding_used))
        .build()
}

impl SdkOpportunity {
    /// Converts an API payload.
    pub fn from_api(a: &ApiOpportunity) -> Result<Self, ConversionError> {
        Ok(SdkOpportunity {
            identifier: opt(&a.identifier).or_else(|| opt(&a.id)),
            last_modified_date: each(&a.last_modified_date, |t| sdk_time(t, "LastModifiedDate"))?,
            origin: enum_of(&a.origin),
            opportunity_type: enum_of(&a.opportunity_type),
            national_security: enum_of(&a.national_security),
            partner_opportunity_identifier: opt(&a.partner_opportunity_identifier),
            primary_needs_from_aws: enums_of(&a.primary_needs_from_aws),
            customer: each(&a.customer, customer)?,
            life_cycle: each(&a.life_cycle, life_cycle)?,
            marketing: a.marketing.as_value().map(marketing),
            opportunity_team: a
                .opportunity_team
                .as_value()
                .map(|v| v.iter().map(contact).collect()),
            project: each(&a.project, project)?,
            software_revenue: each(&a.software_revenue, software_revenue)?,
            tags: each_in(&a.tags, |t| {
                built(
                    sdk::Tag::builder()
                        .set_key(opt(&t.key))
                        .set_value(opt(&t.value))
                        .build(),
                    "Tags",
                )
            })?,
        })
    }

    /// Puts the fields on a CreateOpportunity call (the caller sets catalog and client token).
    pub fn apply_create(self, b: CreateOpportunityFluentBuilder) -> CreateOpportunityFluentBuilder {
        b.set_origin(self.origin)
            .set_opportunity_type(self.opportunity_type)
            .set_national_security(self.national_security)
            .set_partner_opportunity_identifier(self.partner_opportunity_identifier)
            .set_primary_needs_from_aws(self.primary_needs_from_aws)
            .set_customer(self.customer)
            .set_life_cycle(self.life_cycle)
            .set_marketing(self.marketing)
            .set_opportunity_team(self.opportunity_team)
            .set_project(self.project)
            .set_software_revenue(self.software_revenue)
            .set_tags(self.tags)
    }

    /// Puts the fields on an UpdateOpportunity call — a full replace (the caller sets catalog).
    pub fn apply_update(self, b: UpdateOpportunityFluentBuilder) -> UpdateOpportunityFluentBuilder {
        b.set_identifier(self.identifier)
            .set_last_modified_date(self.last_modified_date)
            .set_opportunity_type(self.opportunity_type)
            .set_national_security(self.national_security)
            .set_partner_opportunity_identifier(self.partner_opportunity_identifier)
            .set_primary_needs_from_aws(self.primary_needs_from_aws)
            .set_customer(self.customer)
            .set_life_cycle(self.life_cycle)
            .set_marketing(self.marketing)
            .set_project(self.project)
            .set_software_revenue(self.software_revenue)
    }
}

/// The API payload of a GetOpportunity response.
pub fn from_get_opportunity(o: &GetOpportunityOutput) -> ApiOpportunity {
    let customer = o.customer.as_ref().map(|c| ApiCustomer {
        account: Nullable::from_option(c.account.as_ref().map(|a| ApiAccount {
            address: Nullable::from_option(a.address.as_ref().map(|ad| ApiAddress {
                city: some(&ad.city),
                country_code: some_str(ad.country_code.as_ref()),
                postal_code: some(&ad.postal_code),
                state_or_region: some(&ad.state_or_region),
                street_address: some(&ad.street_address),
            })),
            aws_account_id: some(&a.aws_account_id),
            company_name: Nullable::Value(a.company_name.clone()),
            duns: some(&a.duns),
            industry: some_str(a.industry.as_ref()),
            other_industry: some(&a.other_industry),
            website_url: some(&a.website_url),
        })),
        contacts: Nullable::from_option(
            c.contacts
                .as_ref()
                .map(|v| v.iter().map(contact_back).collect()),
        ),
    });
    ApiOpportunity {
        catalog: Nullable::Value(o.catalog.clone()),
        client_token: Nullable::Absent,
        id: Nullable::Value(o.id.clone()),
        identifier: Nullable::Absent,
        arn: some(&o.arn),
        created_date: Nullable::Value(time_text(&o.created_date)),
        last_modified_date: Nullable::Value(time_text(&o.last_modified_date)),
        origin: Nullable::Absent,
        opportunity_type: some_str(o.opportunity_type.as_ref()),
        national_security: some_str(o.national_security.as_ref()),
        partner_opportunity_identifier: some(&o.partner_opportunity_identifier),
        primary_needs_from_aws: strs(&o.primary_needs_from_aws),
        customer: Nullable::from_option(customer),
        life_cycle: Nullable::from_option(o.life_cycle.as_ref().map(|l| ApiLifeCycle {
            closed_lost_reason: some_str(l.closed_lost_reason.as_ref()),
            next_steps: some(&l.next_steps),
            next_steps_history: Nullable::from_option(l.next_steps_history.as_ref().map(|v| {
                v.iter()
                    .map(|h| ApiNextStep {
                        time: Nullable::Value(time_text(&h.time)),
                        value: Nullable::Value(h.value.clone()),
                    })
                    .collect()
            })),
            review_comments: some(&l.review_comments),
            review_status: some_str(l.review_status.as_ref()),
            review_status_reason: some(&l.review_status_reason),
            stage: some_str(l.stage.as_ref()),
            target_close_date: some(&l.target_close_date),
        })),
        marketing: Nullable::from_option(o.marketing.as_ref().map(|m| ApiMarketing {
            aws_funding_used: some_str(m.aws_funding_used.as_ref()),
            campaign_name: some(&m.campaign_name),
            channels: strs(&m.channels),
            source: some_str(m.source.as_ref()),
            use_cases: strs(&m.use_cases),
        })),
        opportunity_team: Nullable::from_option(
            o.opportunity_team
                .as_ref()
                .map(|v| v.iter().map(contact_back).collect()),
        ),
        project: Nullable::from_option(o.project.as_ref().map(|p| {
            ApiProject {
                additional_comments: some(&p.additional_comments),
                aws_partition: some_str(p.aws_partition.as_ref()),
                expected_contract_duration: Nullable::from_option(
                    p.expected_contract_duration
                        .as_ref()
                        .map(|d| ApiContractDuration {
                            term: Nullable::Value(d.term.as_str().to_string()),
                            value: Nullable::Value(d.value.clone()),
                        }),
                ),
                apn_programs: strs(&p.apn_programs),
                competitor_name: some_str(p.competitor_name.as_ref()),
                customer_business_problem: some(&p.customer_business_problem),
                customer_use_case: some(&p.customer_use_case),
                delivery_models: strs(&p.delivery_models),
                expected_customer_spend: Nullable::from_option(
                    p.expected_customer_spend
                        .as_ref()
                        .map(|v| v.iter().map(spend_back).collect()),
                ),
                other_competitor_names: some(&p.other_competitor_names),
                other_solution_description: some(&p.other_solution_description),
                related_opportunity_identifier: some(&p.related_opportunity_identifier),
                sales_activities: strs(&p.sales_activities),
                title: some(&p.title),
            }
        })),
        software_revenue: Nullable::from_option(o.software_revenue.as_ref().map(|r| {
            ApiSoftwareRevenue {
                delivery_model: some_str(r.delivery_model.as_ref()),
                effective_date: some(&r.effective_date),
                expiration_date: some(&r.expiration_date),
                value: Nullable::from_option(r.value.as_ref().map(|m| ApiMoney {
                    amount: Nullable::Value(m.amount.clone()),
                    currency_code: Nullable::Value(m.currency_code.as_str().to_string()),
                })),
            }
        })),
        related_entity_identifiers: Nullable::from_option(
            o.related_entity_identifiers
                .as_ref()
                .map(|r| ApiRelatedEntities {
                    aws_marketplace_offers: strs(&r.aws_marketplace_offers),
                    aws_marketplace_offer_sets: strs(&r.aws_marketplace_offer_sets),
                    aws_marketplace_products: strs(&r.aws_marketplace_products),
                    aws_marketplace_solutions: strs(&r.aws_marketplace_solutions),
                    aws_products: strs(&r.aws_products),
                    solutions: strs(&r.solutions),
                }),
        ),
        // GetOpportunity does not return tags.
        tags: Nullable::Absent,
    }
}

/// Merges AWS's side of an opportunity (GetAwsOpportunitySummary) into the canonical record.
pub fn apply_aws_summary(o: &mut Opportunity, s: &GetAwsOpportunitySummaryOutput) {
    let text = |v: Option<&str>| v.map_or(Field::Null, |x| Field::Value(x.to_string()));
    // GetOpportunity does not return the origin; AWS's summary does.
    if let Some(origin) = &s.origin {
        o.origin = Field::Value(crate::vocab::Origin::from_api(origin.as_str()));
    }
    if let Some(l) = &s.life_cycle {
        o.aws.stage = text(l.stage.as_ref().map(|x| x.as_str()));
        o.aws.closed_lost_reason = text(l.closed_lost_reason.as_ref().map(|x| x.as_str()));
        o.aws.next_steps = text(l.next_steps.as_deref());
        o.aws.close_date = l
            .target_close_date
            .as_deref()
            .and_then(|d| crate::conversion::parse_date(d, "LifeCycle.TargetCloseDate").ok())
            .map_or(Field::Null, Field::Value);
    }
    if let Some(l) = &s.life_cycle {
        o.aws.next_steps_history = l.next_steps_history.as_ref().map_or(Field::Null, |h| {
            Field::Value(
                h.iter()
                    .map(|n| crate::canonical::NextStep {
                        time: chrono_time(&n.time),
                        value: n.value.clone(),
                    })
                    .collect(),
            )
        });
    }
    if let Some(i) = &s.insights {
        o.aws.next_best_actions = text(i.next_best_actions.as_deref());
        o.aws.engagement_score = i.engagement_score.as_ref().map_or(Field::Null, |e| {
            Field::Value(EngagementScore::from_api(e.as_str()))
        });
        let quality = i.opportunity_quality.as_ref();
        o.aws.quality_score = quality
            .and_then(|q| q.score)
            .and_then(|n| u32::try_from(n).ok())
            .map_or(Field::Null, Field::Value);
        o.aws.quality_trend = text(quality.and_then(|q| q.trend.as_deref()));
        o.aws.recommendations = i.recommendations.as_ref().map_or(Field::Null, |r| {
            Field::Value(
                r.iter()
                    .map(|x| crate::canonical::Recommendation {
                        kind: x.r#type.clone(),
                        details: Some(x.details.clone()).filter(|d| !d.is_empty()),
                    })
                    .collect(),
            )
        });
        o.aws.spend_insights =
            i.aws_products_spend_insights_by_source
                .as_ref()
                .map_or(Field::Null, |b| {
                    let one = |source: &str, p: &sdk::AwsProductInsights| {
                        crate::canonical::SpendInsight {
                            source: source.to_string(),
                            currency: p.currency_code.as_str().to_string(),
                            total: p.total_amount.clone(),
                            optimized: p.total_optimized_amount.clone(),
                            potential_savings: p.total_potential_savings_amount.clone(),
                        }
                    };
                    Field::Value(
                        [("Partner", b.partner.as_ref()), ("AWS", b.aws.as_ref())]
                            .into_iter()
                            .filter_map(|(n, p)| p.map(|p| one(n, p)))
                            .collect(),
                    )
                });
    }
    o.aws.cosell_motion = text(s.cosell_motion.as_deref());
    o.aws.involvement_type = text(s.involvement_type.as_ref().map(|x| x.as_str()));
    o.aws.visibility = text(s.visibility.as_ref().map(|x| x.as_str()));
    o.aws.involvement_type_change_reason = text(
        s.involvement_type_change_reason
            .as_ref()
            .map(|x| x.as_str()),
    );
    o.aws.aws_partition = text(
        s.project
            .as_ref()
            .and_then(|p| p.aws_partition.as_ref())
            .map(|p| p.as_str()),
    );
    for m in s.opportunity_team.as_deref().unwrap_or_default() {
        let name = [m.first_name.as_deref(), m.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let person = Person {
            name: if name.is_empty() {
                Field::Null
            } else {
                Field::Value(name)
            },
            email: text(m.email.as_deref()),
            phone: Field::Absent,
        };
        let slot = match m.business_title.as_ref().map(|t| t.as_str()) {
            Some("AWSAccountOwner") => &mut o.aws.account_owner,
            Some("AWSSalesRep") => &mut o.aws.sales_rep,
            Some("ISVSM") => &mut o.aws.isv_success_manager,
            Some("PSM") => &mut o.aws.partner_success_manager,
            Some("PDM") => &mut o.aws.partner_development_manager,
            Some("WWPSPDM") => &mut o.aws.wwps_partner_development_manager,
            _ => continue,
        };
        *slot = person;
    }
}

/// The canonical invitation of a GetEngagementInvitation response.
pub fn invitation_from_sdk(
    i: &GetEngagementInvitationOutput,
) -> Result<Invitation, ConversionError> {
    let f = |v: Option<&str>| v.map_or(Field::Null, |x| Field::Value(x.to_string()));
    let t = |d: Option<&SdkDateTime>| d.and_then(chrono_time).map_or(Field::Null, Field::Value);
    let (project, customer, contacts, responsibilities) = match &i.payload {
        Some(sdk::Payload::OpportunityInvitation(p)) => (
            p.project.as_ref().map(|pr| InvitationProject {
                title: Field::Value(pr.title.clone()),
                business_problem: Field::Value(pr.business_problem.clone()),
                target_completion_date: Field::Value(pr.target_completion_date.clone()),
                expected_spend: Field::Value(
                    pr.expected_customer_spend
                        .iter()
                        .filter_map(|s| {
                            Some(Spend {
                                amount: crate::canonical::Decimal::parse(&s.amount).ok()?,
                                currency: s.currency_code.as_str().to_string(),
                                frequency: s.frequency.as_str().to_string(),
                                target_company: s.target_company.clone(),
                                estimation_url: f(s.estimation_url.as_deref()),
                            })
                        })
                        .collect(),
                ),
            }),
            p.customer.as_ref().map(|c| InvitationCustomer {
                company_name: Field::Value(c.company_name.clone()),
                website: Field::Value(c.website_url.clone()),
                industry: Field::Value(Industry::from_api(c.industry.as_str())),
                country: Field::Value(Country::from_api(c.country_code.as_str())),
            }),
            p.sender_contacts.as_ref().map(|v| {
                v.iter()
                    .map(|c| Contact {
                        first_name: f(c.first_name.as_deref()),
                        last_name: f(c.last_name.as_deref()),
                        email: Field::Value(c.email.clone()),
                        phone: f(c.phone.as_deref()),
                        title: f(c.business_title.as_deref()),
                    })
                    .collect()
            }),
            Some(
                p.receiver_responsibilities
                    .iter()
                    .map(|r| r.as_str().to_string())
                    .collect(),
            ),
        ),
        _ => (None, None, None, None),
    };
    let (customer, lead) = match &i.payload {
        Some(sdk::Payload::LeadInvitation(p)) => {
            let (c, l) = super::engagement::lead_invitation(p);
            (Some(c), Some(l))
        }
        _ => (customer, None),
    };
    Ok(Invitation {
        catalog: Catalog::parse(&i.catalog)
            .map_err(|e| ConversionError::new("Catalog", e.to_string()))?,
        id: InvitationId::parse(&i.id).map_err(|e| ConversionError::new("Id", e.to_string()))?,
        arn: f(i.arn.as_deref()),
        engagement_id: match i.engagement_id.as_deref() {
            Some(e) => Field::Value(
                EngagementId::parse(e)
                    .map_err(|x| ConversionError::new("EngagementId", x.to_string()))?,
            ),
            None => Field::Null,
        },
        engagement_title: f(i.engagement_title.as_deref()),
        status: i.status.as_ref().map_or(Field::Null, |s| {
            Field::Value(InvitationStatus::from_api(s.as_str()))
        }),
        payload_type: i.payload_type.as_ref().map_or(Field::Null, |s| {
            Field::Value(InvitationPayloadType::from_api(s.as_str()))
        }),
        invited_at: t(i.invitation_date.as_ref()),
        expires_at: t(i.expiration_date.as_ref()),
        sender_account_id: f(i.sender_aws_account_id.as_deref()),
        sender_company_name: f(i.sender_company_name.as_deref()),
        message: f(i.invitation_message.as_deref()),
        rejection_reason: f(i.rejection_reason.as_deref()),
        project: project.unwrap_or_default(),
        customer: customer.unwrap_or_default(),
        sender_contacts: contacts.map_or(Field::Null, Field::Value),
        receiver_responsibilities: responsibilities.map_or(Field::Null, Field::Value),
        lead,
        engagement_description: f(i.engagement_description.as_deref()),
        enrichment: i.enrichment_context.as_ref().map(|e| {
            let p = e.prospecting_result_aws.as_ref();
            let c = p.and_then(|p| p.customer.as_ref());
            let n = p.and_then(|p| p.insights.as_ref());
            crate::canonical::InvitationEnrichment {
                account_name: c.and_then(|c| c.account_name.clone()),
                geo: c.and_then(|c| c.geo.clone()),
                region: c.and_then(|c| c.region.clone()),
                sub_region: c.and_then(|c| c.sub_region.clone()),
                country: c
                    .and_then(|c| c.country.as_ref())
                    .map(|x| x.as_str().to_string()),
                industry: c
                    .and_then(|c| c.industry.as_ref())
                    .map(|x| x.as_str().to_string()),
                sub_industry: c.and_then(|c| c.sub_industry.clone()),
                segment: c.and_then(|c| c.segment.clone()),
                company_size: c.and_then(|c| c.company_size.clone()),
                eligible_programs: c
                    .and_then(|c| c.eligible_programs.clone())
                    .unwrap_or_default(),
                public_profile_summary: c.and_then(|c| c.public_profile_summary.clone()),
                marketplace_engagement_score: n
                    .and_then(|n| n.marketplace_engagement_score.clone()),
                solution_score: n.and_then(|n| n.solution_score.clone()),
                solution_category: n.and_then(|n| n.solution_category.clone()),
                solution_sub_category: n.and_then(|n| n.solution_sub_category.clone()),
                lead_readiness_score: e
                    .lead_insights
                    .as_ref()
                    .and_then(|l| l.lead_readiness_score.clone()),
            }
        }),
    })
}
