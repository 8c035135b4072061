//! crm-inbound at scale: 1,000 HubSpot webhook events (10 signed calls of 100, as HubSpot batches them)
//! for 1,000 deals with companies, against a local HubSpot that takes 150 ms per call, the mirror and the
//! bus on moto. Measured in one run: the batch reads acebridge does now, and (on 100 events, to keep the
//! run short) one read per deal and per company as before, so the ratio is per event.
//! Needs moto: `make bench-inbound` starts it.
#![allow(clippy::unwrap_used)]

#[path = "../tests/support/hubspot_portal.rs"]
mod hubspot_portal;
#[path = "../tests/support/work_queue.rs"]
mod work_queue;

use acebridge_crm::config::MappingConfig;
use acebridge_crm::http::{HttpClient, RetryPolicy};
use acebridge_crm::hubspot::Hubspot;
use acebridge_crm::inbound::{self, Inbound};
use acebridge_crm::mirror::MirroredCrm;
use acebridge_crm::paths::Kind;
use acebridge_crm::remote::{Push, Pushed, RemoteCrm};
use acebridge_sync::PortError;
use acebridge_sync::adapters::dynamodb::DynamoCrmStore;
use acebridge_sync::adapters::eventbridge::EventBus;
use acebridge_sync::local;
use base64::Engine;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const LATENCY: Duration = Duration::from_millis(150);
const SECRET: &[u8] = b"hs-client-secret";

struct OneDeal;
impl Respond for OneDeal {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let id = r.url.path().rsplit('/').next().unwrap_or_default();
        let mut d = hubspot_portal::deal(id);
        d["associations"] = json!({"companies": {"results": [{"id": format!("7{id}"), "type": "deal_to_company"}]}});
        ResponseTemplate::new(200)
            .set_delay(LATENCY)
            .set_body_json(d)
    }
}
struct OneCompany;
impl Respond for OneCompany {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let id = r.url.path().rsplit('/').next().unwrap_or_default();
        ResponseTemplate::new(200)
            .set_delay(LATENCY)
            .set_body_json(hubspot_portal::company(id))
    }
}

