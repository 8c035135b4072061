//! Canonical opportunity ↔ Partner Central API payload (MappingToS3Fields.csv gives the pairs).
//!
//! Documented normalisations: an API object that is `null` or `{}` reads as "not provided" and is not
//! written back; date-times are written in RFC 3339 UTC with `Z` (`+00:00` → `Z`); request metadata
//! (`ClientToken`) is not part of the record. ACE-only values have no API form: `Do Not Need Support from AWS
//! Sales Rep` is an empty `PrimaryNeedsFromAws`, masked values are not sent.

use super::wire::*;
use crate::canonical::*;
use crate::conversion::{
    ConversionError, format_date, format_datetime, parse_date, parse_datetime,
};
use crate::field::{Field, Nullable};
use crate::ids::{Catalog, CrmId, OpportunityId};
use crate::vocab::*;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Which operation's payload to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// CreateOpportunity request: no id, with `Origin` and `OpportunityTeam`.
    Create,
    /// UpdateOpportunity request: `Identifier` and `LastModifiedDate` (the optimistic lock).
    Update,
    /// GetOpportunity response: everything.
    Get,
}

fn t(n: &Nullable<String>) -> Field<String> {
    n.clone().into()
}

fn e<T>(n: &Nullable<String>, f: impl FnOnce(&str) -> T) -> Field<T> {
    t(n).map(|s| f(&s))
}

fn many<T>(n: &Nullable<Vec<String>>, f: impl Fn(&str) -> T) -> Field<Vec<T>> {
    Field::from(n.clone()).map(|v| v.iter().map(|s| f(s)).collect())
}

fn date(n: &Nullable<String>, field: &str) -> Result<Field<NaiveDate>, ConversionError> {
    t(n).try_map(|s| parse_date(&s, field))
}

fn datetime(n: &Nullable<String>, field: &str) -> Result<Field<DateTime<Utc>>, ConversionError> {
    t(n).try_map(|s| parse_datetime(&s, field))
}

/// Present objects only: `Some` of a non-empty object.
fn obj<T: Default + Clone>(n: &Nullable<T>) -> T {
    n.as_value().cloned().unwrap_or_default()
}

fn contact_in(c: &ApiContact) -> Contact {
    Contact {
        first_name: t(&c.first_name),
        last_name: t(&c.last_name),
        email: t(&c.email),
        phone: t(&c.phone),
        title: t(&c.business_title),
    }
}

fn contacts_in(n: &Nullable<Vec<ApiContact>>) -> Field<Vec<Contact>> {
    Field::from(n.clone()).map(|v| v.iter().map(contact_in).collect())
}

fn spend_in(s: &ApiSpend, field: &str) -> Result<Spend, ConversionError> {
    let need = |n: &Nullable<String>, what: &str| {
        n.as_value()
            .cloned()
            .ok_or_else(|| ConversionError::new(field, format!("{what} is required")))
    };
    Ok(Spend {
        amount: Decimal::parse(&need(&s.amount, "Amount")?)
            .map_err(|e| ConversionError::new(field, e.to_string()))?,
        currency: need(&s.currency_code, "CurrencyCode")?,
        frequency: need(&s.frequency, "Frequency")?,
        target_company: need(&s.target_company, "TargetCompany")?,
        estimation_url: t(&s.estimation_url),
    })
}

