//! `POST /api/user/session/refresh`: see [`users::handlers::session_refresh`].

use users::handlers::session_refresh;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, keys) = users::init_signing().await?;
    shared::http::serve(|request| session_refresh::handle(&store, &keys, request)).await
}
