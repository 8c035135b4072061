//! acebridge's mapping crate: the only code that knows the wire formats.
//!
//! - [`canonical`]: one model of opportunities, leads and invitations;
//! - [`ace`]: ACE S3 files (opportunity, lead, processed results; payload 1.0 and 2.0) and the inbound writer;
//! - [`api`]: Partner Central Selling API payloads (awsJson 1.0 JSON and the `aws-sdk-partnercentralselling` types);
//! - [`validate`]: the rules AWS applies to what we send, as `{field, code, message}` errors.
//!
//! Pure: no I/O, no clock (callers pass `now`).

pub mod ace;
pub mod api;
pub mod canonical;
pub mod conversion;
pub mod data;
pub mod field;
pub mod ids;
pub mod quote;
pub mod validate;
pub mod vocab;

pub use canonical::{Invitation, Lead, Opportunity};
pub use conversion::ConversionError;
pub use field::{Field, Nullable, is_masked_json, merge_json};
pub use ids::{Catalog, CrmId, InvitationId, LeadId, OpportunityId, PartnerId};
pub use quote::{capped, quoted};
