//! PDF documents the shop prints: receipts (the receipts service) and sales reports (the reports
//! service). What both need lives here:
//!
//! - [`fonts`]: the embedded faces. DejaVu Sans cut down to Latin (with Vietnamese), Greek,
//!   Cyrillic, Hebrew and Arabic, and a bold for the shop's own Latin headings.
//! - [`text`]: a line of text as glyphs: split into directional runs (so a Hebrew or
//!   Arabic name reads right to left beside Latin digits), shaped with rustybuzz (joined Arabic
//!   letters, accents placed), and measured exactly as it will be drawn. A letter that no
//!   embedded face has (Chinese, say) is drawn as its code point, `‹U+738B›`, while the PDF's text
//!   layer keeps the letter itself: nothing is dropped silently, and copying or searching the
//!   document finds the name as the customer wrote it.
//! - [`pen`]: drawing on an A4 page: text (left or right aligned), rules and filled boxes.
//! - [`flow`]: documents of many pages: marks placed page by page before anything is drawn (so
//!   footers can count the pages), and tables that repeat their titles on every page.
//!
//! krilla writes the PDF and embeds only the glyphs a document uses.

pub mod flow;
pub mod fonts;
pub mod pen;
pub mod text;

pub use flow::{Column, Flow, Mark, PrintError, Table, print};
pub use fonts::{FontError, Fonts, Style};
pub use pen::{ACCENT, INK, MUTED, PAGE_HEIGHT, PAGE_WIDTH, Pen, Rgb};
pub use text::Line;

/// A document's metadata: its title, who made it (the shop), when, and its language (English).
pub fn metadata(
    title: String,
    creator: &str,
    at: time::OffsetDateTime,
) -> krilla::metadata::Metadata {
    let date = krilla::metadata::DateTime::new(u16::try_from(at.year()).unwrap_or(2000))
        .month(u8::from(at.month()))
        .day(at.day())
        .hour(at.hour())
        .minute(at.minute());
    krilla::metadata::Metadata::new()
        .title(title)
        .creator(creator.to_owned())
        .language("en".to_owned())
        .creation_date(date)
}
