//! `user-relay`: the users table's stream, filtered to outbox items: each is sent to the queue
//! of its kind of e-mail or erasure, then deleted ([`shared::outbox::relay`]).

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use shared::sqs::FifoQueue;

use crate::email::Destination;
use crate::store::UserStore;

/// The queues the users service's outbox items go to.
#[derive(Debug, Clone)]
pub struct Destinations {
    pub verification_email: FifoQueue,
    pub password_reset_email: FifoQueue,
    pub notice_email: FifoQueue,
    pub user_erasure: FifoQueue,
    pub order_erasure: FifoQueue,
    pub payment_erasure: FifoQueue,
}

pub async fn handle(
    store: &UserStore,
    destinations: &Destinations,
    event: Event,
) -> DynamoDbEventResponse {
    shared::outbox::relay(
        store.table(),
        |destination: &Destination| match destination {
            Destination::VerificationEmail => &destinations.verification_email,
            Destination::PasswordResetEmail => &destinations.password_reset_email,
            Destination::NoticeEmail => &destinations.notice_email,
            Destination::UserErasure => &destinations.user_erasure,
            Destination::OrderErasure => &destinations.order_erasure,
            Destination::PaymentErasure => &destinations.payment_erasure,
        },
        event,
    )
    .await
}
