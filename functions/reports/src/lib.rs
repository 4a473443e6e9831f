//! The reports service: what the shop sold, per day, per product and per currency, for its
//! administrators.
//!
//! - [`period`]: the days a report covers and the form it comes in, parsed from the query.
//! - [`tally`]: what one of the orders service's events adds to its day's counters, and where
//!   they are kept.
//! - [`store`]: the reports table, a read model of counters per day, currency and product, and
//!   a marker per event counted so that none counts twice.
//! - [`report`]: the counters of a period summed into a report: per day, per product, per
//!   currency (never summed across currencies), and the failed-payment rate.
//! - [`csv`]: the report as RFC 4180 CSV.
//! - [`pdf`]: the report as a PDF: a title page, a chart of revenue per day and tables of days
//!   and products per currency.
//! - [`backfill`]: counting the orders service's export of its sales events, for a shop that
//!   had orders before its reports service.
//! - [`handlers`]: one module per Lambda, named as its binary in `src/bin/` and `template.yaml`.
//!
//! The service never reads another service's table: the orders service sends it each sale and
//! each failed payment through its outbox (`ReportsQueue`). Reports hold no personal data.

pub mod backfill;
pub mod csv;
pub mod handlers;
pub mod pdf;
pub mod period;
pub mod report;
pub mod store;
mod tally;

pub use store::ReportStore;
pub use tally::PARTITIONS;

/// The cold start every reports function shares: JSON logs and the reports table.
pub async fn init() -> Result<ReportStore, shared::config::ConfigError> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    ReportStore::from_env(&sdk)
}
