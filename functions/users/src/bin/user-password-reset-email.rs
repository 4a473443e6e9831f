//! `PasswordResetEmailQueue`'s consumer: see [`users::handlers::password_reset_email`].

use users::handlers::password_reset_email;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sender = users::init_mail().await?;
    shared::sqs::serve(|event| password_reset_email::handle(&sender, event)).await
}
