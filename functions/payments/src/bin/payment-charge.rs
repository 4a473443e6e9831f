//! The checkout queue's consumer: see [`payments::handlers::charge`].

use payments::card::CardVault;
use payments::handlers::charge;
use payments::{PaymentStore, SimulatedBank};
use shared::sqs::FifoQueue;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let sdk = shared::aws::sdk_config().await;
    let store = PaymentStore::from_env(&sdk)?;
    // One DynamoDB client for both tables.
    let vault = CardVault::beside(&store)?;
    let bank = SimulatedBank::new(store.table().clone());
    let results = FifoQueue::from_env(&shared::sqs::client(&sdk), "PAYMENT_RESULTS_QUEUE_URL")?;
    shared::sqs::serve(|event| charge::handle(&store, &vault, &bank, &results, event)).await
}
