//! `DELETE /api/product/{id}`: see [`products::handlers::retire`].

use products::handlers::retire;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = products::init().await?;
    shared::http::serve(|request| retire::handle(&store, request)).await
}
