//! What one of the orders service's events adds to the counters of its day, currency and
//! products, and the DynamoDB writes that add it.
//!
//! A month's counters in one currency are spread over [`PARTITIONS`] item collections,
//! `SALES#<yyyy-mm>#<currency>#<partition>`, each event adding to one chosen by its id. Their
//! items (sort key) are each day's totals, `<dd>#TOTAL#<shard>` (`orders`, `items`, `revenue`,
//! `failed`), and each product's sales that day, `<dd>#PRODUCT#<product id>` (`orders`, `items`,
//! `revenue`, and its `name` as last counted). A report adds up all of a day's items, from every
//! partition (and from `SALES#<yyyy-mm>#<currency>`, where counters went before they were
//! spread). Adding commutes, so events applied in any order give the same counters, and every
//! item stays small, so every write costs the same whatever the day's sales.
//!
//! Why spread: a partition takes 1,000 write units a second, and each sale's transaction writes
//! six (two an item: its totals and its products'): one month's collection alone would carry
//! about 170 sales a second. The totals are also split over [`SHARDS`] items of a partition, so
//! that concurrent events seldom meet on one item.

use std::collections::BTreeMap;

use shared::ids::ProductId;
use shared::messages::SalesEvent;
use shared::money::Currency;
use shared::store::{Item, n, s};
use time::Date;

/// How many items a day's totals in one currency are split over, in each partition: more than
/// the ten message groups one batch of the reports queue runs at once, so that they seldom meet.
pub(crate) const SHARDS: u32 = 16;

/// How many partition keys a month's counters in one currency are spread over: each takes at most
/// 1,000 write units a second, and a sale writes six, so 40 carry about 6,700 sales a second.
pub const PARTITIONS: u32 = 40;

/// Where `currency`'s counters of the month of `day` were kept before they were spread, and
/// the start of each partition's key.
pub(crate) fn month_key(day: Date, currency: Currency) -> String {
    format!(
        "SALES#{:04}-{:02}#{currency}",
        day.year(),
        u8::from(day.month())
    )
}

/// The partition `partition` of `currency`'s counters of the month of `day`.
pub(crate) fn partition_key(day: Date, currency: Currency, partition: u32) -> String {
    format!("{}#{partition:02}", month_key(day, currency))
}

/// The sort key of a day's totals shard.
pub(crate) fn total_key(day: Date, shard: u32) -> String {
    format!("{:02}#TOTAL#{shard}", day.day())
}

/// The sort key of a product's sales on a day.
pub(crate) fn product_key(day: Date, product: &ProductId) -> String {
    format!("{:02}#PRODUCT#{product}", day.day())
}

/// One product's part of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductTally {
    pub(crate) name: String,
    pub(crate) items: i64,
    pub(crate) revenue: i64,
}

/// One event's part of its day's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) day: Date,
    pub(crate) currency: Currency,
    /// Which of the month's partitions it adds to.
    pub(crate) partition: u32,
    /// Which of the day's totals items in that partition it adds to.
    pub(crate) shard: u32,
    pub(crate) orders: i64,
    pub(crate) items: i64,
    pub(crate) revenue: i64,
    pub(crate) failed: i64,
    /// Per product sold, in a stable order (each is one order of it).
    pub(crate) products: BTreeMap<ProductId, ProductTally>,
}

/// An `UpdateItem` of one item: its key, and its expression with the placeholders filled (every
/// attribute by a placeholder: `items` and `name` are among DynamoDB's reserved words).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Update {
    pub(crate) key: Item,
    pub(crate) expression: &'static str,
    pub(crate) names: &'static [(&'static str, &'static str)],
    pub(crate) values: Item,
}

impl Tally {
    /// What `event` counts, on its day in UTC. A product on two lines counts as one product in
    /// one order.
    pub(crate) fn of(event: &SalesEvent) -> Self {
        let hash = event.id().bytes().fold(0u32, |hash, byte| {
            hash.wrapping_mul(31).wrapping_add(byte.into())
        });
        let mut tally = Self {
            day: event.at().to_offset(time::UtcOffset::UTC).date(),
            currency: event.currency(),
            partition: (hash / SHARDS) % PARTITIONS,
            shard: hash % SHARDS,
            orders: 0,
            items: 0,
            revenue: 0,
            failed: 0,
            products: BTreeMap::new(),
        };
        match event {
            SalesEvent::OrderPaid(paid) => {
                tally.orders = 1;
                tally.revenue = paid.total;
                for line in &paid.lines {
                    let quantity = i64::from(line.quantity);
                    tally.items = tally.items.saturating_add(quantity);
                    let product = tally
                        .products
                        .entry(line.product_id.clone())
                        .or_insert_with(|| ProductTally {
                            name: line.name.clone(),
                            items: 0,
                            revenue: 0,
                        });
                    product.items = product.items.saturating_add(quantity);
                    product.revenue = product.revenue.saturating_add(line.line_total);
                }
            }
            SalesEvent::PaymentFailed(_) => tally.failed = 1,
        }
        tally
    }

