//! The invitation policy: what acebridge does with an AWS referral (an engagement invitation) the moment
//! it arrives. `manual` (the default) waits for a decision in the CRM; `accept` and `reject` decide
//! every invitation; `rules` decide by country, industry, expected spend and title keywords, and leave
//! the rest to the CRM.
//!
//! Configured with `INVITATION_POLICY` (`manual` | `accept` | `reject:<reason>` | `rules`) and, for
//! rules, `INVITATION_RULES`: a JSON list, first match wins:
//! `[{"when": {"countries": ["US"], "industries": ["Software and Internet"], "min_monthly_spend": 1000,
//!    "title_keywords": ["migration"]}, "then": "accept"},
//!   {"when": {"countries": ["AQ"]}, "then": "reject", "reason": "Unable to support"}]`

use acebridge_mapping::Invitation;
use serde::Deserialize;

/// Rejection reasons AWS's documentation gives as examples. The service model makes
/// `RejectEngagementInvitation.RejectionReason` free text (`RejectionReasonString`: 1–80 printable
/// characters, pattern `[\u0020-\u007E\u00A0-\uD7FF\uE000-\uFFFD]{1,80}`), so any such text is sent as it is.
pub const SUGGESTED_REJECTION_REASONS: [&str; 5] = [
    "Customer problem unclear",
    "Next steps unclear",
    "Unable to support",
    "Duplicate of partner referral",
    "Other",
];

/// A rejection reason the service accepts (the model's `RejectionReasonString`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionReason(String);

impl RejectionReason {
    /// Parses free text of 1–80 characters from the model's ranges (printable ASCII and the
    /// non-control Unicode planes): what AWS would refuse is refused here, before a write is spent.
    pub fn parse(s: &str) -> Result<Self, PolicyError> {
        let n = s.chars().count();
        let printable = |c: char| matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}');
        if (1..=80).contains(&n) && s.chars().all(printable) {
            Ok(RejectionReason(s.to_string()))
        } else {
            Err(PolicyError(format!(
                "rejection reason must be 1 to 80 printable characters (AWS's RejectionReasonString), got {n}{}; for example: {}",
                if s.chars().all(printable) {
                    ""
                } else {
                    " with a control character"
                },
                SUGGESTED_REJECTION_REASONS.join(", ")
            )))
        }
    }

    /// As the API spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A policy that cannot be used, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invitation policy: {0}")]
pub struct PolicyError(String);

/// What to do with an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Leave it to the CRM.
    Wait,
    /// Accept it (the opportunity is created by Partner Central).
    Accept {
        /// Why (rule number or policy).
        why: String,
    },
    /// Reject it.
    Reject {
        /// The reason sent to AWS.
        reason: RejectionReason,
        /// Why (rule number or policy).
        why: String,
    },
}

impl Decision {
    /// `wait`, `accept` or `reject`.
    pub fn name(&self) -> &'static str {
        match self {
            Decision::Wait => "wait",
            Decision::Accept { .. } => "accept",
            Decision::Reject { .. } => "reject",
        }
    }

    /// Why, for the CRM and the logs.
    pub fn why(&self) -> String {
        match self {
            Decision::Wait => "left to the CRM".to_string(),
            Decision::Accept { why } => why.clone(),
            Decision::Reject { reason, why } => format!("{why}: {}", reason.as_str()),
        }
    }
}

/// Conditions of a rule; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// ISO country codes of the customer.
    #[serde(default)]
    pub countries: Vec<String>,
    /// Industries, as the API spells them.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Minimum expected monthly spend (USD), summed over the invitation's spend lines.
    pub min_monthly_spend: Option<f64>,
    /// Lead invitations: the customer's market segment (e.g. `Enterprise`).
    #[serde(default)]
    pub market_segments: Vec<String>,
    /// Any of these words in the project title (case-insensitive).
    #[serde(default)]
    pub title_keywords: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    when: When,
    then: String,
    reason: Option<String>,
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Conditions.
    pub when: When,
    /// `None`: accept; `Some(reason)`: reject.
    pub reject: Option<RejectionReason>,
}

/// The policy.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum InvitationPolicy {
    /// Wait for the CRM.
    #[default]
    Manual,
    /// Accept all.
    Accept,
    /// Reject all, with this reason.
    Reject(RejectionReason),
    /// First matching rule decides; no match waits for the CRM.
    Rules(Vec<Rule>),
}

