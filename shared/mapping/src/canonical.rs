//! The canonical model: one Rust picture of an opportunity, a lead and an engagement invitation, which
//! every wire format (ACE S3 files v1/v2, the Partner Central API) and every CRM maps to and from.
//!
//! Field names here are acebridge's own; no wire spelling appears. Every field is a [`Field`], so that
//! "not provided", "cleared" and "masked by AWS" stay distinct all the way to the CRM.

use crate::field::Field;
use crate::ids::{Catalog, CrmId, EngagementId, InvitationId, LeadId, OpportunityId};
use crate::vocab::*;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A decimal number kept as its text (`"12500"`, `"10000.0"`), so amounts never lose precision or
/// formatting between formats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Decimal(String);

/// Not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number: {}", crate::quoted(.0))]
pub struct DecimalError(String);

impl Decimal {
    /// Parses `[-]digits[.digits]`.
    pub fn parse(s: &str) -> Result<Self, DecimalError> {
        let t = s.trim();
        let body = t.strip_prefix('-').unwrap_or(t);
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits(int)
            || (body.contains('.') && frac.is_empty())
            || !digits(frac)
        {
            return Err(DecimalError(s.to_string()));
        }
        Ok(Decimal(t.to_string()))
    }

    /// From a JSON number (ACE files write money as numbers: `100.0`).
    pub fn from_f64(v: f64) -> Result<Self, DecimalError> {
        if !v.is_finite() {
            return Err(DecimalError(v.to_string()));
        }
        Decimal::parse(&format!("{v}"))
    }

