//! `POST /api/user/logout-everywhere`: see [`users::handlers::logout_everywhere`].

use users::handlers::logout_everywhere;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    shared::http::serve(|request| logout_everywhere::handle(&store, request)).await
}
