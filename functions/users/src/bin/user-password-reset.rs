//! `POST /api/user/password-reset`: see [`users::handlers::password_reset`].

use users::handlers::password_reset;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, edge) = users::init_edge().await?;
    shared::http::serve(|request| password_reset::handle(&store, &edge, request)).await
}