    /// From the text of a JSON number as written (`100`, `100.0`, `1e38`, `-2.5E-3`): exponent forms
    /// become plain decimal text (`1e38` → `100000000000000000000000000000000000000`), exactly. Exponents
    /// beyond ±[`Decimal::MAX_EXPONENT`] are refused rather than expanded.
    pub fn from_json_number(text: &str) -> Result<Self, DecimalError> {
        let t = text.trim();
        let Some(at) = t.find(['e', 'E']) else {
            return Decimal::parse(t);
        };
        let err = || DecimalError(text.chars().take(64).collect());
        let (mantissa, exp) = (&t[..at], &t[at + 1..]);
        let exp: i32 = exp
            .strip_prefix('+')
            .unwrap_or(exp)
            .parse()
            .map_err(|_| err())?;
        if exp.unsigned_abs() > Self::MAX_EXPONENT {
            return Err(err());
        }
        Decimal::parse(mantissa).map_err(|_| err())?;
        let negative = mantissa.starts_with('-');
        let body = mantissa.trim_start_matches('-');
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = format!("{int}{frac}");
        // The decimal point sits after `point` digits of `digits`.
        let point = i64::try_from(int.len()).map_err(|_| err())? + i64::from(exp);
        let plain = if point <= 0 {
            let zeros = usize::try_from(-point).map_err(|_| err())?;
            format!("0.{}{digits}", "0".repeat(zeros))
        } else {
            let point = usize::try_from(point).map_err(|_| err())?;
            if point >= digits.len() {
                format!("{digits}{}", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        let plain = plain.trim_start_matches('0');
        let plain = if plain.is_empty() || plain.starts_with('.') {
            format!("0{plain}")
        } else {
            plain.to_string()
        };
        Decimal::parse(&if negative { format!("-{plain}") } else { plain })
    }

    /// The largest exponent [`Decimal::from_json_number`] expands.
    pub const MAX_EXPONENT: u32 = 64;

    /// As a JSON number.
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the number has no fractional part (`12500`, `12500.0`).
    pub fn is_integer(&self) -> bool {
        self.0
            .split_once('.')
            .is_none_or(|(_, f)| f.bytes().all(|b| b == b'0'))
    }

    /// True when the number is greater than zero.
    pub fn is_positive(&self) -> bool {
        !self.0.starts_with('-') && self.0.bytes().any(|b| (b'1'..=b'9').contains(&b))
    }
}

impl TryFrom<String> for Decimal {
    type Error = DecimalError;
    fn try_from(s: String) -> Result<Self, DecimalError> {
        Decimal::parse(&s)
    }
}

impl From<Decimal> for String {
    fn from(d: Decimal) -> String {
        d.0
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A country: an ISO 3166-1 alpha-2 code that both formats know, or a value kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Country {
    /// ISO alpha-2 code (`US`).
    Code(String),
    /// A name or code acebridge cannot translate, kept as the source wrote it.
    Unknown(String),
}

impl Country {
    /// From an ACE country name (`United States`). An ISO code typed into the ACE field (`US`) is read
    /// as that country and written back by name (a documented normalisation).
    pub fn from_ace(name: &str) -> Self {
        match crate::data::country_code(name) {
            Some(c) => Country::Code(c.to_string()),
            None if crate::data::country_name(name).is_some() => Country::Code(name.to_string()),
            None => Country::Unknown(name.to_string()),
        }
    }

    /// From an API country code (`US`).
    pub fn from_api(code: &str) -> Self {
        if crate::data::country_name(code).is_some() {
            Country::Code(code.to_string())
        } else {
            Country::Unknown(code.to_string())
        }
    }

    /// The ACE name.
    pub fn as_ace(&self) -> &str {
        match self {
            Country::Code(c) => crate::data::country_name(c).unwrap_or(c),
            Country::Unknown(s) => s,
        }
    }

    /// The API code.
    pub fn as_api(&self) -> &str {
        match self {
            Country::Code(c) | Country::Unknown(c) => c,
        }
    }

    /// True for the United States (state is required there).
    pub fn is_us(&self) -> bool {
        matches!(self, Country::Code(c) if c == "US")
    }
}

impl Vocabulary for Country {
    fn is_known(&self) -> bool {
        matches!(self, Country::Code(_))
    }
    fn as_api(&self) -> &str {
        Country::as_api(self)
    }
    fn as_ace(&self) -> &str {
        Country::as_ace(self)
    }
}

/// A person in contact with the deal: customer contact, partner team member.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// First name.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub first_name: Field<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub last_name: Field<String>,
    /// Email address.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub email: Field<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub phone: Field<String>,
    /// Business title.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
}

impl Contact {
    /// True when no field is provided.
    pub fn is_empty(&self) -> bool {
        self.first_name.is_absent()
            && self.last_name.is_absent()
            && self.email.is_absent()
            && self.phone.is_absent()
            && self.title.is_absent()
    }
}

/// A person on AWS's side, or the opportunity owner, known by full name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Person {
    /// Full name.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Email address.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub email: Field<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub phone: Field<String>,
}

/// The end customer's address.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Address {
    /// Street address.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub street: Field<String>,
    /// City.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub city: Field<String>,
    /// State or region (a US state name when the country is the US).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub state: Field<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub postal_code: Field<String>,
    /// Country.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub country: Field<Country>,
}

/// The end customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Customer {
    /// Company name.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub company_name: Field<String>,
    /// Website URL.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub website: Field<String>,
    /// Industry.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub industry: Field<Industry>,
    /// Industry when `industry` is Other.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub other_industry: Field<String>,
    /// D-U-N-S number (9 digits).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub duns: Field<String>,
    /// The customer's AWS account id (12 digits).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub aws_account_id: Field<String>,
    /// Address.
    pub address: Address,
    /// Customer contacts (ACE carries one).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub contacts: Field<Vec<Contact>>,
}

/// Expected customer spend on AWS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spend {
    /// Amount.
    pub amount: Decimal,
    /// ISO currency code (`USD`).
    pub currency: String,
    /// Payment frequency (`Monthly`).
    pub frequency: String,
    /// Who receives the spend (`AWS`).
    pub target_company: String,
    /// Link to a pricing-calculator estimate.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub estimation_url: Field<String>,
}

