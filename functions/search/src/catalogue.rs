//! The search service's own copy of the catalogue: the products on sale, the versions of those
//! that are not (so an old change arriving late cannot bring one back), and the index over them.
//! It is kept as one snapshot: [`Catalogue::to_bytes`] and [`Catalogue::from_bytes`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::ids::ProductId;
use shared::money::Currency;

use crate::index::Index;

/// The snapshot's format: a snapshot of another format is not read, but rebuilt.
const FORMAT: u32 = 1;

/// A product as search finds it and shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doc {
    pub slug: ProductId,
    pub name: String,
    pub description: String,
    pub image: String,
    pub price: i64,
    pub currency: Currency,
    pub category: String,
    pub version: u64,
}

/// What the catalogue says of one product: on sale as `Doc`, or not (retired or deleted) since
/// `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Sold(Doc),
    NotSold { slug: ProductId, version: u64 },
}

impl Entry {
    pub fn slug(&self) -> &ProductId {
        match self {
            Self::Sold(doc) => &doc.slug,
            Self::NotSold { slug, .. } => slug,
        }
    }

    pub fn version(&self) -> u64 {
        match self {
            Self::Sold(doc) => doc.version,
            Self::NotSold { version, .. } => *version,
        }
    }
}

/// The products on sale, indexed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalogue {
    format: u32,
    /// In slug order; a product's number in the index is its place here.
    pub(crate) docs: Vec<Doc>,
    /// Products not on sale, and the version at which they stopped being.
    not_sold: Vec<(ProductId, u64)>,
    pub(crate) index: Index,
    /// The products' numbers in order of their folded names: the `name` sort.
    by_name: Vec<u32>,
    /// Each product's place in `by_name`, derived when the catalogue is built or read, so a
    /// search compares two names with two lookups.
    #[serde(skip)]
    pub(crate) name_rank: Vec<u32>,
}

/// A snapshot that cannot be read: of another format, or damaged.
#[derive(Debug, thiserror::Error)]
#[error("the search snapshot cannot be read: {0}")]
pub struct Unreadable(String);

impl Catalogue {
    /// The catalogue of `entries`, indexed.
    pub fn build(entries: impl IntoIterator<Item = Entry>) -> Self {
        let mut docs = Vec::new();
        let mut not_sold = Vec::new();
        let by_slug: BTreeMap<ProductId, Entry> = entries
            .into_iter()
            .map(|entry| (entry.slug().clone(), entry))
            .collect();
        for entry in by_slug.into_values() {
            match entry {
                Entry::Sold(doc) => docs.push(doc),
                Entry::NotSold { slug, version } => not_sold.push((slug, version)),
            }
        }
        let index = Index::build(docs.iter().map(|doc| {
            [
                doc.name.as_str(),
                doc.category.as_str(),
                doc.description.as_str(),
            ]
        }));
        let folded: Vec<String> = docs
            .iter()
            .map(|doc| {
                crate::text::folded_words(&doc.name)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let mut by_name: Vec<u32> = (0..docs.len() as u32).collect();
        by_name.sort_by(|a, b| folded[*a as usize].cmp(&folded[*b as usize]));
        Self {
            format: FORMAT,
            docs,
            not_sold,
            index,
            by_name,
            name_rank: Vec::new(),
        }
        .ranked()
    }

    /// This catalogue with `name_rank` derived from `by_name`.
    fn ranked(mut self) -> Self {
        self.name_rank = vec![0; self.by_name.len()];
        for (rank, doc) in self.by_name.iter().enumerate() {
            self.name_rank[*doc as usize] = rank as u32;
        }
        self
    }

    /// Every product, on sale or not, as an entry.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        let sold = self.docs.iter().cloned().map(Entry::Sold);
        let not_sold = self.not_sold.iter().map(|(slug, version)| Entry::NotSold {
            slug: slug.clone(),
            version: *version,
        });
        sold.chain(not_sold)
    }

    /// This catalogue with `changes` applied in order, each unless the catalogue already has a
    /// later version of its product; `None` if none of them changed anything.
    pub fn with(&self, changes: &[Entry]) -> Option<Self> {
        let mut entries: BTreeMap<ProductId, Entry> = self
            .entries()
            .map(|entry| (entry.slug().clone(), entry))
            .collect();
        let mut changed = false;
        for change in changes {
            let current = entries.get(change.slug());
            if current.is_some_and(|current| current.version() > change.version())
                || current == Some(change)
            {
                continue;
            }
            entries.insert(change.slug().clone(), change.clone());
            changed = true;
        }
        changed.then(|| Self::build(entries.into_values()))
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain data into memory cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Unreadable> {
        let catalogue: Self =
            postcard::from_bytes(bytes).map_err(|err| Unreadable(err.to_string()))?;
        if catalogue.format != FORMAT {
            return Err(Unreadable(format!("format {}", catalogue.format)));
        }
        if catalogue.index.len() != catalogue.docs.len()
            || catalogue.by_name.len() != catalogue.docs.len()
        {
            return Err(Unreadable("the index does not match the products".into()));
        }
        let mut seen = vec![false; catalogue.by_name.len()];
        for doc in &catalogue.by_name {
            match seen.get_mut(*doc as usize) {
                Some(seen @ false) => *seen = true,
                _ => {
                    return Err(Unreadable(
                        "the name order is not one of the products".into(),
                    ));
                }
            }
        }
        Ok(catalogue.ranked())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn doc(slug: &str, name: &str, category: &str, price: i64) -> Doc {
        Doc {
            slug: ProductId::parse(slug).unwrap(),
            name: name.into(),
            description: format!("All about the {name}."),
            image: format!("/images/products/{slug}.svg"),
            price,
            currency: Currency::Eur,
            category: category.into(),
            version: 1,
        }
    }

    #[test]
    fn later_versions_win_and_replays_change_nothing() {
        let mug = doc("enamel-mug", "Enamel mug", "Kitchen", 1_450);
        let catalogue = Catalogue::build([Entry::Sold(mug.clone())]);
        let dearer = Doc {
            price: 1_600,
            version: 2,
            ..mug.clone()
        };
        let retired = Entry::NotSold {
            slug: mug.slug.clone(),
            version: 3,
        };
        let now = catalogue
            .with(&[Entry::Sold(dearer.clone()), retired.clone()])
            .unwrap();
        assert!(now.is_empty());
        // The edit arriving again, late, does not bring the product back.
        assert!(now.with(&[Entry::Sold(dearer), retired]).is_none());
        assert!(now.with(&[Entry::Sold(mug)]).is_none());
    }

    #[test]
    fn a_snapshot_reads_back_and_a_damaged_one_is_refused() {
        let catalogue = Catalogue::build([
            Entry::Sold(doc("enamel-mug", "Enamel mug", "Kitchen", 1_450)),
            Entry::NotSold {
                slug: ProductId::parse("old-pen").unwrap(),
                version: 4,
            },
        ]);
        let bytes = catalogue.to_bytes();
        let back = Catalogue::from_bytes(&bytes).unwrap();
        assert_eq!(
            back.entries().collect::<Vec<_>>(),
            catalogue.entries().collect::<Vec<_>>()
        );
        assert!(Catalogue::from_bytes(&bytes[..bytes.len() / 2]).is_err());
        assert!(Catalogue::from_bytes(b"").is_err());
    }
}
