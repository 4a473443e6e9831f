//! `POST /api/user/create`: see [`users::handlers::create`].

use users::UserStore;
use users::handlers::create;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    shared::http::serve(|request| create::handle(&store, request)).await
}
