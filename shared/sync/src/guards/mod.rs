//! The guards every call to the outside passes: Partner Central's daily budgets, the per-second limiter,
//! the invocation's deadline.
//!
//! - [`budget`]: the daily read and write quotas, counted across functions;
//! - [`deadline`]: the time left before the Lambda deadline, less a margin;
//! - [`limiter`]: the per-second rate limiter.

pub mod budget;
pub mod deadline;
pub mod limiter;
