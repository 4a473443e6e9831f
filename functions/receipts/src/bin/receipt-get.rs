//! `GET /api/order/{id}/receipt`: see [`receipts::handlers::get`].

use receipts::archive::Archive;
use receipts::handlers::get;
use shared::invoke::HttpFunction;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let orders = HttpFunction::from_env(&sdk, "ORDER_GET_FUNCTION")?;
    let archive = Archive::from_env(&sdk)?;
    shared::http::serve(|request| get::handle(&orders, &archive, request)).await
}
