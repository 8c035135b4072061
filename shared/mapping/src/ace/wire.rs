//! ACE S3 JSON records, field for field, with their exact JSON spelling (`aWSStage`,
//! `IsOppFromMarketingActivity`, …). Every field is optional and nullable; unknown keys are kept aside.

use crate::field::Nullable;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// A JSON number of an ACE file, kept as the text it was written with, so an amount of any size
/// survives exactly (a 38-digit `ExpectedCustomerSpend` is written as its digits, never as `1e38`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AceNumber(String);

impl AceNumber {
    /// The number's text, as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// From a canonical decimal (plain digits).
    pub fn from_decimal(d: &crate::canonical::Decimal) -> Self {
        AceNumber(d.as_str().to_string())
    }
}

impl Serialize for AceNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for AceNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get().trim();
        if text.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            Ok(AceNumber(text.to_string()))
        } else {
            let shown: String = text.chars().take(40).collect();
            Err(serde::de::Error::custom(format!(
                "invalid type: {shown}, expected a number"
            )))
        }
    }
}

/// Defines a wire record: `rust_name: Type = "jsonName" | "alias"…`, plus `KEYS`, every spelling read.
macro_rules! wire_record {
    ($(#[$m:meta])* $name:ident { $( $(#[$fm:meta])* $field:ident : $ty:ty = $wire:literal $(| $alias:literal)* ),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        pub struct $name {
            $(
                $(#[$fm])*
                #[serde(rename = $wire, $(alias = $alias,)* default, skip_serializing_if = "Nullable::is_absent")]
                pub $field: Nullable<$ty>,
            )+
            /// Keys acebridge does not model, verbatim.
            #[serde(skip)]
            pub extensions: BTreeMap<String, Value>,
        }

        impl $name {
            /// Every JSON key this record reads (including alternative spellings).
            pub const KEYS: &'static [&'static str] = &[$($wire, $($alias,)*)+];
        }

        /// One pass over the record's object: each known key into its field (a key given twice, under
        /// any of its spellings, is an error, as serde's derive has it), every other key kept verbatim
        /// in `extensions`. Not an object: an error (never read positionally from an array).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> serde::de::Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("struct ", stringify!($name)))
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut r = $name::default();
                        while let Some(super::Key(k)) = map.next_key()? {
                            match k.as_ref() {
                                $(
                                    $wire $(| $alias)* => {
                                        if !r.$field.is_absent() {
                                            // Refused as its value, so the error's path names the key.
                                            match map.next_value_seed(super::Duplicate($wire))? {}
                                        }
                                        r.$field = map.next_value()?;
                                    }
                                )+
                                _ => {
                                    let v: Value = map.next_value()?;
                                    r.extensions.insert(k.into_owned(), v);
                                }
                            }
                        }
                        Ok(r)
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

wire_record! {
    /// An opportunity record of an ACE file (payload 1.0 and 2.0; Opportunity-Fields.csv).
    AceOpportunity {
        partner_crm_unique_identifier: String = "partnerCrmUniqueIdentifier",
        apn_crm_unique_identifier: String = "apnCrmUniqueIdentifier",
        partner_project_title: String = "partnerProjectTitle",
        project_description: String = "projectDescription",
        customer_company_name: String = "customerCompanyName",
        customer_website: String = "customerWebsite",
        industry: String = "industry",
        industry_other: String = "industryOther",
        country: String = "country",
        state: String = "state",
        postal_code: String = "postalCode",
        city: String = "city",
        street_address: String = "streetAddress",
        customer_duns: String = "customerDuns",
        target_close_date: String = "targetCloseDate",
        expected_monthly_aws_revenue: AceNumber = "expectedMonthlyAwsRevenue",
        delivery_model: String = "deliveryModel",
        use_case: String = "useCase",
        sales_activities: String = "salesActivities",
        partner_primary_need_from_aws: String = "partnerPrimaryNeedFromAws",
        solution_offered: Vec<String> = "solutionOffered",
        other_solution_offered: String = "otherSolutionOffered",
        aws_products: Vec<String> = "awsProducts",
        opportunity_type: String = "opportunityType",
        parent_opp_id: String = "parentOppId",
        is_opp_from_marketing_activity: String = "IsOppFromMarketingActivity" | "isOppFromMarketingActivity",
        is_marketing_development_funded: String = "isMarketingDevelopmentFunded",
        marketing_activity_channel: String = "marketingActivityChannel",
        marketing_activity_usecase: String = "marketingActivityUsecase",
        aws_sf_campaign_name: String = "awsSFCampaignName",
        campaign_name: String = "campaignName",
        competitive_tracking: String = "competitiveTracking",
        competitive_tracking_other: String = "competitiveTrackingOther",
        does_opp_belong_to_nat_sec: String = "doesOppBelongToNatSec" | "doesOppBelongToNatsec",
        stage: String = "stage",
        closed_lost_reason: String = "closedLostReason",
        aws_account_id: String = "awsAccountId",
        partner_acceptance_status: String = "partnerAcceptanceStatus",
        rejection_reason: String = "rejectionReason",
        offers: Vec<String> = "offers",
        next_step: String = "nextStep",
        additional_comments: String = "additionalComments",
        opportunity_owner_email: String = "opportunityOwnerEmail",
        opportunity_owner_name: String = "opportunityOwnerName",
        primary_contact_first_name: String = "primaryContactFirstName",
        primary_contact_last_name: String = "primaryContactLastName",
        primary_contact_email: String = "primaryContactEmail",
        primary_contact_phone: String = "primaryContactPhone",
        primary_contact_title: String = "primaryContactTitle",
        customer_first_name: String = "customerFirstName",
        customer_last_name: String = "customerLastName",
        customer_email: String = "customerEmail",
        customer_phone: String = "customerPhone",
        customer_title: String = "customerTitle",
        procurement_type: String = "procurementType",
        customer_software_value: AceNumber = "customerSoftwareValue",
        customer_software_value_currency: String = "customerSoftwareValueCurrency",
        contract_start_date: String = "contractStartDate",
        contract_end_date: String = "contractEndDate",
        apn_crm_lead_unique_identifier: String = "apnCrmLeadUniqueIdentifier",
        // Read-only (outbound) fields.
        status: String = "status",
        opportunity_ownership: String = "opportunityOwnership",
        accept_by: String = "acceptBy",
        apn_reviewer_comments: String = "apnReviewerComments",
        aws_stage: String = "aWSStage" | "awsStage",
        aws_close_date: String = "aWSCloseDate" | "awsCloseDate",
        aws_closed_lost_reason: String = "aWSClosedLostReason" | "awsClosedLostReason",
        aws_account_owner_name: String = "aWSAccountOwnerName",
        aws_account_owner_email: String = "aWSAccountOwnerEmail",
        aws_sales_rep_name: String = "aWSSalesRepName",
        aws_sales_rep_email: String = "aWSSalesRepEmail",
        aws_isv_success_manager_name: String = "aWSISVSuccessManagerName",
        aws_isv_success_manager_email: String = "aWSISVSuccessManagerEmail",
        aws_partner_success_manager_name: String = "aWSPartnerSuccessManagerName",
        aws_partner_success_manager_email: String = "aWSPartnerSuccessManagerEmail",
        partner_developer_manager: String = "partnerDeveloperManager",
        partner_developer_manager_email: String = "partnerDeveloperManagerEmail",
        partner_developer_manager_phone: String = "partnerDeveloperManagerPhone",
        wwps_pdm: String = "wWPSPDM",
        wwps_pdm_email: String = "wWPSPDMEmail",
        engagement_score: String = "engagementScore",
        recommended_next_best_actions: String = "recommendedNextBestActions",
        cosell_convert_reason: String = "cosellConvertReason" | "cosellConvertReason ",
        next_step_history: String = "nextStepHistory",
        created_by: String = "createdBy",
        created_date: String = "createdDate",
        last_modified_by: String = "lastModifiedBy",
        last_modified_date: String = "lastModifiedDate",
        backwards_compatibility_changes: String = "backwardsCompatibilityChanges",
    }
}

/// Opportunity fields AWS fills and partners cannot send (inbound "NA" in Opportunity-Fields.csv).
pub const OPPORTUNITY_READ_ONLY: &[&str] = &[
    "status",
    "opportunityOwnership",
    "acceptBy",
    "apnReviewerComments",
    "aWSStage",
    "aWSCloseDate",
    "aWSClosedLostReason",
    "aWSAccountOwnerName",
    "aWSAccountOwnerEmail",
    "aWSSalesRepName",
    "aWSSalesRepEmail",
    "aWSISVSuccessManagerName",
    "aWSISVSuccessManagerEmail",
    "aWSPartnerSuccessManagerName",
    "aWSPartnerSuccessManagerEmail",
    "partnerDeveloperManager",
    "partnerDeveloperManagerEmail",
    "partnerDeveloperManagerPhone",
    "wWPSPDM",
    "wWPSPDMEmail",
    "engagementScore",
    "recommendedNextBestActions",
    "cosellConvertReason",
    "nextStepHistory",
    "createdBy",
    "createdDate",
    "lastModifiedBy",
    "lastModifiedDate",
    "backwardsCompatibilityChanges",
];

wire_record! {
    /// A lead record of an ACE file (Leads-Fields.csv).
    AceLead {
        apn_crm_unique_identifier: String = "apnCrmUniqueIdentifier",
        partner_crm_lead_id: String = "partnerCrmLeadId",
        status: String = "status",
        current_lead_stage: String = "currentLeadStage",
        lead_status_reason: String = "leadStatusReason",
        first_name: String = "firstName",
        last_name: String = "lastName",
        full_name: String = "fullName",
        email: String = "email",
        phone: String = "phone",
        title: String = "title",
        website: String = "website",
        company: String = "company" | "Company",
        street_address: String = "streetAddress",
        city: String = "city",
        state: String = "state",
        postal_code: String = "postalCode",
        country: String = "country",
        industry: String = "industry",
        segment_company_size: String = "segmentCompanySize",
        use_case_workload: String = "useCaseWorkload" | "useCaseWorkLoad",
        project_description: String = "projectDescription",
        lead_owner_email: String = "leadOwnerEmail",
        lead_owner_name: String = "leadOwnerName",
        lead_source: String = "leadSource",
        lead_age: AceNumber = "leadAge",
        level_of_aws_usage: String = "levelofAWSUsage",
        campaign_name: String = "campaignName" | "Campaign Name",
        campaign_member_status: String = "campaignMemberStatus" | "CampaignMemberStatus",
        created_by: String = "createdBy",
        created_date: String = "createdDate",
        last_modified_by: String = "lastModifiedBy",
        last_modified_date: String = "lastModifiedDate",
    }
}

/// Lead fields AWS fills and partners cannot send.
pub const LEAD_READ_ONLY: &[&str] = &[
    "fullName",
    "company",
    "leadSource",
    "leadAge",
    "levelofAWSUsage",
    "campaignName",
    "campaignMemberStatus",
    "createdBy",
    "createdDate",
    "lastModifiedBy",
    "lastModifiedDate",
];

/// One record's outcome in a processed-results file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AceRecordResult {
    /// Warnings (shape unverified: kept as JSON).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub warnings: Nullable<Value>,
    /// The partner's id of the record we sent.
    #[serde(
        rename = "partnerCrmUniqueIdentifier",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub partner_crm_unique_identifier: Nullable<String>,
    /// Whether AWS applied the record.
    #[serde(
        rename = "isSuccess",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub is_success: Nullable<bool>,
    /// Error messages (free text).
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub errors: Nullable<Vec<String>>,
    /// AWS's id (assigned on create).
    #[serde(
        rename = "apnCrmUniqueIdentifier",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub apn_crm_unique_identifier: Nullable<String>,
}

/// A processed-results file (`*-inbound-processed-results/…_result.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AceResultsFile {
    /// `ALL`, `NONE` or a partial value.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub success: Nullable<String>,
    /// Partner id.
    #[serde(
        rename = "spmsId",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub spms_id: Nullable<String>,
    /// True when AWS failed on its side.
    #[serde(
        rename = "isApiError",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub is_api_error: Nullable<bool>,
    /// Per-record results.
    #[serde(
        rename = "inboundApiResults",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub inbound_api_results: Nullable<Vec<AceRecordResult>>,
    /// The inbound file these results are for.
    #[serde(
        rename = "fileName",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub file_name: Nullable<String>,
    /// When AWS processed it.
    #[serde(
        rename = "fileApnProcessedDT",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub file_apn_processed_dt: Nullable<String>,
    /// File-level errors (shape unverified: kept as JSON).
    #[serde(
        rename = "apiErrors",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub api_errors: Nullable<Value>,
}
