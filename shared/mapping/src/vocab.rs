//! Value vocabularies: typed enums for every picklist that both wire formats share.
//!
//! The canonical spelling of each value is the Partner Central API's; ACE files spell some values
//! differently (`Software & Internet` vs `Software and Internet`, an en dash in `Lost to Competitor – Google`,
//! `Draft` vs `Pending Submission`, `Yes`/`No` vs `Marketing Activity`/`None`). Each enum translates both
//! ways. A value neither format defines is kept verbatim in `Unknown`, so nothing is lost and validation
//! can name it.

/// What every vocabulary enum offers generically (validation uses it).
pub trait Vocabulary {
    /// False for values kept verbatim as `Unknown`.
    fn is_known(&self) -> bool;
    /// The canonical (API) spelling.
    fn as_api(&self) -> &str;
    /// The ACE S3 file spelling.
    fn as_ace(&self) -> &str;
}

/// Defines a vocabulary enum: `Variant = "api spelling"` or `Variant = "api spelling" | ace "ACE spelling"`.
macro_rules! vocab {
    (@ace $api:literal) => { $api };
    (@ace $api:literal, $ace:literal) => { $ace };
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $api:literal $(| ace $ace:literal)?),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* #[doc = $api] $var,)+
            /// A value acebridge does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every known value.
            pub const KNOWN: &'static [$name] = &[$($name::$var),+];

            /// The Partner Central API spelling (also the canonical one).
            pub fn as_api(&self) -> &str {
                match self { $($name::$var => $api,)+ $name::Unknown(s) => s }
            }

            /// The ACE S3 file spelling.
            pub fn as_ace(&self) -> &str {
                match self { $($name::$var => vocab!(@ace $api $(, $ace)?),)+ $name::Unknown(s) => s }
            }

            /// Reads the Partner Central API spelling.
            pub fn from_api(s: &str) -> Self {
                match s { $($api => $name::$var,)+ other => $name::Unknown(other.to_string()) }
            }

            /// Reads the ACE S3 file spelling.
            pub fn from_ace(s: &str) -> Self {
                match s { $(vocab!(@ace $api $(, $ace)?) => $name::$var,)+ other => $name::Unknown(other.to_string()) }
            }

            /// False for `Unknown`.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl Vocabulary for $name {
            fn is_known(&self) -> bool {
                $name::is_known(self)
            }
            fn as_api(&self) -> &str {
                $name::as_api(self)
            }
            fn as_ace(&self) -> &str {
                $name::as_ace(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_api())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_api())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::from_api(&s))
            }
        }
    };
}

vocab! {
    /// The partner's sales stage of an opportunity.
    Stage {
        Prospect = "Prospect",
        Qualified = "Qualified",
        TechnicalValidation = "Technical Validation",
        BusinessValidation = "Business Validation",
        Committed = "Committed",
        Launched = "Launched",
        ClosedLost = "Closed Lost",
    }
}

vocab! {
    /// AWS's review status of a partner opportunity (ACE `status`).
    ReviewStatus {
        PendingSubmission = "Pending Submission" | ace "Draft",
        Submitted = "Submitted",
        InReview = "In review",
        Approved = "Approved",
        Rejected = "Rejected",
        ActionRequired = "Action Required",
    }
}

vocab! {
    /// Who originated the opportunity (ACE `opportunityOwnership`).
    Origin {
        AwsReferral = "AWS Referral",
        PartnerReferral = "Partner Referral",
    }
}

vocab! {
    /// Kind of opportunity.
    OpportunityType {
        NetNewBusiness = "Net New Business",
        Expansion = "Expansion",
        FlatRenewal = "Flat Renewal",
    }
}

vocab! {
    /// Industry of the end customer.
    Industry {
        Aerospace = "Aerospace",
        Agriculture = "Agriculture",
        Automotive = "Automotive",
        ComputersAndElectronics = "Computers and Electronics" | ace "Computers & Electronics",
        ConsumerGoods = "Consumer Goods",
        Education = "Education",
        EnergyOilAndGas = "Energy - Oil and Gas" | ace "Energy - Oil & Gas",
        EnergyPowerAndUtilities = "Energy - Power and Utilities" | ace "Energy - Power & Utilities",
        FinancialServices = "Financial Services",
        Gaming = "Gaming",
        Government = "Government",
        Healthcare = "Healthcare",
        Hospitality = "Hospitality",
        LifeSciences = "Life Sciences",
        Manufacturing = "Manufacturing",
        MarketingAndAdvertising = "Marketing and Advertising" | ace "Marketing & Advertising",
        MediaAndEntertainment = "Media and Entertainment" | ace "Media & Entertainment",
        Mining = "Mining",
        NonProfitOrganization = "Non-Profit Organization",
        Other = "Other",
        ProfessionalServices = "Professional Services",
        RealEstateAndConstruction = "Real Estate and Construction" | ace "Real Estate & Construction",
        Retail = "Retail",
        SoftwareAndInternet = "Software and Internet" | ace "Software & Internet",
        Telecommunications = "Telecommunications",
        TransportationAndLogistics = "Transportation and Logistics" | ace "Transportation & Logistics",
        Travel = "Travel",
        WholesaleAndDistribution = "Wholesale and Distribution" | ace "Wholesale & Distribution",
    }
}

