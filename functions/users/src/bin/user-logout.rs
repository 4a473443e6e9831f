//! `POST /api/user/logout`: see [`users::handlers::logout`].

use users::UserStore;
use users::handlers::logout;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    shared::http::serve(|request| logout::handle(&store, request)).await
}