impl ApiOpportunity {
    /// The canonical opportunity.
    pub fn to_canonical(&self) -> Result<Opportunity, ConversionError> {
        let customer = obj(&self.customer);
        let account = obj(&customer.account);
        let address = obj(&account.address);
        let life = obj(&self.life_cycle);
        let marketing = obj(&self.marketing);
        let project = obj(&self.project);
        let revenue = obj(&self.software_revenue);
        let value = obj(&revenue.value);
        let related = obj(&self.related_entity_identifiers);
        let id_text = match (&self.id, &self.identifier) {
            (Nullable::Value(v), _) | (_, Nullable::Value(v)) => Nullable::Value(v.clone()),
            (Nullable::Null, _) | (_, Nullable::Null) => Nullable::Null,
            _ => Nullable::Absent,
        };
        let value_state = |f: &Nullable<String>| match &revenue.value {
            Nullable::Absent => Field::Absent,
            Nullable::Null => Field::Null,
            Nullable::Value(_) => t(f),
        };
        Ok(Opportunity {
            catalog: match &self.catalog {
                Nullable::Value(c) => Some(
                    Catalog::parse(c)
                        .map_err(|e| ConversionError::new("Catalog", e.to_string()))?,
                ),
                _ => None,
            },
            id: t(&id_text).try_map(|s| {
                OpportunityId::parse(&s)
                    .map_err(|e| ConversionError::new("Identifier", e.to_string()))
            })?,
            crm_id: t(&self.partner_opportunity_identifier).try_map(|s| {
                CrmId::parse(&s).map_err(|e| {
                    ConversionError::new("PartnerOpportunityIdentifier", e.to_string())
                })
            })?,
            origin: e(&self.origin, Origin::from_api),
            opportunity_type: e(&self.opportunity_type, OpportunityType::from_api),
            parent_opportunity_id: t(&project.related_opportunity_identifier),
            national_security: e(&self.national_security, YesNo::from_api),
            primary_needs: many(&self.primary_needs_from_aws, PrimaryNeed::from_api),
            cosell_convert_reason: Field::Absent,
            customer: Customer {
                company_name: t(&account.company_name),
                website: t(&account.website_url),
                industry: e(&account.industry, Industry::from_api),
                other_industry: t(&account.other_industry),
                duns: t(&account.duns),
                aws_account_id: t(&account.aws_account_id),
                address: Address {
                    street: t(&address.street_address),
                    city: t(&address.city),
                    state: t(&address.state_or_region),
                    postal_code: t(&address.postal_code),
                    country: e(&address.country_code, Country::from_api),
                },
                contacts: contacts_in(&customer.contacts),
            },
            project: Project {
                title: t(&project.title),
                business_problem: t(&project.customer_business_problem),
                use_case: t(&project.customer_use_case),
                delivery_models: many(&project.delivery_models, DeliveryModel::from_api),
                sales_activities: many(&project.sales_activities, SalesActivity::from_api),
                expected_spend: Field::from(project.expected_customer_spend.clone()).try_map(
                    |v| {
                        v.iter()
                            .map(|s| spend_in(s, "Project.ExpectedCustomerSpend"))
                            .collect::<Result<Vec<_>, _>>()
                    },
                )?,
                apn_programs: many(&project.apn_programs, str::to_string),
                competitor: e(&project.competitor_name, Competitor::from_api),
                other_competitors: t(&project.other_competitor_names),
                other_solution: t(&project.other_solution_description),
                additional_comments: t(&project.additional_comments),
                expected_contract_duration_months: Field::from(
                    project.expected_contract_duration.clone(),
                )
                .try_map(|d| contract_months(&d))?,
                aws_partition: t(&project.aws_partition),
            },
            marketing: Marketing {
                source: e(&marketing.source, MarketingSource::from_api),
                funding_used: e(&marketing.aws_funding_used, YesNo::from_api),
                campaign_name: t(&marketing.campaign_name),
                channels: many(&marketing.channels, Channel::from_api),
                use_cases: many(&marketing.use_cases, str::to_string),
            },
            life_cycle: LifeCycle {
                stage: e(&life.stage, Stage::from_api),
                review_status: e(&life.review_status, ReviewStatus::from_api),
                review_status_reason: t(&life.review_status_reason),
                review_comments: t(&life.review_comments),
                closed_lost_reason: e(&life.closed_lost_reason, ClosedLostReason::from_api),
                next_steps: t(&life.next_steps),
                next_steps_history: Field::from(life.next_steps_history.clone()).try_map(|v| {
                    v.iter()
                        .map(|s| {
                            Ok(NextStep {
                                time: datetime(&s.time, "LifeCycle.NextStepsHistory.Time")?
                                    .value()
                                    .copied(),
                                value: s.value.as_value().cloned().unwrap_or_default(),
                            })
                        })
                        .collect::<Result<Vec<_>, ConversionError>>()
                })?,
                target_close_date: date(&life.target_close_date, "LifeCycle.TargetCloseDate")?,
                accept_by: Field::Absent,
                acceptance_status: Field::Absent,
                rejection_reason: Field::Absent,
            },
            aws: AwsView::default(),
            partner_team: contacts_in(&self.opportunity_team),
            owner: Person::default(),
            software_revenue: SoftwareRevenue {
                model: e(&revenue.delivery_model, RevenueModel::from_api),
                value: value_state(&value.amount).try_map(|s| {
                    Decimal::parse(&s).map_err(|e| {
                        ConversionError::new("SoftwareRevenue.Value.Amount", e.to_string())
                    })
                })?,
                currency: value_state(&value.currency_code),
                effective_date: date(&revenue.effective_date, "SoftwareRevenue.EffectiveDate")?,
                expiration_date: date(&revenue.expiration_date, "SoftwareRevenue.ExpirationDate")?,
            },
            solutions: Field::from(related.solutions.clone()),
            aws_products: Field::from(related.aws_products.clone()),
            marketplace_offers: Field::from(related.aws_marketplace_offers.clone()),
            marketplace_offer_sets: Field::from(related.aws_marketplace_offer_sets.clone()),
            marketplace_solutions: Field::from(related.aws_marketplace_solutions.clone()),
            marketplace_products: Field::from(related.aws_marketplace_products.clone()),
            tags: Field::from(self.tags.clone()).map(|v| {
                v.iter()
                    .map(|t| Tag {
                        key: t.key.as_value().cloned().unwrap_or_default(),
                        value: t.value.as_value().cloned().unwrap_or_default(),
                    })
                    .collect()
            }),
            lead_id: Field::Absent,
            backwards_compatibility_changes: Field::Absent,
            audit: Audit {
                created_by: Field::Absent,
                created_at: datetime(&self.created_date, "CreatedDate")?,
                last_modified_by: Field::Absent,
                last_modified_at: datetime(&self.last_modified_date, "LastModifiedDate")?,
            },
            extensions: Default::default(),
        })
    }

