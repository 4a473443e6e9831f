//! The payment results queue's consumer: see [`orders::handlers::payment_result`].

use orders::handlers::payment_result;
use shared::sqs::FifoQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = orders::init().await?;
    let receipts = FifoQueue::from_env(&sdk, "RECEIPTS_QUEUE_URL")?;
    shared::sqs::serve(|event| payment_result::handle(&store, &receipts, event)).await
}
