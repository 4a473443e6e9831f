//! `POST /api/order/checkout`: see [`orders::handlers::checkout`].

use orders::CheckoutQueue;
use orders::handlers::checkout;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (sdk, store) = orders::init().await?;
    let queue = CheckoutQueue::from_env(&sdk)?;
    shared::http::serve(|request| checkout::handle(&store, &queue, request)).await
}
