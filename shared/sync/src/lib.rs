//! Sync logic shared by acebridge's functions.
//!
//! - [`ledger`]: the sync ledger port (per record and per file), and the pure ordering rule;
//! - [`crm`]: the CRM port every CRM adapter implements;
//! - [`store`]: the object-store port (the ACE bucket, the landing bucket);
//! - [`apply`]: one AWS record into the CRM, through the ledger (both channels use it);
//! - [`scanner`]: moves files out of the ACE bucket into the landing bucket;
//! - [`ingest`]: reads a landed file and applies it;
//! - [`adapters`]: the real adapters on S3 and DynamoDB.
//!
//! Handlers are generic over the ports; tests run them on the real adapters against local servers.

pub mod adapters;
pub mod apply;
pub mod crm;
pub mod error;
pub mod ingest;
pub mod ledger;
pub mod local;
pub mod record;
pub mod replay;
pub mod scanner;
pub mod store;
pub mod telemetry;

pub use error::PortError;
