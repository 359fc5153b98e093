//! DynamoDB's errors in the store's terms.
//!
//! Network trouble and throttling become [`StoreError::Unavailable`] (the HTTP layer answers
//! 503 and the client retries); anything else the service says becomes
//! [`StoreError::Backend`] with its code. A failed condition is not an error of the database
//! but an answer: callers ask [`condition_failed`] or [`cancellations`] and decide what it
//! means for them (a taken name, a used token, a stale read to retry).

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;

use crate::StoreError;

/// Codes that mean "try again later" rather than "this request is wrong".
const RETRYABLE: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
];

/// Any SDK error as a [`StoreError`].
pub(crate) fn sdk<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => {
            StoreError::Unavailable(format!("DynamoDB cannot be reached: {}", source_chain(&e)))
        }
        SdkError::ServiceError(se) => {
            let err = se.err();
            let code = err.code().unwrap_or("unknown");
            let message = err.message().unwrap_or("");
            if RETRYABLE.contains(&code) {
                StoreError::Unavailable(format!("DynamoDB is busy: {code} {message}"))
            } else {
                StoreError::Backend(format!("DynamoDB: {code} {message}"))
            }
        }
        _ => StoreError::Backend(format!("DynamoDB: {}", source_chain(&e))),
    }
}

/// A request the SDK could not even build (a required field left out: a bug here).
pub(crate) fn build(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Backend(format!("DynamoDB request not built: {e}"))
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cur = inner.source();
    }
    text
}

/// Whether a single-item write was refused by its condition expression.
pub(crate) fn condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(e, SdkError::ServiceError(se) if se.err().code() == Some("ConditionalCheckFailedException"))
}

/// Why each action of a cancelled transaction was refused, in the order they were sent
/// (`None` where an action was fine), or `None` when the transaction failed for another
/// reason. Codes: `ConditionalCheckFailed`, `TransactionConflict`, `ItemCollectionSizeLimitExceeded`, …
pub(crate) fn cancellations<R>(
    e: &SdkError<TransactWriteItemsError, R>,
) -> Option<Vec<Option<String>>> {
    match e {
        SdkError::ServiceError(se) => match se.err() {
            TransactWriteItemsError::TransactionCanceledException(c) => Some(
                c.cancellation_reasons()
                    .iter()
                    .map(|r| r.code().filter(|c| *c != "None").map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        },
        _ => None,
    }
}
