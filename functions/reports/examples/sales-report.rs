//! Renders a sample sales report as a PDF, to look at the layout without running the shop:
//! `cargo run -p reports --example sales-report -- report.pdf [days]`.

use reports::period::Period;
use reports::report::SalesReport;
use reports::store::{DayCounters, ProductCounters};
use shared::ids::ProductId;
use shared::money::Currency;
use time::{Duration, OffsetDateTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "report.pdf".into());
    let count: i64 = args.next().map_or(Ok(30), |n| n.parse())?;
    let to = OffsetDateTime::now_utc().date();
    let from = to - Duration::days(count - 1);
    let period =
        Period::parse(Some(&iso(from)), Some(&iso(to))).map_err(|err| format!("{err:?}"))?;
    let names = [
        "Enamel camp mug",
        "Brass ballpoint pen",
        "Κούπα καφέ",
        "Kubek emaliowany, żółty",
        "Wool throw blanket in a very long herringbone pattern with fringed ends, 130 by 180 cm",
    ];
    let mut days = Vec::new();
    for (index, date) in period.days().enumerate() {
        let index = i64::try_from(index)?;
        for (currency, scale) in [(Currency::Eur, 3), (Currency::Gbp, 1)] {
            let products: Vec<ProductCounters> = names
                .iter()
                .enumerate()
                .filter(|(n, _)| (index + i64::try_from(*n).unwrap_or(0)) % 3 != 0)
                .map(|(n, name)| ProductCounters {
                    product_id: ProductId::parse(&format!("product-{n}"))
                        .unwrap_or_else(|_| unreachable!()),
                    name: (*name).to_owned(),
                    orders: 1 + index % 3,
                    items: 2 + index % 4,
                    revenue: 1_450 * scale * (1 + index % 5),
                })
                .collect();
            days.push(DayCounters {
                date,
                currency,
                orders: products.iter().map(|p| p.orders).sum(),
                items: products.iter().map(|p| p.items).sum(),
                revenue: products.iter().map(|p| p.revenue).sum(),
                failed: index % 2,
                products,
            });
        }
    }
    let report = SalesReport::build(&period, days);
    let pdf = reports::pdf::render(&report, OffsetDateTime::now_utc())?;
    std::fs::write(&path, pdf)?;
    eprintln!("wrote {path}");
    Ok(())
}

fn iso(date: time::Date) -> String {
    format!(
        "{}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}