vocab! {
    /// How the partner's solution is delivered.
    DeliveryModel {
        SaasOrPaas = "SaaS or PaaS",
        ByolOrAmi = "BYOL or AMI",
        ManagedServices = "Managed Services",
        ProfessionalServices = "Professional Services",
        Resell = "Resell",
        Other = "Other",
    }
}

vocab! {
    /// Sales activities done with the customer.
    SalesActivity {
        InitializedDiscussions = "Initialized discussions with customer",
        CustomerInterest = "Customer has shown interest in solution",
        PocOrDemo = "Conducted POC / Demo",
        Evaluation = "In evaluation / planning stage",
        AgreedOnSolution = "Agreed on solution to Business Problem",
        ActionPlan = "Completed Action Plan",
        FinalizedDeploymentNeed = "Finalized Deployment Need",
        SowSigned = "SOW Signed",
    }
}

vocab! {
    /// What the partner needs from AWS. `DoNotNeedSupport` exists only in ACE files; the API expresses it
    /// as an empty list.
    PrimaryNeed {
        ArchitecturalValidation = "Co-Sell - Architectural Validation",
        BusinessPresentation = "Co-Sell - Business Presentation",
        CompetitiveInformation = "Co-Sell - Competitive Information",
        PricingAssistance = "Co-Sell - Pricing Assistance",
        TechnicalConsultation = "Co-Sell - Technical Consultation",
        TotalCostOfOwnership = "Co-Sell - Total Cost of Ownership Evaluation",
        DealSupport = "Co-Sell - Deal Support",
        PublicTender = "Co-Sell - Support for Public Tender / RFx",
        DoNotNeedSupport = "Do Not Need Support from AWS Sales Rep",
    }
}

vocab! {
    /// Why an opportunity was closed lost. ACE writes the competitor values with an en dash.
    ClosedLostReason {
        CustomerDeficiency = "Customer Deficiency",
        CustomerExperience = "Customer Experience",
        DelayOrCancellation = "Delay / Cancellation of Project",
        FinancialCommercial = "Financial/Commercial",
        LegalTaxRegulatory = "Legal / Tax / Regulatory",
        LostToGoogle = "Lost to Competitor - Google" | ace "Lost to Competitor – Google",
        LostToMicrosoft = "Lost to Competitor - Microsoft" | ace "Lost to Competitor – Microsoft",
        LostToOther = "Lost to Competitor - Other" | ace "Lost to Competitor – Other",
        LostToSoftLayer = "Lost to Competitor - SoftLayer" | ace "Lost to Competitor – SoftLayer",
        LostToVmware = "Lost to Competitor - VMWare" | ace "Lost to Competitor – VMWare",
        NoOpportunity = "No Opportunity",
        OnPremisesDeployment = "On Premises Deployment",
        Other = "Other",
        PartnerGap = "Partner Gap",
        PeopleRelationshipGovernance = "People/Relationship/Governance",
        Price = "Price",
        ProductTechnology = "Product/Technology",
        SecurityCompliance = "Security / Compliance",
        TechnicalLimitations = "Technical Limitations",
    }
}

vocab! {
    /// Competing provider (ACE `competitiveTracking`).
    Competitor {
        OtherStar = "*Other",
        Akamai = "Akamai",
        AliCloud = "AliCloud",
        CoLocation = "Co-location",
        GoogleCloud = "Google Cloud Platform",
        IbmSoftlayer = "IBM Softlayer",
        MicrosoftAzure = "Microsoft Azure",
        NoCompetition = "No Competition",
        OnPrem = "On-Prem",
        OracleCloud = "Oracle Cloud",
        OtherCostOptimization = "Other- Cost Optimization",
    }
}

vocab! {
    /// Marketing channel.
    Channel {
        AwsMarketingCentral = "AWS Marketing Central",
        ContentSyndication = "Content Syndication",
        Display = "Display",
        Email = "Email",
        LiveEvent = "Live Event",
        OutOfHome = "Out Of Home (OOH)",
        Print = "Print",
        Search = "Search",
        Social = "Social",
        Tv = "TV",
        Telemarketing = "Telemarketing",
        Video = "Video",
        VirtualEvent = "Virtual Event",
    }
}

vocab! {
    /// Whether the opportunity came from a marketing activity (ACE `IsOppFromMarketingActivity` Yes/No).
    MarketingSource {
        MarketingActivity = "Marketing Activity" | ace "Yes",
        None = "None" | ace "No",
    }
}

