//! The emulated service: opportunities, AWS summaries, invitations, solutions and tasks per catalog, the
//! operations on them, and the EventBridge events each action emits.

use crate::iam::{Decision, Policies};
use crate::model::ServiceModel;
use crate::tasks::{Task, TaskKind, TaskPlan};
pub use crate::timestamps::iso;
use acebridge_clock::Clock;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Instant;

mod engagements;

/// An error as the service returns it: HTTP status, `__type`, `Message`, and extra members.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The error shape's name (`ValidationException`, …).
    pub kind: &'static str,
    /// `Message`.
    pub message: String,
    /// Other members (`Reason`, `ErrorList`).
    pub extra: Map<String, Value>,
}

impl ApiError {
    /// An error with only a `Message`.
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// `ValidationException` with its `ErrorList`.
    pub fn validation(reason: &str, errors: Vec<(Option<&str>, &str, String)>) -> Self {
        let list: Vec<Value> = errors
            .into_iter()
            .map(|(field, code, message)| {
                let mut e = json!({ "Message": message, "Code": code });
                if let Some(f) = field {
                    e["FieldName"] = json!(f);
                }
                e
            })
            .collect();
        let mut err = ApiError::new(400, "ValidationException", "Validation failed");
        err.extra.insert("Reason".into(), json!(reason));
        err.extra.insert("ErrorList".into(), Value::Array(list));
        err
    }

    fn not_found(what: &str, id: &str) -> Self {
        ApiError::new(
            404,
            "ResourceNotFoundException",
            format!("{what} {id} not found"),
        )
    }

    fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(409, "ConflictException", message)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut m = self.extra.clone();
        m.insert("__type".into(), json!(self.kind));
        m.insert("Message".into(), json!(self.message));
        Value::Object(m)
    }
}

/// Operations that count against the read quota (everything else is a write).
pub const READS: [&str; 11] = [
    "GetOpportunity",
    "GetAwsOpportunitySummary",
    "ListOpportunities",
    "ListSolutions",
    "GetEngagementInvitation",
    "ListEngagementInvitations",
    "ListEngagementByAcceptingInvitationTasks",
    "ListEngagementFromOpportunityTasks",
    "GetEngagement",
    "ListEngagements",
    "ListOpportunityFromEngagementTasks",
];

/// Quota enforcement: calls per second by group.
#[derive(Debug, Clone)]
pub struct Quotas {
    /// Reads per second (the service: 10).
    pub reads_per_second: usize,
    /// Writes per second (the service: 1).
    pub writes_per_second: usize,
    reads: VecDeque<Instant>,
    writes: VecDeque<Instant>,
}

impl Quotas {
    /// The service's quotas.
    pub fn service() -> Self {
        Quotas::new(10, 1)
    }

    /// Custom quotas.
    pub fn new(reads_per_second: usize, writes_per_second: usize) -> Self {
        Quotas {
            reads_per_second,
            writes_per_second,
            reads: VecDeque::new(),
            writes: VecDeque::new(),
        }
    }

    /// Takes one call of `op`, or says it is throttled.
    fn take(&mut self, op: &str) -> bool {
        let now = Instant::now();
        let (window, limit) = if READS.contains(&op) {
            (&mut self.reads, self.reads_per_second)
        } else {
            (&mut self.writes, self.writes_per_second)
        };
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t).as_millis() >= 1000)
        {
            window.pop_front();
        }
        if window.len() >= limit {
            return false;
        }
        window.push_back(now);
        true
    }
}

/// Injected faults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    /// The next N calls (of operations whose model lists `error`) fail with `status`.
    pub fail_next: u32,
    /// Calls let through before each of those N fails (0: they fail one after another). Sporadic
    /// faults, as a service has them, rather than one call failing N times in a row.
    pub spacing: u32,
    /// Calls let through since the last injected fault.
    pub let_through: u32,
    /// The modelled error they fail with (default `InternalServerException`): for example
    /// `ServiceQuotaExceededException` or `AccessDeniedException`.
    pub error: Option<String>,
    /// Status of injected failures (default 500).
    pub status: u16,
    /// Every call waits this long first.
    pub delay_ms: u64,
}

/// Call counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls per operation (including failed ones).
    pub calls: BTreeMap<String, u64>,
    /// Calls refused with `ThrottlingException`.
    pub throttled: u64,
    /// Calls failed by fault injection.
    pub faults_served: u64,
    /// Answers that broke the service model (sent as `InternalServerException` instead).
    pub model_violations: u64,
}

impl Stats {
    /// Calls of these operations, together.
    pub fn of(&self, operations: &[&str]) -> u64 {
        operations
            .iter()
            .map(|op| self.calls.get(*op).copied().unwrap_or(0))
            .sum()
    }
}

#[derive(Debug, Clone)]
struct Invitation {
    /// GetEngagementInvitation's output (without `Catalog`).
    view: Value,
    /// The opportunity an accept creates (full customer details).
    opportunity: Value,
}

#[derive(Debug, Clone)]
struct Engagement {
    /// GetEngagement's output.
    view: Value,
    /// Whether this partner has joined it.
    member: bool,
}

/// The whole service.
#[derive(Debug)]
pub struct State {
    account: String,
    opportunities: BTreeMap<(String, String), Value>,
    summaries: BTreeMap<(String, String), Value>,
    invitations: BTreeMap<(String, String), Invitation>,
    /// Engagements by (catalog, id): GetEngagement's output (without `Catalog`) and whether this
    /// partner is a member (only members read an engagement).
    engagements: BTreeMap<(String, String), Engagement>,
    solutions: Vec<Value>,
    tokens: HashMap<(String, &'static str, String), (Value, Value)>,
    /// Invitations this partner sent (a submission invites AWS), for `ParticipantType: SENDER`.
    sent_invitations: Vec<Value>,
    tasks: Vec<Task>,
    events: Vec<Value>,
    next: u64,
    last_stamp: DateTime<Utc>,
    /// Quota enforcement, when on.
    pub quotas: Option<Quotas>,
    /// Fault injection.
    pub faults: Faults,
    /// Call counts.
    pub stats: Stats,
    /// How the next asynchronous tasks run.
    pub task_plan: TaskPlan,
    /// IAM, when enforced: each caller's policies by the access key id it signs with.
    pub iam: Option<BTreeMap<String, Policies>>,
    /// The access key of the call being answered (a task it starts runs with its permissions).
    pub caller: Option<String>,
    /// The service model seeded data is checked against (an invitation or opportunity that AWS could
    /// never send is refused when it is seeded, not when a client first reads it).
    pub model: Option<std::sync::Arc<ServiceModel>>,
    /// A concurrent AWS-side edit: right after the next GetOpportunity (or GetEngagement) of (catalog,
    /// id) is answered, this patch is applied as [`State::aws_update`] (or
    /// [`State::aws_engagement_update`]) does, so the reader's `LastModifiedDate` is stale.
    pub race: Option<(String, String, Value)>,
    /// The service's "now": `LastModifiedDate`, `InvitationDate`, `ExpirationDate`, task and event
    /// times. A test hands the emulator its own clock, so AWS's side and acebridge's read one time.
    pub clock: Clock,
    /// The test clock behind `clock`, when the control endpoint may move it.
    pub settable_clock: Option<acebridge_clock::TestClock>,
}

impl State {
    /// A fresh service with quotas off, on `clock`.
    pub fn new(clock: Clock) -> Self {
        State {
            account: "123456789012".into(),
            opportunities: BTreeMap::new(),
            summaries: BTreeMap::new(),
            invitations: BTreeMap::new(),
            engagements: BTreeMap::new(),
            solutions: Vec::new(),
            tokens: HashMap::new(),
            sent_invitations: Vec::new(),
            tasks: Vec::new(),
            events: Vec::new(),
            next: 1,
            last_stamp: DateTime::<Utc>::MIN_UTC,
            quotas: None,
            faults: Faults::default(),
            stats: Stats::default(),
            task_plan: TaskPlan::default(),
            iam: None,
            model: None,
            caller: None,
            race: None,
            clock,
            settable_clock: None,
        }
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Result<&'a str, ApiError> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| {
        ApiError::validation(
            "REQUEST_VALIDATION_FAILED",
            vec![(
                Some(key),
                "REQUIRED_FIELD_MISSING",
                format!("{key} is required"),
            )],
        )
    })
}

