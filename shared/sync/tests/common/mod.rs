//! The local stack for the S3-channel tests: moto (started by `make test` / `make local-up`) reached
//! over HTTP by the real SDK clients. Every test gets its own buckets and tables.
#![allow(dead_code, clippy::unwrap_used)]

use acebridge_mapping::Catalog;
use acebridge_sync::adapters::config::s3_client;
use acebridge_sync::adapters::dynamodb::{DynamoCrmStore, DynamoLedger};
use acebridge_sync::adapters::s3::S3Bucket;
use acebridge_sync::local;
use acebridge_sync::model::record::RecordKind;
use acebridge_sync::ports::crm::{Crm, CrmRecord};
use acebridge_sync::s3_exchange::ingest::{self, FileOutcome, IngestConfig};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Stack {
    pub outcomes: acebridge_sync::adapters::eventbridge::EventBus,
    pub outcome_queue: String,
    pub sdk: aws_config::SdkConfig,
    pub ace: S3Bucket,
    pub landing: S3Bucket,
    pub ledger: DynamoLedger,
    pub crm: DynamoCrmStore,
    pub config: IngestConfig,
    pub s3: aws_sdk_s3::Client,
    pub ledger_table: String,
    pub crm_table: String,
}

/// The CRM record of an AWS id (it must exist).
pub async fn record(crm: &DynamoCrmStore, kind: RecordKind, ace_id: &str) -> CrmRecord {
    crm.find_by_ace_id(kind, ace_id).await.unwrap().unwrap()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    // A random number (std's per-process hash seed), not the time: names need no clock.
    let t = {
        use std::hash::{BuildHasher, Hasher};
        std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish()
            % 1_000_000_000_000
    };
    format!("{prefix}-{t}-{n}-{}", std::process::id())
}

pub async fn stack() -> Stack {
    let ace_name = unique("ace-apn-1588143-beta-us-west-2");
    let landing_name = unique("landing");
    let ledger_table = unique("ledger");
    let crm_table = unique("crm");
    local::init(
        &ace_name,
        &landing_name,
        &ledger_table,
        &crm_table,
        "us-east-1",
    )
    .await
    .expect("the local stack (moto) must be running: make local-up");
    let west = local::sdk_config("us-west-2").await;
    let east = local::sdk_config("us-east-1").await;
    let ddb = aws_sdk_dynamodb::Client::new(&east);
    let bus = unique("acebridge-bus");
    let outcome_queue = local::create_outcome_bus(&east, &bus).await.unwrap();
    Stack {
        outcomes: acebridge_sync::adapters::eventbridge::EventBus::new(
            aws_sdk_eventbridge::Client::new(&east),
            bus,
        ),
        outcome_queue,
        sdk: east.clone(),
        ace: S3Bucket::new(s3_client(&west), ace_name),
        landing: S3Bucket::new(s3_client(&east), landing_name),
        ledger: DynamoLedger::new(ddb.clone(), ledger_table.clone()),
        crm: DynamoCrmStore::new(ddb, crm_table.clone()),
        config: IngestConfig::new(
            Catalog::Sandbox,
            acebridge_clock::TestClock::suite().clock(),
        ),
        s3: s3_client(&east),
        ledger_table,
        crm_table,
    }
}

impl Stack {
    /// Puts a file in the landing bucket (as the scanner would) and runs the ingest on S3's event for it,
    /// through the same event parsing the function uses.
    pub async fn land_and_ingest(&self, key: &str, body: &[u8]) -> FileOutcome {
        let etag = self.put_landing(key, body).await;
        self.ingest_event(&[(key, &etag, body.len() as u64)])
            .await
            .pop()
            .unwrap()
    }

    pub async fn put_landing(&self, key: &str, body: &[u8]) -> String {
        use acebridge_sync::ports::store::ObjectStore;
        self.landing
            .put(key, body.to_vec(), Default::default())
            .await
            .unwrap()
            .etag
    }

    /// Delivers one S3 event naming `objects` to the ingest logic.
    pub async fn ingest_event(&self, objects: &[(&str, &str, u64)]) -> Vec<FileOutcome> {
        use acebridge_sync::ports::store::ObjectStore;
        let json = local::s3_event(self.landing.bucket(), objects);
        let event: aws_lambda_events::s3::S3Event = serde_json::from_value(json).unwrap();
        let mut out = Vec::new();
        for n in ingest::notified_objects(&event) {
            out.push(
                ingest::ingest_file(
                    &self.landing,
                    &self.ledger,
                    &self.crm,
                    &self.outcomes,
                    &self.config,
                    &n.key,
                    n.etag.as_deref(),
                )
                .await
                .unwrap(),
            );
        }
        out
    }

