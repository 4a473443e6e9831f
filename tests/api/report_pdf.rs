//! The sales report as a PDF: its figures and names read back with `pdftotext` against what this
//! test counted, its pages with `pdfinfo`; and the largest report (two years, three currencies,
//! hundreds of products) well inside what a Lambda may answer.

use std::collections::HashMap;

use reports::period::Period;
use reports::report::SalesReport;
use reports::store::{DayCounters, ProductCounters};
use shared::auth::Role;
use shared::ids::ProductId;
use shared::messages::SalesEvent;
use shared::money::{Currency, Money};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::sales_events::sales_event;
use crate::support::TestApp;
use crate::support::pdf as poppler;

/// Products named in several scripts (the PDF prints each whole).
const NAMES: [(&str, &str); 4] = [
    ("mug", "Kubek emaliowany, żółty"),
    ("cup", "Κούπα καφέ"),
    ("lamp", "מנורת שולחן"),
    ("tea", "龙井茶"),
];

#[tokio::test]
async fn the_pdf_report_prints_each_currencys_totals_days_and_products() {
    let app = TestApp::spawn().await;
    let admin = app.given_session("grace", Role::Admin).await;
    let mut events = vec![
        sales_event(
            Currency::Eur,
            datetime!(2026-03-01 09:00 UTC),
            &[("mug", 2, 1_450), ("cup", 1, 300)],
        ),
        sales_event(
            Currency::Eur,
            datetime!(2026-03-02 10:00 UTC),
            &[("lamp", 1, 4_999)],
        ),
        sales_event(Currency::Eur, datetime!(2026-03-02 11:00 UTC), &[]),
        sales_event(
            Currency::Gbp,
            datetime!(2026-03-03 12:00 UTC),
            &[("tea", 3, 1_200)],
        ),
    ];
    let names: HashMap<&str, &str> = NAMES.into_iter().collect();
    for event in &mut events {
        if let SalesEvent::OrderPaid(paid) = event {
            for line in &mut paid.lines {
                line.name = names[line.product_id.as_str()].to_owned();
            }
        }
    }
    let store = app.function("ReportRecordFunction").reports();
    for event in &events {
        store.record(event).await.unwrap();
    }

    let query = [
        ("from", "2026-03-01"),
        ("to", "2026-03-03"),
        ("format", "pdf"),
    ];
    let response = app.sales_report_of(Some(&admin), &query).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"sales-2026-03-01-to-2026-03-03.pdf\""
    );
    assert_eq!(headers["cache-control"], "private, no-store");
    let pdf: &[u8] = response.body().as_ref();
    assert!(pdf.starts_with(b"%PDF-"));

    // A title page, then one page per currency.
    assert_eq!(poppler::pages(pdf), 3);
    // Each table row on one line, as the layout mode keeps it.
    let rows = poppler::layout_text(pdf);
    let flat = rows.split_whitespace().collect::<Vec<_>>().join(" ");
    let eur = |minor| Money::new(minor, Currency::Eur).to_string();
    for expected in [
        "Sales report".to_owned(),
        "1 March 2026 to 3 March 2026 (3 days)".to_owned(),
        "Payments: 3 approved, 1 failed (25.0% failed).".to_owned(),
        "Sales in EUR".to_owned(),
        "Sales in GBP".to_owned(),
        format!("EUR 2 4 {} {} 1 33.3%", eur(8_199), eur(4_100)),
        "2 orders, 4 items, €81.99 revenue.".to_owned(),
        // A day with one sale of 49.99 and one failed payment.
        format!("2026-03-02 1 1 {} {} 1", eur(4_999), eur(4_999)),
        Money::new(3_600, Currency::Gbp).to_string(),
        "Page 3 of 3".to_owned(),
    ] {
        assert!(
            flat.contains(&expected),
            "{expected:?} missing from:\n{rows}"
        );
    }
    let text = poppler::text(pdf);
    for (_, name) in NAMES {
        assert!(text.contains(name), "{name:?} missing from:\n{text}");
    }

    let refused = app
        .sales_report_of(
            Some(&app.given_session("ada", Role::Customer).await),
            &query,
        )
        .await;
    assert_eq!(refused.status(), 403);
}

