//! Leads over the Selling API ↔ canonical: a lead invitation's payload (`LeadInvitationPayload`), the
//! `Lead` context of an engagement (GetEngagement), and the `UpdateLeadContext` a CRM change becomes.
//! Shapes as AWS's service model and AWS's lead guide ("Working with your leads") name them.

use crate::canonical::{
    Address, Contact, Country, InvitationCustomer, InvitationLead, Lead, LeadEngagement,
    LeadInteraction,
};
use crate::conversion::{ConversionError, parse_datetime};
use crate::field::Field;
use crate::ids::{EngagementId, OpportunityId};
use aws_sdk_partnercentralselling::operation::get_engagement::GetEngagementOutput;
use aws_sdk_partnercentralselling::primitives::DateTime as SdkDateTime;
use aws_sdk_partnercentralselling::types as sdk;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

fn text(v: Option<&str>) -> Field<String> {
    v.filter(|s| !s.is_empty())
        .map_or(Field::Null, |s| Field::Value(s.to_string()))
}

fn sdk_time(t: &DateTime<Utc>) -> SdkDateTime {
    SdkDateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

/// A lead invitation's payload: the customer summary and the lead's own members.
pub fn lead_invitation(p: &sdk::LeadInvitationPayload) -> (InvitationCustomer, InvitationLead) {
    let c = p.customer();
    let i = p.interaction();
    let customer = InvitationCustomer {
        company_name: text(c.map(|c| c.company_name())),
        website: text(c.and_then(|c| c.website_url())),
        industry: Field::Absent,
        country: c
            .map(|c| c.country_code())
            .filter(|s| !s.is_empty())
            .map_or(Field::Null, |cc| Field::Value(Country::from_api(cc))),
    };
    let lead = InvitationLead {
        industry: text(c.and_then(|c| c.industry())),
        aws_maturity: text(c.and_then(|c| c.aws_maturity())),
        market_segment: text(c.and_then(|c| c.market_segment())),
        interaction: LeadInteraction {
            source_type: text(i.map(|i| i.source_type())),
            source_id: text(i.map(|i| i.source_id())),
            source_name: text(i.map(|i| i.source_name())),
            usecase: text(i.and_then(|i| i.usecase())),
            contact: Contact {
                title: text(i.map(|i| i.contact_business_title())),
                ..Contact::default()
            },
            ..LeadInteraction::default()
        },
    };
    (customer, lead)
}

/// GetEngagement's answer as JSON (awsJson, PascalCase): what the SDK reads, what `acebridge convert`
/// reads from a file. Only what acebridge maps; the `Lead` context in full.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiEngagement {
    /// `eng-…`.
    pub id: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Created (ISO 8601).
    pub created_at: Option<String>,
    /// By.
    pub created_by: Option<String>,
    /// Modified (ISO 8601): the lead's version.
    pub modified_at: Option<String>,
    /// By.
    pub modified_by: Option<String>,
    /// The contexts.
    pub contexts: Vec<ApiEngagementContext>,
}

/// `Contexts[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiEngagementContext {
    /// Its id.
    pub id: Option<String>,
    /// `CustomerProject`, `Lead`, `ProspectingResult`.
    pub r#type: String,
    /// Its payload (only `Lead` is read).
    pub payload: Option<ApiContextPayload>,
}

/// `Contexts[].Payload`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiContextPayload {
    /// `LeadContext`.
    pub lead: Option<ApiLeadContext>,
}

/// `LeadContext`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiLeadContext {
    /// Qualification status.
    pub qualification_status: Option<String>,
    /// The customer.
    pub customer: Option<ApiLeadCustomer>,
    /// 1–10 interactions.
    pub interactions: Vec<ApiLeadInteraction>,
    /// AWS's insights.
    pub insights: Option<ApiLeadInsights>,
}

