//! One CRM lead per AWS lead while a partner receives leads on both channels (S3 files and the API).
//!
//! AWS gives the two channels different ids for a lead: an S3 lead is `L…` (`apnCrmUniqueIdentifier`),
//! an API lead is its engagement, `eng-…`; nothing AWS documents links them (the S3 lead files carry no
//! engagement id, GetEngagement no S3 lead id). So acebridge matches by content: the customer's
//! company name (case, spacing and punctuation ignored) and the contact's email, both real values
//! (not masked, as an S3 lead's contact is until it is accepted). The first lead written for an
//! identity records it in the ledger (`lead-match:<sha-256>`: a digest, never the name or email), with
//! its CRM id; a lead of the other channel with the same identity, seen for the first time, is written
//! onto that CRM record instead of a new one. What cannot be matched (a masked or missing email, a
//! renamed company) becomes a second CRM lead; `docs/operations.md` says so.

use crate::model::record::{RecordKind, SyncRecord};
use crate::ports::error::PortError;
use crate::ports::ledger::{Ledger, LedgerEntry, RecordKey};
use acebridge_mapping::{Catalog, Lead};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

const PREFIX: &str = "lead-match:";

/// Whether a ledger id is a lead identity's.
pub fn is_identity(id: &str) -> bool {
    id.starts_with(PREFIX)
}

/// The ledger id of a lead identity (a digest of company and email).
pub fn identity(lead: &Lead) -> Option<String> {
    let company: String = lead
        .company
        .value()?
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let email = lead.contact.email.value()?.trim().to_lowercase();
    if company.is_empty() || !email.contains('@') {
        return None;
    }
    let digest = Sha256::digest(format!("{company}\n{email}").as_bytes());
    Some(format!("{PREFIX}{}", hex::encode(digest)))
}

fn key(catalog: Catalog, identity: &str) -> RecordKey {
    RecordKey::ace(RecordKind::Lead, catalog, identity)
}

/// Which channel a lead came by: an API lead has an engagement.
fn channel(lead: &Lead) -> &'static str {
    if lead.engagement.engagement_id.value().is_some() {
        "api"
    } else {
        "s3"
    }
}

/// Marks an identity whose two channels' leads are linked: it matches nothing more.
const BOTH: &str = "s3+api";

/// The CRM id of the other channel's lead with the same identity as `record`, if there is one. A
/// match is taken once: two leads of the same channel, or a third lead, are AWS's own leads, never
/// merged.
pub async fn matching_crm_id(
    ledger: &impl Ledger,
    catalog: Catalog,
    record: &SyncRecord,
    now: DateTime<Utc>,
) -> Result<Option<String>, PortError> {
    let SyncRecord::Lead(lead) = record else {
        return Ok(None);
    };
    let Some(id) = identity(lead) else {
        return Ok(None);
    };
    let Some(mut entry) = ledger.get(&key(catalog, &id)).await? else {
        return Ok(None);
    };
    let other = match channel(lead) {
        "api" => "s3",
        _ => "api",
    };
    if entry.source.as_deref() != Some(other) {
        return Ok(None);
    }
    let expected = entry.revision;
    entry.source = Some(BOTH.to_string());
    entry.revision = expected + 1;
    entry.updated_at = now;
    // Taken by a concurrent writer of the other lead: no match, rather than two on one record.
    Ok(match ledger.put(&entry, Some(expected)).await? {
        Ok(()) => entry.crm_id,
        Err(_) => None,
    })
}

/// Records the identity of a lead just written to CRM record `crm_id` (the first writer keeps it).
pub async fn remember(
    ledger: &impl Ledger,
    catalog: Catalog,
    record: &SyncRecord,
    crm_id: &str,
    now: DateTime<Utc>,
) -> Result<(), PortError> {
    let SyncRecord::Lead(lead) = record else {
        return Ok(());
    };
    let Some(id) = identity(lead) else {
        return Ok(());
    };
    let mut entry = LedgerEntry::new(key(catalog, &id), now);
    entry.crm_id = Some(crm_id.to_string());
    entry.source = Some(channel(lead).to_string());
    entry.revision = 1;
    // A concurrent writer of the same identity keeps its own: either way one record holds it.
    let _ = ledger.put(&entry, None).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use acebridge_mapping::Field;

    fn lead(company: &str, email: Field<String>) -> Lead {
        let mut l = Lead {
            company: Field::Value(company.into()),
            ..Lead::default()
        };
        l.contact.email = email;
        l
    }

    #[test]
    fn the_identity_ignores_case_and_punctuation_needs_a_real_email_and_holds_no_pii() {
        let a = identity(&lead(
            "Example Corp.",
            Field::Value("A.B@Example.com ".into()),
        ))
        .unwrap();
        let b = identity(&lead(
            "example  corp",
            Field::Value("a.b@example.com".into()),
        ))
        .unwrap();
        assert_eq!(a, b);
        assert!(!a.contains("example"));
        assert_ne!(
            a,
            identity(&lead("Example Corp", Field::Value("c@example.com".into()))).unwrap()
        );
        assert_eq!(identity(&lead("Example Corp", Field::Masked)), None);
        assert_eq!(identity(&lead("Example Corp", Field::Absent)), None);
        assert_eq!(identity(&lead("...", Field::Value("a@b.c".into()))), None);
    }
}