/// Two years of sales in three currencies, 600 products with long names: every day has its row,
/// the 500 best-selling products theirs (the CSV has the rest), every page its number, and the
/// file is far below the 4.4 MB a Lambda can answer (6 MB once base64-encoded).
#[test]
fn the_largest_report_fits_a_lambda_response() {
    let period = Period::parse(Some("2024-01-01"), Some("2025-12-31")).unwrap();
    let mut days = Vec::new();
    for currency in [Currency::Eur, Currency::Gbp, Currency::Usd] {
        for (index, date) in period.days().enumerate() {
            let index = i64::try_from(index).unwrap();
            days.push(DayCounters {
                date,
                currency,
                orders: 10 + index % 7,
                items: 20 + index % 11,
                revenue: 10_000 + index * 37 % 5_000,
                failed: index % 3,
                products: (0..3)
                    .map(|n| {
                        let product = (index * 3 + n) % 600;
                        ProductCounters {
                            product_id: ProductId::parse(&format!("product-{product}")).unwrap(),
                            name: format!(
                                "Product {product}: a hand-thrown stoneware mug with a long name, Łódź"
                            ),
                            orders: 1,
                            items: 2,
                            revenue: 3_000,
                        }
                    })
                    .collect(),
            });
        }
    }
    let report = SalesReport::build(&period, days);
    let started = std::time::Instant::now();
    let pdf = reports::pdf::render(&report, OffsetDateTime::now_utc()).unwrap();
    let pages = poppler::pages(&pdf);
    eprintln!(
        "a two-year PDF of three currencies: {pages} pages, {} KB, rendered in {:?} (a debug build)",
        pdf.len() / 1024,
        started.elapsed()
    );
    assert!(pdf.len() < 4_000_000, "{} bytes", pdf.len());
    let text = poppler::text(&pdf);
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    assert_eq!(
        text.matches("Page ").count(),
        pages,
        "every page is numbered"
    );
    for currency in ["EUR", "GBP", "USD"] {
        assert!(text.contains(&format!("Days ({currency})")));
        assert!(text.contains(&format!("Products ({currency})")));
    }
    assert_eq!(
        text.matches("2025-12-31").count(),
        3 + 3,
        "each table's last day, each chart's last date"
    );
    assert_eq!(
        text.matches("hand-thrown").count(),
        3 * 500,
        "the 500 best-selling products of every currency"
    );
    assert_eq!(
        text.matches("And 100 more products with less revenue")
            .count(),
        3
    );
}

/// The heaviest product tables a report can hold: 500 products in each of three currencies,
/// each named with the 120 letters a name may have, in a script no embedded font has (every
/// letter drawn as its code point, four to a line, a page a product). The product tables stop
/// at their page budget and say how many products the CSV has beyond them; every name printed
/// is whole, and the PDF stays small and quick.
#[test]
fn products_named_in_a_script_spelt_out_fill_a_bounded_number_of_pages() {
    let period = Period::parse(Some("2025-12-01"), Some("2025-12-31")).unwrap();
    let days = [Currency::Eur, Currency::Gbp, Currency::Usd].map(|currency| DayCounters {
        date: period.to(),
        currency,
        orders: 500,
        items: 500,
        revenue: 500_000,
        failed: 0,
        products: (0..500)
            .map(|n| ProductCounters {
                product_id: ProductId::parse(&format!("product-{n}")).unwrap(),
                name: format!("{n:03}{}", "茶".repeat(117)),
                orders: 1,
                items: 1,
                revenue: 1_000,
            })
            .collect(),
    });
    let report = SalesReport::build(&period, days);
    let pdf = reports::pdf::render(&report, OffsetDateTime::now_utc()).unwrap();
    let pages = poppler::pages(&pdf);
    assert!(pages <= 3 * (40 + 3) + 1, "{pages} pages");
    let text = poppler::text(&pdf);
    let more: Vec<usize> = text
        .match_indices("And ")
        .filter_map(|(at, _)| text[at + 4..].split(' ').next()?.parse().ok())
        .collect();
    assert_eq!(more.len(), 3, "a line per currency: {more:?}");
    let printed: usize = more.iter().map(|more| 500 - more).sum();
    assert!(printed >= 3 * 30, "{printed} products printed");
    assert_eq!(
        text.matches('茶').count(),
        printed * 117,
        "every printed name whole"
    );
    assert!(text.contains(&format!("Page {pages} of {pages}")));
}
