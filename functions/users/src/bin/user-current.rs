//! `GET /api/user`: see [`users::handlers::current`].

use users::UserStore;
use users::handlers::current;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    shared::http::serve(|request| current::handle(&store, request)).await
}
