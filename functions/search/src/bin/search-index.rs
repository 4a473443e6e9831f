//! The products table's stream, filtered to products: see [`search::handlers::index`].

use search::handlers::index::{self, Indexer};
use search::store::SnapshotStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let indexer = Indexer::new(SnapshotStore::from_env(&shared::aws::sdk_config().await)?);
    indexer.warm().await;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<_>| {
            let indexer = &indexer;
            // Boxed: the index future, nested in the runtime's, is too deep a type otherwise.
            let answer = Box::pin(shared::metrics::collecting(index::handle(
                indexer,
                event.payload,
            )));
            async move { Ok::<_, lambda_runtime::Error>(answer.await) }
        },
    ))
    .await
}
