//! Rendering a receipt as a PDF, with krilla and the shop's embedded fonts ([`documents`]).
//!
//! An A4 page: the shop's name and "Receipt" at the top; the order, date, customer and card;
//! a table of lines (item, quantity, unit price, amount) with amounts aligned on the right; the
//! total; a short thank-you. Long orders continue on further pages under a repeated table
//! header. Names are printed whole, in any script: a long one wraps onto more lines, and the
//! pages are laid out from the rows' measured heights.

use std::ops::Range;

use documents::{ACCENT, Fonts, INK, Line, MUTED, PAGE_HEIGHT, PAGE_WIDTH, Pen, Style};
use krilla::metadata::Metadata;
use time::OffsetDateTime;

use crate::receipt::Receipt;

use shared::SHOP_NAME;

/// Rendering failed: only possible with a broken embedded font, which the tests would catch.
pub type RenderError = documents::PrintError;

const MARGIN: f32 = 56.0;
const ROW: f32 = 20.0;
/// Between the lines of one wrapped name.
const LEADING: f32 = 13.0;
/// Where the table's columns end (amounts are right-aligned on these).
const QUANTITY_RIGHT: f32 = 360.0;
const UNIT_PRICE_RIGHT: f32 = 450.0;
const AMOUNT_RIGHT: f32 = PAGE_WIDTH - MARGIN;
const ITEM_WIDTH: f32 = QUANTITY_RIGHT - 40.0 - MARGIN;
/// The lowest a table row may sit, leaving room for the totals above the footer.
const TABLE_BOTTOM: f32 = PAGE_HEIGHT - 154.0;

/// Where the first page's details start, and where a later page's table header sits.
const DETAILS_TOP: f32 = 130.0;
const CONTINUED_TOP: f32 = 124.0;
/// From a table header to its first row's baseline.
const HEADER: f32 = ROW + 4.0;
/// The width of a heading's values (the customer's name, the e-mail address).
const VALUE_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN - 90.0;

/// The receipt as a PDF document.
pub fn render(receipt: &Receipt) -> Result<Vec<u8>, RenderError> {
    let fonts = Fonts::embedded()?;
    let layout = Layout::of(receipt, fonts);
    let pages = paginate(layout.table_top(), &layout.heights());
    documents::print(fonts, pages.len(), metadata(receipt), |pen, page, count| {
        let mut pen = ReceiptPen(pen);
        let rows = pages[page - 1].clone();
        let mut y = if page == 1 {
            pen.heading(&layout)
        } else {
            pen.continued(receipt, page)
        };
        y = pen.table_header(y);
        for (line, name) in receipt.lines[rows.clone()].iter().zip(&layout.names[rows]) {
            y = pen.line(y, line, name);
        }
        if page == count {
            pen.totals(y, receipt);
        }
        pen.footer(page, count);
    })
}

/// The receipt's text, shaped and wrapped before anything is drawn, so the pages can be laid
/// out from the heights the rows will really take.
struct Layout {
    /// The heading's labelled values, each wrapped to [`VALUE_WIDTH`].
    details: Vec<(&'static str, Vec<Line>)>,
    /// Each order line's item name, wrapped to [`ITEM_WIDTH`].
    names: Vec<Vec<Line>>,
}

impl Layout {
    fn of(receipt: &Receipt, fonts: &'static Fonts) -> Self {
        let value = |text: &str| fonts.wrap(text, Style::Regular, 11.0, VALUE_WIDTH);
        let details = vec![
            ("Order", value(receipt.order_id.as_str())),
            ("Date", value(&long_date(receipt.paid_at))),
            ("Customer", value(&receipt.customer_name)),
            ("E-mail", value(&receipt.email)),
            (
                "Paid with",
                value(&format!("Card ending in {}", receipt.card_last4)),
            ),
        ];
        let names = receipt
            .lines
            .iter()
            .map(|line| fonts.wrap(&line.name, Style::Regular, 11.0, ITEM_WIDTH))
            .collect();
        Self { details, names }
    }

    /// Where the first page's table header sits, below the heading's details.
    fn table_top(&self) -> f32 {
        let details: f32 = self
            .details
            .iter()
            .map(|(_, lines)| wrapped(18.0, lines))
            .sum();
        DETAILS_TOP + details + 22.0 + HEADER
    }

