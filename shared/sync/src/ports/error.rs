//! The one error type every port returns: which system failed, and whether trying again can help.

/// A failure of an external system (S3, DynamoDB, a CRM), typed by what the caller should do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{system}: {message}")]
pub struct PortError {
    /// The system that failed (`s3`, `dynamodb`, `crm`).
    pub system: &'static str,
    /// True when the same call may succeed later (throttling, timeouts, 5xx): the invocation should
    /// fail so that Lambda retries it. False when retrying cannot help (access denied, bad request).
    pub retryable: bool,
    /// What went wrong, without record contents.
    pub message: String,
}

impl PortError {
    /// A failure worth retrying.
    pub fn retryable(system: &'static str, message: impl Into<String>) -> Self {
        PortError {
            system,
            retryable: true,
            message: message.into(),
        }
    }

    /// A failure retrying cannot fix.
    pub fn permanent(system: &'static str, message: impl Into<String>) -> Self {
        PortError {
            system,
            retryable: false,
            message: message.into(),
        }
    }
}
