//! ACE records ↔ canonical records.
//!
//! Documented normalisations (a round trip gives the same JSON value except for these):
//! - multi-select strings are trimmed around `;` and blank parts dropped (`"a; b"` → `"a;b"`);
//! - alternative key spellings are written in their main spelling (`awsStage` → `aWSStage`,
//!   `Leads` items' `useCaseWorkLoad` → `useCaseWorkload`, `doesOppBelongToNatsec` → `doesOppBelongToNatSec`);
//! - a country with two ACE names is written with the first (`Great Britain` → `United Kingdom`), and an ISO
//!   code in a country field is written by name (`US` → `United States`);
//! - masked values are written back as `Accept to View` (opportunities) / `Accept To View` (leads).

use super::wire::{AceLead, AceNumber, AceOpportunity, AceRecordResult, AceResultsFile};
use crate::canonical::*;
use crate::conversion::{
    ConversionError, format_date, format_datetime, parse_date, parse_datetime,
};
use crate::field::{Field, Nullable};
use crate::ids::{CrmId, LeadId, OpportunityId};
use crate::vocab::*;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

/// Mask literal AWS writes in opportunity files.
pub const OPPORTUNITY_MASK: &str = "Accept to View";
/// Mask literal AWS writes in lead files.
pub const LEAD_MASK: &str = "Accept To View";

// ---- ACE → canonical helpers -----------------------------------------------------------------------

fn text(n: &Nullable<String>) -> Field<String> {
    match n {
        Nullable::Absent => Field::Absent,
        Nullable::Null => Field::Null,
        Nullable::Value(s) if is_mask(s) => Field::Masked,
        Nullable::Value(s) => Field::Value(s.clone()),
    }
}

/// [`text`] read through `f`, without a copy of the text first.
fn picked<T>(n: &Nullable<String>, f: impl FnOnce(&str) -> T) -> Field<T> {
    match n {
        Nullable::Absent => Field::Absent,
        Nullable::Null => Field::Null,
        Nullable::Value(s) if is_mask(s) => Field::Masked,
        Nullable::Value(s) => Field::Value(f(s)),
    }
}

/// A multi-select (`a;b`), each value read through `f`.
fn multi<T>(n: &Nullable<String>, f: impl Fn(&str) -> T) -> Field<Vec<T>> {
    picked(n, |s| crate::vocab::multi_values(s).map(f).collect())
}

fn list(n: &Nullable<Vec<String>>) -> Field<Vec<String>> {
    n.clone().into()
}

fn id<T>(
    n: &Nullable<String>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, crate::ids::IdError>,
) -> Result<Field<T>, ConversionError> {
    picked(n, parse).try_map(|r| r.map_err(|e| ConversionError::new(field, e.to_string())))
}

fn date(n: &Nullable<String>, field: &str) -> Result<Field<NaiveDate>, ConversionError> {
    picked(n, |s| parse_date(s, field)).try_map(|r| r)
}

fn datetime(n: &Nullable<String>, field: &str) -> Result<Field<DateTime<Utc>>, ConversionError> {
    picked(n, |s| parse_datetime(s, field)).try_map(|r| r)
}

fn number(n: &Nullable<AceNumber>, field: &str) -> Result<Field<Decimal>, ConversionError> {
    Field::from(n.clone()).try_map(|v| {
        Decimal::from_json_number(v.as_str()).map_err(|_| {
            let shown: String = v.as_str().chars().take(64).collect();
            ConversionError::new(field, format!("not a decimal number: {shown}"))
        })
    })
}

// ---- canonical → ACE helpers -----------------------------------------------------------------------

fn out(f: &Field<String>, mask: &str) -> Nullable<String> {
    match f {
        Field::Absent => Nullable::Absent,
        Field::Null => Nullable::Null,
        Field::Masked => Nullable::Value(mask.to_string()),
        Field::Value(s) => Nullable::Value(s.clone()),
    }
}

