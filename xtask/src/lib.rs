//! Developer tasks that treat `template.yaml` as the source of truth.
//!
//! - [`template`]: the template read as data (functions, routes, authorizer, tables).
//! - [`provision`]: creating its resources on the local emulators from their definitions.
//! - [`api_compat`]: `openapi.yaml` held to its version: incompatible changes need a new major.
//! - [`api_docs`]: the API's documentation page, rendered from `openapi.yaml`.
//! - [`bench`]: the benchmarks behind `BENCHMARKS.md`.
//! - [`capacity`]: the checkouts a second each part of the stack carries at a peak (`SCALING.md`).
//! - [`catalogue`]: counting products stored before categories; rebuilding the search snapshot.
//! - [`deliver`]: delivering queued messages to a consumer as Lambda's SQS trigger does.
//! - [`http_client`]: a small HTTP client for talking to the local shop.
//! - [`iam`]: the local IAM gate: each function's calls authorised against its policy.
//! - [`openapi`]: `openapi.yaml` read as data, and which of its operations are public.
//! - [`operate`]: the operator's commands on a deployed shop's tables: seeding, upgrades, exports.
//! - [`local`]: the whole shop on one machine, as the template declares it.
//! - [`reconcile`]: after a load or a fault, whether charges, billing records and e-mails match.
//! - [`smoke`]: a customer's journey against a running shop, deployed or local (`scripts/smoke`).
//! - [`seed`]: loading the seed catalogue (`data/products.json`) into the products table.
//! - [`storefront`]: `web/` as it is uploaded, its assets named after their content.
//! - [`streams`]: DynamoDB stream triggers as Lambda runs them: filters, and the event a batch makes.
//! - [`visitor`]: someone using the shop over HTTP: the tests' customers and the load's shoppers.
//!
//! The `xtask` binary (`cargo xtask ...`) puts these behind commands; the integration tests use
//! them directly.

pub mod api_compat;
pub mod api_docs;
pub mod bench;
pub mod capacity;
pub mod catalogue;
pub mod deliver;
pub mod http_client;
pub mod iam;
pub mod local;
pub mod openapi;
pub mod operate;
pub mod provision;
pub mod reconcile;
pub mod seed;
pub mod smoke;
pub mod storefront;
pub mod streams;
pub mod template;
pub mod visitor;

/// Errors here end a developer command with a message; nothing matches on them.
pub type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;
