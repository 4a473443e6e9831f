//! The orders table.
//!
//! | item    | `pk`            | other attributes                                                  |
//! |---------|-----------------|-------------------------------------------------------------------|
//! | order   | `ORDER#<id>`    | `id`, `owner`, `status`, `lines`, `version`, timestamps, checkout details |
//! | cart    | `CART#<owner>`  | `order_id`: the customer's latest order, open or not               |
//!
//! Every write of an order is conditional on the version it read, so concurrent changes retry
//! instead of overwriting each other. The `ByOwner` and `ByStatus` indexes (sorted by
//! `created_at`) serve the order history; cart items have neither attribute and stay out of them.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use shared::config::ConfigError;
use shared::money::{Currency, Money};
use shared::store::{IndexQuery, Item, StoreError, Table, conditional, n, number, s, string};

use crate::domain::{Line, Order, OrderId, Status};

pub const BY_OWNER_INDEX: &str = "ByOwner";
pub const BY_STATUS_INDEX: &str = "ByStatus";

/// A page of orders, newest first, and where the next one starts (`created_at`, id).
#[derive(Debug)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub next: Option<(String, OrderId)>,
}

/// Which orders to list.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    OwnedBy(&'a str),
    WithStatus(Status),
}

#[derive(Debug, Clone)]
pub struct OrderStore {
    table: Table,
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
    pub async fn current(&self, owner: &str) -> Result<Option<Order>, StoreError> {
        let Some(cart) = self.table.get(format!("CART#{owner}"), true).await? else {
            return Ok(None);
        };
        let id = string(&cart, "order_id")?;
        self.table
            .get(format!("ORDER#{id}"), true)
            .await?
            .map(|item| order_from(&item))
            .transpose()
    }

    /// One order by id, whoever owns it.
    pub async fn get_order(&self, id: &OrderId) -> Result<Option<Order>, StoreError> {
        self.table
            .get(format!("ORDER#{id}"), true)
            .await?
            .map(|item| order_from(&item))
            .transpose()
    }

    /// Stores `order` as its owner's new current order, in one transaction with pointing the cart
    /// at it. `replacing` is the order the cart pointed at when read (`None` if it had none): if
    /// another request moved the cart meanwhile, nothing is written and this returns `false`.
    pub async fn start_order(
        &self,
        order: &Order,
        replacing: Option<&OrderId>,
    ) -> Result<bool, StoreError> {
        let put_order = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(order_item(order)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|err| StoreError::corrupt("build Put", err.to_string()))?;
        let cart = Item::from([
            ("pk".to_owned(), s(format!("CART#{}", order.owner))),
            ("order_id".to_owned(), s(order.id.as_str())),
        ]);
        let mut put_cart = Put::builder()
            .table_name(self.table.name())
            .set_item(Some(cart));
        put_cart = match replacing {
            None => put_cart.condition_expression("attribute_not_exists(pk)"),
            Some(previous) => put_cart
                .condition_expression("order_id = :previous")
                .expression_attribute_values(":previous", s(previous.as_str())),
        };
        let put_cart = put_cart
            .build()
            .map_err(|err| StoreError::corrupt("build Put", err.to_string()))?;
        let result = self
            .table
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put_order).build())
            .transact_items(TransactWriteItem::builder().put(put_cart).build())
            .send()
            .await;
        conditional(
            "TransactWriteItems",
            result,
            TransactWriteItemsError::is_transaction_canceled_exception,
        )
    }

    /// Writes `order` over the version `expected_version` of it, provided that version is still
    /// there and has `expected_status`; `false` if another write got there first.
    pub async fn replace(
        &self,
        order: &Order,
        expected_version: u64,
        expected_status: Status,
    ) -> Result<bool, StoreError> {
        self.table
            .put_when(
                order_item(order),
                "version = :expected AND #status = :status",
                &[("#status", "status")],
                Item::from([
                    (":expected".to_owned(), n(version_number(expected_version))),
                    (":status".to_owned(), s(expected_status.as_str())),
                ]),
            )
            .await
    }

    /// [`Self::replace`] for an order that must still be open.
    pub async fn replace_open(
        &self,
        order: &Order,
        expected_version: u64,
    ) -> Result<bool, StoreError> {
        self.replace(order, expected_version, Status::Open).await
    }

    /// Records that the checkout message for `id` was sent, so a retried checkout does not need
    /// to send it again.
    pub async fn mark_payment_requested(&self, id: &OrderId) -> Result<(), StoreError> {
        self.set_flag(id, "payment_requested").await
    }

    /// Records that the receipt message for `id` was sent.
    pub async fn mark_receipt_requested(&self, id: &OrderId) -> Result<(), StoreError> {
        self.set_flag(id, "receipt_requested").await
    }

    /// Sets a boolean attribute without touching the version: flags only ever go from false to
    /// true, so they cannot conflict with a change to the order.
    async fn set_flag(&self, id: &OrderId, flag: &str) -> Result<(), StoreError> {
        self.table
            .client()
            .update_item()
            .table_name(self.table.name())
            .key("pk", s(format!("ORDER#{id}")))
            .update_expression("SET #flag = :yes")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#flag", flag)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("UpdateItem", err))?;
        Ok(())
    }

    /// Up to `limit` orders, newest first, after `after`.
    pub async fn page(
        &self,
        listing: Listing<'_>,
        limit: i32,
        after: Option<(String, OrderId)>,
    ) -> Result<OrderPage, StoreError> {
        let (index, attribute, value) = match listing {
            Listing::OwnedBy(owner) => (BY_OWNER_INDEX, "owner", owner.to_owned()),
            Listing::WithStatus(status) => (BY_STATUS_INDEX, "status", status.as_str().to_owned()),
        };
        let start = after.map(|(created_at, id)| {
            Item::from([
                ("pk".to_owned(), s(format!("ORDER#{id}"))),
                (attribute.to_owned(), s(&value)),
                ("created_at".to_owned(), s(created_at)),
            ])
        });
        let (items, last) = self
            .table
            .query_page(IndexQuery {
                index,
                partition: attribute,
                value: &value,
                limit,
                start,
                descending: true,
            })
            .await?;
        let orders = items
            .iter()
            .map(order_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = last.and_then(|key| {
            let created_at = string(&key, "created_at").ok()?;
            let id = OrderId::parse(string(&key, "pk").ok()?.strip_prefix("ORDER#")?)?;
            Some((created_at, id))
        });
        Ok(OrderPage { orders, next })
    }
}

