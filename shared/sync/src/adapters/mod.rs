//! The real adapters: S3 buckets ([`s3`]), the DynamoDB ledger and CRM store ([`dynamodb`]), and the
//! SDK configuration they share ([`config`]).

pub mod config;
pub mod dynamodb;
pub mod eventbridge;
pub mod partner_central;
pub mod s3;
pub mod sqs;

use crate::ports::error::PortError;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// Error codes that mean "slow down and try again". Partner Central's ServiceQuotaExceededException
/// (a quota the request would exceed, daily ones included) clears with time: the event or message is
/// retried later by EventBridge or SQS, never dropped.
const RETRYABLE_CODES: [&str; 9] = [
    "ServiceQuotaExceededException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "InternalError",
    "ServiceUnavailable",
];

/// Types an SDK error as retryable (network, timeouts, 5xx, throttling) or permanent.
/// True for a failure that may pass when tried again: a timeout, a connection or response failure, a
/// throttling or other retryable error code, any 5xx.
pub(crate) fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(s) => {
            let code = s.err().code().unwrap_or_default();
            RETRYABLE_CODES.contains(&code) || s.raw().status().as_u16() >= 500
        }
        _ => false,
    }
}

/// Whether an attempt that failed this way is worth trying again at once: transient, except a service
/// quota (`ServiceQuotaExceededException`), which a few seconds do not change. Such a call fails as
/// retryable, and its event or message comes again later.
pub(crate) fn retry_now<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    is_transient(err)
        && !matches!(err, SdkError::ServiceError(s)
            if s.err().code() == Some("ServiceQuotaExceededException"))
}

pub(crate) fn classify<E>(
    system: &'static str,
    operation: &str,
    err: SdkError<E, HttpResponse>,
) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let retryable = is_transient(&err);
    let detail = match &err {
        SdkError::ServiceError(s) => format!(
            "{}: {}",
            s.err().code().unwrap_or("error"),
            s.err().message().unwrap_or_default()
        ),
        other => aws_sdk_s3::error::DisplayErrorContext(other).to_string(),
    };
    PortError {
        system,
        retryable,
        message: format!("{operation}: {detail}"),
    }
}
