//! The integration tests, compiled into one binary (one link, one run):
//!
//! - [`contract`]: the code, `events/` and `openapi.yaml` agree with `template.yaml`.
//! - [`users`], [`products`], [`orders`]: each service against DynamoDB Local (and moto's SQS).
//! - [`payments`], [`receipts`]: the pipeline after checkout, its consumers fed from moto's
//!   queues, down to the e-mail moto's SES records.
//! - [`browser`]: the storefront in headless Chromium against the local shop.
//! - [`journey`]: the local shop (`cargo xtask run`) driven over HTTP, from registration to
//!   receipt, with no secret in any log line.
//! - [`security`]: fields a client may not set, hostile bodies and strings.
//! - [`fuzz`]: schemathesis's generated requests from `openapi.yaml` against the local shop.
//! - [`faults`]: the database down mid-journey; consumers stopped, crashing, and poison messages.
//! - [`support`]: the harness, [`support::TestApp`].

// A failed unwrap is how a test helper reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod contract;
mod faults;
mod fuzz;
mod journey;
mod orders;
mod payments;
mod products;
mod receipts;
mod security;
mod support;
mod users;
