//! Mutation fuzzing of acebridge's untrusted-input entry points, on the stable toolchain.
//!
//! Each [`Target`] is one way data from outside reaches acebridge (an ACE file, a Partner Central
//! payload or event, an SQS message, a Salesforce or HubSpot call, a signature header, a mapping file, a
//! CRM record). Inputs are the project's own fixtures, mutated two ways:
//! - **structure-aware**: the fixture is parsed as JSON and one node is replaced by a value known to
//!   break parsers (multi-byte characters where dates go, 38-digit and `i64::MAX` numbers, deep nesting,
//!   wrong types, empty and huge strings), or a key is dropped or re-cased;
//! - **byte-level**: bytes flipped, inserted, deleted or duplicated, and such tokens spliced in.
//!
//! A panic is the only failure: every entry point must answer bad input with an error. The harness
//! catches the panic, keeps the input, and `make fuzz` saves it under `tests/fuzz/regressions/`, where
//! the smoke test in `make test` replays it for ever after.

use acebridge_crm::config::{BUILT_IN, DateExpr, MappingConfig};
use acebridge_crm::inbound::{self, HttpCall, Report};
use acebridge_crm::paths::Kind;
use acebridge_crm::signature;
use acebridge_crm::transform;
use acebridge_mapping::ace::{self, AceFile, AceLead, AceOpportunity, AceResultsFile, writer};
use acebridge_mapping::api::{ApiOpportunity, Shape, sdk::SdkOpportunity};
use acebridge_mapping::canonical::Decimal;
use acebridge_mapping::ids::{OpportunityId, PartnerId};
use acebridge_mapping::validate::{self, Context, Format, Intent};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