    /// The API payload of a canonical opportunity, for one operation.
    pub fn from_canonical(o: &Opportunity, shape: Shape) -> Self {
        let c = &o.customer;
        let a = &c.address;
        let p = &o.project;
        let l = &o.life_cycle;
        let m = &o.marketing;
        let r = &o.software_revenue;
        let s = |f: &Field<String>| f.clone().to_nullable();
        let list = |f: &Field<Vec<String>>| f.clone().to_nullable();
        let address = ApiAddress {
            city: s(&a.city),
            country_code: api_value(&a.country),
            postal_code: s(&a.postal_code),
            state_or_region: s(&a.state),
            street_address: s(&a.street),
        };
        let account = ApiAccount {
            address: present(address),
            aws_account_id: s(&c.aws_account_id),
            company_name: s(&c.company_name),
            duns: s(&c.duns),
            industry: api_value(&c.industry),
            other_industry: s(&c.other_industry),
            website_url: s(&c.website),
        };
        let money = match (&r.value, &r.currency) {
            (Field::Null, Field::Null) => Nullable::Null,
            (v, cur) if v.is_absent() && cur.is_absent() => Nullable::Absent,
            (v, cur) => Nullable::Value(ApiMoney {
                amount: v.as_ref().map(|d| d.as_str().to_string()).to_nullable(),
                currency_code: cur.clone().to_nullable(),
            }),
        };
        let (id, identifier) = match shape {
            Shape::Create => (Nullable::Absent, Nullable::Absent),
            Shape::Update => (
                Nullable::Absent,
                o.id.as_ref().map(|i| i.to_string()).to_nullable(),
            ),
            Shape::Get => (
                o.id.as_ref().map(|i| i.to_string()).to_nullable(),
                Nullable::Absent,
            ),
        };
        let when = |f: &Field<DateTime<Utc>>| {
            f.as_ref()
                .map(|d| format_datetime(d, SecondsFormat::AutoSi))
                .to_nullable()
        };
        ApiOpportunity {
            catalog: o.catalog.map_or(Nullable::Absent, |c| {
                Nullable::Value(c.as_str().to_string())
            }),
            client_token: Nullable::Absent,
            id,
            identifier,
            arn: Nullable::Absent,
            created_date: if shape == Shape::Get {
                when(&o.audit.created_at)
            } else {
                Nullable::Absent
            },
            last_modified_date: if shape == Shape::Create {
                Nullable::Absent
            } else {
                when(&o.audit.last_modified_at)
            },
            origin: if shape == Shape::Update {
                Nullable::Absent
            } else {
                api_value(&o.origin)
            },
            opportunity_type: api_value(&o.opportunity_type),
            national_security: api_value(&o.national_security),
            partner_opportunity_identifier: o.crm_id.as_ref().map(|c| c.to_string()).to_nullable(),
            primary_needs_from_aws: o
                .primary_needs
                .as_ref()
                .map(|v| {
                    v.iter()
                        .filter(|n| **n != PrimaryNeed::DoNotNeedSupport)
                        .map(|n| n.as_api().to_string())
                        .collect()
                })
                .to_nullable(),
            customer: present(ApiCustomer {
                account: present(account),
                contacts: contacts_out(&c.contacts),
            }),
            life_cycle: present(ApiLifeCycle {
                closed_lost_reason: api_value(&l.closed_lost_reason),
                next_steps: s(&l.next_steps),
                next_steps_history: l
                    .next_steps_history
                    .as_ref()
                    .map(|v| {
                        v.iter()
                            .map(|n| ApiNextStep {
                                time: n.time.map_or(Nullable::Absent, |d| {
                                    Nullable::Value(format_datetime(&d, SecondsFormat::AutoSi))
                                }),
                                value: Nullable::Value(n.value.clone()),
                            })
                            .collect()
                    })
                    .to_nullable(),
                review_comments: s(&l.review_comments),
                review_status: api_value(&l.review_status),
                review_status_reason: s(&l.review_status_reason),
                stage: api_value(&l.stage),
                target_close_date: l.target_close_date.as_ref().map(format_date).to_nullable(),
            }),
            marketing: present(ApiMarketing {
                aws_funding_used: api_value(&m.funding_used),
                campaign_name: s(&m.campaign_name),
                channels: api_list(&m.channels),
                source: api_value(&m.source),
                use_cases: list(&m.use_cases),
            }),
            opportunity_team: if shape == Shape::Update {
                Nullable::Absent
            } else {
                contacts_out(&o.partner_team)
            },
            project: present(ApiProject {
                additional_comments: s(&p.additional_comments),
                aws_partition: s(&p.aws_partition),
                expected_contract_duration: p
                    .expected_contract_duration_months
                    .as_ref()
                    .map(|m| ApiContractDuration {
                        term: Nullable::Value("Months".into()),
                        value: Nullable::Value(m.to_string()),
                    })
                    .to_nullable(),
                apn_programs: list(&p.apn_programs),
                competitor_name: api_value(&p.competitor),
                customer_business_problem: s(&p.business_problem),
                customer_use_case: s(&p.use_case),
                delivery_models: api_list(&p.delivery_models),
                expected_customer_spend: p
                    .expected_spend
                    .as_ref()
                    .map(|v| {
                        v.iter()
                            .map(|x| ApiSpend {
                                amount: Nullable::Value(x.amount.as_str().to_string()),
                                currency_code: Nullable::Value(x.currency.clone()),
                                estimation_url: x.estimation_url.clone().to_nullable(),
                                frequency: Nullable::Value(x.frequency.clone()),
                                target_company: Nullable::Value(x.target_company.clone()),
                            })
                            .collect()
                    })
                    .to_nullable(),
                other_competitor_names: s(&p.other_competitors),
                other_solution_description: s(&p.other_solution),
                related_opportunity_identifier: s(&o.parent_opportunity_id),
                sales_activities: api_list(&p.sales_activities),
                title: s(&p.title),
            }),
            software_revenue: present(ApiSoftwareRevenue {
                delivery_model: api_value(&r.model),
                effective_date: r.effective_date.as_ref().map(format_date).to_nullable(),
                expiration_date: r.expiration_date.as_ref().map(format_date).to_nullable(),
                value: money,
            }),
            related_entity_identifiers: if shape == Shape::Get {
                present(ApiRelatedEntities {
                    aws_marketplace_offers: list(&o.marketplace_offers),
                    aws_marketplace_offer_sets: list(&o.marketplace_offer_sets),
                    aws_marketplace_products: list(&o.marketplace_products),
                    aws_marketplace_solutions: list(&o.marketplace_solutions),
                    aws_products: list(&o.aws_products),
                    solutions: list(&o.solutions),
                })
            } else {
                Nullable::Absent
            },
            tags: if shape == Shape::Create {
                o.tags
                    .as_ref()
                    .map(|v| {
                        v.iter()
                            .map(|t| ApiTag {
                                key: Nullable::Value(t.key.clone()),
                                value: Nullable::Value(t.value.clone()),
                            })
                            .collect()
                    })
                    .to_nullable()
            } else {
                Nullable::Absent
            },
        }
    }
}

