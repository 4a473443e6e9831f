//! `NoticeEmailQueue`'s consumer: see [`users::handlers::notice_email`].

use users::handlers::notice_email;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sender = users::init_mail().await?;
    shared::sqs::serve(|event| notice_email::handle(&sender, event)).await
}
