//! Laying out a document that runs over several pages: everything is placed first, page by page,
//! and drawn afterwards, so each page's footer can say "Page 3 of 12".
//!
//! A [`Flow`] keeps the pages placed so far and where the next thing goes on the last one; a
//! [`Table`] places rows into it, breaking to a new page when a row does not fit and repeating its
//! column titles at the top of every page it continues on.

use krilla::Document;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;

use crate::fonts::{Fonts, Style};
use crate::pen::{INK, MUTED, PAGE_HEIGHT, PAGE_WIDTH, Pen, Rgb};
use crate::text::Line;

/// Writing the PDF failed: only possible with a broken embedded font, which the tests catch.
#[derive(Debug, thiserror::Error)]
#[error("writing the PDF failed: {0}")]
pub struct PrintError(String);

impl From<crate::fonts::FontError> for PrintError {
    fn from(err: crate::fonts::FontError) -> Self {
        Self(err.to_string())
    }
}

/// A PDF of `pages` A4 pages with `metadata`. `draw` draws each page, given its number (from 1)
/// and the number of pages; a [`Flow`]'s pages are drawn with [`Mark::draw`].
pub fn print(
    fonts: &'static Fonts,
    pages: usize,
    metadata: Metadata,
    mut draw: impl FnMut(&mut Pen<'_, '_>, usize, usize),
) -> Result<Vec<u8>, PrintError> {
    let mut document = Document::new();
    document.set_metadata(metadata);
    for number in 1..=pages {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PrintError("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        draw(&mut Pen::new(&mut surface, fonts), number, pages);
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|err| PrintError(format!("{err:?}")))
}

/// One thing drawn on a page.
#[derive(Debug)]
pub enum Mark {
    /// A shaped line with its left end at `x` and its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Rgb,
        line: Line,
    },
    /// A horizontal rule.
    Rule {
        left: f32,
        right: f32,
        y: f32,
        width: f32,
        color: Rgb,
    },
    /// A filled box.
    Rect {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        color: Rgb,
    },
}

impl Mark {
    /// Draws it with `pen` (on the page it was placed on).
    pub fn draw(&self, pen: &mut Pen<'_, '_>) {
        match self {
            Self::Text {
                x,
                y,
                size,
                color,
                line,
            } => pen.line(*x, *y, *size, *color, line),
            Self::Rule {
                left,
                right,
                y,
                width,
                color,
            } => pen.rule(*left, *right, *y, *width, *color),
            Self::Rect {
                x,
                y,
                width,
                height,
                color,
            } => pen.rect(*x, *y, *width, *height, *color),
        }
    }
}

/// Pages being filled from `top` down to `bottom`.
#[derive(Debug)]
pub struct Flow {
    fonts: &'static Fonts,
    pages: Vec<Vec<Mark>>,
    top: f32,
    bottom: f32,
    y: f32,
}

impl Flow {
    /// One empty page, filled from `top`.
    pub fn new(fonts: &'static Fonts, top: f32, bottom: f32) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            top,
            bottom,
            y: top,
        }
    }

    pub fn fonts(&self) -> &'static Fonts {
        self.fonts
    }

    /// Where the next thing goes.
    pub fn y(&self) -> f32 {
        self.y
    }

    /// Moves down by `height`.
    pub fn advance(&mut self, height: f32) {
        self.y += height;
    }

    /// Whether `height` more fits on this page.
    pub fn fits(&self, height: f32) -> bool {
        self.y + height <= self.bottom
    }

    /// Starts a new page (unless this one is still empty).
    pub fn page_break(&mut self) {
        if self.pages.last().is_some_and(|page| !page.is_empty()) {
            self.pages.push(Vec::new());
        }
        self.y = self.top;
    }

    /// Starts a new page unless `height` fits on this one.
    pub fn keep(&mut self, height: f32) {
        if !self.fits(height) {
            self.page_break();
        }
    }

    /// Adds `mark` to the current page.
    pub fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    /// `text` on one line, its left end at `x` (or its right end, with `right`), on the line
    /// whose baseline is `dy` below the current position.
    #[allow(clippy::too_many_arguments)] // a text's place, look and words
    pub fn text(
        &mut self,
        x: f32,
        dy: f32,
        right: bool,
        style: Style,
        size: f32,
        color: Rgb,
        text: &str,
    ) {
        let line = self.fonts.line(text, style);
        let x = if right { x - line.width(size) } else { x };
        let y = self.y + dy;
        self.mark(Mark::Text {
            x,
            y,
            size,
            color,
            line,
        });
    }

    /// A rule across `left`..`right`, `dy` below the current position.
    pub fn rule(&mut self, left: f32, right: f32, dy: f32, width: f32, color: Rgb) {
        let y = self.y + dy;
        self.mark(Mark::Rule {
            left,
            right,
            y,
            width,
            color,
        });
    }

    /// The pages placed, each a list of marks.
    pub fn finish(self) -> Vec<Vec<Mark>> {
        self.pages
    }
}

