//! `POST /api/order/update-item`: see [`orders::handlers::update_item`].

use orders::handlers::update_item;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (_, store) = orders::init().await?;
    shared::http::serve(|request| update_item::handle(&store, request)).await
}
