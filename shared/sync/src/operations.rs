//! The operations a person starts: from the CRM (an `acebridge.crm` event), the CLI, a console page or a
//! chat message, each goes through one function here, whoever calls it, so a referral accepted in a
//! browser is accepted exactly as one accepted in the CRM. Listed in `docs/architecture.md`.
//!
//! - [`decide_referral`]: accept or reject an AWS referral (opportunity or lead) before it expires;
//! - [`pending_invitations`]: the referrals waiting for a decision, the soonest to expire first;
//! - [`needs_attention`]: the records whose last sync failed, with the reason;
//! - [`resend_failed`]: failed records of an S3 file, or a quarantined file, put back for the ingest;
//! - [`resend_edited`]: one failed record, corrected by an operator, checked as the ingest checks it, then
//!   put back for the ingest;
//! - [`held_edits`], [`retry_held`], [`drop_held`]: CRM edits waiting while AWS has an opportunity locked.

use crate::crm_side::outbound::{Pushed, ReferralDecision, release_held};
use crate::model::history::{Step, StepKind};
use crate::model::policy::{Decision, RejectionReason};
use crate::model::record::RecordKind;
use crate::partner_central::invitations::carry_out;
use crate::ports::crm::Crm;
use crate::ports::error::PortError;
use crate::ports::ledger::{Ledger, LedgerEntry, RecordKey};
use crate::ports::partner_central::{PartnerCentral, PendingInvitation};
use crate::ports::store::{ObjectInfo, ObjectStore};
use crate::s3_exchange::replay;
use acebridge_clock::Clock;
use acebridge_mapping::Catalog;

/// The CRM's decision on an AWS referral, sent before the invitation expires.
pub async fn decide_referral(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    decision: &ReferralDecision,
    clock: &Clock,
) -> Result<Result<String, String>, PortError> {
    let id = &decision.invitation_id;
    let Some(invitation) = pc.invitation(catalog, id).await? else {
        return Ok(Err(format!(
            "invitation {id} is not in Partner Central ({catalog})"
        )));
    };
    if let Some(status) = invitation.status.value().map(|s| s.as_api().to_string())
        && status != "PENDING"
    {
        return Ok(Err(format!("invitation {id} is already {status}")));
    }
    if invitation
        .expires_at
        .value()
        .is_some_and(|t| *t <= clock.now())
    {
        return Ok(Err(format!("invitation {id} has expired")));
    }
    let why = "CRM decision".to_string();
    let decided = match decision.decision.as_str() {
        "accept" => Decision::Accept { why },
        "reject" => match RejectionReason::parse(decision.reason.as_deref().unwrap_or("")) {
            Ok(reason) => Decision::Reject { reason, why },
            Err(e) => return Ok(Err(e.to_string())),
        },
        other => {
            return Ok(Err(format!(
                "decision must be accept or reject, not {}",
                acebridge_mapping::quoted(other)
            )));
        }
    };
    if crate::partner_central::engagements::is_lead(&invitation) {
        use crate::partner_central::engagements::LeadDecided;
        let source = format!("crm-decision:{id}");
        return Ok(
            match crate::partner_central::engagements::carry_out(
                pc,
                ledger,
                crm,
                catalog,
                &invitation,
                &decided,
                &source,
                clock,
            )
            .await?
            {
                LeadDecided::Accepted { engagement_id, .. } => Ok(format!(
                    "lead accepted (engagement {})",
                    engagement_id.as_deref().unwrap_or("not known")
                )),
                LeadDecided::Rejected { reason } => Ok(format!("lead rejected: {reason}")),
                LeadDecided::Refused { message } => Err(message),
                LeadDecided::Waiting => Ok("nothing to do".to_string()),
            },
        );
    }
    Ok(
        match (
            carry_out(pc, ledger, crm, catalog, id, &decided, clock).await?,
            &decided,
        ) {
            (Some(task), _) if task.is_failed() => Err(task.failure()),
            (Some(task), _) => Ok(format!(
                "accepted (task {}, opportunity {})",
                task.task_id,
                task.opportunity_id.as_deref().unwrap_or("not yet known")
            )),
            (None, Decision::Reject { reason, .. }) => Ok(format!("rejected: {}", reason.as_str())),
            (None, _) => Ok("nothing to do".to_string()),
        },
    )
}

/// The AWS referrals (opportunity and lead invitations) waiting for the partner's decision, the soonest
/// to expire first (ListEngagementInvitations; one read a page).
pub async fn pending_invitations(
    pc: &impl PartnerCentral,
    catalog: Catalog,
) -> Result<Vec<PendingInvitation>, PortError> {
    let mut pending = pc.pending_invitations(catalog).await?;
    pending.sort_by(|a, b| {
        (a.expires_at.is_none(), a.expires_at, &a.id).cmp(&(
            b.expires_at.is_none(),
            b.expires_at,
            &b.id,
        ))
    });
    Ok(pending)
}