/// A way untrusted input reaches acebridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// An ACE S3 file (opportunities, leads, results): parse, convert, validate, write back, re-read.
    AceFile,
    /// A Partner Central opportunity payload: parse, convert, validate, SDK values.
    ApiOpportunity,
    /// An EventBridge event from `aws.partnercentral-selling`.
    PartnerCentralEvent,
    /// An SQS message body of the CRM queue (CRM changes and referral decisions).
    CrmQueueMessage,
    /// A Salesforce Event Relay event (CDC or platform event).
    SalesforceEvent,
    /// A Function URL call from HubSpot: the event, the v3 signature check, the webhook body.
    HubSpotCall,
    /// Signature headers: HubSpot v3 and acebridge's webhook signature, with their timestamps.
    Signature,
    /// A mapping configuration file (YAML), then a record through it.
    MappingYaml,
    /// A record as a CRM returns it, through every shipped mapping.
    CrmRecord,
    /// One-line settings and values: date expressions, decimals, ids, rejection reasons, policies.
    Text,
    /// An outcome event of acebridge's bus as the notifier gets it: the notice, rendered for Slack and
    /// Teams.
    OutcomeEvent,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 11] = [
        Target::AceFile,
        Target::ApiOpportunity,
        Target::PartnerCentralEvent,
        Target::CrmQueueMessage,
        Target::SalesforceEvent,
        Target::HubSpotCall,
        Target::Signature,
        Target::MappingYaml,
        Target::CrmRecord,
        Target::Text,
        Target::OutcomeEvent,
    ];

    /// Its name (the prefix of its saved crashes).
    pub fn name(self) -> &'static str {
        match self {
            Target::AceFile => "ace-file",
            Target::ApiOpportunity => "api-opportunity",
            Target::PartnerCentralEvent => "pc-event",
            Target::CrmQueueMessage => "crm-queue",
            Target::SalesforceEvent => "salesforce-event",
            Target::HubSpotCall => "hubspot-call",
            Target::Signature => "signature",
            Target::MappingYaml => "mapping-yaml",
            Target::CrmRecord => "crm-record",
            Target::Text => "text",
            Target::OutcomeEvent => "outcome-event",
        }
    }

    /// The seeds this target's inputs are mutated from.
    pub fn seeds(self) -> Vec<Vec<u8>> {
        let f = |b: &[u8]| b.to_vec();
        match self {
            Target::AceFile => vec![
                f(include_bytes!(
                    "../../fixtures/ace-s3/opportunity/Opportunity-Outbound-Sample.json"
                )),
                f(include_bytes!(
                    "../../fixtures/ace-s3/opportunity/Opportunity-Create-Inbound-Sample.json"
                )),
                f(include_bytes!(
                    "../../fixtures/ace-s3/opportunity/Opportunity-Results_With-Errors-Sample.json"
                )),
                f(include_bytes!(
                    "../../fixtures/ace-s3/lead/Lead-Outbound-Sample.json"
                )),
                f(include_bytes!(
                    "../../fixtures/ace-s3/lead/Lead-Update-Inbound-Sample.json"
                )),
            ],
            Target::ApiOpportunity => vec![
                f(include_bytes!(
                    "../../fixtures/partner-central/requests/update_opportunity.aws-samples.json"
                )),
                f(include_bytes!(
                    "../../fixtures/partner-central/requests/create_opportunity.sandbox.aws-samples.json"
                )),
                f(include_bytes!(
                    "../../fixtures/partner-central/requests/create_opportunity_origin_aws_referral.aws-samples.json"
                )),
            ],
            Target::PartnerCentralEvent => vec![
                f(include_bytes!(
                    "../../fixtures/partner-central/events/opportunity_updated.clean.json"
                )),
                f(include_bytes!(
                    "../../fixtures/partner-central/events/engagement_invitation_created.clean.json"
                )),
                f(include_bytes!(
                    "../../fixtures/partner-central/events/engagement_invitation_accepted.clean.json"
                )),
                f(include_bytes!(
                    "../../fixtures/partner-central/events/engagement_updated.docs.json"
                )),
            ],
            Target::OutcomeEvent => vec![
                br#"{"version":"0","id":"o1","detail-type":"ACE Sync Failed","source":"acebridge","account":"123456789012","time":"2026-11-30T10:00:00Z","region":"us-east-1","resources":[],"detail":{"crmId":"006A","aceId":"O1234567","channel":"api","errors":["Customer.Account.WebsiteUrl: must be a valid URL (INVALID_STRING_FORMAT)"]}}"#.to_vec(),
                br#"{"version":"0","id":"o2","detail-type":"Referral Received","source":"acebridge","account":"123456789012","time":"2026-11-30T10:00:00Z","region":"us-east-1","resources":[],"detail":{"invitationId":"engi-0000000000001","title":"Data lake <b>","expiresAt":"2026-12-07T00:00:00Z","policyDecision":"manual"}}"#.to_vec(),
                br#"{"version":"0","id":"o3","detail-type":"CRM Change Not Sent","source":"acebridge","account":"123456789012","time":"2026-11-30T10:00:00Z","region":"us-east-1","resources":[],"detail":{"crm":"salesforce","crmIds":["006A","006B"],"reason":"INVALID_FIELD"}}"#.to_vec(),
            ],
            Target::CrmQueueMessage => vec![
                br#"{"version":"0","id":"e1","detail-type":"CRM Opportunity Changed","source":"acebridge.crm","account":"123456789012","time":"2026-11-30T10:00:00Z","region":"us-east-1","resources":[],"detail":{"crm":"salesforce","crmId":"006000000000001","changedAt":"2026-11-30T10:00:00Z","record":{"partnerCrmUniqueIdentifier":"006000000000001","project":{"title":"Migration"},"lifeCycle":{"targetCloseDate":"2026-12-31"}}}}"#.to_vec(),
                br#"{"version":"0","id":"e2","detail-type":"CRM Referral Decision","source":"acebridge.crm","account":"123456789012","time":"2026-11-30T10:00:00Z","region":"us-east-1","resources":[],"detail":{"invitationId":"engi-0000000000001","catalog":"Sandbox","decision":"reject","reason":"Customer not interested"}}"#.to_vec(),
            ],
            Target::SalesforceEvent => vec![
                f(include_bytes!(
                    "../../fixtures/crm/salesforce/opportunity-change-event.eventbridge.json"
                )),
                f(include_bytes!(
                    "../../fixtures/crm/salesforce/platform-event.eventbridge.json"
                )),
            ],
            Target::HubSpotCall => vec![signed_hubspot_call()],
            Target::Signature => vec![
                signature_seed(
                    "hubspot",
                    &signature::hubspot_v3_sign(
                        SECRET,
                        "POST",
                        "https://x.lambda-url.us-east-1.on.aws/",
                        b"[]",
                        &now().timestamp_millis().to_string(),
                    ),
                ),
                signature_seed(
                    "webhook",
                    &signature::webhook_sign(SECRET, now().timestamp(), b"[]"),
                ),
            ],
            Target::MappingYaml => BUILT_IN.iter().map(|(_, y)| f(y.as_bytes())).collect(),
            Target::CrmRecord => vec![
                br#"{"Id":"006000000000001","Name":"Migration","CloseDate":"2026-12-31","Amount":12500,"StageName":"Prospecting","Description":"x","LastModifiedDate":"2026-11-30T10:00:00.000+0000","ACE_Opportunity_Id__c":"O1234567"}"#.to_vec(),
                br#"{"id":"901","properties":{"dealname":"Migration","closedate":"2026-12-31T00:00:00Z","amount":"12500","dealstage":"appointmentscheduled","description":"x","hs_lastmodifieddate":"2026-11-30T10:00:00Z","ace_opportunity_id":"O1234567"}}"#.to_vec(),
            ],
            Target::Text => [
                "today+5d",
                "today-2w",
                "12500.50",
                "1e38",
                "O1234567",
                "1234567890",
                "Customer not interested",
                "accept",
                "Sandbox",
            ]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect(),
        }
    }

    /// Feeds one input to the target. Errors are the expected answer to bad input; only a panic fails.
    pub fn run(self, input: &[u8]) {
        match self {
            Target::AceFile => ace_file(input),
            Target::ApiOpportunity => api_opportunity(input),
            Target::PartnerCentralEvent => {
                if let Ok(e) = serde_json::from_slice::<EventBridgeEvent<Value>>(input) {
                    let _ = acebridge_sync::pc_events::parse(&e);
                }
            }
            Target::OutcomeEvent => {
                if let Ok(v) = serde_json::from_slice::<Value>(input) {
                    let now = acebridge_clock::TestClock::suite().now();
                    if let Ok(Some(n)) = acebridge_notify::outcomes::notice_for(
                        &v,
                        Some("http://127.0.0.1:8421"),
                        None,
                        now,
                    ) {
                        let _ = acebridge_notify::slack::notice(&n, Some("U1"));
                        let _ = acebridge_notify::teams::notice(&n, Some("a@b.example"));
                    }
                }
            }
            Target::CrmQueueMessage => {
                if let Ok(s) = std::str::from_utf8(input) {
                    let _ = acebridge_sync::crm_side::crm_queue::parse(s);
                }
            }
            Target::SalesforceEvent => {
                if let Ok(v) = serde_json::from_slice::<Value>(input)
                    && let Some(m) = mapping("salesforce-standard")
                {
                    let _ = inbound::salesforce_changes(
                        &v,
                        m,
                        Some("005000000000001AAA"),
                        &mut Report::default(),
                    );
                }
            }
            Target::HubSpotCall => hubspot_call(input),
            Target::Signature => signatures(input),
            Target::MappingYaml => mapping_yaml(input),
            Target::CrmRecord => {
                if let Ok(v) = serde_json::from_slice::<Value>(input) {
                    for m in BUILT_IN.iter().filter_map(|(name, _)| mapping(name)) {
                        crm_record(m, &v);
                    }
                }
            }
            Target::Text => text(&String::from_utf8_lossy(input)),
        }
    }
}

