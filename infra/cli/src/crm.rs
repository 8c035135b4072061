//! CRM commands: check a field-mapping configuration, and a reference webhook receiver (what a
//! partner's own system runs to receive acebridge's signed records; the demo prints what it gets).

use acebridge_crm::config::MappingConfig;
use acebridge_crm::signature;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::sync::Arc;

/// Checks configurations (built-in names or files); prints what each maps, or the error.
pub fn mapping_check(sources: &[String]) -> u8 {
    let mut code = 0;
    for s in sources {
        match MappingConfig::load(s) {
            Ok(c) => {
                for (kind, object) in [
                    ("opportunity", &c.opportunity),
                    ("lead", &c.lead),
                    ("referral", &c.referral),
                ] {
                    let Some(o) = object else { continue };
                    let count = |p: fn(&acebridge_crm::config::FieldMapping) -> bool| {
                        o.fields.iter().filter(|f| p(f)).count()
                    };
                    crate::emit(&format!(
                        "{s}: {kind} → {:?} {}: {} fields ({} to the CRM, {} to AWS, {} fallbacks), upsert key {}",
                        c.crm,
                        o.object,
                        o.fields.len(),
                        count(|f| f.direction.to_crm()),
                        count(|f| f.direction.to_aws()),
                        count(|f| f.fallback.is_some()),
                        o.aws_id_field
                    ));
                }
            }
            Err(e) => {
                eprintln!("{e}");
                code = 1;
            }
        }
    }
    code
}

/// What the receiver prints of a delivery: ids and list-view fields, never contact data.
fn summary(verified: Result<(), String>, delivery: &str, body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let r = &v["record"];
    json!({
        "verified": verified.is_ok(),
        "refused": verified.err(),
        "delivery": delivery,
        "kind": v["kind"],
        "crmId": v["crmId"],
        "aceId": v["aceId"],
        "title": r["project"]["title"],
        "stage": r["life_cycle"]["stage"],
        "sync": v["sync"],
        "fields": r.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
    })
}

async fn answer(
    secret: Arc<Vec<u8>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let (ts, sig, delivery) = (
        header("x-acebridge-timestamp"),
        header("x-acebridge-signature"),
        header("x-acebridge-delivery").unwrap_or_default(),
    );
    let body = req.into_body().collect().await?.to_bytes();
    let verified = signature::webhook_verify(
        &secret,
        ts.as_deref(),
        sig.as_deref(),
        &body,
        chrono::Utc::now(),
    )
    .map_err(|e| e.to_string());
    let ok = verified.is_ok();
    crate::emit(&summary(verified, &delivery, &body).to_string());
    let status = if ok {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    Ok(response)
}

/// Serves on 127.0.0.1:`port` until killed; the signing secret is read from the environment variable
/// `secret_env` (never from the command line, where `ps` shows it).
pub async fn webhook_receiver(port: u16, secret_env: &str) -> anyhow::Result<()> {
    let secret = std::env::var(secret_env)
        .map_err(|_| anyhow::anyhow!("environment variable {secret_env} is not set"))?;
    let secret = Arc::new(secret.into_bytes());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("webhook receiver on http://127.0.0.1:{port}/ (signatures checked)");
    loop {
        let (stream, _) = listener.accept().await?;
        let secret = secret.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| answer(secret.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Pushes the whole store to the configured CRM.
pub async fn push_all(crm_table: &str) -> anyhow::Result<()> {
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    let store = acebridge_sync::adapters::dynamodb::DynamoCrmStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        crm_table,
    );
    let setup = acebridge_crm::setup::from_env(&sdk, store)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    if setup.crm.remote().is_none() {
        anyhow::bail!("CRM_KIND is store: there is no CRM to push to");
    }
    let (pushed, failed) = setup.crm.push_all().await?;
    crate::emit(&format!(
        "pushed {pushed} record(s); {} failed",
        failed.len()
    ));
    for (crm_id, e) in &failed {
        crate::emit(&format!("  {crm_id}: {e}"));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} record(s) not pushed", failed.len())
    }
}