fn out_with<T>(f: &Field<T>, mask: &str, g: impl FnOnce(&T) -> String) -> Nullable<String> {
    out(&f.as_ref().map(g), mask)
}

fn out_vocab<T: Vocabulary>(f: &Field<T>, mask: &str) -> Nullable<String> {
    out_with(f, mask, |v| v.as_ace().to_string())
}

fn out_multi<T>(f: &Field<Vec<T>>, mask: &str, g: impl Fn(&T) -> &str) -> Nullable<String> {
    out_with(f, mask, |v| join_multi(v.iter().map(g)))
}

fn out_list(f: &Field<Vec<String>>) -> Nullable<Vec<String>> {
    f.clone().to_nullable()
}

fn out_date(f: &Field<NaiveDate>, mask: &str) -> Nullable<String> {
    out_with(f, mask, format_date)
}

fn out_datetime(f: &Field<DateTime<Utc>>, mask: &str) -> Nullable<String> {
    out_with(f, mask, |d| format_datetime(d, SecondsFormat::Millis))
}

fn out_number(f: &Field<Decimal>) -> Nullable<AceNumber> {
    f.clone().to_nullable().map(|d| AceNumber::from_decimal(&d))
}

/// The first entry of an ACE single-contact slot.
fn first_contact(f: &Field<Vec<Contact>>) -> Contact {
    match f {
        Field::Value(v) => v.first().cloned().unwrap_or_default(),
        _ => Contact::default(),
    }
}

fn contact_field(
    contacts: &Field<Vec<Contact>>,
    get: impl Fn(&Contact) -> &Field<String>,
) -> Field<String> {
    match contacts {
        Field::Null => Field::Null,
        Field::Masked => Field::Masked,
        _ => get(&first_contact(contacts)).clone(),
    }
}

fn one_contact(c: Contact) -> Field<Vec<Contact>> {
    if c.is_empty() {
        Field::Absent
    } else {
        Field::Value(vec![c])
    }
}

fn person(name: &Nullable<String>, email: &Nullable<String>) -> Person {
    Person {
        name: text(name),
        email: text(email),
        phone: Field::Absent,
    }
}

fn ace_spend(n: &Nullable<AceNumber>) -> Result<Field<Vec<Spend>>, ConversionError> {
    Ok(number(n, "expectedMonthlyAwsRevenue")?.map(|d| vec![Spend::monthly_aws_usd(d)]))
}

fn spend_out(f: &Field<Vec<Spend>>) -> Nullable<AceNumber> {
    match f {
        Field::Absent | Field::Masked => Nullable::Absent,
        Field::Null => Nullable::Null,
        Field::Value(v) => v
            .iter()
            .find(|s| s.is_monthly_aws_usd())
            .map_or(Nullable::Null, |s| {
                Nullable::Value(AceNumber::from_decimal(&s.amount))
            }),
    }
}

