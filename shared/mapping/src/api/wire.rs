//! Partner Central Selling API opportunity payloads as JSON (awsJson 1.0, PascalCase): the bodies of
//! CreateOpportunity / UpdateOpportunity requests and of the GetOpportunity response. Also what our
//! emulator speaks.

use crate::field::Nullable;
use serde::{Deserialize, Serialize};

macro_rules! api_struct {
    ($(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $field:ident : $ty:ty ),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "PascalCase")]
        pub struct $name {
            $(
                $(#[$fm])*
                #[serde(default, skip_serializing_if = "Nullable::is_absent")]
                pub $field: Nullable<$ty>,
            )+
        }
    };
}

api_struct! {
    /// `Customer.Account.Address`.
    ApiAddress { city: String, country_code: String, postal_code: String, state_or_region: String, street_address: String }
}

api_struct! {
    /// `Customer.Account`.
    ApiAccount {
        address: ApiAddress,
        aws_account_id: String,
        company_name: String,
        duns: String,
        industry: String,
        other_industry: String,
        website_url: String,
    }
}

api_struct! {
    /// A contact (`Customer.Contacts[]`, `OpportunityTeam[]`).
    ApiContact { business_title: String, email: String, first_name: String, last_name: String, phone: String }
}

api_struct! {
    /// `Customer`.
    ApiCustomer { account: ApiAccount, contacts: Vec<ApiContact> }
}

api_struct! {
    /// `LifeCycle.NextStepsHistory[]`.
    ApiNextStep { time: String, value: String }
}

api_struct! {
    /// `LifeCycle`.
    ApiLifeCycle {
        closed_lost_reason: String,
        next_steps: String,
        next_steps_history: Vec<ApiNextStep>,
        review_comments: String,
        review_status: String,
        review_status_reason: String,
        stage: String,
        target_close_date: String,
    }
}

api_struct! {
    /// `Marketing`.
    ApiMarketing {
        aws_funding_used: String,
        campaign_name: String,
        channels: Vec<String>,
        source: String,
        use_cases: Vec<String>,
    }
}

api_struct! {
    /// `Project.ExpectedCustomerSpend[]`.
    ApiSpend { amount: String, currency_code: String, estimation_url: String, frequency: String, target_company: String }
}

api_struct! {
    /// `Project.ExpectedContractDuration` (`Term`: `Months`; `Value`: "1" to "144").
    ApiContractDuration { term: String, value: String }
}

api_struct! {
    /// `Tags[]` (CreateOpportunity).
    ApiTag { key: String, value: String }
}

api_struct! {
    /// `Project`.
    ApiProject {
        additional_comments: String,
        aws_partition: String,
        expected_contract_duration: ApiContractDuration,
        apn_programs: Vec<String>,
        competitor_name: String,
        customer_business_problem: String,
        customer_use_case: String,
        delivery_models: Vec<String>,
        expected_customer_spend: Vec<ApiSpend>,
        other_competitor_names: String,
        other_solution_description: String,
        related_opportunity_identifier: String,
        sales_activities: Vec<String>,
        title: String,
    }
}

api_struct! {
    /// `SoftwareRevenue.Value`.
    ApiMoney { amount: String, currency_code: String }
}

api_struct! {
    /// `SoftwareRevenue`.
    ApiSoftwareRevenue { delivery_model: String, effective_date: String, expiration_date: String, value: ApiMoney }
}

api_struct! {
    /// `RelatedEntityIdentifiers` (GetOpportunity only; written with AssociateOpportunity).
    ApiRelatedEntities {
        aws_marketplace_offers: Vec<String>,
        aws_marketplace_offer_sets: Vec<String>,
        aws_marketplace_products: Vec<String>,
        aws_marketplace_solutions: Vec<String>,
        aws_products: Vec<String>,
        solutions: Vec<String>,
    }
}

api_struct! {
    /// An opportunity payload: CreateOpportunity / UpdateOpportunity request or GetOpportunity response.
    ApiOpportunity {
        catalog: String,
        client_token: String,
        /// GetOpportunity's id.
        id: String,
        /// UpdateOpportunity's id.
        identifier: String,
        arn: String,
        created_date: String,
        last_modified_date: String,
        origin: String,
        opportunity_type: String,
        national_security: String,
        partner_opportunity_identifier: String,
        primary_needs_from_aws: Vec<String>,
        customer: ApiCustomer,
        life_cycle: ApiLifeCycle,
        marketing: ApiMarketing,
        opportunity_team: Vec<ApiContact>,
        project: ApiProject,
        software_revenue: ApiSoftwareRevenue,
        related_entity_identifiers: ApiRelatedEntities,
        /// CreateOpportunity only.
        tags: Vec<ApiTag>,
    }
}
