//! The CRM side: CRM changes and decisions (acebridge.crm events on the queue) to Partner Central, over the
//! API or as S3 files.
//!
//! - [`crm_queue`]: the crm-outbound function's batch handler: settle holds, the write quota, partial batch responses;
//! - [`outbound`]: one CRM change or referral decision to Partner Central (create, update, submit, hold while under review).

pub mod crm_queue;
pub mod outbound;
