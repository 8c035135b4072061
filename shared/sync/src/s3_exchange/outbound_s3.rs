//! CRM → AWS over the S3 channel (partners configured for it): CRM changes and referral decisions
//! become inbound files (payload 2.0, ≤ 50 records and ≤ 1 MB each, unique names), uploaded to the ACE
//! bucket's `opportunity-inbound/` with `bucket-owner-full-control` and the ACE KMS key (the bucket
//! adapter's configuration). AWS's processed-results files, read by the ingest function, close the loop.

use crate::crm_side::outbound::{OpportunityChanged, ReferralDecision};
use crate::model::history::{Step, StepKind};
use crate::model::record::RecordKind;
use crate::ports::error::PortError;
use crate::ports::ledger::{self, Ledger, RecordKey};
use crate::ports::store::{ObjectInfo, ObjectStore};
use acebridge_mapping::ace::AceOpportunity;
use acebridge_mapping::ace::writer::opportunity_files;
use acebridge_mapping::vocab::{AcceptanceStatus, RejectionReason as AceRejection};
use acebridge_mapping::{Catalog, CrmId, Field, Opportunity, OpportunityId, PartnerId};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Why a change cannot go into a file (told to the CRM; the rest of the batch goes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    /// The CRM id.
    pub crm_id: String,
    /// Why.
    pub message: String,
}

/// What an upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uploaded {
    /// The files written.
    pub files: Vec<ObjectInfo>,
    /// Records in them.
    pub records: usize,
    /// Changes that could not be written.
    pub not_sent: Vec<NotSent>,
}

/// An AWS referral decision as an ACE record (`partnerAcceptanceStatus`, and `rejectionReason` for a
/// reject), for a referral known by its opportunity id (`O…`).
pub fn decision_record(
    opportunity_id: &str,
    d: &ReferralDecision,
) -> Result<AceOpportunity, String> {
    let mut o = Opportunity {
        id: Field::Value(OpportunityId::parse(opportunity_id).map_err(|e| e.to_string())?),
        ..Opportunity::default()
    };
    match d.decision.as_str() {
        "accept" => {
            o.life_cycle.acceptance_status = Field::Value(AcceptanceStatus::from_ace("Accepted"))
        }
        "reject" => {
            let reason = d.reason.as_deref().ok_or("a reject needs a reason")?;
            o.life_cycle.acceptance_status = Field::Value(AcceptanceStatus::from_ace("Rejected"));
            o.life_cycle.rejection_reason = Field::Value(AceRejection::from_ace(reason));
        }
        other => {
            return Err(format!(
                "decision must be accept or reject, not {}",
                acebridge_mapping::quoted(other)
            ));
        }
    }
    Ok(AceOpportunity::from_canonical(&o).inbound_only())
}

/// Uploads `changes` and `decisions` (referral decisions by opportunity id) as inbound files.
pub async fn upload(
    ace: &impl ObjectStore,
    ledger: &impl Ledger,
    partner: &PartnerId,
    catalog: Catalog,
    changes: &[OpportunityChanged],
    decisions: &[(String, ReferralDecision)],
    now: DateTime<Utc>,
) -> Result<Uploaded, PortError> {
    let mut out = Uploaded::default();
    let mut records = Vec::new();
    let mut written = Vec::new();
    for change in changes {
        let mut o = match Opportunity::deserialize(&change.opportunity) {
            Ok(o) => o,
            Err(e) => {
                out.not_sent.push(NotSent {
                    crm_id: change.crm_id.clone(),
                    message: format!("not a canonical opportunity: {e}"),
                });
                continue;
            }
        };
        match CrmId::parse(&change.crm_id) {
            Ok(id) => o.crm_id = Field::Value(id),
            Err(e) => {
                out.not_sent.push(NotSent {
                    crm_id: change.crm_id.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        }
        // An update names AWS's id; a new opportunity has none (AWS assigns it in the results file).
        let known = ledger
            .find_by_crm_id(RecordKind::Opportunity, catalog, &change.crm_id)
            .await?
            .into_iter()
            .find_map(|e| e.ace_id);
        let key = match &known {
            Some(id) => RecordKey::ace(RecordKind::Opportunity, catalog, id),
            None => RecordKey::crm(RecordKind::Opportunity, catalog, &change.crm_id),
        };
        o.id = match known.map(|k| OpportunityId::parse(&k)) {
            Some(Ok(id)) => Field::Value(id),
            _ => Field::Null,
        };
        records.push(AceOpportunity::from_canonical(&o).inbound_only());
        written.push((key, change));
    }
    for (opportunity_id, d) in decisions {
        match decision_record(opportunity_id, d) {
            Ok(r) => records.push(r),
            Err(message) => out.not_sent.push(NotSent {
                crm_id: opportunity_id.clone(),
                message,
            }),
        }
    }
    if records.is_empty() {
        return Ok(out);
    }
    let files = opportunity_files(&records, partner, "acebridge", now)
        .map_err(|e| PortError::permanent("ace-s3", e.to_string()))?;
    let mut keys = Vec::new();
    for f in files {
        out.records += f.records;
        keys.push(f.key.clone());
        out.files
            .push(ace.put(&f.key, f.body, BTreeMap::new()).await?);
    }
    // Each record's timeline: what went to AWS, in which file(s); AWS's answer comes in its results file.
    let source = keys.join(", ");
    for (key, change) in written {
        let step = Step::new(
            now,
            StepKind::CrmToAws,
            "Written to an inbound file for AWS",
        )
        .from_source(Some(&source))
        .changing(None, &change.opportunity);
        ledger::record_step(ledger, &key, step, now).await?;
    }
    Ok(out)
}
