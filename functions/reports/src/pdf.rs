//! A sales report as a PDF for people: a title page with the period, the payments and each
//! currency's totals; then, per currency, a bar chart of revenue per day (vector boxes, sharp at
//! any zoom), a table of every day and a table of every product. Tables run over as many pages
//! as they need with their column titles repeated, and every page says "Page n of N".
//!
//! Product names are printed whole in any script (the `documents` crate's fonts and layout).

use documents::{
    ACCENT, Column, Flow, Fonts, INK, MUTED, Mark, PAGE_HEIGHT, PAGE_WIDTH, Pen, PrintError, Rgb,
    Style, Table,
};
use shared::SHOP_NAME;
use shared::money::{Currency, Money};
use time::OffsetDateTime;

use crate::period::iso;
use crate::report::{CurrencySales, Figures, SalesReport};

const MARGIN: f32 = 56.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// Where content starts on a page (under the running header) and where it must end (above the
/// footer).
const TOP: f32 = 110.0;
const BOTTOM: f32 = PAGE_HEIGHT - 80.0;
const SIZE: f32 = 9.0;
/// The chart's plotting area: its height, and room on its left for the amounts.
const CHART_HEIGHT: f32 = 170.0;
const CHART_LEFT: f32 = MARGIN + 64.0;

/// The columns of the totals, days and products tables: each title and its width (the first
/// column, the text that wraps, takes what is left). Revenue has room for 100 million.
const TOTALS: [Column; 7] = columns([
    ("Currency", 0.0),
    ("Orders", 55.0),
    ("Items", 55.0),
    ("Revenue", 95.0),
    ("Avg. order", 80.0),
    ("Failed", 50.0),
    ("Failed rate", 60.0),
]);
const DAYS: [Column; 6] = columns([
    ("Day", 0.0),
    ("Orders", 55.0),
    ("Items", 55.0),
    ("Revenue", 95.0),
    ("Avg. order", 80.0),
    ("Failed", 60.0),
]);
const PRODUCTS: [Column; 5] = columns([
    ("Product", 0.0),
    ("Orders", 55.0),
    ("Items", 55.0),
    ("Revenue", 95.0),
    ("Avg. order", 80.0),
]);
/// The products a PDF lists per currency, best-selling first. A paper report of thousands would
/// be read by nobody, and each costs time and memory to lay out; the CSV has them all.
const PRODUCTS_PRINTED: usize = 500;
/// And the pages they may fill per currency: 500 names of a line or two take about 15, while
/// names of 120 letters spelt out as code points (a Chinese shop's) take a page each, which
/// would make a report of 1,500 pages, many seconds to lay out.
const PRODUCT_PAGES: usize = 40;

