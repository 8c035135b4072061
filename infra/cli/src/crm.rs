//! CRM commands: check a field-mapping configuration, push the store to the configured CRM. (The
//! reference webhook receiver is `infra/local/webhook_receiver.py`: it verifies with the Standard
//! Webhooks library, as a partner's system would.)

use acebridge_crm::config::MappingConfig;

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

/// Pushes the whole store to the configured CRM.
pub async fn push_all(crm_table: &str, clock: &acebridge_clock::Clock) -> anyhow::Result<()> {
    let sdk = acebridge_sync::adapters::config::sdk_config(None).await;
    let store = acebridge_sync::adapters::dynamodb::DynamoCrmStore::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        crm_table,
    );
    let setup = acebridge_crm::setup::from_env(&sdk, store, clock)
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
