//! A line of text as the glyphs that draw it.
//!
//! krilla's own `draw_text` shapes with one font in one direction; a customer's name may need
//! several fonts (a bold heading face without Greek) and both directions (a Hebrew name beside a
//! Latin order number). So a line is built here, in four steps:
//!
//! 1. Control characters become spaces. (A decomposed "ễ", e + two accents, needs no
//!    normalising first: the shaper composes it into the letter the font has.)
//! 2. `unicode-bidi` splits it into directional runs, in the order they are seen.
//! 3. The line's face is chosen (a bold line with a letter the bold face lacks is set in the
//!    regular), and each run is split where that face lacks a character; combining marks and
//!    joiners stay with the letter before them.
//! 4. Each piece is shaped by rustybuzz in its run's direction. Every glyph keeps the byte range
//!    of the text it draws, which krilla writes into the PDF's text layer, so text extraction
//!    gives back the customer's own letters in reading order.
//!
//! A character no face has is drawn as its code point (`‹U+738B›`; a letter with marks as all of
//! them, `‹U+092A U+094D›`) and its glyphs all point at that one cluster: krilla then marks them
//! with `/ActualText`, and a reader that copies, searches or extracts the text gets the letters
//! themselves.

use std::ops::Range;

use krilla::text::{Font, GlyphId, KrillaGlyph};
use unicode_bidi::BidiInfo;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use crate::fonts::{Face, Fonts, Style};

/// One line of shaped text, ready to draw: runs of glyphs in visual order (left to right on the
/// page), each in one face.
#[derive(Debug)]
pub struct Line {
    text: String,
    runs: Vec<Run>,
}

#[derive(Debug)]
struct Run {
    face: &'static Face,
    glyphs: Vec<KrillaGlyph>,
}

/// Which face draws a piece of a run.
#[derive(Clone, Copy)]
enum Source {
    Face(&'static Face),
    /// No face has these characters: each is spelt out as its code point.
    Missing,
}

impl Fonts {
    /// `text` on one line in `style`.
    pub fn line(&'static self, text: &str, style: Style) -> Line {
        // Explicit embeddings, overrides and isolates are dropped: the runs' directions come from
        // the letters alone, so a name cannot reorder the text around it (nor nest deeper than
        // unicode-bidi 0.3 handles).
        let text: String = text
            .chars()
            .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let face = self.face(&text, style);
        let mut runs = Vec::new();
        let bidi = BidiInfo::new(&text, None);
        for paragraph in &bidi.paragraphs {
            let (levels, directional) = bidi.visual_runs(paragraph, paragraph.range.clone());
            for range in directional {
                let rtl = levels[range.start].is_rtl();
                let mut pieces = pieces(face, &text, range);
                if rtl {
                    pieces.reverse();
                }
                for (range, source) in pieces {
                    runs.extend(self.shape(&text, range, source, rtl));
                }
            }
        }
        Line { text, runs }
    }

    /// `text` broken into lines no wider than `width` at `size` points: between words, and inside
    /// a word only when it is wider than a line on its own. Nothing is cut off.
    ///
    /// Each word is measured once (a report wraps thousands of names): a line's width is its
    /// words' widths and the spaces between them.
    pub fn wrap(&'static self, text: &str, style: Style, size: f32, width: f32) -> Vec<Line> {
        let whole = self.line(text, style);
        if whole.width(size) <= width {
            return vec![whole];
        }
        let measure = |text: &str| self.line(text, style).width(size);
        let space = measure(" ");
        let mut lines = Vec::new();
        let (mut current, mut current_width) = (String::new(), 0.0);
        for word in text.split_whitespace() {
            let word_width = measure(word);
            if !current.is_empty() && current_width + space + word_width <= width {
                current.push(' ');
                current.push_str(word);
                current_width += space + word_width;
                continue;
            }
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            if word_width <= width {
                (current, current_width) = (word.to_owned(), word_width);
                continue;
            }
            // A word wider than a line: broken between letters (never before an accent).
            current_width = 0.0;
            for c in word.chars() {
                let letter = measure(c.encode_utf8(&mut [0; 4]));
                if !current.is_empty() && !joins(c) && current_width + letter > width {
                    lines.push(std::mem::take(&mut current));
                    current_width = 0.0;
                }
                current.push(c);
                current_width += letter;
            }
        }
        if !current.is_empty() || lines.is_empty() {
            lines.push(current);
        }
        lines.iter().map(|line| self.line(line, style)).collect()
    }

