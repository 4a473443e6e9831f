//! SQS consumers: a batch of messages in, the ones that failed out.
//!
//! Lambda's event source mapping deletes every message of a batch the function does not report
//! as failed (the template sets `ReportBatchItemFailures`). A failed message comes back after the
//! queue's visibility timeout and, after `maxReceiveCount` receives, goes to the dead-letter
//! queue, so one bad message never holds up the others. Consumers must be idempotent: SQS
//! delivers at least once.

use std::convert::Infallible;
use std::future::Future;

pub use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{
    MessageAttributeValue, MessageSystemAttributeNameForSends, MessageSystemAttributeValue,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde::de::DeserializeOwned;

use crate::journey::{self, Journey, TraceHeader};
use crate::metrics::{self, Metric};

/// Why a message was not processed. Either way SQS will deliver it again; the kind says whether
/// that can help, which is what the log line says too.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// Something we depend on failed (a table, a queue, the bank): a later try may succeed.
    #[error("will retry: {0}")]
    Retry(String),
    /// The message itself is unusable: it will end in the dead-letter queue.
    #[error("cannot process: {0}")]
    Poison(String),
}

impl MessageError {
    pub fn retry(err: impl std::fmt::Display) -> Self {
        Self::Retry(err.to_string())
    }
}

/// An SQS client for `sdk`, to share between a function's [`FifoQueue`]s.
pub fn client(sdk: &crate::aws::SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(sdk)
}

/// A FIFO queue to send one service's messages to another.
///
/// Each message is sent in a group (an order id: one group's messages arrive in order) under a
/// deduplication key: within SQS's five-minute deduplication window, a message sent twice with
/// one group and key (a retry after a crash, two racing requests) is delivered once.
#[derive(Debug, Clone)]
pub struct FifoQueue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

/// Sending failed; the message may or may not have been accepted.
#[derive(Debug, thiserror::Error)]
#[error("sending to {queue} failed: {detail}")]
pub struct SendError {
    queue: String,
    detail: String,
}