/// Versions stay far below `i64::MAX`; saturate rather than wrap if one ever did not.
fn version_number(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

fn order_item(order: &Order) -> Item {
    let lines = order
        .lines
        .iter()
        .map(|line| {
            AttributeValue::M(HashMap::from([
                ("product_id".to_owned(), s(&line.product_id)),
                ("name".to_owned(), s(&line.name)),
                ("unit_price".to_owned(), n(line.unit_price.minor)),
                ("currency".to_owned(), s(line.unit_price.currency.code())),
                ("quantity".to_owned(), n(i64::from(line.quantity))),
            ]))
        })
        .collect();
    let mut item = Item::from([
        ("pk".to_owned(), s(format!("ORDER#{}", order.id))),
        ("id".to_owned(), s(order.id.as_str())),
        ("owner".to_owned(), s(&order.owner)),
        ("status".to_owned(), s(order.status.as_str())),
        ("lines".to_owned(), AttributeValue::L(lines)),
        ("created_at".to_owned(), s(&order.created_at)),
        ("updated_at".to_owned(), s(&order.updated_at)),
        ("version".to_owned(), n(version_number(order.version))),
        (
            "payment_requested".to_owned(),
            AttributeValue::Bool(order.payment_requested),
        ),
        (
            "receipt_requested".to_owned(),
            AttributeValue::Bool(order.receipt_requested),
        ),
    ]);
    let optional = [
        ("card_last4", &order.card_last4),
        ("email", &order.email),
        ("customer_name", &order.customer_name),
        ("paid_at", &order.paid_at),
        ("payment_failure", &order.payment_failure),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    item
}

fn order_from(item: &Item) -> Result<Order, StoreError> {
    let corrupt = |what: &str| StoreError::corrupt("read order", what.to_owned());
    let status = string(item, "status")?;
    let id = string(item, "id")?;
    let lines = item
        .get("lines")
        .and_then(|value| value.as_l().ok())
        .ok_or_else(|| corrupt("missing lines"))?
        .iter()
        .map(|value| {
            let line = value.as_m().map_err(|_| corrupt("a line is not a map"))?;
            let currency = string(line, "currency")?;
            Ok(Line {
                product_id: string(line, "product_id")?,
                name: string(line, "name")?,
                unit_price: Money::new(
                    number(line, "unit_price")?,
                    Currency::parse(&currency).map_err(|_| corrupt("unknown currency"))?,
                ),
                quantity: u32::try_from(number(line, "quantity")?)
                    .map_err(|_| corrupt("negative quantity"))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let optional = |name: &str| string(item, name).ok();
    let flag = |name: &str| item.get(name) == Some(&AttributeValue::Bool(true));
    Ok(Order {
        id: OrderId::parse(&id).ok_or_else(|| corrupt("malformed id"))?,
        owner: string(item, "owner")?,
        status: Status::parse(&status).ok_or_else(|| corrupt("unknown status"))?,
        lines,
        created_at: string(item, "created_at")?,
        updated_at: string(item, "updated_at")?,
        card_last4: optional("card_last4"),
        email: optional("email"),
        customer_name: optional("customer_name"),
        payment_requested: flag("payment_requested"),
        paid_at: optional("paid_at"),
        payment_failure: optional("payment_failure"),
        receipt_requested: flag("receipt_requested"),
        version: u64::try_from(number(item, "version")?).map_err(|_| corrupt("bad version"))?,
    })
}
