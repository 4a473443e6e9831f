//! The inverted index: which products hold each word, and how often, scored with BM25F.
//!
//! The words are an `fst` map (a compact, sorted automaton over the words, mapping each to its
//! number), so the words a query means are found by running automata over it: the word itself,
//! every word it begins (the last word of a query, still being typed), and every word one typo
//! away (`levenshtein_automata`, a swap of two letters counting as one typo). Each word's postings
//! (product, and how often the word is in its name, category and description) are one slice of
//! a flat array.
//!
//! Scoring is BM25F (Robertson and Zaragoza, 2009): a word's occurrences in each field count with
//! the field's weight (the name most), normalised by the field's length, then saturated, so a
//! description that repeats a word twenty times does not beat a name that holds it once. A word
//! matched through a typo or as a prefix scores less than the word itself.

use std::sync::LazyLock;

use fst::automaton::{Automaton, Str};
use fst::{IntoStreamer, Map, MapBuilder, Streamer};
use levenshtein_automata::LevenshteinAutomatonBuilder;
use serde::{Deserialize, Serialize};

use crate::text;

/// The fields a product's words come from: name, category, description.
pub(crate) const FIELD_COUNT: usize = 3;
/// How much a word counts in each field.
const WEIGHTS: [f32; FIELD_COUNT] = [3.0, 2.0, 1.0];
/// BM25's saturation and length normalisation, at their usual values.
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// What a word matched otherwise than exactly counts for.
const PREFIX: f32 = 0.8;
const TYPO: f32 = 0.6;
const PREFIX_WITH_TYPO: f32 = 0.5;
/// Words of this many letters or more forgive one typo.
pub(crate) const TYPO_FROM: usize = 5;
/// The most words one query word may stand for: `a` as a prefix would otherwise be all of them.
const MAX_EXPANSIONS: usize = 64;

/// Automata for one typo, transpositions included; built once (a few milliseconds).
static ONE_TYPO: LazyLock<LevenshteinAutomatonBuilder> =
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true));

/// Builds what every search with a typo needs, ahead of the first one.
pub(crate) fn prepare() {
    LazyLock::force(&ONE_TYPO);
}

/// One product's words, field by field, as [`Index::build`] takes them.
pub(crate) type Fields<'a> = [&'a str; FIELD_COUNT];

/// A word's occurrences in one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Posting {
    doc: u32,
    counts: [u8; FIELD_COUNT],
}

/// The index over a list of products, which are numbered by their place in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "Stored", into = "Stored")]
pub(crate) struct Index {
    words: Map<Vec<u8>>,
    /// The postings of word `w` are `postings[offsets[w]..offsets[w + 1]]`.
    offsets: Vec<u32>,
    postings: Vec<Posting>,
    /// Each product's number of words per field, and the averages.
    lengths: Vec<[u16; FIELD_COUNT]>,
    average: [f32; FIELD_COUNT],
}

/// The index as the snapshot holds it: the `fst` map as its bytes.
#[derive(Serialize, Deserialize)]
struct Stored {
    words: Vec<u8>,
    offsets: Vec<u32>,
    postings: Vec<Posting>,
    lengths: Vec<[u16; FIELD_COUNT]>,
}

impl TryFrom<Stored> for Index {
    type Error = fst::Error;

    fn try_from(stored: Stored) -> Result<Self, fst::Error> {
        Ok(Self {
            words: Map::new(stored.words)?,
            average: average(&stored.lengths),
            offsets: stored.offsets,
            postings: stored.postings,
            lengths: stored.lengths,
        })
    }
}

impl From<Index> for Stored {
    fn from(index: Index) -> Self {
        Self {
            words: index.words.into_fst().into_inner(),
            offsets: index.offsets,
            postings: index.postings,
            lengths: index.lengths,
        }
    }
}

/// What one word of a query is: as typed (folded) and singular, and whether it is the last,
/// which may be unfinished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryWord {
    pub typed: String,
    pub singular: String,
    pub last: bool,
}

