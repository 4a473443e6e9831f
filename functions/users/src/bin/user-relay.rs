//! The users table's stream, filtered to the outbox: see [`users::handlers::relay`].

use shared::sqs::FifoQueue;
use users::handlers::relay::{self, Destinations};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let (sdk, store) = users::init_sdk().await?;
    let destinations = Destinations {
        verification_email: FifoQueue::from_env(&sdk, "VERIFICATION_EMAIL_QUEUE_URL")?,
        password_reset_email: FifoQueue::from_env(&sdk, "PASSWORD_RESET_EMAIL_QUEUE_URL")?,
        notice_email: FifoQueue::from_env(&sdk, "NOTICE_EMAIL_QUEUE_URL")?,
        user_erasure: FifoQueue::from_env(&sdk, "USER_ERASURE_QUEUE_URL")?,
        order_erasure: FifoQueue::from_env(&sdk, "ORDER_ERASURE_QUEUE_URL")?,
        payment_erasure: FifoQueue::from_env(&sdk, "PAYMENT_ERASURE_QUEUE_URL")?,
    };
    shared::outbox::serve(|event| relay::handle(&store, &destinations, event)).await
}