fn history_out(f: &Field<Vec<NextStep>>, mask: &str) -> Nullable<String> {
    out_with(f, mask, |steps| {
        steps
            .iter()
            .map(|s| match s.time {
                Some(t) => format!(
                    "{}: {}",
                    t.to_rfc3339_opts(SecondsFormat::Secs, true),
                    s.value
                ),
                None => s.value.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

impl AceOpportunity {
    /// The canonical opportunity. Fails on the first field whose value cannot be read (a date that is
    /// not a date, an id with spaces); picklist values that are not standard are kept as `Unknown`.
    pub fn to_canonical(&self) -> Result<Opportunity, ConversionError> {
        let o = self;
        let contact = Contact {
            first_name: text(&o.customer_first_name),
            last_name: text(&o.customer_last_name),
            email: text(&o.customer_email),
            phone: text(&o.customer_phone),
            title: text(&o.customer_title),
        };
        let partner = Contact {
            first_name: text(&o.primary_contact_first_name),
            last_name: text(&o.primary_contact_last_name),
            email: text(&o.primary_contact_email),
            phone: text(&o.primary_contact_phone),
            title: text(&o.primary_contact_title),
        };
        Ok(Opportunity {
            catalog: None,
            id: id(
                &o.apn_crm_unique_identifier,
                "apnCrmUniqueIdentifier",
                OpportunityId::parse,
            )?,
            crm_id: id(
                &o.partner_crm_unique_identifier,
                "partnerCrmUniqueIdentifier",
                CrmId::parse,
            )?,
            origin: picked(&o.opportunity_ownership, Origin::from_ace),
            opportunity_type: picked(&o.opportunity_type, OpportunityType::from_ace),
            parent_opportunity_id: text(&o.parent_opp_id),
            national_security: picked(&o.does_opp_belong_to_nat_sec, YesNo::from_ace),
            primary_needs: multi(&o.partner_primary_need_from_aws, PrimaryNeed::from_ace),
            cosell_convert_reason: picked(&o.cosell_convert_reason, CosellConvertReason::from_ace),
            customer: Customer {
                company_name: text(&o.customer_company_name),
                website: text(&o.customer_website),
                industry: picked(&o.industry, Industry::from_ace),
                other_industry: text(&o.industry_other),
                duns: text(&o.customer_duns),
                aws_account_id: text(&o.aws_account_id),
                address: Address {
                    street: text(&o.street_address),
                    city: text(&o.city),
                    state: text(&o.state),
                    postal_code: text(&o.postal_code),
                    country: picked(&o.country, Country::from_ace),
                },
                contacts: one_contact(contact),
            },
            project: Project {
                title: text(&o.partner_project_title),
                business_problem: text(&o.project_description),
                use_case: text(&o.use_case),
                delivery_models: multi(&o.delivery_model, DeliveryModel::from_ace),
                sales_activities: multi(&o.sales_activities, SalesActivity::from_ace),
                expected_spend: ace_spend(&o.expected_monthly_aws_revenue)?,
                apn_programs: multi(&o.campaign_name, str::to_string),
                competitor: picked(&o.competitive_tracking, Competitor::from_ace),
                other_competitors: text(&o.competitive_tracking_other),
                other_solution: text(&o.other_solution_offered),
                additional_comments: text(&o.additional_comments),
                expected_contract_duration_months: Field::Absent,
                aws_partition: Field::Absent,
            },
            marketing: Marketing {
                source: picked(&o.is_opp_from_marketing_activity, MarketingSource::from_ace),
                funding_used: picked(&o.is_marketing_development_funded, YesNo::from_ace),
                campaign_name: text(&o.aws_sf_campaign_name),
                channels: multi(&o.marketing_activity_channel, Channel::from_ace),
                use_cases: multi(&o.marketing_activity_usecase, str::to_string),
            },
            life_cycle: LifeCycle {
                stage: picked(&o.stage, Stage::from_ace),
                review_status: picked(&o.status, ReviewStatus::from_ace),
                review_status_reason: Field::Absent,
                review_comments: text(&o.apn_reviewer_comments),
                closed_lost_reason: picked(&o.closed_lost_reason, ClosedLostReason::from_ace),
                next_steps: text(&o.next_step),
                next_steps_history: text(&o.next_step_history).map(|v| {
                    vec![NextStep {
                        time: None,
                        value: v,
                    }]
                }),
                target_close_date: date(&o.target_close_date, "targetCloseDate")?,
                accept_by: datetime(&o.accept_by, "acceptBy")?,
                acceptance_status: picked(&o.partner_acceptance_status, AcceptanceStatus::from_ace),
                rejection_reason: picked(&o.rejection_reason, RejectionReason::from_ace),
            },
            aws: AwsView {
                stage: text(&o.aws_stage),
                close_date: date(&o.aws_close_date, "aWSCloseDate")?,
                closed_lost_reason: text(&o.aws_closed_lost_reason),
                next_steps: Field::Absent,
                engagement_score: picked(&o.engagement_score, EngagementScore::from_ace),
                next_best_actions: text(&o.recommended_next_best_actions),
                account_owner: person(&o.aws_account_owner_name, &o.aws_account_owner_email),
                sales_rep: person(&o.aws_sales_rep_name, &o.aws_sales_rep_email),
                isv_success_manager: person(
                    &o.aws_isv_success_manager_name,
                    &o.aws_isv_success_manager_email,
                ),
                partner_success_manager: person(
                    &o.aws_partner_success_manager_name,
                    &o.aws_partner_success_manager_email,
                ),
                partner_development_manager: Person {
                    phone: text(&o.partner_developer_manager_phone),
                    ..person(
                        &o.partner_developer_manager,
                        &o.partner_developer_manager_email,
                    )
                },
                wwps_partner_development_manager: person(&o.wwps_pdm, &o.wwps_pdm_email),
                ..AwsView::default()
            },
            partner_team: one_contact(partner),
            owner: person(&o.opportunity_owner_name, &o.opportunity_owner_email),
            software_revenue: SoftwareRevenue {
                model: picked(&o.procurement_type, RevenueModel::from_ace),
                value: number(&o.customer_software_value, "customerSoftwareValue")?,
                currency: text(&o.customer_software_value_currency),
                effective_date: date(&o.contract_start_date, "contractStartDate")?,
                expiration_date: date(&o.contract_end_date, "contractEndDate")?,
            },
            solutions: list(&o.solution_offered),
            aws_products: list(&o.aws_products),
            marketplace_offers: list(&o.offers),
            // The ACE file format has none of these (API-only members since 2025).
            marketplace_offer_sets: Field::Absent,
            marketplace_solutions: Field::Absent,
            marketplace_products: Field::Absent,
            tags: Field::Absent,
            lead_id: text(&o.apn_crm_lead_unique_identifier),
            backwards_compatibility_changes: text(&o.backwards_compatibility_changes),
            audit: Audit {
                created_by: text(&o.created_by),
                created_at: datetime(&o.created_date, "createdDate")?,
                last_modified_by: text(&o.last_modified_by),
                last_modified_at: datetime(&o.last_modified_date, "lastModifiedDate")?,
            },
            extensions: o.extensions.clone(),
        })
    }

    /// The ACE record of a canonical opportunity, every field it carries (read-only ones included, masks
    /// written as `Accept to View`). For a file to send, use [`AceOpportunity::inbound_only`].
    pub fn from_canonical(o: &Opportunity) -> Self {
        let m = OPPORTUNITY_MASK;
        let c = &o.customer;
        let p = &o.project;
        let l = &o.life_cycle;
        let a = &o.aws;
        let contacts = &c.contacts;
        let team = &o.partner_team;
        AceOpportunity {
            partner_crm_unique_identifier: out_with(&o.crm_id, m, |v| v.to_string()),
            apn_crm_unique_identifier: out_with(&o.id, m, |v| v.to_string()),
            partner_project_title: out(&p.title, m),
            project_description: out(&p.business_problem, m),
            customer_company_name: out(&c.company_name, m),
            customer_website: out(&c.website, m),
            industry: out_vocab(&c.industry, m),
            industry_other: out(&c.other_industry, m),
            country: out_vocab(&c.address.country, m),
            state: out(&c.address.state, m),
            postal_code: out(&c.address.postal_code, m),
            city: out(&c.address.city, m),
            street_address: out(&c.address.street, m),
            customer_duns: out(&c.duns, m),
            target_close_date: out_date(&l.target_close_date, m),
            expected_monthly_aws_revenue: spend_out(&p.expected_spend),
            delivery_model: out_multi(&p.delivery_models, m, DeliveryModel::as_ace),
            use_case: out(&p.use_case, m),
            sales_activities: out_multi(&p.sales_activities, m, SalesActivity::as_ace),
            partner_primary_need_from_aws: out_multi(&o.primary_needs, m, PrimaryNeed::as_ace),
            solution_offered: out_list(&o.solutions),
            other_solution_offered: out(&p.other_solution, m),
            aws_products: out_list(&o.aws_products),
            opportunity_type: out_vocab(&o.opportunity_type, m),
            parent_opp_id: out(&o.parent_opportunity_id, m),
            is_opp_from_marketing_activity: out_vocab(&o.marketing.source, m),
            is_marketing_development_funded: out_vocab(&o.marketing.funding_used, m),
            marketing_activity_channel: out_multi(&o.marketing.channels, m, Channel::as_ace),
            marketing_activity_usecase: out_multi(&o.marketing.use_cases, m, String::as_str),
            aws_sf_campaign_name: out(&o.marketing.campaign_name, m),
            campaign_name: out_multi(&p.apn_programs, m, String::as_str),
            competitive_tracking: out_vocab(&p.competitor, m),
            competitive_tracking_other: out(&p.other_competitors, m),
            does_opp_belong_to_nat_sec: out_vocab(&o.national_security, m),
            stage: out_vocab(&l.stage, m),
            closed_lost_reason: out_vocab(&l.closed_lost_reason, m),
            aws_account_id: out(&c.aws_account_id, m),
            partner_acceptance_status: out_vocab(&l.acceptance_status, m),
            rejection_reason: out_vocab(&l.rejection_reason, m),
            offers: out_list(&o.marketplace_offers),
            next_step: out(&l.next_steps, m),
            additional_comments: out(&p.additional_comments, m),
            opportunity_owner_email: out(&o.owner.email, m),
            opportunity_owner_name: out(&o.owner.name, m),
            primary_contact_first_name: out(&contact_field(team, |c| &c.first_name), m),
            primary_contact_last_name: out(&contact_field(team, |c| &c.last_name), m),
            primary_contact_email: out(&contact_field(team, |c| &c.email), m),
            primary_contact_phone: out(&contact_field(team, |c| &c.phone), m),
            primary_contact_title: out(&contact_field(team, |c| &c.title), m),
            customer_first_name: out(&contact_field(contacts, |c| &c.first_name), m),
            customer_last_name: out(&contact_field(contacts, |c| &c.last_name), m),
            customer_email: out(&contact_field(contacts, |c| &c.email), m),
            customer_phone: out(&contact_field(contacts, |c| &c.phone), m),
            customer_title: out(&contact_field(contacts, |c| &c.title), m),
            procurement_type: out_vocab(&o.software_revenue.model, m),
            customer_software_value: out_number(&o.software_revenue.value),
            customer_software_value_currency: out(&o.software_revenue.currency, m),
            contract_start_date: out_date(&o.software_revenue.effective_date, m),
            contract_end_date: out_date(&o.software_revenue.expiration_date, m),
            apn_crm_lead_unique_identifier: out(&o.lead_id, m),
            status: out_vocab(&l.review_status, m),
            opportunity_ownership: out_vocab(&o.origin, m),
            accept_by: out_datetime(&l.accept_by, m),
            apn_reviewer_comments: out(&l.review_comments, m),
            aws_stage: out(&a.stage, m),
            aws_close_date: out_date(&a.close_date, m),
            aws_closed_lost_reason: out(&a.closed_lost_reason, m),
            aws_account_owner_name: out(&a.account_owner.name, m),
            aws_account_owner_email: out(&a.account_owner.email, m),
            aws_sales_rep_name: out(&a.sales_rep.name, m),
            aws_sales_rep_email: out(&a.sales_rep.email, m),
            aws_isv_success_manager_name: out(&a.isv_success_manager.name, m),
            aws_isv_success_manager_email: out(&a.isv_success_manager.email, m),
            aws_partner_success_manager_name: out(&a.partner_success_manager.name, m),
            aws_partner_success_manager_email: out(&a.partner_success_manager.email, m),
            partner_developer_manager: out(&a.partner_development_manager.name, m),
            partner_developer_manager_email: out(&a.partner_development_manager.email, m),
            partner_developer_manager_phone: out(&a.partner_development_manager.phone, m),
            wwps_pdm: out(&a.wwps_partner_development_manager.name, m),
            wwps_pdm_email: out(&a.wwps_partner_development_manager.email, m),
            engagement_score: out_vocab(&a.engagement_score, m),
            recommended_next_best_actions: out(&a.next_best_actions, m),
            cosell_convert_reason: out_vocab(&o.cosell_convert_reason, m),
            next_step_history: history_out(&l.next_steps_history, m),
            created_by: out(&o.audit.created_by, m),
            created_date: out_datetime(&o.audit.created_at, m),
            last_modified_by: out(&o.audit.last_modified_by, m),
            last_modified_date: out_datetime(&o.audit.last_modified_at, m),
            backwards_compatibility_changes: out(&o.backwards_compatibility_changes, m),
            extensions: o.extensions.clone(),
        }
    }

    /// This record as a partner may send it: read-only fields, masked values and unknown keys removed.
    pub fn inbound_only(mut self) -> Self {
        let mut v = super::record_to_json(&self);
        if let serde_json::Value::Object(m) = &mut v {
            m.retain(|k, x| {
                !super::wire::OPPORTUNITY_READ_ONLY.contains(&k.as_str())
                    && AceOpportunity::KEYS.contains(&k.as_str())
                    && !x.as_str().is_some_and(is_mask)
            });
        }
        self = serde_json::from_value(v).unwrap_or_default();
        self
    }
}

impl AceLead {
    /// The canonical lead.
    pub fn to_canonical(&self) -> Result<Lead, ConversionError> {
        let l = self;
        Ok(Lead {
            id: id(
                &l.apn_crm_unique_identifier,
                "apnCrmUniqueIdentifier",
                LeadId::parse,
            )?,
            crm_id: id(&l.partner_crm_lead_id, "partnerCrmLeadId", CrmId::parse)?,
            status: picked(&l.status, LeadStatus::from_ace),
            stage: picked(&l.current_lead_stage, LeadStage::from_ace),
            status_reason: text(&l.lead_status_reason),
            contact: Contact {
                first_name: text(&l.first_name),
                last_name: text(&l.last_name),
                email: text(&l.email),
                phone: text(&l.phone),
                title: text(&l.title),
            },
            full_name: text(&l.full_name),
            company: text(&l.company),
            website: text(&l.website),
            address: Address {
                street: text(&l.street_address),
                city: text(&l.city),
                state: text(&l.state),
                postal_code: text(&l.postal_code),
                country: picked(&l.country, Country::from_ace),
            },
            industry: text(&l.industry),
            segment_company_size: text(&l.segment_company_size),
            use_case_workloads: multi(&l.use_case_workload, str::to_string),
            description: text(&l.project_description),
            owner: person(&l.lead_owner_name, &l.lead_owner_email),
            source: text(&l.lead_source),
            age_days: number(&l.lead_age, "leadAge")?,
            aws_usage_level: text(&l.level_of_aws_usage),
            campaign_name: text(&l.campaign_name),
            campaign_member_status: text(&l.campaign_member_status),
            audit: Audit {
                created_by: text(&l.created_by),
                created_at: datetime(&l.created_date, "createdDate")?,
                last_modified_by: text(&l.last_modified_by),
                last_modified_at: datetime(&l.last_modified_date, "lastModifiedDate")?,
            },
            engagement: Default::default(),
            extensions: l.extensions.clone(),
        })
    }

    /// The ACE record of a canonical lead (masks written as `Accept To View`).
    pub fn from_canonical(l: &Lead) -> Self {
        let m = LEAD_MASK;
        AceLead {
            apn_crm_unique_identifier: out_with(&l.id, m, |v| v.to_string()),
            partner_crm_lead_id: out_with(&l.crm_id, m, |v| v.to_string()),
            status: out_vocab(&l.status, m),
            current_lead_stage: out_vocab(&l.stage, m),
            lead_status_reason: out(&l.status_reason, m),
            first_name: out(&l.contact.first_name, m),
            last_name: out(&l.contact.last_name, m),
            full_name: out(&l.full_name, m),
            email: out(&l.contact.email, m),
            phone: out(&l.contact.phone, m),
            title: out(&l.contact.title, m),
            website: out(&l.website, m),
            company: out(&l.company, m),
            street_address: out(&l.address.street, m),
            city: out(&l.address.city, m),
            state: out(&l.address.state, m),
            postal_code: out(&l.address.postal_code, m),
            country: out_vocab(&l.address.country, m),
            industry: out(&l.industry, m),
            segment_company_size: out(&l.segment_company_size, m),
            use_case_workload: out_multi(&l.use_case_workloads, m, String::as_str),
            project_description: out(&l.description, m),
            lead_owner_email: out(&l.owner.email, m),
            lead_owner_name: out(&l.owner.name, m),
            lead_source: out(&l.source, m),
            lead_age: out_number(&l.age_days),
            level_of_aws_usage: out(&l.aws_usage_level, m),
            campaign_name: out(&l.campaign_name, m),
            campaign_member_status: out(&l.campaign_member_status, m),
            created_by: out(&l.audit.created_by, m),
            created_date: out_datetime(&l.audit.created_at, m),
            last_modified_by: out(&l.audit.last_modified_by, m),
            last_modified_date: out_datetime(&l.audit.last_modified_at, m),
            extensions: l.extensions.clone(),
        }
    }
}

/// One record's outcome, from a processed-results file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRecord {
    /// The partner's id of the record we sent.
    pub crm_id: Field<String>,
    /// AWS's id (assigned on create).
    pub ace_id: Field<String>,
    /// Whether AWS applied it.
    pub success: Field<bool>,
    /// AWS's error messages.
    pub errors: Field<Vec<String>>,
    /// Warnings, verbatim.
    pub warnings: Field<serde_json::Value>,
}

/// A processed-results file, canonical.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// `ALL`, `NONE`, or a partial value.
    pub success: Field<String>,
    /// Partner id.
    pub partner_id: Field<String>,
    /// AWS-side failure.
    pub api_error: Field<bool>,
    /// The inbound file (key) these results answer.
    pub file_name: Field<String>,
    /// When AWS processed it, as written.
    pub processed_at: Field<String>,
    /// Per-record outcomes.
    pub records: Field<Vec<ResultRecord>>,
    /// File-level errors, verbatim.
    pub api_errors: Field<serde_json::Value>,
}

impl AceResultsFile {
    /// The canonical results.
    pub fn to_canonical(&self) -> Results {
        Results {
            success: self.success.clone().into(),
            partner_id: self.spms_id.clone().into(),
            api_error: self.is_api_error.clone().into(),
            file_name: self.file_name.clone().into(),
            processed_at: self.file_apn_processed_dt.clone().into(),
            records: Field::from(self.inbound_api_results.clone()).map(|v| {
                v.into_iter()
                    .map(|r| ResultRecord {
                        crm_id: r.partner_crm_unique_identifier.into(),
                        ace_id: r.apn_crm_unique_identifier.into(),
                        success: r.is_success.into(),
                        errors: r.errors.into(),
                        warnings: r.warnings.into(),
                    })
                    .collect()
            }),
            api_errors: self.api_errors.clone().into(),
        }
    }

    /// The results file of canonical results.
    pub fn from_canonical(r: &Results) -> Self {
        AceResultsFile {
            success: r.success.clone().to_nullable(),
            spms_id: r.partner_id.clone().to_nullable(),
            is_api_error: r.api_error.clone().to_nullable(),
            inbound_api_results: r.records.clone().to_nullable().map(|v| {
                v.into_iter()
                    .map(|x| AceRecordResult {
                        warnings: x.warnings.to_nullable(),
                        partner_crm_unique_identifier: x.crm_id.to_nullable(),
                        is_success: x.success.to_nullable(),
                        errors: x.errors.to_nullable(),
                        apn_crm_unique_identifier: x.ace_id.to_nullable(),
                    })
                    .collect()
            }),
            file_name: r.file_name.clone().to_nullable(),
            file_apn_processed_dt: r.processed_at.clone().to_nullable(),
            api_errors: r.api_errors.clone().to_nullable(),
        }
    }
}
