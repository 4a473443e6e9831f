//! A sales report as CSV that a spreadsheet opens as it is: RFC 4180 (CRLF line ends, fields
//! quoted when they must be), a header row, ISO dates, and amounts in major units beside their
//! currency's code. One table in long form: each row is a currency's totals, one of its days,
//! or one of its products (`section`), so one header fits them all.
//!
//! It has no byte-order mark: `lambda_http` decodes a text response's body, and decoding drops
//! one, so it would never reach the client. The response's `Content-Type` says `charset=utf-8`
//! instead, and the storefront adds the mark to the file it saves, for Excel (which reads a CSV
//! file without one in the computer's legacy code page and garbles every name outside ASCII).
//!
//! A product name that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'`
//! in front: a spreadsheet would otherwise run it as a formula (OWASP's "CSV injection").
//! The `'` is the only change; numbers are never altered.

use serde::Serialize;

use crate::period::iso;
use crate::report::{Figures, SalesReport};

/// The columns, in order.
pub const HEADER: [&str; 11] = [
    "section",
    "date",
    "product_id",
    "product_name",
    "currency",
    "orders",
    "items",
    "revenue",
    "average_order_value",
    "failed_payments",
    "failed_payment_rate",
];

#[derive(Serialize)]
struct Row<'a> {
    section: &'a str,
    date: String,
    product_id: &'a str,
    product_name: String,
    currency: &'a str,
    orders: i64,
    items: i64,
    revenue: String,
    average_order_value: String,
    failed_payments: String,
    failed_payment_rate: String,
}

/// `report` as CSV text.
pub fn render(report: &SalesReport) -> Result<String, ::csv::Error> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .has_headers(false)
        .from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for sales in &report.currencies {
        let currency = sales.currency.code();
        let figures_row = |section, date: String, figures: &Figures| Row {
            section,
            date,
            product_id: "",
            product_name: String::new(),
            currency,
            orders: figures.orders,
            items: figures.items,
            revenue: major(figures.revenue),
            average_order_value: figures.average_order_value.map(major).unwrap_or_default(),
            failed_payments: figures.failed_payments.to_string(),
            failed_payment_rate: figures
                .failed_payment_rate
                .map(|share| format!("{share:.4}"))
                .unwrap_or_default(),
        };
        let period = format!("{}/{}", iso(report.from), iso(report.to));
        writer.serialize(figures_row("total", period, &sales.totals))?;
        for day in &sales.days {
            writer.serialize(figures_row("day", iso(day.date), &day.figures))?;
        }
        for product in &sales.products {
            writer.serialize(Row {
                section: "product",
                date: String::new(),
                product_id: product.product_id.as_str(),
                product_name: neutralised(&product.name),
                currency,
                orders: product.orders,
                items: product.items,
                revenue: major(product.revenue),
                average_order_value: product.average_order_value.map(major).unwrap_or_default(),
                failed_payments: String::new(),
                failed_payment_rate: String::new(),
            })?;
        }
    }
    let bytes = writer.into_inner().map_err(|err| err.into_error())?;
    // Everything written was a `&str` or a number.
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// Minor units as major ones with two decimals (every currency the shop sells in has two):
/// `123456` is `1234.56`.
fn major(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let absolute = minor.unsigned_abs();
    format!("{sign}{}.{:02}", absolute / 100, absolute % 100)
}

/// `text`, with a `'` in front if a spreadsheet would read it as a formula.
fn neutralised(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_major_units_with_two_decimals() {
        assert_eq!(major(0), "0.00");
        assert_eq!(major(5), "0.05");
        assert_eq!(major(123_456), "1234.56");
        assert_eq!(major(-1_050), "-10.50");
    }

    #[test]
    fn names_that_would_be_formulas_are_neutralised() {
        assert_eq!(neutralised("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralised("-5 mug"), "'-5 mug");
        assert_eq!(neutralised("Mug = good"), "Mug = good");
    }
}
