//! `GET /api/order`: see [`orders::handlers::current`].

use orders::handlers::current;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (_, store) = orders::init().await?;
    shared::http::serve(|request| current::handle(&store, request)).await
}
