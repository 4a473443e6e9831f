//! The `ByStatusShard` index: every order under its status and one of [`SHARDS`] shards, so that
//! no one index partition takes every order's writes.
//!
//! With the status alone as its key (the `ByStatus` index it replaces), every cart change in the
//! shop wrote the one index partition `OPEN`: past about 1,000 writes a second it throttles, and
//! a throttled index throttles the table's own writes, so carts would stop shop-wide
//! (SCALING.md). Here an order's entry is under `<STATUS>#<shard>`, its shard fixed by its id, and
//! sorted by `status_sort`: its creation time (nanoseconds since 1970, fixed width, so that text
//! order is time order) and its id, which makes every sort key unique. The index keeps keys only:
//! an entry costs one write unit whatever the order's size.

use aws_sdk_dynamodb::types::AttributeValue;
use shared::ids::OrderId;
use shared::messages::OrderStatus;
use shared::store::s;
use time::OffsetDateTime;

use crate::domain::Order;

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
