//! `POST /api/user/verify/resend`: see [`users::handlers::verify_resend`].

use users::handlers::verify_resend;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| verify_resend::handle(&store, request)).await
}
