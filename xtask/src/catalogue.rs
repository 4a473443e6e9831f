//! Operators' commands for the catalogue's derived data: counting products stored before
//! categories, and building the search service's snapshot anew from the products table.

use aws_sdk_dynamodb::types::AttributeValue;
use products::{Change, ProductStore};
use search::catalogue::{Catalogue, Entry};
use search::record::{self, PRODUCT_PREFIX};
use search::store::{Saved, SnapshotStore};

use crate::Result;

/// Counts every product stored before categories and versions in its category (it becomes
/// version 1); how many there were. Safe to run again: a counted product is left alone.
pub async fn upgrade(store: &ProductStore) -> Result<usize> {
    let mut adopted = 0;
    for slug in store.legacy().await? {
        if let Change::Done(_) = store.adopt(&slug).await? {
            adopted += 1;
        }
    }
    Ok(adopted)
}

/// Builds the search snapshot from every product in the table `products_table` and stores it,
/// unless a newer version of a product was indexed meanwhile (then that one stays). A write that
/// meets `search-index` writing at the same time reads everything again. How many products are
/// on sale in it.
pub async fn rebuild_search(
    dynamodb: &aws_sdk_dynamodb::Client,
    products_table: &str,
    snapshots: &SnapshotStore,
) -> Result<usize> {
    for _ in 0..5 {
        let stored = snapshots.load().await?;
        let scanned = scan_products(dynamodb, products_table).await?;
        // What the stream indexed after the scan read a product is newer: it wins, as it would
        // if its record came after the rebuild.
        let indexed = stored.as_ref().map(|stored| stored.catalogue.clone());
        let catalogue = match indexed {
            Some(indexed) => Catalogue::build(merge(indexed.entries().collect(), scanned)),
            None => Catalogue::build(scanned),
        };
        let over = stored.as_ref().map(|stored| stored.etag.as_str());
        if let Saved::As(_) = snapshots.save(&catalogue, over).await? {
            return Ok(catalogue.len());
        }
    }
    Err("the search snapshot kept changing while it was rebuilt; run it again".into())
}

/// `scanned`, except where `indexed` holds a later version of a product.
fn merge(indexed: Vec<Entry>, scanned: Vec<Entry>) -> Vec<Entry> {
    let mut by_slug: std::collections::BTreeMap<_, Entry> = scanned
        .into_iter()
        .map(|entry| (entry.slug().clone(), entry))
        .collect();
    for entry in indexed {
        let newer = by_slug
            .get(entry.slug())
            .is_none_or(|scanned| entry.version() > scanned.version());
        // A product the scan did not see was created after it, or deleted by hand.
        if newer && by_slug.contains_key(entry.slug()) {
            by_slug.insert(entry.slug().clone(), entry);
        }
    }
    by_slug.into_values().collect()
}

async fn scan_products(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut start = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .filter_expression("begins_with(pk, :product)")
            .expression_attribute_values(":product", AttributeValue::S(PRODUCT_PREFIX.into()))
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for item in page.items.unwrap_or_default() {
            entries.push(record::entry(item.into())?);
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok(entries);
        }
    }
}
