//! A deleted account's orders ([`OrderStore::erase_owner`]): its cart and open order are
//! deleted; every checked-out order stays for the shop's books, anonymised
//! ([`Order::anonymised`]), and the receipts service is told, through the outbox in the same
//! transaction, to erase that order's receipt.
//!
//! Each order is read again, consistently, before it is changed, and each change is conditional
//! on the version read: a payment settling at the same moment makes the erasure read again
//! (and the settlement, which copies the stored payer, finds the order anonymous). The erasure
//! queue's delay means no request authorised before the deletion is still writing to the cart.

use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use futures::TryStreamExt;
use shared::ids::{OrderId, Username};
use shared::messages::{OrderStatus, ReceiptErasureRequested};
use shared::store::{StoreError, s};
use time::OffsetDateTime;

use crate::domain::Order;
use crate::outbox::{Destination, Outgoing};
use crate::store::{Listing, OrderStore, cart_key, order_key, unchanged_since};

/// Tries per order before the message is retried: each lost one means a settlement landed.
const ATTEMPTS: usize = 5;

/// What an erasure did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    /// Open orders deleted.
    pub deleted: usize,
    /// Checked-out orders anonymised.
    pub anonymised: usize,
}

impl OrderStore {
    /// Deletes `owner`'s cart and open orders and anonymises the rest, at `now`. Finding
    /// nothing to do is normal for a message delivered again.
    pub async fn erase_owner(
        &self,
        owner: &Username,
        now: OffsetDateTime,
    ) -> Result<Erased, StoreError> {
        let mut ids = Vec::new();
        let mut pages = std::pin::pin!(self.pages(Listing::OwnedBy(owner)));
        while let Some(orders) = pages.try_next().await? {
            ids.extend(orders.into_iter().map(|order| order.id));
        }
        // The cart names the latest order, which the index may not show yet: it is read too.
        let cart = self.current(owner).await?;
        ids.extend(cart.map(|order| order.id));
        ids.sort();
        ids.dedup();
        let mut erased = Erased::default();
        for id in &ids {
            match self.erase_order(id, owner, now).await? {
                Some(OrderStatus::Open) => erased.deleted += 1,
                Some(_) => erased.anonymised += 1,
                None => {}
            }
        }
        self.table.delete(cart_key(owner)).await?;
        Ok(erased)
    }

    /// Deletes or anonymises the order `id` if `owner` still owns it: the status it had, or
    /// `None` if there was nothing to do.
    async fn erase_order(
        &self,
        id: &OrderId,
        owner: &Username,
        now: OffsetDateTime,
    ) -> Result<Option<OrderStatus>, StoreError> {
        for _ in 0..ATTEMPTS {
            let Some(order) = self.get_order(id).await? else {
                return Ok(None);
            };
            if &order.owner != owner {
                return Ok(None);
            }
            let status = order.status();
            let done = match order.anonymised(now) {
                None => self.delete_open(&order).await?,
                Some(anonymous) => self.anonymise(&order, &anonymous, now).await?,
            };
            if done {
                return Ok(Some(status));
            }
        }
        Err(StoreError::busy(
            "EraseOrder",
            format!("order {id} kept changing under {ATTEMPTS} attempts"),
        ))
    }

    /// Deletes `order`, open, unless it changed since it was read.
    async fn delete_open(&self, order: &Order) -> Result<bool, StoreError> {
        let (condition, names, values) = unchanged_since(order.version, OrderStatus::Open);
        let mut delete = self
            .table
            .client()
            .delete_item()
            .table_name(self.table.name())
            .key("pk", s(order_key(&order.id)))
            .condition_expression(condition)
            .set_expression_attribute_values(Some(values));
        for (placeholder, name) in names {
            delete = delete.expression_attribute_names(*placeholder, *name);
        }
        shared::store::conditional(
            "DeleteItem",
            delete.send().await,
            DeleteItemError::is_conditional_check_failed_exception,
        )
    }

    /// Writes `anonymous` over `order`, unless it changed since it was read, with the message
    /// that erases its receipt, in one transaction.
    async fn anonymise(
        &self,
        order: &Order,
        anonymous: &Order,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let message = ReceiptErasureRequested {
            order_id: order.id.clone(),
        };
        let deduplication = format!("erase-receipt-{}", order.id);
        let outgoing = Outgoing::new(
            Destination::ReceiptErasure,
            &message,
            order.id.as_str(),
            &deduplication,
            now,
        )
        .map_err(|err| StoreError::corrupt("write outbox message", err.to_string()))?;
        self.replace_and_send(anonymous, order.version, order.status(), &outgoing)
            .await
    }
}
