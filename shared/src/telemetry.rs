//! Logs: one JSON object per line on stdout, which Lambda ships to CloudWatch.
//!
//! The Lambda runtime opens a span per invocation carrying `requestId`; the JSON carries the current
//! span, so every line a request writes can be found by its request id.

use lambda_http::tracing::subscriber::{EnvFilter, fmt};

/// Crates whose debug output would echo request and response bodies (which hold password hashes
/// and tokens), capped whatever level the operator asks for.
const CAPPED: &[&str] = &[
    "aws_smithy_runtime=info",
    "aws_smithy_http_client=info",
    "aws_sdk_dynamodb=info",
    "aws_config=warn",
    "hyper=info",
    "hyper_util=info",
    "rustls=info",
    "h2=info",
];

/// Installs the JSON log subscriber. Level: `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else `info`.
/// Calling it again is harmless, which tests rely on.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into())
        .to_ascii_lowercase();
    let filter = CAPPED
        .iter()
        .fold(EnvFilter::new(level), |filter, directive| {
            match directive.parse() {
                Ok(directive) => filter.add_directive(directive),
                Err(_) => filter,
            }
        });
    let _already_set = fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_env_filter(filter)
        .with_writer(std::io::stdout)
        .try_init();
}
