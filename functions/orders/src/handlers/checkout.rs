//! `POST /api/order/checkout` with the order as the customer reviewed it (its id and version)
//! and the card the payments service holds for the payment (its token, from
//! `POST /api/payment/card`): hand the order to payments. The card number never reaches this
//! service.
//!
//! The order moves to `PENDING_PAYMENT`, from `OPEN` (its first payment attempt) or from
//! `PAYMENT_FAILED` (the next attempt, with another card or the same one), provided it is still at
//! the version the customer saw: an order changed since (an item added in another tab) is a 409,
//! and nothing is charged. The move and the checkout message are one transaction: the message is
//! written to the orders table's outbox, and `order-relay` sends it (see [`crate::outbox`]). So
//! no order is ever pending without its payment request on its way, and none is charged for a
//! checkout that did not happen. Of a double click, a retry or two racing requests exactly one
//! makes the move; the others find the order pending and answer as it did. The answer is 202:
//! payment happens asynchronously, and the order's status says how it went.
//!
//! An open order is first brought up to the catalogue (see [`crate::domain::Listing`]): when a
//! price or a name changed, or a product is no longer sold, the order is updated and the answer is
//! a 409 that says what changed, so the customer reviews the new total before paying. An order
//! whose payment failed keeps the lines it was checked out with.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::error::ErrorCode;
use shared::http::{self, ApiError};
use shared::ids::{CardToken, OrderId};
use shared::messages::OrderView;
use shared::metrics::{self, Metric};
use time::OffsetDateTime;

use crate::catalog::Catalog;
use crate::domain::{Order, Payer, RuleBroken, State};
use crate::open_order::{self, ATTEMPTS, OrderError};
use crate::outbox;
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
    catalog: &Catalog,
    request: Request,
) -> Result<Response<Body>, ApiError> {
    let caller = Caller::from_request(&request)?;
    let form = http::parse_body::<CheckoutForm>(&request)?;
    // Named before the ownership check: a refused request for someone else's order is on that
    // order's lines too, where whoever investigates the order looks.
    shared::journey::record_order(form.order_id.as_str());
    let order = owned_order(store, &caller, &form.order_id).await?;
    if order.state == State::Open && order.version == form.version {
        bring_up_to_date(store, catalog, &order).await?;
    }
    for _ in 0..ATTEMPTS {
        let order = owned_order(store, &caller, &form.order_id).await?;
        let now = OffsetDateTime::now_utc();
        let pending = if let Some(requested) = order.request_payment(now) {
            // Left pending by the earlier checkout without its message: it goes now.
            requested
        } else if matches!(order.state, State::PendingPayment { .. }) {
            // The same checkout again (a double click, a retry): answered as before.
            return Ok(accepted(&order));
        } else {
            let payer = Payer {
                card_last4: None,
                email: caller.email.clone(),
                email_verified: caller.email_verified,
                customer_name: caller.name.clone(),
            };
            order
                .check_out(payer, form.version, now)
                .map_err(OrderError::from)?
        };
        let outgoing = outbox::checkout_message(&pending, form.card_token.clone())
            .ok_or_else(|| OrderError::from(RuleBroken::Empty))?;
        if store
            .replace_and_send(&pending, order.version, order.status(), &outgoing)
            .await?
        {
            tracing::info!(order_id = %pending.id, "checkout requested");
            if let Some(currency) = pending.currency() {
                metrics::record(Metric::CheckoutsStarted {
                    currency: currency.code(),
                });
            }
            return Ok(accepted(&pending));
        }
        // Another request changed the order first: read it again (and refuse it if it changed).
    }
    Err(OrderError::Busy.into())
}

/// The order `order_id` if it is `caller`'s: anyone else's is answered as if it did not exist.
async fn owned_order(
    store: &OrderStore,
    caller: &Caller,
    order_id: &OrderId,
) -> Result<Order, ApiError> {
    store
        .get_order(order_id)
        .await?
        .filter(|order| order.owner == caller.username)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::OrderNotFound,
                format!("you have no order {order_id}"),
            )
        })
}

/// Asks the catalogue about every product in the open `order`; if anything changed, stores the
/// order brought up to date and refuses the checkout, saying what changed.
async fn bring_up_to_date(
    store: &OrderStore,
    catalog: &Catalog,
    order: &Order,
) -> Result<(), ApiError> {
    let listings = catalog
        .listings(
            order
                .lines
                .iter()
                .map(|line| line.product_id.clone())
                .collect(),
        )
        .await?;
    let refreshed = order.clone().refresh(&listings).map_err(OrderError::from)?;
    if refreshed.is_empty() {
        return Ok(());
    }
    open_order::change(store, &order.owner, false, |open| {
        open.refresh(&listings).map(drop)
    })
    .await?;
    tracing::info!(order_id = %order.id, ?refreshed, "order brought up to the catalogue");
    Err(OrderError::from(RuleBroken::Refreshed(refreshed)).into())
}

fn accepted(order: &Order) -> Response<Body> {
    http::json(StatusCode::ACCEPTED, &OrderView::from(order))
}
