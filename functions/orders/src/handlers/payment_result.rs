//! `order-payment-result`: consumes the payments service's verdicts (the payment results queue)
//! and settles each order, `PENDING_PAYMENT` to `PAID` or `PAYMENT_FAILED`, with a conditional
//! write. Only the orders service writes orders; payments only says what happened.
//!
//! A paid order then gets one message on the receipts queue. Delivery is at least once, so every
//! step is safe to repeat: an order already settled is left alone, and the receipt message is sent
//! until the order records that it was (the FIFO queue deduplicates a repeat by order id).

use shared::messages::{PaymentSettled, ReceiptLine, ReceiptRequested};
use shared::sqs::{self, FifoQueue, MessageError, SqsBatchResponse, SqsEvent, SqsMessage};

use crate::domain::{Order, OrderId, Status};
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
    let id = OrderId::parse(&settled.order_id).ok_or_else(|| {
        MessageError::Poison(format!("malformed order id {:?}", settled.order_id))
    })?;
    let order = record_outcome(store, &id, &settled).await?;
    if order.status == Status::Paid && !order.receipt_requested {
        let receipt = receipt_message(&order)?;
        receipts
            .send(&receipt, id.as_str())
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
        let next = match order.settle(&settled.outcome, &settled.settled_at) {
            Ok(Some(next)) => next,
            Ok(None) => return Ok(order),
            Err(rule) => return Err(MessageError::Poison(format!("order {id}: {rule}"))),
        };
        if store
            .replace(&next, order.version, Status::PendingPayment)
            .await
            .map_err(MessageError::retry)?
        {
            tracing::info!(order_id = %id, status = next.status.as_str(), "payment settled");
            return Ok(next);
        }
    }
    Err(MessageError::Retry(format!("order {id} kept changing")))
}

fn receipt_message(order: &Order) -> Result<ReceiptRequested, MessageError> {
    let incomplete =
        |what: &str| MessageError::Poison(format!("paid order {} has no {what}", order.id));
    let total = order.total().ok_or_else(|| incomplete("lines"))?;
    Ok(ReceiptRequested {
        order_id: order.id.to_string(),
        owner: order.owner.clone(),
        customer_name: order
            .customer_name
            .clone()
            .unwrap_or_else(|| order.owner.clone()),
        email: order.email.clone().ok_or_else(|| incomplete("e-mail"))?,
        currency: total.currency,
        lines: order
            .lines
            .iter()
            .map(|line| ReceiptLine {
                product_id: line.product_id.clone(),
                name: line.name.clone(),
                quantity: line.quantity,
                unit_price: line.unit_price.minor,
                line_total: line.total().map_or(0, |total| total.minor),
            })
            .collect(),
        total: total.minor,
        card_last4: order.card_last4.clone().ok_or_else(|| incomplete("card"))?,
        paid_at: order
            .paid_at
            .clone()
            .ok_or_else(|| incomplete("payment time"))?,
    })
}
