//! A year of sales in the measured shop's reports table, so that `report-sales`' sample event
//! (`events/report-sales.json`: 2025, as a PDF) measures a one-year report of two currencies, not
//! an empty one.

use reports::ReportStore;
use shared::ids::{OrderId, ProductId};
use shared::messages::{Attempt, OrderLine, OrderPaid, SalesEvent};
use shared::money::Currency;
use time::Duration;
use time::macros::datetime;

use crate::Result;
use crate::local::LocalShop;

/// Products sold: each order has three of them, so every product sells on most days.
const PRODUCTS: i64 = 60;

/// Records two orders a day in each of two currencies through 2025, with the reports service's
/// own code (each one a transaction of the marker and its counters, as `report-record` does).
pub(super) async fn record_a_year(shop: &LocalShop) -> Result<()> {
    let sdk = shared::aws::sdk_config().await;
    let store = ReportStore::new(
        shared::aws::dynamodb(&sdk),
        shop.names.refs["ReportsTable"].clone(),
    );
    let start = datetime!(2025-01-01 09:00 UTC);
    for day in 0..365 {
        for (currency, order) in [
            (Currency::Eur, 0),
            (Currency::Eur, 1),
            (Currency::Gbp, 2),
            (Currency::Gbp, 3),
        ] {
            let seed = day * 4 + order;
            let lines: Vec<OrderLine> = (0..3)
                .map(|n| {
                    let product = (seed * 7 + n * 13) % PRODUCTS;
                    let quantity = u32::try_from(1 + (seed + n) % 3).unwrap_or(1);
                    let unit_price = 450 + product * 125;
                    Ok(OrderLine {
                        product_id: ProductId::parse(&format!("bench-product-{product}"))?,
                        name: format!("Benchmark product {product}, stoneware"),
                        unit_price,
                        quantity,
                        line_total: unit_price * i64::from(quantity),
                    })
                })
                .collect::<std::result::Result<_, String>>()?;
            let event = SalesEvent::OrderPaid(OrderPaid {
                order_id: OrderId::generate(),
                attempt: Attempt(1),
                currency,
                total: lines.iter().map(|line| line.line_total).sum(),
                lines,
                paid_at: start + Duration::days(day) + Duration::minutes(order * 90),
            });
            store.record(&event).await?;
        }
    }
    Ok(())
}
