//! The transactional outbox, for any service: a message a service must send is written in the
//! same DynamoDB transaction as the change it announces, as an item of the service's own table
//! (`OUTBOX#<deduplication id>`), and sent by the service's relay, which the table's stream
//! triggers (filtered to these items). So the change and its message happen together or not at
//! all.
//!
//! The relay sends each item to its queue, deduplicated by its id, and then deletes it; a crash in
//! between sends it again, which the FIFO queue drops (within five minutes) and the consumer
//! ignores. An item already gone was sent: its record came again (a retry, a replay, a re-drive).
//! Every record is tried, and every one that failed is reported by its sequence number, so one
//! message that cannot go does not hold up the others.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::journey::{self, Journey};
use crate::metrics::{self, Metric};
use crate::sqs::FifoQueue;
use crate::store::Table;

/// What every outbox item's key starts with (the relay's trigger filters on it).
pub const OUTBOX_PREFIX: &str = "OUTBOX#";

/// The key of the outbox item deduplicated by `deduplication`.
pub fn outbox_key(deduplication: &str) -> String {
    format!("{OUTBOX_PREFIX}{deduplication}")
}

/// A message waiting in the outbox, as stored, for one of the service's destinations `D` (an
/// enum of its queues).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing<D> {
    pub destination: D,
    /// The FIFO message group (messages of one group stay in order).
    pub group: String,
    /// The FIFO deduplication id, also the item's key.
    pub deduplication: String,
    /// The message, as JSON text.
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub written_at: OffsetDateTime,
    /// The journey the change was made in, which the relay carries on with the message (absent
    /// from items written outside one, or before journeys were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<Journey>,
}

impl<D> Outgoing<D> {
    /// `message` for `destination`, in `group`, deduplicated by `deduplication`.
    pub fn new<T: Serialize>(
        destination: D,
        message: &T,
        group: &str,
        deduplication: &str,
        now: OffsetDateTime,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            destination,
            group: group.to_owned(),
            deduplication: deduplication.to_owned(),
            body: serde_json::to_string(message)?,
            written_at: now,
            journey: journey::current(),
        })
    }

    /// The item's key.
    pub fn key(&self) -> String {
        outbox_key(&self.deduplication)
    }
}

/// Runs `handler` (a service's relay, calling [`relay`]) as this process's Lambda function,
/// triggered by its table's stream.
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(Event) -> Fut,
    Fut: std::future::Future<Output = DynamoDbEventResponse> + Send,
{
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<Event>| {
            // Boxed: the relay's future, nested in the runtime's, is too deep a type for the
            // compiler's layout otherwise.
            let answer = Box::pin(metrics::collecting(handler(event.payload)));
            async move { Ok::<_, std::convert::Infallible>(answer.await) }
        },
    ))
    .await
}

/// A stream record's key.
#[derive(Debug, Deserialize)]
struct Key {
    pk: String,
}

/// The relay: sends the outbox items `event`'s records name, from `table`, to the queue
/// `queue_of` gives for each destination, and reports the records that failed.
pub async fn relay<'q, D, F>(table: &Table, queue_of: F, event: Event) -> DynamoDbEventResponse
where
    D: DeserializeOwned,
    F: Fn(&D) -> &'q FifoQueue,
{
    let mut response = DynamoDbEventResponse::default();
    for record in event.records {
        if let Err(Unsent { why, journey }) = relay_one(table, &queue_of, &record).await {
            let sequence = record.change.sequence_number.clone();
            let report = async {
                tracing::error!(error = %why, sequence, "outbox message not sent; it comes again");
                metrics::record(Metric::MessagesFailed);
            };
            // On the journey's lines, where whoever follows the order looks, once it is known.
            match journey {
                Some(journey) => journey::within(journey, report).await,
                None => report.await,
            }
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

/// Why an outbox item was not sent, and its journey once the item was read.
struct Unsent {
    why: String,
    journey: Option<Journey>,
}

/// Sends the outbox item `record` names.
async fn relay_one<'q, D, F>(
    table: &Table,
    queue_of: &F,
    record: &EventRecord,
) -> Result<(), Unsent>
where
    D: DeserializeOwned,
    F: Fn(&D) -> &'q FifoQueue,
{
    if record.event_name == "REMOVE" {
        return Ok(());
    }
    let unknown = |why: String| Unsent { why, journey: None };
    let key: Key = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|err| unknown(format!("a record without a key: {err}")))?;
    if !key.pk.starts_with(OUTBOX_PREFIX) {
        return Err(unknown(format!("{:?} is not an outbox item", key.pk)));
    }
    let Some(outgoing) = table
        .get_record::<Outgoing<D>>(key.pk.clone(), true)
        .await
        .map_err(|err| unknown(err.to_string()))?
    else {
        tracing::info!(key = %key.pk, "outbox message already sent");
        return Ok(());
    };
    // The stream record carries no journey: the item does, with the trace it was written under.
    let journey = outgoing
        .journey
        .clone()
        .unwrap_or_else(|| Journey::received(outgoing.deduplication.clone(), None));
    serde_json::from_str::<serde::de::IgnoredAny>(&outgoing.body).map_err(|err| Unsent {
        why: format!("{} is not JSON: {err}", key.pk),
        journey: Some(journey.clone()),
    })?;
    journey::within(journey.clone(), async {
        // Sent as written, byte for byte.
        queue_of(&outgoing.destination)
            .send_text(
                outgoing.body.clone(),
                &outgoing.group,
                &outgoing.deduplication,
            )
            .await
            .map_err(|err| err.to_string())?;
        table
            .delete(outgoing.key())
            .await
            .map_err(|err| err.to_string())?;
        tracing::info!(deduplication = %outgoing.deduplication, "outbox message sent");
        Ok::<(), String>(())
    })
    .await
    .map_err(|why| Unsent {
        why,
        journey: Some(journey),
    })
}
