//! Rendering a receipt as a PDF, with krilla and an embedded (subset) DejaVu Sans.
//!
//! An A4 page: the shop's name and "Receipt" at the top; the order, date, customer and card;
//! a table of lines (item, quantity, unit price, amount) with amounts aligned on the right; the
//! total; a short thank-you. Long orders continue on further pages under a repeated table
//! header. Text is measured with the font's own advance widths, so columns line up and long names
//! are shortened with an ellipsis instead of running into the numbers.

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};
use time::OffsetDateTime;

use crate::receipt::Receipt;

pub use shared::mail::SHOP_NAME;

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans-Latin.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold-Latin.ttf");

/// A font for drawing (krilla) and for measuring (skrifa).
struct Face {
    font: Font,
    data: &'static [u8],
}

static FACES: LazyLock<Option<(Face, Face)>> = LazyLock::new(|| {
    let face = |data: &'static [u8]| {
        Some(Face {
            font: Font::new(data.into(), 0)?,
            data,
        })
    };
    Some((face(REGULAR)?, face(BOLD)?))
});

impl Face {
    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(font) = skrifa::FontRef::new(self.data) else {
            return 0.0;
        };
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .filter_map(|c| charmap.map(c))
            .filter_map(|glyph| metrics.advance_width(glyph))
            .sum()
    }

    /// `text`, shortened with an ellipsis to fit `width` at `size`.
    fn fit(&self, text: &str, size: f32, width: f32) -> String {
        if self.width(text, size) <= width {
            return text.to_owned();
        }
        let mut shortened: String = text.to_owned();
        while !shortened.is_empty() && self.width(&format!("{shortened}…"), size) > width {
            shortened.pop();
        }
        format!("{}…", shortened.trim_end())
    }
}

/// Rendering failed: only possible with a broken embedded font, which the tests would catch.
#[derive(Debug, thiserror::Error)]
#[error("rendering the receipt failed: {0}")]
pub struct RenderError(String);

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const ROW: f32 = 20.0;
/// Where the table's columns end (amounts are right-aligned on these).
const QUANTITY_RIGHT: f32 = 360.0;
const UNIT_PRICE_RIGHT: f32 = 450.0;
const AMOUNT_RIGHT: f32 = PAGE_WIDTH - MARGIN;
const ITEM_WIDTH: f32 = QUANTITY_RIGHT - 40.0 - MARGIN;
/// The lowest a table row may sit, leaving room for the totals above the footer.
const TABLE_BOTTOM: f32 = PAGE_HEIGHT - 154.0;

const INK: (u8, u8, u8) = (33, 37, 41);
const MUTED: (u8, u8, u8) = (108, 117, 125);
const ACCENT: (u8, u8, u8) = (47, 111, 143);

/// The receipt as a PDF document.
pub fn render(receipt: &Receipt) -> Result<Vec<u8>, RenderError> {
    let (regular, bold) = FACES
        .as_ref()
        .ok_or_else(|| RenderError("the embedded fonts do not load".into()))?;
    let mut document = Document::new();
    document.set_metadata(metadata(receipt));
    let pages = paginate(receipt.lines.len());
    for (index, lines) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| RenderError("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            regular,
            bold,
        };
        let mut y = if index == 0 {
            pen.heading(receipt)
        } else {
            pen.continued(receipt, index + 1)
        };
        y = pen.table_header(y);
        for line in &receipt.lines[lines.clone()] {
            y = pen.line(y, line);
        }
        if index + 1 == pages.len() {
            pen.totals(y, receipt);
        }
        pen.footer(index + 1, pages.len());
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|err| RenderError(format!("{err:?}")))
}

/// Which lines go on which page: as many as fit under the heading on the first page, more on the
/// next, and room for the totals on the last.
fn paginate(count: usize) -> Vec<std::ops::Range<usize>> {
    // Rows start at 266 on the first page and 148 on the others, 20 apart, down to TABLE_BOTTOM.
    const FIRST: usize = 22;
    const NEXT: usize = 28;
    let mut pages = Vec::new();
    let mut start = 0;
    let mut capacity = FIRST;
    while start < count || pages.is_empty() {
        let end = (start + capacity).min(count);
        pages.push(start..end);
        start = end;
        capacity = NEXT;
    }
    pages
}

fn metadata(receipt: &Receipt) -> Metadata {
    let mut metadata = Metadata::new()
        .title(format!("Receipt for order {}", receipt.order_id))
        .creator(SHOP_NAME.to_owned())
        .language("en".to_owned());
    let paid = receipt.paid_at;
    let date = DateTime::new(u16::try_from(paid.year()).unwrap_or(2000))
        .month(u8::from(paid.month()))
        .day(paid.day())
        .hour(paid.hour())
        .minute(paid.minute());
    metadata = metadata.creation_date(date);
    metadata
}

