//! `GET /api/products`: see [`products::handlers::list`].

use products::handlers::list;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = products::init().await?;
    shared::http::serve(|request| list::handle(&store, request)).await
}
