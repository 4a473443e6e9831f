//! `order-relay`: the orders table's stream, filtered to outbox items (see [`crate::outbox`]).
//! Each item's message goes to its queue, then the item is deleted.
//!
//! Records come in order, and Lambda delivers a batch again from its first reported failure, so
//! the relay stops at the first message it cannot send and reports it: the rest follow it on the
//! retry, in order. An item that cannot be read as a message is a bug, not a passing outage:
//! it is logged and passed over, so that it does not hold up every message after it.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::sqs::FifoQueue;

use crate::outbox::{Destination, Outgoing};
use crate::store::OrderStore;

/// The queues outbox items go to.
#[derive(Debug, Clone)]
pub struct Destinations {
    pub checkout: FifoQueue,
}

pub async fn handle(
    store: &OrderStore,
    destinations: &Destinations,
    event: Event,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in event.records {
        if let Err(err) = relay(store, destinations, &record).await {
            tracing::warn!(error = %err, "outbox message not sent yet; it comes again");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            break;
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
    let outgoing: Outgoing = match serde_dynamo::from_item(record.change.new_image.clone()) {
        Ok(outgoing) => outgoing,
        Err(err) => {
            tracing::error!(error = %err, "an outbox item that is not a message; passed over");
            return Ok(());
        }
    };
    if let Err(err) = serde_json::from_str::<serde::de::IgnoredAny>(&outgoing.body) {
        tracing::error!(error = %err, "an outbox message that is not JSON; passed over");
        return Ok(());
    }
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
