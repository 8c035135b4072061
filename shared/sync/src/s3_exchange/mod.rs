//! The S3 file exchange (deprecated by AWS; kept working while partners move to the API): the ACE bucket
//! scanned, each landed file ingested, the CRM's changes written as inbound files, failed records replayed.
//!
//! - [`ingest`]: reads a landed ACE file and applies it;
//! - [`migration`]: where the stack stands in the move to the API;
//! - [`outbound_s3`]: CRM changes as inbound ACE files in the ACE bucket;
//! - [`replay`]: failed records and quarantined files put back for the ingest;
//! - [`scanner`]: moves files out of the AWS-owned ACE bucket into the landing bucket.

pub mod ingest;
pub mod migration;
pub mod outbound_s3;
pub mod replay;
pub mod scanner;
