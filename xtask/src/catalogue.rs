//! Operators' commands for the catalogue's derived data: counting products stored before
//! categories, and building the search service's snapshot anew from the products table.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use products::{Change, ProductStore};
use search::catalogue::{Catalogue, Entry};
use search::record::{self, PRODUCT_PREFIX};
use search::store::{Saved, SnapshotStore, StoreError};
use shared::ids::ProductId;

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

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Products on sale in the new snapshot.
    pub on_sale: usize,
    /// Items of the table that could not be read as products, left out (and logged).
    pub unreadable: usize,
}

/// Builds the search snapshot from every product in the table `products_table` and stores it.
/// What `search-index` changed while the table was being read is kept; a snapshot that cannot
/// be read (damaged, or of another format) is replaced. Safe while the shop runs.
pub async fn rebuild_search(
    dynamodb: &aws_sdk_dynamodb::Client,
    products_table: &str,
    snapshots: &SnapshotStore,
) -> Result<Rebuilt> {
    let before = readable(snapshots).await?;
    let (scanned, unreadable) = scan_products(dynamodb, products_table).await?;
    let before: BTreeMap<ProductId, Entry> = before
        .map(|(catalogue, _)| catalogue.entries().map(|e| (e.slug().clone(), e)).collect())
        .unwrap_or_default();
    for _ in 0..10 {
        let current = readable(snapshots).await?;
        let indexed: Vec<Entry> = current
            .as_ref()
            .map(|(catalogue, _)| catalogue.entries().collect())
            .unwrap_or_default();
        let catalogue = Catalogue::build(merge(&before, indexed, scanned.clone()));
        let over = match &current {
            Some((_, etag)) => Some(etag.clone()),
            None => snapshots.etag().await?,
        };
        if let Saved::As(_) = snapshots.save(&catalogue, over.as_deref()).await? {
            return Ok(Rebuilt {
                on_sale: catalogue.len(),
                unreadable,
            });
        }
    }
    Err("the search snapshot kept changing while it was rebuilt; run it again".into())
}

/// The stored catalogue and its version, or `None` when there is none or it cannot be read.
async fn readable(snapshots: &SnapshotStore) -> Result<Option<(Catalogue, String)>> {
    match snapshots.load().await {
        Ok(stored) => Ok(stored.map(|stored| (stored.catalogue, stored.etag))),
        Err(StoreError::Unreadable(err)) => {
            eprintln!("search: the stored snapshot cannot be read ({err}); it is replaced");
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

/// The scan's entries, except for what the indexer changed while the table was read (an entry
/// that differs from `before`): a later version of a product, or one created or removed since.
fn merge(
    before: &BTreeMap<ProductId, Entry>,
    indexed: Vec<Entry>,
    scanned: Vec<Entry>,
) -> Vec<Entry> {
    let mut by_slug: BTreeMap<ProductId, Entry> = scanned
        .into_iter()
        .map(|entry| (entry.slug().clone(), entry))
        .collect();
    for entry in indexed {
        if before.get(entry.slug()) == Some(&entry) {
            continue; // as it was before the scan: the scan is newer
        }
        let newer = by_slug
            .get(entry.slug())
            .is_none_or(|scanned| entry.version() >= scanned.version());
        if newer {
            by_slug.insert(entry.slug().clone(), entry);
        }
    }
    by_slug.into_values().collect()
}

async fn scan_products(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<(Vec<Entry>, usize)> {
    let mut entries = Vec::new();
    let mut unreadable = 0;
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
            let key = item.get("pk").and_then(|pk| pk.as_s().ok()).cloned();
            match record::entry(item.into()) {
                Ok(entry) => entries.push(entry),
                Err(err) => {
                    eprintln!("search: {key:?} left out: {err}");
                    unreadable += 1;
                }
            }
        }
        start = page.last_evaluated_key;
        if start.is_none() {
            return Ok((entries, unreadable));
        }
    }
}