impl InvitationPolicy {
    /// Parses `INVITATION_POLICY` and `INVITATION_RULES`.
    pub fn parse(mode: &str, rules: Option<&str>) -> Result<Self, PolicyError> {
        match mode.trim() {
            "" | "manual" => Ok(InvitationPolicy::Manual),
            "accept" => Ok(InvitationPolicy::Accept),
            "reject" => Err(PolicyError(
                "\"reject\" needs a reason: reject:<reason>".to_string(),
            )),
            m if m.starts_with("reject:") => Ok(InvitationPolicy::Reject(RejectionReason::parse(
                m.trim_start_matches("reject:").trim(),
            )?)),
            "rules" => {
                let text = rules.ok_or_else(|| {
                    PolicyError("\"rules\" needs INVITATION_RULES (a JSON list)".to_string())
                })?;
                let specs: Vec<RuleSpec> = serde_json::from_str(text)
                    .map_err(|e| PolicyError(format!("INVITATION_RULES: {e}")))?;
                specs
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let reject = match (r.then.as_str(), r.reason) {
                            ("accept", None) => None,
                            ("accept", Some(_)) => {
                                return Err(PolicyError(format!(
                                    "rule {i}: an accept takes no reason"
                                )));
                            }
                            ("reject", Some(reason)) => Some(
                                RejectionReason::parse(&reason)
                                    .map_err(|e| PolicyError(format!("rule {i}: {}", e.0)))?,
                            ),
                            ("reject", None) => {
                                return Err(PolicyError(format!(
                                    "rule {i}: a reject needs a reason"
                                )));
                            }
                            (other, _) => {
                                return Err(PolicyError(format!(
                                    "rule {i}: \"then\" must be accept or reject, not {other:?}"
                                )));
                            }
                        };
                        Ok(Rule {
                            when: r.when,
                            reject,
                        })
                    })
                    .collect::<Result<_, _>>()
                    .map(InvitationPolicy::Rules)
            }
            other => Err(PolicyError(format!(
                "unknown policy {other:?}: manual, accept, reject:<reason> or rules"
            ))),
        }
    }

    /// What to do with `invitation`.
    pub fn decide(&self, invitation: &Invitation) -> Decision {
        match self {
            InvitationPolicy::Manual => Decision::Wait,
            InvitationPolicy::Accept => Decision::Accept {
                why: "policy: accept".to_string(),
            },
            InvitationPolicy::Reject(reason) => Decision::Reject {
                reason: reason.clone(),
                why: "policy: reject".to_string(),
            },
            InvitationPolicy::Rules(rules) => rules
                .iter()
                .enumerate()
                .find(|(_, r)| r.when.matches(invitation))
                .map_or(Decision::Wait, |(i, r)| match &r.reject {
                    None => Decision::Accept {
                        why: format!("rule {i}"),
                    },
                    Some(reason) => Decision::Reject {
                        reason: reason.clone(),
                        why: format!("rule {i}"),
                    },
                }),
        }
    }
}

impl When {
    /// True when every condition given holds.
    pub fn matches(&self, i: &Invitation) -> bool {
        let country = i.customer.country.value().map(|c| c.as_api().to_string());
        let lead = i.lead.as_ref();
        let industry = i
            .customer
            .industry
            .value()
            .map(|c| c.as_api().to_string())
            .or_else(|| lead.and_then(|l| l.industry.value().cloned()));
        let segment = lead.and_then(|l| l.market_segment.value().cloned());
        let title = i
            .project
            .title
            .value()
            .or(i.engagement_title.value())
            .map(|t| t.to_lowercase())
            .unwrap_or_default();
        let spend: f64 = i
            .project
            .expected_spend
            .value()
            .map(|lines| {
                lines
                    .iter()
                    .filter(|s| s.frequency.eq_ignore_ascii_case("Monthly"))
                    .map(|s| s.amount.to_f64())
                    .sum()
            })
            .unwrap_or(0.0);
        (self.countries.is_empty() || country.is_some_and(|c| self.countries.contains(&c)))
            && (self.industries.is_empty()
                || industry.is_some_and(|c| self.industries.contains(&c)))
            && (self.market_segments.is_empty()
                || segment.is_some_and(|c| self.market_segments.contains(&c)))
            && self.min_monthly_spend.is_none_or(|m| spend >= m)
            && (self.title_keywords.is_empty()
                || self
                    .title_keywords
                    .iter()
                    .any(|k| title.contains(&k.to_lowercase())))
    }
}
