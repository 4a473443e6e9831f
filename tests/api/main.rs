//! The integration tests, compiled into one binary (one link, one run):
//!
//! - [`contract`]: the code, `events/` and `openapi.yaml` agree with `template.yaml`.
//! - [`deploy`]: what a first deployment to AWS needs of the template; [`monitoring`]: its
//!   alarms, dashboard and saved queries name only what the functions write.
//! - [`iam`]: the local IAM gate answers refusals as AWS does.
//! - [`capacity`]: the capacity model's work per call, against the calls an order makes.
//! - [`users`], [`products`], [`orders`]: each service against DynamoDB Local (and moto's SQS);
//!   [`order_status`]: the orders' sharded status index;
//!   [`catalogue`]: administrators editing and retiring products, and the category counts;
//!   [`cloudfront`]: CloudFront's copies of the catalogue, forgotten when a product changes;
//!   [`sessions`]: logging in and out, and the authorizer; [`accounts`]: changing a password
//!   and signing out everywhere; [`email_change`]: changing the address; [`notices`]: telling the owner of changes; [`refresh`]: staying signed in with a rotating refresh token; [`checkout`]: handing an order to
//!   payments.
//! - [`outbox`]: the hand-off from checkout to payments through the orders outbox, its relay
//!   failing, crashing, given records twice and giving up.
//! - [`search`]: the search service's copy of the catalogue, fed by the products table's stream,
//!   and `GET /api/search`.
//! - [`payments`], [`receipts`]: the pipeline after checkout, its consumers fed from moto's
//!   queues, down to the e-mail moto's SES records.
//! - [`browser`]: the storefront in headless Chromium against the local shop.
//! - [`journey`]: the local shop (`cargo xtask run`) driven over HTTP, from registration to
//!   receipt, with no secret in any log line; [`observability`]: that order's one journey and its
//!   metrics, read back from the functions' own output.
//! - [`secrets`]: the token key in Secrets Manager, and its rotation.
//! - [`security`]: fields a client may not set, hostile bodies and strings.
//! - [`fuzz`]: schemathesis's generated requests from `openapi.yaml` against the local shop.
//! - [`faults`]: the database down mid-journey; consumers stopped, crashing, and poison messages.
//! - [`smoke`]: `scripts/smoke`, the deployers' check, against the local shop.
//! - [`support`]: the harness, [`support::TestApp`].

// A failed unwrap is how a test helper reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod bench_load;
mod browser;
mod capacity;
mod catalogue;
mod checkout;
mod cloudfront;
mod contract;
mod deletion;
mod deploy;
mod documents;
mod email_change;
mod faults;
mod fuzz;
mod iam;
mod journey;
mod monitoring;
mod notices;
mod observability;
mod order_status;
mod orders;
mod outbox;
mod password_reset;
mod payments;
mod products;
mod receipts;
mod refresh;
mod report_pdf;
mod reports;
mod sales_events;
mod search;
mod secrets;
mod security;
mod sessions;
mod smoke;
mod streams;
mod support;
mod users;
mod verification;
