//! `POST /api/payment/card`: see [`payments::handlers::card`].

use payments::PaymentStore;
use payments::handlers::card;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let vault = PaymentStore::from_env(&sdk)?.vault();
    shared::http::serve(|request| card::handle(&vault, request)).await
}
