//! `VerificationEmailQueue`'s consumer: see [`users::handlers::verification_email`].

use shared::mail::Mailer;
use users::email::Storefront;
use users::handlers::verification_email;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = users::init_sdk().await?;
    let mailer = Mailer::from_env(&sdk)?;
    let storefront = Storefront::from_env()?;
    shared::sqs::serve(|event| verification_email::handle(&store, &mailer, &storefront, event))
        .await
}
