//! The integration tests, compiled into one binary (one link, one run):
//!
//! - [`contract`]: the code, `events/` and `openapi.yaml` agree with `template.yaml`.
//! - [`users`], [`products`]: each service against DynamoDB Local.
//! - [`support`]: the harness, [`support::TestApp`].

// A failed unwrap is how a test helper reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod contract;
mod products;
mod support;
mod users;
