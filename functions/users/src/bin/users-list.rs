//! `GET /api/users`: see [`users::handlers::list`].

use users::UserStore;
use users::handlers::list;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = UserStore::from_env(&sdk)?;
    shared::http::serve(|request| list::handle(&store, request)).await
}
