//! Asking the products service for a product's current name and price.
//!
//! The orders service never reads the products table. It invokes the products service's
//! `product-get` function (named in the template by `!Ref ProductGetFunction`) the way
//! [`shared::invoke`] describes.

use serde::Deserialize;
use shared::config::ConfigError;
use shared::error::ErrorCode;
use shared::http::HttpError;
use shared::ids::ProductId;
use shared::invoke::{Get, HttpFunction};
use shared::money::{Currency, Money};

use crate::domain::Priced;

/// The catalogue could not price a product.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("there is no product {:?}", .0.as_str())]
    NotFound(ProductId),
    #[error("the product catalogue did not answer: {0}")]
    Unavailable(String),
}

impl HttpError for CatalogError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound(_) => ErrorCode::ProductNotFound,
            Self::Unavailable(_) => ErrorCode::CatalogUnavailable,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::NotFound(_) => self.to_string(),
            Self::Unavailable(_) => {
                "the product catalogue is unavailable, so nothing can be added right now; your \
                 order is unchanged, try again shortly"
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
}

/// The products service, reached by invoking its `product-get` function.
#[derive(Debug, Clone)]
pub struct Catalog {
    product_get: HttpFunction,
}

impl Catalog {
    pub fn new(product_get: HttpFunction) -> Self {
        Self { product_get }
    }

    /// The function named by `PRODUCT_GET_FUNCTION`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(HttpFunction::from_env(
            sdk,
            "PRODUCT_GET_FUNCTION",
        )?))
    }

    /// The product `product_id` as the catalogue prices it now.
    pub async fn price(&self, product_id: &ProductId) -> Result<Priced, CatalogError> {
        let answer = self
            .product_get
            .get(Get {
                route: "GET /api/product/{id}",
                parameters: &[("id", product_id.as_str())],
                caller: None,
            })
            .await
            .map_err(|err| CatalogError::Unavailable(err.to_string()))?;
        match answer.status {
            200 => {
                let product: ProductAnswer =
                    serde_json::from_slice(&answer.body).map_err(|err| {
                        CatalogError::Unavailable(format!("unexpected product: {err}"))
                    })?;
                Ok(Priced {
                    product_id: product.slug,
                    name: product.name,
                    unit_price: Money::new(product.price, product.currency),
                })
            }
            404 => Err(CatalogError::NotFound(product_id.clone())),
            status => Err(CatalogError::Unavailable(format!(
                "product-get answered {status}"
            ))),
        }
    }
}