    /// The glyphs that draw `range` of `text`.
    fn shape(
        &'static self,
        text: &str,
        range: Range<usize>,
        source: Source,
        rtl: bool,
    ) -> Vec<Run> {
        match source {
            Source::Face(face) => vec![Run {
                face,
                glyphs: shape(face, &text[range.clone()], range.start, rtl),
            }],
            Source::Missing => {
                let face = self.fallback();
                // Each letter with the marks and joiners after it is one cluster, spelt out with
                // every code point in it (`‹U+092A U+094D›`): a vowel sign or a virama is shown
                // too, never folded silently into its letter's label.
                // A cluster of more than four (a letter under a pile of marks) says how many
                // more it has, so that its label still fits a line.
                let mut clusters: Vec<(Range<usize>, Vec<char>)> = Vec::new();
                for (offset, c) in text[range.clone()].char_indices() {
                    let (start, end) = (range.start + offset, range.start + offset + c.len_utf8());
                    match clusters.last_mut().filter(|_| joins(c)) {
                        Some((cluster, chars)) => {
                            cluster.end = end;
                            chars.push(c);
                        }
                        None => clusters.push((start..end, vec![c])),
                    }
                }
                let mut spelt: Vec<Run> = clusters
                    .into_iter()
                    .map(|(cluster, chars)| Run {
                        face,
                        glyphs: shape(face, &label(&chars), 0, false)
                            .into_iter()
                            .map(|glyph| KrillaGlyph {
                                text_range: cluster.clone(),
                                ..glyph
                            })
                            .collect(),
                    })
                    .collect();
                if rtl {
                    spelt.reverse();
                }
                spelt
            }
        }
    }
}

/// A cluster no face has, spelt out: `‹U+092A U+094D›`, or `‹U+0061 U+0301 U+0302 U+0303 +2›`
/// past four code points.
fn label(chars: &[char]) -> String {
    const SHOWN: usize = 4;
    let mut label = String::from("‹");
    for (index, c) in chars.iter().take(SHOWN).enumerate() {
        let gap = if index == 0 { "" } else { " " };
        label.push_str(&format!("{gap}U+{:04X}", u32::from(*c)));
    }
    if chars.len() > SHOWN {
        label.push_str(&format!(" +{}", chars.len() - SHOWN));
    }
    label.push('›');
    label
}

/// `range` of `text` split where `face` lacks a character, in logical order.
fn pieces(face: &'static Face, text: &str, range: Range<usize>) -> Vec<(Range<usize>, Source)> {
    let mut pieces: Vec<(Range<usize>, Source)> = Vec::new();
    for (offset, c) in text[range.clone()].char_indices() {
        let start = range.start + offset;
        let end = start + c.len_utf8();
        let source = if face.covers(c) {
            Source::Face(face)
        } else {
            Source::Missing
        };
        // A mark or joiner the face lacks stays with a letter spelt out, never with one drawn
        // (where the face would draw it as an empty box).
        match pieces.last_mut() {
            Some((last, current))
                if current.same(source) || (joins(c) && matches!(current, Source::Missing)) =>
            {
                last.end = end;
            }
            _ => pieces.push((start..end, source)),
        }
    }
    pieces
}

impl Source {
    fn same(self, other: Self) -> bool {
        matches!(
            (self, other),
            (Self::Face(_), Self::Face(_)) | (Self::Missing, Self::Missing)
        )
    }
}

/// A combining mark, a joiner or a variation selector: part of the letter before it.
fn joins(c: char) -> bool {
    c.general_category_group() == GeneralCategoryGroup::Mark
        || matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}')
}

