//! `PaymentErasureQueue`'s consumer: see [`payments::handlers::erase`].

use payments::card::CardVault;
use payments::handlers::erase;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let vault = CardVault::from_env(&sdk)?;
    shared::sqs::serve(|event| erase::handle(&vault, event)).await
}