    /// The CRM record of an AWS id (it must exist).
    pub async fn record(&self, kind: RecordKind, ace_id: &str) -> CrmRecord {
        record(&self.crm, kind, ace_id).await
    }

    /// Every outcome event published since the last call.
    pub async fn published(&self) -> Vec<serde_json::Value> {
        local::drain_queue(&self.sdk, &self.outcome_queue)
            .await
            .unwrap()
    }

    /// The CRM record of a CRM id (it must exist).
    pub async fn by_crm_id(&self, crm_id: &str) -> CrmRecord {
        self.crm
            .get(RecordKind::Opportunity, crm_id)
            .await
            .unwrap()
            .unwrap()
    }

    pub async fn landing_keys(&self, prefix: &str) -> Vec<String> {
        acebridge_sync::ports::store::list_all(&self.landing, prefix)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect()
    }

    pub async fn landing_json(&self, key: &str) -> serde_json::Value {
        use acebridge_sync::ports::store::ObjectStore;
        let o = self
            .landing
            .get(key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {key}"));
        serde_json::from_slice(&o.body).unwrap()
    }
}

/// The AWS sample outbound opportunity, as a JSON value to vary.
pub fn sample_opportunity() -> serde_json::Value {
    let file: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json"
    ))
    .unwrap();
    file["opportunities"][0].clone()
}

/// The AWS sample outbound lead file, its lead given AWS's id `ace_id` and no partner CRM id (an AWS
/// lead not yet in the CRM), as a JSON value to vary (`file["leads"][0]`).
#[allow(dead_code)]
pub fn sample_lead_file(ace_id: &str) -> serde_json::Value {
    let mut file: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/ace-s3/lead/Lead-Outbound-Sample.json"
    ))
    .unwrap();
    let l = &mut file["leads"][0];
    l["apnCrmUniqueIdentifier"] = serde_json::json!(ace_id);
    l.as_object_mut().unwrap().remove("partnerCrmLeadId");
    file
}

/// An outbound opportunity file of `records`.
pub fn opportunity_file(records: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": "2.0", "spmsId": "1588143", "opportunities": records
    }))
    .unwrap()
}

// ------------------------------------------------------------------ Partner Central channel

use acebridge_pc_emulator::Emulator;
use acebridge_sync::adapters::partner_central::SdkPartnerCentral;
use acebridge_sync::model::policy::InvitationPolicy;
use acebridge_sync::pc_events::{self, Context};
use aws_lambda_events::eventbridge::EventBridgeEvent;

pub struct PcStack {
    /// The IAM gate the function's AWS calls pass.
    pub gate: acebridge_pc_emulator::iam_gate::Gate,
    pub outcomes: acebridge_sync::adapters::eventbridge::EventBus,
    pub sdk: aws_config::SdkConfig,
    ledger_table: String,
    /// The CRM store's table (`crm` is its adapter).
    pub crm_table: String,
    /// An SQS queue subscribed to every outcome event on the bus.
    pub outcome_queue: String,
    pub emulator: Emulator,
    pub pc: SdkPartnerCentral,
    pub ledger: DynamoLedger,
    pub crm: DynamoCrmStore,
    pub policy: InvitationPolicy,
    /// The lead invitation policy (manual unless a test sets it).
    pub lead_policy: InvitationPolicy,
    /// How many emulator events were delivered already.
    pub delivered: usize,
    /// The one clock of acebridge's side and the emulator's (the suite's, unless the test made its own).
    pub clock: acebridge_clock::TestClock,
}

#[allow(unused_imports)]
pub use acebridge_pc_emulator::roles::{
    CRM_SECRET_ARN, refused, rendered_roles, role_policies, signing_as, through_gate,
};

impl Drop for PcStack {
    /// Every test on this stack also proves the function's role: a call the role refused fails the
    /// test even where the flow tolerated the error (a CRM write that failed is only recorded).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let refused = refused(&self.gate);
            assert!(refused.is_empty(), "the role refused: {refused:?}");
        }
    }
}

/// The events function's stack: its Partner Central calls are made under its role.
pub async fn pc_stack(policy: InvitationPolicy) -> PcStack {
    pc_stack_as("partner-central-events", policy).await
}

