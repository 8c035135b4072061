//! Partner Central Selling API: JSON payloads ([`wire`]), canonical ↔ payload ([`Shape`]), and the
//! `aws-sdk-partnercentralselling` types ([`sdk`]).

mod convert;
pub mod engagement;
pub mod sdk;
pub mod wire;

pub use convert::Shape;
pub use wire::ApiOpportunity;
