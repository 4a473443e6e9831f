//! CloudFront's copies of the catalogue: what the storefront's distribution keeps of the
//! products service's public answers (for [`crate::handlers::EDGE_SECONDS`]), and how they are
//! forgotten when a product changes.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use shared::config::ConfigError;

/// What an invalidation names: everything under `/api/`, of which CloudFront keeps only the
/// catalogue (every behaviour that keeps answers is under it, a test holds). A `*` also matches
/// every query string, so one path forgets every page, product and category list at once: AWS
/// counts a wildcard as one path, and a distribution may have 15 of them in progress.
pub const INVALIDATED: &str = "/api/*";

/// The distribution in front of the API.
#[derive(Debug, Clone)]
pub struct Edge {
    client: aws_sdk_cloudfront::Client,
    distribution: String,
}

#[derive(Debug, thiserror::Error)]
#[error("CloudFront did not take the invalidation: {0}")]
pub struct EdgeError(String);

impl Edge {
    pub fn new(client: aws_sdk_cloudfront::Client, distribution: String) -> Self {
        Self {
            client,
            distribution,
        }
    }

    /// The distribution named by `DISTRIBUTION_ID`.
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_cloudfront::Client::new(sdk),
            shared::config::required("DISTRIBUTION_ID")?,
        ))
    }

    /// Has CloudFront forget every copy of the catalogue. `reference` names the change: asked
    /// again with the same one, CloudFront answers with the invalidation it already made instead
    /// of making another.
    pub async fn forget_catalogue(&self, reference: &str) -> Result<(), EdgeError> {
        let paths = Paths::builder()
            .quantity(1)
            .items(INVALIDATED)
            .build()
            .map_err(|err| EdgeError(err.to_string()))?;
        let batch = InvalidationBatch::builder()
            .paths(paths)
            .caller_reference(reference)
            .build()
            .map_err(|err| EdgeError(err.to_string()))?;
        self.client
            .create_invalidation()
            .distribution_id(&self.distribution)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|err| {
                EdgeError(aws_sdk_cloudfront::error::DisplayErrorContext(err).to_string())
            })?;
        Ok(())
    }
}
