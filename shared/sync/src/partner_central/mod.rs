//! The Partner Central channel (the Selling API), one module per AWS concept as AWS names it, on the
//! port [`crate::ports::partner_central`]:
//! - [`tasks`]: following a Start…Task to its end;
//! - [`opportunities`]: an opportunity into the CRM through the ledger;
//! - [`invitations`]: engagement invitations (AWS referrals) under the invitation policy;
//! - [`engagements`]: engagements with a `Lead` context (leads over the API);
//! - [`reconcile`]: the scheduled reconcile and the slow refresh of AWS's side;
//! - [`events`]: the EventBridge events of `aws.partnercentral-selling`, typed;
//! - [`validation`]: the fix hint for each `ValidationException` code (and other refusals).
//!
//! Within the channel each module imports the ones below it by their own path (never through the
//! re-exports here, which are for the functions, the CLI and the tests).

pub mod engagements;
pub mod events;
pub mod invitations;
pub mod opportunities;
pub mod reconcile;
pub mod tasks;
pub mod validation;

pub use crate::ports::partner_central::{
    Changed, ChangedPage, Created, EngagementListed, EngagementPage, FieldError, PartnerCentral,
    PendingInvitation, Refusal, Submission, TaskKind, TaskState,
};
pub use invitations::{
    EXPIRING_ALERT, InvitationHandled, Policies, accept_token, carry_out, expiring_referrals,
    handle_new_invitation, referral_failed, sync_invitation,
};
pub use opportunities::{Synced, sync_opportunity};
pub use reconcile::{
    Budgeted, RECONCILE_IN_FLIGHT, ReconcileReport, Refresh, RefreshReport, reconcile,
    reconcile_within, refresh_aws_side,
};
