//! `POST /api/payment/card`: see [`payments::handlers::card`].

use payments::card::CardVault;
use payments::handlers::card;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let vault = CardVault::from_env(&sdk)?;
    shared::http::serve(|request| card::handle(&vault, request)).await
}
