//! `VerificationEmailQueue`'s consumer: see [`users::handlers::verification_email`].

use users::handlers::verification_email;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sender = users::init_mail().await?;
    shared::sqs::serve(|event| verification_email::handle(&sender, event)).await
}
