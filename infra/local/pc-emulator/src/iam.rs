//! IAM policy evaluation for the emulator: a caller's identity-based policies decide whether an
//! operation runs or is refused with `AccessDeniedException`, as AWS does. Partner Central's actions are
//! `partnercentral:<Operation>`; the context carries `partnercentral:Catalog` (the request's catalog),
//! the condition key AWS documents for scoping a role to `AWS` or `Sandbox`.
//!
//! The logic follows AWS's evaluation rules for identity-based policies: an explicit `Deny` wins, then
//! any `Allow` whose action, resource and every condition match, else the implicit deny. Conditions this
//! evaluator does not know never grant (an `Allow` with one does not apply) and always refuse (a `Deny`
//! with one applies): unknown means closed.

use serde_json::Value;
use std::collections::BTreeMap;

/// One statement of a policy document.
#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    /// `Action` patterns, or `NotAction` patterns when `not_action`.
    actions: Vec<String>,
    not_action: bool,
    /// `Resource` patterns, or `NotResource` patterns when `not_resource`.
    resources: Vec<String>,
    not_resource: bool,
    /// (operator, key, values).
    conditions: Vec<(String, String, Vec<String>)>,
}

/// An identity's policies (one or more documents).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policies {
    statements: Vec<Statement>,
}

/// What the policies decide for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// An `Allow` matched and no `Deny` did.
    Allow,
    /// Nothing allowed it.
    ImplicitDeny,
    /// A `Deny` matched.
    ExplicitDeny,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

impl Policies {
    /// Parses policy documents (`{"Version", "Statement": [...]}` each, or a single statement object).
    pub fn parse(documents: &[Value]) -> Result<Policies, String> {
        let mut statements = Vec::new();
        for (d, doc) in documents.iter().enumerate() {
            let list = match &doc["Statement"] {
                Value::Array(a) => a.clone(),
                Value::Object(_) => vec![doc["Statement"].clone()],
                _ => return Err(format!("policy {d}: no Statement")),
            };
            for (i, s) in list.iter().enumerate() {
                let allow = match s["Effect"].as_str() {
                    Some("Allow") => true,
                    Some("Deny") => false,
                    other => return Err(format!("policy {d} statement {i}: Effect {other:?}")),
                };
                let (actions, not_action) = match (s.get("Action"), s.get("NotAction")) {
                    (Some(a), None) => (strings(a), false),
                    (None, Some(a)) => (strings(a), true),
                    _ => {
                        return Err(format!(
                            "policy {d} statement {i}: needs Action or NotAction"
                        ));
                    }
                };
                let (resources, not_resource) = match (s.get("Resource"), s.get("NotResource")) {
                    (Some(r), None) => (strings(r), false),
                    (None, Some(r)) => (strings(r), true),
                    _ => {
                        return Err(format!(
                            "policy {d} statement {i}: needs Resource or NotResource"
                        ));
                    }
                };
                let mut conditions = Vec::new();
                for (op, block) in s["Condition"].as_object().into_iter().flatten() {
                    for (key, values) in block.as_object().into_iter().flatten() {
                        conditions.push((op.clone(), key.clone(), strings(values)));
                    }
                }
                statements.push(Statement {
                    allow,
                    actions,
                    not_action,
                    resources,
                    not_resource,
                    conditions,
                });
            }
        }
        Ok(Policies { statements })
    }

    /// Decides `action` on `resource` with the request's condition `context`.
    pub fn decide(
        &self,
        action: &str,
        resource: &str,
        context: &BTreeMap<String, String>,
    ) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            let action_hit = s
                .actions
                .iter()
                .any(|p| wildcard(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()));
            let resource_hit = s.resources.iter().any(|p| wildcard(p, resource));
            if action_hit == s.not_action || resource_hit == s.not_resource {
                continue;
            }
            let conditions = s
                .conditions
                .iter()
                .map(|(op, key, values)| condition(op, key, values, context));
            if s.allow {
                if conditions.into_iter().all(|c| c == Some(true)) {
                    allowed = true;
                }
            } else if conditions.into_iter().all(|c| c != Some(false)) {
                return Decision::ExplicitDeny;
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        }
    }
}

/// One condition: `Some(true)` met, `Some(false)` not met, `None` an operator this evaluator does not know.
fn condition(
    op: &str,
    key: &str,
    values: &[String],
    context: &BTreeMap<String, String>,
) -> Option<bool> {
    let op = op
        .strip_prefix("ForAnyValue:")
        .or_else(|| op.strip_prefix("ForAllValues:"))
        .unwrap_or(op);
    let (op, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    // Condition keys are case-insensitive in IAM.
    let present = context
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str());
    let negated = matches!(
        op,
        "StringNotEquals" | "StringNotLike" | "StringNotEqualsIgnoreCase"
    );
    let Some(actual) = present else {
        if op == "Null" {
            return Some(values.iter().any(|v| v == "true"));
        }
        // A missing key: met only by IfExists and the negated string operators.
        return Some(if_exists || negated);
    };
    let hit = |f: &dyn Fn(&str) -> bool| values.iter().any(|v| f(v));
    Some(match op {
        "StringEquals" => hit(&|v| v == actual),
        "StringNotEquals" => !hit(&|v| v == actual),
        "StringEqualsIgnoreCase" => hit(&|v| v.eq_ignore_ascii_case(actual)),
        "StringNotEqualsIgnoreCase" => !hit(&|v| v.eq_ignore_ascii_case(actual)),
        "StringLike" => hit(&|v| wildcard(v, actual)),
        "StringNotLike" => !hit(&|v| wildcard(v, actual)),
        "Null" => values.iter().any(|v| v == "false"),
        _ => return None,
    })
}

/// IAM's wildcards: `*` any run of characters, `?` any one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ctx(catalog: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("partnercentral:Catalog".to_string(), catalog.to_string())])
    }

    #[test]
    fn an_allow_scoped_to_a_catalog_refuses_the_other_catalog() {
        let p = Policies::parse(&[json!({"Statement": [{"Effect": "Allow",
            "Action": ["partnercentral:Get*"], "Resource": "*",
            "Condition": {"StringEquals": {"partnercentral:Catalog": "Sandbox"}}}]})])
        .unwrap();
        let r = "arn:aws:partnercentral:us-east-1:1:catalog/Sandbox/opportunity/O1";
        assert_eq!(
            p.decide("partnercentral:GetOpportunity", r, &ctx("Sandbox")),
            Decision::Allow
        );
        assert_eq!(
            p.decide("partnercentral:GetOpportunity", r, &ctx("AWS")),
            Decision::ImplicitDeny
        );
        assert_eq!(
            p.decide("partnercentral:UpdateOpportunity", r, &ctx("Sandbox")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn an_explicit_deny_wins_and_unknown_operators_stay_closed() {
        let p = Policies::parse(&[json!({"Statement": [
            {"Effect": "Allow", "Action": "partnercentral:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "partnercentral:RejectEngagementInvitation", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}}]})])
        .unwrap();
        assert_eq!(
            p.decide(
                "partnercentral:RejectEngagementInvitation",
                "x",
                &ctx("AWS")
            ),
            Decision::ExplicitDeny
        );
        assert_eq!(
            p.decide("s3:GetObject", "x", &ctx("AWS")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("*", ""));
    }
}
