//! The ports at the bottom: what acebridge needs of each outside system, as a trait each adapter implements
//! (`crate::adapters`), with the rules that belong to it (the ledger's ordering). They depend on nothing
//! above them.
//!
//! - [`crm`]: the CRM port every CRM adapter implements;
//! - [`error`]: `PortError`: what a port's call failed with, retryable or not;
//! - [`ledger`]: the sync ledger (per record and per file) and its ordering rule;
//! - [`outcomes`]: the outcome events acebridge publishes for operators and other systems;
//! - [`partner_central`]: the Partner Central Selling API as acebridge calls it (its values and tasks' states included);
//! - [`store`]: the object store (the ACE bucket, the landing bucket).

pub mod crm;
pub mod error;
pub mod ledger;
pub mod outcomes;
pub mod partner_central;
pub mod store;
