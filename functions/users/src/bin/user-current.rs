//! `GET /api/user`: see [`users::handlers::current`].

use users::handlers::current;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| current::handle(&store, request)).await
}
