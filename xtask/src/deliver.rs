//! Delivering queued messages to a consumer function the way Lambda's SQS event source mapping
//! does: receive a batch, hand it over as an SQS event, delete the messages the function did not
//! report as failed, and leave the failed ones on the queue to come back.
//!
//! The tests use it to drive consumers with real messages from the emulator's queues, and the
//! local shop uses it in place of the event source mappings that moto does not run.

use std::future::Future;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use serde_json::json;

use crate::Result;

/// What one delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    /// Messages handed to the consumer.
    pub delivered: usize,
    /// Of those, the ones it reported as failed.
    pub failed: usize,
}

/// How failed messages come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redelivery {
    /// After the queue's visibility timeout, as on AWS.
    AfterTimeout,
    /// At once: their visibility timeout is cut to zero, as if it had passed. Tests use this
    /// rather than wait minutes; the receive count, and so the move to the dead-letter queue,
    /// works exactly as it would.
    Immediately,
}

/// The SQS clients a delivery uses.
#[derive(Debug, Clone, Copy)]
pub struct Poller<'a> {
    /// The consumer function's role: the event source mapping receives and deletes with it.
    pub role: &'a aws_sdk_sqs::Client,
    /// The operator's, for [`Redelivery::Immediately`], a shortcut of the tests' that nothing
    /// on AWS takes.
    pub operator: &'a aws_sdk_sqs::Client,
    /// How long a receive waits for a message (`WaitTimeSeconds`): 0 returns at once.
    pub wait_seconds: i32,
}

/// Receives up to `batch_size` messages from `queue_url` and delivers them to `consumer`.
pub async fn deliver_batch<F, Fut>(
    poller: Poller<'_>,
    queue_url: &str,
    batch_size: i32,
    redelivery: Redelivery,
    consumer: F,
) -> Result<Delivery>
where
    F: FnOnce(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse>,
{
    let received = poller
        .role
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(batch_size.clamp(1, 10))
        .wait_time_seconds(poller.wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(|err| {
            format!(
                "receiving from {queue_url}: {}",
                aws_sdk_sqs::error::DisplayErrorContext(err)
            )
        })?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(Delivery::default());
    }
    let mut segments = queue_url.rsplit('/');
    let queue_name = segments.next().unwrap_or_default();
    let account = segments.next().unwrap_or_default();
    let region = poller
        .role
        .config()
        .region()
        .map(|region| region.as_ref().to_owned())
        .unwrap_or_default();
    let records: Vec<_> = messages
        .iter()
        .map(|message| {
            let attributes: serde_json::Map<String, serde_json::Value> = message
                .attributes()
                .into_iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), json!(value)))
                .collect();
            json!({
                "messageId": message.message_id(),
                "receiptHandle": message.receipt_handle(),
                "body": message.body(),
                "attributes": attributes,
                "messageAttributes": message_attributes(message),
                "md5OfBody": message.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:{region}:{account}:{queue_name}"),
                "awsRegion": region,
            })
        })
        .collect();
    let event: SqsEvent = serde_json::from_value(json!({ "Records": records }))?;
    let response = consumer(event).await;

    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect();
    let mut deletions = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let id = message.message_id().unwrap_or_default();
        let handle = message.receipt_handle().unwrap_or_default();
        if failed.contains(&id) {
            if redelivery == Redelivery::Immediately {
                poller
                    .operator
                    .change_message_visibility()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .map_err(|err| {
                        format!(
                            "releasing {id}: {}",
                            aws_sdk_sqs::error::DisplayErrorContext(err)
                        )
                    })?;
            }
        } else {
            deletions.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(handle)
                    .build()?,
            );
        }
    }
    if !deletions.is_empty() {
        poller
            .role
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(deletions))
            .send()
            .await
            .map_err(|err| {
                format!(
                    "deleting from {queue_url}: {}",
                    aws_sdk_sqs::error::DisplayErrorContext(err)
                )
            })?;
    }
    Ok(Delivery {
        delivered: messages.len(),
        failed: failed.len(),
    })
}

/// A message's attributes as Lambda gives them to the function (string attributes: the shop
/// sends no binary ones).
fn message_attributes(message: &aws_sdk_sqs::types::Message) -> serde_json::Value {
    let attributes: serde_json::Map<String, serde_json::Value> = message
        .message_attributes()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            let attribute = json!({
                "stringValue": value.string_value(),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.data_type(),
            });
            (name.clone(), attribute)
        })
        .collect();
    serde_json::Value::Object(attributes)
}
