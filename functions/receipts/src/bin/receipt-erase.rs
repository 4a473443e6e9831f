//! `ReceiptErasureQueue`'s consumer: see [`receipts::handlers::erase`].

use receipts::handlers::erase;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (_, store, archive) = receipts::init().await?;
    shared::sqs::serve(|event| erase::handle(&store, &archive, event)).await
}
