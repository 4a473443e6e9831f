//! The users table's stream, filtered to the outbox: see [`users::handlers::relay`].

use shared::sqs::FifoQueue;
use users::handlers::relay::{self, Destinations};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = users::init_sdk().await?;
    let sqs = shared::sqs::client(&sdk);
    let destinations = Destinations {
        verification_email: FifoQueue::from_env(&sqs, "VERIFICATION_EMAIL_QUEUE_URL")?,
        password_reset_email: FifoQueue::from_env(&sqs, "PASSWORD_RESET_EMAIL_QUEUE_URL")?,
        notice_email: FifoQueue::from_env(&sqs, "NOTICE_EMAIL_QUEUE_URL")?,
        user_erasure: FifoQueue::from_env(&sqs, "USER_ERASURE_QUEUE_URL")?,
        order_erasure: FifoQueue::from_env(&sqs, "ORDER_ERASURE_QUEUE_URL")?,
        payment_erasure: FifoQueue::from_env(&sqs, "PAYMENT_ERASURE_QUEUE_URL")?,
    };
    shared::outbox::serve(|event| relay::handle(&store, &destinations, event)).await
}
