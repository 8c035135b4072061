//! Signatures: HubSpot v3 (what HubSpot sends) and acebridge's webhook (what we send), each checked
//! against an independent HMAC-SHA256 and refused when tampered with or stale.

mod common;

use acebridge_crm::signature::{self, SignatureError};
use base64::Engine;
use chrono::{TimeZone, Utc};
use hmac::{KeyInit, Mac};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

fn independent_hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut m = HmacSha256::new_from_slice(key).expect("key");
    m.update(message);
    m.finalize().into_bytes().to_vec()
}

const SECRET: &[u8] = b"yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
const BODY: &[u8] = br#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":123,"propertyName":"dealstage","propertyValue":"closedwon","changeSource":"CRM_UI","sourceId":"userId:42"}]"#;

#[test]
fn hubspot_v3_matches_the_documented_construction() {
    let now = Utc.timestamp_opt(1_764_000_000, 0).single().expect("time");
    let ts = (now.timestamp() * 1000).to_string();
    // HubSpot signs the URI with some escapes decoded: %3A → ':' and %2F → '/' among them.
    let received_uri =
        "https://abc.lambda-url.us-east-1.on.aws/hubspot?portal=62515&next=https%3A%2F%2Fx";
    let signed_uri = "https://abc.lambda-url.us-east-1.on.aws/hubspot?portal=62515&next=https://x";
    let message = [
        b"POST".as_slice(),
        signed_uri.as_bytes(),
        BODY,
        ts.as_bytes(),
    ]
    .concat();
    let expected =
        base64::engine::general_purpose::STANDARD.encode(independent_hmac(SECRET, &message));
    assert_eq!(
        signature::hubspot_v3_sign(SECRET, "POST", received_uri, BODY, &ts),
        expected
    );
    signature::hubspot_v3_verify(
        SECRET,
        "POST",
        received_uri,
        BODY,
        Some(&ts),
        Some(&expected),
        now,
    )
    .expect("a genuine request verifies");
}

