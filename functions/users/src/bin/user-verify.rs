//! `POST /api/user/verify`: see [`users::handlers::verify`].

use users::handlers::verify;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| verify::handle(&store, request)).await
}