const SECRET: &[u8] = b"fuzz-client-secret";

/// The fixed clock of every run (signatures are made and checked against it).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn mapping(name: &str) -> Option<&'static MappingConfig> {
    static CONFIGS: OnceLock<Vec<(String, MappingConfig)>> = OnceLock::new();
    let configs = CONFIGS.get_or_init(|| {
        BUILT_IN
            .iter()
            .filter_map(|(n, y)| MappingConfig::parse(n, y).ok().map(|c| (n.to_string(), c)))
            .collect()
    });
    configs.iter().find(|(n, _)| n == name).map(|(_, c)| c)
}

fn ace_file(input: &[u8]) {
    let Ok(file) = ace::parse(input) else { return };
    let partner = PartnerId::parse("1234567890").ok();
    match file {
        AceFile::Opportunities(f) => {
            let mut back = vec![];
            for r in f.canonical() {
                let Ok(o) = r.record else { continue };
                for format in [Format::Ace, Format::Api] {
                    let ctx = Context {
                        today: today(),
                        intent: Intent::of(&o),
                        current: Some(&o),
                        consulting_partner: true,
                    };
                    let _ = validate::opportunity(&o, format, &ctx);
                }
                let _ = ApiOpportunity::from_canonical(&o, Shape::Update).to_canonical();
                back.push(AceOpportunity::from_canonical(&o));
            }
            if let Some(p) = &partner
                && let Ok(files) = writer::opportunity_files(&back, p, "fuzz", now())
            {
                for file in files {
                    let _ = ace::parse(&file.body);
                }
            }
        }
        AceFile::Leads(f) => {
            let mut back = vec![];
            for r in f.canonical() {
                let Ok(l) = r.record else { continue };
                let _ = validate::lead(&l);
                back.push(AceLead::from_canonical(&l));
            }
            if let Some(p) = &partner
                && let Ok(files) = writer::lead_files(&back, p, "fuzz", now())
            {
                for file in files {
                    let _ = ace::parse(&file.body);
                }
            }
        }
        AceFile::Results(r) => {
            let _ = serde_json::to_vec(&AceResultsFile::from_canonical(&r.to_canonical()));
        }
    }
}

