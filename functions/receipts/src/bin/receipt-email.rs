//! The receipts queue's consumer: see [`receipts::handlers::email`].

use receipts::archive::Archive;
use receipts::handlers::email;
use receipts::store::ReceiptStore;
use shared::mail::Mailer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = ReceiptStore::from_env(&sdk)?;
    let archive = Archive::from_env(&sdk)?;
    let mailer = Mailer::from_env(&sdk)?;
    shared::sqs::serve(|event| email::handle(&store, &archive, &mailer, event)).await
}
