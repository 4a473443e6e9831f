//! A period's day counters summed into a sales report: per currency (amounts are never summed
//! across currencies), its totals, every day of the period and every product sold, and across
//! currencies only counts: the failed-payment rate.

use std::collections::BTreeMap;

use serde::Serialize;
use shared::ids::ProductId;
use shared::money::Currency;
use time::Date;

use crate::period::Period;
use crate::store::DayCounters;

/// What `GET /api/reports/sales` answers. Amounts are integer minor units of their currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesReport {
    #[serde(serialize_with = "iso")]
    pub from: Date,
    #[serde(serialize_with = "iso")]
    pub to: Date,
    /// Each currency the shop took payments (or failed to) in during the period.
    pub currencies: Vec<CurrencySales>,
    pub payments: Payments,
}

/// One currency's sales.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencySales {
    pub currency: Currency,
    pub totals: Figures,
    /// Every day of the period, in order, days without sales included.
    pub days: Vec<DayFigures>,
    /// Every product sold, best-selling (by revenue) first.
    pub products: Vec<ProductFigures>,
}

/// Sales, and the payments that failed, over some days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Figures {
    pub orders: i64,
    pub items: i64,
    pub revenue: i64,
    /// `revenue / orders`, rounded half up; none without orders.
    pub average_order_value: Option<i64>,
    pub failed_payments: i64,
    /// `failed_payments / (orders + failed_payments)`: each order paid is one payment approved.
    pub failed_payment_rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayFigures {
    #[serde(serialize_with = "iso")]
    pub date: Date,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One product's sales: `orders` is how many orders had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductFigures {
    pub product_id: ProductId,
    /// Its name as last counted on the last day in the period it was sold (a day counted in
    /// several partitions with different names, because it was renamed that day, gives the
    /// name that sorts last, so that every report of the period says the same).
    pub name: String,
    pub orders: i64,
    pub items: i64,
    pub revenue: i64,
    /// Its revenue per order that had it, rounded half up.
    pub average_order_value: Option<i64>,
}

/// Payment attempts in every currency: counts may be summed across currencies; money may not.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Payments {
    pub approved: i64,
    pub failed: i64,
    /// `failed / (approved + failed)`; none without attempts.
    pub failed_rate: Option<f64>,
}

impl Figures {
    fn add(&mut self, day: &DayCounters) {
        self.orders = self.orders.saturating_add(day.orders);
        self.items = self.items.saturating_add(day.items);
        self.revenue = self.revenue.saturating_add(day.revenue);
        self.failed_payments = self.failed_payments.saturating_add(day.failed);
        self.average_order_value = average(self.revenue, self.orders);
        self.failed_payment_rate = rate(self.orders, self.failed_payments);
    }
}

impl SalesReport {
    /// The report of `period` from the counters of its days (in any order; days and currencies
    /// without any are simply absent).
    pub fn build(period: &Period, days: impl IntoIterator<Item = DayCounters>) -> Self {
        let mut summing = Summing::new(period);
        for day in days {
            summing.add(day);
        }
        summing.finish()
    }
}

/// A report being summed a day's counters at a time. What it keeps grows with the days and the
/// products of the period, never with days × products: each day's products are added to their
/// product's figures and dropped, so a report of two years reads its months one after another
/// without ever holding them all.
#[derive(Debug)]
pub struct Summing<'a> {
    period: &'a Period,
    /// By currency code, so currencies come out in a fixed order.
    currencies: BTreeMap<&'static str, CurrencySumming>,
}

#[derive(Debug)]
struct CurrencySumming {
    currency: Currency,
    totals: Figures,
    per_day: BTreeMap<Date, Figures>,
    /// Each product with the last day it was named on.
    products: BTreeMap<ProductId, (Date, ProductFigures)>,
}

impl<'a> Summing<'a> {
    pub fn new(period: &'a Period) -> Self {
        Self {
            period,
            currencies: BTreeMap::new(),
        }
    }

