//! `POST /api/order/checkout` with the order as the customer reviewed it (its id and version)
//! and the card the payments service holds for the payment (its token, from
//! `POST /api/payment/card`): hand the order to payments. The card number never reaches this
//! service.
//!
//! The order moves to `PENDING_PAYMENT` with a conditional write, from `OPEN` (its first payment
//! attempt) or from `PAYMENT_FAILED` (the next attempt, with another card or the same one),
//! provided it is still at the version the customer saw: an order changed since (an item added in
//! another tab) is a 409, and nothing is charged. Of a double click, a retry or two racing
//! requests exactly one makes the move and sends the checkout message; the others find the order
//! pending and answer as it did (a racing request may send the message too, before the first has
//! marked it sent: the queue drops the copy, deduplicating by payment attempt, and payments
//! charges each attempt once). Should it crash between the two, the next checkout call finds the
//! order pending with `payment_requested` still false and sends the message then. The answer is
//! 202: payment happens asynchronously, and the order's status says how it went.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::ids::{CardToken, OrderId};
use shared::messages::{Attempt, CheckoutRequested, OrderView};
use shared::sqs::FifoQueue;
use time::OffsetDateTime;

use crate::domain::{Order, Payer, RuleBroken, State};
use crate::open_order::OrderError;
use crate::store::OrderStore;

/// What a checkout sends. Unknown fields (a card number among them) are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutForm {
    /// The order being paid: the open one, or one whose payment failed.
    order_id: OrderId,
    /// The order's `version` when the customer reviewed it: a changed order is not charged.
    version: u64,
    /// The card the payments service holds for this payment.
    card_token: CardToken,
}

pub async fn handle(
    store: &OrderStore,
    queue: &FifoQueue,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form = http::parse_body::<CheckoutForm>(&request)?;
    let order = loop {
        let order = store
            .get_order(&form.order_id)
            .await?
            .filter(|order| order.owner == caller.username)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::OrderNotFound,
                    format!("you have no order {}", form.order_id),
                )
            })?;
        if matches!(order.state, State::PendingPayment { .. }) {
            // The same checkout again (a double click, a retried request): answer as before.
            break order;
        }
        let payer = Payer {
            card_last4: None,
            email: caller.email.clone(),
            customer_name: caller.name.clone(),
        };
        let pending = order
            .check_out(payer, form.version, OffsetDateTime::now_utc())
            .map_err(OrderError::from)?;
        if store
            .replace(&pending, order.version, order.status())
            .await?
        {
            break pending;
        }
        // Another request changed the order first: read it again (and refuse it if it changed).
    };
    if let State::PendingPayment {
        payer,
        attempt,
        payment_requested: false,
    } = &order.state
    {
        let message = checkout_message(&order, *attempt, payer, form.card_token)?;
        queue
            .send(&message, order.id.as_str(), &attempt.name(&order.id))
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "checkout message not sent");
                ApiError::new(
                    ErrorCode::CheckoutUnavailable,
                    "payment could not be started just now; nothing was charged. Check out again \
                     to retry",
                )
            })?;
        store.mark_payment_requested(&order.id, *attempt).await?;
        tracing::info!(order_id = %order.id, "checkout requested");
    }
    Ok(http::json(StatusCode::ACCEPTED, &OrderView::from(&order)))
}

fn checkout_message(
    order: &Order,
    attempt: Attempt,
    payer: &Payer,
    card_token: CardToken,
) -> Result<CheckoutRequested, ApiError> {
    let total = order
        .total()
        .ok_or_else(|| OrderError::from(RuleBroken::Empty))?;
    Ok(CheckoutRequested {
        order_id: order.id.clone(),
        attempt,
        owner: order.owner.clone(),
        email: payer.email.clone(),
        amount: total.minor,
        currency: total.currency,
        card_token,
        requested_at: order.updated_at,
    })
}
