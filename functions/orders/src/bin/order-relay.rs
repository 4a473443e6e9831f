//! The orders table's stream, filtered to the outbox: see [`orders::handlers::relay`].

use orders::handlers::relay::{self, Destinations};
use shared::sqs::FifoQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = orders::init().await?;
    let destinations = Destinations {
        checkout: FifoQueue::from_env(&sdk, "CHECKOUT_QUEUE_URL")?,
    };
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<_>| {
            let (store, destinations) = (&store, &destinations);
            async move {
                Ok::<_, lambda_runtime::Error>(
                    relay::handle(store, destinations, event.payload).await,
                )
            }
        },
    ))
    .await
}