fn catalog(body: &Value) -> Result<String, ApiError> {
    let c = text(body, "Catalog")?;
    if c == "AWS" || c == "Sandbox" {
        Ok(c.to_string())
    } else {
        Err(ApiError::validation(
            "REQUEST_VALIDATION_FAILED",
            vec![(
                Some("Catalog"),
                "INVALID_VALUE",
                format!("unknown catalog {c}"),
            )],
        ))
    }
}

fn path<'a>(v: &'a Value, p: &[&str]) -> Option<&'a Value> {
    p.iter()
        .try_fold(v, |v, k| v.get(*k))
        .filter(|v| !v.is_null())
}

fn remove_path(v: &mut Value, p: &[&str]) {
    let Some((last, parents)) = p.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        match cur.get_mut(*k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(*last);
    }
}

/// The opportunity fields a create or update carries (everything else is the service's).
const CONTENT: [&str; 9] = [
    "PrimaryNeedsFromAws",
    "NationalSecurity",
    "PartnerOpportunityIdentifier",
    "Customer",
    "Project",
    "OpportunityType",
    "Marketing",
    "SoftwareRevenue",
    "LifeCycle",
];

/// Read-only life-cycle fields (set by AWS's review).
const REVIEW: [&str; 3] = ["ReviewStatus", "ReviewComments", "ReviewStatusReason"];

/// Editable in `Action Required`.
const ACTION_REQUIRED_EDITABLE: [&[&str]; 6] = [
    &["Customer", "Account", "Address"],
    &["Customer", "Account", "WebsiteUrl"],
    &["LifeCycle", "TargetCloseDate"],
    &["Project", "ExpectedCustomerSpend"],
    &["Project", "CustomerBusinessProblem"],
    &["PartnerOpportunityIdentifier"],
];

/// Frozen once `Approved`.
const APPROVED_FROZEN: [&[&str]; 7] = [
    &["Customer", "Account", "Address", "CountryCode"],
    &["Customer", "Account", "Address", "PostalCode"],
    &["Customer", "Account", "Industry"],
    &["Customer", "Account", "WebsiteUrl"],
    &["Project", "CustomerBusinessProblem"],
    &["PartnerOpportunityIdentifier"],
    &["Project", "Title"],
];

fn content(v: &Value) -> Value {
    let mut m = Map::new();
    for k in CONTENT {
        if let Some(x) = v.get(k).filter(|x| !x.is_null()) {
            m.insert(k.to_string(), x.clone());
        }
    }
    let mut out = Value::Object(m);
    for r in REVIEW {
        remove_path(&mut out, &["LifeCycle", r]);
    }
    out
}

