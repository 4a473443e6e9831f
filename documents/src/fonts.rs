//! The embedded faces, compiled into each binary that prints, so a document renders the same
//! everywhere and needs no font file at run time (see `fonts/README.md` for how they were cut).

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use krilla::text::Font;
use rustybuzz::{Direction, GlyphBuffer, Script, ShapePlan, UnicodeBuffer};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans-Documents.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold-Latin.ttf");

/// The weight a text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Regular,
    Bold,
}

/// An embedded font did not load: only possible with a broken font file, which the tests catch.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the embedded font {0} does not load")]
pub struct FontError(&'static str);

/// One font: krilla's handle for drawing and embedding it, and rustybuzz's for shaping.
pub(crate) struct Face {
    pub(crate) font: Font,
    pub(crate) shaper: rustybuzz::Face<'static>,
    pub(crate) units_per_em: f32,
    /// Shaping plans by direction and script. Making a plan reads the font's layout tables,
    /// which costs far more than shaping a name with it, and a document shapes thousands.
    plans: Mutex<Vec<(Direction, Script, Arc<ShapePlan>)>>,
}

impl Face {
    fn load(name: &'static str, data: &'static [u8]) -> Result<Self, FontError> {
        let shaper = rustybuzz::Face::from_slice(data, 0).ok_or(FontError(name))?;
        let font = Font::new(data.into(), 0).ok_or(FontError(name))?;
        Ok(Self {
            units_per_em: font.units_per_em(),
            font,
            shaper,
            plans: Mutex::new(Vec::new()),
        })
    }

    /// `text` shaped in one direction (its script guessed from its letters).
    pub(crate) fn shape(&self, text: &str, rtl: bool) -> GlyphBuffer {
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        });
        buffer.guess_segment_properties();
        let (direction, script) = (buffer.direction(), buffer.script());
        let plan = {
            let mut plans = self.plans.lock().unwrap_or_else(PoisonError::into_inner);
            let known = plans
                .iter()
                .find(|(d, s, _)| *d == direction && *s == script)
                .map(|(_, _, plan)| Arc::clone(plan));
            known.unwrap_or_else(|| {
                let plan = Arc::new(ShapePlan::new(
                    &self.shaper,
                    direction,
                    Some(script),
                    None,
                    &[],
                ));
                plans.push((direction, script, Arc::clone(&plan)));
                plan
            })
        };
        rustybuzz::shape_with_plan(&self.shaper, &plan, buffer)
    }

    pub(crate) fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Face")
            .field("units_per_em", &self.units_per_em)
            .finish_non_exhaustive()
    }
}

/// Every embedded face, loaded once per process (parsing them takes well under a millisecond).
/// Text is shaped and measured through it: [`Fonts::line`] and [`Fonts::wrap`].
pub struct Fonts {
    regular: Face,
    bold: Face,
}

static FONTS: LazyLock<Result<Fonts, FontError>> = LazyLock::new(|| {
    Ok(Fonts {
        regular: Face::load("DejaVuSans-Documents.ttf", REGULAR)?,
        bold: Face::load("DejaVuSans-Bold-Latin.ttf", BOLD)?,
    })
});

impl Fonts {
    /// The embedded fonts, loaded on first use.
    pub fn embedded() -> Result<&'static Self, FontError> {
        FONTS.as_ref().map_err(Clone::clone)
    }

    /// The face `text` is set in, in `style`. The bold has Latin only: a line with a letter it
    /// lacks (a Vietnamese or Greek name) is set wholly in the regular face, rather than in a
    /// mixture of the two within a word.
    pub(crate) fn face(&self, text: &str, style: Style) -> &Face {
        let bold_lacks = |c: char| !self.bold.covers(c) && self.regular.covers(c);
        match style {
            Style::Bold if !text.chars().any(bold_lacks) => &self.bold,
            Style::Bold | Style::Regular => &self.regular,
        }
    }

    /// The face a code point no face has is spelt out in.
    pub(crate) fn fallback(&self) -> &Face {
        &self.regular
    }
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").finish_non_exhaustive()
    }
}
