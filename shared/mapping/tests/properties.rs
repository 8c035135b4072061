//! Property tests: canonical → ACE v2 → canonical and canonical → API → canonical are identity.
//!
//! Records are generated as ACE JSON (random subsets of every field, values from AWS's standard-value
//! tables or random text, nulls, masks) and read into canonical form: that is exactly the set of canonical
//! records ACE can carry. For the API, fields only ACE has are then removed (owner, AWS team, acceptance,
//! lead id, …) and no masks are generated: the records the API can carry.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use acebridge_mapping::ace::{AceOpportunity, record_to_json};
use acebridge_mapping::api::{ApiOpportunity, Shape};
use acebridge_mapping::canonical::{Audit, AwsView, Person};
use acebridge_mapping::{Field, Opportunity, data};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const ALIASES: &[&str] = &[
    "isOppFromMarketingActivity",
    "doesOppBelongToNatsec",
    "awsStage",
    "awsCloseDate",
    "awsClosedLostReason",
    "cosellConvertReason ",
];
const MULTI: &[&str] = &[
    "deliveryModel",
    "salesActivities",
    "partnerPrimaryNeedFromAws",
    "marketingActivityChannel",
    "marketingActivityUsecase",
    "campaignName",
];
const ACE_ONLY: &[&str] = &[
    "opportunityOwnerEmail",
    "opportunityOwnerName",
    "acceptBy",
    "partnerAcceptanceStatus",
    "rejectionReason",
    "apnCrmLeadUniqueIdentifier",
    "cosellConvertReason",
    "backwardsCompatibilityChanges",
    "opportunityOwnership",
];

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 .,/&-]{0,24}".prop_map(|s| s.trim_end().to_string())
}

fn standard(key: &str) -> Vec<String> {
    data::opportunity_values(key)
        .map(|s| {
            s.iter()
                .filter(|v| *v != "Great Britain")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn value_for(key: &'static str, api: bool) -> BoxedStrategy<Value> {
    let std_values = standard(key);
    let std_values: Vec<String> = if api {
        std_values
            .into_iter()
            .filter(|v| !v.starts_with("Do Not Need"))
            .collect()
    } else {
        std_values
    };
    let pick = move || -> BoxedStrategy<String> {
        if std_values.is_empty() {
            text().boxed()
        } else {
            prop_oneof![4 => proptest::sample::select(std_values.clone()), 1 => text()].boxed()
        }
    };
    let v: BoxedStrategy<Value> = match key {
        "expectedMonthlyAwsRevenue" | "customerSoftwareValue" => prop_oneof![
            (0u32..5_000_000).prop_map(|n| json!(n)),
            (0u32..5_000_000).prop_map(|n| json!(n as f64 + 0.5)),
            (0u32..5_000).prop_map(|n| json!(n as f64)),
        ]
        .boxed(),
        "solutionOffered" | "awsProducts" | "offers" => proptest::collection::vec(text(), 0..4)
            .prop_map(|v| json!(v))
            .boxed(),
        "targetCloseDate" | "aWSCloseDate" | "contractStartDate" | "contractEndDate" => {
            (2020i32..2035, 1u32..13, 1u32..29)
                .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")))
                .boxed()
        }
        "acceptBy" | "createdDate" | "lastModifiedDate" => (
            2020i32..2035,
            1u32..13,
            1u32..29,
            0u32..24,
            0u32..60,
            0u32..1000,
        )
            .prop_map(|(y, mo, d, h, mi, ms)| {
                json!(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:07.{ms:03}Z"))
            })
            .boxed(),
        "apnCrmUniqueIdentifier" => (1u64..10_000_000_000)
            .prop_map(|n| json!(format!("O{n}")))
            .boxed(),
        // Standard names, or unknown names that are not ISO codes (an ISO code is read as the country).
        "country" => prop_oneof![4 => proptest::sample::select(standard("country")), 1 => text().prop_map(|t| format!("Land of {t}"))]
            .prop_map(Value::String).boxed(),
        "partnerCrmUniqueIdentifier" => "[A-Za-z0-9-]{1,30}".prop_map(|s| json!(s)).boxed(),
        k if MULTI.contains(&k) => proptest::collection::vec(pick(), 0..4)
            .prop_map(|v| {
                json!(
                    v.iter()
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(";")
                )
            })
            .boxed(),
        _ => pick().prop_map(Value::String).boxed(),
    };
    let masks_allowed = !matches!(
        key,
        "expectedMonthlyAwsRevenue"
            | "customerSoftwareValue"
            | "solutionOffered"
            | "awsProducts"
            | "offers"
    );
    if api || !masks_allowed {
        prop_oneof![1 => Just(Value::Null), 6 => v].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 1 => Just(json!("Accept to View")), 6 => v].boxed()
    }
}

fn ace_record(api: bool) -> impl Strategy<Value = Value> {
    let keys: Vec<&'static str> = AceOpportunity::KEYS
        .iter()
        .copied()
        .filter(|k| !ALIASES.contains(k))
        .filter(|k| !api || !ACE_ONLY.contains(k))
        .collect();
    let fields: Vec<_> = keys
        .into_iter()
        .map(|k| proptest::option::of(value_for(k, api)).prop_map(move |v| (k, v)))
        .collect();
    fields.prop_map(|pairs| {
        let mut m = Map::new();
        for (k, v) in pairs {
            if let Some(v) = v {
                m.insert(k.to_string(), v);
            }
        }
        Value::Object(m)
    })
}

fn to_canonical(v: Value) -> Opportunity {
    let rec: AceOpportunity = serde_json::from_value(v).expect("generated record parses");
    rec.to_canonical().expect("generated record converts")
}

/// Removes what only ACE carries (the API has no field for it).
fn api_subset(mut o: Opportunity) -> Opportunity {
    o.aws = AwsView::default();
    o.owner = Person::default();
    o.audit = Audit {
        created_at: o.audit.created_at,
        last_modified_at: o.audit.last_modified_at,
        ..Audit::default()
    };
    o.life_cycle.accept_by = Field::Absent;
    o.life_cycle.acceptance_status = Field::Absent;
    o.life_cycle.rejection_reason = Field::Absent;
    o
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn canonical_to_ace_to_canonical_is_identity(v in ace_record(false)) {
        let o = to_canonical(v);
        let ace = record_to_json(&AceOpportunity::from_canonical(&o));
        let back = to_canonical(ace);
        prop_assert_eq!(back, o);
    }

    #[test]
    fn canonical_to_api_to_canonical_is_identity(v in ace_record(true)) {
        let o = api_subset(to_canonical(v));
        let api = serde_json::to_value(ApiOpportunity::from_canonical(&o, Shape::Get)).unwrap();
        let parsed: ApiOpportunity = serde_json::from_value(api).unwrap();
        let back = parsed.to_canonical().unwrap();
        prop_assert_eq!(back, o);
    }
}
