//! `VerificationEmailQueue`'s consumer: see [`users::handlers::verification_email`].

use users::handlers::verification_email;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (store, mailer, storefront) = users::init_mail().await?;
    shared::sqs::serve(|event| verification_email::handle(&store, &mailer, &storefront, event))
        .await
}
