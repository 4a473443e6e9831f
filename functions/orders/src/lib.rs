//! The orders service: each customer's open order (the cart), order history, and checkout.
//!
//! - [`domain`]: orders, lines and the rules they keep (quantities, line count, one currency,
//!   only open orders change), pure and tested without a table.
//! - [`open_order`]: applying a change to a customer's open order safely under concurrency.
//! - [`catalog`]: pricing a product by invoking the products service's `product-get` function.
//! - [`outbox`]: messages written with the change they announce, sent by `order-relay`.
//! - [`store`]: the orders table; [`status_index`]: its index of orders by status, sharded.
//! - [`erasure`]: what a deleted account's orders become (gone while open, anonymous once
//!   checked out).
//! - [`export`]: what the sales reports count of every settled order, for a reports backfill.
//! - [`handlers`]: one module per Lambda, named as its binary in `src/bin/` and `template.yaml`.

pub mod catalog;
pub mod domain;
mod erasure;
pub mod export;
pub mod handlers;
mod open_order;
pub mod outbox;
pub mod status_index;
mod store;

pub use catalog::Catalog;
pub use store::OrderStore;

/// The cold start every orders function shares: JSON logs, the SDK configuration (for the
/// function's other clients) and the orders table.
pub async fn init() -> Result<(shared::aws::SdkConfig, OrderStore), shared::config::ConfigError> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = OrderStore::from_env(&sdk)?;
    Ok((sdk, store))
}
