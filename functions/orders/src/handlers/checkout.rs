//! `POST /api/order/checkout` with card details: hand the caller's open order to payments.
//!
//! The order moves from `OPEN` to `PENDING_PAYMENT` with a conditional write, so of a double
//! click, a retry or two racing requests exactly one makes the move; only that one sends the
//! checkout message. Should it crash between the two, the next checkout call finds the order
//! pending with `payment_requested` still false and sends the message then; the FIFO queue's
//! deduplication by order id keeps that from ever delivering twice. The answer is 202: payment
//! happens asynchronously, and the order's status says how it went.
//!
//! The card number goes into the message and nowhere else: the order keeps its last four digits.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::messages::{Card, CheckoutRequested, OrderView};
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
    let card = http::parse_body::<CheckoutForm>(&request)?.card(OffsetDateTime::now_utc())?;
    let order = loop {
        let Some(order) = store.current(&caller.username).await? else {
            return Err(OrderError::NoOpenOrder.into());
        };
        match &order.state {
            State::Open => {
                let payer = Payer {
                    card_last4: card.last4().to_owned(),
                    email: caller.email.clone(),
                    customer_name: caller.name.clone(),
                };
                let pending = order
                    .check_out(payer, OffsetDateTime::now_utc())
                    .map_err(OrderError::from)?;
                if store.replace_open(&pending, order.version).await? {
                    break pending;
                }
                // The order changed (an item added, or another checkout won): look again.
            }
            State::PendingPayment { payer, .. } => {
                if payer.card_last4 != card.last4() {
                    return Err(ApiError::new(
                        ErrorCode::CheckoutInProgress,
                        format!(
                            "this order is already being paid with the card ending in {}",
                            payer.card_last4
                        ),
                    ));
                }
                break order;
            }
            State::Paid { .. } | State::PaymentFailed { .. } => {
                return Err(OrderError::from(RuleBroken::NotOpen(order.status())).into());
            }
        }
    };
    if let State::PendingPayment {
        payer,
        payment_requested: false,
    } = &order.state
    {
        queue
            .send(&checkout_message(&order, payer, card)?, order.id.as_str())
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "checkout message not sent");
                ApiError::new(
                    ErrorCode::CheckoutUnavailable,
                    "payment could not be started just now; nothing was charged. Check out again \
                     to retry",
                )
            })?;
        store.mark_payment_requested(&order.id).await?;
        tracing::info!(order_id = %order.id, "checkout requested");
    }
    Ok(http::json(StatusCode::ACCEPTED, &OrderView::from(&order)))
}

fn checkout_message(
    order: &Order,
    payer: &Payer,
    card: Card,
) -> Result<CheckoutRequested, ApiError> {
    let total = order
        .total()
        .ok_or_else(|| OrderError::from(RuleBroken::Empty))?;
    Ok(CheckoutRequested {
        order_id: order.id.clone(),
        owner: order.owner.clone(),
        email: payer.email.clone(),
        amount: total.minor,
        currency: total.currency,
        card,
        requested_at: order.updated_at,
    })
}
