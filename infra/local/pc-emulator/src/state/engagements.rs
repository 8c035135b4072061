//! Engagements and leads, as AWS's developer guide ("Working with your leads") and AWS's sample of the
//! lead-to-opportunity flow (aws-samples/partner-crm-integration-samples,
//! `partner-central-api-sample-codes/python_preview/leadToOpportunity/`) describe them:
//!
//! - AWS invites the partner to a lead: `Engagement Invitation Created` with `payloadType: LeadInvitation`;
//!   the engagement already exists (created by AWS) with one context of type `Lead` (id `"1"`).
//! - The partner accepts with AcceptEngagementInvitation (synchronous, no task) and joins the engagement;
//!   from then on GetEngagement / ListEngagements show it.
//! - The partner qualifies the lead with UpdateEngagementContext, which takes the engagement's
//!   `ModifiedAt` as an optimistic lock (`EngagementLastModifiedAt`; a stale one is a ConflictException)
//!   and answers the new one. The payload's `Interaction` is added to the context's `Interactions`
//!   (1–10 in the model).
//! - StartOpportunityFromEngagementTask converts the lead: asynchronous; on completion an opportunity
//!   exists, the engagement has a second context (`CustomerProject`), and the task carries both ids.
//!   A lead whose `QualificationStatus` is `Disqualified` fails with `DisqualifiedLeadNotPermitted` (a
//!   reason code of the model; the rule is the emulator's reading of its name).
//! - AWS's own changes to a lead (its insights, an interaction) send `Engagement Updated`.
//!
//! Everything an operation answers is checked against the model's output shape by the server, as for
//! every other operation.

use super::{ApiError, Engagement, State, iso, page, text};
use crate::tasks::TaskKind;
use serde_json::{Value, json};

/// The id AWS gives the lead context of an engagement AWS created (AWS's sample shows `"1"`).
pub const LEAD_CONTEXT: &str = "1";