fn api_opportunity(input: &[u8]) {
    let Ok(api) = serde_json::from_slice::<ApiOpportunity>(input) else {
        return;
    };
    let _ = SdkOpportunity::from_api(&api);
    let Ok(o) = api.to_canonical() else { return };
    let ctx = Context {
        today: today(),
        intent: Intent::of(&o),
        current: None,
        consulting_partner: false,
    };
    let _ = validate::opportunity(&o, Format::Api, &ctx);
    let _ = AceOpportunity::from_canonical(&o).to_canonical();
    for shape in [Shape::Create, Shape::Update] {
        let back = ApiOpportunity::from_canonical(&o, shape);
        let _ = SdkOpportunity::from_api(&back);
    }
}

fn signed_hubspot_call() -> Vec<u8> {
    let body = include_str!("../../fixtures/crm/hubspot/deal-webhook.body.json");
    let template = include_str!("../../fixtures/crm/hubspot/function-url.template.json");
    let ts = now().timestamp_millis().to_string();
    let Ok(mut event) = serde_json::from_str::<Value>(template) else {
        return vec![];
    };
    let uri = "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/";
    let sig = signature::hubspot_v3_sign(SECRET, "POST", uri, body.as_bytes(), &ts);
    if let Some(h) = event.get_mut("headers").and_then(Value::as_object_mut) {
        h.insert("x-hubspot-request-timestamp".into(), Value::String(ts));
        h.insert("x-hubspot-signature-v3".into(), Value::String(sig));
    }
    event["body"] = Value::String(body.to_string());
    serde_json::to_vec(&event).unwrap_or_default()
}

fn hubspot_call(input: &[u8]) {
    let Ok(event) = serde_json::from_slice::<Value>(input) else {
        return;
    };
    let Ok(call) = HttpCall::from_function_url(&event) else {
        return;
    };
    let _ = call.verify_hubspot(SECRET, now());
    if let Some(m) = mapping("hubspot-deals") {
        let _ = inbound::hubspot_changes(&call.body, m, Some("123"), &mut Report::default());
    }
}

/// `kind\nmethod\nuri\ntimestamp\nsignature\nbody`.
fn signature_seed(kind: &str, sig: &str) -> Vec<u8> {
    let ts = if kind == "hubspot" {
        now().timestamp_millis()
    } else {
        now().timestamp()
    };
    format!("{kind}\nPOST\nhttps://x.lambda-url.us-east-1.on.aws/\n{ts}\n{sig}\n[]").into_bytes()
}

fn signatures(input: &[u8]) {
    let mut parts = input.splitn(6, |b| *b == b'\n');
    let mut next = || parts.next().map(String::from_utf8_lossy);
    let (Some(_kind), Some(method), Some(uri), Some(ts), Some(sig)) =
        (next(), next(), next(), next(), next())
    else {
        return;
    };
    let body = next().map(|b| b.into_owned()).unwrap_or_default();
    let _ = signature::hubspot_v3_verify(
        SECRET,
        &method,
        &uri,
        body.as_bytes(),
        Some(&ts),
        Some(&sig),
        now(),
    );
    let _ = signature::webhook_verify(SECRET, Some(&ts), Some(&sig), body.as_bytes(), now());
}