/// `LeadCustomer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiLeadCustomer {
    /// Industry.
    pub industry: Option<String>,
    /// Company.
    pub company_name: Option<String>,
    /// Website.
    pub website_url: Option<String>,
    /// Address.
    pub address: Option<ApiLeadAddress>,
    /// AWS maturity.
    pub aws_maturity: Option<String>,
    /// Market segment.
    pub market_segment: Option<String>,
}

/// `LeadAddress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiLeadAddress {
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// State or region.
    pub state_or_region: Option<String>,
    /// Country code.
    pub country_code: Option<String>,
}

/// `LeadInteraction`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiLeadInteraction {
    /// Source type.
    pub source_type: Option<String>,
    /// Source id.
    pub source_id: Option<String>,
    /// Source name.
    pub source_name: Option<String>,
    /// Use case.
    pub usecase: Option<String>,
    /// When (ISO 8601).
    pub interaction_date: Option<String>,
    /// What the customer did.
    pub customer_action: Option<String>,
    /// Business problem.
    pub business_problem: Option<String>,
    /// The contact.
    pub contact: Option<ApiLeadContact>,
}

/// `LeadContact`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiLeadContact {
    /// Business title.
    pub business_title: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// `LeadInsights`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ApiLeadInsights {
    /// AWS's AI lead-readiness score.
    pub lead_readiness_score: Option<String>,
}

fn owned(v: &str) -> Option<String> {
    Some(v.to_string())
}