impl Spend {
    /// Monthly spend on AWS in USD — what ACE's `expectedMonthlyAwsRevenue` means.
    pub fn monthly_aws_usd(amount: Decimal) -> Self {
        Spend {
            amount,
            currency: "USD".into(),
            frequency: "Monthly".into(),
            target_company: "AWS".into(),
            estimation_url: Field::Absent,
        }
    }

    /// True for a monthly spend on AWS in USD.
    pub fn is_monthly_aws_usd(&self) -> bool {
        self.currency == "USD" && self.frequency == "Monthly" && self.target_company == "AWS"
    }
}

/// The project: what the customer needs and what the partner offers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    /// Title.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// The customer's business problem.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub business_problem: Field<String>,
    /// Customer use case.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub use_case: Field<String>,
    /// Delivery models.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub delivery_models: Field<Vec<DeliveryModel>>,
    /// Sales activities done so far.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub sales_activities: Field<Vec<SalesActivity>>,
    /// Expected customer spend.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub expected_spend: Field<Vec<Spend>>,
    /// APN programs that influenced the deal (ACE `campaignName`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub apn_programs: Field<Vec<String>>,
    /// Main competitor.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub competitor: Field<Competitor>,
    /// Other competitors, free text.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub other_competitors: Field<String>,
    /// Solution description when the solution is "Other".
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub other_solution: Field<String>,
    /// Additional comments.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub additional_comments: Field<String>,
    /// Expected contract duration in months (AWS's `ExpectedContractDuration`, `Term: Months`, 1–144):
    /// turns a total contract value into monthly spend.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub expected_contract_duration_months: Field<u32>,
    /// AWS partition (`aws-eusc`: the AWS European Sovereign Cloud).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub aws_partition: Field<String>,
}

/// A tag (CreateOpportunity's `Tags`: key 1–128, value 0–256 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// One of AWS's recommendations on an opportunity (AWS's AI insights; read-only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Recommendation {
    /// Its type.
    pub kind: String,
    /// What it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

/// AWS's spend insights from one source (`Partner` or `AWS`): monthly totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendInsight {
    /// `Partner` or `AWS`.
    pub source: String,
    /// Currency.
    pub currency: String,
    /// Total monthly amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// Total after optimisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimized: Option<String>,
    /// Potential savings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub potential_savings: Option<String>,
}

/// Marketing attribution.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Marketing {
    /// Whether the deal came from a marketing activity.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source: Field<MarketingSource>,
    /// Whether marketing development funds were used.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub funding_used: Field<YesNo>,
    /// AWS marketing campaign code.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub campaign_name: Field<String>,
    /// Channels.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub channels: Field<Vec<Channel>>,
    /// Marketing use cases.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub use_cases: Field<Vec<String>>,
}

/// One entry of the next-steps log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    /// When the step was recorded (ACE's log is plain text, without times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// What the step says.
    pub value: String,
}

/// Where the opportunity stands.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LifeCycle {
    /// The partner's stage.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub stage: Field<Stage>,
    /// AWS's review status.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub review_status: Field<ReviewStatus>,
    /// Why the review status is what it is.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub review_status_reason: Field<String>,
    /// The AWS reviewer's comments (Action Required).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub review_comments: Field<String>,
    /// Why it was closed lost.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub closed_lost_reason: Field<ClosedLostReason>,
    /// Next steps.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub next_steps: Field<String>,
    /// Next-steps log.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub next_steps_history: Field<Vec<NextStep>>,
    /// Target close date.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub target_close_date: Field<NaiveDate>,
    /// Deadline to accept an AWS referral (UTC).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub accept_by: Field<DateTime<Utc>>,
    /// The partner's decision on an AWS referral.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub acceptance_status: Field<AcceptanceStatus>,
    /// Why the partner rejected the referral.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub rejection_reason: Field<RejectionReason>,
}