/// Draws on one page.
struct Pen<'s, 'p> {
    surface: &'s mut Surface<'p>,
    regular: &'static Face,
    bold: &'static Face,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, face: &Face, size: f32, color: (u8, u8, u8), text: &str) {
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(color.0, color.1, color.2).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
        self.surface.draw_text(
            Point::from_xy(x, y),
            face.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// `text` ending at `right`.
    fn text_right(
        &mut self,
        right: f32,
        y: f32,
        face: &Face,
        size: f32,
        color: (u8, u8, u8),
        text: &str,
    ) {
        let x = right - face.width(text, size);
        self.text(x, y, face, size, color, text);
    }

    fn rule(&mut self, y: f32, width: f32, color: (u8, u8, u8)) {
        let mut path = PathBuilder::new();
        path.move_to(MARGIN, y);
        path.line_to(PAGE_WIDTH - MARGIN, y);
        if let Some(path) = path.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: rgb::Color::new(color.0, color.1, color.2).into(),
                width,
                ..Default::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }

    /// The first page's heading; returns where the table starts.
    fn heading(&mut self, receipt: &Receipt) -> f32 {
        let (regular, bold) = (self.regular, self.bold);
        self.text(MARGIN, 80.0, bold, 22.0, ACCENT, SHOP_NAME);
        self.text_right(AMOUNT_RIGHT, 80.0, bold, 22.0, INK, "Receipt");
        self.rule(96.0, 1.5, ACCENT);

        let details = [
            ("Order", receipt.order_id.to_string()),
            ("Date", long_date(receipt.paid_at)),
            ("Customer", receipt.customer_name.clone()),
            ("E-mail", receipt.email.clone()),
            (
                "Paid with",
                format!("Card ending in {}", receipt.card_last4),
            ),
        ];
        let mut y = 130.0;
        for (label, value) in details {
            self.text(MARGIN, y, regular, 10.0, MUTED, label);
            let value = regular.fit(&value, 11.0, PAGE_WIDTH - 2.0 * MARGIN - 90.0);
            self.text(MARGIN + 90.0, y, regular, 11.0, INK, &value);
            y += 18.0;
        }
        y + 22.0
    }

    /// A later page's heading; returns where the table starts.
    fn continued(&mut self, receipt: &Receipt, page: usize) -> f32 {
        let (regular, bold) = (self.regular, self.bold);
        self.text(MARGIN, 80.0, bold, 14.0, ACCENT, SHOP_NAME);
        let heading = format!("Receipt for order {} (page {page})", receipt.order_id);
        self.text_right(AMOUNT_RIGHT, 80.0, regular, 10.0, MUTED, &heading);
        self.rule(92.0, 1.0, ACCENT);
        124.0
    }

    /// Column titles; returns the first row's baseline.
    fn table_header(&mut self, y: f32) -> f32 {
        let bold = self.bold;
        self.text(MARGIN, y, bold, 10.0, MUTED, "Item");
        self.text_right(QUANTITY_RIGHT, y, bold, 10.0, MUTED, "Qty");
        self.text_right(UNIT_PRICE_RIGHT, y, bold, 10.0, MUTED, "Unit price");
        self.text_right(AMOUNT_RIGHT, y, bold, 10.0, MUTED, "Amount");
        self.rule(y + 7.0, 0.75, MUTED);
        y + ROW + 4.0
    }

    fn line(&mut self, y: f32, line: &crate::receipt::Line) -> f32 {
        let regular = self.regular;
        let name = regular.fit(&line.name, 11.0, ITEM_WIDTH);
        self.text(MARGIN, y, regular, 11.0, INK, &name);
        self.text_right(
            QUANTITY_RIGHT,
            y,
            regular,
            11.0,
            INK,
            &line.quantity.to_string(),
        );
        self.text_right(
            UNIT_PRICE_RIGHT,
            y,
            regular,
            11.0,
            INK,
            &line.unit_price.to_string(),
        );
        self.text_right(
            AMOUNT_RIGHT,
            y,
            regular,
            11.0,
            INK,
            &line.amount.to_string(),
        );
        debug_assert!(y <= TABLE_BOTTOM, "paginate() put too many lines on a page");
        y + ROW
    }

    fn totals(&mut self, y: f32, receipt: &Receipt) {
        let (regular, bold) = (self.regular, self.bold);
        self.rule(y - 12.0, 0.75, MUTED);
        let items: u32 = receipt.lines.iter().map(|line| line.quantity).sum();
        let count = format!("{items} item{}", if items == 1 { "" } else { "s" });
        self.text(MARGIN, y + 8.0, regular, 10.0, MUTED, &count);
        self.text_right(UNIT_PRICE_RIGHT, y + 8.0, bold, 13.0, INK, "Total");
        self.text_right(
            AMOUNT_RIGHT,
            y + 8.0,
            bold,
            13.0,
            INK,
            &receipt.total.to_string(),
        );
        let note = format!(
            "Charged to the card ending in {} on {}.",
            receipt.card_last4,
            long_date(receipt.paid_at)
        );
        self.text(MARGIN, y + 44.0, regular, 10.0, MUTED, &note);
        self.text(
            MARGIN,
            y + 62.0,
            regular,
            10.0,
            MUTED,
            "Thank you for your order.",
        );
    }

    fn footer(&mut self, page: usize, pages: usize) {
        let regular = self.regular;
        self.rule(PAGE_HEIGHT - 60.0, 0.5, MUTED);
        self.text(MARGIN, PAGE_HEIGHT - 44.0, regular, 8.0, MUTED, SHOP_NAME);
        let numbering = format!("Page {page} of {pages}");
        self.text_right(
            AMOUNT_RIGHT,
            PAGE_HEIGHT - 44.0,
            regular,
            8.0,
            MUTED,
            &numbering,
        );
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

    #[test]
    fn pages_hold_their_share_of_lines() {
        assert_eq!(paginate(0), vec![0..0]);
        assert_eq!(paginate(3), vec![0..3]);
        assert_eq!(paginate(22), vec![0..22]);
        assert_eq!(paginate(50), vec![0..22, 22..50]);
        assert_eq!(paginate(60), vec![0..22, 22..50, 50..60]);
    }

    #[test]
    fn long_names_are_shortened_to_fit() {
        let (regular, _) = FACES.as_ref().unwrap();
        let name = "An extraordinarily long product name that would run into the quantity column";
        let fitted = regular.fit(name, 11.0, ITEM_WIDTH);
        assert!(fitted.ends_with('…'));
        assert!(regular.width(&fitted, 11.0) <= ITEM_WIDTH);
        assert_eq!(regular.fit("Mug", 11.0, ITEM_WIDTH), "Mug");
    }
}
