//! The products table, keyed by `pk = PRODUCT#<slug>`, and one counter item per category.
//!
//! The `Catalog` index (partition `kind`, sort `slug`) lists two kinds of item: products on sale
//! (`kind = "PRODUCT"`, in slug order; a retired product has no `kind`, so it leaves the index but
//! stays readable by key), and categories (`pk = CATEGORY#<name>`, `kind = "CATEGORY"`, whose
//! `slug` holds the name so they sort by it) with the number of products on sale in each. Every
//! write that moves a product into, out of or between categories changes the counters in the same
//! transaction, so `GET /api/categories` is one small query that is never out of step.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::ids::ProductId;
use shared::store::{Item, Listed, StoreError, Table, n, s, to_item};

use crate::domain::{Category, Edit, NewProduct, Product};

/// The index the listing reads; its name is part of the table's definition in the template.
pub(crate) const CATALOG_INDEX: &str = "Catalog";
const PRODUCT_KIND: &str = "PRODUCT";
const CATEGORY_KIND: &str = "CATEGORY";
/// How often a write that lost a race reads again before answering 503: only a counter that
/// other writes keep taking (a conflicting *version* is answered at once) gets that far. On AWS
/// a transaction that meets another on the same counter is cancelled (`TransactionConflict`), so
/// concurrent edits in one category do lose races, and back off before the next attempt.
const ATTEMPTS: u32 = 10;

/// One page of the catalogue, and the slug the next page starts after.
#[derive(Debug)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub next: Option<ProductId>,
}

/// A category and how many products on sale it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub name: Category,
    pub count: i64,
}

/// What became of an edit or a retirement.
#[derive(Debug)]
pub enum Change {
    /// Written: the product as it is now.
    Done(Product),
    NotFound,
    /// The product is retired (as it is now).
    Retired(Product),
    /// Someone else changed the product since the version the edit was made on.
    Stale(Product),
}

/// Why a product cannot change as asked.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Retired,
    Stale,
}

#[derive(Debug, Clone)]
pub struct ProductStore {
    table: Table,
}

