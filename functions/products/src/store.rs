//! The products table, keyed by `pk = PRODUCT#<slug>`.
//!
//! Each product also carries `kind = "PRODUCT"`, the partition of the `Catalog` index, which sorts
//! by `slug`: the listing reads that index a page at a time, in a stable order.

use aws_sdk_dynamodb::Client;
use shared::config::ConfigError;
use shared::money::Currency;
use shared::store::{IndexQuery, Item, StoreError, Table, n, number, s, string};

use crate::domain::{NewProduct, Product, Slug};

/// The index the listing reads; its name is part of the table's definition in the template.
pub const CATALOG_INDEX: &str = "Catalog";
const PRODUCT_KIND: &str = "PRODUCT";

/// One page of the catalogue, and the slug the next page starts after.
#[derive(Debug)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub next: Option<Slug>,
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

    /// Adds a product unless its slug is taken (`Ok(false)`); safe under concurrency.
    pub async fn insert(&self, new: &NewProduct) -> Result<bool, StoreError> {
        self.table.put_if_absent(product_item(&new.product)).await
    }

    pub async fn get(&self, slug: &Slug) -> Result<Option<Product>, StoreError> {
        let item = self.table.get(format!("PRODUCT#{slug}"), false).await?;
        item.as_ref().map(product_from).transpose()
    }

    /// Up to `limit` products after `after`, in slug order.
    pub async fn page(&self, limit: i32, after: Option<&Slug>) -> Result<ProductPage, StoreError> {
        let start = after.map(|slug| {
            Item::from([
                ("pk".to_owned(), s(format!("PRODUCT#{slug}"))),
                ("kind".to_owned(), s(PRODUCT_KIND)),
                ("slug".to_owned(), s(slug.as_str())),
            ])
        });
        let (items, last) = self
            .table
            .query_page(IndexQuery {
                index: CATALOG_INDEX,
                partition: "kind",
                value: PRODUCT_KIND,
                limit,
                start,
                descending: false,
            })
            .await?;
        let products = items
            .iter()
            .map(product_from)
            .collect::<Result<Vec<_>, _>>()?;
        let next = last.and_then(|key| Slug::parse(&string(&key, "slug").ok()?).ok());
        Ok(ProductPage { products, next })
    }
}

fn product_item(product: &Product) -> Item {
    Item::from([
        ("pk".to_owned(), s(format!("PRODUCT#{}", product.slug))),
        ("kind".to_owned(), s(PRODUCT_KIND)),
        ("slug".to_owned(), s(&product.slug)),
        ("name".to_owned(), s(&product.name)),
        ("description".to_owned(), s(&product.description)),
        ("image".to_owned(), s(&product.image)),
        ("price".to_owned(), n(product.price)),
        ("currency".to_owned(), s(product.currency.code())),
    ])
}

fn product_from(item: &Item) -> Result<Product, StoreError> {
    let currency = string(item, "currency")?;
    Ok(Product {
        slug: string(item, "slug")?,
        name: string(item, "name")?,
        description: string(item, "description")?,
        image: string(item, "image")?,
        price: number(item, "price")?,
        currency: Currency::parse(&currency)
            .map_err(|_| StoreError::corrupt("read product", format!("currency {currency:?}")))?,
    })
}
