//! The orders service's use of the transactional outbox ([`shared::outbox`]): a message the
//! orders service must send is written in the same DynamoDB transaction as the change it
//! announces, as an item of the orders table (`OUTBOX#<deduplication id>`), and sent by
//! `order-relay`, which the table's stream triggers.
//! So the change and its message happen together or not at all: no order can wait for a
//! message that was never sent, and none can be sent for a change that did not happen.
//!
//! The relay sends each item to its queue, deduplicated by its id, and then deletes it; a
//! crash in between sends it again, which the queue drops (within five minutes) and the consumer
//! ignores (payments charges each attempt once). A message the relay cannot send is retried
//! until its record is an hour old; then its trigger gives up (and tells `OutboxFailuresQueue`,
//! whose alarm calls a person), but the item stays: `xtask outbox-redrive` touches every item
//! left, and the change brings each past the relay again. It also completes orders an earlier
//! version of checkout left pending without their message ([`complete_stranded`]).

use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use shared::ids::CardToken;
use shared::messages::{CheckoutRequested, OrderPaid, OrderStatus, PaymentFailed, SalesEvent};
use shared::store::StoreError;
use time::OffsetDateTime;

use crate::domain::{Line, Order, State};
use crate::store::{Listing, OrderStore};

/// The queues the orders service writes to through the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// The payments service's checkout queue.
    Checkout,
    /// The receipts service's `ReceiptErasureQueue`.
    ReceiptErasure,
    /// The reports service's `ReportsQueue`: orders paid and payments failed.
    Reports,
}

/// A message waiting in the orders outbox.
pub type Outgoing = shared::outbox::Outgoing<Destination>;

pub use shared::outbox::{OUTBOX_PREFIX, outbox_key};

/// The checkout message for `order`, just moved to pending payment, paid with `card_token`, as an
/// outbox item. `None` if the order is not pending payment or has nothing to pay.
pub fn checkout_message(order: &Order, card_token: CardToken) -> Option<Outgoing> {
    let (State::PendingPayment { payer, attempt, .. }, Some(total)) = (&order.state, order.total())
    else {
        return None;
    };
    let message = CheckoutRequested {
        order_id: order.id.clone(),
        attempt: *attempt,
        owner: order.owner.clone(),
        email: payer.email.clone(),
        amount: total.minor,
        currency: total.currency,
        card_token,
        requested_at: order.updated_at,
    };
    // A message of strings and numbers always serializes.
    Outgoing::new(
        Destination::Checkout,
        &message,
        order.id.as_str(),
        &attempt.name(&order.id),
        order.updated_at,
    )
    .ok()
}

/// What the sales reports count of `order`, settled: its sale, or its (latest) failed payment.
/// `None` for an order not settled.
pub fn sales_event(order: &Order) -> Option<SalesEvent> {
    let total = order.total()?;
    Some(match &order.state {
        State::Paid {
            attempt, paid_at, ..
        } => SalesEvent::OrderPaid(OrderPaid {
            order_id: order.id.clone(),
            attempt: *attempt,
            currency: total.currency,
            total: total.minor,
            lines: order.lines.iter().map(Line::view).collect(),
            paid_at: *paid_at,
        }),
        State::PaymentFailed {
            attempt,
            payment_failure,
            ..
        } => SalesEvent::PaymentFailed(PaymentFailed {
            order_id: order.id.clone(),
            attempt: *attempt,
            currency: total.currency,
            total: total.minor,
            reason: *payment_failure,
            failed_at: order.updated_at,
        }),
        State::Open | State::PendingPayment { .. } => return None,
    })
}

/// [`sales_event`] of `order`, just settled, as an outbox item (grouped by order, deduplicated
/// by the event's id).
pub fn sales_message(order: &Order) -> Option<Outgoing> {
    let event = sales_event(order)?;
    // A message of strings and numbers always serializes.
    Outgoing::new(
        Destination::Reports,
        &event,
        order.id.as_str(),
        &event.id(),
        order.updated_at,
    )
    .ok()
}