/// The AWS side of a deal, read-only for the partner.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AwsView {
    /// AWS's stage (its own vocabulary).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub stage: Field<String>,
    /// AWS's close date.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub close_date: Field<NaiveDate>,
    /// AWS's closed-lost reason.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub closed_lost_reason: Field<String>,
    /// Next steps recorded by AWS.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub next_steps: Field<String>,
    /// AWS Marketplace engagement score.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub engagement_score: Field<EngagementScore>,
    /// AWS's recommended next actions.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub next_best_actions: Field<String>,
    /// AWS account manager.
    pub account_owner: Person,
    /// AWS sales rep.
    pub sales_rep: Person,
    /// AWS ISV success manager.
    pub isv_success_manager: Person,
    /// AWS partner success manager.
    pub partner_success_manager: Person,
    /// Partner development manager.
    pub partner_development_manager: Person,
    /// WWPS partner development manager.
    pub wwps_partner_development_manager: Person,
    /// AWS's AI opportunity-quality score, 0–100.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub quality_score: Field<u32>,
    /// Its trend.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub quality_trend: Field<String>,
    /// AWS's AI recommendations (up to 5).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub recommendations: Field<Vec<Recommendation>>,
    /// The co-sell motion (e.g. AWS Field-engaged, Agent-engaged, Partner-led).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub cosell_motion: Field<String>,
    /// AWS's spend insights by source.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub spend_insights: Field<Vec<SpendInsight>>,
    /// AWS's next-steps log.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub next_steps_history: Field<Vec<NextStep>>,
    /// The AWS partition AWS's side is in.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub aws_partition: Field<String>,
    /// AWS's involvement (`Co-Sell`, `For Visibility Only`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub involvement_type: Field<String>,
    /// Who sees AWS's involvement (`Full`, `Limited`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub visibility: Field<String>,
    /// Why AWS's involvement changed.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub involvement_type_change_reason: Field<String>,
}

/// Software revenue (SaaS revenue recognition programs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SoftwareRevenue {
    /// Procurement type.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub model: Field<RevenueModel>,
    /// Contract value.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub value: Field<Decimal>,
    /// Currency of the value.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub currency: Field<String>,
    /// Contract start.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub effective_date: Field<NaiveDate>,
    /// Contract end.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub expiration_date: Field<NaiveDate>,
}

/// Who changed the record, and when.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Audit {
    /// Creator.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub created_by: Field<String>,
    /// Creation time.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub created_at: Field<DateTime<Utc>>,
    /// Last modifier.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub last_modified_by: Field<String>,
    /// Last modification time, as AWS reports it: the ordering key of the sync ledger.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub last_modified_at: Field<DateTime<Utc>>,
}

/// A co-sell opportunity.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Opportunity {
    /// Partner Central catalog, when the source says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Catalog>,
    /// AWS's id (`O…`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<OpportunityId>,
    /// The partner's CRM id.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub crm_id: Field<CrmId>,
    /// AWS referral or partner referral.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub origin: Field<Origin>,
    /// Net new, expansion, flat renewal.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub opportunity_type: Field<OpportunityType>,
    /// Parent opportunity of a renewal (`O…`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub parent_opportunity_id: Field<String>,
    /// Classified national-security information.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub national_security: Field<YesNo>,
    /// What the partner needs from AWS.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub primary_needs: Field<Vec<PrimaryNeed>>,
    /// Why the partner moved to co-sell.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub cosell_convert_reason: Field<CosellConvertReason>,
    /// End customer.
    pub customer: Customer,
    /// Project.
    pub project: Project,
    /// Marketing attribution.
    pub marketing: Marketing,
    /// Stage, review, acceptance.
    pub life_cycle: LifeCycle,
    /// AWS's view (read-only).
    pub aws: AwsView,
    /// The partner's sales team on the deal.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub partner_team: Field<Vec<Contact>>,
    /// The Partner Central user who owns the opportunity.
    pub owner: Person,
    /// Software revenue.
    pub software_revenue: SoftwareRevenue,
    /// Partner solutions (`S-…`, or `Other`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub solutions: Field<Vec<String>>,
    /// AWS product codes.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub aws_products: Field<Vec<String>>,
    /// AWS Marketplace offers.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub marketplace_offers: Field<Vec<String>>,
    /// AWS Marketplace offer sets (ARNs).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub marketplace_offer_sets: Field<Vec<String>>,
    /// AWS Marketplace solutions (ARNs).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub marketplace_solutions: Field<Vec<String>>,
    /// AWS Marketplace products (ARNs).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub marketplace_products: Field<Vec<String>>,
    /// Tags (set on create only: UpdateOpportunity takes none).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub tags: Field<Vec<Tag>>,
    /// The ACE lead this opportunity converts.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub lead_id: Field<String>,
    /// AWS's notes on payload-version translations.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub backwards_compatibility_changes: Field<String>,
    /// Who changed it and when.
    pub audit: Audit,
    /// Fields of the source format acebridge does not model, verbatim under their wire names, so that
    /// nothing is lost (legacy v1 fields, fields AWS adds later).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