/// HubSpot as before this change: one GET per deal and per company, one after the other.
struct OneByOne(Hubspot);
impl RemoteCrm for OneByOne {
    fn maps(&self, kind: Kind) -> bool {
        self.0.maps(kind)
    }
    async fn push(&self, push: &Push<'_>) -> Result<Pushed, PortError> {
        self.0.push(push).await
    }
    async fn push_many(
        &self,
        pushes: &[Push<'_>],
    ) -> Result<Vec<Result<Pushed, PortError>>, PortError> {
        self.0.push_many(pushes).await
    }
    async fn fetch(&self, kind: Kind, id: &str) -> Result<Option<Value>, PortError> {
        self.0.fetch(kind, id).await
    }
    async fn fetch_many(
        &self,
        kind: Kind,
        ids: &[String],
    ) -> Result<Vec<Option<Value>>, PortError> {
        let mut out = Vec::new();
        for id in ids {
            out.push(self.0.fetch(kind, id).await?);
        }
        Ok(out)
    }
}

/// AWS's bus measured apart: moto's EventBridge routes each entry to SQS in one thread (hundreds of ms
/// per PutEvents), where the service answers in tens of milliseconds. Counts what it is given.
#[derive(Default)]
struct Counted(std::sync::atomic::AtomicUsize);
impl inbound::ChangeSink for Counted {
    async fn send(
        &self,
        changes: &[acebridge_sync::crm_side::outbound::OpportunityChanged],
    ) -> Result<(), PortError> {
        self.0
            .fetch_add(changes.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    async fn leads(
        &self,
        changes: &[acebridge_sync::partner_central::engagements::LeadChanged],
    ) -> Result<(), PortError> {
        self.0
            .fetch_add(changes.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    async fn decide(
        &self,
        decisions: &[acebridge_sync::crm_side::outbound::ReferralDecision],
    ) -> Result<(), PortError> {
        self.0
            .fetch_add(decisions.len(), std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
    async fn not_sent(&self, _: &str, _: &[String], _: &str) -> Result<(), PortError> {
        Ok(())
    }
}

/// A Function URL call from HubSpot naming `deals`, signed as HubSpot documents (v3).
fn call(deals: &[String], now_ms: i64) -> Value {
    use hmac::{KeyInit, Mac};
    let events: Vec<Value> = deals
        .iter()
        .enumerate()
        .map(|(i, id)| json!({"eventId": i, "subscriptionType": "deal.propertyChange", "objectId": id.parse::<u64>().unwrap(),
                              "propertyName": "dealstage", "sourceId": "userId:1", "occurredAt": now_ms}))
        .collect();
    let body = serde_json::to_string(&events).unwrap();
    let uri = "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/";
    let ts = now_ms.to_string();
    let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET).unwrap();
    m.update(format!("POST{uri}{body}{ts}").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes());
    let mut event: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/crm/hubspot/function-url.template.json"
    ))
    .unwrap();
    event["headers"]["x-hubspot-request-timestamp"] = json!(ts);
    event["headers"]["x-hubspot-signature-v3"] = json!(sig);
    event["body"] = json!(body);
    event
}

/// 10 calls of 100 events (deal ids from `first`): the time in all, the slowest call, the changes sent.
async fn ten_calls<R: RemoteCrm, C: acebridge_sync::ports::crm::Crm, S: inbound::ChangeSink>(
    cx: &Inbound<'_, R, C, S>,
    first: u64,
) -> (Duration, Duration, usize) {
    let (mut total, mut worst, mut sent) = (Duration::ZERO, Duration::ZERO, 0);
    for c in 0..10u64 {
        let deals: Vec<String> = (0..100)
            .map(|i| (first + c * 100 + i).to_string())
            .collect();
        let now = acebridge_clock::TestClock::suite().now();
        let started = Instant::now();
        let answer = inbound::handle(cx, &call(&deals, now.timestamp_millis()), now)
            .await
            .unwrap();
        let took = started.elapsed();
        assert_eq!(answer["statusCode"], 200, "{answer}");
        let report: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        sent += report["sent"].as_u64().unwrap() as usize;
        total += took;
        worst = worst.max(took);
    }
    (total, worst, sent)
}

#[tokio::main]
async fn main() {
    let server = MockServer::start().await;
    hubspot_portal::mount(&server, LATENCY).await;
    Mock::given(method("GET"))
        .and(path_regex("^/crm/v3/objects/deals/[0-9]+$"))
        .respond_with(OneDeal)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/crm/v3/objects/companies/[0-9]+$"))
        .respond_with(OneCompany)
        .mount(&server)
        .await;

    let sdk = local::sdk_config("us-east-1").await;
    let stamp = std::process::id();
    let (ledger, crm) = (
        format!("bench-in-ledger-{stamp}"),
        format!("bench-in-crm-{stamp}"),
    );
    local::init(
        &format!("bench-in-ace-{stamp}"),
        &format!("bench-in-landing-{stamp}"),
        &ledger,
        &crm,
        "us-east-1",
    )
    .await
    .expect("moto must be running: make bench-inbound");
    let bus_name = format!("bench-in-bus-{stamp}");
    let queue = local::route_to_queue(&sdk, &bus_name, "acebridge.crm", "bench")
        .await
        .unwrap();
    let store = DynamoCrmStore::new(aws_sdk_dynamodb::Client::new(&sdk), crm);
    let bus = EventBus::new(aws_sdk_eventbridge::Client::new(&sdk), bus_name);
    let secret =
        json!({"kind": "hubspot", "access_token": "pat-na1-bench", "base_url": server.uri()})
            .to_string();
    let acebridge_crm::secrets::CrmSecret::Hubspot(secret) =
        acebridge_crm::secrets::CrmSecret::parse(&secret).unwrap()
    else {
        panic!("hubspot secret")
    };
    let mapping = MappingConfig::load("hubspot-deals").unwrap();
    let hs = Hubspot::new(
        HttpClient::new(
            "hubspot",
            RetryPolicy::default(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap(),
        &secret,
        mapping.clone(),
    );
    let mirror = MirroredCrm::<Hubspot>::new(store.clone(), None);

    // crm-inbound for the bench's HubSpot app, reading through `remote`, sending to `sink`.
    fn app<'a, R, S>(
        remote: &'a R,
        mapping: &'a MappingConfig,
        mirror: &'a MirroredCrm<Hubspot>,
        sink: &'a S,
    ) -> Inbound<'a, R, MirroredCrm<Hubspot>, S> {
        Inbound {
            remote,
            mapping,
            mirror,
            sink,
            hubspot_client_secret: Some(SECRET),
            hubspot_app_id: Some("54321"),
            salesforce_user_id: None,
            replay: None,
            queue: None,
        }
    }
    // Batch reads: 1,000 events in 10 calls of 100.
    let cx = app(&hs, &mapping, &mirror, &bus);
    let (batch_total, batch_worst, sent) = ten_calls(&cx, 100_000).await;
    // The same reads and mirror lookups without the bus (its share measured apart).
    let counted = Counted::default();
    let cx_no_bus = app(&hs, &mapping, &mirror, &counted);
    let (nobus_total, nobus_worst, _) = ten_calls(&cx_no_bus, 300_000).await;
    // As deployed: each call answered once verified and queued; the queue drained as Lambda's SQS event
    // source delivers it (ten messages an invocation), with the reads and the bus as in the first row.
    let first_rows_sent = local::drain_queue(&sdk, &queue).await.unwrap().len();
    let (work, work_url) = work_queue::create(&sdk, &format!("bench-in-work-{stamp}")).await;
    let cx_queued = Inbound {
        queue: Some(&work),
        ..cx
    };
    let (ack_total, ack_worst, _) = ten_calls(&cx_queued, 500_000).await;
    let started = Instant::now();
    let mut invocations = 0;
    while let Some((event, receipts)) = work_queue::receive(&sdk, &work_url).await {
        // The function's 60 s timeout less the default 15 s margin: what is not started by then waits for
        // the next invocation.
        let stop = Instant::now() + Duration::from_secs(45);
        let answer = inbound::handle_until(
            &cx_queued,
            &event,
            acebridge_clock::TestClock::suite().now(),
            &mut || Instant::now() < stop,
        )
        .await
        .unwrap();
        assert_eq!(
            work_queue::ack(&sdk, &work_url, &receipts, &answer).await,
            0
        );
        invocations += 1;
    }
    let finish = started.elapsed();
    let queued_sent = local::drain_queue(&sdk, &queue).await.unwrap().len();
    // One read per deal and per company (before): 100 events in one call.
    let one_by_one = OneByOne(Hubspot::new(
        HttpClient::new(
            "hubspot",
            RetryPolicy::default(),
            acebridge_clock::TestClock::suite().clock(),
        )
        .unwrap(),
        &secret,
        mapping.clone(),
    ));
    let cx_old = app(&one_by_one, &mapping, &mirror, &bus);
    let deals: Vec<String> = (0..100u64).map(|i| (200_000 + i).to_string()).collect();
    let now = acebridge_clock::TestClock::suite().now();
    let started = Instant::now();
    let answer = inbound::handle(&cx_old, &call(&deals, now.timestamp_millis()), now)
        .await
        .unwrap();
    let old = started.elapsed();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let delivered = local::drain_queue(&sdk, &queue).await.unwrap().len();

    let per_event_new = batch_total.as_secs_f64() / 1000.0;
    let per_event_old = old.as_secs_f64() / 100.0;
    println!(
        "crm-inbound, HubSpot at {} ms per call:",
        LATENCY.as_millis()
    );
    println!(
        "  batch reads: 1,000 events in 10 calls: {:.2} s in all, slowest call {:.2} s, {sent} changes sent",
        batch_total.as_secs_f64(),
        batch_worst.as_secs_f64()
    );
    println!(
        "  batch reads, bus apart: 1,000 events in 10 calls: {:.2} s in all, slowest call {:.2} s ({} changes)",
        nobus_total.as_secs_f64(),
        nobus_worst.as_secs_f64(),
        counted.0.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!(
        "  answered once queued: 10 calls of 100 answered in {:.3} s in all, slowest answer {:.3} s; \
         the queue finished in {invocations} invocations, {:.2} s, {queued_sent} changes sent",
        ack_total.as_secs_f64(),
        ack_worst.as_secs_f64(),
        finish.as_secs_f64()
    );
    println!(
        "  one read per deal and company (before): 100 events in one call: {:.2} s ({:.0} s for 1,000)",
        old.as_secs_f64(),
        per_event_old * 1000.0
    );
    println!(
        "  per event: {:.1} ms vs {:.1} ms: {:.1}x faster",
        per_event_new * 1e3,
        per_event_old * 1e3,
        per_event_old / per_event_new
    );
    println!("  events on the bus: {first_rows_sent} (first row), {delivered} (last row)");
}