fn mapping_yaml(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(config) = MappingConfig::parse("fuzz.yaml", text) else {
        return;
    };
    for seed in Target::CrmRecord.seeds() {
        if let Ok(v) = serde_json::from_slice::<Value>(&seed) {
            crm_record(&config, &v);
        }
    }
}

fn crm_record(config: &MappingConfig, record: &Value) {
    let record = match record.get("properties") {
        Some(p) if p.is_object() => p,
        _ => record,
    };
    for kind in [Kind::Opportunity, Kind::Lead, Kind::Referral] {
        let Some(map) = config.object(kind) else {
            continue;
        };
        let canonical = transform::to_canonical(map, record, "fuzz-1", today());
        let _ = transform::wants_submit(map, record);
        let _ = transform::to_crm(map, &canonical, &transform::SyncFields::default());
        let mut filled = record.clone();
        transform::fill_fallbacks(map, &mut filled, today());
    }
}

fn text(s: &str) {
    let _ = DateExpr::parse(s).map(|d| d.on(today()));
    let _ = Decimal::parse(s);
    let _ = Decimal::from_json_number(s);
    let _ = OpportunityId::parse(s);
    let _ = PartnerId::parse(s);
    let _ = acebridge_mapping::ids::Catalog::parse(s);
    let _ = acebridge_sync::model::policy::RejectionReason::parse(s);
    let _ = acebridge_sync::model::policy::InvitationPolicy::parse(s, Some(s));
    let _ = acebridge_sync::model::policy::InvitationPolicy::parse("rules", Some(s));
    let _ = acebridge_mapping::quoted(s).to_string();
    let _ = acebridge_mapping::capped(s);
}

// ---- mutation --------------------------------------------------------------------------------------

/// A small, seedable pseudo-random generator (SplitMix64): runs are reproducible from their seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// From a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Strings known to break parsers: multi-byte characters where dates and units go, overflowing
/// numbers, control characters, exponent forms, empty and huge.
fn nasty_strings(rng: &mut Rng) -> String {
    const NASTY: &[&str] = &[
        "",
        " ",
        "🇺",
        "2026-12-🇺31",
        "today+5é",
        "today+9223372036854775807w",
        "today-9223372036854775808d",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551616",
        "1e38",
        "1e-400",
        "NaN",
        "-0",
        "\u{0}",
        "\u{feff}",
        "é",
        "\\",
        "%",
        "%zz",
        "%e9",
        "null",
        "2026-02-30",
        "2026-12-31T25:61:61Z",
        "+275760-09-13",
        "O",
        "O12345678901234567890",
        "engi-",
        "Other",
        "Closed Lost",
        "v1=",
        "v1,",
        "sha256=",
    ];
    match rng.below(8) {
        0 => "é".repeat(rng.below(5000)),
        1 => "x".repeat(rng.below(300_000)),
        _ => NASTY[rng.below(NASTY.len())].to_string(),
    }
}

fn nasty_value(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 1),
        2 => serde_json::json!(i64::MAX),
        3 => serde_json::json!(i64::MIN),
        4 => serde_json::json!(u64::MAX),
        5 => serde_json::json!(1e38),
        6 => serde_json::json!(-0.000001),
        7 => Value::Array(vec![]),
        8 => Value::Object(Map::new()),
        9 => {
            let mut v = Value::String(nasty_strings(rng));
            for _ in 0..rng.below(140) {
                v = Value::Array(vec![v]);
            }
            v
        }
        _ => Value::String(nasty_strings(rng)),
    }
}

