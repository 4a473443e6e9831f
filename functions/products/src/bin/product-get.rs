//! `GET /api/product/{id}`: see [`products::handlers::get`].

use products::handlers::get;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = products::init().await?;
    shared::http::serve(|request| get::handle(&store, request)).await
}
