//! Inputs that once panicked a function (found by mutating inputs; issue "Hardening"), kept as
//! regression tests: each is now a clear error or a harmless value, never a panic.

use acebridge_crm::config::{DateExpr, MappingConfig};
use acebridge_crm::paths::Kind;
use acebridge_crm::signature;
use acebridge_crm::transform;
use serde_json::json;

#[test]
fn a_crm_date_with_multibyte_characters_does_not_split_one() {
    let mapping = MappingConfig::load("hubspot-deals").expect("shipped mapping");
    let deals = mapping.object(Kind::Opportunity).expect("deals");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
    for value in ["2026-12-🇺31", "2026-12-31T00:00é", "🇺🇺🇺🇺🇺🇺🇺🇺🇺🇺🇺"]
    {
        let record = json!({"id": "901", "properties": {"dealname": "X", "closedate": value}});
        // No panic; what is not a date is refused later by validation, naming the field.
        let _ = transform::to_canonical(deals, &record, "901", today);
    }
}

#[test]
fn fallback_date_expressions_refuse_what_they_cannot_read() {
    for bad in [
        "today+5é",
        "today+é",
        "today+",
        "today-9223372036854775807w",
        "today+9223372036854775807w",
        "today+36526d",
    ] {
        let e = DateExpr::parse(bad).expect_err(bad);
        assert!(e.contains("today"), "{bad}: {e}");
    }
    assert!(DateExpr::parse("today+36525d").is_ok());
}

#[test]
fn extreme_signature_timestamps_are_stale_not_an_overflow() {
    let now = acebridge_clock::TestClock::suite().now();
    for ts in [i64::MIN.to_string(), i64::MAX.to_string()] {
        assert!(
            signature::webhook_verify(b"k", Some(&ts), Some("v1=00"), b"{}", now).is_err(),
            "{ts}"
        );
        assert!(
            signature::hubspot_v3_verify(
                b"k",
                "POST",
                "https://x/",
                b"{}",
                Some(&ts),
                Some("AA=="),
                now
            )
            .is_err(),
            "{ts}"
        );
    }
}

/// A CRM answer larger than the cap is refused, whether it says its length or streams it (chunked):
/// the client never buffers an unbounded body.
#[tokio::test]
async fn a_crm_response_body_over_the_cap_is_refused_not_buffered() {
    use acebridge_crm::http::{HttpClient, MAX_RESPONSE_BYTES, Request, RetryPolicy};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    // Declared length (wiremock sets Content-Length).
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/big"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_bytes(vec![
            b'x';
            MAX_RESPONSE_BYTES
                + 1
        ]))
        .expect(1)
        .mount(&server)
        .await;
    let client = HttpClient::new(
        "hubspot",
        RetryPolicy::default(),
        acebridge_clock::TestClock::suite().clock(),
    )
    .expect("client");
    let e = client
        .send_once(&Request::new(
            http::Method::GET,
            format!("{}/big", server.uri()),
        ))
        .await
        .expect_err("over the cap");
    assert!(!e.retryable && e.message.contains("cap"), "{e}");

    // Streamed without a length: 1 MiB chunks until the client stops reading.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let _ = sock
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..16 {
            let head = format!("{:x}\r\n", chunk.len());
            if sock.write_all(head.as_bytes()).await.is_err()
                || sock.write_all(&chunk).await.is_err()
                || sock.write_all(b"\r\n").await.is_err()
            {
                return;
            }
        }
        let _ = sock.write_all(b"0\r\n\r\n").await;
    });
    let e = client
        .send_once(&Request::new(
            http::Method::GET,
            format!("http://{addr}/stream"),
        ))
        .await
        .expect_err("over the cap");
    assert!(!e.retryable && e.message.contains("cap"), "{e}");
}