/// Replaces, drops or re-cases one node of a JSON value, chosen uniformly among all nodes.
fn mutate_json(rng: &mut Rng, v: &mut Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(m) => m.values().map(count).sum(),
            _ => 0,
        }
    }
    fn visit(rng: &mut Rng, v: &mut Value, target: &mut usize) -> bool {
        if *target == 0 {
            match rng.below(10) {
                0 => {
                    // A string holding JSON of its own (HubSpot and Function URL bodies) is mutated inside.
                    if let Value::String(s) = v
                        && let Ok(mut inner) = serde_json::from_str::<Value>(s)
                    {
                        mutate_json(rng, &mut inner);
                        *s = inner.to_string();
                        return true;
                    }
                    *v = nasty_value(rng);
                }
                1 if v.is_object() => {
                    if let Value::Object(m) = v {
                        let keys: Vec<String> = m.keys().cloned().collect();
                        if !keys.is_empty() {
                            let k = keys[rng.below(keys.len())].clone();
                            let x = m.remove(&k).unwrap_or(Value::Null);
                            if rng.below(2) == 0 {
                                m.insert(k.to_uppercase(), x);
                            }
                        }
                    }
                }
                2 if v.is_array() => {
                    if let Value::Array(a) = v
                        && let Some(first) = a.first().cloned()
                    {
                        for _ in 0..rng.below(60) {
                            a.push(first.clone());
                        }
                    }
                }
                _ => *v = nasty_value(rng),
            }
            return true;
        }
        *target -= 1;
        match v {
            Value::Array(a) => a.iter_mut().any(|x| visit(rng, x, target)),
            Value::Object(m) => m.values_mut().any(|x| visit(rng, x, target)),
            _ => false,
        }
    }
    let mut target = rng.below(count(v));
    visit(rng, v, &mut target);
}

/// Flips, inserts, deletes or duplicates bytes, or splices in a nasty token.
fn mutate_bytes(rng: &mut Rng, b: &mut Vec<u8>) {
    let at = rng.below(b.len() + 1);
    match rng.below(6) {
        0 if at < b.len() => b[at] ^= 1 << rng.below(8),
        1 => b.insert(at, (rng.next_u64() & 0xff) as u8),
        2 if at < b.len() => {
            let end = (at + 1 + rng.below(16)).min(b.len());
            b.drain(at..end);
        }
        3 if at < b.len() => {
            let end = (at + 1 + rng.below(32)).min(b.len());
            let chunk = b[at..end].to_vec();
            b.splice(at..at, chunk);
        }
        _ => {
            let token = nasty_strings(rng);
            let token = &token.as_bytes()[..token.len().min(64)];
            b.splice(at..at, token.iter().copied());
        }
    }
}

/// One input mutated from a seed: one to four mutations, structure-aware when the seed is JSON.
pub fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let rounds = 1 + rng.below(4);
    if rng.below(3) != 0
        && let Ok(mut v) = serde_json::from_slice::<Value>(seed)
    {
        for _ in 0..rounds {
            mutate_json(rng, &mut v);
        }
        return serde_json::to_vec(&v).unwrap_or_default();
    }
    let mut b = seed.to_vec();
    for _ in 0..rounds {
        mutate_bytes(rng, &mut b);
    }
    b
}

/// A caught panic: the input that caused it and the panic's message.
#[derive(Debug, Clone)]
pub struct Crash {
    /// The target.
    pub target: Target,
    /// The input.
    pub input: Vec<u8>,
    /// The panic message.
    pub message: String,
}

/// Runs one input, catching a panic.
pub fn try_run(target: Target, input: &[u8]) -> Result<(), Crash> {
    catch_unwind(AssertUnwindSafe(|| target.run(input))).map_err(|p| Crash {
        target,
        input: input.to_vec(),
        message: p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".to_string()),
    })
}

/// What a campaign did.
#[derive(Debug, Default)]
pub struct Campaign {
    /// Inputs run, per target.
    pub inputs: Vec<(Target, usize)>,
    /// Panics caught.
    pub crashes: Vec<Crash>,
}

impl Campaign {
    /// All inputs run.
    pub fn total(&self) -> usize {
        self.inputs.iter().map(|(_, n)| n).sum()
    }
}

/// `per_target` mutated inputs for each target, from `seed`. The panic hook is silenced for the run
/// (a caught panic is reported in the result, not on stderr).
pub fn campaign(per_target: usize, seed: u64) -> Campaign {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut out = Campaign::default();
    let mut rng = Rng::new(seed);
    for target in Target::ALL {
        let seeds = target.seeds();
        for seed in &seeds {
            if let Err(c) = try_run(target, seed) {
                out.crashes.push(c);
            }
        }
        for _ in 0..per_target {
            let pick = rng.below(seeds.len());
            let input = mutate(&mut rng, &seeds[pick]);
            if let Err(c) = try_run(target, &input) {
                out.crashes.push(c);
            }
        }
        out.inputs.push((target, per_target + seeds.len()));
    }
    std::panic::set_hook(hook);
    out
}
