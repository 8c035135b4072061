//! Canonical field paths (`project.title`, `customer.contacts[0].email`) and reading/writing them in a
//! record's canonical JSON.

use acebridge_mapping::{Invitation, Lead, Opportunity, validate};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The record kinds a mapping configuration covers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An ACE opportunity.
    Opportunity,
    /// An ACE lead.
    Lead,
    /// An AWS referral waiting for the partner's decision (a Partner Central engagement invitation).
    Referral,
}

impl Kind {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Opportunity => "opportunity",
            Kind::Lead => "lead",
            Kind::Referral => "referral",
        }
    }

    /// Every canonical path a mapping may name for this kind.
    pub fn paths(self) -> &'static [&'static str] {
        match self {
            Kind::Opportunity => OPPORTUNITY_PATHS,
            Kind::Lead => LEAD_PATHS,
            Kind::Referral => REFERRAL_PATHS,
        }
    }

    /// True when `value` is an acceptable value of the field at `path`: the path set to it in an
    /// otherwise empty record reads as the canonical model.
    pub fn accepts(self, path: &str, value: &Value) -> bool {
        let mut probe = Value::Object(Map::new());
        if set(&mut probe, path, value.clone()).is_err() {
            return false;
        }
        // A spend needs its other members to read at all; they are not what is being probed.
        if path.starts_with("project.expected_spend[")
            && let Some(Value::Object(spend)) = get_mut(&mut probe, "project.expected_spend[0]")
        {
            for (k, v) in [
                ("amount", "1"),
                ("currency", "USD"),
                ("frequency", "Monthly"),
                ("target_company", "AWS"),
            ] {
                spend.entry(k).or_insert_with(|| Value::String(v.into()));
            }
        }
        // Vocabulary fields read any string (an unknown value is kept verbatim); the validator tells
        // a standard value from another one.
        let not_standard = |errors: Vec<validate::ValidationError>| {
            errors
                .iter()
                .any(|e| e.code == validate::Code::InvalidEnumValue)
        };
        match self {
            Kind::Opportunity => Opportunity::deserialize(&probe).is_ok_and(|o| {
                let cx = validate::Context {
                    today: chrono::NaiveDate::MIN,
                    intent: validate::Intent::Create,
                    current: None,
                    consulting_partner: false,
                };
                !not_standard(validate::opportunity(&o, validate::Format::Api, &cx))
            }),
            Kind::Lead => {
                Lead::deserialize(&probe).is_ok_and(|l| !not_standard(validate::lead(&l)))
            }
            Kind::Referral => {
                // An invitation needs its catalog and id to read at all.
                if let Value::Object(m) = &mut probe {
                    m.entry("catalog")
                        .or_insert_with(|| Value::String("Sandbox".into()));
                    if path != "id" {
                        m.insert("id".into(), Value::String("engi-v7p8z56whnauo".into()));
                    }
                }
                Invitation::deserialize(&probe).is_ok_and(|i| {
                    i.customer.industry.value().is_none_or(|v| v.is_known())
                        && i.status.value().is_none_or(|v| v.is_known())
                })
            }
        }
    }
}

/// Canonical opportunity fields a CRM can map (see `docs/mapping.md`).
pub const OPPORTUNITY_PATHS: &[&str] = &[
    "id",
    "crm_id",
    "origin",
    "opportunity_type",
    "parent_opportunity_id",
    "national_security",
    "primary_needs",
    "cosell_convert_reason",
    "customer.company_name",
    "customer.website",
    "customer.industry",
    "customer.other_industry",
    "customer.duns",
    "customer.aws_account_id",
    "customer.address.street",
    "customer.address.city",
    "customer.address.state",
    "customer.address.postal_code",
    "customer.address.country.code",
    "customer.contacts[0].first_name",
    "customer.contacts[0].last_name",
    "customer.contacts[0].email",
    "customer.contacts[0].phone",
    "customer.contacts[0].title",
    "project.title",
    "project.business_problem",
    "project.use_case",
    "project.delivery_models",
    "project.sales_activities",
    "project.expected_spend[0].amount",
    "project.expected_spend[0].currency",
    "project.expected_spend[0].frequency",
    "project.expected_spend[0].target_company",
    "project.apn_programs",
    "project.competitor",
    "project.other_competitors",
    "project.other_solution",
    "project.additional_comments",
    "marketing.source",
    "marketing.funding_used",
    "marketing.campaign_name",
    "marketing.channels",
    "marketing.use_cases",
    "life_cycle.stage",
    "life_cycle.review_status",
    "life_cycle.review_status_reason",
    "life_cycle.review_comments",
    "life_cycle.closed_lost_reason",
    "life_cycle.next_steps",
    "life_cycle.target_close_date",
    "life_cycle.accept_by",
    "aws.stage",
    "aws.close_date",
    "aws.engagement_score",
    "aws.quality_score",
    "aws.quality_trend",
    "aws.cosell_motion",
    "aws.involvement_type",
    "aws.visibility",
    "aws.involvement_type_change_reason",
    "aws.aws_partition",
    "aws.recommendations[0].kind",
    "aws.recommendations[0].details",
    "project.expected_contract_duration_months",
    "project.aws_partition",
    "marketplace_offer_sets",
    "marketplace_solutions",
    "marketplace_products",
    "aws.next_steps",
    "aws.account_owner.name",
    "aws.account_owner.email",
    "aws.sales_rep.name",
    "aws.sales_rep.email",
    "aws.partner_success_manager.name",
    "aws.partner_success_manager.email",
    "owner.name",
    "owner.email",
    "solutions",
    "aws_products",
    "marketplace_offers",
    "audit.last_modified_at",
];