    /// The height each order line takes in the table.
    fn heights(&self) -> Vec<f32> {
        self.names.iter().map(|name| wrapped(ROW, name)).collect()
    }
}

/// The height of a row of `lines` whose first line takes `first`.
#[allow(clippy::cast_precision_loss)] // a handful of lines
fn wrapped(first: f32, lines: &[Line]) -> f32 {
    first + LEADING * lines.len().saturating_sub(1) as f32
}

/// Which rows go on which page, from the first page's first row at `first_top`, each row taking
/// its height, down to [`TABLE_BOTTOM`]. A row that does not fit moves to the next page, unless
/// it is the first of a later page: nothing would be gained, and cannot happen with names of at
/// most 120 characters, whose rows are far shorter than a page.
fn paginate(first_top: f32, heights: &[f32]) -> Vec<Range<usize>> {
    const NEXT_TOP: f32 = CONTINUED_TOP + HEADER;
    let mut pages = Vec::new();
    let mut start = 0;
    let mut y = first_top;
    for (index, height) in heights.iter().enumerate() {
        let leads_later_page = index == start && !pages.is_empty();
        // A row's last line must sit above the bottom.
        if y + height - ROW > TABLE_BOTTOM && !leads_later_page {
            pages.push(start..index);
            start = index;
            y = NEXT_TOP;
        }
        y += height;
    }
    pages.push(start..heights.len());
    pages
}

fn metadata(receipt: &Receipt) -> Metadata {
    let title = format!("Receipt for order {}", receipt.order_id);
    documents::metadata(title, SHOP_NAME, receipt.paid_at)
}

/// Draws a receipt's parts on one page.
struct ReceiptPen<'a, 's, 'p>(&'a mut Pen<'s, 'p>);

impl ReceiptPen<'_, '_, '_> {
    fn rule(&mut self, y: f32, width: f32, color: documents::Rgb) {
        self.0.rule(MARGIN, PAGE_WIDTH - MARGIN, y, width, color);
    }

    /// Wrapped lines from `y`, one under the other.
    fn lines(&mut self, x: f32, y: f32, size: f32, lines: &[Line]) {
        let mut y = y;
        for line in lines {
            self.0.line(x, y, size, INK, line);
            y += LEADING;
        }
    }

    /// The first page's heading; returns where the table starts.
    fn heading(&mut self, layout: &Layout) -> f32 {
        self.0
            .text(MARGIN, 80.0, Style::Bold, 22.0, ACCENT, SHOP_NAME);
        self.0
            .text_right(AMOUNT_RIGHT, 80.0, Style::Bold, 22.0, INK, "Receipt");
        self.rule(96.0, 1.5, ACCENT);
        let mut y = DETAILS_TOP;
        for (label, value) in &layout.details {
            self.0.text(MARGIN, y, Style::Regular, 10.0, MUTED, label);
            self.lines(MARGIN + 90.0, y, 11.0, value);
            y += wrapped(18.0, value);
        }
        y + 22.0
    }

    /// A later page's heading; returns where the table starts.
    fn continued(&mut self, receipt: &Receipt, page: usize) -> f32 {
        self.0
            .text(MARGIN, 80.0, Style::Bold, 14.0, ACCENT, SHOP_NAME);
        let heading = format!("Receipt for order {} (page {page})", receipt.order_id);
        self.0
            .text_right(AMOUNT_RIGHT, 80.0, Style::Regular, 10.0, MUTED, &heading);
        self.rule(92.0, 1.0, ACCENT);
        CONTINUED_TOP
    }

    /// Column titles; returns the first row's baseline.
    fn table_header(&mut self, y: f32) -> f32 {
        let pen = &mut self.0;
        pen.text(MARGIN, y, Style::Bold, 10.0, MUTED, "Item");
        for (right, title) in [
            (QUANTITY_RIGHT, "Qty"),
            (UNIT_PRICE_RIGHT, "Unit price"),
            (AMOUNT_RIGHT, "Amount"),
        ] {
            pen.text_right(right, y, Style::Bold, 10.0, MUTED, title);
        }
        self.rule(y + 7.0, 0.75, MUTED);
        y + HEADER
    }

    /// One order line: its name (wrapped) and its numbers on the first line's baseline.
    fn line(&mut self, y: f32, line: &crate::receipt::Line, name: &[Line]) -> f32 {
        self.lines(MARGIN, y, 11.0, name);
        for (right, figure) in [
            (QUANTITY_RIGHT, line.quantity.to_string()),
            (UNIT_PRICE_RIGHT, line.unit_price.to_string()),
            (AMOUNT_RIGHT, line.amount.to_string()),
        ] {
            self.0
                .text_right(right, y, Style::Regular, 11.0, INK, &figure);
        }
        let height = wrapped(ROW, name);
        debug_assert!(
            y + height - ROW <= TABLE_BOTTOM,
            "paginate() put too many lines on a page"
        );
        y + height
    }

    fn totals(&mut self, y: f32, receipt: &Receipt) {
        self.rule(y - 12.0, 0.75, MUTED);
        let pen = &mut self.0;
        let items: u32 = receipt.lines.iter().map(|line| line.quantity).sum();
        let count = format!("{items} item{}", if items == 1 { "" } else { "s" });
        pen.text(MARGIN, y + 8.0, Style::Regular, 10.0, MUTED, &count);
        pen.text_right(UNIT_PRICE_RIGHT, y + 8.0, Style::Bold, 13.0, INK, "Total");
        let total = receipt.total.to_string();
        pen.text_right(AMOUNT_RIGHT, y + 8.0, Style::Bold, 13.0, INK, &total);
        let note = format!(
            "Charged to the card ending in {} on {}.",
            receipt.card_last4,
            long_date(receipt.paid_at)
        );
        pen.text(MARGIN, y + 44.0, Style::Regular, 10.0, MUTED, &note);
        let thanks = "Thank you for your order.";
        pen.text(MARGIN, y + 62.0, Style::Regular, 10.0, MUTED, thanks);
    }

    fn footer(&mut self, page: usize, pages: usize) {
        self.0.footer(MARGIN, AMOUNT_RIGHT, SHOP_NAME, page, pages);
    }
}