/// Gives every order an earlier version of checkout left pending without its message (it sent
/// after its write, and could fail in between; or it ran during the upgrade without its queue
/// permission) that message now, through the outbox, at `now`: how many.
///
/// The card the customer gave went with the lost message, so each names a token nobody holds:
/// the payment fails as the card's details lapsed, and the customer pays again, unless the lost
/// message did reach payments after all, whose answer for that attempt stands (payments charges
/// an attempt once, whatever card a copy names).
pub async fn complete_stranded(
    store: &OrderStore,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let mut completed = 0;
    let mut pages = std::pin::pin!(store.pages(Listing::WithStatus(OrderStatus::PendingPayment)));
    while let Some(orders) = pages.try_next().await? {
        for order in orders {
            let Some(requested) = order.request_payment(now) else {
                continue;
            };
            let Some(outgoing) = checkout_message(&requested, CardToken::generate()) else {
                continue;
            };
            // Lost to another write (settled meanwhile): nothing to complete.
            if store
                .replace_and_send(
                    &requested,
                    order.version,
                    OrderStatus::PendingPayment,
                    &outgoing,
                )
                .await?
            {
                tracing::info!(order_id = %order.id, "a stranded checkout completed");
                completed += 1;
            }
        }
    }
    Ok(completed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Payer, Priced};
    use shared::ids::{ProductId, Username};
    use shared::messages::{Attempt, DeclineReason, PaymentOutcome};
    use shared::money::{Currency, Money};
    use time::macros::datetime;

    #[test]
    fn a_settled_order_tells_the_reports_of_its_sale_or_failed_payment_and_of_nobody() {
        let at = datetime!(2026-11-27 10:00 UTC);
        let mut order = Order::new(Username::parse("ada").unwrap(), at);
        let mug = Priced {
            product_id: ProductId::parse("enamel-camp-mug").unwrap(),
            name: "Enamel camp mug".into(),
            unit_price: Money::new(1_450, Currency::Gbp),
        };
        order.add(mug, 3).unwrap();
        let payer = Payer {
            card_last4: Some("4242".into()),
            email: "ada@example.com".into(),
            email_verified: true,
            customer_name: "Ada Lovelace".into(),
        };
        let pending = order.check_out(payer.clone(), order.version, at).unwrap();
        assert_eq!(sales_message(&pending), None);
        let declined = PaymentOutcome::Declined {
            reason: DeclineReason::InsufficientFunds,
        };
        let failed = pending
            .settle(Attempt(1), &declined, None, datetime!(2026-11-27 10:01 UTC))
            .unwrap()
            .unwrap();
        let message = sales_message(&failed).unwrap();
        assert_eq!(message.key(), format!("OUTBOX#failed-{}", order.id));
        let approved = PaymentOutcome::Approved {
            charge_id: "ch_1".into(),
        };
        let paid = failed
            .check_out(payer, failed.version, at)
            .unwrap()
            .settle(Attempt(2), &approved, None, datetime!(2026-11-27 10:02 UTC))
            .unwrap()
            .unwrap();
        let message = sales_message(&paid).unwrap();
        let item = shared::store::to_item(&message.key(), &message).unwrap();
        assert_eq!(item["destination"].as_s().unwrap(), "reports");
        let body = item["body"].as_s().unwrap();
        // The order id is random hex, so it may spell "ada" or "4242" by chance.
        let without_id = body.replace(&order.id.to_string(), "<id>");
        for personal in ["ada", "Lovelace", "4242"] {
            assert!(!without_id.contains(personal), "{body} names {personal}");
        }
        let SalesEvent::OrderPaid(sale) = serde_json::from_str(body).unwrap() else {
            panic!("{body}");
        };
        assert_eq!(
            (
                sale.attempt,
                sale.currency,
                sale.total,
                sale.lines[0].quantity
            ),
            (Attempt(2), Currency::Gbp, 4_350, 3)
        );
        assert_eq!(sale.paid_at, datetime!(2026-11-27 10:02 UTC));
        assert_eq!(message.key(), format!("OUTBOX#paid-{}-2", order.id));
    }

    #[test]
    fn an_outgoing_message_is_stored_under_its_deduplication_id() {
        let outgoing = Outgoing::new(
            Destination::Checkout,
            &serde_json::json!({"order_id": "x"}),
            "0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef-2",
            datetime!(2026-11-26 10:00 UTC),
        )
        .unwrap();
        assert_eq!(outgoing.key(), "OUTBOX#0123456789abcdef0123456789abcdef-2");
        let item = shared::store::to_item(&outgoing.key(), &outgoing).unwrap();
        assert_eq!(item["destination"].as_s().unwrap(), "checkout");
        assert_eq!(item["body"].as_s().unwrap(), r#"{"order_id":"x"}"#);
        let read: Outgoing = shared::store::from_item(item).unwrap();
        assert_eq!(read, outgoing);
    }
}