    pub fn add(&mut self, day: DayCounters) {
        let sales = self
            .currencies
            .entry(day.currency.code())
            .or_insert_with(|| CurrencySumming {
                currency: day.currency,
                totals: Figures::default(),
                per_day: BTreeMap::new(),
                products: BTreeMap::new(),
            });
        sales.totals.add(&day);
        sales.per_day.entry(day.date).or_default().add(&day);
        for sold in day.products {
            let (named_on, product) = sales
                .products
                .entry(sold.product_id.clone())
                .or_insert_with(|| {
                    (
                        day.date,
                        ProductFigures {
                            product_id: sold.product_id,
                            name: String::new(),
                            orders: 0,
                            items: 0,
                            revenue: 0,
                            average_order_value: None,
                        },
                    )
                });
            // The day's partitions come in any order: on a tie, a fixed choice.
            if day.date > *named_on || (day.date == *named_on && sold.name > product.name) {
                (*named_on, product.name) = (day.date, sold.name);
            }
            product.orders = product.orders.saturating_add(sold.orders);
            product.items = product.items.saturating_add(sold.items);
            product.revenue = product.revenue.saturating_add(sold.revenue);
            product.average_order_value = average(product.revenue, product.orders);
        }
    }

    pub fn finish(self) -> SalesReport {
        let period = self.period;
        let currencies: Vec<CurrencySales> = self
            .currencies
            .into_values()
            .map(|sales| sales.finish(period))
            .collect();
        let approved = currencies.iter().map(|sales| sales.totals.orders).sum();
        let failed = currencies
            .iter()
            .map(|sales| sales.totals.failed_payments)
            .sum();
        SalesReport {
            from: period.from(),
            to: period.to(),
            currencies,
            payments: Payments {
                approved,
                failed,
                failed_rate: rate(approved, failed),
            },
        }
    }
}

impl CurrencySumming {
    fn finish(self, period: &Period) -> CurrencySales {
        let mut products: Vec<ProductFigures> = self
            .products
            .into_values()
            .map(|(_, product)| product)
            .collect();
        products.sort_by(|a, b| {
            b.revenue
                .cmp(&a.revenue)
                .then_with(|| a.product_id.cmp(&b.product_id))
        });
        CurrencySales {
            currency: self.currency,
            totals: self.totals,
            days: period
                .days()
                .map(|date| DayFigures {
                    date,
                    figures: self.per_day.get(&date).copied().unwrap_or_default(),
                })
                .collect(),
            products,
        }
    }
}

/// `total / count`, rounded half up (amounts are never negative); none when `count` is 0.
fn average(total: i64, count: i64) -> Option<i64> {
    (count > 0).then(|| total.saturating_add(count / 2) / count)
}

/// The share of payment attempts that failed; none without attempts.
fn rate(approved: i64, failed: i64) -> Option<f64> {
    let attempts = approved.saturating_add(failed);
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    (attempts > 0).then(|| failed as f64 / attempts as f64)
}

