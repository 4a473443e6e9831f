//! AWS SDK configuration, loaded once per cold start and shared by every client of a function.
//!
//! Nothing here names an endpoint: the SDK reads `AWS_ENDPOINT_URL_DYNAMODB` (and its siblings for
//! other services) by itself, so the same binary talks to DynamoDB on AWS and to DynamoDB Local.

pub use aws_config::SdkConfig;

/// The SDK configuration from the environment: region, credentials and endpoint overrides.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await
}

/// A DynamoDB client for `config`.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}
