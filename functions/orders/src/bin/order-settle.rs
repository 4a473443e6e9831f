//! The payment results queue's consumer: see [`orders::handlers::settle`].

use orders::handlers::settle;
use shared::sqs::FifoQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = orders::init().await?;
    let receipts = FifoQueue::from_env(&shared::sqs::client(&sdk), "RECEIPTS_QUEUE_URL")?;
    shared::sqs::serve(|event| settle::handle(&store, &receipts, event)).await
}