fn iso(d: Option<&SdkDateTime>) -> Option<String> {
    d.and_then(|d| DateTime::from_timestamp(d.secs(), d.subsec_nanos()))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// The JSON form of a GetEngagement answer the SDK read.
pub fn from_get_engagement(e: &GetEngagementOutput) -> ApiEngagement {
    let lead = |l: &sdk::LeadContext| ApiLeadContext {
        qualification_status: owned(l.qualification_status()),
        customer: l.customer().map(|c| ApiLeadCustomer {
            industry: c.industry().map(str::to_string),
            company_name: owned(c.company_name()),
            website_url: c.website_url().map(str::to_string),
            address: c.address().map(|a| ApiLeadAddress {
                city: a.city().map(str::to_string),
                postal_code: a.postal_code().map(str::to_string),
                state_or_region: a.state_or_region().map(str::to_string),
                country_code: a.country_code().map(str::to_string),
            }),
            aws_maturity: c.aws_maturity().map(str::to_string),
            market_segment: c.market_segment().map(str::to_string),
        }),
        interactions: l
            .interactions()
            .iter()
            .map(|i| ApiLeadInteraction {
                source_type: owned(i.source_type()),
                source_id: owned(i.source_id()),
                source_name: owned(i.source_name()),
                usecase: i.usecase().map(str::to_string),
                interaction_date: iso(i.interaction_date()),
                customer_action: owned(i.customer_action()),
                business_problem: i.business_problem().map(str::to_string),
                contact: i.contact().map(|c| ApiLeadContact {
                    business_title: owned(c.business_title()),
                    email: owned(c.email()),
                    first_name: owned(c.first_name()),
                    last_name: owned(c.last_name()),
                    phone: c.phone().map(str::to_string),
                }),
            })
            .collect(),
        insights: l.insights().map(|i| ApiLeadInsights {
            lead_readiness_score: i.lead_readiness_score().map(str::to_string),
        }),
    };
    ApiEngagement {
        id: e.id().map(str::to_string),
        title: e.title().map(str::to_string),
        created_at: iso(e.created_at()),
        created_by: e.created_by().map(str::to_string),
        modified_at: iso(e.modified_at()),
        modified_by: e.modified_by().map(str::to_string),
        contexts: e
            .contexts()
            .iter()
            .map(|c| ApiEngagementContext {
                id: c.id().map(str::to_string),
                r#type: c.r#type().as_str().to_string(),
                payload: match c.payload() {
                    Some(sdk::EngagementContextPayload::Lead(l)) => Some(ApiContextPayload {
                        lead: Some(lead(l)),
                    }),
                    _ => None,
                },
            })
            .collect(),
    }
}

fn at(v: Option<&String>, field: &str) -> Result<Field<DateTime<Utc>>, ConversionError> {
    match v {
        Some(t) => parse_datetime(t, field).map(Field::Value),
        None => Ok(Field::Null),
    }
}

fn txt(v: Option<&String>) -> Field<String> {
    text(v.map(String::as_str))
}

impl ApiEngagement {
    /// The engagement's lead (its first `Lead` context), in canonical form; `Ok(None)` when it has no
    /// lead context. The version key is the engagement's `ModifiedAt`.
    pub fn lead(&self) -> Result<Option<Lead>, ConversionError> {
        let Some((context, l)) = self.contexts.iter().find_map(|c| {
            (c.r#type == "Lead")
                .then(|| c.payload.as_ref().and_then(|p| p.lead.as_ref()))
                .flatten()
                .map(|l| (c, l))
        }) else {
            return Ok(None);
        };
        let c = l.customer.clone().unwrap_or_default();
        let a = c.address.clone().unwrap_or_default();
        let interactions = l
            .interactions
            .iter()
            .map(|i| {
                let k = i.contact.clone().unwrap_or_default();
                Ok(LeadInteraction {
                    source_type: txt(i.source_type.as_ref()),
                    source_id: txt(i.source_id.as_ref()),
                    source_name: txt(i.source_name.as_ref()),
                    usecase: txt(i.usecase.as_ref()),
                    date: at(i.interaction_date.as_ref(), "Interactions.InteractionDate")?,
                    customer_action: txt(i.customer_action.as_ref()),
                    business_problem: txt(i.business_problem.as_ref()),
                    contact: Contact {
                        first_name: txt(k.first_name.as_ref()),
                        last_name: txt(k.last_name.as_ref()),
                        email: txt(k.email.as_ref()),
                        phone: txt(k.phone.as_ref()),
                        title: txt(k.business_title.as_ref()),
                    },
                })
            })
            .collect::<Result<Vec<_>, ConversionError>>()?;
        let latest = interactions.last().cloned().unwrap_or_default();
        let mut lead = Lead {
            company: txt(c.company_name.as_ref()),
            website: txt(c.website_url.as_ref()),
            industry: txt(c.industry.as_ref()),
            aws_usage_level: txt(c.aws_maturity.as_ref()),
            address: Address {
                city: txt(a.city.as_ref()),
                state: txt(a.state_or_region.as_ref()),
                postal_code: txt(a.postal_code.as_ref()),
                country: a
                    .country_code
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map_or(Field::Null, |cc| Field::Value(Country::from_api(cc))),
                ..Address::default()
            },
            contact: latest.contact.clone(),
            description: latest.business_problem.clone(),
            source: latest.source_type.clone(),
            engagement: LeadEngagement {
                engagement_id: match self.id.as_deref() {
                    Some(i) => Field::Value(
                        EngagementId::parse(i)
                            .map_err(|e| ConversionError::new("Id", e.to_string()))?,
                    ),
                    None => Field::Null,
                },
                context_id: txt(context.id.as_ref()),
                title: txt(self.title.as_ref()),
                qualification_status: txt(l.qualification_status.as_ref()),
                market_segment: txt(c.market_segment.as_ref()),
                readiness_score: txt(l
                    .insights
                    .as_ref()
                    .and_then(|i| i.lead_readiness_score.as_ref())),
                interactions: Field::Value(interactions),
                ..LeadEngagement::default()
            },
            ..Lead::default()
        };
        lead.audit.created_at = at(self.created_at.as_ref(), "CreatedAt")?;
        lead.audit.created_by = txt(self.created_by.as_ref());
        lead.audit.last_modified_at = at(self.modified_at.as_ref(), "ModifiedAt")?;
        lead.audit.last_modified_by = txt(self.modified_by.as_ref());
        // The CustomerProject context a conversion adds names no opportunity id; the link comes from the
        // conversion task.
        Ok(Some(lead))
    }
}

/// The lead of a GetEngagement answer the SDK read (through its JSON form, as `acebridge convert` reads
/// one from a file).
pub fn lead_from_engagement(e: &GetEngagementOutput) -> Result<Option<Lead>, ConversionError> {
    from_get_engagement(e).lead()
}

/// Sets the opportunity a lead was converted to.
pub fn converted(lead: &mut Lead, opportunity: &OpportunityId) {
    lead.engagement.opportunity_id = Field::Value(opportunity.clone());
}

fn same_interaction(a: &LeadInteraction, b: &LeadInteraction) -> bool {
    a.date == b.date
        && a.source_id == b.source_id
        && a.customer_action == b.customer_action
        && a.business_problem == b.business_problem
}

/// The CRM's newest interaction, when AWS does not hold it yet (what an update would add).
pub fn new_interaction<'a>(crm: &'a Lead, aws: &Lead) -> Option<&'a LeadInteraction> {
    let known = aws
        .engagement
        .interactions
        .value()
        .map(Vec::as_slice)
        .unwrap_or_default();
    crm.engagement
        .interactions
        .value()
        .and_then(|l| l.last())
        .filter(|i| !known.iter().any(|k| same_interaction(k, i)))
}

