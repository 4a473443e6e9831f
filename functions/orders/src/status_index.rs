//! The `ByStatusShard` index: every order under its status and one of [`SHARDS`] shards, so that
//! no one index partition takes every order's writes.
//!
//! With the status alone as its key (the `ByStatus` index it replaces), every cart change in the
//! shop wrote the one index partition `OPEN`: past about 1,000 writes a second it throttles, and
//! a throttled index throttles the table's own writes, so carts would stop shop-wide
//! (SCALING.md). Here an order's entry is under `<STATUS>#<shard>`, its shard fixed by its id, and
//! sorted by `status_sort`: its creation time (nanoseconds since 1970, fixed width, so that text
//! order is time order) and its id, which makes every sort key unique. The index keeps keys only:
//! an entry costs one write unit whatever the order's size, and a listing reads the orders
//! themselves.
//!
//! A page of one status is a scatter-gather: each shard's newest entries older than the cursor,
//! merged newest first, the first `limit` of them the page ([`merge`]). Because sort keys are
//! unique, a shard's entries it did not return are all older than those it did, so the merge is
//! exact.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use futures::{StreamExt, TryStreamExt};
use shared::ids::OrderId;
use shared::messages::OrderStatus;
use shared::store::{Item, StoreError, Table, from_item, s, with_jitter};
use time::OffsetDateTime;

use crate::domain::Order;

/// Shard queries in flight at once for one page.
const QUERIES_AT_ONCE: usize = 20;
/// Reads of a page's orders DynamoDB may leave unprocessed (throttled) before the listing is
/// busy (503) rather than slow.
const BATCH_ATTEMPTS: u32 = 5;

pub const INDEX: &str = "ByStatusShard";
/// Shards per status. At 5,000 checkouts a second a status takes at most about 11 index writes a
/// checkout (if every cart change wrote one; a change that moves no key writes none), 55,000 a
/// second: 550 on each of 100 partitions, about half of what one takes.
pub const SHARDS: u16 = 100;
pub(crate) const SHARD_ATTRIBUTE: &str = "status_shard";
pub(crate) const SORT_ATTRIBUTE: &str = "status_sort";

/// The index's attributes for `order`, written with it every time (its status may have moved).
pub(crate) fn attributes(order: &Order) -> [(String, AttributeValue); 2] {
    [
        (
            SHARD_ATTRIBUTE.to_owned(),
            s(shard_value(order.status(), shard_of(&order.id))),
        ),
        (
            SORT_ATTRIBUTE.to_owned(),
            s(sort_value(order.created_at, &order.id)),
        ),
    ]
}

pub(crate) fn shard_value(status: OrderStatus, shard: u16) -> String {
    format!("{}#{shard:02}", status.as_str())
}

/// An order's shard: its id's first four hex digits (random, as the id is), modulo [`SHARDS`].
fn shard_of(id: &OrderId) -> u16 {
    id.as_str()
        .get(..4)
        .and_then(|digits| u16::from_str_radix(digits, 16).ok())
        .map_or(0, |number| number % SHARDS)
}

/// `<nanoseconds since 1970, 20 digits>#<id>`: text order is creation order, ties broken by id.
pub(crate) fn sort_value(created_at: OffsetDateTime, id: &OrderId) -> String {
    format!("{:020}#{id}", created_at.unix_timestamp_nanos().max(0))
}

/// An order's id and creation time, read back from its sort value.
pub(crate) fn listed_order(sort: &str) -> Result<(OffsetDateTime, OrderId), StoreError> {
    let corrupt = || StoreError::corrupt("read index key", format!("{sort:?} is not <nanos>#<id>"));
    let (nanos, id) = sort.split_once('#').ok_or_else(corrupt)?;
    let nanos: i128 = nanos.parse().map_err(|_| corrupt())?;
    let created_at = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| corrupt())?;
    Ok((created_at, OrderId::parse(id).map_err(|_| corrupt())?))
}

/// One shard's newest sort values, and whether it may hold more.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ShardPage {
    pub sorts: Vec<String>,
    pub more: bool,
}

/// The newest `limit` of `shards`' sort values, newest first, and whether there may be more: if
/// any shard may hold more, or they hold more than `limit` between them.
pub(crate) fn merge(shards: Vec<ShardPage>, limit: usize) -> ShardPage {
    let mut more = shards.iter().any(|shard| shard.more);
    let mut sorts: Vec<String> = shards.into_iter().flat_map(|shard| shard.sorts).collect();
    sorts.sort_unstable_by(|a, b| b.cmp(a));
    if sorts.len() > limit {
        sorts.truncate(limit);
        more = true;
    }
    ShardPage { sorts, more }
}

/// The sort values of the newest `limit` orders with `status` older than `before` (all, if
/// `None`), from every shard, newest first.
pub(crate) async fn newest(
    table: &Table,
    status: OrderStatus,
    limit: i32,
    before: Option<&str>,
) -> Result<ShardPage, StoreError> {
    let shards: Vec<ShardPage> = futures::stream::iter(0..SHARDS)
        .map(|shard| shard_page(table, shard_value(status, shard), limit, before))
        .buffer_unordered(QUERIES_AT_ONCE)
        .try_collect()
        .await?;
    Ok(merge(shards, usize::try_from(limit).unwrap_or(0)))
}