impl Index {
    /// The index of `docs`, each given as its fields' text.
    pub(crate) fn build<'a>(docs: impl IntoIterator<Item = Fields<'a>>) -> Self {
        let mut words: std::collections::BTreeMap<String, Vec<Posting>> = Default::default();
        let mut lengths = Vec::new();
        for (doc, fields) in docs.into_iter().enumerate() {
            let doc = u32::try_from(doc).unwrap_or(u32::MAX);
            let mut counts: std::collections::BTreeMap<String, [u8; FIELD_COUNT]> =
                Default::default();
            let mut length = [0u16; FIELD_COUNT];
            for (field, text) in fields.iter().enumerate() {
                for word in text::words(text) {
                    length[field] = length[field].saturating_add(1);
                    let count = &mut counts.entry(word).or_default()[field];
                    *count = count.saturating_add(1);
                }
            }
            lengths.push(length);
            for (word, counts) in counts {
                words.entry(word).or_default().push(Posting { doc, counts });
            }
        }
        let mut map = MapBuilder::memory();
        let mut offsets = vec![0];
        let mut postings = Vec::new();
        for (number, (word, list)) in words.into_iter().enumerate() {
            // Words arrive sorted and unique, as the builder requires, so it cannot refuse one;
            // if it did, the word would only go unfound: the numbering stays aligned.
            map.insert(&word, number as u64).ok();
            postings.extend(list);
            offsets.push(u32::try_from(postings.len()).unwrap_or(u32::MAX));
        }
        let words = map.into_map();
        Self {
            average: average(&lengths),
            words,
            offsets,
            postings,
            lengths,
        }
    }

    /// How many products the index holds.
    pub(crate) fn len(&self) -> usize {
        self.lengths.len()
    }

    /// The products matching every word of `query`, each with its score; in no order.
    pub(crate) fn matches(&self, query: &[QueryWord]) -> Vec<(u32, f32)> {
        let n = self.len();
        let mut total = vec![0f32; n];
        let mut matched = vec![0u16; n];
        let mut best = vec![0f32; n];
        let mut touched = Vec::new();
        for (i, word) in query.iter().enumerate() {
            for (number, weight) in self.expand(word) {
                let postings = self.postings_of(number);
                let idf = idf(n, postings.len());
                for posting in postings {
                    let doc = posting.doc as usize;
                    if matched[doc] as usize != i {
                        continue; // already missing an earlier word
                    }
                    let score = weight * idf * self.saturated(posting);
                    if best[doc] == 0.0 {
                        touched.push(doc);
                    }
                    best[doc] = best[doc].max(score);
                }
            }
            for doc in touched.drain(..) {
                total[doc] += best[doc];
                matched[doc] += 1;
                best[doc] = 0.0;
            }
        }
        let wanted = u16::try_from(query.len()).unwrap_or(u16::MAX);
        (0..n)
            .filter(|&doc| wanted > 0 && matched[doc] == wanted)
            .map(|doc| (doc as u32, total[doc]))
            .collect()
    }

    /// BM25F's term-frequency part for one posting.
    fn saturated(&self, posting: &Posting) -> f32 {
        let lengths = &self.lengths[posting.doc as usize];
        let weighted: f32 = (0..FIELD_COUNT)
            .map(|field| {
                let norm = 1.0 - B + B * f32::from(lengths[field]) / self.average[field].max(1.0);
                WEIGHTS[field] * f32::from(posting.counts[field]) / norm
            })
            .sum();
        weighted * (K1 + 1.0) / (weighted + K1)
    }

    fn postings_of(&self, number: u64) -> &[Posting] {
        let number = number as usize;
        match (self.offsets.get(number), self.offsets.get(number + 1)) {
            (Some(&start), Some(&end)) => &self.postings[start as usize..end as usize],
            _ => &[],
        }
    }

    /// The words of the index `word` stands for, with what each counts for.
    fn expand(&self, word: &QueryWord) -> Vec<(u64, f32)> {
        let mut found: Vec<(u64, f32)> = Vec::new();
        if let Some(number) = self.words.get(&word.singular) {
            found.push((number, 1.0));
        }
        if word.last {
            self.collect(Str::new(&word.typed).starts_with(), PREFIX, &mut found);
        }
        if word.singular.chars().count() >= TYPO_FROM {
            self.collect(ONE_TYPO.build_dfa(&word.singular), TYPO, &mut found);
            if word.last {
                let dfa = ONE_TYPO.build_prefix_dfa(&word.typed);
                self.collect(dfa, PREFIX_WITH_TYPO, &mut found);
            }
        }
        // Each word once, at the most it counts for.
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        found.dedup_by_key(|(number, _)| *number);
        found
    }

    /// Adds the words `automaton` accepts, up to the limit, at `weight`.
    fn collect<A: Automaton>(&self, automaton: A, weight: f32, found: &mut Vec<(u64, f32)>) {
        let mut stream = self.words.search(automaton).into_stream();
        let mut taken = 0;
        while let Some((_, number)) = stream.next() {
            if taken == MAX_EXPANSIONS {
                break;
            }
            found.push((number, weight));
            taken += 1;
        }
    }
}

