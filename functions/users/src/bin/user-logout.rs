//! `POST /api/user/logout`: see [`users::handlers::logout`].

use users::handlers::logout;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| logout::handle(&store, request)).await
}
