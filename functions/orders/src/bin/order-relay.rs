//! The orders table's stream, filtered to the outbox: see [`orders::handlers::relay`].

use orders::handlers::relay::{self, Destinations};
use shared::sqs::FifoQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = orders::init().await?;
    let sqs = shared::sqs::client(&sdk);
    let destinations = Destinations {
        checkout: FifoQueue::from_env(&sqs, "CHECKOUT_QUEUE_URL")?,
        receipt_erasure: FifoQueue::from_env(&sqs, "RECEIPT_ERASURE_QUEUE_URL")?,
        reports: FifoQueue::from_env(&sqs, "REPORTS_QUEUE_URL")?,
    };
    shared::outbox::serve(|event| relay::handle(&store, &destinations, event)).await
}
