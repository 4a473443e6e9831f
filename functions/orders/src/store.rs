//! The orders table.
//!
//! | item    | `pk`            | other attributes                                                  |
//! |---------|-----------------|-------------------------------------------------------------------|
//! | order   | `ORDER#<id>`    | [`Order`] as `serde` maps it: `id`, `owner`, `status` and what that state knows, `lines`, `version`, timestamps |
//! | cart    | `CART#<owner>`  | `order_id`: the customer's latest order, open or not               |
//! | outbox  | `OUTBOX#<id>`   | [`Outgoing`]: a message on its way (see [`crate::outbox`])         |
//!
//! Every write of an order is conditional on the version it read, so concurrent changes retry
//! instead of overwriting each other. The `ByOwner` index (sorted by `created_at`) serves a
//! customer's history, and `ByStatusShard` ([`crate::status_index`]) the administrators' lists
//! by status; cart and outbox items have none of their attributes and stay out of both.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::ids::{OrderId, Username};
use shared::messages::OrderStatus;
use shared::store::{IndexQuery, Item, StoreError, Table, from_item, n, s, to_item};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::Order;
use crate::outbox::{OUTBOX_PREFIX, Outgoing};
use crate::status_index;

pub(crate) const BY_OWNER_INDEX: &str = "ByOwner";

/// A page of orders, newest first, and where the next one starts.
#[derive(Debug)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next: Option<PagePosition>,
}

/// Where a page of orders ends: the last order's creation time and id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PagePosition {
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(rename = "pk", deserialize_with = "order_id_of_key")]
    pub id: OrderId,
}

/// Which orders to list.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    OwnedBy(&'a Username),
    WithStatus(OrderStatus),
}

/// The cart item: which order is the customer's latest.
#[derive(Debug, Serialize, Deserialize)]
struct Cart {
    order_id: OrderId,
}

#[derive(Debug, Clone)]
pub struct OrderStore {
    pub(crate) table: Table,
}

