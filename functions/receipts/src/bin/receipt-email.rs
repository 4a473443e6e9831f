//! The receipts queue's consumer: see [`receipts::handlers::email`].

use receipts::handlers::email;
use shared::mail::Mailer;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store, archive) = receipts::init().await?;
    let mailer = Mailer::from_env(&sdk)?;
    // Every delivery renders a receipt: the fonts are parsed now, not in the first one.
    documents::Fonts::embedded()?;
    shared::sqs::serve(|event| email::handle(&store, &archive, &mailer, event)).await
}
