//! `order-relay`: the orders table's stream, filtered to outbox items (see [`crate::outbox`]).
//! Each record names an outbox item; the item as the table holds it now is sent to its queue,
//! then deleted. An item already gone was sent: its record came again (a retry, a replay of the
//! stream, a re-drive), and it is not sent twice.
//!
//! Every record is tried, and every one that failed is reported by its sequence number: Lambda
//! gives the batch again from the first of them (the ones after it that went through are then
//! found gone), so one message that cannot go does not hold up the others. An item that cannot be
//! read as a message is a bug, not an outage: it is logged and reported like a failed send, so
//! that its trigger gives up on it in the end and the alarm on `OutboxFailuresQueue` calls a
//! person; the order it belongs to stays pending until then.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use serde::Deserialize;
use shared::sqs::FifoQueue;

use crate::outbox::{Destination, OUTBOX_PREFIX};
use crate::store::OrderStore;

/// The queues outbox items go to.
#[derive(Debug, Clone)]
pub struct Destinations {
    pub checkout: FifoQueue,
}

/// A stream record's key.
#[derive(Debug, Deserialize)]
struct Key {
    pk: String,
}

pub async fn handle(
    store: &OrderStore,
    destinations: &Destinations,
    event: Event,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in event.records {
        if let Err(err) = relay(store, destinations, &record).await {
            let sequence = record.change.sequence_number.clone();
            tracing::error!(error = %err, sequence, "outbox message not sent; it comes again");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence;
            response.batch_item_failures.push(failure);
        }
    }
    response
}

async fn relay(
    store: &OrderStore,
    destinations: &Destinations,
    record: &EventRecord,
) -> Result<(), String> {
    if record.event_name == "REMOVE" {
        return Ok(());
    }
    let key: Key = serde_dynamo::from_item(record.change.keys.clone())
        .map_err(|err| format!("a record without a key: {err}"))?;
    if !key.pk.starts_with(OUTBOX_PREFIX) {
        return Err(format!("{:?} is not an outbox item", key.pk));
    }
    let Some(outgoing) = store
        .outgoing(&key.pk)
        .await
        .map_err(|err| err.to_string())?
    else {
        tracing::info!(key = %key.pk, "outbox message already sent");
        return Ok(());
    };
    serde_json::from_str::<serde::de::IgnoredAny>(&outgoing.body)
        .map_err(|err| format!("{} is not JSON: {err}", key.pk))?;
    let queue = match outgoing.destination {
        Destination::Checkout => &destinations.checkout,
    };
    // Sent as written, byte for byte.
    queue
        .send_text(
            outgoing.body.clone(),
            &outgoing.group,
            &outgoing.deduplication,
        )
        .await
        .map_err(|err| err.to_string())?;
    store.sent(&outgoing).await.map_err(|err| err.to_string())?;
    tracing::info!(deduplication = %outgoing.deduplication, "outbox message sent");
    Ok(())
}