#[test]
fn hubspot_v3_refuses_tampering_staleness_and_missing_headers() {
    let now = Utc.timestamp_opt(1_764_000_000, 0).single().expect("time");
    let uri = "https://abc.lambda-url.us-east-1.on.aws/";
    let ts = (now.timestamp() * 1000).to_string();
    let sig = common::hubspot_v3_independent(SECRET, "POST", uri, BODY, &ts);
    let tampered = String::from_utf8_lossy(BODY).replace("closedwon", "closedlost");
    assert_eq!(
        signature::hubspot_v3_verify(
            SECRET,
            "POST",
            uri,
            tampered.as_bytes(),
            Some(&ts),
            Some(&sig),
            now
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        signature::hubspot_v3_verify(
            b"another-secret",
            "POST",
            uri,
            BODY,
            Some(&ts),
            Some(&sig),
            now
        ),
        Err(SignatureError::Mismatch)
    );
    // Signed six minutes ago: a replay.
    let old = ((now.timestamp() - 360) * 1000).to_string();
    let old_sig = common::hubspot_v3_independent(SECRET, "POST", uri, BODY, &old);
    assert!(matches!(
        signature::hubspot_v3_verify(SECRET, "POST", uri, BODY, Some(&old), Some(&old_sig), now),
        Err(SignatureError::Stale { age_ms: 360_000 })
    ));
    // The timestamp is part of what is signed: a fresh timestamp on an old signature fails.
    assert_eq!(
        signature::hubspot_v3_verify(SECRET, "POST", uri, BODY, Some(&ts), Some(&old_sig), now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        signature::hubspot_v3_verify(SECRET, "POST", uri, BODY, None, Some(&sig), now),
        Err(SignatureError::Missing("X-HubSpot-Request-Timestamp"))
    );
    assert_eq!(
        signature::hubspot_v3_verify(SECRET, "POST", uri, BODY, Some("soon"), Some(&sig), now),
        Err(SignatureError::BadTimestamp)
    );
}

#[test]
fn webhook_signature_is_hmac_of_timestamp_dot_body() {
    let now = Utc.timestamp_opt(1_764_000_000, 0).single().expect("time");
    let body = br#"{"type":"acebridge.record","kind":"opportunity","crmId":"ACB-O1"}"#;
    let header = signature::webhook_sign(b"whsec", now.timestamp(), body);
    let mac = independent_hmac(
        b"whsec",
        &[format!("{}.", now.timestamp()).as_bytes(), body].concat(),
    );
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(header, format!("v1={hex}"));
    let ts = now.timestamp().to_string();
    signature::webhook_verify(b"whsec", Some(&ts), Some(&header), body, now).expect("genuine");
    // Tampered body.
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    assert_eq!(
        signature::webhook_verify(b"whsec", Some(&ts), Some(&header), &tampered, now),
        Err(SignatureError::Mismatch)
    );
    // Stale: signed ten minutes before the receiver's clock.
    let later = now + chrono::Duration::minutes(10);
    assert!(matches!(
        signature::webhook_verify(b"whsec", Some(&ts), Some(&header), body, later),
        Err(SignatureError::Stale { .. })
    ));
    // A replay with a new timestamp but the old signature.
    let new_ts = later.timestamp().to_string();
    assert_eq!(
        signature::webhook_verify(b"whsec", Some(&new_ts), Some(&header), body, later),
        Err(SignatureError::Mismatch)
    );
}

/// HubSpot's own client (`hubspot-api-client`, `Signature.is_valid`, v3) and acebridge's check agree on
/// a genuine call and on each change HubSpot's client refuses: method, URI, body, timestamp, secret. The
/// genuine signature is HubSpot's client's verdict, not acebridge's.
#[test]
fn hubspot_v3_agrees_with_hubspots_official_client() {
    let now = acebridge_clock::Clock::system().now();
    let uri = "https://abc.lambda-url.us-east-1.on.aws/";
    let body = std::str::from_utf8(BODY).expect("utf-8");
    let ts = now.timestamp_millis().to_string();
    let sig = common::hubspot_v3_independent(SECRET, "POST", uri, BODY, &ts);
    let later = (now.timestamp_millis() + 1).to_string();
    let cases = [
        ("POST", uri, body.to_string(), ts.clone(), SECRET),
        ("PUT", uri, body.to_string(), ts.clone(), SECRET),
        (
            "POST",
            "https://abc.lambda-url.us-east-1.on.aws/x",
            body.to_string(),
            ts.clone(),
            SECRET,
        ),
        (
            "POST",
            uri,
            body.replace("closedwon", "closedlost"),
            ts.clone(),
            SECRET,
        ),
        ("POST", uri, body.to_string(), later, SECRET),
        (
            "POST",
            uri,
            body.to_string(),
            ts.clone(),
            b"another-client-secret".as_slice(),
        ),
    ];
    let calls: Vec<serde_json::Value> = cases
        .iter()
        .map(|(m, u, b, t, _)| serde_json::json!({"method": m, "uri": u, "body": b, "timestamp": t, "signature": sig}))
        .collect();
    for (i, (method, uri, body, ts, secret)) in cases.iter().enumerate() {
        let hubspot = common::verify_with_vendor_libraries(&serde_json::json!({"hubspot_v3": {
            "client_secret": std::str::from_utf8(secret).expect("utf-8"), "calls": [calls[i].clone()]}}));
        let theirs = hubspot["hubspot_v3"][0] == serde_json::json!(true);
        let ours = signature::hubspot_v3_verify(
            secret,
            method,
            uri,
            body.as_bytes(),
            Some(ts),
            Some(&sig),
            now,
        )
        .is_ok();
        assert_eq!(
            theirs,
            i == 0,
            "case {i}: HubSpot's client said {}",
            hubspot["hubspot_v3"][0]
        );
        assert_eq!(
            ours, theirs,
            "case {i}: acebridge and HubSpot's client disagree"
        );
    }
}

/// HubSpot's v3 rule for the URI (developers.hubspot.com, "Validating requests", v3): before signing,
/// HubSpot decodes these twelve escapes in the URI it called; every other escape stays as sent. The table
/// is written here from HubSpot's page, not taken from acebridge's code.
const HUBSPOT_DECODED: [(&str, char); 12] = [
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

#[test]
fn each_of_hubspot_s_twelve_uri_decodings_and_no_other_is_applied() {
    let now = acebridge_clock::Clock::system().now();
    let ts = now.timestamp_millis().to_string();
    let body = String::from_utf8(BODY.to_vec()).expect("utf-8");
    let base = "https://abc.lambda-url.us-east-1.on.aws/hubspot";
    // One call per escape in the query string, and two escapes HubSpot leaves encoded (a space, an `&`
    // inside a value).
    let mut cases: Vec<(String, String)> = HUBSPOT_DECODED
        .iter()
        .map(|(escape, ch)| {
            (
                format!("{base}?portal=62515&v=a{escape}b"),
                format!("{base}?portal=62515&v=a{ch}b"),
            )
        })
        .collect();
    for kept in ["%20", "%26"] {
        let uri = format!("{base}?portal=62515&v=a{kept}b");
        cases.push((uri.clone(), uri));
    }
    let calls: Vec<serde_json::Value> = cases
        .iter()
        .map(|(_, signed)| serde_json::json!({"method": "POST", "uri": signed, "body": body, "timestamp": ts}))
        .collect();
    // HubSpot's official client signs each call over the URI as HubSpot signs it.
    let signed = common::verify_with_vendor_libraries(&serde_json::json!({"hubspot_v3_sign": {
        "client_secret": std::str::from_utf8(SECRET).expect("utf-8"), "calls": calls}}));
    for (i, (received, _)) in cases.iter().enumerate() {
        let sig = signed["hubspot_v3_sign"][i].as_str().expect("a signature");
        assert_eq!(
            signature::hubspot_v3_verify(SECRET, "POST", received, BODY, Some(&ts), Some(sig), now),
            Ok(()),
            "the call to {received} (HubSpot signs it as {}) did not verify",
            cases[i].1
        );
    }
}

/// Signature freshness at the window's edge, judged by the vendors' own libraries with their clock set to
/// the same instant (`vendor_checks.py`, "freshness"): HubSpot's official client for
/// `X-HubSpot-Request-Timestamp` (milliseconds; the age counted from its whole second, five minutes old
/// refused), the Standard Webhooks library for whole-second timestamps (acebridge's former webhook scheme
/// keeps the same window: five minutes either way is still in, a millisecond more is not). Each `now` is
/// taken on, just after and just before a whole second, and across a year end.
#[test]
fn signature_freshness_matches_hubspot_s_client_and_standard_webhooks_at_the_window_s_edge() {
    let year_end = Utc
        .with_ymd_and_hms(2030, 12, 31, 23, 59, 59)
        .single()
        .expect("time");
    let mut cases = Vec::new();
    for base in [
        Utc.timestamp_opt(1_764_000_000, 0).single().expect("time"),
        year_end,
    ] {
        for ms in [0, 1, 500, 999] {
            cases.push(base + chrono::Duration::milliseconds(ms));
        }
    }
    let window = signature::TOLERANCE_SECS * 1000;
    let mut checked = 0;
    for now in cases {
        let now_ms = now.timestamp_millis();
        let now_s = now.timestamp();
        // HubSpot: a millisecond either side of five minutes old (and ahead), and each edge of the
        // timestamp's second.
        let mut hubspot: Vec<i64> = [-window - 1, -window, -window + 1, 0, 1]
            .iter()
            .chain(&[window - 1, window, window + 1, window + 999, window + 1000])
            .map(|d| now_ms - d)
            .collect();
        for s in [now_s - 301, now_s - 300, now_s - 299] {
            hubspot.extend([s * 1000, s * 1000 + 1, s * 1000 + 999]);
        }
        let standard: Vec<i64> = (-302..=-298)
            .chain(-1..=1)
            .chain(298..=302)
            .map(|d| now_s + d)
            .collect();
        let theirs = common::verify_with_vendor_libraries(&serde_json::json!({ "freshness": {
            "now_ms": now_ms, "hubspot_ms": hubspot, "standard_webhooks_s": standard } }));
        let uri = "https://abc.lambda-url.us-east-1.on.aws/hubspot";
        for (i, ts) in hubspot.iter().enumerate() {
            let t = ts.to_string();
            let sig = common::hubspot_v3_independent(SECRET, "POST", uri, BODY, &t);
            let ours =
                signature::hubspot_v3_verify(SECRET, "POST", uri, BODY, Some(&t), Some(&sig), now);
            let hubspot_says = theirs["freshness"]["hubspot"][i]
                .as_bool()
                .expect("verdict");
            if now_ms - ts >= -window {
                assert_eq!(
                    ours.is_ok(),
                    hubspot_says,
                    "HubSpot ts {ts} at {now}: {ours:?}"
                );
            } else {
                // HubSpot's client takes any timestamp ahead; acebridge refuses one over five minutes ahead.
                assert!(
                    hubspot_says && ours.is_err(),
                    "HubSpot ts {ts} at {now}: {ours:?}"
                );
            }
            checked += 1;
        }
        for (i, ts) in standard.iter().enumerate() {
            let header = signature::webhook_sign(b"whsec", *ts, BODY);
            let ours = signature::webhook_verify(
                b"whsec",
                Some(&ts.to_string()),
                Some(&header),
                BODY,
                now,
            );
            let library_says = theirs["freshness"]["standard_webhooks"][i]
                .as_bool()
                .expect("verdict");
            assert_eq!(
                ours.is_ok(),
                library_says,
                "webhook ts {ts} at {now}: {ours:?}"
            );
            checked += 1;
        }
    }
    // The literal edges, in case both sides moved together. HubSpot's age counts from the timestamp's whole
    // second: 299.000 s is in; 299.001 s is in the second five minutes back, and out.
    let now = Utc.timestamp_opt(1_764_000_000, 0).single().expect("time");
    let at = |ts_ms: i64| {
        let t = ts_ms.to_string();
        let uri = "https://abc.lambda-url.us-east-1.on.aws/";
        let sig = common::hubspot_v3_independent(SECRET, "POST", uri, BODY, &t);
        signature::hubspot_v3_verify(SECRET, "POST", uri, BODY, Some(&t), Some(&sig), now)
    };
    assert!(at(1_764_000_000_000 - 299_000).is_ok());
    assert_eq!(
        at(1_764_000_000_000 - 299_001),
        Err(SignatureError::Stale { age_ms: 299_001 })
    );
    assert!(at(1_764_000_000_000 + 300_000).is_ok());
    assert!(at(1_764_000_000_000 + 300_001).is_err());
    let legacy = |ts: i64, now_ms: i64| {
        let header = signature::webhook_sign(b"whsec", ts, BODY);
        let now = Utc.timestamp_millis_opt(now_ms).single().expect("time");
        signature::webhook_verify(b"whsec", Some(&ts.to_string()), Some(&header), BODY, now)
    };
    assert!(legacy(1_764_000_000 - 300, 1_764_000_000_000).is_ok());
    assert_eq!(
        legacy(1_764_000_000 - 300, 1_764_000_000_001),
        Err(SignatureError::Stale { age_ms: 300_001 })
    );
    assert!(checked > 200, "{checked}");
}