impl FifoQueue {
    pub fn new(sqs: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            sqs,
            url: url.into(),
        }
    }

    /// The queue whose URL is in the environment variable `variable`, sent to with `sqs`: one
    /// client for all of a function's queues, since each client made costs its own set-up.
    pub fn from_env(
        sqs: &aws_sdk_sqs::Client,
        variable: &'static str,
    ) -> Result<Self, crate::config::ConfigError> {
        Ok(Self::new(sqs.clone(), crate::config::required(variable)?))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends `message` as JSON in the message group `group` (one per order: its messages arrive
    /// in order), under `deduplication`: a message sent again in the same group under the same
    /// key within five minutes is dropped by the queue.
    pub async fn send<T: serde::Serialize>(
        &self,
        message: &T,
        group: &str,
        deduplication: &str,
    ) -> Result<(), SendError> {
        let body = serde_json::to_string(message).map_err(|err| SendError {
            queue: self.url.clone(),
            detail: err.to_string(),
        })?;
        self.send_text(body, group, deduplication).await
    }

    /// Sends `body`, a message already written as JSON, as [`Self::send`] does.
    ///
    /// Within a [`journey`], the message carries it on: its id as the [`journey::ATTRIBUTE`]
    /// message attribute, and its trace header as the `AWSTraceHeader` system attribute.
    pub async fn send_text(
        &self,
        body: String,
        group: &str,
        deduplication: &str,
    ) -> Result<(), SendError> {
        let fail = |detail: String| SendError {
            queue: self.url.clone(),
            detail,
        };
        let mut send = self
            .sqs
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .message_group_id(group)
            .message_deduplication_id(deduplication_id(group, deduplication));
        if let Some(journey) = journey::current().filter(|journey| !journey.id().is_empty()) {
            let attribute = |value: &str| {
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .map_err(|err| fail(err.to_string()))
            };
            send = send.message_attributes(journey::ATTRIBUTE, attribute(journey.id())?);
            if let Some(trace) = journey.trace() {
                let header = MessageSystemAttributeValue::builder()
                    .data_type("String")
                    .string_value(trace.as_str())
                    .build()
                    .map_err(|err| fail(err.to_string()))?;
                send = send.message_system_attributes(
                    MessageSystemAttributeNameForSends::AwsTraceHeader,
                    header,
                );
            }
        }
        send.send()
            .await
            .map_err(|err| fail(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))?;
        Ok(())
    }
}

/// The deduplication id SQS is given for a message of `group` deduplicated as `deduplication`:
/// the two together, hashed (43 characters of the 128 allowed). A high-throughput FIFO queue
/// deduplicates within each message group, a normal one (and moto, whatever the queue says)
/// across the whole queue: with the group in the id, the same ids collide in both. (The
/// shop's keys are unique per group already; this keeps it so for any sender.) moto forgets an
/// id once its message leaves the queue, where SQS keeps it five minutes: no test relies on
/// the difference, and every consumer takes a message twice without harm.
fn deduplication_id(group: &str, deduplication: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    // A group id cannot hold a line break, so the pair is read back one way only.
    let digest = Sha256::new()
        .chain_update(group)
        .chain_update("\n")
        .chain_update(deduplication)
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// The message's body as `T`, or a [`MessageError::Poison`].
pub fn body<T: DeserializeOwned>(message: &SqsMessage) -> Result<T, MessageError> {
    let text = message.body.as_deref().unwrap_or_default();
    serde_json::from_str(text)
        .map_err(|err| MessageError::Poison(format!("the body is not the expected message: {err}")))
}

/// Runs `handle` on every message of the batch and reports the ones that failed.
///
/// Messages of one FIFO group are handled in order, and once one fails the rest of its group is
/// reported failed unhandled, so the group's order survives the retry. Different groups (each
/// order is its own) are handled concurrently: one after another, a batch of ten waiting on
/// slow dependencies can outlive the function's timeout, come back whole, and push messages
/// towards the dead-letter queue (the ten-minute soak found this).
pub async fn process_batch<F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), MessageError>>,
{
    // Groups in the order they first appear; a message without a group is a group of its own.
    let mut groups: Vec<(Option<String>, Vec<SqsMessage>)> = Vec::new();
    for message in event.records {
        let group = message.attributes.get("MessageGroupId").cloned();
        match groups
            .iter_mut()
            .find(|(key, _)| group.is_some() && *key == group)
        {
            Some((_, messages)) => messages.push(message),
            None => groups.push((group, vec![message])),
        }
    }
    let handle = &handle;
    let outcomes = futures::future::join_all(groups.into_iter().map(|(_, messages)| async move {
        let mut failed = Vec::new();
        for message in messages {
            let id = message.message_id.clone().unwrap_or_default();
            if !failed.is_empty() {
                failed.push(id);
                continue;
            }
            let journey = carried_journey(&message);
            let handled = journey::within(journey, async {
                // Boxed: a consumer's future nests deep (SDK calls inside retries inside this
                // loop), and holding it by pointer keeps the enclosing future's type shallow.
                let handled = Box::pin(handle(message)).await;
                match &handled {
                    Err(err @ MessageError::Retry(_)) => {
                        tracing::warn!(message_id = %id, error = %err, "message failed")
                    }
                    Err(err @ MessageError::Poison(_)) => {
                        tracing::error!(message_id = %id, error = %err, "message failed")
                    }
                    Ok(()) => {}
                }
                handled
            });
            if Box::pin(handled).await.is_err() {
                // The rest of its group is not counted: those messages were not tried.
                metrics::record(Metric::MessagesFailed);
                failed.push(id);
            }
        }
        failed
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for id in outcomes.into_iter().flatten() {
        response.add_failure(id);
    }
    response
}

/// The journey `message` came with, and the trace header it came with; one named after the
/// message if it came without (sent before journeys were, or by hand) or with one that is not an
/// id (it goes on every log line).
fn carried_journey(message: &SqsMessage) -> Journey {
    let id = message
        .message_attributes
        .get(journey::ATTRIBUTE)
        .and_then(|attribute| attribute.string_value.clone())
        .filter(|id| journey::is_id(id))
        .or_else(|| message.message_id.clone())
        .unwrap_or_default();
    let upstream = message
        .attributes
        .get("AWSTraceHeader")
        .and_then(|header| TraceHeader::parse(header));
    Journey::received(id, upstream)
}

/// Runs `handler` as this process's SQS-triggered Lambda function.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(SqsEvent) -> Fut,
    Fut: Future<Output = SqsBatchResponse> + Send,
{
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let answer = metrics::collecting(handler(event.payload));
        async move { Ok::<_, Infallible>(answer.await) }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deduplication_id_is_its_groups_and_keeps_to_what_sqs_allows() {
        let id = deduplication_id("order-1", "paid");
        assert_eq!(id, deduplication_id("order-1", "paid"));
        assert_ne!(id, deduplication_id("order-2", "paid"));
        assert_ne!(id, deduplication_id("order-1", "charged"));
        // Not fooled by where one ends and the other starts.
        assert_ne!(deduplication_id("ab", "c"), deduplication_id("a", "bc"));
        assert!(id.len() <= 128);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
        );
    }

    fn message(id: &str, group: &str, body: &str) -> SqsMessage {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body.into());
        message
            .attributes
            .insert("MessageGroupId".into(), group.into());
        message
    }

    #[tokio::test]
    async fn only_failed_messages_and_their_groups_later_messages_are_reported() {
        let mut event = SqsEvent::default();
        event.records = vec![
            message("1", "a", "ok"),
            message("2", "b", "fail"),
            message("3", "a", "ok"),
            message("4", "b", "ok"),
            message("5", "c", "poison"),
        ];
        let seen = std::sync::Mutex::new(Vec::new());
        let response = process_batch(event, |message| {
            let body = message.body.clone().unwrap_or_default();
            seen.lock()
                .unwrap()
                .push(message.message_id.clone().unwrap());
            async move {
                match body.as_str() {
                    "fail" => Err(MessageError::Retry("down".into())),
                    "poison" => Err(MessageError::Poison("bad".into())),
                    _ => Ok(()),
                }
            }
        })
        .await;
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["2", "4", "5"]);
        // Groups run concurrently, each in its own order; "4" waits behind its group's failure.
        let mut seen = seen.into_inner().unwrap();
        let position = |id: &str| seen.iter().position(|seen| seen == id);
        assert!(position("1") < position("3"));
        seen.sort_unstable();
        assert_eq!(seen, ["1", "2", "3", "5"]);
    }

    #[tokio::test]
    async fn each_message_is_handled_within_the_journey_it_came_with() {
        let mut carried = message("m-1", "a", "{}");
        let mut attribute = aws_lambda_events::sqs::SqsMessageAttribute::default();
        attribute.string_value = Some("api-7".into());
        attribute.data_type = Some("String".into());
        carried
            .message_attributes
            .insert(journey::ATTRIBUTE.into(), attribute);
        carried.attributes.insert(
            "AWSTraceHeader".into(),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1".into(),
        );
        let mut event = SqsEvent::default();
        event.records = vec![carried, message("m-2", "b", "{}")];
        let seen = std::sync::Mutex::new(Vec::new());
        process_batch(event, |_| async {
            let before = journey::current().unwrap();
            // The other group runs meanwhile: each keeps its own journey across the wait.
            tokio::task::yield_now().await;
            let after = journey::current().unwrap();
            assert_eq!(before, after);
            seen.lock().unwrap().push(after.id().to_owned());
            Ok(())
        })
        .await;
        let mut seen = seen.into_inner().unwrap();
        seen.sort_unstable();
        assert_eq!(seen, ["api-7", "m-2"], "a message without one is its own");
    }

    #[test]
    fn unreadable_bodies_are_poison() {
        #[derive(Debug, serde::Deserialize)]
        struct Expected {
            #[allow(dead_code)]
            order_id: String,
        }
        let err = body::<Expected>(&message("1", "a", "{not json")).unwrap_err();
        assert!(matches!(err, MessageError::Poison(_)));
    }
}
