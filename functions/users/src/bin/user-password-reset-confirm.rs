//! `POST /api/user/password-reset/confirm`: see [`users::handlers::password_reset_confirm`].

use users::handlers::password_reset_confirm;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::password::reserving(users::init()).await?;
    shared::http::serve(|request| password_reset_confirm::handle(&store, request)).await
}
