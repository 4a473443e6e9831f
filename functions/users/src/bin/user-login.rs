//! `POST /api/user/login`: see [`users::handlers::login`].

use users::TokenKeys;
use users::handlers::login;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let store = users::init().await?;
    let keys = TokenKeys::from_env()?;
    shared::http::serve(|request| login::handle(&store, &keys, request)).await
}
