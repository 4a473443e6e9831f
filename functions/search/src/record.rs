//! A product as the products service stores it, read from its table's stream (and by the
//! rebuild, from the table itself): the fields search needs, and whether it is on sale.
//!
//! This is the one place the search service knows the products service's record. A product
//! stored before categories or versions reads as the products service reads it: category
//! `Other`, version 0.

use serde::Deserialize;
use shared::ids::ProductId;
use shared::money::Currency;

use crate::catalogue::{Doc, Entry};

/// The prefix of a product's key; other items of the table (category counters) are not products.
pub const PRODUCT_PREFIX: &str = "PRODUCT#";

#[derive(Debug, Deserialize)]
struct ProductRecord {
    slug: ProductId,
    name: String,
    description: String,
    image: String,
    price: i64,
    currency: Currency,
    #[serde(default = "other")]
    category: String,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    status: Status,
}

#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    #[default]
    Active,
    Retired,
}

fn other() -> String {
    "Other".to_owned()
}

/// A key of the products table.
#[derive(Debug, Deserialize)]
pub struct Key {
    pub pk: String,
}

impl Key {
    /// The product this key names, if it names one.
    pub fn product(&self) -> Option<Result<ProductId, String>> {
        self.pk.strip_prefix(PRODUCT_PREFIX).map(ProductId::parse)
    }
}

/// What the item `image` (a product as stored) says: on sale, or retired since its version.
pub fn entry(image: serde_dynamo::Item) -> Result<Entry, String> {
    let record: ProductRecord =
        serde_dynamo::from_item(image).map_err(|err| format!("not a product: {err}"))?;
    Ok(match record.status {
        Status::Retired => Entry::NotSold {
            slug: record.slug,
            version: record.version,
        },
        Status::Active => Entry::Sold(Doc {
            slug: record.slug,
            name: record.name,
            description: record.description,
            image: record.image,
            price: record.price,
            currency: record.currency,
            category: record.category,
            version: record.version,
        }),
    })
}
