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

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use shared::sqs::FifoQueue;

use crate::outbox::Destination;
use crate::store::OrderStore;

/// The queues outbox items go to.
#[derive(Debug, Clone)]
pub struct Destinations {
    pub checkout: FifoQueue,
    pub receipt_erasure: FifoQueue,
    pub reports: FifoQueue,
}

pub async fn handle(
    store: &OrderStore,
    destinations: &Destinations,
    event: Event,
) -> DynamoDbEventResponse {
    shared::outbox::relay(
        store.table(),
        |destination: &Destination| match destination {
            Destination::Checkout => &destinations.checkout,
            Destination::ReceiptErasure => &destinations.receipt_erasure,
            Destination::Reports => &destinations.reports,
        },
        event,
    )
    .await
}
