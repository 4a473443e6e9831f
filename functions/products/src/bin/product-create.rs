//! `POST /api/product/create`: see [`products::handlers::create`].

use products::handlers::create;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = products::init().await?;
    shared::http::serve(|request| create::handle(&store, request)).await
}
