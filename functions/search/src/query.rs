//! A search, as a customer asks it, and its answer: the matching products in the order asked,
//! a page at a time, with how many match in all and in each category.

use std::collections::BTreeMap;

use unicode_normalization::char::is_combining_mark;

use crate::catalogue::{Catalogue, Doc};
use crate::index::QueryWord;
use crate::text;

/// The longest query, in characters.
pub const MAX_QUERY: usize = 200;
/// The most words of a query searched for (each once): ten words say what a customer wants, and
/// a hundred would only cost CPU.
const MAX_WORDS: usize = 10;

/// The words of a query: at least one character that is not a space, at most [`MAX_QUERY`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn parse(raw: &str) -> Result<Self, String> {
        // Blank as `openapi.yaml`'s pattern has it: Unicode's spaces, the information
        // separators and the byte-order mark.
        let blank =
            |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c) || c == '\u{feff}';
        if raw.chars().all(blank) {
            return Err("type something to search for".into());
        }
        if raw.chars().count() > MAX_QUERY {
            return Err(format!("must be at most {MAX_QUERY} characters long"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The words the index is asked for; the last one may be unfinished, unless the text ends
    /// with a space or a punctuation mark.
    pub(crate) fn words(&self) -> Vec<QueryWord> {
        let mut typed: Vec<String> = Vec::new();
        for word in text::folded_words(&self.0) {
            if !typed.contains(&word) && typed.len() < MAX_WORDS {
                typed.push(word);
            }
        }
        let finished = !self
            .0
            .ends_with(|c: char| c.is_alphanumeric() || is_combining_mark(c));
        let last = typed.len().saturating_sub(1);
        typed
            .into_iter()
            .enumerate()
            .map(|(i, typed)| QueryWord {
                singular: text::singular(&typed),
                last: i == last && !finished,
                typed,
            })
            .collect()
    }
}

/// The orders results come in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// The best matches first; without words, as `Name`.
    #[default]
    Relevance,
    PriceAscending,
    PriceDescending,
    Name,
}

impl Sort {
    pub const NAMES: &[&str] = &["relevance", "price_asc", "price_desc", "name"];

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "relevance" => Ok(Self::Relevance),
            "price_asc" => Ok(Self::PriceAscending),
            "price_desc" => Ok(Self::PriceDescending),
            "name" => Ok(Self::Name),
            _ => Err(format!("must be one of {}", Self::NAMES.join(", "))),
        }
    }
}

/// A search. Without `text`, every product on sale (the catalogue, filtered and sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub text: Option<Text>,
    pub category: Option<String>,
    /// In minor units, both ends included.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

/// One page of results.
#[derive(Debug)]
pub struct Found<'a> {
    pub products: Vec<&'a Doc>,
    /// How many products match, on every page together.
    pub total: usize,
    /// How many match in each category, as if no category were asked for: what choosing another
    /// category would show.
    pub categories: Vec<(&'a str, usize)>,
    /// Where the next page starts, if there is one.
    pub next: Option<usize>,
}

impl Catalogue {
    pub fn search(&self, query: &Query) -> Found<'_> {
        let words = query.text.as_ref().map(Text::words);
        let scored: Vec<(u32, f32)> = match &words {
            Some(words) if words.is_empty() => Vec::new(), // only punctuation: nothing matches
            Some(words) => self.index.matches(words),
            None => (0..self.docs.len() as u32).map(|doc| (doc, 0.0)).collect(),
        };
        let priced: Vec<(u32, f32)> = scored
            .into_iter()
            .filter(|(doc, _)| {
                let price = self.docs[*doc as usize].price;
                query.min_price.is_none_or(|min| price >= min)
                    && query.max_price.is_none_or(|max| price <= max)
            })
            .collect();
        let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
        for (doc, _) in &priced {
            *categories
                .entry(&self.docs[*doc as usize].category)
                .or_default() += 1;
        }
        let mut results: Vec<(u32, f32)> = priced
            .into_iter()
            .filter(|(doc, _)| {
                query
                    .category
                    .as_ref()
                    .is_none_or(|category| &self.docs[*doc as usize].category == category)
            })
            .collect();
        let total = results.len();
        let end = query.offset.saturating_add(query.limit).min(total);
        self.order(&mut results, query.sort, end);
        let products = results
            .get(query.offset.min(end)..end)
            .unwrap_or_default()
            .iter()
            .map(|(doc, _)| &self.docs[*doc as usize])
            .collect();
        Found {
            products,
            total,
            categories: categories.into_iter().collect(),
            next: (end < total).then_some(end),
        }
    }

    /// Puts the first `keep` of `results` in the order asked for, the rest after them in no
    /// order: a page needs only what comes up to its end, and browsing 10,000 products should
    /// not sort them all. Ties go by name, then slug, so every page is stable.
    fn order(&self, results: &mut [(u32, f32)], sort: Sort, keep: usize) {
        let name_rank = &self.name_rank;
        let by_name = |a: &(u32, f32), b: &(u32, f32)| {
            name_rank[a.0 as usize]
                .cmp(&name_rank[b.0 as usize])
                .then(a.0.cmp(&b.0))
        };
        let price = |doc: &(u32, f32)| self.docs[doc.0 as usize].price;
        let compare = |a: &(u32, f32), b: &(u32, f32)| match sort {
            Sort::Relevance => b.1.total_cmp(&a.1).then_with(|| by_name(a, b)),
            Sort::Name => by_name(a, b),
            Sort::PriceAscending => price(a).cmp(&price(b)).then_with(|| by_name(a, b)),
            Sort::PriceDescending => price(b).cmp(&price(a)).then_with(|| by_name(a, b)),
        };
        if keep == 0 {
            return;
        }
        if keep < results.len() {
            // The `keep` first in order come before the rest, in no order yet.
            results.select_nth_unstable_by(keep - 1, compare);
        }
        let first = keep.min(results.len());
        results[..first].sort_by(compare);
    }
}