/// A column of a [`Table`]: its title and where it sits. The first column is the table's text
/// (left-aligned and wrapped); the others are figures, right-aligned on their `right` edge.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub title: &'static str,
    pub right: f32,
}

/// A table of rows of text: a first column that wraps, and figures.
#[derive(Debug, Clone, Copy)]
pub struct Table<'c> {
    pub left: f32,
    /// The first column's width (its text wraps within it).
    pub width: f32,
    pub columns: &'c [Column],
    pub size: f32,
}

/// A table row's height, and between the lines of a wrapped first cell.
const ROW: f32 = 16.0;
const LEADING: f32 = 12.0;
const HEADER: f32 = 22.0;

impl Table<'_> {
    /// Places the column titles, then every row, each on one page: a row that does not fit starts
    /// a new page, which starts with the titles again.
    pub fn place<R: AsRef<str>>(&self, flow: &mut Flow, rows: &[Vec<R>]) {
        self.place_within(flow, rows, usize::MAX);
    }

    /// [`Self::place`] on at most `pages` pages, the one it starts on counted: the first rows
    /// that fit, and how many they are. A caller that lists, say, products bounds its document
    /// however long their names are, and says what it left out.
    pub fn place_within<R: AsRef<str>>(
        &self,
        flow: &mut Flow,
        rows: &[Vec<R>],
        pages: usize,
    ) -> usize {
        let fonts = flow.fonts();
        let mut wrapped = rows.iter().map(|row| {
            let first = row.first().map_or("", AsRef::as_ref);
            let lines = fonts.wrap(first, Style::Regular, self.size, self.width);
            #[allow(clippy::cast_precision_loss)] // a few lines
            let height = ROW + LEADING * lines.len().saturating_sub(1) as f32;
            (row, lines, height)
        });
        let Some(first) = wrapped.next() else {
            return 0;
        };
        // The titles stay with the first row.
        flow.keep(HEADER + first.2);
        let last_page = flow.pages.len().saturating_add(pages.saturating_sub(1));
        self.header(flow);
        let mut placed = 0;
        for (row, lines, height) in std::iter::once(first).chain(wrapped) {
            // A row taller than a whole page would run over its foot: the callers' texts are
            // bounded (names of at most 120 characters) far below that.
            if !flow.fits(height) {
                if flow.pages.len() >= last_page {
                    break;
                }
                flow.page_break();
                self.header(flow);
            }
            let baseline = flow.y() + self.size;
            for (index, line) in lines.into_iter().enumerate() {
                #[allow(clippy::cast_precision_loss)]
                let y = baseline + LEADING * index as f32;
                let (x, size) = (self.left, self.size);
                flow.mark(Mark::Text {
                    x,
                    y,
                    size,
                    color: INK,
                    line,
                });
            }
            for (column, cell) in self.columns.iter().skip(1).zip(row.iter().skip(1)) {
                let (right, size) = (column.right, self.size);
                flow.text(right, size, true, Style::Regular, size, INK, cell.as_ref());
            }
            flow.advance(height);
            placed += 1;
        }
        placed
    }

    fn header(&self, flow: &mut Flow) {
        let size = self.size - 1.0;
        for (index, column) in self.columns.iter().enumerate() {
            let (x, right) = if index == 0 {
                (self.left, false)
            } else {
                (column.right, true)
            };
            flow.text(x, size, right, Style::Bold, size, MUTED, column.title);
        }
        let right = self.columns.last().map_or(self.left, |column| column.right);
        flow.rule(self.left, right, size + 6.0, 0.75, MUTED);
        flow.advance(HEADER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 2] = [
        Column {
            title: "Product",
            right: 0.0,
        },
        Column {
            title: "Orders",
            right: 500.0,
        },
    ];

    fn texts(page: &[Mark]) -> Vec<&str> {
        page.iter()
            .filter_map(|mark| match mark {
                Mark::Text { line, .. } => Some(line.text()),
                _ => None,
            })
            .collect()
    }

    /// A table of two columns, 200 points wide, and forty one-line rows for it.
    fn forty_products() -> (Table<'static>, Vec<Vec<String>>) {
        let table = Table {
            left: 50.0,
            width: 200.0,
            columns: &COLUMNS,
            size: 10.0,
        };
        let rows = (0..40)
            .map(|i| vec![format!("Product {i}"), i.to_string()])
            .collect();
        (table, rows)
    }

    #[test]
    fn a_long_table_repeats_its_titles_on_every_page() {
        let fonts = Fonts::embedded().unwrap();
        let mut flow = Flow::new(fonts, 100.0, 400.0);
        let (table, rows) = forty_products();
        table.place(&mut flow, &rows);
        let pages = flow.finish();
        // 300 points a page: the titles take 22, each row 16, so 17 rows a page.
        assert_eq!(pages.len(), 3);
        for page in &pages {
            assert_eq!(texts(page)[..2], ["Product", "Orders"]);
        }
        assert_eq!(texts(&pages[1])[2], "Product 17");
        let placed: usize = pages.iter().map(|page| texts(page).len() - 2).sum();
        assert_eq!(placed, 80, "every cell of every row, once");
    }

    #[test]
    fn a_table_kept_within_pages_places_the_first_rows_that_fit() {
        let fonts = Fonts::embedded().unwrap();
        let mut flow = Flow::new(fonts, 100.0, 400.0);
        flow.text(50.0, 10.0, false, Style::Regular, 10.0, INK, "Before");
        flow.advance(270.0);
        let (table, rows) = forty_products();
        // It starts on a new page (titles and a row do not fit in the 30 points left): that
        // page and one more, 17 rows each.
        assert_eq!(table.place_within(&mut flow, &rows, 2), 34);
        let pages = flow.finish();
        assert_eq!(pages.len(), 3);
        assert_eq!(texts(&pages[0]), ["Before"]);
        assert_eq!(texts(&pages[2]).last(), Some(&"33"));
    }

    #[test]
    fn a_wrapped_row_is_never_split_across_pages() {
        let fonts = Fonts::embedded().unwrap();
        let mut flow = Flow::new(fonts, 0.0, 80.0);
        let table = Table {
            left: 0.0,
            width: 60.0,
            columns: &COLUMNS,
            size: 10.0,
        };
        table.place(
            &mut flow,
            &[
                vec!["Mug", "1"],
                vec!["Wool throw blanket, herringbone", "2"],
            ],
        );
        let pages = flow.finish();
        assert_eq!(pages.len(), 2);
        let baselines = pages.iter().flatten().filter_map(|mark| match mark {
            Mark::Text { y, .. } => Some(*y),
            _ => None,
        });
        assert!(
            baselines.into_iter().all(|y| y <= 80.0),
            "all above the bottom"
        );
        assert_eq!(texts(&pages[0]), ["Product", "Orders", "Mug", "1"]);
        assert_eq!(texts(&pages[1])[..2], ["Product", "Orders"]);
        assert_eq!(texts(&pages[1]).last(), Some(&"2"));
    }
}