/// A stack whose Partner Central client signs as `function` (the access key id the emulator knows it
/// by), and the emulator enforces that function's role from the template: a call the role does not
/// allow fails with AccessDeniedException naming the function and the action.
pub async fn pc_stack_as(function: &str, policy: InvitationPolicy) -> PcStack {
    pc_stack_on(function, policy, acebridge_clock::TestClock::suite()).await
}

/// [`pc_stack_as`] on a clock the test moves: acebridge's side and the emulator read the same time.
pub async fn pc_stack_on(
    function: &str,
    policy: InvitationPolicy,
    clock: acebridge_clock::TestClock,
) -> PcStack {
    let emulator = Emulator::start_on("127.0.0.1:0", &clock).await.unwrap();
    emulator.allow(function, &role_policies(function)).unwrap();
    let sdk = local::sdk_config("us-east-1").await;
    let as_function = signing_as(&sdk, function);
    // Named as CloudFormation names the template's tables (`<stack>-<LogicalId>-<random>`), so the
    // role's resources match them as they would in AWS.
    let ledger_table = unique("pc-LedgerTable");
    let crm_table = unique("pc-CrmStoreTable");
    let setup = aws_sdk_dynamodb::Client::new(&sdk);
    acebridge_sync::adapters::dynamodb::ensure_tables(&setup, &ledger_table, &crm_table)
        .await
        .expect("the local stack (moto) must be running: make local-up");
    let bus = unique("acebridge-bus");
    let outcome_queue = local::create_outcome_bus(&sdk, &bus).await.unwrap();
    // The function's own calls (ledger, CRM store, outcome events) go through the IAM gate under its role.
    let (gate, gated) = through_gate(&sdk, function, &role_policies(function)).await;
    let ddb = aws_sdk_dynamodb::Client::new(&gated);
    PcStack {
        gate,
        outcomes: acebridge_sync::adapters::eventbridge::EventBus::new(
            aws_sdk_eventbridge::Client::new(&gated),
            bus,
        ),
        sdk: sdk.clone(),
        outcome_queue,
        pc: SdkPartnerCentral::new(&as_function, Some(&emulator.url())),
        emulator,
        ledger: DynamoLedger::new(ddb.clone(), ledger_table.clone()),
        ledger_table,
        crm: DynamoCrmStore::new(ddb, crm_table.clone()),
        crm_table,
        policy,
        lead_policy: InvitationPolicy::Manual,
        delivered: 0,
        clock,
    }
}

/// A `CRM Opportunity Changed` event as a CRM integration puts it on acebridge's bus (schema:
/// docs/crm-events.md), with the EventBridge envelope: event `id`, bus `time` (RFC 3339), and the detail's
/// `crmId` and `opportunity`.
pub fn crm_opportunity_changed(
    id: &str,
    time: &str,
    crm_id: &str,
    opportunity: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "version": "0", "id": id, "detail-type": "CRM Opportunity Changed", "source": "acebridge.crm",
        "account": "123456789012", "time": time, "region": "us-east-1", "resources": [],
        "detail": { "crmId": crm_id, "opportunity": opportunity }
    })
}

/// A partner opportunity in the API's shape (the aws-samples Sandbox create request).
pub fn api_opportunity(title: &str) -> serde_json::Value {
    let mut o: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/partner-central/requests/create_opportunity.sandbox.aws-samples.json"
    ))
    .unwrap();
    o.as_object_mut().unwrap().remove("ClientToken");
    o["Project"]["Title"] = serde_json::json!(title);
    o
}

/// The CRM's opportunity in canonical form (the aws-samples create request, through the mapping).
pub fn crm_opportunity(title: &str) -> serde_json::Value {
    let api: acebridge_mapping::api::ApiOpportunity =
        serde_json::from_value(api_opportunity(title)).unwrap();
    serde_json::to_value(api.to_canonical().unwrap()).unwrap()
}

/// A CRM change to push, offering the solution `outbound_stack` seeds.
pub fn opportunity_change(
    crm_id: &str,
    opportunity: serde_json::Value,
) -> acebridge_sync::crm_side::outbound::OpportunityChanged {
    acebridge_sync::crm_side::outbound::OpportunityChanged {
        crm_id: crm_id.to_string(),
        opportunity,
        solutions: vec!["S-1234567".into()],
        aws_products: vec![],
        marketplace: Default::default(),
        submit: None,
    }
}