/// One shard's newest `limit` sort values older than `before`.
async fn shard_page(
    table: &Table,
    shard: String,
    limit: i32,
    before: Option<&str>,
) -> Result<ShardPage, StoreError> {
    let mut query = table
        .client()
        .query()
        .table_name(table.name())
        .index_name(INDEX)
        .expression_attribute_names("#shard", SHARD_ATTRIBUTE)
        .expression_attribute_names("#sort", SORT_ATTRIBUTE)
        .expression_attribute_values(":shard", s(shard))
        .projection_expression("#sort")
        .scan_index_forward(false)
        .limit(limit);
    query = match before {
        Some(before) => query
            .key_condition_expression("#shard = :shard AND #sort < :before")
            .expression_attribute_values(":before", s(before)),
        None => query.key_condition_expression("#shard = :shard"),
    };
    let output = query.send().await.map_err(|err| {
        let err = StoreError::from_sdk("Query", err);
        // Just after a deploy that added the index to a table with orders: it is being built.
        if err.is_backfilling_index() {
            StoreError::busy("Query", "the orders' status index is being built")
        } else {
            err
        }
    })?;
    let sorts = output
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|mut item: Item| match item.remove(SORT_ATTRIBUTE) {
            Some(AttributeValue::S(sort)) => Ok(sort),
            _ => Err(StoreError::corrupt(
                "read index key",
                "an entry without its sort key",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ShardPage {
        sorts,
        more: output.last_evaluated_key.is_some(),
    })
}

/// The orders `ids` names that exist, read consistently in one `BatchGetItem` (a page is at
/// most 100, its limit). What DynamoDB leaves unprocessed is asked for again after a pause,
/// [`BATCH_ATTEMPTS`] times at most.
pub(crate) async fn orders(
    table: &Table,
    ids: &[&OrderId],
) -> Result<HashMap<OrderId, Order>, StoreError> {
    let mut found = HashMap::new();
    let mut keys: Vec<Item> = ids
        .iter()
        .map(|id| Item::from([("pk".to_owned(), s(format!("ORDER#{id}")))]))
        .collect();
    for attempt in 0..BATCH_ATTEMPTS {
        if keys.is_empty() {
            return Ok(found);
        }
        if attempt > 0 {
            // 25 ms doubling, up to half again at random.
            tokio::time::sleep(with_jitter(Duration::from_millis(25 << attempt))).await;
        }
        let asked = KeysAndAttributes::builder()
            .set_keys(Some(std::mem::take(&mut keys)))
            .consistent_read(true)
            .build()
            .map_err(|err| StoreError::corrupt("BatchGetItem", err.to_string()))?;
        let output = table
            .client()
            .batch_get_item()
            .request_items(table.name(), asked)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("BatchGetItem", err))?;
        for item in output
            .responses
            .and_then(|mut tables| tables.remove(table.name()))
            .unwrap_or_default()
        {
            let order: Order = from_item(item)?;
            found.insert(order.id.clone(), order);
        }
        keys = output
            .unprocessed_keys
            .and_then(|mut tables| tables.remove(table.name()))
            .map(|unread| unread.keys)
            .unwrap_or_default();
    }
    if keys.is_empty() {
        Ok(found)
    } else {
        Err(StoreError::busy(
            "BatchGetItem",
            "the orders table left reads unprocessed",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_values_order_as_creation_times_do() {
        let id = OrderId::generate();
        let earlier = OffsetDateTime::from_unix_timestamp_nanos(999_999_999).unwrap();
        let later = OffsetDateTime::from_unix_timestamp_nanos(1_000_000_000_000_000_001).unwrap();
        assert!(sort_value(earlier, &id) < sort_value(later, &id));
        assert_eq!(sort_value(earlier, &id).len(), 20 + 1 + 32);
        assert_eq!(listed_order(&sort_value(later, &id)).unwrap(), (later, id));
        assert!(listed_order("12#not-an-id").is_err());
        assert!(listed_order("no separator").is_err());
    }

    fn page(sorts: &[&str], more: bool) -> ShardPage {
        ShardPage {
            sorts: sorts.iter().map(|sort| (*sort).to_owned()).collect(),
            more,
        }
    }

    #[test]
    fn the_merge_takes_the_newest_and_says_when_there_may_be_more() {
        let shards = || {
            vec![
                page(&["9", "5"], false),
                page(&["8", "7"], true),
                page(&[], false),
            ]
        };
        assert_eq!(merge(shards(), 3), page(&["9", "8", "7"], true));
        assert_eq!(
            merge(shards(), 10),
            page(&["9", "8", "7", "5"], true),
            "a shard may hold more"
        );
        let done = vec![page(&["3"], false), page(&["4", "1"], false)];
        assert_eq!(merge(done, 3), page(&["4", "3", "1"], false));
        assert_eq!(merge(vec![page(&["2", "1"], false)], 1), page(&["2"], true));
        assert_eq!(merge(Vec::new(), 5), page(&[], false));
    }

    #[test]
    fn orders_spread_over_every_shard() {
        let mut seen = [0u32; SHARDS as usize];
        for _ in 0..20_000 {
            seen[usize::from(shard_of(&OrderId::generate()))] += 1;
        }
        // 200 expected in each: none empty or double.
        assert!(
            seen.iter().all(|count| (100..400).contains(count)),
            "{seen:?}"
        );
        assert_eq!(
            shard_value(OrderStatus::PendingPayment, 7),
            "PENDING_PAYMENT#07"
        );
    }
}
