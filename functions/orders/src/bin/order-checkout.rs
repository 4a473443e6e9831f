//! `POST /api/order/checkout`: see [`orders::handlers::checkout`].

use orders::handlers::checkout;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (_, store) = orders::init().await?;
    shared::http::serve(|request| checkout::handle(&store, request)).await
}
