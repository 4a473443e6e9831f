//! `GET /api/search`: see [`search::handlers::query`].

use search::handlers::query::{self, Searcher};
use search::store::SnapshotStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let searcher = Searcher::new(SnapshotStore::from_env(&sdk)?, Searcher::REFRESH);
    searcher.warm().await;
    shared::http::serve(|request| query::handle(&searcher, request)).await
}