/// BM25's inverse document frequency: rare words count more.
fn idf(docs: usize, with_word: usize) -> f32 {
    let (n, df) = (docs as f32, with_word as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

fn average(lengths: &[[u16; FIELD_COUNT]]) -> [f32; FIELD_COUNT] {
    let mut sums = [0f32; FIELD_COUNT];
    for length in lengths {
        for field in 0..FIELD_COUNT {
            sums[field] += f32::from(length[field]);
        }
    }
    let n = lengths.len().max(1) as f32;
    sums.map(|sum| sum / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Index {
        Index::build([
            ["Brass desk lamp", "Home", "A lamp of brass."],
            ["Brass ballpoint pen", "Stationery", "Writes smoothly."],
            ["Ceramic serving bowl", "Kitchen", "A wide bowl for salads."],
            [
                "Oak desk tidy",
                "Stationery",
                "Holds pens, and a lamp would not fit.",
            ],
            ["Crème brûlée dish", "Kitchen", "For crème brûlée."],
        ])
    }

    fn found(index: &Index, text: &str) -> Vec<u32> {
        let mut matches = index.matches(&crate::query::Text::parse(text).unwrap().words());
        matches.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        matches.into_iter().map(|(doc, _)| doc).collect()
    }

    #[test]
    fn every_word_must_match_in_any_order_and_any_field() {
        let index = index();
        assert_eq!(found(&index, "desk brass"), [0]);
        assert_eq!(found(&index, "stationery ballpoint"), [1]);
        assert!(found(&index, "brass bowl").is_empty());
    }

    #[test]
    fn the_name_outweighs_the_description() {
        let index = index();
        assert_eq!(found(&index, "lamp"), [0, 3], "named a lamp first");
    }

    #[test]
    fn the_last_word_is_a_prefix_and_long_words_forgive_a_typo() {
        let index = index();
        let mut brass = found(&index, "bras");
        brass.sort_unstable();
        assert_eq!(brass, [0, 1]);
        assert_eq!(found(&index, "ceramc bowl"), [2]);
        assert_eq!(
            found(&index, "bowl ceramc"),
            [2],
            "a typo in the last word too"
        );
        assert_eq!(found(&index, "ceramci"), [2], "a swap is one typo");
        assert!(found(&index, "dsk").is_empty(), "short words must be right");
        assert!(found(&index, "cermc").is_empty(), "two typos are too many");
    }

    #[test]
    fn plurals_accents_and_case_fold() {
        let index = index();
        assert_eq!(found(&index, "BOWLS"), [2]);
        assert_eq!(found(&index, "creme brulee"), [4]);
        let mut pens = found(&index, "pens");
        pens.sort_unstable();
        assert_eq!(pens, [1, 3], "a pen, and a tidy that holds pens");
    }

    #[test]
    fn a_stored_index_reads_back_the_same() {
        let index = index();
        let bytes = postcard::to_allocvec(&index).unwrap();
        let back: Index = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(found(&back, "ceramc bowl"), found(&index, "ceramc bowl"));
        assert_eq!(back.average, index.average);
    }
}