impl Opportunity {
    /// The version key the sync ledger orders updates by: AWS's last-modified time.
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        self.audit.last_modified_at.value().copied()
    }

    /// True for a new AWS referral: AWS's id set, no CRM id yet.
    pub fn is_new_aws_referral(&self) -> bool {
        self.id.value().is_some() && self.crm_id.value().is_none()
    }
}

/// An ACE lead (AWS → partner only).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Lead {
    /// AWS's lead id (`L…`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub id: Field<LeadId>,
    /// The partner's CRM id for the lead.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub crm_id: Field<CrmId>,
    /// Lifecycle status.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub status: Field<LeadStatus>,
    /// Accepted / rejected by the partner.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub stage: Field<LeadStage>,
    /// Details of the partner's engagement.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub status_reason: Field<String>,
    /// The customer contact (first/last names are inbound-only; full name outbound-only).
    pub contact: Contact,
    /// Full name (outbound).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub full_name: Field<String>,
    /// Customer company.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub company: Field<String>,
    /// Website.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub website: Field<String>,
    /// Address.
    pub address: Address,
    /// Industry (the lead vocabulary).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub industry: Field<String>,
    /// Company size segment.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub segment_company_size: Field<String>,
    /// Use case workloads.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub use_case_workloads: Field<Vec<String>>,
    /// Description of the customer need.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Owner in the partner organisation.
    pub owner: Person,
    /// Lead source.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source: Field<String>,
    /// Age in days.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub age_days: Field<Decimal>,
    /// Customer's maturity on AWS.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub aws_usage_level: Field<String>,
    /// Campaign.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub campaign_name: Field<String>,
    /// Campaign member status.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub campaign_member_status: Field<String>,
    /// Who changed it and when.
    pub audit: Audit,
    /// A lead AWS sent over the Selling API: its engagement, context and lead-only members.
    #[serde(skip_serializing_if = "LeadEngagement::is_empty")]
    pub engagement: LeadEngagement,
    /// Unmodelled fields, verbatim.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

/// One interaction of a lead (AWS's `LeadInteraction`): how the customer showed interest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadInteraction {
    /// Source type (e.g. `Campaign`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source_type: Field<String>,
    /// Source id (e.g. the campaign's).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source_id: Field<String>,
    /// Source name.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub source_name: Field<String>,
    /// Use case (`Usecase`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub usecase: Field<String>,
    /// When it happened.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub date: Field<DateTime<Utc>>,
    /// What the customer did (e.g. `Completed Form`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub customer_action: Field<String>,
    /// The customer's business problem.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub business_problem: Field<String>,
    /// The customer's contact (a lead invitation carries only the business title).
    pub contact: Contact,
}