vocab! {
    /// A yes/no answer (national security, marketing development funds).
    YesNo {
        Yes = "Yes",
        No = "No",
    }
}

vocab! {
    /// Procurement type of software revenue (ACE `procurementType`).
    RevenueModel {
        Contract = "Contract",
        PayAsYouGo = "Pay-as-you-go",
        Subscription = "Subscription",
    }
}

vocab! {
    /// The partner's decision on an AWS referral.
    AcceptanceStatus {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}

vocab! {
    /// Why the partner rejects an AWS referral. `Renewal opportunity` is ACE-only.
    RejectionReason {
        CustomerProblemUnclear = "Customer problem unclear",
        NextStepsUnclear = "Next steps unclear",
        UnableToSupport = "Unable to support",
        DuplicateOfPartnerReferral = "Duplicate of Partner Referral",
        RenewalOpportunity = "Renewal opportunity",
        Other = "Other",
    }
}

vocab! {
    /// AWS Marketplace engagement score.
    EngagementScore {
        Low = "Low",
        Medium = "Medium",
        High = "High",
    }
}

vocab! {
    /// Why the partner converted to co-sell (ACE `cosellConvertReason`).
    CosellConvertReason {
        ExpansionOpportunity = "Expansion Opportunity",
        ChangeInDealInformation = "Change in Deal Information",
        CustomerRequested = "Customer Requested",
        TechnicalComplexity = "Technical Complexity",
        RiskMitigation = "Risk Mitigation",
    }
}

vocab! {
    /// Status of an engagement invitation.
    InvitationStatus {
        Pending = "PENDING",
        Accepted = "ACCEPTED",
        Rejected = "REJECTED",
        Expired = "EXPIRED",
    }
}

vocab! {
    /// What an engagement invitation carries.
    InvitationPayloadType {
        OpportunityInvitation = "OpportunityInvitation",
        LeadInvitation = "LeadInvitation",
    }
}

vocab! {
    /// Lifecycle status of an ACE lead.
    LeadStatus {
        Open = "Open",
        Research = "Research",
        Disqualified = "Disqualified",
        Qualified = "Qualified",
    }
}

vocab! {
    /// The partner's decision on an ACE lead (`currentLeadStage`).
    LeadStage {
        Accepted = "Accepted",
        Rejected = "Rejected",
    }
}

/// Splits an ACE multi-select value (`"WWPS NDPP;P3"`) into its values. Blank parts are dropped and
/// surrounding spaces trimmed (normalisation: ACE wants no spaces around `;`).
pub fn split_multi(s: &str) -> Vec<String> {
    multi_values(s).map(str::to_string).collect()
}

/// The values of an ACE multi-select string, borrowed: split on `;`, trimmed, empty ones dropped.
pub fn multi_values(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|p| !p.is_empty())
}

/// Joins values into an ACE multi-select string.
pub fn join_multi<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values.into_iter().collect::<Vec<_>>().join(";")
}

/// True for the literal AWS sends instead of withheld referral data (`Accept to View`, any case).
pub fn is_mask(s: &str) -> bool {
    s.len() >= 14 && s.trim().eq_ignore_ascii_case("accept to view")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_between_ace_and_api_spellings() {
        assert_eq!(
            Industry::from_ace("Software & Internet"),
            Industry::SoftwareAndInternet
        );
        assert_eq!(
            Industry::SoftwareAndInternet.as_api(),
            "Software and Internet"
        );
        let r = ClosedLostReason::from_ace("Lost to Competitor – Google");
        assert_eq!(r.as_api(), "Lost to Competitor - Google");
        assert_eq!(
            ClosedLostReason::from_api("Lost to Competitor - Google").as_ace(),
            "Lost to Competitor – Google"
        );
        assert_eq!(
            ReviewStatus::from_ace("Draft"),
            ReviewStatus::PendingSubmission
        );
        assert_eq!(
            MarketingSource::from_ace("Yes").as_api(),
            "Marketing Activity"
        );
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let s = Stage::from_api("Negotiation");
        assert_eq!(s, Stage::Unknown("Negotiation".into()));
        assert_eq!(s.as_ace(), "Negotiation");
        assert!(!s.is_known());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, "\"Negotiation\"");
        assert_eq!(serde_json::from_str::<Stage>(&json).unwrap(), s);
    }

    #[test]
    fn multi_select_split_and_join() {
        assert_eq!(split_multi("WWPS NDPP;P3"), vec!["WWPS NDPP", "P3"]);
        assert_eq!(split_multi(" a ; ;b"), vec!["a", "b"]);
        assert_eq!(join_multi(["a", "b"]), "a;b");
        assert!(is_mask("Accept To View") && is_mask("Accept to View") && !is_mask("Accepted"));
    }
}
