//! `ReceiptErasureQueue`'s consumer: see [`receipts::handlers::erase`].

use receipts::archive::Archive;
use receipts::handlers::erase;
use receipts::store::ReceiptStore;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = ReceiptStore::from_env(&sdk)?;
    let archive = Archive::from_env(&sdk)?;
    shared::sqs::serve(|event| erase::handle(&store, &archive, event)).await
}