/// What a lead over the Selling API has beyond the S3 lead: the engagement it lives in (AWS's
/// `LeadContext`), or the invitation that offers it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadEngagement {
    /// The engagement (`eng-…`): AWS's id of an API lead.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub engagement_id: Field<EngagementId>,
    /// The lead context's id within the engagement (AWS's sample: `"1"`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub context_id: Field<String>,
    /// The invitation that offered it (`engi-…`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub invitation_id: Field<InvitationId>,
    /// The engagement's title.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// `QualificationStatus` (free text in AWS's model, 1–255 characters).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub qualification_status: Field<String>,
    /// `Customer.MarketSegment`.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub market_segment: Field<String>,
    /// AWS's AI lead-readiness score (`Insights.LeadReadinessScore`; read-only).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub readiness_score: Field<String>,
    /// The interactions, oldest first (AWS keeps 1–10).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub interactions: Field<Vec<LeadInteraction>>,
    /// The opportunity the lead was converted to (`O…`).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub opportunity_id: Field<OpportunityId>,
}

impl LeadEngagement {
    /// True for an S3 lead (nothing of the API set).
    pub fn is_empty(&self) -> bool {
        *self == LeadEngagement::default()
    }
}

impl Lead {
    /// AWS's id of the lead: the S3 lead id, or the engagement of an API lead.
    pub fn ace_id(&self) -> Option<&str> {
        self.id
            .value()
            .map(|i| i.as_str())
            .or_else(|| self.engagement.engagement_id.value().map(|e| e.as_str()))
    }

    /// The version key the sync ledger orders updates by: AWS's last-modified time.
    pub fn last_modified(&self) -> Option<DateTime<Utc>> {
        self.audit.last_modified_at.value().copied()
    }
}

/// Project details carried by an opportunity invitation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationProject {
    /// Title; matches the opportunity title created on acceptance.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// Business problem.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub business_problem: Field<String>,
    /// Target completion date.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub target_completion_date: Field<String>,
    /// Expected spend.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub expected_spend: Field<Vec<Spend>>,
}

/// Customer summary carried by an opportunity invitation (details are withheld until acceptance).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationCustomer {
    /// Company name.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub company_name: Field<String>,
    /// Website.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub website: Field<String>,
    /// Industry.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub industry: Field<Industry>,
    /// Country.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub country: Field<Country>,
}

/// An engagement invitation: how AWS refers an opportunity (or lead) over the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    /// Catalog.
    pub catalog: Catalog,
    /// Invitation id (`engi-…`).
    pub id: InvitationId,
    /// ARN.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub arn: Field<String>,
    /// Engagement id (`eng-…`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub engagement_id: Field<EngagementId>,
    /// Engagement title.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub engagement_title: Field<String>,
    /// Status.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<InvitationStatus>,
    /// Opportunity or lead invitation.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub payload_type: Field<InvitationPayloadType>,
    /// When it was sent.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub invited_at: Field<DateTime<Utc>>,
    /// When it expires (15 days after sending): the acceptance deadline.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub expires_at: Field<DateTime<Utc>>,
    /// Sender's AWS account.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub sender_account_id: Field<String>,
    /// Sender's company.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub sender_company_name: Field<String>,
    /// Message to the receiver.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message: Field<String>,
    /// Rejection reason, once rejected.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub rejection_reason: Field<String>,
    /// Project summary.
    #[serde(default)]
    pub project: InvitationProject,
    /// Customer summary.
    #[serde(default)]
    pub customer: InvitationCustomer,
    /// Sender contacts.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub sender_contacts: Field<Vec<Contact>>,
    /// What the receiver is expected to do.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub receiver_responsibilities: Field<Vec<String>>,
    /// A lead invitation's own members (`Payload.LeadInvitation`); `None` for an opportunity invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<InvitationLead>,
    /// The engagement's description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub engagement_description: Field<String>,
    /// AWS's enrichment of the invitation (`EnrichmentContext`, 2026-08): prospecting data on the
    /// customer and AWS's insights; read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment: Option<InvitationEnrichment>,
}

