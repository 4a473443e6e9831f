//! `POST /api/user/password`: see [`users::handlers::password_change`].

use users::handlers::password_change;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, keys, edge) = users::password::reserving(users::init_login()).await?;
    shared::http::serve(|request| password_change::handle(&store, &keys, &edge, request)).await
}