fn page<T: Clone>(items: &[T], body: &Value, default: usize) -> (Vec<T>, Option<String>) {
    let start: usize = body
        .get("NextToken")
        .and_then(Value::as_str)
        .and_then(|t| t.strip_prefix("page-"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let size = body
        .get("MaxResults")
        .and_then(Value::as_u64)
        .map_or(default, |n| n.clamp(1, 100) as usize);
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    (items.get(start..end).unwrap_or_default().to_vec(), next)
}

impl State {
    /// Refuses seeded data that breaks `shape` (a control call's error, naming every violation).
    fn conforms(&self, what: &str, shape: &str, value: &Value) -> Result<(), ApiError> {
        let Some(model) = &self.model else {
            return Ok(());
        };
        let violations = model.validate(shape, value);
        if violations.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        Err(ApiError::new(
            400,
            "ValidationException",
            format!("{what} breaks {shape}: {}", list.join("; ")),
        ))
    }

    fn stamp(&mut self) -> DateTime<Utc> {
        let now = self
            .clock
            .now()
            .max(self.last_stamp + Duration::milliseconds(1));
        self.last_stamp = now;
        now
    }

    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn emit(&mut self, detail_type: &str, catalog: &str, resources: Vec<String>, detail: Value) {
        let n = self.id();
        let opportunity = detail_type.starts_with("Opportunity");
        let mut detail = detail;
        detail["catalog"] = json!(catalog);
        if opportunity {
            detail["schemaVersion"] = json!("1");
        }
        self.events.push(json!({
            "version": if opportunity { "1" } else { "0" },
            "id": format!("00000000-0000-4000-8000-{n:012}"),
            "detail-type": detail_type,
            "source": "aws.partnercentral-selling",
            "account": self.account,
            "time": self.clock.now().to_rfc3339_opts(SecondsFormat::Secs, true),
            "region": "us-east-1",
            "resources": resources,
            "detail": detail,
        }));
    }

    fn opportunity_event(&mut self, detail_type: &str, catalog: &str, id: &str) {
        let arn = format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{catalog}/opportunity/{id}",
            self.account
        );
        self.emit(
            detail_type,
            catalog,
            vec![arn],
            json!({ "opportunity": { "identifier": id } }),
        );
    }

    /// An opportunity as stored (for tests and the demo).
    pub fn opportunity(&self, catalog: &str, id: &str) -> Option<Value> {
        self.opportunities
            .get(&(catalog.to_string(), id.to_string()))
            .cloned()
    }

    /// Every event emitted so far, in order.
    pub fn events(&self) -> &[Value] {
        &self.events
    }

    /// Seeds opportunities, invitations and solutions (the `--seed` file's shape).
    pub fn seed(&mut self, seed: &Value) -> Result<(), ApiError> {
        for o in seed["opportunities"].as_array().into_iter().flatten() {
            let cat = catalog(o)?;
            let id = match o.get("Id").and_then(Value::as_str) {
                Some(id) => id.to_string(),
                None => format!("O{}", 1_000_000 + self.id()),
            };
            let stamp = self.stamp();
            let mut stored = o.clone();
            stored["Id"] = json!(id);
            stored["Arn"] = json!(format!(
                "arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/opportunity/{id}",
                self.account
            ));
            for (k, v) in [
                ("CreatedDate", iso(stamp)),
                ("LastModifiedDate", iso(stamp)),
            ] {
                if stored.get(k).is_none() {
                    stored[k] = json!(v);
                }
            }
            if stored.get("RelatedEntityIdentifiers").is_none() {
                stored["RelatedEntityIdentifiers"] =
                    json!({"Solutions": [], "AwsProducts": [], "AwsMarketplaceOffers": []});
            }
            let mut as_read = stored.clone();
            if let Some(m) = as_read.as_object_mut() {
                m.remove("Origin");
            }
            self.conforms(
                &format!("opportunity {id}"),
                "GetOpportunityResponse",
                &as_read,
            )?;
            self.opportunities.insert((cat, id), stored);
        }
        for i in seed["invitations"].as_array().into_iter().flatten() {
            self.invite(i)?;
        }
        for s in seed["solutions"].as_array().into_iter().flatten() {
            self.conforms("a solution", "SolutionBase", s)?;
            self.solutions.push(s.clone());
        }
        Ok(())
    }

    /// AWS sends an invitation (an AWS referral): `{"Catalog", "Invitation": {…GetEngagementInvitation
    /// fields…}, "Opportunity": {…what an accept creates…}}`. Emits `Engagement Invitation Created`.
    pub fn invite(&mut self, spec: &Value) -> Result<String, ApiError> {
        let cat = catalog(spec)?;
        let n = self.id();
        let id = spec["Invitation"]["Id"]
            .as_str()
            .map_or_else(|| format!("engi-{n:013}"), str::to_string);
        let engagement = format!("eng-{n:014}");
        let now = self.stamp();
        let arn =
            format!("arn:aws:partnercentral:us-east-1::catalog/{cat}/engagement-invitation/{id}");
        let payload = &spec["Invitation"]["Payload"];
        let lead = payload.get("LeadInvitation").is_some();
        let title = if lead {
            // AWS's sample shows a lead's engagement titled by AWS (e.g. "visualize Initiative -
            // 1336"); without one given, the company's name (the model allows 40 characters).
            let company = payload["LeadInvitation"]["Customer"]["CompanyName"]
                .as_str()
                .unwrap_or("Lead");
            json!(company.chars().take(40).collect::<String>())
        } else {
            payload["OpportunityInvitation"]["Project"]["Title"].clone()
        };
        let mut view = json!({
            "Arn": arn, "Id": id, "EngagementId": engagement,
            "PayloadType": if lead { "LeadInvitation" } else { "OpportunityInvitation" },
            "Status": "PENDING", "InvitationDate": iso(now), "ExpirationDate": iso(now + Duration::days(15)),
            "SenderAwsAccountId": "111122223333", "SenderCompanyName": "AWS",
            "Receiver": { "Account": { "AwsAccountId": self.account } },
            "EngagementTitle": title,
        });
        if let (Some(m), Some(given)) = (view.as_object_mut(), spec["Invitation"].as_object()) {
            for (k, v) in given {
                m.insert(k.clone(), v.clone());
            }
        }
        let mut as_read = view.clone();
        as_read["Catalog"] = json!(cat);
        self.conforms(
            "the invitation",
            "GetEngagementInvitationResponse",
            &as_read,
        )?;
        let detail = json!({ "engagementInvitation": {
            "arn": arn, "id": id, "engagementId": view["EngagementId"], "senderAccountId": "111122223333",
            "receiverAccountId": self.account, "senderCompanyName": "AWS",
            "expirationDate": view["ExpirationDate"], "participantType": "Receiver",
            "payloadType": view["PayloadType"] } });
        let engagement = view["EngagementId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if lead && spec.get("Lead").is_none() {
            return Err(ApiError::new(
                400,
                "ValidationException",
                "a lead invitation needs \"Lead\": the LeadContext its engagement holds",
            ));
        }
        self.create_engagement(
            &cat,
            &engagement,
            &view["EngagementTitle"],
            spec.get("Lead"),
        )?;
        self.invitations.insert(
            (cat.clone(), id.clone()),
            Invitation {
                view,
                opportunity: spec["Opportunity"].clone(),
            },
        );
        self.emit("Engagement Invitation Created", &cat, vec![arn], detail);
        Ok(id)
    }

    /// An AWS-side change to an opportunity (AWS or the Partner Central UI): `patch` is merged into the
    /// stored record, `LastModifiedDate` moves on, `Opportunity Updated` is emitted.
    pub fn aws_update(
        &mut self,
        catalog: &str,
        id: &str,
        patch: &Value,
    ) -> Result<String, ApiError> {
        let stamp = self.stamp();
        let o = self
            .opportunities
            .get_mut(&(catalog.to_string(), id.to_string()))
            .ok_or_else(|| ApiError::not_found("Opportunity", id))?;
        let before = o["LifeCycle"]["ReviewStatus"].clone();
        merge(o, patch.clone());
        o["LastModifiedDate"] = json!(iso(stamp));
        let after = o["LifeCycle"]["ReviewStatus"].clone();
        let lmd = iso(stamp);
        self.opportunity_event("Opportunity Updated", catalog, id);
        if before != after {
            self.reviewed(catalog, id, after.as_str().unwrap_or_default());
        }
        Ok(lmd)
    }

    /// AWS changes its side of opportunity `id` (the AWS Opportunity Summary: AWS's stage, team,
    /// insights), created with the defaults a submission gives if there is none yet. As AWS's developer
    /// guide has it, this sends `Opportunity Updated`; the partner opportunity's `LastModifiedDate` is left
    /// as it is (AWS does not document that it moves).
    pub fn aws_summary_update(
        &mut self,
        catalog: &str,
        id: &str,
        patch: &Value,
    ) -> Result<(), ApiError> {
        let key = (catalog.to_string(), id.to_string());
        if !self.opportunities.contains_key(&key) {
            return Err(ApiError::not_found("Opportunity", id));
        }
        let summary = self.summaries.entry(key).or_insert_with(|| {
            json!({ "Catalog": catalog, "RelatedOpportunityId": id, "Origin": "Partner Referral",
                "InvolvementType": "Co-Sell", "Visibility": "Full", "LifeCycle": { "Stage": "Prospect" } })
        });
        merge(summary, patch.clone());
        self.opportunity_event("Opportunity Updated", catalog, id);
        Ok(())
    }

    /// AWS finished reviewing a submitted opportunity. As AWS's scenario table has it, an approval
    /// accepts AWS's engagement invitation (Engagement Invitation Accepted, Engagement Member Added,
    /// Engagement Resource Snapshot Created) and a rejection rejects it; the EventBridge reference's
    /// `Opportunity Accepted` / `Opportunity Rejected` (no documented shape) are emitted then, with the
    /// opportunity events' detail.
    fn reviewed(&mut self, cat: &str, id: &str, status: &str) {
        let (invitation_event, opportunity_event) = match status {
            "Approved" => ("Engagement Invitation Accepted", "Opportunity Accepted"),
            "Rejected" => ("Engagement Invitation Rejected", "Opportunity Rejected"),
            _ => return,
        };
        let sent = self.sent_invitations.iter_mut().rev().find(|i| {
            i["Catalog"] == json!(cat)
                && i["Status"] == json!("PENDING")
                && self.tasks.iter().any(|t| {
                    t.opportunity_id.as_deref() == Some(id) && i["Id"] == json!(t.invitation_id)
                })
        });
        if let Some(inv) = sent {
            inv["Status"] = json!(if status == "Approved" {
                "ACCEPTED"
            } else {
                "REJECTED"
            });
            let inv = inv.clone();
            let arn = inv["Arn"].as_str().unwrap_or_default().to_string();
            let engagement = inv["EngagementId"].as_str().unwrap_or_default().to_string();
            self.emit(invitation_event, cat, vec![arn.clone()], json!({ "engagementInvitation": { "arn": arn, "id": inv["Id"], "engagementId": engagement, "participantType": "Sender", "senderAccountId": self.account, "receiverAccountId": "111122223333", "payloadType": "OpportunityInvitation" } }));
            if status == "Approved" {
                self.emit("Engagement Member Added", cat, vec![], json!({ "engagement": { "id": engagement }, "engagementMember": { "accountId": "111122223333", "companyName": "AWS" } }));
            }
            self.snapshot_events(cat, &engagement, id, vec!["111122223333".into()]);
        }
        self.opportunity_event(opportunity_event, cat, id);
    }

    /// Whether the caller may run `op` in `catalog` (a task's dependent action).
    fn may(&self, caller: Option<&str>, op: &str, catalog: &str) -> Result<(), ApiError> {
        self.authorize(op, caller, &json!({ "Catalog": catalog }))
    }

    /// Decides an operation under the caller's IAM policies (when IAM is enforced):
    /// `partnercentral:<Operation>` with the request's `partnercentral:Catalog`.
    pub fn authorize(
        &self,
        op: &str,
        access_key: Option<&str>,
        body: &Value,
    ) -> Result<(), ApiError> {
        let Some(iam) = &self.iam else {
            return Ok(());
        };
        let catalog = body["Catalog"].as_str().unwrap_or_default();
        let identifier = [
            "Identifier",
            "EngagementIdentifier",
            "OpportunityIdentifier",
            "RelatedOpportunityIdentifier",
        ]
        .iter()
        .find_map(|k| body[*k].as_str())
        .unwrap_or("*");
        let resource = format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{catalog}/{identifier}",
            self.account
        );
        let context = BTreeMap::from([("partnercentral:Catalog".to_string(), catalog.to_string())]);
        let action = format!("partnercentral:{op}");
        let decision = access_key
            .and_then(|k| iam.get(k))
            .map_or(Decision::ImplicitDeny, |p| {
                p.decide(&action, &resource, &context)
            });
        if decision == Decision::Allow {
            return Ok(());
        }
        let caller = access_key.unwrap_or("an unsigned caller");
        Err(ApiError::new(
            403,
            "AccessDeniedException",
            format!(
                "User: {caller} is not authorized to perform: {action} on resource: {resource} ({} in an identity-based policy)",
                if decision == Decision::ExplicitDeny {
                    "explicit deny"
                } else {
                    "no allow"
                }
            ),
        ))
    }

    /// One operation. Quotas and faults are applied by the caller ([`State::admit`]).
    pub fn call(&mut self, op: &str, body: &Value) -> Result<Value, ApiError> {
        *self.stats.calls.entry(op.to_string()).or_default() += 1;
        let cat = catalog(body)?;
        match op {
            "GetOpportunity" => {
                let id = text(body, "Identifier")?.to_string();
                let got = self.get_opportunity(&cat, &id);
                if let Some((c, i, patch)) = self.race.take() {
                    if c == cat && i == id {
                        self.aws_update(&c, &i, &patch)?;
                    } else {
                        self.race = Some((c, i, patch));
                    }
                }
                got
            }
            "ListOpportunities" => Ok(self.list_opportunities(&cat, body)),
            "CreateOpportunity" => self.idempotent(&cat, "CreateOpportunity", body, |s| {
                s.create_opportunity(&cat, body)
            }),
            "UpdateOpportunity" => self.update_opportunity(&cat, body),
            "GetAwsOpportunitySummary" => {
                let id = text(body, "RelatedOpportunityIdentifier")?;
                self.summaries
                    .get(&(cat.clone(), id.to_string()))
                    .cloned()
                    .ok_or_else(|| ApiError::not_found("AWS opportunity summary for", id))
            }
            "AssociateOpportunity" | "DisassociateOpportunity" => {
                self.associate(&cat, body, op == "AssociateOpportunity")
            }
            "AssignOpportunity" => {
                let id = text(body, "Identifier")?.to_string();
                let assignee = body.get("Assignee").cloned().unwrap_or(Value::Null);
                self.touch(&cat, &id, |o| o["OpportunityTeam"] = json!([assignee]))?;
                Ok(json!({}))
            }
            "ListSolutions" => {
                let all: Vec<Value> = self
                    .solutions
                    .iter()
                    .filter(|s| s["Catalog"] == json!(cat))
                    .cloned()
                    .collect();
                let (items, next) = page(&all, body, 20);
                Ok(json!({ "SolutionSummaries": items, "NextToken": next }))
            }
            "StartEngagementFromOpportunityTask" => {
                let started =
                    self.idempotent(&cat, "StartEngagementFromOpportunityTask", body, |s| {
                        s.submit(&cat, body)
                    })?;
                Ok(self.task_view(&started))
            }
            "ListEngagementFromOpportunityTasks" => {
                Ok(self.list_tasks(&cat, TaskKind::EngagementFromOpportunity, body))
            }
            "GetEngagementInvitation" => {
                let id = text(body, "Identifier")?;
                let id = id.rsplit('/').next().unwrap_or(id);
                let inv = self
                    .invitations
                    .get(&(cat.clone(), id.to_string()))
                    .ok_or_else(|| ApiError::not_found("Engagement invitation", id))?;
                let mut v = inv.view.clone();
                v["Catalog"] = json!(cat);
                Ok(v)
            }
            "ListEngagementInvitations" if body["ParticipantType"] == json!("SENDER") => {
                let all: Vec<Value> = self
                    .sent_invitations
                    .iter()
                    .filter(|i| i["Catalog"] == json!(cat))
                    .cloned()
                    .collect();
                let (items, next) = page(&all, body, 20);
                Ok(json!({ "EngagementInvitationSummaries": items, "NextToken": next }))
            }
            "ListEngagementInvitations" => {
                let all: Vec<Value> = self
                    .invitations
                    .iter()
                    .filter(|((c, _), _)| *c == cat)
                    .map(|(_, i)| {
                        let v = &i.view;
                        json!({ "Arn": v["Arn"], "PayloadType": v["PayloadType"], "Id": v["Id"],
                            "EngagementId": v["EngagementId"], "EngagementTitle": v["EngagementTitle"],
                            "Status": v["Status"], "InvitationDate": v["InvitationDate"],
                            "ExpirationDate": v["ExpirationDate"], "SenderAwsAccountId": v["SenderAwsAccountId"],
                            "SenderCompanyName": v["SenderCompanyName"], "Receiver": v["Receiver"],
                            "Catalog": cat, "ParticipantType": "RECEIVER" })
                    })
                    .collect();
                let (items, next) = page(&all, body, 20);
                Ok(json!({ "EngagementInvitationSummaries": items, "NextToken": next }))
            }
            "StartEngagementByAcceptingInvitationTask" => {
                let started = self.idempotent(
                    &cat,
                    "StartEngagementByAcceptingInvitationTask",
                    body,
                    |s| s.accept(&cat, body),
                )?;
                Ok(self.task_view(&started))
            }
            "ListEngagementByAcceptingInvitationTasks" => {
                Ok(self.list_tasks(&cat, TaskKind::AcceptInvitation, body))
            }
            "RejectEngagementInvitation" => self.reject(&cat, body),
            "AcceptEngagementInvitation" => self.accept_invitation(&cat, body),
            "GetEngagement" => {
                let got = self.get_engagement(&cat, body);
                // A concurrent AWS-side change of a lead, right after it was read (see `race`).
                let id = body["Identifier"].as_str().unwrap_or_default().to_string();
                if let Some((c, i, patch)) = self.race.take() {
                    if c == cat && i == id {
                        self.aws_engagement_update(&c, &i, &patch)?;
                    } else {
                        self.race = Some((c, i, patch));
                    }
                }
                got
            }
            "ListEngagements" => Ok(self.list_engagements(&cat, body)),
            "UpdateEngagementContext" => self.update_engagement_context(&cat, body),
            "StartOpportunityFromEngagementTask" => {
                let started =
                    self.idempotent(&cat, "StartOpportunityFromEngagementTask", body, |s| {
                        s.convert(&cat, body)
                    })?;
                Ok(self.task_view(&started))
            }
            "ListOpportunityFromEngagementTasks" => {
                Ok(self.list_tasks(&cat, TaskKind::OpportunityFromEngagement, body))
            }
            // In the model, but not emulated: said as a server-side error (a modelled one).
            other => Err(ApiError::new(
                500,
                "InternalServerException",
                format!("the emulator does not implement {other}"),
            )),
        }
    }

    /// Applies quotas; `Err` is the `ThrottlingException` to return.
    pub fn admit(&mut self, op: &str) -> Result<(), ApiError> {
        if let Some(q) = &mut self.quotas
            && !q.take(op)
        {
            self.stats.throttled += 1;
            return Err(ApiError::new(429, "ThrottlingException", "Rate exceeded"));
        }
        Ok(())
    }

    /// Takes one injected fault, if any are left.
    /// Only operations whose model lists the injected error take one (`modelled` says which do).
    pub fn take_fault(&mut self, modelled: impl Fn(&str) -> bool) -> Option<ApiError> {
        let kind = self
            .faults
            .error
            .as_deref()
            .unwrap_or("InternalServerException");
        if self.faults.fail_next == 0 || !modelled(kind) {
            return None;
        }
        if self.faults.let_through < self.faults.spacing {
            self.faults.let_through += 1;
            return None;
        }
        self.faults.let_through = 0;
        self.faults.fail_next -= 1;
        self.stats.faults_served += 1;
        let status = if self.faults.status == 0 {
            500
        } else {
            self.faults.status
        };
        let kind: &'static str = match self.faults.error.as_deref() {
            Some("ServiceQuotaExceededException") => "ServiceQuotaExceededException",
            Some("AccessDeniedException") => "AccessDeniedException",
            Some("ThrottlingException") => "ThrottlingException",
            Some("ConflictException") => "ConflictException",
            _ => "InternalServerException",
        };
        let mut e = ApiError::new(status, kind, "injected fault");
        if kind == "AccessDeniedException" {
            e.extra.insert(
                "Reason".into(),
                json!("INCOMPATIBLE_BENEFIT_AWS_PARTNER_STATE"),
            );
        }
        Some(e)
    }

    fn idempotent(
        &mut self,
        cat: &str,
        op: &'static str,
        body: &Value,
        run: impl FnOnce(&mut Self) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        let token = text(body, "ClientToken")?.to_string();
        let key = (cat.to_string(), op, token);
        let mut request = body.clone();
        if let Some(m) = request.as_object_mut() {
            m.remove("ClientToken");
        }
        if let Some((seen, response)) = self.tokens.get(&key) {
            return if *seen == request {
                Ok(response.clone())
            } else {
                Err(ApiError::conflict(
                    "Conflicting client token submitted for a new request body.",
                ))
            };
        }
        let response = run(self)?;
        self.tokens.insert(key, (request, response.clone()));
        Ok(response)
    }

    fn get_opportunity(&self, cat: &str, id: &str) -> Result<Value, ApiError> {
        let mut o = self
            .opportunities
            .get(&(cat.to_string(), id.to_string()))
            .cloned()
            .ok_or_else(|| ApiError::not_found("Opportunity", id))?;
        // Kept for GetAwsOpportunitySummary; GetOpportunity's output shape has no `Origin`.
        if let Some(m) = o.as_object_mut() {
            m.remove("Origin");
        }
        Ok(o)
    }

    fn origin(&self, cat: &str, id: &str) -> String {
        self.opportunities
            .get(&(cat.to_string(), id.to_string()))
            .and_then(|o| o["Origin"].as_str())
            .unwrap_or("Partner Referral")
            .to_string()
    }

    fn list_opportunities(&self, cat: &str, body: &Value) -> Value {
        let after = body["LastModifiedDate"]["AfterLastModifiedDate"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let before = body["LastModifiedDate"]["BeforeLastModifiedDate"]
            .as_str()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        let ids: Option<Vec<&Value>> = body["Identifier"].as_array().map(|a| a.iter().collect());
        let mut all: Vec<&Value> = self
            .opportunities
            .iter()
            .filter(|((c, _), _)| c == cat)
            .map(|(_, o)| o)
            .filter(|o| {
                let lmd = o["LastModifiedDate"]
                    .as_str()
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
                after.is_none_or(|a| lmd.is_some_and(|l| l >= a))
                    && before.is_none_or(|b| lmd.is_some_and(|l| l <= b))
                    && ids.as_ref().is_none_or(|ids| ids.contains(&&o["Id"]))
            })
            .collect();
        let descending = body["Sort"]["SortOrder"] == json!("DESCENDING");
        // Keys borrowed, and only the page's summaries built: at 50,000 opportunities a page otherwise
        // cost seconds (docs/performance.md, the backfill at scale).
        fn key(o: &Value) -> (&str, &str) {
            (
                o["LastModifiedDate"].as_str().unwrap_or_default(),
                o["Id"].as_str().unwrap_or_default(),
            )
        }
        all.sort_by(|a, b| {
            if descending {
                key(b).cmp(&key(a))
            } else {
                key(a).cmp(&key(b))
            }
        });
        let (items, next) = page(&all, body, 20);
        let summaries: Vec<Value> = items
            .into_iter()
            .map(|o| {
                json!({
                    "Catalog": cat, "Id": o["Id"], "Arn": o["Arn"],
                    "PartnerOpportunityIdentifier": o["PartnerOpportunityIdentifier"],
                    "OpportunityType": o["OpportunityType"], "LastModifiedDate": o["LastModifiedDate"],
                    "CreatedDate": o["CreatedDate"],
                    "LifeCycle": { "Stage": o["LifeCycle"]["Stage"], "ReviewStatus": o["LifeCycle"]["ReviewStatus"],
                        "TargetCloseDate": o["LifeCycle"]["TargetCloseDate"] },
                    "Customer": { "Account": { "CompanyName": o["Customer"]["Account"]["CompanyName"] } },
                })
            })
            .collect();
        json!({ "OpportunitySummaries": summaries, "NextToken": next })
    }

    fn create_opportunity(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let mut missing = Vec::new();
        if path(body, &["Project", "Title"]).is_none() {
            missing.push((
                Some("Project.Title"),
                "REQUIRED_FIELD_MISSING",
                "Project.Title is required".to_string(),
            ));
        }
        if path(body, &["Customer", "Account", "CompanyName"]).is_none() {
            missing.push((
                Some("Customer.Account.CompanyName"),
                "REQUIRED_FIELD_MISSING",
                "Customer.Account.CompanyName is required".to_string(),
            ));
        }
        // The model's documentation of CreateOpportunityRequest.Origin: "For all opportunities created
        // with Catalog: AWS, this field must only be Partner Referral"; Sandbox may simulate AWS Referral.
        if cat == "AWS" && body["Origin"] == json!("AWS Referral") {
            missing.push((
                Some("Origin"),
                "INVALID_VALUE",
                "Origin must be Partner Referral in the AWS catalog (AWS Referral only simulates one in Sandbox)"
                    .to_string(),
            ));
        }
        if !missing.is_empty() {
            return Err(ApiError::validation("BUSINESS_VALIDATION_FAILED", missing));
        }
        let n = self.id();
        let id = format!("O{}", 1_000_000 + n);
        let stamp = iso(self.stamp());
        let mut o = content(body);
        o["Catalog"] = json!(cat);
        o["Id"] = json!(id);
        o["Arn"] = json!(format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/opportunity/{id}",
            self.account
        ));
        o["CreatedDate"] = json!(stamp);
        o["LastModifiedDate"] = json!(stamp);
        o["LifeCycle"]["ReviewStatus"] = json!("Pending Submission");
        if let Some(origin) = body.get("Origin") {
            o["Origin"] = origin.clone();
        }
        if let Some(team) = body.get("OpportunityTeam") {
            o["OpportunityTeam"] = team.clone();
        }
        o["RelatedEntityIdentifiers"] =
            json!({"Solutions": [], "AwsProducts": [], "AwsMarketplaceOffers": []});
        let partner_id = o["PartnerOpportunityIdentifier"].clone();
        self.opportunities.insert((cat.to_string(), id.clone()), o);
        self.opportunity_event("Opportunity Created", cat, &id);
        Ok(
            json!({ "Id": id, "PartnerOpportunityIdentifier": partner_id, "LastModifiedDate": stamp }),
        )
    }

    fn update_opportunity(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let id = text(body, "Identifier")?.to_string();
        let sent = text(body, "LastModifiedDate")?;
        let stored = self
            .opportunities
            .get(&(cat.to_string(), id.clone()))
            .cloned()
            .ok_or_else(|| ApiError::not_found("Opportunity", &id))?;
        let same_time = match (
            DateTime::parse_from_rfc3339(sent),
            stored["LastModifiedDate"]
                .as_str()
                .map(DateTime::parse_from_rfc3339),
        ) {
            (Ok(a), Some(Ok(b))) => a == b,
            _ => false,
        };
        if !same_time {
            return Err(ApiError::conflict(format!(
                "Opportunity {id} was modified since {sent}; read it again (GetOpportunity) and retry"
            )));
        }
        let status = stored["LifeCycle"]["ReviewStatus"]
            .as_str()
            .unwrap_or("Pending Submission")
            .to_string();
        let wanted = body["LifeCycle"]["ReviewStatus"].as_str();
        let simulating = cat == "Sandbox" && wanted.is_some_and(|w| w != status);
        let old = content(&stored);
        let new = content(body);
        if !simulating {
            let changed = |paths: &[&[&str]]| -> Vec<String> {
                paths
                    .iter()
                    .filter(|p| path(&old, p) != path(&new, p))
                    .map(|p| p.join("."))
                    .collect()
            };
            let refuse = |fields: Vec<String>, why: &str| {
                ApiError::validation(
                    "BUSINESS_VALIDATION_FAILED",
                    fields
                        .iter()
                        .map(|f| {
                            (
                                Some(f.as_str()),
                                "ACTION_NOT_PERMITTED",
                                format!("{f} cannot be changed {why}"),
                            )
                        })
                        .collect(),
                )
            };
            match status.as_str() {
                "Submitted" | "In review" => {
                    return Err(ApiError::validation(
                        "BUSINESS_VALIDATION_FAILED",
                        vec![(
                            None,
                            "INVALID_RESOURCE_STATE",
                            format!(
                                "Opportunity {id} cannot be updated while its review status is {status}"
                            ),
                        )],
                    ));
                }
                "Action Required" => {
                    let (mut o, mut n) = (old.clone(), new.clone());
                    for p in ACTION_REQUIRED_EDITABLE {
                        remove_path(&mut o, p);
                        remove_path(&mut n, p);
                    }
                    if o != n {
                        let fields: Vec<String> = CONTENT
                            .iter()
                            .filter(|k| o.get(**k) != n.get(**k))
                            .map(|k| k.to_string())
                            .collect();
                        return Err(refuse(fields, "while the review status is Action Required"));
                    }
                }
                "Approved" => {
                    let frozen = changed(&APPROVED_FROZEN);
                    if !frozen.is_empty() {
                        return Err(refuse(frozen, "after approval"));
                    }
                }
                _ => {}
            }
        }
        let stamp = iso(self.stamp());
        let mut o = new;
        for k in [
            "Catalog",
            "Id",
            "Arn",
            "CreatedDate",
            "Origin",
            "OpportunityTeam",
            "RelatedEntityIdentifiers",
        ] {
            if let Some(v) = stored.get(k) {
                o[k] = v.clone();
            }
        }
        for r in REVIEW {
            if let Some(v) = stored["LifeCycle"].get(r) {
                o["LifeCycle"][r] = v.clone();
            }
        }
        if simulating {
            o["LifeCycle"]["ReviewStatus"] = json!(wanted);
            if let Some(c) = body["LifeCycle"].get("ReviewComments") {
                o["LifeCycle"]["ReviewComments"] = c.clone();
            }
        }
        o["LastModifiedDate"] = json!(stamp);
        self.opportunities.insert((cat.to_string(), id.clone()), o);
        self.opportunity_event("Opportunity Updated", cat, &id);
        if simulating {
            self.reviewed(cat, &id, wanted.unwrap_or_default());
        }
        Ok(json!({ "Id": id, "LastModifiedDate": stamp }))
    }

    fn touch(
        &mut self,
        cat: &str,
        id: &str,
        change: impl FnOnce(&mut Value),
    ) -> Result<(), ApiError> {
        let stamp = iso(self.stamp());
        let o = self
            .opportunities
            .get_mut(&(cat.to_string(), id.to_string()))
            .ok_or_else(|| ApiError::not_found("Opportunity", id))?;
        change(o);
        o["LastModifiedDate"] = json!(stamp);
        self.opportunity_event("Opportunity Updated", cat, id);
        Ok(())
    }

    fn associate(&mut self, cat: &str, body: &Value, add: bool) -> Result<Value, ApiError> {
        let id = text(body, "OpportunityIdentifier")?.to_string();
        let kind = text(body, "RelatedEntityType")?.to_string();
        let entity = text(body, "RelatedEntityIdentifier")?.to_string();
        let list_key = match kind.as_str() {
            "Solutions" => "Solutions",
            "AwsProducts" => "AwsProducts",
            "AwsMarketplaceOffers" => "AwsMarketplaceOffers",
            "AwsMarketplaceOfferSets" => "AwsMarketplaceOfferSets",
            "AwsMarketplaceSolutions" => "AwsMarketplaceSolutions",
            "AwsMarketplaceProducts" => "AwsMarketplaceProducts",
            other => {
                return Err(ApiError::validation(
                    "REQUEST_VALIDATION_FAILED",
                    vec![(
                        Some("RelatedEntityType"),
                        "INVALID_ENUM_VALUE",
                        format!("unsupported entity type {other}"),
                    )],
                ));
            }
        };
        if kind == "Solutions"
            && add
            && !self
                .solutions
                .iter()
                .any(|s| s["Id"] == json!(entity) && s["Catalog"] == json!(cat))
        {
            return Err(ApiError::not_found("Solution", &entity));
        }
        self.touch(cat, &id, |o| {
            let list = &mut o["RelatedEntityIdentifiers"][list_key];
            let mut items: Vec<Value> = list.as_array().cloned().unwrap_or_default();
            items.retain(|x| *x != json!(entity));
            if add {
                items.push(json!(entity));
            }
            *list = Value::Array(items);
        })?;
        Ok(json!({}))
    }

    fn submit(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let id = text(body, "Identifier")?.to_string();
        let o = self.get_opportunity(cat, &id)?;
        let status = o["LifeCycle"]["ReviewStatus"].as_str().unwrap_or_default();
        if !matches!(status, "Pending Submission" | "Action Required") {
            return Err(ApiError::conflict(format!(
                "Opportunity {id} is {status}; it cannot be submitted"
            )));
        }
        if o["RelatedEntityIdentifiers"]["Solutions"]
            .as_array()
            .is_none_or(Vec::is_empty)
        {
            return Err(ApiError::validation(
                "BUSINESS_VALIDATION_FAILED",
                vec![(
                    Some("RelatedEntityIdentifiers.Solutions"),
                    "REQUIRED_FIELD_MISSING",
                    "associate at least one solution before submitting".into(),
                )],
            ));
        }
        let mut task = self.start_task(TaskKind::EngagementFromOpportunity, cat);
        task.opportunity_id = Some(id);
        let submission = &body["AwsSubmission"];
        task.submission = Some((
            submission["InvolvementType"]
                .as_str()
                .unwrap_or("Co-Sell")
                .to_string(),
            submission["Visibility"]
                .as_str()
                .unwrap_or("Full")
                .to_string(),
        ));
        let view = task.view();
        self.tasks.push(task);
        Ok(view)
    }

    /// A submission's task finishes: the opportunity is Submitted, AWS gets an engagement and an
    /// invitation, and the events of AWS's scenario table go out.
    fn complete_submit(&mut self, task: &mut Task, involvement: &str, visibility: &str) {
        let cat = task.catalog.clone();
        let Some(id) = task.opportunity_id.clone() else {
            return;
        };
        let origin = self.origin(&cat, &id);
        if self
            .touch(&cat, &id, |o| {
                o["LifeCycle"]["ReviewStatus"] = json!("Submitted")
            })
            .is_err()
        {
            task.status = "FAILED";
            task.reason_code = Some("OpportunityValidationFailed".into());
            task.message = Some(format!("Opportunity {id} no longer exists"));
            return;
        }
        let n = self.id();
        let engagement = format!("eng-{n:014}");
        let invitation = format!("engi-{n:013}");
        self.summaries.insert(
            (cat.clone(), id.clone()),
            json!({ "Catalog": cat, "RelatedOpportunityId": id, "Origin": origin,
                "InvolvementType": involvement, "Visibility": visibility,
                "LifeCycle": { "Stage": "Prospect" } }),
        );
        let arn = format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/engagement/{engagement}",
            self.account
        );
        let invitation_arn = format!(
            "arn:aws:partnercentral:us-east-1::catalog/{cat}/engagement-invitation/{invitation}"
        );
        let now = self.stamp();
        let expires = iso(now + Duration::days(15));
        self.emit("Engagement Created", &cat, vec![arn.clone()], json!({ "engagement": { "engagementArn": arn, "engagementId": engagement, "CreatedAt": iso(now), "CreatedBy": self.account, "ContextTypes": ["CustomerProject"] } }));
        self.snapshot_events(&cat, &engagement, &id, vec!["111122223333".into()]);
        self.emit("Engagement Member Added", &cat, vec![], json!({ "engagement": { "id": engagement }, "engagementMember": { "accountId": self.account, "companyName": "Partner" } }));
        self.emit("Engagement Invitation Created", &cat, vec![invitation_arn.clone()], json!({ "engagementInvitation": {
            "arn": invitation_arn, "id": invitation, "engagementId": engagement, "participantType": "Sender",
            "payloadType": "OpportunityInvitation", "senderAccountId": self.account, "senderCompanyName": "Partner",
            "receiverAccountId": "111122223333", "expirationDate": expires } }));
        let title = self
            .opportunities
            .get(&(cat.clone(), id.clone()))
            .map(|o| o["Project"]["Title"].clone());
        self.sent_invitations.push(json!({ "Catalog": cat, "Arn": invitation_arn, "Id": invitation,
            "EngagementId": engagement, "EngagementTitle": title, "Status": "PENDING",
            "PayloadType": "OpportunityInvitation", "InvitationDate": iso(now), "ExpirationDate": expires,
            "SenderAwsAccountId": self.account, "SenderCompanyName": "Partner",
            "Receiver": { "Account": { "AwsAccountId": "111122223333" } }, "ParticipantType": "SENDER" }));
        task.engagement_id = Some(engagement);
        task.invitation_id = Some(invitation);
        task.status = "COMPLETE";
    }

    fn snapshot_events(&mut self, cat: &str, engagement: &str, id: &str, members: Vec<String>) {
        let snapshot = json!({ "engagementId": engagement, "resourceType": "Opportunity", "resourceId": id,
            "createdBy": self.account, "targetMemberAccounts": members,
            "resourceSnapshotTemplateName": "AWSOpportunitySnapshot" });
        let arn = format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/engagement/{engagement}/resource-snapshot/Opportunity/{id}",
            self.account
        );
        let mut with_arn = snapshot.clone();
        with_arn["arn"] = json!(arn);
        self.emit(
            "Engagement Resource Snapshot Created",
            cat,
            vec![arn.clone()],
            json!({ "resourceSnapshot": with_arn }),
        );
        // In AWS's EventBridge reference without a documented shape: emitted with the same detail.
        self.emit(
            "Resource Snapshot Created",
            cat,
            vec![arn],
            json!({ "resourceSnapshot": snapshot }),
        );
    }

    fn start_task(&mut self, kind: TaskKind, cat: &str) -> Task {
        let n = self.id();
        let account = self.account.clone();
        let now = self.clock.now();
        let mut task = Task::start(kind, cat, &account, n, now, &mut self.task_plan);
        task.caller = self.caller.clone();
        task
    }

    /// A Start…Task's answer, or a retry's with the same ClientToken: the task as it is now.
    fn task_view(&self, started: &Value) -> Value {
        self.tasks
            .iter()
            .find(|t| started["TaskId"] == json!(t.id))
            .map_or_else(|| started.clone(), Task::view)
    }

    fn list_tasks(&self, cat: &str, kind: TaskKind, body: &Value) -> Value {
        let mut all: Vec<Value> = self
            .tasks
            .iter()
            .filter(|t| t.kind == kind && t.catalog == cat && t.listed(body))
            .map(Task::view)
            .collect();
        if body["Sort"]["SortOrder"] == json!("DESCENDING") {
            all.reverse();
        }
        let (items, next) = page(&all, body, 20);
        json!({ "TaskSummaries": items, "NextToken": next })
    }

    /// Finishes every task whose time has come: its planned failure, or its effects.
    pub fn advance(&mut self) {
        self.lapse_invitations();
        let now = Instant::now();
        let due: Vec<usize> = (0..self.tasks.len())
            .filter(|i| self.tasks[*i].status == "IN_PROGRESS" && self.tasks[*i].due <= now)
            .collect();
        for i in due {
            let mut task = self.tasks[i].clone();
            let denied = task
                .kind
                .dependent_actions()
                .iter()
                .find_map(|(op, reason)| {
                    self.may(task.caller.as_deref(), op, &task.catalog)
                        .err()
                        .map(|e| (reason.to_string(), e.message))
                });
            if let Some((reason, message)) = task.planned_failure.take().or(denied) {
                task.status = "FAILED";
                task.reason_code = Some(reason);
                task.message = Some(message);
            } else {
                match task.kind {
                    TaskKind::AcceptInvitation => self.complete_accept(&mut task),
                    TaskKind::OpportunityFromEngagement => self.complete_convert(&mut task),
                    TaskKind::EngagementFromOpportunity => {
                        let (involvement, visibility) = task
                            .submission
                            .clone()
                            .unwrap_or(("Co-Sell".into(), "Full".into()));
                        self.complete_submit(&mut task, &involvement, &visibility)
                    }
                }
            }
            self.tasks[i] = task;
        }
    }

    fn accept(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        let id = text(body, "Identifier")?;
        let id = id.rsplit('/').next().unwrap_or(id).to_string();
        let inv = self
            .invitations
            .get(&(cat.to_string(), id.clone()))
            .ok_or_else(|| ApiError::not_found("Engagement invitation", &id))?;
        if inv.view["Status"] != json!("PENDING") {
            return Err(ApiError::conflict(format!(
                "Engagement invitation {id} is {}",
                inv.view["Status"].as_str().unwrap_or("?")
            )));
        }
        let mut task = self.start_task(TaskKind::AcceptInvitation, cat);
        task.invitation_id = Some(id);
        let view = task.view();
        self.tasks.push(task);
        Ok(view)
    }

    /// An accept's task finishes: the opportunity is created from the invitation, the invitation is
    /// accepted, and the events of AWS's scenario table go out.
    fn complete_accept(&mut self, task: &mut Task) {
        let cat = task.catalog.clone();
        let id = task.invitation_id.clone().unwrap_or_default();
        let key = (cat.clone(), id.clone());
        let Some(inv) = self.invitations.get(&key).cloned() else {
            return;
        };
        if inv.view["PayloadType"] == json!("LeadInvitation") {
            // AWS's lead guide and sample accept a lead with AcceptEngagementInvitation; this task
            // creates an opportunity from an opportunity invitation. The emulator refuses the mix-up
            // (its own reading: AWS does not document this case).
            task.status = "FAILED";
            task.reason_code = Some("InvitationValidationFailed".into());
            task.message = Some(format!(
                "Engagement invitation {id} is a LeadInvitation: accept it with AcceptEngagementInvitation"
            ));
            return;
        }
        if inv.view["Status"] != json!("PENDING") {
            task.status = "FAILED";
            task.reason_code = Some("EngagementInvitationConflict".into());
            task.message = Some(format!(
                "Engagement invitation {id} is {}",
                inv.view["Status"].as_str().unwrap_or("?")
            ));
            return;
        }
        let n = self.id();
        let opp = format!("O{}", 1_000_000 + n);
        let stamp = iso(self.stamp());
        let mut o = content(&inv.opportunity);
        o["Catalog"] = json!(cat);
        o["Id"] = json!(opp);
        o["Arn"] = json!(format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/opportunity/{opp}",
            self.account
        ));
        o["CreatedDate"] = json!(stamp);
        o["LastModifiedDate"] = json!(stamp);
        o["Origin"] = json!("AWS Referral");
        o["LifeCycle"]["ReviewStatus"] = json!("Approved");
        if o["Project"]["Title"].is_null() {
            o["Project"]["Title"] = inv.view["EngagementTitle"].clone();
        }
        o["RelatedEntityIdentifiers"] =
            json!({"Solutions": [], "AwsProducts": [], "AwsMarketplaceOffers": []});
        self.opportunities.insert((cat.clone(), opp.clone()), o);
        self.summaries.insert(
            (cat.clone(), opp.clone()),
            json!({ "Catalog": cat, "RelatedOpportunityId": opp, "Origin": "AWS Referral",
                "InvolvementType": "Co-Sell", "Visibility": "Full",
                "LifeCycle": { "Stage": "Prospect" } }),
        );
        if let Some(i) = self.invitations.get_mut(&key) {
            i.view["Status"] = json!("ACCEPTED");
        }
        let engagement = inv.view["EngagementId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(e) = self.engagements.get_mut(&(cat.clone(), engagement.clone())) {
            e.member = true;
            e.view["MemberCount"] = json!(2);
        }
        self.invitation_event("Engagement Invitation Accepted", &cat, &inv.view);
        self.member_joined(&cat, &engagement);
        self.opportunity_event("Opportunity Created", &cat, &opp);
        self.opportunity_event("Opportunity Updated", &cat, &opp);
        self.snapshot_events(&cat, &engagement, &opp, vec![]);
        task.opportunity_id = Some(opp);
        task.engagement_id = Some(engagement);
        task.status = "COMPLETE";
    }

    /// The partner (or AWS) becomes a member of an engagement: Engagement Member Added (the
    /// developer guide), Engagement Member Joined (the EventBridge reference, shape undocumented: the
    /// same detail) and Engagement Updated.
    fn member_joined(&mut self, cat: &str, engagement: &str) {
        let detail = json!({ "engagement": { "id": engagement }, "engagementMember": { "accountId": self.account, "companyName": "Partner" } });
        self.emit("Engagement Member Added", cat, vec![], detail.clone());
        self.emit("Engagement Member Joined", cat, vec![], detail);
        let arn = format!(
            "arn:aws:partnercentral:us-east-1:{}:catalog/{cat}/engagement/{engagement}",
            self.account
        );
        self.emit("Engagement Updated", cat, vec![arn.clone()], json!({ "engagement": { "engagementArn": arn, "engagementId": engagement, "LastModifiedAt": iso(self.clock.now()), "LastModifiedBy": self.account, "ContextTypes": ["CustomerProject"] } }));
    }

    /// An Engagement Invitation Accepted / Rejected / Expired event for a received invitation (these
    /// have no senderCompanyName or expirationDate, as AWS's examples show).
    fn invitation_event(&mut self, detail_type: &str, cat: &str, view: &Value) {
        let arn = view["Arn"].as_str().unwrap_or_default().to_string();
        self.emit(detail_type, cat, vec![arn.clone()], json!({ "engagementInvitation": { "arn": arn, "id": view["Id"], "engagementId": view["EngagementId"], "participantType": "Receiver", "senderAccountId": view["SenderAwsAccountId"], "receiverAccountId": self.account, "payloadType": view["PayloadType"] } }));
    }

    fn reject(&mut self, cat: &str, body: &Value) -> Result<Value, ApiError> {
        // `RejectionReason` is free text within the model's pattern (checked before this runs).
        let id = text(body, "Identifier")?;
        let id = id.rsplit('/').next().unwrap_or(id).to_string();
        let key = (cat.to_string(), id.clone());
        let inv = self
            .invitations
            .get_mut(&key)
            .ok_or_else(|| ApiError::not_found("Engagement invitation", &id))?;
        if inv.view["Status"] != json!("PENDING") {
            return Err(ApiError::conflict(format!(
                "Engagement invitation {id} is {}",
                inv.view["Status"].as_str().unwrap_or("?")
            )));
        }
        inv.view["Status"] = json!("REJECTED");
        inv.view["RejectionReason"] = body.get("RejectionReason").cloned().unwrap_or(Value::Null);
        let view = inv.view.clone();
        self.invitation_event("Engagement Invitation Rejected", cat, &view);
        Ok(json!({}))
    }

    /// Every pending received invitation whose `ExpirationDate` has come (on the emulator's clock)
    /// lapses, as AWS lets it: `EXPIRED`, with its `Engagement Invitation Expired` event. After it an
    /// accept or a reject is refused as for any invitation no longer pending (`ConflictException`, an
    /// error the model lists for both operations).
    fn lapse_invitations(&mut self) {
        let now = self.clock.now();
        let due: Vec<(String, String)> = self
            .invitations
            .iter()
            .filter(|(_, inv)| {
                inv.view["Status"] == json!("PENDING")
                    && inv.view["ExpirationDate"]
                        .as_str()
                        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
                        .is_some_and(|e| e <= now)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for (cat, id) in due {
            let _ = self.expire(&cat, &id);
        }
    }

    /// AWS lets an invitation lapse (15 days without a decision): emits `Engagement Invitation Expired`.
    pub fn expire(&mut self, cat: &str, id: &str) -> Result<(), ApiError> {
        let inv = self
            .invitations
            .get_mut(&(cat.to_string(), id.to_string()))
            .ok_or_else(|| ApiError::not_found("Engagement invitation", id))?;
        inv.view["Status"] = json!("EXPIRED");
        let view = inv.view.clone();
        self.invitation_event("Engagement Invitation Expired", cat, &view);
        Ok(())
    }
}

/// JSON merge patch (RFC 7386).
fn merge(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Some(t) = target.as_object_mut() {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(&k);
                    } else {
                        merge(t.entry(k).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other,
    }
}
