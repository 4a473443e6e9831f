//! The reports table, the reports service's read model of sales: the counters of each month and
//! currency (see [`crate::tally`] for their keys), and a marker `EVENT#<event id>` for each event
//! counted.
//!
//! An event is counted in one transaction: its marker, put on condition that there is none, and
//! the updates that add it to its day's totals and to each of its products' day (at most 52
//! writes: DynamoDB allows 100). A second delivery of the event (SQS delivers at least once; a
//! redrive or a backfill sends it again) finds the marker, and the whole transaction is refused:
//! each event counts once, whatever arrives twice or in which order.
//!
//! A report reads each month of its period in each currency with a `Query` of each of its 40
//! partitions and of where counters went before they were spread, [`CONCURRENT_QUERIES`] at a
//! time, summed as they come: 123 queries a month in the three currencies, up to about 3,100
//! for the longest period. What they read grows with the sales: a product's day is an item in
//! each partition that counted a sale of it, up to 40 (see the README's Reports).

use std::collections::BTreeMap;
use std::pin::pin;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use shared::config::ConfigError;
use shared::ids::ProductId;
use shared::messages::SalesEvent;
use shared::money::Currency;
use shared::store::{Item, StoreError, Table, from_item, s};
use time::Date;

use crate::period::Period;
use crate::report::{SalesReport, Summing};
use crate::tally::{PARTITIONS, Tally, month_key, partition_key};

/// Queries in flight at once for one report.
const CONCURRENT_QUERIES: usize = 16;
/// How long counting one event may keep trying while other transactions hold its items up. Well
/// within `report-record`'s 10 s, for the other events of its order that wait behind it in the
/// batch.
const RECORD_PATIENCE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone)]
pub struct ReportStore {
    table: Table,
}

/// Whether an event was counted now or had been before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Counted,
    AlreadyCounted,
}

/// One day's sales in one currency, as counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCounters {
    pub date: Date,
    pub currency: Currency,
    pub orders: i64,
    pub items: i64,
    pub revenue: i64,
    pub failed: i64,
    /// Each product sold that day, in the order of their ids.
    pub products: Vec<ProductCounters>,
}

/// One product's sales on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductCounters {
    pub product_id: ProductId,
    /// Its name as last counted.
    pub name: String,
    pub orders: i64,
    pub items: i64,
    pub revenue: i64,
}

/// A counters item as the table holds it.
#[derive(Debug, Deserialize)]
struct CountersItem {
    sk: String,
    #[serde(default)]
    orders: i64,
    #[serde(default)]
    items: i64,
    #[serde(default)]
    revenue: i64,
    #[serde(default)]
    failed: i64,
    #[serde(default)]
    name: Option<String>,
}

/// What a counters item counts, read from its sort key.
enum Counts {
    /// A shard of the day's totals.
    Totals,
    Product(ProductId),
}