/// `ExpectedContractDuration` in months (the model's only term), 1 to 144 as AWS documents.
fn contract_months(d: &ApiContractDuration) -> Result<u32, ConversionError> {
    let field = "Project.ExpectedContractDuration";
    if let Some(term) = d.term.as_value()
        && term != "Months"
    {
        return Err(ConversionError::new(
            field,
            format!("Term must be Months, got {}", crate::quoted(term)),
        ));
    }
    let value = d.value.as_value().map(String::as_str).unwrap_or_default();
    match value.parse::<u32>() {
        Ok(m) if (1..=144).contains(&m) => Ok(m),
        _ => Err(ConversionError::new(
            field,
            format!(
                "Value must be a whole number of months from 1 to 144, got {}",
                crate::quoted(value)
            ),
        )),
    }
}

fn contacts_out(f: &Field<Vec<Contact>>) -> Nullable<Vec<ApiContact>> {
    f.as_ref()
        .map(|v| {
            v.iter()
                .map(|c| ApiContact {
                    business_title: c.title.clone().to_nullable(),
                    email: c.email.clone().to_nullable(),
                    first_name: c.first_name.clone().to_nullable(),
                    last_name: c.last_name.clone().to_nullable(),
                    phone: c.phone.clone().to_nullable(),
                })
                .collect()
        })
        .to_nullable()
}

/// A vocabulary value in its API spelling.
fn api_value<T: Vocabulary>(f: &Field<T>) -> Nullable<String> {
    f.as_ref().map(|v| v.as_api().to_string()).to_nullable()
}

/// A list of vocabulary values in their API spelling.
fn api_list<T: Vocabulary>(f: &Field<Vec<T>>) -> Nullable<Vec<String>> {
    f.as_ref()
        .map(|v| v.iter().map(|x| x.as_api().to_string()).collect())
        .to_nullable()
}

/// An object that has at least one field, else absent.
fn present<T: Default + PartialEq>(v: T) -> Nullable<T> {
    if v == T::default() {
        Nullable::Absent
    } else {
        Nullable::Value(v)
    }
}
