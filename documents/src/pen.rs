//! Drawing on an A4 page.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::fonts::{Fonts, Style};
use crate::text::Line;

pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

/// A colour as red, green and blue.
pub type Rgb = (u8, u8, u8);

/// Body text.
pub const INK: Rgb = (33, 37, 41);
/// Labels, rules and footers.
pub const MUTED: Rgb = (108, 117, 125);
/// The shop's name, headings and bars.
pub const ACCENT: Rgb = (47, 111, 143);

/// Draws on one page (krilla's coordinates: points from the top left).
pub struct Pen<'s, 'p> {
    surface: &'s mut Surface<'p>,
    fonts: &'static Fonts,
}

impl std::fmt::Debug for Pen<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pen").finish_non_exhaustive()
    }
}

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

impl<'s, 'p> Pen<'s, 'p> {
    pub fn new(surface: &'s mut Surface<'p>, fonts: &'static Fonts) -> Self {
        Self { surface, fonts }
    }

    pub fn fonts(&self) -> &'static Fonts {
        self.fonts
    }

    /// A shaped line with its left end at `x` and its baseline at `y`.
    pub fn line(&mut self, x: f32, y: f32, size: f32, color: Rgb, line: &Line) {
        self.surface.set_fill(Some(fill(color)));
        let mut x = x;
        for (font, glyphs) in line.runs() {
            self.surface.draw_glyphs(
                Point::from_xy(x, y),
                glyphs,
                font.clone(),
                line.text(),
                size,
                false,
            );
            x += glyphs
                .iter()
                .map(|glyph| glyph.x_advance * size)
                .sum::<f32>();
        }
    }

    /// `text` on one line from `x`.
    pub fn text(&mut self, x: f32, y: f32, style: Style, size: f32, color: Rgb, text: &str) {
        let line = self.fonts.line(text, style);
        self.line(x, y, size, color, &line);
    }

    /// `text` on one line ending at `right`.
    pub fn text_right(
        &mut self,
        right: f32,
        y: f32,
        style: Style,
        size: f32,
        color: Rgb,
        text: &str,
    ) {
        let line = self.fonts.line(text, style);
        self.line(right - line.width(size), y, size, color, &line);
    }

    /// A horizontal rule from `left` to `right`.
    pub fn rule(&mut self, left: f32, right: f32, y: f32, width: f32, color: Rgb) {
        let mut path = PathBuilder::new();
        path.move_to(left, y);
        path.line_to(right, y);
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

    /// The foot of a page from `left` to `right`: a rule, `name` and "Page 2 of 5".
    pub fn footer(&mut self, left: f32, right: f32, name: &str, page: usize, pages: usize) {
        let y = PAGE_HEIGHT - 44.0;
        self.rule(left, right, PAGE_HEIGHT - 60.0, 0.5, MUTED);
        self.text(left, y, Style::Regular, 8.0, MUTED, name);
        let numbering = format!("Page {page} of {pages}");
        self.text_right(right, y, Style::Regular, 8.0, MUTED, &numbering);
    }

    /// A filled box (a chart's bar); nothing for an empty one.
    pub fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Rgb) {
        let mut path = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(x, y, width, height) {
            path.push_rect(rect);
        }
        if let Some(path) = path.finish() {
            self.surface.set_fill(Some(fill(color)));
            self.surface.draw_path(&path);
        }
    }
}
