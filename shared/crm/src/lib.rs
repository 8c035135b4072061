//! acebridge's real CRMs.
//!
//! - [`config`]: the field-mapping configuration (YAML/JSON, checked at start-up);
//! - [`paths`] and [`transform`]: canonical paths, and applying a mapping both ways;
//! - [`http`]: the HTTPS client every adapter shares (retries, backoff, `Retry-After`);
//! - [`salesforce`], [`hubspot`], [`webhook`]: the adapters;
//! - [`signature`]: HubSpot v3 and acebridge webhook signatures;
//! - [`inbound`]: Salesforce Event Relay and HubSpot webhook calls → `acebridge.crm` events;
//! - [`mirror`]: the CRM port on a real CRM, with acebridge's store as its mirror;
//! - [`secrets`]: credentials from Secrets Manager, held in `secrecy` types;
//! - [`setup`]: the CRM the environment names, with the ledger;
//! - [`functions`]: the five Lambda functions wired from their environment (their `main`s build them).

pub mod config;
pub mod functions;
pub mod http;
pub mod hubspot;
pub mod inbound;
pub mod mirror;
pub mod paths;
pub mod remote;
pub mod salesforce;
pub mod secrets;
pub mod setup;
pub mod signature;
pub mod transform;
pub mod webhook;
