//! `POST /api/user/email/confirm`: see [`users::handlers::email_confirm`].

use users::handlers::email_confirm;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| email_confirm::handle(&store, request)).await
}
