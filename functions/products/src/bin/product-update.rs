//! `PUT /api/product/{id}`: see [`products::handlers::update`].

use products::handlers::update;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = products::init().await?;
    shared::http::serve(|request| update::handle(&store, request)).await
}
