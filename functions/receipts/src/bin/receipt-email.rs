//! The receipts queue's consumer: see [`receipts::handlers::email`].

use receipts::handlers::email;
use shared::mail::Mailer;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store, archive) = receipts::init().await?;
    let mailer = Mailer::from_env(&sdk)?;
    shared::sqs::serve(|event| email::handle(&store, &archive, &mailer, event)).await
}