impl OrderStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `ORDERS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "ORDERS_TABLE")?,
        })
    }

    /// The customer's latest order (open or not), read consistently.
    pub async fn current(&self, owner: &Username) -> Result<Option<Order>, StoreError> {
        let Some(cart) = self.table.get_record::<Cart>(cart_key(owner), true).await? else {
            return Ok(None);
        };
        self.get_order(&cart.order_id).await
    }

    /// One order by id, whoever owns it.
    pub async fn get_order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        self.table.get_record(order_key(id), true).await
    }

    /// Stores `order` as its owner's new current order, in one transaction with pointing the cart
    /// at it. `replacing` is the order the cart pointed at when read (`None` if it had none): if
    /// another request moved the cart meanwhile, nothing is written and this returns `false`.
    pub async fn start_order(
        &self,
        order: &Order,
        replacing: Option<&OrderId>,
    ) -> Result<bool, StoreError> {
        let put_order = self.table.transact_put_new(order_item(order)?)?;
        let cart = Cart {
            order_id: order.id.clone(),
        };
        let cart = to_item(&cart_key(&order.owner), &cart)?;
        let put_cart = match replacing {
            None => self.table.transact_put_new(cart)?,
            Some(previous) => self.table.transact_put(
                cart,
                "order_id = :previous",
                &[],
                Item::from([(":previous".to_owned(), s(previous.as_str()))]),
            )?,
        };
        self.table.transact(vec![put_order, put_cart]).await
    }

    /// Writes `order` over the version `expected_version` of it, provided that version is still
    /// there and has `expected_status`; `false` if another write got there first.
    pub async fn replace(
        &self,
        order: &Order,
        expected_version: u64,
        expected_status: OrderStatus,
    ) -> Result<bool, StoreError> {
        let (condition, names, values) = unchanged_since(expected_version, expected_status);
        self.table
            .put_when(order_item(order)?, condition, names, values)
            .await
    }

    /// [`Self::replace`] and writing `outgoing` to the outbox, in one transaction: both, or
    /// neither and `false` if another write got to the order first. An outbox item already
    /// there (the same message, written by an earlier request) is a lost race too.
    pub async fn replace_and_send(
        &self,
        order: &Order,
        expected_version: u64,
        expected_status: OrderStatus,
        outgoing: &Outgoing,
    ) -> Result<bool, StoreError> {
        let (condition, names, values) = unchanged_since(expected_version, expected_status);
        let put_order = self
            .table
            .transact_put(order_item(order)?, condition, names, values)?;
        let put_message = self
            .table
            .transact_put_new(to_item(&outgoing.key(), outgoing)?)?;
        self.table.transact(vec![put_order, put_message]).await
    }

    /// [`Self::replace`] for an order that must still be open.
    pub async fn replace_open(
        &self,
        order: &Order,
        expected_version: u64,
    ) -> Result<bool, StoreError> {
        self.replace(order, expected_version, OrderStatus::Open)
            .await
    }

    /// Records that the receipt message for `id` was sent.
    pub async fn mark_receipt_requested(&self, id: &OrderId) -> Result<(), StoreError> {
        self.set_flag(id, "receipt_requested").await
    }

    /// Sets a boolean attribute without touching the version: flags only ever go from false to
    /// true, so they cannot conflict with a change to the order.
    async fn set_flag(&self, id: &OrderId, flag: &str) -> Result<(), StoreError> {
        self.table
            .update(order_key(id))
            .update_expression("SET #flag = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#flag", flag)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("UpdateItem", err))?;
        Ok(())
    }

    /// The table, for the outbox's relay ([`shared::outbox::relay`]).
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The keys of every item in the outbox, read consistently. Reads the whole table: for an
    /// operator's command or a check after a test, never a request's work.
    pub async fn outbox_keys(&self) -> Result<Vec<String>, StoreError> {
        let items = self
            .table
            .scan_all(|scan| {
                scan.filter_expression("begins_with(pk, :outbox)")
                    .expression_attribute_values(":outbox", s(OUTBOX_PREFIX))
                    .projection_expression("pk")
            })
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|mut item| match item.remove("pk") {
                Some(AttributeValue::S(key)) => Some(key),
                _ => None,
            })
            .collect())
    }

    /// Touches every item still in the outbox (messages the relay gave up on), at `now`, so
    /// that the change brings each past the relay again; how many.
    pub async fn redrive_outbox(&self, now: OffsetDateTime) -> Result<usize, StoreError> {
        let now = now
            .format(&Rfc3339)
            .map_err(|err| StoreError::corrupt("write time", err.to_string()))?;
        let mut touched = 0;
        for key in self.outbox_keys().await? {
            // Sent and deleted meanwhile: nothing to do.
            let touch = self
                .table
                .update(key)
                .update_expression("SET redriven_at = :now")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":now", s(now.as_str()));
            if self.table.update_if(touch).await? {
                touched += 1;
            }
        }
        Ok(touched)
    }

    /// Gives every order stored without its place in the status index (before the index was
    /// sharded) that place, on condition that its status is still the one read; how many. Reads
    /// the whole table a page at a time: an operator's command (`xtask orders-upgrade`), safe to
    /// run again.
    pub async fn list_unlisted(&self) -> Result<usize, StoreError> {
        let mut pages = self.table.scan_pages(|scan| {
            scan.filter_expression("begins_with(pk, :order) AND attribute_not_exists(#shard)")
                .expression_attribute_names("#shard", status_index::SHARD_ATTRIBUTE)
                .expression_attribute_values(":order", s("ORDER#"))
        });
        let mut listed = 0;
        while let Some(page) = pages.next().await? {
            for item in page {
                let order: Order = from_item(item)?;
                if self.list(&order).await? {
                    listed += 1;
                }
            }
        }
        Ok(listed)
    }

    /// Writes `order`'s status index attributes, if it has none yet and its status is still
    /// the one read (an order changed meanwhile is for the next run).
    async fn list(&self, order: &Order) -> Result<bool, StoreError> {
        let [(shard_name, shard), (sort_name, sort)] = status_index::attributes(order);
        let update = self
            .table
            .update(order_key(&order.id))
            .update_expression("SET #shard = :shard, #sort = :sort")
            .condition_expression("#status = :status AND attribute_not_exists(#shard)")
            .expression_attribute_names("#shard", shard_name)
            .expression_attribute_names("#sort", sort_name)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":shard", shard)
            .expression_attribute_values(":sort", sort)
            .expression_attribute_values(":status", s(order.status().as_str()));
        self.table.update_if(update).await
    }

    /// Every order `listing` names, newest first, a page of a hundred at a time: each page is
    /// read when the one before it has been taken.
    pub(crate) fn pages<'a>(
        &'a self,
        listing: Listing<'a>,
    ) -> impl futures::Stream<Item = Result<Vec<Order>, StoreError>> + 'a {
        // The state is where the next page starts; `None` once the last page was read.
        futures::stream::try_unfold(Some(None), move |after| async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let page = self.page(listing, 100, after).await?;
            Ok(Some((page.orders, page.next.map(Some))))
        })
    }

    /// Up to `limit` orders, newest first, after `after`. A page of one status may hold fewer
    /// (even none) and still have a next: orders that changed status since the index was read
    /// are left out of it.
    pub async fn page(
        &self,
        listing: Listing<'_>,
        limit: i32,
        after: Option<PagePosition>,
    ) -> Result<OrderPage, StoreError> {
        match listing {
            Listing::OwnedBy(owner) => self.owned_page(owner, limit, after).await,
            Listing::WithStatus(status) => self.status_page(status, limit, after).await,
        }
    }

    async fn owned_page(
        &self,
        owner: &Username,
        limit: i32,
        after: Option<PagePosition>,
    ) -> Result<OrderPage, StoreError> {
        let start = after
            .map(|position| {
                let created_at = position
                    .created_at
                    .format(&Rfc3339)
                    .map_err(|err| StoreError::corrupt("write key", err.to_string()))?;
                Ok::<_, StoreError>(Item::from([
                    ("pk".to_owned(), s(order_key(&position.id))),
                    ("owner".to_owned(), s(owner.as_str())),
                    ("created_at".to_owned(), s(created_at)),
                ]))
            })
            .transpose()?;
        let (items, last) = self
            .table
            .query_page(IndexQuery {
                index: BY_OWNER_INDEX,
                partition: "owner",
                value: owner.as_str(),
                limit,
                start,
                descending: true,
            })
            .await?;
        let orders = items
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = last.map(from_item).transpose()?;
        Ok(OrderPage { orders, next })
    }

    /// A page of the orders with `status`, from every shard of the status index, each order
    /// then read itself, consistently; one that has moved on to another status since the index
    /// was read (it follows the table within moments) is left out.
    async fn status_page(
        &self,
        status: OrderStatus,
        limit: i32,
        after: Option<PagePosition>,
    ) -> Result<OrderPage, StoreError> {
        let before =
            after.map(|position| status_index::sort_value(position.created_at, &position.id));
        let newest = status_index::newest(&self.table, status, limit, before.as_deref()).await?;
        let listed = newest
            .sorts
            .iter()
            .map(|sort| status_index::listed_order(sort))
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<&OrderId> = listed.iter().map(|(_, id)| id).collect();
        let mut found = status_index::orders(&self.table, &ids).await?;
        let orders = ids
            .iter()
            .filter_map(|id| found.remove(*id))
            .filter(|order| order.status() == status)
            .collect();
        // From the last entry read, not the last order kept, so that left-out orders do not
        // hold the pages up.
        let next = listed
            .last()
            .filter(|_| newest.more)
            .map(|(created_at, id)| PagePosition {
                created_at: *created_at,
                id: id.clone(),
            });
        Ok(OrderPage { orders, next })
    }
}

/// The condition that an order is still at `version`, with `status`.
pub(crate) fn unchanged_since(
    version: u64,
    status: OrderStatus,
) -> (&'static str, &'static [(&'static str, &'static str)], Item) {
    (
        "version = :expected AND #status = :status",
        &[("#status", "status")],
        Item::from([
            (":expected".to_owned(), n(version_number(version))),
            (":status".to_owned(), s(status.as_str())),
        ]),
    )
}

pub(crate) fn order_key(id: &OrderId) -> String {
    format!("ORDER#{id}")
}

pub(crate) fn cart_key(owner: &Username) -> String {
    format!("CART#{owner}")
}

/// The order id in an order's key, `ORDER#<id>`.
fn order_id_of_key<'de, D: serde::Deserializer<'de>>(key: D) -> Result<OrderId, D::Error> {
    let key = String::deserialize(key)?;
    key.strip_prefix("ORDER#")
        .and_then(|id| OrderId::parse(id).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{key:?} is not an order's key")))
}

/// Versions stay far below `i64::MAX`; saturate rather than wrap if one ever did not.
fn version_number(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

/// An order's item: the order, and the status index's attributes for it.
fn order_item(order: &Order) -> Result<Item, StoreError> {
    let mut item = to_item(&order_key(&order.id), order)?;
    item.extend(status_index::attributes(order));
    Ok(item)
}
