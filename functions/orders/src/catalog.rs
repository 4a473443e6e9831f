//! Asking the products service for a product's current name and price.
//!
//! The orders service never reads the products table. It invokes the products service's
//! `product-get` function (named in the template by `!Ref ProductGetFunction`) the way
//! [`shared::invoke`] describes.
//!
//! A cart addition may use what the catalogue said of a product a moment ago
//! ([`Catalog::remembering`]): at a sale a fifth of the additions can be of one best-seller,
//! whose one item in the products table would take every one of them, past the 3,000 reads a
//! second a partition serves. A line's price is the customer's to review anyway: checkout asks
//! the catalogue afresh for every line ([`Catalog::listings`] remembers nothing) and brings the
//! order up to date before anything is charged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use shared::config::ConfigError;
use shared::error::ErrorCode;
use shared::http::HttpError;
use shared::ids::ProductId;
use shared::invoke::{Get, HttpFunction};
use shared::money::{Currency, Money};

use crate::domain::{Listing, Priced};

/// How many products one request asks `product-get` about at once.
const CONCURRENT_LOOKUPS: usize = 4;
/// How long one answer may take: a stalled call fails the request with a 503 that says so, well
/// before the function's own timeout would answer a bare 500.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// The catalogue could not price a product.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("there is no product {:?}", .0.as_str())]
    NotFound(ProductId),
    #[error("{} is no longer sold", .0.as_str())]
    Retired(ProductId),
    #[error("the product catalogue did not answer: {0}")]
    Unavailable(String),
}

impl HttpError for CatalogError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::ProductNotFound,
            Self::Retired(_) => ErrorCode::ProductRetired,
            Self::Unavailable(_) => ErrorCode::CatalogUnavailable,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::NotFound(_) | Self::Retired(_) => self.to_string(),
            Self::Unavailable(_) => {
                "the product catalogue is unavailable, so your order cannot be added to or \
                 checked out right now; it is unchanged, try again shortly"
                    .into()
            }
        }
    }
}

/// The fields of the products service's answer that an order needs; others are ignored.
#[derive(Debug, Deserialize)]
struct ProductAnswer {
    slug: ProductId,
    name: String,
    price: i64,
    currency: Currency,
    /// Absent from a products service older than retirement: on sale.
    #[serde(default)]
    status: Sale,
}

/// Whether the catalogue still sells a product.
#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Sale {
    #[default]
    Active,
    Retired,
}

/// How long `order-add-item` prices from what the catalogue said of a product before asking
/// again.
pub const REMEMBERED: Duration = Duration::from_secs(5);

/// Products remembered past this many are let go of once their time is up.
const REMEMBERED_PRODUCTS: usize = 1_000;

/// What the catalogue said of each product lately, and when.
#[derive(Debug)]
struct Memory {
    keep: Duration,
    listings: Mutex<HashMap<ProductId, (Instant, Listing)>>,
}

impl Memory {
    fn recall(&self, product_id: &ProductId) -> Option<Listing> {
        let listings = self.listings.lock().unwrap_or_else(PoisonError::into_inner);
        listings
            .get(product_id)
            .filter(|(told, _)| told.elapsed() < self.keep)
            .map(|(_, listing)| listing.clone())
    }

    fn remember(&self, listing: &Listing) {
        let mut listings = self.listings.lock().unwrap_or_else(PoisonError::into_inner);
        if listings.len() >= REMEMBERED_PRODUCTS {
            listings.retain(|_, (told, _)| told.elapsed() < self.keep);
        }
        listings.insert(
            listing.product_id().clone(),
            (Instant::now(), listing.clone()),
        );
    }
}

/// The products service, reached by invoking its `product-get` function.
#[derive(Debug, Clone)]
pub struct Catalog {
    product_get: HttpFunction,
    /// What [`Catalog::price`] was told lately, when it may answer from it.
    memory: Option<Arc<Memory>>,
}

impl Catalog {
    pub fn new(product_get: HttpFunction) -> Self {
        Self {
            product_get,
            memory: None,
        }
    }

    /// This catalogue, pricing a product from what it said of it within `keep` (a product it
    /// did not know is asked about again each time: one just created is sold at once).
    pub fn remembering(self, keep: Duration) -> Self {
        Self {
            memory: Some(Arc::new(Memory {
                keep,
                listings: Mutex::default(),
            })),
            ..self
        }
    }

    /// The function named by `PRODUCT_GET_FUNCTION`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(HttpFunction::from_env(
            sdk,
            "PRODUCT_GET_FUNCTION",
        )?))
    }

    /// The product `product_id` as the catalogue prices it now (or lately, when remembering),
    /// if it is still sold.
    pub async fn price(&self, product_id: &ProductId) -> Result<Priced, CatalogError> {
        let recalled = self
            .memory
            .as_ref()
            .and_then(|memory| memory.recall(product_id));
        let listing = match recalled {
            Some(listing) => Some(listing),
            None => {
                let listing = self.listing(product_id).await?;
                if let (Some(memory), Some(listing)) = (&self.memory, &listing) {
                    memory.remember(listing);
                }
                listing
            }
        };
        match listing {
            Some(Listing::Sold(priced)) => Ok(priced),
            Some(Listing::NotSold(_)) => Err(CatalogError::Retired(product_id.clone())),
            None => Err(CatalogError::NotFound(product_id.clone())),
        }
    }

    /// What the catalogue says now of each of `products`, a few at a time: an order of fifty
    /// lines must not take fifty of `product-get`'s concurrent executions (its reserved
    /// concurrency may be ten) from the shop's product pages.
    pub async fn listings(&self, products: Vec<ProductId>) -> Result<Vec<Listing>, CatalogError> {
        futures::stream::iter(products)
            .map(|product_id| async move {
                match self.listing(&product_id).await? {
                    Some(listing) => Ok(listing),
                    // Products are retired, never deleted: one that is not there at all means
                    // the catalogue is not the one it should be, not that it stopped selling it.
                    None => Err(CatalogError::Unavailable(format!(
                        "product-get does not know {product_id}"
                    ))),
                }
            })
            .buffered(CONCURRENT_LOOKUPS)
            .try_collect()
            .await
    }

    /// The product `product_id` as the catalogue shows it now; `None` if it has no such product.
    async fn listing(&self, product_id: &ProductId) -> Result<Option<Listing>, CatalogError> {
        let parameters = [("id", product_id.as_str())];
        let asked = self.product_get.get(Get {
            route: "GET /api/product/{id}",
            parameters: &parameters,
            caller: None,
        });
        let answer = tokio::time::timeout(LOOKUP_TIMEOUT, asked)
            .await
            .map_err(|_| CatalogError::Unavailable("product-get did not answer in time".into()))?
            .map_err(|err| CatalogError::Unavailable(err.to_string()))?;
        match answer.status {
            200 => {
                let product: ProductAnswer =
                    serde_json::from_slice(&answer.body).map_err(|err| {
                        CatalogError::Unavailable(format!("unexpected product: {err}"))
                    })?;
                Ok(Some(if product.status == Sale::Retired {
                    Listing::NotSold(product.slug)
                } else {
                    Listing::Sold(Priced {
                        product_id: product.slug,
                        name: product.name,
                        unit_price: Money::new(product.price, product.currency),
                    })
                }))
            }
            404 => Ok(None),
            status => Err(CatalogError::Unavailable(format!(
                "product-get answered {status}"
            ))),
        }
    }
}
