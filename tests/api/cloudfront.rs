//! CloudFront's copies of the public catalogue: forgotten when a product changes
//! (`product-invalidate`), the change retried until every copy from before it has expired.
//!
//! The local cloud serves without a cache; moto holds the distribution, and what
//! `product-invalidate` asks of it is read back here. Unlike CloudFront, moto makes a second
//! invalidation when asked again with a caller reference it has seen: the function never
//! depends on either answer (a second invalidation of the same paths forgets the same copies),
//! so the difference cannot matter.

use products::edge::{Edge, INVALIDATED};
use products::handlers::invalidate;
use serde_json::Value;
use shared::auth::Role;
use xtask::streams::Pass;

use crate::support::{TestApp, event, sdk_config};

impl TestApp {
    /// `product-invalidate`'s CloudFront, as deployed.
    fn edge(&self) -> Edge {
        let clients = self.function("ProductInvalidateFunction");
        Edge::new(clients.clients().cloudfront.clone(), self.distribution())
    }

    fn distribution(&self) -> String {
        self.names.refs["StorefrontDistribution"].clone()
    }

    /// One pass of the products table's stream through `product-invalidate` telling `edge`.
    async fn invalidate_with(&self, edge: &Edge) -> Pass {
        self.deliver_stream("ProductInvalidateFunction", |event| async move {
            Some(invalidate::handle(edge, event).await)
        })
        .await
    }

    async fn given_a_new_product(&self) {
        let admin = self.given_session("grace", Role::Admin).await;
        self.product_create(self.authorized(event("product-create"), Some(&admin)).await)
            .await
            .assert(201, "");
    }
}

/// What `distribution` was asked to forget: each invalidation's paths and caller reference.
async fn invalidations(distribution: &str) -> Vec<(Vec<String>, String)> {
    let cloudfront = aws_sdk_cloudfront::Client::new(&sdk_config().await);
    let listed = cloudfront
        .list_invalidations()
        .distribution_id(distribution)
        .send()
        .await
        .unwrap();
    let mut asked = Vec::new();
    for summary in listed
        .invalidation_list()
        .map_or(&[][..], |list| list.items())
    {
        let found = cloudfront
            .get_invalidation()
            .distribution_id(distribution)
            .id(summary.id())
            .send()
            .await
            .unwrap();
        let batch = found.invalidation().unwrap().invalidation_batch().unwrap();
        let paths = batch.paths().unwrap().items().to_vec();
        asked.push((paths, batch.caller_reference().to_owned()));
    }
    asked
}

#[tokio::test]
async fn a_product_change_has_cloudfront_forget_the_catalogue() {
    let app = TestApp::spawn().await;
    app.given_a_new_product().await;
    let distribution = app.distribution();
    let edge = app.edge();

    let pass = app.invalidate_with(&edge).await;
    assert_eq!(
        (pass.batches, pass.failed, pass.given_up),
        (1, 0, 0),
        "{pass:?}"
    );
    let asked = invalidations(&distribution).await;
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].0, [INVALIDATED]);
    // Named by the batch's first and last records: the batch given again is the same one.
    let (first, last) = asked[0].1.split_once('-').unwrap();
    assert!(first.parse::<u128>().is_ok() && first == last, "{asked:?}");

    // Nothing changed since: nothing more to tell.
    assert_eq!(app.invalidate_with(&edge).await.batches, 0);
}

#[tokio::test]
async fn an_invalidation_cloudfront_does_not_take_is_retried_until_the_copies_expire_then_reported()
{
    let app = TestApp::spawn().await;
    app.given_a_new_product().await;
    // CloudFront out of reach: every call fails at once.
    let cut_off = app.cut_off("ProductInvalidateFunction").cloudfront;
    let nowhere = Edge::new(cut_off, app.distribution());

    let first = app.invalidate_with(&nowhere).await;
    assert_eq!(
        (first.batches, first.failed, first.given_up),
        (1, 1, 0),
        "{first:?}"
    );
    let again = app.invalidate_with(&nowhere).await;
    assert_eq!(
        (again.batches, again.failed),
        (1, 1),
        "the batch comes again"
    );

    app.let_time_pass_for("ProductInvalidateFunction", 121)
        .await;
    let last = app.invalidate_with(&nowhere).await;
    assert_eq!((last.batches, last.given_up), (0, 1), "{last:?}");
    let reports = app.drain("CatalogueInvalidationFailuresQueue").await;
    assert_eq!(reports.len(), 1, "Lambda tells the failures queue");
    let metadata: Value = serde_json::from_str(reports[0].body().unwrap()).unwrap();
    assert_eq!(metadata["requestContext"]["condition"], "RecordAgeExceeded");
    assert!(invalidations(&app.distribution()).await.is_empty());
}