fn iso<S: serde::Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::period::iso(*date))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ProductCounters;
    use time::macros::date;

    /// A day's counters: `[orders, items, revenue, failed]`, then `(product, orders, items,
    /// revenue)`, each product named after itself and the day.
    fn day(
        date: &str,
        currency: &str,
        counters: [i64; 4],
        products: &[(&str, i64, i64, i64)],
    ) -> DayCounters {
        let date = Date::parse(date, crate::period::ISO_DATE).unwrap();
        DayCounters {
            date,
            currency: Currency::parse(currency).unwrap(),
            orders: counters[0],
            items: counters[1],
            revenue: counters[2],
            failed: counters[3],
            products: products
                .iter()
                .map(|&(product, orders, items, revenue)| ProductCounters {
                    product_id: ProductId::parse(product).unwrap(),
                    name: format!("{product} as of {}", crate::period::iso(date)),
                    orders,
                    items,
                    revenue,
                })
                .collect(),
        }
    }

    #[test]
    fn currencies_are_reported_apart_with_every_day_of_the_period() {
        let period = Period::parse(Some("2026-11-01"), Some("2026-11-03")).unwrap();
        let days = [
            day(
                "2026-11-03",
                "EUR",
                [1, 2, 1_000, 1],
                &[("mug", 1, 2, 1_000)],
            ),
            day(
                "2026-11-01",
                "EUR",
                [2, 3, 2_001, 0],
                &[("mug", 1, 1, 500), ("pen", 2, 2, 1_501)],
            ),
            day("2026-11-02", "USD", [1, 1, 999, 2], &[("pen", 1, 1, 999)]),
        ];
        let report = SalesReport::build(&period, days);
        assert_eq!(
            (report.from, report.to),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 03))
        );
        let [eur, usd] = &report.currencies[..] else {
            panic!("{report:?}")
        };
        assert_eq!(eur.currency, Currency::Eur);
        assert_eq!(
            eur.totals,
            Figures {
                orders: 3,
                items: 5,
                revenue: 3_001,
                average_order_value: Some(1_000),
                failed_payments: 1,
                failed_payment_rate: Some(0.25),
            }
        );
        let dates: Vec<Date> = eur.days.iter().map(|day| day.date).collect();
        assert_eq!(
            dates,
            vec![
                date!(2026 - 11 - 01),
                date!(2026 - 11 - 02),
                date!(2026 - 11 - 03)
            ]
        );
        assert_eq!(
            eur.days[1].figures,
            Figures::default(),
            "a day without sales"
        );
        assert_eq!(
            eur.days[0].figures.average_order_value,
            Some(1_001),
            "2001 / 2, half up"
        );
        let names: Vec<(&str, &str, i64)> = eur
            .products
            .iter()
            .map(|p| (p.product_id.as_str(), p.name.as_str(), p.revenue))
            .collect();
        assert_eq!(
            names,
            vec![
                ("pen", "pen as of 2026-11-01", 1_501),
                ("mug", "mug as of 2026-11-03", 1_500)
            ],
            "best-selling first, named as last sold"
        );
        assert_eq!(eur.products[1].orders, 2);
        assert_eq!(eur.products[1].average_order_value, Some(750));
        assert_eq!(usd.totals.revenue, 999);
        assert_eq!(usd.days.len(), 3);
        assert_eq!(report.payments.approved, 4);
        assert_eq!(report.payments.failed, 3);
        assert_eq!(report.payments.failed_rate, Some(3.0 / 7.0));
    }

    #[test]
    fn a_period_without_sales_has_no_currencies_and_no_rate() {
        let period = Period::parse(Some("2026-11-01"), Some("2026-11-30")).unwrap();
        let report = SalesReport::build(&period, []);
        assert!(report.currencies.is_empty());
        assert_eq!(report.payments.failed_rate, None);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["from"], "2026-11-01");
        assert_eq!(json["payments"]["failed_rate"], serde_json::Value::Null);
    }

    #[test]
    fn the_csv_reads_back_with_a_standard_reader() {
        let period = Period::parse(Some("2026-11-01"), Some("2026-11-02")).unwrap();
        let days = [day(
            "2026-11-02",
            "GBP",
            [3, 4, 10_050, 1],
            &[("mug", 3, 4, 10_050)],
        )];
        let mut report = SalesReport::build(&period, days);
        let text = crate::csv::render(&report).unwrap();
        assert!(text.starts_with("section,"), "no byte-order mark: {text:?}");
        assert!(
            text.ends_with("\r\n") && !text.replace("\r\n", "").contains('\n'),
            "CRLF"
        );
        report.currencies[0].products[0].name = "=1+2, \"quoted\"".to_owned();
        let hostile = crate::csv::render(&report).unwrap();
        assert!(
            hostile.contains(",\"'=1+2, \"\"quoted\"\"\","),
            "neutralised and quoted: {hostile}"
        );
        let mut reader = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), &crate::csv::HEADER[..]);
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|row| row.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(rows.len(), 4, "total, two days, one product: {rows:?}");
        assert_eq!(
            rows[0],
            [
                "total",
                "2026-11-01/2026-11-02",
                "",
                "",
                "GBP",
                "3",
                "4",
                "100.50",
                "33.50",
                "1",
                "0.2500"
            ]
        );
        assert_eq!(
            rows[1][..8],
            ["day", "2026-11-01", "", "", "GBP", "0", "0", "0.00"]
        );
        assert_eq!(rows[1][8], "", "no orders, no average");
        assert_eq!(
            rows[3],
            [
                "product",
                "",
                "mug",
                "mug as of 2026-11-02",
                "GBP",
                "3",
                "4",
                "100.50",
                "33.50",
                "",
                ""
            ]
        );
    }
}
