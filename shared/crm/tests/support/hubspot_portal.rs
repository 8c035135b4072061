//! A local HubSpot portal that answers CRM objects v3 batch reads of deals and companies and the v4
//! deal → company association batch read for any ids, as HubSpot's published schemas shape them
//! (`BatchResponseSimplePublicObject`, `BatchResponsePublicAssociationMultiWithLabel`), each answer after
//! `latency`. Deal `N`'s company is `7N`. Shared by the inbound tests and `make bench-inbound`.

use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Deal `id` as the shipped `hubspot-deals` mapping reads it.
pub fn deal(id: &str) -> Value {
    json!({"id": id, "properties": {"dealname": format!("Deal {id}"), "dealstage": "qualifiedtobuy",
           "amount": "1500", "closedate": "2027-03-01T00:00:00Z", "submit_to_aws": "false"},
           "createdAt": "2026-11-01T10:00:00Z", "updatedAt": "2026-11-30T10:00:00Z", "archived": false})
}

/// Company `id`.
pub fn company(id: &str) -> Value {
    json!({"id": id, "properties": {"name": format!("Company {id}"), "domain": "example.com", "country": "US"},
           "createdAt": "2026-11-01T10:00:00Z", "updatedAt": "2026-11-30T10:00:00Z", "archived": false})
}

fn ids_of(r: &Request) -> Vec<String> {
    let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
    body["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str().map(String::from))
        .collect()
}

/// Which batch read an answer is for.
#[derive(Clone, Copy)]
enum Read {
    Deals,
    Associations,
    Companies,
}

struct Batch(Read, Duration);

impl Respond for Batch {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let results: Vec<Value> = ids_of(r)
            .iter()
            .map(|id| match self.0 {
                Read::Deals => deal(id),
                Read::Companies => company(id),
                Read::Associations => json!({"from": {"id": id},
                    "to": [{"toObjectId": format!("7{id}"), "associationTypes": []}]}),
            })
            .collect();
        ResponseTemplate::new(200)
            .set_delay(self.1)
            .set_body_json(json!({
            "status": "COMPLETE", "startedAt": "2026-11-30T10:00:00Z",
            "completedAt": "2026-11-30T10:00:01Z", "results": results}))
    }
}

/// Mounts the three batch reads on `server`, each answering after `latency`.
pub async fn mount(server: &MockServer, latency: Duration) {
    for (p, read) in [
        ("/crm/v3/objects/deals/batch/read", Read::Deals),
        (
            "/crm/v4/associations/deals/companies/batch/read",
            Read::Associations,
        ),
        ("/crm/v3/objects/companies/batch/read", Read::Companies),
    ] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(Batch(read, latency))
            .mount(server)
            .await;
    }
}
