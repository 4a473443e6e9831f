//! Sending the checkout message to the payments service's queue.
//!
//! The queue is FIFO and each message's deduplication id is its order id, so however often one
//! order's message is sent within SQS's five-minute window (a retry after a crash, two racing
//! requests), payments receives it once.

use lambda_http::http::StatusCode;
use shared::config::{self, ConfigError};
use shared::http::HttpError;
use shared::messages::CheckoutRequested;

#[derive(Debug, thiserror::Error)]
#[error("sending the checkout message failed: {0}")]
pub struct QueueError(String);

impl HttpError for QueueError {
    fn status(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn code(&self) -> &'static str {
        "checkout_unavailable"
    }

    fn public_message(&self) -> String {
        "payment could not be started just now; nothing was charged. Check out again to retry"
            .into()
    }
}

#[derive(Debug, Clone)]
pub struct CheckoutQueue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl CheckoutQueue {
    pub fn new(sqs: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            sqs,
            url: url.into(),
        }
    }

    /// The queue at `CHECKOUT_QUEUE_URL`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_sqs::Client::new(sdk),
            config::required("CHECKOUT_QUEUE_URL")?,
        ))
    }

    pub async fn send(&self, message: &CheckoutRequested) -> Result<(), QueueError> {
        let body = serde_json::to_string(message).map_err(|err| QueueError(err.to_string()))?;
        self.sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .message_group_id(&message.order_id)
            .message_deduplication_id(&message.order_id)
            .send()
            .await
            .map_err(|err| QueueError(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))?;
        Ok(())
    }
}
