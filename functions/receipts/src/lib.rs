//! The receipts service: a PDF receipt for every paid order, downloadable by its owner and
//! e-mailed to them once.
//!
//! - [`receipt`]: what a receipt says, from the receipts queue's message or from the orders
//!   service.
//! - [`pdf`]: rendering it (krilla, embedded DejaVu Sans).
//! - [`archive`]: the S3 bucket that keeps each PDF, so a receipt is rendered once.
//! - [`mail`]: the e-mail with the PDF attached (SES v2).
//! - [`store`]: the receipts table, which records which receipts were e-mailed.
//! - [`handlers`]: the download route and the receipts queue's consumer.
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
