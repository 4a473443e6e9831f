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

use serde::{Deserialize, Serialize};
use shared::ids::CardToken;
use shared::messages::{CheckoutRequested, OrderStatus};
use shared::store::StoreError;
use time::OffsetDateTime;

use crate::domain::{Order, State};
use crate::store::{Listing, OrderStore};

/// The queues the orders service writes to through the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    /// The payments service's checkout queue.
    Checkout,
    /// The receipts service's `ReceiptErasureQueue`.
    ReceiptErasure,
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
    let (mut after, mut completed) = (None, 0);
    loop {
        let page = store
            .page(Listing::WithStatus(OrderStatus::PendingPayment), 100, after)
            .await?;
        for order in page.orders {
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
        after = page.next;
        if after.is_none() {
            return Ok(completed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

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
