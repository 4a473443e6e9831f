//! `order-settle`: consumes the payments service's verdicts (the payment results queue)
//! and settles each order, `PENDING_PAYMENT` to `PAID` or `PAYMENT_FAILED`, with a conditional
//! write. Only the orders service writes orders; payments only says what happened. The same
//! transaction writes what the sales reports count of it (the sale, or the failed payment) to the
//! outbox ([`crate::outbox::sales_message`]), so a report misses no settled order and counts none
//! that was not.
//!
//! A paid order then gets one message on the receipts queue. Delivery is at least once, so every
//! step is safe to repeat: an order already settled is left alone, and the receipt message is sent
//! until the order records that it was (the FIFO queue deduplicates a repeat by order id).

use shared::ids::OrderId;
use shared::messages::{OrderStatus, OrderView, PaymentSettled};
use shared::metrics::{self, Metric};
use shared::sqs::{self, FifoQueue, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::domain::{Order, State};
use crate::outbox::sales_message;
use crate::store::OrderStore;

/// Settling is one conditional write; more attempts than this means something else is wrong.
const ATTEMPTS: u32 = 5;

pub async fn handle(store: &OrderStore, receipts: &FifoQueue, event: SqsEvent) -> SqsBatchResponse {
    sqs::process_batch(event, |message| settle(store, receipts, message)).await
}

async fn settle(
    store: &OrderStore,
    receipts: &FifoQueue,
    message: SqsMessage,
) -> Result<(), MessageError> {
    let settled: PaymentSettled = sqs::body(&message)?;
    let id = settled.order_id.clone();
    shared::journey::record_order(id.as_str());
    let order = record_outcome(store, &id, &settled).await?;
    if let State::Paid {
        receipt_requested: false,
        ..
    } = order.state
    {
        let receipt = OrderView::from(&order).receipt().ok_or_else(|| {
            MessageError::Poison(format!("paid order {id} has nothing to put on a receipt"))
        })?;
        receipts
            .send(&receipt, id.as_str(), id.as_str())
            .await
            .map_err(MessageError::retry)?;
        store
            .mark_receipt_requested(&id)
            .await
            .map_err(MessageError::retry)?;
        tracing::info!(order_id = %id, "receipt requested");
    }
    Ok(())
}

/// The order after `settled` is applied, once.
async fn record_outcome(
    store: &OrderStore,
    id: &OrderId,
    settled: &PaymentSettled,
) -> Result<Order, MessageError> {
    for _ in 0..ATTEMPTS {
        let order = store
            .get_order(id)
            .await
            .map_err(MessageError::retry)?
            .ok_or_else(|| MessageError::Poison(format!("there is no order {id}")))?;
        let next = match order.settle(
            settled.attempt,
            &settled.outcome,
            settled.card_last4.as_deref(),
            settled.settled_at,
        ) {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(order),
            Err(rule) => return Err(MessageError::Poison(format!("order {id}: {rule}"))),
        };
        // Checkout refuses an empty order, so a settled order always has a sale to count; if it
        // ever had none, the order is settled all the same and the reports miss it, loudly.
        let written = match sales_message(&next) {
            Some(sale) => {
                store
                    .replace_and_send(&next, order.version, OrderStatus::PendingPayment, &sale)
                    .await
            }
            None => {
                tracing::error!(order_id = %id, "a settled order without a total: not reported");
                store
                    .replace(&next, order.version, OrderStatus::PendingPayment)
                    .await
            }
        };
        if written.map_err(MessageError::retry)? {
            tracing::info!(order_id = %id, status = next.status().as_str(), "payment settled");
            if let (State::Paid { .. }, Some(total)) = (&next.state, next.total()) {
                metrics::record(Metric::Revenue {
                    currency: total.currency.code(),
                    minor_units: total.minor,
                });
            }
            return Ok(next);
        }
    }
    Err(MessageError::Retry(format!("order {id} kept changing")))
}
