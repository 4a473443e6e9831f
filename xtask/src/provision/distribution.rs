//! The template's CloudFront distributions on the emulator (moto). The local shop serves the
//! storefront and the API itself (its gateway plays CloudFront's part, without a cache); a
//! distribution here gives the function that has CloudFront forget the catalogue an id to name,
//! and keeps what it asked for, for the tests to read.

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::error::DisplayErrorContext;
use aws_sdk_cloudfront::types::{
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Origin, OriginProtocolPolicy,
    Origins, ViewerProtocolPolicy,
};

use crate::Result;

/// Creates the distribution `name` (its caller reference and its comment), or finds the one an
/// earlier run made; returns its id.
pub(super) async fn create(cloudfront: &Client, name: &str) -> Result<String> {
    let origin = Origin::builder()
        .id("api")
        .domain_name("api.invalid")
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()?,
        )
        .build()?;
    let config = DistributionConfig::builder()
        .caller_reference(name)
        .comment(name)
        .enabled(true)
        .origins(Origins::builder().quantity(1).items(origin).build()?)
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("api")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()?,
        )
        .build()?;
    match cloudfront
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
    {
        Ok(created) => Ok(created
            .distribution()
            .ok_or_else(|| format!("distribution {name} was created without an id"))?
            .id()
            .to_owned()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|err| err.is_distribution_already_exists()) =>
        {
            find(cloudfront, name).await
        }
        Err(err) => {
            Err(format!("creating distribution {name}: {}", DisplayErrorContext(err)).into())
        }
    }
}

/// The id of the distribution whose comment is `name`.
async fn find(cloudfront: &Client, name: &str) -> Result<String> {
    let mut marker = None;
    loop {
        let page = cloudfront
            .list_distributions()
            .set_marker(marker)
            .send()
            .await
            .map_err(|err| format!("listing distributions: {}", DisplayErrorContext(err)))?;
        let Some(list) = page.distribution_list() else {
            break;
        };
        if let Some(found) = list.items().iter().find(|found| found.comment() == name) {
            return Ok(found.id().to_owned());
        }
        if !list.is_truncated() {
            break;
        }
        marker = list.next_marker().map(str::to_owned);
    }
    Err(format!("distribution {name} exists, but is not listed").into())
}
