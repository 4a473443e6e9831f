//! How a failed DynamoDB call reaches the client.
//!
//! A table that cannot be reached (network, throttling, a missing table) is a 503: the client may
//! retry, and the storefront shows that part of the shop as unavailable. Anything else is our bug,
//! a 500. Either way the detail goes to the log and never into the response.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::StatusCode;

use crate::http::{HttpError, INTERNAL_ERROR_MESSAGE};

/// A DynamoDB call that failed for a reason the client cannot fix.
#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation} failed: {detail}")]
pub struct StoreError {
    operation: &'static str,
    unavailable: bool,
    detail: String,
}

/// Service error codes that mean "not now" rather than "never".
const TRANSIENT_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
];

impl StoreError {
    pub fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let unavailable = match &err {
            SdkError::ServiceError(service) => service
                .err()
                .code()
                .is_some_and(|code| TRANSIENT_CODES.contains(&code)),
            SdkError::ConstructionFailure(_) => false,
            _ => true,
        };
        Self {
            operation,
            unavailable,
            detail: DisplayErrorContext(&err).to_string(),
        }
    }

    /// A stored item that does not have the shape this code wrote: a bug or a manual edit.
    pub fn corrupt(operation: &'static str, detail: impl Into<String>) -> Self {
        Self {
            operation,
            unavailable: false,
            detail: detail.into(),
        }
    }

    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

impl HttpError for StoreError {
    fn status(&self) -> StatusCode {
        if self.unavailable {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }

    fn code(&self) -> &'static str {
        if self.unavailable {
            "storage_unavailable"
        } else {
            "internal_error"
        }
    }

    fn public_message(&self) -> String {
        if self.unavailable {
            "this service's storage is temporarily unavailable; try again shortly".into()
        } else {
            INTERNAL_ERROR_MESSAGE.into()
        }
    }
}

/// Writes `item` unless an item with its `pk` exists: `Ok(false)` when one does. Because the check
/// is the write's condition, of N concurrent writers of one key exactly one gets `true`.
pub async fn put_if_absent(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    item: Item,
) -> Result<bool, StoreError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
        {
            Ok(false)
        }
        Err(err) => Err(StoreError::from_sdk("PutItem", err)),
    }
}

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The string attribute `name` of `item`; its absence means the item is not one we wrote.
pub fn string(item: &Item, name: &str) -> Result<String, StoreError> {
    item.get(name)
        .and_then(|value| value.as_s().ok())
        .cloned()
        .ok_or_else(|| StoreError::corrupt("read item", format!("missing string {name}")))
}

/// The integer attribute `name` of `item`.
pub fn number(item: &Item, name: &str) -> Result<i64, StoreError> {
    item.get(name)
        .and_then(|value| value.as_n().ok())
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| StoreError::corrupt("read item", format!("missing number {name}")))
}
