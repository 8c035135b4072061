//! Leads over the Selling API ↔ canonical: a lead invitation's payload (`LeadInvitationPayload`), the
//! `Lead` context of an engagement (GetEngagement), and the `UpdateLeadContext` a CRM change becomes.
//! Shapes as AWS's service model and AWS's lead guide ("Working with your leads") name them.

use crate::canonical::{
    Address, Contact, Country, InvitationCustomer, InvitationLead, Lead, LeadEngagement,
    LeadInteraction,
};
use crate::field::Field;
use crate::ids::{EngagementId, OpportunityId};
use aws_sdk_partnercentralselling::operation::get_engagement::GetEngagementOutput;
use aws_sdk_partnercentralselling::primitives::DateTime as SdkDateTime;
use aws_sdk_partnercentralselling::types as sdk;
use chrono::{DateTime, Utc};

fn text(v: Option<&str>) -> Field<String> {
    v.filter(|s| !s.is_empty())
        .map_or(Field::Null, |s| Field::Value(s.to_string()))
}

fn time(d: Option<&SdkDateTime>) -> Field<DateTime<Utc>> {
    d.and_then(|d| DateTime::from_timestamp(d.secs(), d.subsec_nanos()))
        .map_or(Field::Null, Field::Value)
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

fn interaction(i: &sdk::LeadInteraction) -> LeadInteraction {
    let c = i.contact();
    LeadInteraction {
        source_type: text(Some(i.source_type())),
        source_id: text(Some(i.source_id())),
        source_name: text(Some(i.source_name())),
        usecase: text(i.usecase()),
        date: time(i.interaction_date()),
        customer_action: text(Some(i.customer_action())),
        business_problem: text(i.business_problem()),
        contact: Contact {
            first_name: text(c.map(|c| c.first_name())),
            last_name: text(c.map(|c| c.last_name())),
            email: text(c.map(|c| c.email())),
            phone: text(c.and_then(|c| c.phone())),
            title: text(c.map(|c| c.business_title())),
        },
    }
}

/// The lead of an engagement (its first `Lead` context), in canonical form; `None` when the
/// engagement has no lead context. The version key is the engagement's `ModifiedAt`.
pub fn lead_from_engagement(e: &GetEngagementOutput) -> Option<Lead> {
    let context = e
        .contexts()
        .iter()
        .find(|c| c.r#type() == &sdk::EngagementContextType::Lead)?;
    let Some(sdk::EngagementContextPayload::Lead(l)) = context.payload() else {
        return None;
    };
    let c = l.customer();
    let a = c.and_then(|c| c.address());
    let interactions: Vec<LeadInteraction> = l.interactions().iter().map(interaction).collect();
    let latest = interactions.last().cloned().unwrap_or_default();
    let mut lead = Lead {
        company: text(c.map(|c| c.company_name())),
        website: text(c.and_then(|c| c.website_url())),
        industry: text(c.and_then(|c| c.industry())),
        aws_usage_level: text(c.and_then(|c| c.aws_maturity())),
        address: Address {
            city: text(a.and_then(|a| a.city())),
            state: text(a.and_then(|a| a.state_or_region())),
            postal_code: text(a.and_then(|a| a.postal_code())),
            country: a
                .and_then(|a| a.country_code())
                .filter(|s| !s.is_empty())
                .map_or(Field::Null, |cc| Field::Value(Country::from_api(cc))),
            ..Address::default()
        },
        contact: latest.contact.clone(),
        description: latest.business_problem.clone(),
        source: latest.source_type.clone(),
        engagement: LeadEngagement {
            engagement_id: e
                .id()
                .and_then(|i| EngagementId::parse(i).ok())
                .map_or(Field::Null, Field::Value),
            context_id: text(context.id()),
            title: text(e.title()),
            qualification_status: text(Some(l.qualification_status())),
            market_segment: text(c.and_then(|c| c.market_segment())),
            readiness_score: text(l.insights().and_then(|i| i.lead_readiness_score())),
            interactions: Field::Value(interactions),
            ..LeadEngagement::default()
        },
        ..Lead::default()
    };
    lead.audit.created_at = time(e.created_at());
    lead.audit.created_by = text(e.created_by());
    lead.audit.last_modified_at = time(e.modified_at());
    lead.audit.last_modified_by = text(e.modified_by());
    // The CustomerProject context a conversion adds names no opportunity id; the link comes from the
    // conversion task.
    Some(lead)
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