/// Columns from their titles and widths, the last ending at the right margin; the first's
/// `right` is where the figures begin.
const fn columns<const N: usize>(spec: [(&'static str, f32); N]) -> [Column; N] {
    let mut columns = [Column {
        title: "",
        right: 0.0,
    }; N];
    let mut right = RIGHT;
    let mut index = N;
    while index > 0 {
        index -= 1;
        columns[index] = Column {
            title: spec[index].0,
            right,
        };
        right -= spec[index].1;
    }
    columns
}

/// A table whose first column runs from the margin to where the figures begin.
fn table(columns: &[Column]) -> Table<'_> {
    let end = columns.first().map_or(RIGHT, |column| column.right);
    Table {
        left: MARGIN,
        width: end - 8.0 - MARGIN,
        columns,
        size: SIZE,
    }
}

/// `report` as a PDF, generated at `now`.
pub fn render(report: &SalesReport, now: OffsetDateTime) -> Result<Vec<u8>, PrintError> {
    let fonts = Fonts::embedded()?;
    let mut flow = Flow::new(fonts, TOP, BOTTOM);
    title_page(&mut flow, report, now);
    for sales in &report.currencies {
        flow.page_break();
        currency_pages(&mut flow, sales);
    }
    let period = format!("{} to {}", long_date(report.from), long_date(report.to));
    let running = format!("{SHOP_NAME} · Sales report, {period}");
    let metadata = documents::metadata(format!("Sales report, {period}"), SHOP_NAME, now);
    let pages = flow.finish();
    documents::print(fonts, pages.len(), metadata, |pen, page, count| {
        for mark in &pages[page - 1] {
            mark.draw(pen);
        }
        furniture(pen, page, count, &running);
    })
}

/// Every page's header (after the first) and footer.
fn furniture(pen: &mut Pen<'_, '_>, page: usize, pages: usize, running: &str) {
    if page > 1 {
        pen.text(MARGIN, 64.0, Style::Regular, 8.0, MUTED, running);
        pen.rule(MARGIN, RIGHT, 72.0, 0.5, ACCENT);
    }
    pen.footer(MARGIN, RIGHT, SHOP_NAME, page, pages);
}

/// A heading in bold at the margin, and room under it.
fn heading(flow: &mut Flow, size: f32, color: Rgb, text: &str) {
    flow.text(MARGIN, 0.0, false, Style::Bold, size, color, text);
    flow.advance(size - 2.0);
}

fn title_page(flow: &mut Flow, report: &SalesReport, now: OffsetDateTime) {
    // The title page has no running header: start higher.
    flow.advance(80.0 - TOP);
    flow.text(MARGIN, 0.0, false, Style::Bold, 22.0, ACCENT, SHOP_NAME);
    flow.text(RIGHT, 0.0, true, Style::Bold, 22.0, INK, "Sales report");
    flow.rule(MARGIN, RIGHT, 16.0, 1.5, ACCENT);
    flow.advance(56.0);
    let period = format!(
        "{} to {} ({} day{})",
        long_date(report.from),
        long_date(report.to),
        days(report),
        if days(report) == 1 { "" } else { "s" }
    );
    flow.text(MARGIN, 0.0, false, Style::Bold, 14.0, INK, &period);
    let generated = format!(
        "Days in UTC, both ends included. Generated on {} at {:02}:{:02} UTC.",
        long_date(now.date()),
        now.hour(),
        now.minute()
    );
    flow.text(MARGIN, 18.0, false, Style::Regular, 9.0, MUTED, &generated);
    flow.advance(50.0);
    let payments = &report.payments;
    let summary = format!(
        "Payments: {} approved, {} failed ({} failed).",
        payments.approved,
        payments.failed,
        percent(payments.failed_rate)
    );
    flow.text(MARGIN, 0.0, false, Style::Regular, 11.0, INK, &summary);
    flow.advance(30.0);
    if report.currencies.is_empty() {
        let none = "No sales and no failed payments in this period.";
        flow.text(MARGIN, 0.0, false, Style::Regular, 11.0, MUTED, none);
        return;
    }
    let note = "Per currency: amounts in different currencies are never added together. \
                Failed: payments declined.";
    flow.text(MARGIN, 0.0, false, Style::Regular, 9.0, MUTED, note);
    flow.advance(16.0);
    let rows: Vec<Vec<String>> = report
        .currencies
        .iter()
        .map(|sales| {
            let mut row = vec![sales.currency.code().to_owned()];
            row.extend(figures(sales.currency, &sales.totals));
            row.push(percent(sales.totals.failed_payment_rate));
            row
        })
        .collect();
    table(&TOTALS).place(flow, &rows);
}

/// One currency: its chart, its days and its products.
fn currency_pages(flow: &mut Flow, sales: &CurrencySales) {
    let code = sales.currency.code();
    heading(flow, 16.0, ACCENT, &format!("Sales in {code}"));
    flow.advance(6.0);
    let totals = &sales.totals;
    let line = format!(
        "{} orders, {} items, {} revenue.",
        totals.orders,
        totals.items,
        Money::new(totals.revenue, sales.currency)
    );
    flow.text(MARGIN, 0.0, false, Style::Regular, 10.0, INK, &line);
    flow.advance(24.0);
    chart(flow, sales);
    heading(flow, 12.0, INK, &format!("Days ({code})"));
    let days: Vec<Vec<String>> = sales
        .days
        .iter()
        .map(|day| {
            let mut row = vec![iso(day.date)];
            row.extend(figures(sales.currency, &day.figures));
            row
        })
        .collect();
    table(&DAYS).place(flow, &days);
    flow.advance(18.0);
    flow.keep(60.0);
    heading(flow, 12.0, INK, &format!("Products ({code})"));
    if sales.products.is_empty() {
        let none = "No products sold.";
        flow.text(MARGIN, 12.0, false, Style::Regular, SIZE, MUTED, none);
        flow.advance(20.0);
        return;
    }
    let money = |minor| Money::new(minor, sales.currency).to_string();
    let products: Vec<Vec<String>> = sales
        .products
        .iter()
        .take(PRODUCTS_PRINTED)
        .map(|product| {
            vec![
                product.name.clone(),
                product.orders.to_string(),
                product.items.to_string(),
                money(product.revenue),
                product.average_order_value.map(money).unwrap_or_default(),
            ]
        })
        .collect();
    let placed = table(&PRODUCTS).place_within(flow, &products, PRODUCT_PAGES);
    let more = sales.products.len().saturating_sub(placed);
    if more > 0 {
        let note = format!(
            "And {more} more product{} with less revenue: the CSV download lists every product.",
            if more == 1 { "" } else { "s" }
        );
        flow.keep(20.0);
        flow.text(MARGIN, 14.0, false, Style::Regular, SIZE, MUTED, &note);
        flow.advance(20.0);
    }
}

/// Revenue per day as bars, scaled to the period's best day, with the amount of that day and
/// the first, middle and last dates as labels.
fn chart(flow: &mut Flow, sales: &CurrencySales) {
    // The chart, and under it the days' heading, column titles and first row.
    flow.keep(CHART_HEIGHT + 90.0);
    let top = flow.y();
    let base = top + CHART_HEIGHT;
    let width = RIGHT - CHART_LEFT;
    let best = sales
        .days
        .iter()
        .map(|day| day.figures.revenue)
        .max()
        .unwrap_or(0);
    let label = |flow: &mut Flow, dy: f32, text: &str| {
        flow.text(CHART_LEFT - 6.0, dy, true, Style::Regular, 7.0, MUTED, text);
    };
    label(flow, 3.0, &Money::new(best, sales.currency).to_string());
    label(
        flow,
        CHART_HEIGHT + 3.0,
        &Money::new(0, sales.currency).to_string(),
    );
    flow.rule(CHART_LEFT, RIGHT, 0.0, 0.25, MUTED);
    flow.rule(CHART_LEFT, RIGHT, CHART_HEIGHT, 0.75, INK);
    #[allow(clippy::cast_precision_loss)] // at most 731 days; amounts only scale a bar
    let (slot, scale) = (
        width / sales.days.len().max(1) as f32,
        if best > 0 {
            CHART_HEIGHT / best as f32
        } else {
            0.0
        },
    );
    // A gap between bars while they are wide enough to show one.
    let bar = if slot > 3.0 { slot * 0.75 } else { slot };
    for (index, day) in sales.days.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let (x, height) = (
            CHART_LEFT + slot * index as f32,
            day.figures.revenue as f32 * scale,
        );
        if height > 0.0 {
            flow.mark(Mark::Rect {
                x,
                y: base - height,
                width: bar,
                height,
                color: ACCENT,
            });
        }
    }
    if let (Some(first), Some(last)) = (sales.days.first(), sales.days.last()) {
        flow.text(
            CHART_LEFT,
            CHART_HEIGHT + 12.0,
            false,
            Style::Regular,
            7.0,
            MUTED,
            &iso(first.date),
        );
        flow.text(
            RIGHT,
            CHART_HEIGHT + 12.0,
            true,
            Style::Regular,
            7.0,
            MUTED,
            &iso(last.date),
        );
    }
    flow.advance(CHART_HEIGHT + 36.0);
}

/// Orders, items, revenue, average order and failed payments, as printed.
fn figures(currency: Currency, figures: &Figures) -> [String; 5] {
    let money = |minor| Money::new(minor, currency).to_string();
    [
        figures.orders.to_string(),
        figures.items.to_string(),
        money(figures.revenue),
        figures.average_order_value.map(money).unwrap_or_default(),
        figures.failed_payments.to_string(),
    ]
}

/// `12.5%`, or a dash without any payment.
fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_owned(), |rate| format!("{:.1}%", rate * 100.0))
}

fn days(report: &SalesReport) -> i64 {
    (report.to - report.from).whole_days() + 1
}

/// `27 November 2026`.
fn long_date(date: time::Date) -> String {
    let format = time::macros::format_description!("[day padding:none] [month repr:long] [year]");
    date.format(&format).unwrap_or_default()
}
