//! The search service in tests: `search-index` run over the products table's stream as its
//! trigger delivers it, and `search-query` answering from the snapshot as it is now.

use std::time::Duration;

use aws_lambda_events::streams::DynamoDbEventResponse;
use lambda_http::{Request, RequestExt};
use search::handlers::index::{self, Indexer};
use search::handlers::query;
use search::store::SnapshotStore;
use xtask::streams::Pass;

use super::{Reply, TestApp, event};

impl TestApp {
    /// The search bucket as the function `logical_id` reaches it.
    pub(crate) fn snapshots(&self, logical_id: &str) -> SnapshotStore {
        let f = self.function(logical_id);
        SnapshotStore::new(
            f.clients().s3.clone(),
            self.names.refs["SearchBucket"].clone(),
        )
    }

    /// The test's `search-index`, warm from its earlier passes.
    pub(crate) fn indexer(&self) -> &Indexer {
        self.search_indexer
            .get_or_init(|| Indexer::new(self.snapshots("SearchIndexFunction")))
    }

    /// One pass of the products table's stream through `search-index`.
    pub(crate) async fn index_search(&self) -> Pass {
        let pass = self
            .deliver_stream("SearchIndexFunction", |event| async move {
                Some(index::handle(self.indexer(), event).await)
            })
            .await;
        assert_eq!(pass.failed, 0, "search-index failed: {pass:?}");
        pass
    }

    /// One pass of the products table's stream to `indexer`, standing in for `search-index`.
    pub(crate) async fn index_search_with<F, Fut>(&self, indexer: F) -> Pass
    where
        F: Fn(aws_lambda_events::dynamodb::Event) -> Fut,
        Fut: std::future::Future<Output = Option<DynamoDbEventResponse>>,
    {
        self.deliver_stream("SearchIndexFunction", indexer).await
    }

    /// `GET /api/search` with `query`, by a `search-query` that has just started (so it reads
    /// the snapshot as it is now).
    pub(crate) async fn search(&self, query: &[(&str, &str)]) -> Reply {
        let searcher = query::Searcher::new(self.snapshots("SearchQueryFunction"), Duration::ZERO);
        let parameters = query
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect::<std::collections::HashMap<_, _>>();
        let request: Request = event("search-query").with_query_string_parameters(parameters);
        Reply::from(shared::http::respond(
            query::handle(&searcher, request).await,
        ))
    }
}
