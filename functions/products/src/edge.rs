//! CloudFront's copies of the catalogue: what the storefront's distribution keeps of the
//! products service's public answers (for [`crate::handlers::EDGE_SECONDS`]), and how they are
//! forgotten when a product changes.

use aws_sdk_cloudfront::types::{InvalidationBatch, Paths};
use shared::config::ConfigError;

/// The paths CloudFront keeps answers for (the template's behaviours with
/// `CatalogueCachePolicy`, held equal by a test). A `*` also matches every query string, so
/// each of them forgets every page, product and category list at once: one invalidation of two
/// paths whatever changed, which a product's change makes cheap (AWS counts a wildcard as one
/// path) and keeps clear of the 3,000 paths in progress a distribution may have.
pub const CATALOGUE_PATHS: &[&str] = &["/api/product*", "/api/categories*"];

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
            .quantity(CATALOGUE_PATHS.len() as i32)
            .set_items(Some(
                CATALOGUE_PATHS.iter().map(|&path| path.into()).collect(),
            ))
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
