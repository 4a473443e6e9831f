//! The orders table's stream, filtered to the outbox: see [`orders::handlers::relay`].

use orders::handlers::relay::{self, Destinations};
use shared::sqs::FifoQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = orders::init().await?;
    let destinations = Destinations {
        checkout: FifoQueue::from_env(&sdk, "CHECKOUT_QUEUE_URL")?,
        receipt_erasure: FifoQueue::from_env(&sdk, "RECEIPT_ERASURE_QUEUE_URL")?,
        reports: FifoQueue::from_env(&sdk, "REPORTS_QUEUE_URL")?,
    };
    shared::outbox::serve(|event| relay::handle(&store, &destinations, event)).await
}