impl Line {
    /// How wide the line is at `size` points.
    pub fn width(&self, size: f32) -> f32 {
        self.runs
            .iter()
            .flat_map(|run| &run.glyphs)
            .map(|glyph| glyph.x_advance * size)
            .sum()
    }

    /// The text the line draws (normalised).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The runs to draw, left to right: the font, its glyphs and how far each run advances.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (&Font, &[KrillaGlyph])> {
        self.runs
            .iter()
            .map(|run| (&run.face.font, run.glyphs.as_slice()))
    }
}

/// `text` shaped by `face` in one direction; each glyph's text range is offset by `start`, the
/// piece's place in the whole line.
fn shape(face: &Face, text: &str, start: usize, rtl: bool) -> Vec<KrillaGlyph> {
    let shaped = face.shape(text, rtl);
    // A glyph draws its cluster: from its cluster's first byte to the next cluster's.
    let mut clusters: Vec<usize> = shaped
        .glyph_infos()
        .iter()
        .map(|info| info.cluster as usize)
        .collect();
    clusters.sort_unstable();
    clusters.dedup();
    let em = face.units_per_em;
    #[allow(clippy::cast_precision_loss)] // font units are small integers
    shaped
        .glyph_infos()
        .iter()
        .zip(shaped.glyph_positions())
        .map(|(info, position)| {
            let cluster = info.cluster as usize;
            let end = clusters
                .iter()
                .find(|&&next| next > cluster)
                .copied()
                .unwrap_or(text.len());
            KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                position.x_advance as f32 / em,
                position.x_offset as f32 / em,
                position.y_offset as f32 / em,
                position.y_advance as f32 / em,
                start + cluster..start + end,
                None,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> &'static Fonts {
        Fonts::embedded().unwrap()
    }

    #[test]
    fn every_letter_of_the_supported_scripts_is_in_a_face() {
        for name in [
            "Łukasz Żółkiewski",
            "Jiří Dvořák",
            "Nguyễn Thị Hương",
            "Γιώργος Παπαδόπουλος",
            "Анна Фёдорова",
            "שרה כהן",
            "فاطمة الزهراء",
        ] {
            for style in [Style::Regular, Style::Bold] {
                let line = fonts().line(name, style);
                assert!(
                    line.runs
                        .iter()
                        .flat_map(|run| &run.glyphs)
                        .all(|glyph| glyph.glyph_id != GlyphId::new(0)),
                    "{name} has a missing glyph"
                );
                assert!(line.runs.iter().all(|run| run.glyphs.len() < 40), "{name}");
            }
        }
    }

    #[test]
    fn a_letter_no_face_has_is_spelt_out_and_keeps_its_text() {
        let line = fonts().line("王 Li", Style::Regular);
        let first = &line.runs[0].glyphs;
        assert_eq!(first.len(), "‹U+738B›".chars().count());
        assert!(first.iter().all(|glyph| glyph.text_range == (0..3)));
        assert_eq!(line.text(), "王 Li");
    }

    #[test]
    fn marks_and_joiners_stay_with_their_letter_or_are_spelt_out_never_lost() {
        // An emoji (spelt out) with its variation selector: one label, both characters' text.
        let line = fonts().line("\u{263A}\u{FE0F}", Style::Regular);
        assert_eq!(line.runs.len(), 1);
        assert_eq!(
            line.runs[0].glyphs.len(),
            "‹U+263A U+FE0F›".chars().count(),
            "both code points on the page"
        );
        assert!(
            line.runs[0]
                .glyphs
                .iter()
                .all(|glyph| glyph.text_range == (0..6))
        );
        // A mark the face lacks, on a letter it has: the mark is spelt out, not drawn as a box.
        let line = fonts().line("a\u{20D0}", Style::Regular);
        assert_eq!(line.runs.len(), 2);
        assert!(
            line.runs[1]
                .glyphs
                .iter()
                .all(|glyph| glyph.text_range == (1..4))
        );
        assert!(line.runs[1].glyphs.len() > 1, "‹U+20D0›");
    }

    #[test]
    fn a_cluster_no_face_has_shows_every_mark_in_it() {
        // Hindi "प्रि": pa, virama, ra, vowel sign i; two clusters, no mark left off the page.
        let line = fonts().line("\u{092A}\u{094D}\u{0930}\u{093F}", Style::Regular);
        let labels: Vec<(usize, Range<usize>)> = line
            .runs
            .iter()
            .map(|run| (run.glyphs.len(), run.glyphs[0].text_range.clone()))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("‹U+092A U+094D›".chars().count(), 0..6),
                ("‹U+0930 U+093F›".chars().count(), 6..12)
            ]
        );
    }

    #[test]
    fn a_cluster_of_many_marks_says_how_many_more_it_has() {
        let chars: Vec<char> = std::iter::once('\u{738B}')
            .chain(std::iter::repeat_n('\u{0301}', 40))
            .collect();
        assert_eq!(label(&chars), "‹U+738B U+0301 U+0301 U+0301 +37›");
        assert_eq!(label(&['\u{738B}']), "‹U+738B›");
    }

    #[test]
    fn explicit_direction_controls_are_dropped() {
        let line = fonts().line("\u{202E}abc\u{202C} \u{2067}d\u{2069}", Style::Regular);
        assert_eq!(line.text(), "abc d");
    }

    #[test]
    fn decomposed_accents_are_drawn_as_the_composed_letter() {
        let decomposed = fonts().line("Nguye\u{0302}\u{0303}n", Style::Regular);
        let composed = fonts().line("Nguyễn", Style::Regular);
        let glyphs = |line: &Line| -> Vec<GlyphId> {
            line.runs
                .iter()
                .flat_map(|run| &run.glyphs)
                .map(|glyph| glyph.glyph_id)
                .collect()
        };
        assert_eq!(glyphs(&decomposed), glyphs(&composed));
        assert_eq!(
            decomposed.text(),
            "Nguye\u{0302}\u{0303}n",
            "the text as written"
        );
    }

    #[test]
    fn right_to_left_runs_are_laid_out_in_visual_order() {
        // The Hebrew comes first in the text, so the paragraph runs right to left and the
        // digits, shaped left to right, are drawn at the left.
        let line = fonts().line("שרה 42", Style::Regular);
        let ranges: Vec<_> = line
            .runs
            .iter()
            .flat_map(|run| &run.glyphs)
            .map(|glyph| glyph.text_range.start)
            .collect();
        assert_eq!(ranges.first(), Some(&"שרה ".len()), "{ranges:?}");
        assert_eq!(ranges.last(), Some(&0), "{ranges:?}");
    }

    #[test]
    fn a_bold_line_with_letters_the_bold_lacks_is_set_in_the_regular_face() {
        let regular = fonts().line("Total", Style::Regular).runs[0].face;
        let bold = fonts().line("Total", Style::Bold).runs[0].face;
        assert!(!std::ptr::eq(regular, bold));
        let line = fonts().line("Total Ω", Style::Bold);
        assert_eq!(line.runs.len(), 1);
        assert!(std::ptr::eq(line.runs[0].face, regular));
    }

    #[test]
    fn wrapping_keeps_every_letter_and_fits_the_width() {
        let text = "Wool throw blanket in a very long herringbone pattern, Żółkiewski \
                    Supercalifragilisticexpialidocious-and-then-some-more-letters-without-a-space";
        let lines = fonts().wrap(text, Style::Regular, 11.0, 120.0);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|line| line.width(11.0) <= 120.0));
        let joined: String = lines.iter().map(Line::text).collect::<Vec<_>>().concat();
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
        assert_eq!(fonts().wrap("Mug", Style::Regular, 11.0, 120.0).len(), 1);
        assert_eq!(fonts().wrap("", Style::Regular, 11.0, 120.0).len(), 1);
    }
}
