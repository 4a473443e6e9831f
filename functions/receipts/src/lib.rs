//! The receipts service: a PDF receipt for every paid order, downloadable by its owner and
//! e-mailed to them once.
//!
//! - [`receipt`]: what a receipt says, from the receipts queue's message or from the orders
//!   service.
//! - [`pdf`]: rendering it (krilla, and the shop's fonts and text layout from `documents`).
//! - [`archive`]: the S3 bucket that keeps each PDF, so a receipt is rendered once.
//! - [`mail`]: the e-mail with the PDF attached (SES v2).
//! - [`store`]: the receipts table, which records which receipts were e-mailed.
//! - [`handlers`]: the download route, the receipts queue's consumer and the erasure of a
//!   deleted account's receipts.
//!
//! The service never reads the orders table: the receipts queue brings what a receipt shows, and
//! the download route asks the orders service (its `order-get` function) whether the order is
//! the caller's and paid.

pub mod archive;
pub mod handlers;
pub mod mail;
pub mod pdf;
pub mod receipt;
pub mod store;

/// The cold start of the receipts service's queue consumers: JSON logs, the SDK configuration
/// (for the function's other clients), the receipts table and the bucket.
pub async fn init() -> Result<
    (
        shared::aws::SdkConfig,
        store::ReceiptStore,
        archive::Archive,
    ),
    shared::config::ConfigError,
> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = store::ReceiptStore::from_env(&sdk)?;
    let archive = archive::Archive::from_env(&sdk)?;
    Ok((sdk, store, archive))
}