impl ReportStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `REPORTS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "REPORTS_TABLE")?,
        })
    }

    /// Counts `event`, unless it was counted before. Transactions of other events holding its
    /// items up are waited out, a little longer each time, for [`RECORD_PATIENCE`]; then it is
    /// busy (the message comes back later).
    pub async fn record(&self, event: &SalesEvent) -> Result<Recorded, StoreError> {
        let tally = Tally::of(event);
        let marker = Item::from([
            ("pk".to_owned(), s(format!("EVENT#{}", event.id()))),
            ("sk".to_owned(), s("EVENT")),
        ]);
        let mut writes = vec![self.table.transact_put_new(marker)?];
        for update in tally.updates() {
            writes.push(self.table.transact_update_key(
                update.key,
                update.expression,
                update.names,
                update.values,
            )?);
        }
        let counted = self
            .table
            .transact_unless_refused_within(writes, RECORD_PATIENCE)
            .await?;
        Ok(if counted {
            Recorded::Counted
        } else {
            Recorded::AlreadyCounted
        })
    }

    /// The sales report of `period`: each partition of each month of it in each currency read
    /// with one query ([`CONCURRENT_QUERIES`] in flight), and summed as it arrives, so only those
    /// partitions' counters are ever held. A day's counters come from several partitions; the
    /// sum adds them.
    pub async fn sales(&self, period: &Period) -> Result<SalesReport, StoreError> {
        let partitions: Vec<(Date, Currency, String)> = months(period)
            .flat_map(|month| Currency::ALL.map(|currency| (month, currency)))
            .flat_map(|(month, currency)| {
                std::iter::once(month_key(month, currency))
                    .chain((0..PARTITIONS).map(move |p| partition_key(month, currency, p)))
                    .map(move |key| (month, currency, key))
            })
            .collect();
        let mut found = pin!(
            futures::stream::iter(partitions)
                .map(|(month, currency, key)| self.month(period, month, currency, key))
                .buffer_unordered(CONCURRENT_QUERIES)
        );
        let mut summing = Summing::new(period);
        while let Some(days) = found.try_next().await? {
            for day in days {
                summing.add(day);
            }
        }
        Ok(summing.finish())
    }

    /// The counters of the days of `period` in the month starting `month`, in `currency`, kept
    /// under the partition key `key`.
    async fn month(
        &self,
        period: &Period,
        month: Date,
        currency: Currency,
        key: String,
    ) -> Result<Vec<DayCounters>, StoreError> {
        let first = period.from().max(month);
        let last = period.to().min(last_day_of(month));
        let mut days: BTreeMap<u8, DayCounters> = BTreeMap::new();
        let mut start = None;
        loop {
            let output = self
                .table
                .client()
                .query()
                .table_name(self.table.name())
                .key_condition_expression("pk = :month AND sk BETWEEN :first AND :last")
                .expression_attribute_values(":month", s(key.as_str()))
                .expression_attribute_values(":first", s(format!("{:02}#", first.day())))
                .expression_attribute_values(":last", s(format!("{:02}#~", last.day())))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| StoreError::from_sdk("Query", err))?;
            for item in output.items.unwrap_or_default() {
                let counted: CountersItem = from_item(item)?;
                let (day, counts) = parse_sort_key(&counted.sk).ok_or_else(|| {
                    StoreError::corrupt("read counters", format!("a sort key {:?}", counted.sk))
                })?;
                let date = month.replace_day(day).map_err(|_| {
                    StoreError::corrupt("read counters", format!("no day {:?}", counted.sk))
                })?;
                let totals = days.entry(day).or_insert_with(|| DayCounters {
                    date,
                    currency,
                    orders: 0,
                    items: 0,
                    revenue: 0,
                    failed: 0,
                    products: Vec::new(),
                });
                match counts {
                    Counts::Totals => {
                        // Sixteen shards of one day in this partition: sums of stored
                        // counters, saturating as the report's own sums do.
                        totals.orders = totals.orders.saturating_add(counted.orders);
                        totals.items = totals.items.saturating_add(counted.items);
                        totals.revenue = totals.revenue.saturating_add(counted.revenue);
                        totals.failed = totals.failed.saturating_add(counted.failed);
                    }
                    Counts::Product(product_id) => totals.products.push(ProductCounters {
                        product_id,
                        name: counted.name.unwrap_or_default(),
                        orders: counted.orders,
                        items: counted.items,
                        revenue: counted.revenue,
                    }),
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(days.into_values().collect());
            }
        }
    }
}

/// `<dd>#TOTAL#<shard>` or `<dd>#PRODUCT#<product id>`: the day of the month, and what it counts.
fn parse_sort_key(sk: &str) -> Option<(u8, Counts)> {
    let (day, rest) = sk.split_once('#')?;
    let day: u8 = day.parse().ok()?;
    let counts = match rest.split_once('#')? {
        ("TOTAL", shard) => {
            shard.parse::<u32>().ok()?;
            Counts::Totals
        }
        ("PRODUCT", product) => Counts::Product(ProductId::parse(product).ok()?),
        _ => return None,
    };
    Some((day, counts))
}

/// The first day of every month `period` touches.
fn months(period: &Period) -> impl Iterator<Item = Date> + use<> {
    let last = period.to();
    let first = period.from().replace_day(1).unwrap_or(period.from());
    std::iter::successors(Some(first), |month| last_day_of(*month).next_day())
        .take_while(move |month| *month <= last)
}

/// The last day of the month of `day`.
fn last_day_of(day: Date) -> Date {
    let days = day.month().length(day.year());
    day.replace_day(days).unwrap_or(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_reads_every_month_it_touches() {
        let period = Period::parse(Some("2024-01-31"), Some("2024-03-01")).unwrap();
        let firsts: Vec<Date> = months(&period).collect();
        assert_eq!(
            firsts,
            vec![
                date!(2024 - 01 - 01),
                date!(2024 - 02 - 01),
                date!(2024 - 03 - 01)
            ]
        );
        assert_eq!(last_day_of(date!(2024 - 02 - 10)), date!(2024 - 02 - 29));
        let longest = Period::parse(Some("2024-01-01"), Some("2025-12-31")).unwrap();
        assert_eq!(months(&longest).count(), 24);
    }

    #[test]
    fn sort_keys_say_their_day_and_what_they_count() {
        assert!(matches!(
            parse_sort_key("07#TOTAL#3"),
            Some((7, Counts::Totals))
        ));
        let Some((31, Counts::Product(product))) = parse_sort_key("31#PRODUCT#enamel-camp-mug")
        else {
            panic!("a product's key");
        };
        assert_eq!(product.as_str(), "enamel-camp-mug");
        for bad in [
            "",
            "7",
            "07#",
            "07#TOTAL#x",
            "07#PRODUCT#Not a slug",
            "07#REFUND#1",
            "xx#TOTAL#1",
        ] {
            assert!(parse_sort_key(bad).is_none(), "{bad}");
        }
    }
}
