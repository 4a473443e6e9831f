//! The search service: the catalogue as customers search it, in a copy of its own.
//!
//! - [`text`]: from text to words (folded, singular), the same for products and queries.
//! - [`index`]: the inverted index (an `fst` of words, postings) and BM25F scoring.
//! - [`catalogue`]: the products on sale and their index, kept as one snapshot.
//! - [`query`]: a search (words, category, prices, sort, page) and its answer, with facets.
//! - [`record`]: a product as the products table's stream shows it.
//! - [`store`]: the snapshot in the service's bucket, read and written conditionally.
//! - [`handlers`]: one module per Lambda, named as its binary in `src/bin/` and `template.yaml`.
//!
//! The service never reads the products table at query time: `search-index` follows the table's
//! stream and keeps the snapshot up to date, and `search-query` answers from the snapshot it holds
//! in memory. `cargo xtask search-rebuild` builds the snapshot from the products table anew.

pub mod catalogue;
pub mod handlers;
pub(crate) mod index;
pub mod query;
pub mod record;
pub mod store;
pub mod text;
