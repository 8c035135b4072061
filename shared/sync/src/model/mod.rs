//! What records are, apart from any system (the very bottom: it imports nothing of the crate): the record
//! kinds the ledger and the CRM hold, the invitation policy, field times.
//!
//! - [`field_times`]: when each field last changed on each side (the merge of concurrent edits);
//! - [`history`]: a record's timeline, the steps taken with it and the fields each changed;
//! - [`policy`]: what to do with a new AWS referral (invitation): accept, reject or wait;
//! - [`record`]: the record kinds (opportunity, lead, invitation) as the ledger and the CRM hold them.

pub mod field_times;
pub mod history;
pub mod policy;
pub mod record;