/// So a test can compare orders of products by their slugs.
impl Found<'_> {
    pub fn slugs(&self) -> Vec<&str> {
        self.products.iter().map(|doc| doc.slug.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::Entry;
    use crate::catalogue::tests::doc;

    fn catalogue() -> Catalogue {
        Catalogue::build(
            [
                doc("brass-desk-lamp", "Brass desk lamp", "Home", 8_900),
                doc(
                    "brass-ballpoint-pen",
                    "Brass ballpoint pen",
                    "Stationery",
                    3_400,
                ),
                doc(
                    "ceramic-serving-bowl",
                    "Ceramic serving bowl",
                    "Kitchen",
                    4_200,
                ),
                doc("creme-dish", "Crème brûlée dish", "Kitchen", 1_900),
                doc("oak-desk-tidy", "Oak desk tidy", "Stationery", 2_800),
            ]
            .map(Entry::Sold),
        )
    }

    fn search(text: &str) -> Query {
        Query {
            text: Some(Text::parse(text).unwrap()),
            limit: 24,
            ..Query::default()
        }
    }

    #[test]
    fn queries_are_words_not_nothing_and_not_essays() {
        assert!(Text::parse("  \t ").is_err());
        assert!(Text::parse("").is_err());
        assert!(Text::parse(&"a".repeat(201)).is_err());
        assert!(
            Text::parse(&"é".repeat(200)).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn a_finished_last_word_is_not_a_prefix() {
        let catalogue = catalogue();
        assert_eq!(catalogue.search(&search("bras")).total, 2);
        assert_eq!(catalogue.search(&search("bras ")).total, 0);
        assert_eq!(catalogue.search(&search("!!!")).total, 0);
    }

    #[test]
    fn filters_sorts_facets_and_pages() {
        let catalogue = catalogue();
        let mut query = Query {
            limit: 2,
            sort: Sort::PriceAscending,
            ..Query::default()
        };
        let first = catalogue.search(&query);
        assert_eq!(first.total, 5);
        assert_eq!(first.slugs(), ["creme-dish", "oak-desk-tidy"]);
        query.offset = first.next.unwrap();
        let second = catalogue.search(&query);
        assert_eq!(
            second.slugs(),
            ["brass-ballpoint-pen", "ceramic-serving-bowl"]
        );
        query.offset = second.next.unwrap();
        let last = catalogue.search(&query);
        assert_eq!((last.slugs(), last.next), (vec!["brass-desk-lamp"], None));

        let kitchen = catalogue.search(&Query {
            category: Some("Kitchen".into()),
            max_price: Some(4_000),
            sort: Sort::PriceDescending,
            limit: 24,
            ..Query::default()
        });
        assert_eq!(kitchen.slugs(), ["creme-dish"]);
        assert_eq!(kitchen.total, 1);
        assert_eq!(
            kitchen.categories,
            [("Kitchen", 1), ("Stationery", 2)],
            "other categories' counts, at the price asked"
        );

        let named = catalogue.search(&Query {
            sort: Sort::Name,
            limit: 24,
            ..search("brass")
        });
        assert_eq!(named.slugs(), ["brass-ballpoint-pen", "brass-desk-lamp"]);
        let far = catalogue.search(&Query {
            offset: 99,
            ..search("brass")
        });
        assert!(far.products.is_empty() && far.next.is_none());
    }

    #[test]
    fn pages_of_any_size_follow_one_whole_ordering() {
        // Prices and names that tie, so the tie-breaks are tested too.
        let catalogue = Catalogue::build((0..40).map(|i| {
            let name = format!("Lamp {}", i % 7);
            let slug = format!("lamp-{i:02}");
            Entry::Sold(doc(&slug, &name, "Home", 1_000 + (i % 5) * 100))
        }));
        for sort in [
            Sort::Relevance,
            Sort::Name,
            Sort::PriceAscending,
            Sort::PriceDescending,
        ] {
            for text in [None, Some("lamp")] {
                let query = Query {
                    text: text.map(|text| Text::parse(text).unwrap()),
                    sort,
                    ..Query::default()
                };
                let whole = catalogue
                    .search(&Query {
                        limit: 100,
                        ..query.clone()
                    })
                    .slugs()
                    .join(" ");
                for limit in [1, 3, 7] {
                    let mut paged = Vec::new();
                    let mut offset = Some(0);
                    while let Some(at) = offset {
                        let page = catalogue.search(&Query {
                            offset: at,
                            limit,
                            ..query.clone()
                        });
                        paged.extend(page.slugs().into_iter().map(str::to_owned));
                        offset = page.next;
                    }
                    assert_eq!(paged.join(" "), whole, "{sort:?} {text:?} by {limit}");
                }
            }
        }
    }
}
