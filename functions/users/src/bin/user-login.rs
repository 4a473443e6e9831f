//! `POST /api/user/login`: see [`users::handlers::login`].

use users::handlers::login;
use users::{TokenKeys, UserStore};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    let keys = TokenKeys::from_env()?;
    shared::http::serve(|request| login::handle(&store, &keys, request)).await
}
