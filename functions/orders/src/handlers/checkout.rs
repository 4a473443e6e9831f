//! `POST /api/order/checkout` with the order as the customer reviewed it (its id and version)
//! and card details: hand the order to payments.
//!
//! The order moves to `PENDING_PAYMENT` with a conditional write, from `OPEN` (its first payment
//! attempt) or from `PAYMENT_FAILED` (the next attempt, with another card), provided it is still at
//! the version the customer saw: an order changed since (an item added in another tab) is a 409,
//! and nothing is charged. Of a double click, a retry or two racing requests exactly one makes
//! the move and sends the checkout message (a racing request with the same card may send it too,
//! before the first has marked it sent: the queue drops the copy, deduplicating by payment
//! attempt, and payments charges each attempt once). Should it crash between the two, the next
//! checkout call finds the order pending with `payment_requested` still false and sends the
//! message then. The answer is 202: payment happens asynchronously, and the order's status says
//! how it went.
//!
//! The card number goes into the message and nowhere else: the order keeps its last four digits.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::messages::{Attempt, Card, CheckoutRequested, OrderView};
use shared::sqs::FifoQueue;
use time::OffsetDateTime;

use crate::domain::{Order, Payer, RuleBroken, State};
use crate::open_order::OrderError;
use crate::payment::CheckoutForm;
use crate::store::OrderStore;

pub async fn handle(
    store: &OrderStore,
    queue: &FifoQueue,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form = http::parse_body::<CheckoutForm>(&request)?;
    let card = form.card(OffsetDateTime::now_utc())?;
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
        if let State::PendingPayment { payer, .. } = &order.state {
            if payer.card_last4 != card.last4() {
                return Err(ApiError::new(
                    ErrorCode::CheckoutInProgress,
                    format!(
                        "this order is already being paid with the card ending in {}",
                        payer.card_last4
                    ),
                ));
            }
            // The same checkout again (a double click, a retried request): answer as before.
            break order;
        }
        let payer = Payer {
            card_last4: card.last4().to_owned(),
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
        let message = checkout_message(&order, *attempt, payer, card)?;
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
    card: Card,
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
        card,
        requested_at: order.updated_at,
    })
}
