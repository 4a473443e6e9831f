//! `GET /api/user/{username}/exists`: see [`users::handlers::exists`].

use users::UserStore;
use users::handlers::exists;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    shared::http::serve(|request| exists::handle(&store, request)).await
}
