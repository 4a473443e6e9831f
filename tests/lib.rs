//! Nothing to export: the integration tests are the `api` test binary (`api/main.rs`).
