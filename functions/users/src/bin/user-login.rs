//! `POST /api/user/login`: see [`users::handlers::login`].

use users::handlers::login;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, keys, edge) = users::password::reserving(users::init_login()).await?;
    shared::http::serve(|request| login::handle(&store, &keys, &edge, request)).await
}