    /// The updates that add this tally: its day's totals shard, then each product's day.
    pub(crate) fn updates(&self) -> Vec<Update> {
        let key = |sk: String| {
            Item::from([
                (
                    "pk".to_owned(),
                    s(partition_key(self.day, self.currency, self.partition)),
                ),
                ("sk".to_owned(), s(sk)),
            ])
        };
        let mut updates = vec![Update {
            key: key(total_key(self.day, self.shard)),
            expression: "ADD #orders :orders, #items :items, #revenue :revenue, #failed :failed",
            names: &[
                ("#orders", "orders"),
                ("#items", "items"),
                ("#revenue", "revenue"),
                ("#failed", "failed"),
            ],
            values: Item::from([
                (":orders".to_owned(), n(self.orders)),
                (":items".to_owned(), n(self.items)),
                (":revenue".to_owned(), n(self.revenue)),
                (":failed".to_owned(), n(self.failed)),
            ]),
        }];
        for (product, sold) in &self.products {
            updates.push(Update {
                key: key(product_key(self.day, product)),
                expression: "ADD #orders :one, #items :items, #revenue :revenue SET #name = :name",
                names: &[
                    ("#orders", "orders"),
                    ("#items", "items"),
                    ("#revenue", "revenue"),
                    ("#name", "name"),
                ],
                values: Item::from([
                    (":one".to_owned(), n(1)),
                    (":items".to_owned(), n(sold.items)),
                    (":revenue".to_owned(), n(sold.revenue)),
                    (":name".to_owned(), s(sold.name.clone())),
                ]),
            });
        }
        updates
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::OrderId;
    use shared::messages::{Attempt, DeclineReason, OrderLine, OrderPaid, PaymentFailed};
    use time::macros::{date, datetime};

    fn line(product: &str, quantity: u32, unit_price: i64) -> OrderLine {
        OrderLine {
            product_id: ProductId::parse(product).unwrap(),
            name: format!("The {product}"),
            unit_price,
            quantity,
            line_total: unit_price * i64::from(quantity),
        }
    }

    fn order_id() -> OrderId {
        OrderId::parse("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_sale_counts_its_order_items_revenue_and_products_on_its_utc_day() {
        let sale = SalesEvent::OrderPaid(OrderPaid {
            order_id: order_id(),
            attempt: Attempt(1),
            currency: Currency::Gbp,
            total: 2_600,
            lines: vec![
                line("mug", 2, 1_000),
                line("pen", 1, 500),
                line("mug", 1, 100),
            ],
            paid_at: datetime!(2026-11-30 23:30 -02:00),
        });
        let tally = Tally::of(&sale);
        assert_eq!(tally.day, date!(2026 - 12 - 01), "in UTC");
        assert_eq!(
            (tally.orders, tally.items, tally.revenue, tally.failed),
            (1, 4, 2_600, 0)
        );
        let mug = &tally.products[&ProductId::parse("mug").unwrap()];
        assert_eq!(
            (mug.items, mug.revenue),
            (3, 2_100),
            "two lines of one product are one"
        );
        assert_eq!(
            tally,
            Tally::of(&sale),
            "the same partition and shard every time"
        );
        assert!(tally.shard < SHARDS && tally.partition < PARTITIONS);

        let updates = tally.updates();
        let keys: Vec<(String, String)> = updates
            .iter()
            .map(|update| {
                let key = |name: &str| update.key[name].as_s().unwrap().clone();
                (key("pk"), key("sk"))
            })
            .collect();
        let month = format!("SALES#2026-12#GBP#{:02}", tally.partition);
        assert_eq!(
            keys,
            vec![
                (month.clone(), format!("01#TOTAL#{}", tally.shard)),
                (month.clone(), "01#PRODUCT#mug".to_owned()),
                (month, "01#PRODUCT#pen".to_owned()),
            ]
        );
        assert_eq!(updates[0].values[":items"], n(4));
        assert_eq!(updates[1].values[":items"], n(3));
        assert_eq!(updates[2].values[":name"], s("The pen"));
    }

    #[test]
    fn a_failed_payment_counts_only_as_failed() {
        let failed = SalesEvent::PaymentFailed(PaymentFailed {
            order_id: order_id(),
            attempt: Attempt(3),
            currency: Currency::Eur,
            total: 900,
            reason: DeclineReason::InsufficientFunds,
            failed_at: datetime!(2026-11-27 10:00 UTC),
        });
        let tally = Tally::of(&failed);
        assert_eq!(
            (tally.orders, tally.items, tally.revenue, tally.failed),
            (0, 0, 0, 1)
        );
        assert_eq!(tally.updates().len(), 1, "the totals only");
    }

    #[test]
    fn events_spread_over_every_partition_and_shard() {
        let mut seen = [0; SHARDS as usize];
        let mut partitions = [0; PARTITIONS as usize];
        for i in 0..800 {
            let failed = SalesEvent::PaymentFailed(PaymentFailed {
                order_id: OrderId::parse(&format!("{i:032x}")).unwrap(),
                attempt: Attempt(1),
                currency: Currency::Eur,
                total: 900,
                reason: DeclineReason::CardDeclined,
                failed_at: datetime!(2026-11-27 10:00 UTC),
            });
            let tally = Tally::of(&failed);
            seen[tally.shard as usize] += 1;
            partitions[tally.partition as usize] += 1;
        }
        assert!(seen.iter().all(|&count| count > 10), "{seen:?}");
        assert!(partitions.iter().all(|&count| count > 5), "{partitions:?}");
    }
}
