//! Logs: one JSON object per line on stdout, which Lambda ships to CloudWatch.
//!
//! The Lambda runtime opens a span per invocation carrying `requestId`; the JSON carries the current
//! span, so every line a request writes can be found by its request id.

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Crates whose debug output would echo request and response bodies (which hold password hashes
/// and tokens), capped whatever level the operator asks for.
///
/// The Lambda runtime's own trace output includes every raw event, passwords and card numbers in
/// request bodies among them (found by the journey test, which runs at `trace` and reads the logs).
const CAPPED: &[(&str, LevelFilter)] = &[
    ("lambda_runtime", LevelFilter::INFO),
    ("lambda_runtime_api_client", LevelFilter::INFO),
    ("lambda_http", LevelFilter::INFO),
    ("aws_smithy_runtime", LevelFilter::INFO),
    ("aws_smithy_http_client", LevelFilter::INFO),
    ("aws_sdk_dynamodb", LevelFilter::INFO),
    ("aws_config", LevelFilter::WARN),
    ("hyper", LevelFilter::INFO),
    ("hyper_util", LevelFilter::INFO),
    ("rustls", LevelFilter::INFO),
    ("h2", LevelFilter::INFO),
];

/// Installs the JSON log subscriber. Level: `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` (a plain
/// level such as `debug`), else `info`. Calling it again is harmless, which tests rely on.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| LevelFilter::from_str(level.trim()).ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = Targets::new().with_default(level).with_targets(
        CAPPED
            .iter()
            .map(|(target, cap)| (*target, (*cap).min(level))),
    );
    let _already_set = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_target(false)
                .flatten_event(true)
                .with_writer(std::io::stdout),
        )
        .with(filter)
        .try_init();
}