/// The types of an engagement's contexts (its events' and summaries' `ContextTypes`).
fn context_types(view: &Value) -> Vec<Value> {
    view["Contexts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["Type"].clone())
        .collect()
}

fn engagement_id(body: &Value, key: &str) -> Result<String, ApiError> {
    let id = text(body, key)?;
    Ok(id.rsplit('/').next().unwrap_or(id).to_string())
}

impl State {
    fn engagement_arn(&self, cat: &str, id: &str) -> String {
        format!("arn:aws:partnercentral:us-east-1::catalog/{cat}/engagement/{id}")
    }

    /// AWS creates the engagement of an invitation it sends: a lead's carries the `Lead` context
    /// (`lead`: a LeadContext), an opportunity's a `CustomerProject` context.
    pub(super) fn create_engagement(
        &mut self,
        cat: &str,
        id: &str,
        title: &Value,
        lead: Option<&Value>,
    ) -> Result<(), ApiError> {
        let now = iso(self.stamp());
        let context = match lead {
            Some(l) => json!({ "Id": LEAD_CONTEXT, "Type": "Lead", "Payload": { "Lead": l } }),
            None => json!({ "Id": LEAD_CONTEXT, "Type": "CustomerProject" }),
        };
        let view = json!({
            "Id": id, "Arn": self.engagement_arn(cat, id), "Title": title,
            "CreatedAt": now, "CreatedBy": "aws", "MemberCount": 1,
            "ModifiedAt": now, "ModifiedBy": "aws", "Contexts": [context],
        });
        self.conforms(&format!("engagement {id}"), "GetEngagementResponse", &view)?;
        self.engagements.insert(
            (cat.to_string(), id.to_string()),
            Engagement {
                view,
                member: false,
            },
        );
        Ok(())
    }

    fn member_engagement(&self, cat: &str, id: &str) -> Result<&Engagement, ApiError> {
        self.engagements
            .get(&(cat.to_string(), id.to_string()))
            .filter(|e| e.member)
            .ok_or_else(|| ApiError::not_found("Engagement", id))
    }

    /// `Engagement Updated`, with the detail AWS's developer guide shows.
    fn engagement_updated(&mut self, cat: &str, id: &str) {
        let Some(e) = self.engagements.get(&(cat.to_string(), id.to_string())) else {
            return;
        };
        let v = &e.view;
        let types = context_types(v);
        let detail = json!({ "engagement": { "engagementArn": v["Arn"], "engagementId": id,
            "LastModifiedAt": v["ModifiedAt"], "LastModifiedBy": v["ModifiedBy"], "ContextTypes": types } });
        let arn = v["Arn"].as_str().unwrap_or_default().to_string();
        self.emit("Engagement Updated", cat, vec![arn], detail);
    }

    fn touch_engagement(&mut self, cat: &str, id: &str, by: &str) -> String {
        let now = iso(self.stamp());
        if let Some(e) = self.engagements.get_mut(&(cat.to_string(), id.to_string())) {
            e.view["ModifiedAt"] = json!(now);
            e.view["ModifiedBy"] = json!(by);
        }
        now
    }

    /// AcceptEngagementInvitation: the partner joins the engagement of a pending invitation.
    pub(super) fn accept_invitation(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let id = engagement_id(body, "Identifier")?;
        let key = (cat.to_string(), id.clone());
        let inv = self
            .invitations
            .get(&key)
            .ok_or_else(|| ApiError::not_found("Engagement invitation", &id))?;
        if inv.view["Status"] != json!("PENDING") {
            return Err(ApiError::conflict(format!(
                "Engagement invitation {id} is {}",
                inv.view["Status"].as_str().unwrap_or("?")
            )));
        }
        let engagement = inv.view["EngagementId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(i) = self.invitations.get_mut(&key) {
            i.view["Status"] = json!("ACCEPTED");
        }
        let view = self.invitations.get(&key).map(|i| i.view.clone());
        let account = self.account.clone();
        if let Some(e) = self
            .engagements
            .get_mut(&(cat.to_string(), engagement.clone()))
        {
            e.member = true;
            e.view["MemberCount"] = json!(2);
        }
        self.touch_engagement(cat, &engagement, &account);
        if let Some(view) = view {
            self.invitation_event("Engagement Invitation Accepted", cat, &view);
        }
        let detail = json!({ "engagement": { "id": engagement }, "engagementMember": { "accountId": account, "companyName": "Partner" } });
        self.emit("Engagement Member Added", cat, vec![], detail);
        self.engagement_updated(cat, &engagement);
        Ok(json!({}))
    }

    /// GetEngagement (members only).
    pub(super) fn get_engagement(&self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let id = engagement_id(body, "Identifier")?;
        Ok(self.member_engagement(cat, &id)?.view.clone())
    }

    /// ListEngagements: the engagements this partner is a member of, filtered by context type, id and
    /// creator, sorted by `CreatedDate` (the model's only sort key; ascending unless told).
    pub(super) fn list_engagements(&self, cat: &str, body: &Value) -> Value {
        let list =
            |k: &str| -> Option<Vec<Value>> { body.get(k).and_then(Value::as_array).cloned() };
        let (want, skip) = (list("ContextTypes"), list("ExcludeContextTypes"));
        let (ids, creators, not_by) = (
            list("EngagementIdentifier"),
            list("CreatedBy"),
            list("ExcludeCreatedBy"),
        );
        let mut all: Vec<Value> = self
            .engagements
            .iter()
            .filter(|((c, _), e)| c == cat && e.member)
            .map(|(_, e)| {
                let v = &e.view;
                let types = context_types(v);
                json!({ "Arn": v["Arn"], "Id": v["Id"], "Title": v["Title"], "CreatedAt": v["CreatedAt"],
                    "CreatedBy": v["CreatedBy"], "MemberCount": v["MemberCount"], "ModifiedAt": v["ModifiedAt"],
                    "ModifiedBy": v["ModifiedBy"], "ContextTypes": types })
            })
            .filter(|s| {
                let types = s["ContextTypes"].as_array().cloned().unwrap_or_default();
                want.as_ref()
                    .is_none_or(|w| types.iter().any(|t| w.contains(t)))
                    && skip
                        .as_ref()
                        .is_none_or(|x| !types.iter().any(|t| x.contains(t)))
                    && ids.as_ref().is_none_or(|i| i.contains(&s["Id"]))
                    && creators.as_ref().is_none_or(|c| c.contains(&s["CreatedBy"]))
                    && not_by.as_ref().is_none_or(|c| !c.contains(&s["CreatedBy"]))
            })
            .collect();
        all.sort_by(|a, b| a["CreatedAt"].as_str().cmp(&b["CreatedAt"].as_str()));
        if body["Sort"]["SortOrder"] == json!("DESCENDING") {
            all.reverse();
        }
        let (items, next) = page(&all, body, 20);
        json!({ "EngagementSummaryList": items, "NextToken": next })
    }

    /// UpdateEngagementContext (a `Lead` context): optimistic lock on the engagement's `ModifiedAt`.
    pub(super) fn update_engagement_context(
        &mut self,
        cat: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let id = engagement_id(body, "EngagementIdentifier")?;
        let context = text(body, "ContextIdentifier")?.to_string();
        let kind = text(body, "Type")?.to_string();
        let e = self.member_engagement(cat, &id)?;
        let at = body["EngagementLastModifiedAt"].clone();
        if !same_instant(&at, &e.view["ModifiedAt"]) {
            return Err(ApiError::conflict(format!(
                "Engagement {id} was modified at {}; the request was based on {}",
                e.view["ModifiedAt"].as_str().unwrap_or("?"),
                at
            )));
        }
        let contexts = e.view["Contexts"].as_array().cloned().unwrap_or_default();
        let Some(pos) = contexts.iter().position(|c| c["Id"] == json!(context)) else {
            return Err(ApiError::not_found("Engagement context", &context));
        };
        if contexts[pos]["Type"] != json!(kind) || kind != "Lead" {
            return Err(ApiError::validation(
                "Context type does not match",
                vec![(
                    Some("Type"),
                    "INVALID_VALUE",
                    format!("context {context} is of type {}", contexts[pos]["Type"]),
                )],
            ));
        }
        let patch = &body["Payload"]["Lead"];
        let mut lead = contexts[pos]["Payload"]["Lead"].clone();
        if let Some(q) = patch.get("QualificationStatus") {
            lead["QualificationStatus"] = q.clone();
        }
        lead["Customer"] = patch["Customer"].clone();
        if let Some(i) = patch.get("Interaction").filter(|i| !i.is_null()) {
            let list = lead["Interactions"].as_array().cloned().unwrap_or_default();
            if list.len() >= 10 {
                return Err(ApiError::validation(
                    "Too many interactions",
                    vec![(
                        Some("Payload.Lead.Interaction"),
                        "INVALID_VALUE",
                        "a lead holds at most 10 interactions".into(),
                    )],
                ));
            }
            let mut list = list;
            list.push(i.clone());
            lead["Interactions"] = json!(list);
        }
        self.conforms("the updated lead", "LeadContext", &lead)?;
        let account = self.account.clone();
        if let Some(e) = self.engagements.get_mut(&(cat.to_string(), id.clone())) {
            e.view["Contexts"][pos]["Payload"]["Lead"] = lead;
        }
        let now = self.touch_engagement(cat, &id, &account);
        self.engagement_updated(cat, &id);
        Ok(
            json!({ "EngagementId": id, "EngagementArn": self.engagement_arn(cat, &id),
            "EngagementLastModifiedAt": now, "ContextId": context }),
        )
    }

    /// AWS changes a lead (its insights, a new interaction): `patch` is merged into the lead context,
    /// `ModifiedAt` moves on, `Engagement Updated` is emitted. Returns the new `ModifiedAt`.
    pub fn aws_engagement_update(
        &mut self,
        cat: &str,
        id: &str,
        patch: &Value,
    ) -> Result<String, ApiError> {
        let key = (cat.to_string(), id.to_string());
        let e = self
            .engagements
            .get(&key)
            .ok_or_else(|| ApiError::not_found("Engagement", id))?;
        let mut view = e.view.clone();
        if let Some(c) = view["Contexts"]
            .as_array_mut()
            .and_then(|cs| cs.iter_mut().find(|c| c["Type"] == json!("Lead")))
        {
            super::merge(&mut c["Payload"]["Lead"], patch.clone());
        }
        self.conforms(&format!("engagement {id}"), "GetEngagementResponse", &view)?;
        if let Some(e) = self.engagements.get_mut(&key) {
            e.view = view;
        }
        let now = self.touch_engagement(cat, id, "aws");
        self.engagement_updated(cat, id);
        Ok(now)
    }

    /// StartOpportunityFromEngagementTask: a task that converts the lead context.
    pub(super) fn convert(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let id = engagement_id(body, "Identifier")?;
        let context = text(body, "ContextIdentifier")?.to_string();
        let e = self.member_engagement(cat, &id)?;
        if !e.view["Contexts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["Id"] == json!(context))
        {
            return Err(ApiError::not_found("Engagement context", &context));
        }
        let mut task = self.start_task(TaskKind::OpportunityFromEngagement, cat);
        task.engagement_id = Some(id);
        task.context_id = Some(context);
        let view = task.view();
        self.tasks.push(task);
        Ok(view)
    }

    /// A conversion finishes: the opportunity is created from the lead (customer, the latest
    /// interaction's business problem, the engagement's title), the engagement gains its
    /// `CustomerProject` context, and the events go out.
    pub(super) fn complete_convert(&mut self, task: &mut crate::tasks::Task) {
        let cat = task.catalog.clone();
        let id = task.engagement_id.clone().unwrap_or_default();
        let key = (cat.clone(), id.clone());
        let Some(e) = self.engagements.get(&key).cloned() else {
            return;
        };
        let contexts = e.view["Contexts"].as_array().cloned().unwrap_or_default();
        let lead = contexts
            .iter()
            .find(|c| Some(c["Id"].as_str().unwrap_or_default()) == task.context_id.as_deref())
            .map(|c| c["Payload"]["Lead"].clone())
            .unwrap_or(Value::Null);
        if lead.is_null() {
            task.status = "FAILED";
            task.reason_code = Some("ContextNotFound".into());
            task.message = Some("the context is not a lead".into());
            return;
        }
        if lead["QualificationStatus"] == json!("Disqualified") {
            task.status = "FAILED";
            task.reason_code = Some("DisqualifiedLeadNotPermitted".into());
            task.message = Some(format!("lead {id} is disqualified"));
            return;
        }
        let n = self.id();
        let opp = format!("O{}", 1_000_000 + n);
        let stamp = iso(self.stamp());
        let c = &lead["Customer"];
        let mut account = json!({ "CompanyName": c["CompanyName"] });
        for (from, to) in [("WebsiteUrl", "WebsiteUrl")] {
            if let Some(v) = c.get(from).filter(|v| !v.is_null()) {
                account[to] = v.clone();
            }
        }
        if let Some(cc) = c["Address"].get("CountryCode").filter(|v| !v.is_null()) {
            account["Address"] = json!({ "CountryCode": cc });
        }
        // A lead's industry is free text; the opportunity's is the model's enum: carried only when
        // it is one of its values.
        if let Some(ind) = c.get("Industry").filter(|v| !v.is_null()) {
            let mut probe = account.clone();
            probe["Industry"] = ind.clone();
            if self
                .model
                .as_ref()
                .is_none_or(|m| m.validate("Account", &probe).is_empty())
            {
                account = probe;
            }
        }
        let problem = lead["Interactions"]
            .as_array()
            .and_then(|l| l.iter().rev().find_map(|i| i.get("BusinessProblem")))
            .cloned();
        let mut o = json!({
            "Catalog": cat, "Id": opp,
            "Arn": format!("arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/opportunity/{opp}", self.account),
            "CreatedDate": stamp, "LastModifiedDate": stamp, "Origin": "Partner Referral",
            "OpportunityType": "Net New Business", "NationalSecurity": "No",
            "Customer": { "Account": account, "Contacts": [] },
            "Project": { "Title": e.view["Title"], "ExpectedCustomerSpend": [] },
            "Marketing": { "Source": "None" },
            "LifeCycle": { "Stage": "Prospect", "ReviewStatus": "Pending Submission" },
            "OpportunityTeam": [],
            "RelatedEntityIdentifiers": {"Solutions": [], "AwsProducts": [], "AwsMarketplaceOffers": []},
        });
        if let Some(p) = problem {
            o["Project"]["CustomerBusinessProblem"] = p;
        }
        self.opportunities.insert((cat.clone(), opp.clone()), o);
        let project = (contexts.len() + 1).to_string();
        let account_id = self.account.clone();
        if let Some(e) = self.engagements.get_mut(&key)
            && let Some(list) = e.view["Contexts"].as_array_mut()
        {
            list.push(json!({ "Id": project, "Type": "CustomerProject" }));
        }
        self.touch_engagement(&cat, &id, &account_id);
        self.opportunity_event("Opportunity Created", &cat, &opp);
        self.engagement_updated(&cat, &id);
        task.opportunity_id = Some(opp);
        task.context_id = Some(project);
        task.status = "COMPLETE";
    }
}

/// Whether two timestamps (as the SDK sends them: epoch seconds with a fraction, or ISO text) are the
/// same instant, to the millisecond.
fn same_instant(given: &Value, stored: &Value) -> bool {
    let millis = |v: &Value| -> Option<i64> {
        match v {
            Value::Number(n) => n.as_f64().map(|f| (f * 1000.0).round() as i64),
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.timestamp_millis()),
            _ => None,
        }
    };
    millis(given).is_some() && millis(given) == millis(stored)
}