/// Canonical lead fields a CRM can map.
pub const LEAD_PATHS: &[&str] = &[
    "id",
    "crm_id",
    "status",
    "stage",
    "status_reason",
    "contact.first_name",
    "contact.last_name",
    "contact.email",
    "contact.phone",
    "contact.title",
    "full_name",
    "company",
    "website",
    "address.street",
    "address.city",
    "address.state",
    "address.postal_code",
    "address.country.code",
    "industry",
    "segment_company_size",
    "use_case_workloads",
    "description",
    "owner.name",
    "owner.email",
    "source",
    "aws_usage_level",
    "campaign_name",
    "audit.last_modified_at",
    // A lead over the Selling API (its engagement's Lead context).
    "engagement.engagement_id",
    "engagement.invitation_id",
    "engagement.title",
    "engagement.qualification_status",
    "engagement.market_segment",
    "engagement.readiness_score",
    "engagement.opportunity_id",
    "engagement.interactions[0].source_type",
    "engagement.interactions[0].source_id",
    "engagement.interactions[0].source_name",
    "engagement.interactions[0].usecase",
    "engagement.interactions[0].date",
    "engagement.interactions[0].customer_action",
    "engagement.interactions[0].business_problem",
];

/// Canonical referral (engagement invitation) fields a CRM can receive.
pub const REFERRAL_PATHS: &[&str] = &[
    "id",
    "engagement_title",
    "status",
    "payload_type",
    "invited_at",
    "expires_at",
    "sender_company_name",
    "message",
    "rejection_reason",
    "project.title",
    "project.business_problem",
    "project.target_completion_date",
    "customer.company_name",
    "customer.website",
    "customer.industry",
    "customer.country.code",
    // A lead invitation's own members.
    "lead.industry",
    "lead.aws_maturity",
    "lead.market_segment",
    "lead.interaction.source_type",
    "lead.interaction.source_id",
    "lead.interaction.source_name",
    "lead.interaction.usecase",
    "lead.interaction.contact.title",
    "engagement_description",
    // AWS's enrichment of the invitation (EnrichmentContext).
    "enrichment.account_name",
    "enrichment.segment",
    "enrichment.company_size",
    "enrichment.industry",
    "enrichment.country",
    "enrichment.public_profile_summary",
    "enrichment.marketplace_engagement_score",
    "enrichment.solution_score",
    "enrichment.lead_readiness_score",
];

/// Pseudo-fields outside the canonical record that a CRM can receive (AWS → CRM only): AWS's answer
/// to the last change the partner sent.
pub const SYNC_PATHS: &[&str] = &["sync.status", "sync.message"];

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn steps(path: &str) -> Result<Vec<Step<'_>>, String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() {
            return Err(format!("`{path}`: empty name"));
        }
        out.push(Step::Key(key));
        let mut rest = rest;
        while let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return Err(format!("`{path}`: `[` without `]`"));
            };
            let i = r[..end]
                .parse()
                .map_err(|_| format!("`{path}`: `{}` is not an index", &r[..end]))?;
            out.push(Step::Index(i));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("`{path}`: unexpected `{rest}`"));
        }
    }
    Ok(out)
}

/// The value at `path`, if there is one.
pub fn get<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    let mut at = root;
    for step in steps(path).ok()? {
        at = match step {
            Step::Key(k) => at.as_object()?.get(k)?,
            Step::Index(i) => at.as_array()?.get(i)?,
        };
    }
    Some(at)
}