/// The stack crm-outbound runs on, with the solution `S-1234567` in the emulator.
pub async fn outbound_stack() -> PcStack {
    let s = pc_stack_as("crm-outbound", InvitationPolicy::Manual).await;
    s.emulator
        .state()
        .seed(&serde_json::json!({ "solutions": [{ "Catalog": "Sandbox", "Id": "S-1234567", "Name": "Test",
            "Status": "Active", "Category": "Software Product", "CreatedDate": "2024-01-01T00:00:00.000Z" }] }))
        .unwrap();
    s
}

/// AWS refers an opportunity: the invitation and what an accept creates.
pub fn referral(title: &str, country: &str, monthly: &str) -> serde_json::Value {
    let mut opportunity = api_opportunity(title);
    opportunity["Customer"]["Account"]["Address"]["CountryCode"] = serde_json::json!(country);
    serde_json::json!({
        "Catalog": "Sandbox",
        "Invitation": { "Payload": { "OpportunityInvitation": {
            "ReceiverResponsibilities": ["Co-Sell Facilitator"],
            "Customer": { "CompanyName": "Example Corp", "CountryCode": country,
                          "Industry": "Software and Internet", "WebsiteUrl": "https://example.com" },
            "Project": { "Title": title, "BusinessProblem": "Needs a partner to migrate 40 workloads",
                         "TargetCompletionDate": "2027-03-31",
                         "ExpectedCustomerSpend": [{ "Amount": monthly, "CurrencyCode": "USD",
                             "Frequency": "Monthly", "TargetCompany": "AWS" }] } } } },
        "Opportunity": opportunity,
    })
}

impl PcStack {
    /// The CRM holds `opportunity` as `crm_id` (so outcomes can be shown on it).
    pub async fn in_crm(&self, crm_id: &str, opportunity: &serde_json::Value) {
        let mut o = opportunity.clone();
        o["crm_id"] = serde_json::json!(crm_id);
        let record =
            acebridge_sync::model::record::SyncRecord::from_json(RecordKind::Opportunity, &o)
                .unwrap();
        self.crm
            .upsert(Catalog::Sandbox, &record, Some(crm_id), self.clock.now())
            .await
            .unwrap();
    }

    /// The ledger entry of the Sandbox opportunity `id`.
    pub async fn opportunity_entry(&self, id: &str) -> acebridge_sync::ports::ledger::LedgerEntry {
        use acebridge_sync::ports::ledger::{Ledger, RecordKey};
        self.ledger
            .get(&RecordKey::ace(
                RecordKind::Opportunity,
                Catalog::Sandbox,
                id,
            ))
            .await
            .unwrap()
            .unwrap()
    }

    pub fn cx(
        &self,
    ) -> Context<
        '_,
        SdkPartnerCentral,
        DynamoLedger,
        DynamoCrmStore,
        acebridge_sync::adapters::eventbridge::EventBus,
    > {
        Context {
            pc: &self.pc,
            ledger: &self.ledger,
            crm: &self.crm,
            policy: &self.policy,
            lead_policy: &self.lead_policy,
            catalog: Catalog::Sandbox,
            outcomes: &self.outcomes,
            expiring_within: chrono::Duration::hours(48),
            budget: None,
            refresh: None,
            clock: self.clock.clock(),
        }
    }

    /// A reconcile of the Sandbox catalog with all the time it needs.
    pub async fn reconcile(&self) -> acebridge_sync::partner_central::ReconcileReport {
        self.reconcile_with(&self.pc).await
    }

    /// [`Self::reconcile`] through the Partner Central client `pc` (e.g. another function's role).
    pub async fn reconcile_with(
        &self,
        pc: &SdkPartnerCentral,
    ) -> acebridge_sync::partner_central::ReconcileReport {
        acebridge_sync::partner_central::reconcile(
            pc,
            &self.ledger,
            &self.crm,
            Catalog::Sandbox,
            || true,
            &self.clock.clock(),
        )
        .await
        .unwrap()
    }

    /// AWS changes the stage of each of `ids` (an `Opportunity Updated` each, not yet delivered).
    pub fn aws_stage(&self, ids: &[&str], stage: &str) {
        for id in ids {
            self.emulator
                .state()
                .aws_update(
                    "Sandbox",
                    id,
                    &serde_json::json!({ "LifeCycle": { "Stage": stage } }),
                )
                .unwrap();
        }
    }

