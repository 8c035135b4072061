//! The ACE bucket scanner on the local stack: real S3 adapters against moto.
#![allow(clippy::unwrap_used)]

mod common;

use acebridge_sync::ports::store::{ObjectStore, list_all};
use acebridge_sync::s3_exchange::scanner::{self, Landed, OUTBOUND_PREFIXES, ScanConfig};
use common::stack;
use futures_util::stream::{self, StreamExt};

async fn fill(bucket: &impl ObjectStore, keys: &[String]) {
    stream::iter(keys)
        .for_each_concurrent(32, |k| async move {
            let body = format!("{{\"version\":\"2.0\",\"opportunities\":[],\"key\":\"{k}\"}}");
            bucket
                .put(k, body.into_bytes(), Default::default())
                .await
                .unwrap();
        })
        .await;
}

async fn versions(s3: &aws_sdk_s3::Client, bucket: &str) -> usize {
    let mut n = 0;
    let mut key_marker = None;
    let mut version_marker = None;
    loop {
        let out = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
            .unwrap();
        n += out.versions().len();
        if out.is_truncated() != Some(true) {
            return n;
        }
        key_marker = out.next_key_marker().map(str::to_string);
        version_marker = out.next_version_id_marker().map(str::to_string);
    }
}

#[tokio::test]
async fn twelve_hundred_objects_over_several_list_pages_all_land_and_leave_the_ace_bucket() {
    let s = stack().await;
    // 1,050 in one folder: more than one ListObjectsV2 page of 1,000.
    let mut keys: Vec<String> = (0..1050)
        .map(|i| format!("opportunity-outbound/opp_{i:05}.json"))
        .collect();
    for prefix in &OUTBOUND_PREFIXES[1..] {
        keys.extend((0..50).map(|i| format!("{prefix}file_{i:03}.json")));
    }
    assert_eq!(keys.len(), 1200);
    fill(&s.ace, &keys).await;
    // Something outside the outbound folders stays where it is.
    s.ace
        .put(
            "opportunity-inbound/ours.json",
            b"{}".to_vec(),
            Default::default(),
        )
        .await
        .unwrap();

    let report = scanner::scan(
        &s.ace,
        &s.landing,
        &ScanConfig::new(acebridge_clock::TestClock::suite().clock()),
        || true,
    )
    .await;
    assert_eq!(report.moved, 1200, "{report:?}");
    assert!(report.failed.is_empty() && !report.stopped_early);

    let mut landed: Vec<String> = list_all(&s.landing, "")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    landed.sort();
    keys.sort();
    assert_eq!(landed, keys);
    let left: Vec<String> = list_all(&s.ace, "")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(left, vec!["opportunity-inbound/ours.json"]);
    // Each landed copy is the original, byte for byte, with its checksum recorded.
    let copy = s
        .landing
        .get("lead-outbound/file_007.json")
        .await
        .unwrap()
        .unwrap();
    assert!(
        String::from_utf8(copy.body)
            .unwrap()
            .contains("lead-outbound/file_007.json")
    );
    assert_eq!(
        copy.head.metadata[scanner::META_SOURCE_BUCKET],
        s.ace.bucket()
    );
    assert_eq!(copy.head.metadata[scanner::META_SHA256].len(), 64);
}

#[tokio::test]
async fn a_crash_between_copy_and_delete_then_a_rerun_leaves_exactly_one_copy_and_loses_nothing() {
    let s = stack().await;
    let keys: Vec<String> = (0..20)
        .map(|i| format!("lead-outbound/lead_{i:02}.json"))
        .collect();
    fill(&s.ace, &keys).await;
    // The first run copies (and checks) every object, then dies before deleting any.
    for info in list_all(&s.ace, "lead-outbound/").await.unwrap() {
        assert_eq!(
            scanner::land(
                &s.ace,
                &s.landing,
                &info,
                acebridge_clock::TestClock::suite().now()
            )
            .await
            .unwrap(),
            Landed::Copied
        );
    }
    assert_eq!(list_all(&s.ace, "").await.unwrap().len(), 20);

    let report = scanner::scan(
        &s.ace,
        &s.landing,
        &ScanConfig::new(acebridge_clock::TestClock::suite().clock()),
        || true,
    )
    .await;
    assert_eq!((report.moved, report.already_landed), (0, 20), "{report:?}");
    assert!(list_all(&s.ace, "").await.unwrap().is_empty());
    assert_eq!(list_all(&s.landing, "").await.unwrap().len(), 20);
    // Exactly one version of each: the rerun wrote nothing again (no second ObjectCreated).
    assert_eq!(versions(&s.s3, s.landing.bucket()).await, 20);
}

#[tokio::test]
async fn a_changed_object_under_a_landed_key_is_copied_again() {
    let s = stack().await;
    s.ace
        .put(
            "opportunity-outbound/a.json",
            b"{\"v\":1}".to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    let info = list_all(&s.ace, "opportunity-outbound/")
        .await
        .unwrap()
        .remove(0);
    scanner::land(
        &s.ace,
        &s.landing,
        &info,
        acebridge_clock::TestClock::suite().now(),
    )
    .await
    .unwrap();
    // AWS writes new content under the same name before the original was deleted.
    s.ace
        .put(
            "opportunity-outbound/a.json",
            b"{\"v\":22}".to_vec(),
            Default::default(),
        )
        .await
        .unwrap();
    let report = scanner::scan(
        &s.ace,
        &s.landing,
        &ScanConfig::new(acebridge_clock::TestClock::suite().clock()),
        || true,
    )
    .await;
    assert_eq!(report.moved, 1);
    let copy = s
        .landing
        .get("opportunity-outbound/a.json")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(copy.body, b"{\"v\":22}");
    assert_eq!(
        versions(&s.s3, s.landing.bucket()).await,
        2,
        "the landing bucket keeps both"
    );
}

#[tokio::test]
async fn near_the_deadline_the_scan_stops_between_objects_and_the_next_run_takes_the_rest() {
    let s = stack().await;
    let keys: Vec<String> = (0..30)
        .map(|i| format!("opportunity-outbound/o_{i:02}.json"))
        .collect();
    fill(&s.ace, &keys).await;
    let mut budget = 10;
    let config = ScanConfig {
        concurrency: 2,
        ..ScanConfig::new(acebridge_clock::TestClock::suite().clock())
    };
    let first = scanner::scan(&s.ace, &s.landing, &config, || {
        budget -= 1;
        budget >= 0
    })
    .await;
    assert!(first.stopped_early);
    assert_eq!(first.moved, 10);
    assert_eq!(list_all(&s.ace, "").await.unwrap().len(), 20);
    let second = scanner::scan(&s.ace, &s.landing, &config, || true).await;
    assert_eq!(second.moved, 20);
    assert_eq!(list_all(&s.landing, "").await.unwrap().len(), 30);
    assert_eq!(versions(&s.s3, s.landing.bucket()).await, 30);
}