impl ProductStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            table: Table::new(client, table),
        }
    }

    /// The table named by `PRODUCTS_TABLE`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(sdk, "PRODUCTS_TABLE")?,
        })
    }

    /// Adds a product unless its slug is taken (`Ok(false)`, also for a retired product's slug,
    /// so a slug in old orders never names a different product); safe under concurrency.
    pub async fn insert(&self, new: &NewProduct) -> Result<bool, StoreError> {
        let product = &new.product;
        for attempt in 0..ATTEMPTS {
            let put = self.table.transact_put_new(listed(product)?)?;
            let count = self.count(&product.category, 1)?;
            if self.table.transact(vec![put, count]).await? {
                return Ok(true);
            }
            // Cancelled: the slug is taken, or another write held the category's counter.
            if self
                .table
                .get(product_key(&product.slug), true)
                .await?
                .is_some()
            {
                return Ok(false);
            }
            back_off(attempt).await;
        }
        Err(busy(&product.slug))
    }

    pub async fn get(&self, slug: &ProductId) -> Result<Option<Product>, StoreError> {
        self.table.get_record(product_key(slug), false).await
    }

    /// Applies `edit` if the product is still at the version it was made on.
    pub async fn update(&self, slug: &ProductId, edit: &Edit) -> Result<Change, StoreError> {
        self.change(slug, |current| {
            if current.is_retired() {
                Err(Refusal::Retired)
            } else if current.version != edit.seen_version {
                Err(Refusal::Stale)
            } else {
                Ok(current.edited(edit))
            }
        })
        .await
    }

    /// Takes the product off sale; retiring a retired product changes nothing.
    pub async fn retire(&self, slug: &ProductId) -> Result<Change, StoreError> {
        self.change(slug, |current| {
            if current.is_retired() {
                Err(Refusal::Retired)
            } else {
                Ok(current.retired())
            }
        })
        .await
    }

    /// The products stored before categories and versions (version 0), which no category counts.
    pub async fn legacy(&self) -> Result<Vec<ProductId>, StoreError> {
        let items = self
            .table
            .scan_all(|scan| {
                scan.filter_expression(
                    "begins_with(pk, :product) AND attribute_not_exists(#version)",
                )
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":product", s("PRODUCT#"))
            })
            .await?;
        items
            .into_iter()
            .map(|item| Ok(shared::store::from_item::<Product>(item)?.slug))
            .collect()
    }

    /// Counts a product stored before versions in its category, as version 1; a product with a
    /// version is left as it is (answered `Stale`).
    pub async fn adopt(&self, slug: &ProductId) -> Result<Change, StoreError> {
        self.change(slug, |current| {
            if current.version == 0 {
                Ok(Product {
                    version: 1,
                    ..current.clone()
                })
            } else {
                Err(Refusal::Stale)
            }
        })
        .await
    }

    /// Reads the product, asks `next` what it becomes, and writes that on condition that the
    /// product is still the version read, with the category counters, in one transaction. A lost
    /// race reads again, so `next` judges what is there now.
    async fn change(
        &self,
        slug: &ProductId,
        next: impl Fn(&Product) -> Result<Product, Refusal>,
    ) -> Result<Change, StoreError> {
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                back_off(attempt).await;
            }
            let Some(current) = self.table.get_record(product_key(slug), true).await? else {
                return Ok(Change::NotFound);
            };
            let after = match next(&current) {
                Ok(after) => after,
                Err(Refusal::Retired) => return Ok(Change::Retired(current)),
                Err(Refusal::Stale) => return Ok(Change::Stale(current)),
            };
            if self.table.transact(self.replace(&current, &after)?).await? {
                return Ok(Change::Done(after));
            }
        }
        Err(busy(slug))
    }

    /// The writes that replace `current` by `after`: the product, on condition that it is still
    /// `current`'s version, and the counters of the categories it leaves and joins.
    fn replace(
        &self,
        current: &Product,
        after: &Product,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let item = if after.is_retired() {
            to_item(&product_key(&after.slug), after)?
        } else {
            listed(after)?
        };
        // Products stored before versions have no `version` attribute.
        let (condition, values) = if current.version == 0 {
            ("attribute_not_exists(#version)", Item::new())
        } else {
            (
                "#version = :seen",
                Item::from([(":seen".to_owned(), n(version(current.version)?))]),
            )
        };
        let mut writes =
            vec![
                self.table
                    .transact_put(item, condition, &[("#version", "version")], values)?,
            ];
        // A product stored before categories (version 0) was never counted.
        let was = (!current.is_retired() && current.version > 0).then_some(&current.category);
        let is = (!after.is_retired()).then_some(&after.category);
        if was != is {
            if let Some(left) = was {
                writes.push(self.count(left, -1)?);
            }
            if let Some(joined) = is {
                writes.push(self.count(joined, 1)?);
            }
        }
        Ok(writes)
    }

    /// Adds `delta` to the number of products on sale in `category`, creating its counter.
    fn count(&self, category: &Category, delta: i64) -> Result<TransactWriteItem, StoreError> {
        self.table.transact_update(
            format!("CATEGORY#{category}"),
            "SET #kind = :kind, #slug = :name, #name = :name ADD #count :delta",
            &[
                ("#kind", "kind"),
                ("#slug", "slug"),
                ("#name", "name"),
                ("#count", "count"),
            ],
            Item::from([
                (":kind".to_owned(), s(CATEGORY_KIND)),
                (":name".to_owned(), s(category.as_str())),
                (":delta".to_owned(), n(delta)),
            ]),
        )
    }

    /// Up to `limit` products after `after`, in slug order.
    pub async fn page(
        &self,
        limit: i32,
        after: Option<&ProductId>,
    ) -> Result<ProductPage, StoreError> {
        let after = after.map(|slug| (product_key(slug), slug.as_str()));
        let (products, next) = self
            .table
            .kind_page(CATALOG_INDEX, PRODUCT_KIND, "slug", limit, after)
            .await?;
        let next = next
            .map(|slug| ProductId::parse(&slug))
            .transpose()
            .map_err(|err| StoreError::corrupt("read products page", err))?;
        Ok(ProductPage { products, next })
    }

    /// Every category with a product on sale, by name.
    pub async fn categories(&self) -> Result<Vec<CategoryCount>, StoreError> {
        let mut categories = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let after = last
                .as_deref()
                .map(|name| (format!("CATEGORY#{name}"), name));
            let (page, next): (Vec<CategoryCount>, _) = self
                .table
                .kind_page(CATALOG_INDEX, CATEGORY_KIND, "slug", 100, after)
                .await?;
            categories.extend(page.into_iter().filter(|category| category.count > 0));
            if next.is_none() {
                return Ok(categories);
            }
            last = next;
        }
    }
}

/// `product` as the item that lists it in the catalogue.
fn listed(product: &Product) -> Result<Item, StoreError> {
    to_item(
        &product_key(&product.slug),
        &Listed {
            kind: PRODUCT_KIND,
            record: product,
        },
    )
}

/// Waits a little longer after each lost race, differently per request, so that writers who
/// collided do not collide again.
async fn back_off(attempt: u32) {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |now| u64::from(now.subsec_nanos() % 8));
    let millis = (5u64 << attempt.min(6)) + jitter * u64::from(attempt + 1);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

fn busy(slug: &ProductId) -> StoreError {
    StoreError::busy(
        "TransactWriteItems",
        format!("{slug} kept losing races under {ATTEMPTS} attempts"),
    )
}

fn version(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version).map_err(|_| StoreError::corrupt("write product", "version overflow"))
}

fn product_key(slug: &ProductId) -> String {
    format!("PRODUCT#{slug}")
}