    /// crm-outbound's context on this stack (API channel, Sandbox).
    pub fn outbound_cx(
        &self,
    ) -> acebridge_sync::crm_side::crm_queue::Context<
        '_,
        SdkPartnerCentral,
        DynamoLedger,
        DynamoCrmStore,
        S3Bucket,
        acebridge_sync::adapters::eventbridge::EventBus,
    > {
        self.outbound_cx_as(&self.pc)
    }

    /// A Partner Central client on this stack's emulator signing as `function`, whose role from the
    /// template the emulator now enforces too.
    pub fn pc_as(&self, function: &str) -> SdkPartnerCentral {
        self.emulator
            .allow(function, &role_policies(function))
            .unwrap();
        SdkPartnerCentral::new(&signing_as(&self.sdk, function), Some(&self.emulator.url()))
    }

    /// crm-outbound's context with the Partner Central client `pc` (e.g. [`PcStack::pc_as`]).
    pub fn outbound_cx_as<'a>(
        &'a self,
        pc: &'a SdkPartnerCentral,
    ) -> acebridge_sync::crm_side::crm_queue::Context<
        'a,
        SdkPartnerCentral,
        DynamoLedger,
        DynamoCrmStore,
        S3Bucket,
        acebridge_sync::adapters::eventbridge::EventBus,
    > {
        acebridge_sync::crm_side::crm_queue::Context {
            pc,
            ledger: &self.ledger,
            crm: &self.crm,
            ace: None,
            partner: None,
            catalog: Catalog::Sandbox,
            channel: acebridge_sync::crm_side::crm_queue::Channel::Api,
            outcomes: &self.outcomes,
            clock: self.clock.clock(),
        }
    }

    /// Every outcome event published since the last call (the bus → rule → SQS copy).
    pub async fn published(&self) -> Vec<serde_json::Value> {
        local::drain_queue(&self.sdk, &self.outcome_queue)
            .await
            .unwrap()
    }

    /// Handles one event as the function does.
    pub async fn handle(&self, event: &serde_json::Value) -> serde_json::Value {
        let e: EventBridgeEvent<serde_json::Value> = serde_json::from_value(event.clone()).unwrap();
        pc_events::handle(&self.cx(), &e, || true).await.unwrap()
    }

    /// Delivers every event the emulator emitted since the last call (EventBridge's part).
    pub async fn deliver(&mut self) -> Vec<serde_json::Value> {
        let events = self.emulator.events();
        let mut out = Vec::new();
        for e in &events[self.delivered..] {
            out.push(self.handle(e).await);
        }
        self.delivered = events.len();
        out
    }

    /// Marks the emulator's events so far as delivered (or dropped) without handling them.
    pub fn skip_events(&mut self) {
        self.delivered = self.emulator.events().len();
    }

    pub fn seed(&self, opportunities: Vec<serde_json::Value>) {
        self.emulator
            .state()
            .seed(&serde_json::json!({ "opportunities": opportunities }))
            .unwrap();
    }

    /// AWS sends an invitation; its id.
    pub fn invite(&self, spec: &serde_json::Value) -> String {
        self.emulator.state().invite(spec).unwrap()
    }

    /// The CRM record of an AWS id (it must exist).
    pub async fn record(&self, kind: RecordKind, ace_id: &str) -> CrmRecord {
        record(&self.crm, kind, ace_id).await
    }

    /// The ledger's table name.
    pub fn ledger_table(&self) -> String {
        self.ledger_table.clone()
    }

    /// The emulator's tasks take 400 ms (acebridge sees them IN_PROGRESS first), and the next ones end
    /// FAILED with these (reason code, message).
    pub fn slow_tasks(&self, failures: &[(&str, &str)]) {
        let mut st = self.emulator.state();
        st.task_plan.delay_ms = 400;
        for (reason, message) in failures {
            st.task_plan
                .failures
                .push_back((reason.to_string(), message.to_string()));
        }
    }

    /// AWS moves an opportunity's stage in Partner Central (Opportunity Updated), delivered.
    pub async fn aws_moves_stage(&mut self, opportunity: &str, stage: &str) {
        self.emulator
            .state()
            .aws_update(
                "Sandbox",
                opportunity,
                &serde_json::json!({ "LifeCycle": { "Stage": stage } }),
            )
            .unwrap();
        self.deliver().await;
    }

    pub fn calls(&self) -> u64 {
        self.emulator.state().stats.calls.values().sum()
    }

    /// The emulator's calls of these operations, together.
    pub fn calls_of(&self, operations: &[&str]) -> u64 {
        self.emulator.state().stats.of(operations)
    }
}