/// The UpdateEngagementContext payload for a CRM's version of a lead (`crm`), against AWS's current one
/// (`aws`): the qualification status and customer as the CRM has them (AWS's where the CRM has
/// none), and the CRM's newest interaction when AWS does not hold it yet (the operation adds one
/// interaction a call).
pub fn update_lead_context(crm: &Lead, aws: &Lead) -> sdk::UpdateLeadContext {
    let pick = |c: &Field<String>, a: &Field<String>| -> Option<String> {
        c.value().or(a.value()).filter(|s| !s.is_empty()).cloned()
    };
    let addr = |f: fn(&Address) -> &Field<String>| pick(f(&crm.address), f(&aws.address));
    let country = crm
        .address
        .country
        .value()
        .or(aws.address.country.value())
        .map(|c| c.as_api().to_string());
    let address = sdk::LeadAddress::builder()
        .set_city(addr(|a| &a.city))
        .set_state_or_region(addr(|a| &a.state))
        .set_postal_code(addr(|a| &a.postal_code))
        .set_country_code(country)
        .build();
    let customer = sdk::LeadCustomer::builder()
        .company_name(pick(&crm.company, &aws.company).unwrap_or_default())
        .set_industry(pick(&crm.industry, &aws.industry))
        .set_website_url(pick(&crm.website, &aws.website))
        .set_aws_maturity(pick(&crm.aws_usage_level, &aws.aws_usage_level))
        .set_market_segment(pick(
            &crm.engagement.market_segment,
            &aws.engagement.market_segment,
        ))
        .address(address)
        .build()
        .ok();
    let interaction = new_interaction(crm, aws).map(|i| {
        let c = &i.contact;
        let s = |f: &Field<String>| f.value().cloned();
        let contact = sdk::LeadContact::builder()
            .set_business_title(s(&c.title))
            .set_email(s(&c.email))
            .set_first_name(s(&c.first_name))
            .set_last_name(s(&c.last_name))
            .set_phone(s(&c.phone))
            .build()
            .ok();
        sdk::LeadInteraction::builder()
            .set_source_type(s(&i.source_type))
            .set_source_id(s(&i.source_id))
            .set_source_name(s(&i.source_name))
            .set_usecase(s(&i.usecase))
            .set_interaction_date(i.date.value().map(sdk_time))
            .set_customer_action(s(&i.customer_action))
            .set_business_problem(s(&i.business_problem))
            .set_contact(contact)
            .build()
    });
    sdk::UpdateLeadContext::builder()
        .set_qualification_status(pick(
            &crm.engagement.qualification_status,
            &aws.engagement.qualification_status,
        ))
        .set_customer(customer)
        .set_interaction(interaction)
        .build()
}
