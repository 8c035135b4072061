//! Sync logic shared by acebridge's functions, in folders that name its architecture (from the bottom;
//! `docs/architecture.md` draws it):
//!
//! - [`model`]: record kinds, the invitation policy, field times (imports nothing of the crate);
//! - [`ports`]: the outside systems as acebridge needs them (ledger, CRM, object store, Partner Central,
//!   outcomes) and `PortError`;
//! - [`guards`]: daily budgets, the rate limiter, deadlines;
//! - [`metrics`]: the counts each function flushes as CloudWatch metrics;
//! - [`telemetry`]: structured logs (no customer data);
//! - [`lead_identity`]: the same lead on both channels (company and contact email), in the ledger;
//! - [`apply`]: one AWS record into the CRM, through the ledger (both channels use it);
//! - [`partner_central`]: the Selling API channel, one module per AWS concept (opportunities,
//!   invitations, engagements and leads, tasks, reconcile, events);
//! - [`s3_exchange`]: the S3 file exchange (scanner, ingest, outbound files, replay);
//! - [`crm_side`]: CRM changes and decisions to Partner Central (the queue, outbound);
//! - [`forget`]: erasing one customer everywhere;
//! - [`operations`]: what a person starts (decide a referral, list what waits, resend what failed): one
//!   code path for the CRM, the CLI, the console and the notifier;
//! - [`pc_events`]: the partner-central-events function's dispatcher (above the channel and the CRM
//!   side);
//! - [`adapters`]: the real adapters (S3, DynamoDB, EventBridge, SQS, the Partner Central SDK) and the
//!   configuration from the environment;
//! - [`functions`]: the ace-bucket-scanner function, wired (the others: `acebridge_crm::functions`);
//! - [`local`]: the local stack (moto) for the demo and the tests.
//!
//! Handlers are generic over the ports; tests run them on the real adapters against local servers.
//! `tests/import_circles.rs` fails on an import circle between files.

pub mod adapters;
pub mod apply;
pub mod crm_side;
pub mod forget;
pub mod functions;
pub mod guards;
pub mod lead_identity;
pub mod local;
pub mod metrics;
pub mod model;
pub mod operations;
pub mod partner_central;
pub mod pc_events;
pub mod ports;
pub mod s3_exchange;
pub mod telemetry;

pub use ports::error::PortError;
