//! Sync logic shared by acebridge's functions.
//!
//! - [`ledger`]: the sync ledger port (per record and per file), and the pure ordering rule;
//! - [`crm`]: the CRM port every CRM adapter implements;
//! - [`store`]: the object-store port (the ACE bucket, the landing bucket);
//! - [`apply`]: one AWS record into the CRM, through the ledger (both channels use it);
//! - [`scanner`]: moves files out of the ACE bucket into the landing bucket;
//! - [`ingest`]: reads a landed file and applies it;
//! - [`partner_central`]: the Selling API port, and syncing, invitations and reconcile on top of it;
//! - [`pc_events`]: the EventBridge events of `aws.partnercentral-selling`, typed;
//! - [`policy`]: what to do with a new AWS referral (invitation);
//! - [`adapters`]: the real adapters on S3, DynamoDB and the Partner Central SDK.
//!
//! Handlers are generic over the ports; tests run them on the real adapters against local servers.

pub mod adapters;
pub mod apply;
pub mod budget;
pub mod crm;
pub mod crm_queue;
pub mod deadline;
pub mod engagements;
pub mod error;
pub mod field_times;
pub mod forget;
pub mod ingest;
pub mod lead_identity;
pub mod ledger;
pub mod limiter;
pub mod local;
pub mod metrics;
pub mod outbound;
pub mod outbound_s3;
pub mod outcomes;
pub mod partner_central;
pub mod pc_events;
pub mod policy;
pub mod record;
pub mod replay;
pub mod scanner;
pub mod store;
pub mod tasks;
pub mod telemetry;

pub use error::PortError;
