//! The products service: the shop's catalogue.
//!
//! - [`domain`]: slugs, names, descriptions, image URLs, prices, categories and edits that can
//!   only be built valid, and a product's status (on sale or retired).
//! - [`store`]: the products table.
//! - [`edge`]: CloudFront's copies of the public catalogue, and forgetting them.
//! - [`handlers`]: one module per Lambda, named as its binary in `src/bin/` and `template.yaml`.
//!
//! Other services read products through this service's functions, never through its table: the
//! orders service invokes `product-get` for a product's current name and price.

pub mod domain;
pub mod edge;
pub mod handlers;
mod store;

pub use store::{CategoryCount, Change, ProductStore};

/// The cold start every products function shares: JSON logs, then the products table from the
/// environment.
pub async fn init() -> Result<ProductStore, shared::config::ConfigError> {
    shared::telemetry::init();
    ProductStore::from_env(&shared::aws::sdk_config().await)
}