/// The ledger's records whose last sync failed (AWS or the CRM refused it, or it could not be applied),
/// each with its reason (`errors`, or AWS's messages in `aws_result`): what an operator must look at.
pub async fn needs_attention(ledger: &impl Ledger) -> Result<Vec<LedgerEntry>, PortError> {
    Ok(needs_attention_of(ledger.records().await?))
}

/// [`needs_attention`] of entries already read (the console's snapshot of the ledger).
/// Takes the entries or references to them (the console passes its snapshot's, so that only the few failed
/// entries are copied, not every entry with its timeline).
pub fn needs_attention_of<E: std::borrow::Borrow<LedgerEntry>>(
    entries: impl IntoIterator<Item = E>,
) -> Vec<E> {
    let mut failed: Vec<E> = entries
        .into_iter()
        .filter(|e| e.borrow().has_failed())
        .collect();
    failed.sort_by_key(|e| e.borrow().key.storage_key());
    failed
}

/// Puts failed records (from `failed/<key>.errors.json`; `records` their indexes, empty: all) or a
/// quarantined file (`quarantine/<key>`) back in the landing bucket for the ingest function.
pub async fn resend_failed<S: ObjectStore>(
    landing: &S,
    key: &str,
    records: &[usize],
    clock: &Clock,
) -> Result<ObjectInfo, replay::ReplayError> {
    replay::replay(landing, key, records, clock.now()).await
}

/// Resends one failed record of an error report (`failed/<key>.errors.json`) with an operator's
/// correction: checked first as the ingest would (`Ok(Err(problems))`, nothing written), then written
/// beside the original file for the ingest, the path every replay takes.
pub async fn resend_edited<S: ObjectStore>(
    landing: &S,
    key: &str,
    index: usize,
    record: serde_json::Value,
    clock: &Clock,
) -> Result<Result<ObjectInfo, Vec<String>>, replay::ReplayError> {
    replay::replay_edited(landing, key, index, record, clock.now()).await
}

/// The opportunities with CRM edits held back while Partner Central does not take them (in review,
/// frozen), the longest-waiting first.
pub async fn held_edits(ledger: &impl Ledger) -> Result<Vec<LedgerEntry>, PortError> {
    Ok(held_edits_of(ledger.records().await?))
}

/// [`held_edits`] of entries already read (the console's snapshot of the ledger).
/// Takes the entries or references to them, like [`needs_attention_of`].
pub fn held_edits_of<E: std::borrow::Borrow<LedgerEntry>>(
    entries: impl IntoIterator<Item = E>,
) -> Vec<E> {
    let mut held: Vec<E> = entries
        .into_iter()
        .filter(|e| e.borrow().held.is_some())
        .collect();
    held.sort_by_key(|e| {
        let e = e.borrow();
        (e.held.as_ref().map(|h| h.since), e.key.storage_key())
    });
    held
}

/// Sends an opportunity's held edits now (an UpdateOpportunity, one write), as the events do when AWS
/// moves the opportunity on. `None` when nothing was held.
pub async fn retry_held(
    pc: &impl PartnerCentral,
    ledger: &impl Ledger,
    crm: &impl Crm,
    catalog: Catalog,
    opportunity_id: &str,
    clock: &Clock,
) -> Result<Option<Pushed>, PortError> {
    release_held(pc, ledger, crm, catalog, opportunity_id, clock).await
}

/// Drops an opportunity's held edits (the CRM keeps its values; Partner Central never gets them).
/// `false` when nothing was held.
pub async fn drop_held(
    ledger: &impl Ledger,
    catalog: Catalog,
    opportunity_id: &str,
    clock: &Clock,
) -> Result<bool, PortError> {
    let key = RecordKey::ace(RecordKind::Opportunity, catalog, opportunity_id);
    loop {
        let Some(mut entry) = ledger.get(&key).await? else {
            return Ok(false);
        };
        let Some(held) = entry.held.take() else {
            return Ok(false);
        };
        entry.record_step(
            Step::new(
                clock.now(),
                StepKind::Dropped,
                "Held changes dropped by an operator",
            )
            .changing(None, &held.change),
        );
        let expected = entry.revision;
        entry.revision += 1;
        entry.updated_at = clock.now();
        if ledger.put(&entry, Some(expected)).await?.is_ok() {
            return Ok(true);
        }
    }
}
