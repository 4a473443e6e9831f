//! `GET /api/categories`: see [`products::handlers::categories`].

use products::handlers::categories;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = products::init().await?;
    shared::http::serve(|request| categories::handle(&store, request)).await
}