fn get_mut<'v>(root: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut at = root;
    for step in steps(path).ok()? {
        at = match step {
            Step::Key(k) => at.as_object_mut()?.get_mut(k)?,
            Step::Index(i) => at.as_array_mut()?.get_mut(i)?,
        };
    }
    Some(at)
}

/// Sets `path` to `value`, creating objects and list elements on the way.
pub fn set(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let steps = steps(path)?;
    let mut at = root;
    for (n, step) in steps.iter().enumerate() {
        let next_is_index = matches!(steps.get(n + 1), Some(Step::Index(_)));
        let fresh = || {
            if next_is_index {
                Value::Array(Vec::new())
            } else {
                Value::Object(Map::new())
            }
        };
        let last = n + 1 == steps.len();
        match step {
            Step::Key(k) => {
                if !at.is_object() {
                    *at = Value::Object(Map::new());
                }
                let Value::Object(map) = at else {
                    return Err(format!("`{path}`: not an object"));
                };
                if last {
                    map.insert((*k).to_string(), value);
                    return Ok(());
                }
                let slot = map.entry((*k).to_string()).or_insert_with(fresh);
                if slot.is_null() {
                    *slot = fresh();
                }
                at = slot;
            }
            Step::Index(i) => {
                if !at.is_array() {
                    *at = Value::Array(Vec::new());
                }
                let Value::Array(list) = at else {
                    return Err(format!("`{path}`: not a list"));
                };
                while list.len() <= *i {
                    list.push(if last { Value::Null } else { fresh() });
                }
                if last {
                    list[*i] = value;
                    return Ok(());
                }
                at = &mut list[*i];
            }
        }
    }
    Ok(())
}

/// True when the value is missing for AWS: absent, `null`, an empty string or list.
pub fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn get_and_set_walk_objects_and_lists() {
        let mut v = json!({});
        set(&mut v, "customer.contacts[0].email", json!("a@example.com")).expect("set");
        set(&mut v, "project.title", json!("T")).expect("set");
        assert_eq!(
            v,
            json!({"customer": {"contacts": [{"email": "a@example.com"}]}, "project": {"title": "T"}})
        );
        assert_eq!(
            get(&v, "customer.contacts[0].email"),
            Some(&json!("a@example.com"))
        );
        assert_eq!(get(&v, "customer.contacts[1].email"), None);
        assert!(steps("a[x]").is_err());
        assert!(steps("a..b").is_err());
    }

    /// Every listed path is a real field of the canonical model: a value set there survives a
    /// round trip through the typed record (a misspelt path would be dropped or rejected).
    #[test]
    fn every_listed_path_is_a_canonical_field() {
        for kind in [Kind::Opportunity, Kind::Lead, Kind::Referral] {
            for path in kind.paths() {
                let survives = [json!(null), json!("US"), json!("1")].into_iter().any(|v| {
                    let mut probe = json!({});
                    set(&mut probe, path, v).expect("set");
                    if path.starts_with("project.expected_spend[") {
                        probe = json!({"project": {"expected_spend": [
                            {"amount": "1", "currency": "USD", "frequency": "Monthly", "target_company": "AWS"}]}});
                    }
                    let back = match kind {
                        Kind::Opportunity => {
                            Opportunity::deserialize(&probe).map(serde_json::to_value)
                        }
                        Kind::Lead => Lead::deserialize(&probe).map(serde_json::to_value),
                        Kind::Referral => {
                            probe["catalog"] = json!("Sandbox");
                            probe["id"] = json!("engi-v7p8z56whnauo");
                            Invitation::deserialize(&probe).map(serde_json::to_value)
                        }
                    };
                    matches!(back, Ok(Ok(b)) if get(&b, path).is_some())
                });
                assert!(survives, "{kind:?} {path} is not a canonical field");
            }
        }
    }

    #[test]
    fn accepts_checks_values_against_the_model() {
        assert!(Kind::Opportunity.accepts("life_cycle.stage", &json!("Qualified")));
        assert!(!Kind::Opportunity.accepts("life_cycle.stage", &json!("Nope")));
        assert!(Kind::Opportunity.accepts("life_cycle.target_close_date", &json!("2026-01-31")));
        assert!(!Kind::Opportunity.accepts("life_cycle.target_close_date", &json!("soon")));
        assert!(Kind::Opportunity.accepts("project.expected_spend[0].amount", &json!("250.5")));
    }
}