/// `22 November 2026, 10:04 UTC`.
fn long_date(when: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day padding:none] [month repr:long] [year], [hour]:[minute] UTC"
    );
    when.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first page's rows start at 266 under a heading of one-line details.
    const FIRST_TOP: f32 = 266.0;

    #[test]
    fn pages_hold_their_share_of_lines() {
        let rows = |count| vec![ROW; count];
        assert_eq!(paginate(FIRST_TOP, &rows(0)), vec![0..0]);
        assert_eq!(paginate(FIRST_TOP, &rows(3)), vec![0..3]);
        assert_eq!(paginate(FIRST_TOP, &rows(22)), vec![0..22]);
        assert_eq!(paginate(FIRST_TOP, &rows(50)), vec![0..22, 22..50]);
        assert_eq!(paginate(FIRST_TOP, &rows(60)), vec![0..22, 22..50, 50..60]);
    }

    #[test]
    fn a_row_too_tall_for_the_first_page_starts_the_second() {
        // A long name in the heading leaves room for no row of 30 lines on the first page.
        let tall = ROW + 29.0 * LEADING;
        assert_eq!(paginate(400.0, &[tall, ROW]), vec![0..0, 0..2]);
    }

    #[test]
    fn wrapped_rows_take_more_room() {
        // Three-line names take 46 points each; the ninth's last line sits at 660, a tenth's
        // would sit at 706, below the table's bottom (688).
        let rows = vec![ROW + 2.0 * LEADING; 12];
        assert_eq!(paginate(FIRST_TOP, &rows), vec![0..9, 9..12]);
    }

    #[test]
    fn one_line_details_put_the_table_where_it_always_was() {
        let receipt = Receipt {
            order_id: "0e6f5a4c3b2a4d1e9f8a7b6c5d4e3f2a".parse().unwrap(),
            customer_name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            paid_at: OffsetDateTime::UNIX_EPOCH,
            lines: Vec::new(),
            total: shared::money::Money::new(0, shared::money::Currency::Eur),
            card_last4: "4242".into(),
        };
        let layout = Layout::of(&receipt, Fonts::embedded().unwrap());
        assert!((layout.table_top() - FIRST_TOP).abs() < f32::EPSILON);
    }
}
