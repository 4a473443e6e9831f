//! `GET /api/order/{id}`: see [`orders::handlers::get`].

use orders::handlers::get;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (_, store) = orders::init().await?;
    shared::http::serve(|request| get::handle(&store, request)).await
}
