//! `POST /api/user/login`: see [`users::handlers::login`].

use users::handlers::login;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let (store, keys) = users::init_with_keys(false).await?;
    let edge = users::throttle::EdgeKey::from_env()?;
    shared::http::serve(|request| login::handle(&store, &keys, &edge, request)).await
}
