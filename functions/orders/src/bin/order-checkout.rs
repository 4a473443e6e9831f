//! `POST /api/order/checkout`: see [`orders::handlers::checkout`].

use orders::handlers::checkout;
use shared::sqs::FifoQueue;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (sdk, store) = orders::init().await?;
    let queue = FifoQueue::from_env(&sdk, "CHECKOUT_QUEUE_URL")?;
    shared::http::serve(|request| checkout::handle(&store, &queue, request)).await
}
