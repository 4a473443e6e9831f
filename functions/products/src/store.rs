//! The products table, keyed by `pk = PRODUCT#<slug>`.
//!
//! Each product also carries `kind = "PRODUCT"`, the partition of the `Catalog` index, which sorts
//! by `slug`: the listing reads that index a page at a time, in a stable order.

use aws_sdk_dynamodb::Client;
use shared::config::ConfigError;
use shared::ids::ProductId;
use shared::store::{Listed, StoreError, Table, to_item};

use crate::domain::{NewProduct, Product};

/// The index the listing reads; its name is part of the table's definition in the template.
pub(crate) const CATALOG_INDEX: &str = "Catalog";
const PRODUCT_KIND: &str = "PRODUCT";

/// One page of the catalogue, and the slug the next page starts after.
#[derive(Debug)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub next: Option<ProductId>,
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
        let product = &new.product;
        let item = to_item(
            &product_key(&product.slug),
            &Listed {
                kind: PRODUCT_KIND,
                record: product,
            },
        )?;
        self.table.put_if_absent(item).await
    }

    pub async fn get(&self, slug: &ProductId) -> Result<Option<Product>, StoreError> {
        self.table.get_record(product_key(slug), false).await
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
}

fn product_key(slug: &ProductId) -> String {
    format!("PRODUCT#{slug}")
}