/// `EnrichmentContext` of an engagement invitation: AWS's prospecting result and insights.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationEnrichment {
    /// The customer's account name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    /// Geography, region, sub-region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Sub-region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_region: Option<String>,
    /// Country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Industry and sub-industry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// Sub-industry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_industry: Option<String>,
    /// Segment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// Company size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_size: Option<String>,
    /// AWS programs the customer is eligible for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub eligible_programs: Vec<String>,
    /// A summary of the customer's public profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_profile_summary: Option<String>,
    /// AWS Marketplace engagement score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketplace_engagement_score: Option<String>,
    /// Solution score, category and sub-category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_score: Option<String>,
    /// Solution category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_category: Option<String>,
    /// Solution sub-category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_sub_category: Option<String>,
    /// A lead's readiness score, when the invitation is a lead's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lead_readiness_score: Option<String>,
}

/// What a lead invitation says of the lead before it is accepted (AWS's `LeadInvitationCustomer` and
/// `LeadInvitationInteraction`, beyond the company name, website and country the invitation's
/// `customer` holds).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InvitationLead {
    /// Industry (free text for leads).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub industry: Field<String>,
    /// The customer's AWS maturity.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub aws_maturity: Field<String>,
    /// Market segment.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub market_segment: Field<String>,
    /// How the customer showed interest (the contact carries only a business title).
    pub interaction: LeadInteraction,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_parses_and_classifies() {
        assert!(Decimal::parse("12500").unwrap().is_integer());
        assert!(Decimal::parse("10000.0").unwrap().is_integer());
        assert!(!Decimal::parse("1.5").unwrap().is_integer());
        assert!(!Decimal::parse("0").unwrap().is_positive());
        assert!(!Decimal::parse("-3").unwrap().is_positive());
        assert!(Decimal::parse("0.01").unwrap().is_positive());
        assert!(Decimal::parse("1.").is_err() && Decimal::parse("abc").is_err());
        assert_eq!(Decimal::from_f64(100.0).unwrap().as_str(), "100");
        assert_eq!(Decimal::from_f64(100.0).unwrap().to_f64(), 100.0);
    }

    #[test]
    fn json_exponent_numbers_become_plain_decimal_text() {
        let plain = |t: &str| Decimal::from_json_number(t).map(|d| d.as_str().to_string());
        assert_eq!(plain("1e38").unwrap(), format!("1{}", "0".repeat(38)));
        assert_eq!(plain("1.25E+3").unwrap(), "1250");
        assert_eq!(plain("-2.5e-3").unwrap(), "-0.0025");
        assert_eq!(plain("12.5e1").unwrap(), "125");
        assert_eq!(plain("100.0").unwrap(), "100.0");
        assert_eq!(plain("0e5").unwrap(), "0");
        assert!(plain("1e65").is_err() && plain("1e").is_err() && plain("e5").is_err());
        assert!(plain("1e99999999999999999999").is_err());
    }

    #[test]
    fn countries_translate() {
        let c = Country::from_ace("United States");
        assert!(c.is_us());
        assert_eq!(c.as_api(), "US");
        assert_eq!(Country::from_api("DE").as_ace(), "Germany");
        assert_eq!(Country::from_ace("AD").as_ace(), "Andorra");
        let u = Country::from_ace("Narnia");
        assert_eq!(u.as_api(), "Narnia");
    }

    #[test]
    fn canonical_json_round_trips_with_masks() {
        let mut o = Opportunity::default();
        o.customer.contacts = Field::Value(vec![Contact {
            email: Field::Masked,
            ..Contact::default()
        }]);
        o.project.title = Field::Value("t".into());
        let s = serde_json::to_string(&o).unwrap();
        let back: Opportunity = serde_json::from_str(&s).unwrap();
        assert_eq!(back, o);
    }
}
